#!/usr/bin/env bash
# pack-image.sh ROOTFS_DIR IMAGE_NAME ENTRYPOINT > image.tar
# Writes a one-layer image archive in the `docker save` layout (manifest.json, config, layer),
# which `ctr images import` loads: the node's images need no registry and no image builder.
set -euo pipefail
rootfs=$1 name=$2 entrypoint=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

tar -C "$rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$out/layer.tar" .
diff_id=$(sha256sum "$out/layer.tar" | cut -d' ' -f1)
mkdir "$out/$diff_id"
mv "$out/layer.tar" "$out/$diff_id/layer.tar"

printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["%s"],"User":"65534:65534"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"scripts/pack-image.sh"}]}' \
  "$entrypoint" "$diff_id" >"$out/config.json"
config_id=$(sha256sum "$out/config.json" | cut -d' ' -f1)
mv "$out/config.json" "$out/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_id" "$name" "$diff_id" >"$out/manifest.json"

tar -C "$out" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - manifest.json "$config_id.json" "$diff_id"
