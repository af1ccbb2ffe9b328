#!/usr/bin/env bash
# Builds the webhook's container image from the Dockerfile, unchanged, with buildah (no Docker
# engine, no registry) and exports it as a docker-archive that `ctr images import`,
# `podman load` and `docker load` all take. Prints the archive's path on stdout; everything else
# goes to stderr. With --path it only prints where the archive for the current sources is (or
# would be), without building.
#
# The archive is cached by a hash of what the image is made from (the Dockerfile, the files it
# copies, the base image) under ~/.cache/netpol-hygiene/images: a warm run only hashes and prints.
# When the base image is not in local container storage, a stand-in is built first
# (scripts/build-stand-in-base.sh). How and why: docs/image.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache_root=${NETPOL_HYGIENE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netpol-hygiene}
image_dir="$cache_root/images"
# The name the Deployment's image renders to (manifests/base/kustomization.yaml: netpol-hygiene,
# tag latest), spelled out as container runtimes normalise it.
image_ref=docker.io/library/netpol-hygiene:latest
# buildah and podman read this file instead of /etc/containers/containers.conf.
export CONTAINERS_CONF="$here/containers.conf"

say() { echo "build-image: $*" >&2; }

# The first FROM, as container storage names it (a bare name is a Docker Hub library image).
base_ref=$(awk 'toupper($1) == "FROM" { print $2; exit }' "$repo/Dockerfile")
case "$base_ref" in */*) ;; *) base_ref="docker.io/library/$base_ref" ;; esac

# A stand-in base is identified by its recipe, a pulled one by its image ID.
stand_in_label() {
  podman image inspect --format '{{index .Labels "io.netpol-hygiene.stand-in.recipe"}}' "$base_ref" 2>/dev/null | sed 's/<no value>//'
}
base_identity() {
  if command -v podman >/dev/null && podman image exists "$base_ref" 2>/dev/null && [ -z "$(stand_in_label)" ]; then
    echo "image $(podman image inspect --format '{{.Id}}' "$base_ref")"
  else
    echo "stand-in $("$here/build-stand-in-base.sh" --recipe)"
  fi
}

# Everything the Dockerfile COPYs from the build context (not --from another stage).
inputs_hash() {
  local copied
  copied=$(awk 'toupper($1) == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' "$repo/Dockerfile")
  {
    cd "$repo"
    # shellcheck disable=SC2086 # the COPY sources are words
    find Dockerfile .dockerignore $copied -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    echo "base $(base_identity)"
    echo "name $image_ref"
  } | sha256sum | cut -c1-16
}

ensure_tools() {
  local missing=()
  for tool in buildah podman mmdebstrap runc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "missing ${missing[*]}; install them (Debian: apt-get install -y buildah podman mmdebstrap runc) and run again"
    exit 1
  fi
  say "installing ${missing[*]} (apt-get)"
  apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
}

ensure_base() {
  local old recipe
  recipe=$("$here/build-stand-in-base.sh" --recipe)
  if podman image exists "$base_ref"; then
    old=$(stand_in_label)
    [ -z "$old" ] && { say "base $base_ref: from local storage"; return; }
    [ "$old" = "$recipe" ] && { say "base $base_ref: the local STAND-IN (recipe $recipe), not the official image"; return; }
    say "base $base_ref: the stand-in's recipe changed ($old -> $recipe); rebuilding it"
    old=$(podman image inspect --format '{{.Id}}' "$base_ref")
    "$here/build-stand-in-base.sh" "$base_ref"
    podman rmi "$old" >/dev/null 2>&1 || true
    return
  fi
  "$here/build-stand-in-base.sh" "$base_ref"
}

# npm inside the build must trust what this machine trusts (here, a TLS-intercepting proxy's CA):
# the bundle and an npmrc naming it are mounted into the build's RUN steps only, never copied
# into a layer, and only the build stage runs anything.
ca_mounts() {
  local ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
  [ -f "$ca" ] || return 0
  echo "cafile=/run/netpol-hygiene-build/ca.crt" >"$work/npmrc"
  echo "--volume=$ca:/run/netpol-hygiene-build/ca.crt:ro"
  echo "--volume=$work/npmrc:/root/.npmrc:ro"
}

build_and_export() {
  local archive=$1 started old new mounts
  started=$(date +%s)
  old=$(podman image inspect --format '{{.Id}}' "$image_ref" 2>/dev/null || true)
  mapfile -t mounts < <(ca_mounts)
  say "buildah build of $repo/Dockerfile (unchanged) as $image_ref"
  buildah build --pull=never --network=host --runtime="$(command -v runc)" --force-rm --layers=false \
    "${mounts[@]}" --file "$repo/Dockerfile" --tag "$image_ref" "$repo" >&2
  buildah push --quiet "$image_ref" "docker-archive:$archive.partial:$image_ref" >&2
  mv "$archive.partial" "$archive"
  new=$(podman image inspect --format '{{.Id}}' "$image_ref")
  # The image this one replaces under the same name would only take up space.
  if [ -n "$old" ] && [ "$old" != "$new" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
  say "built and exported in $(($(date +%s) - started))s"
}

archive="$image_dir/netpol-hygiene-$(inputs_hash).tar"
if [ -f "$archive" ] || [ "${1:-}" = "--path" ]; then
  echo "$archive"
  exit 0
fi

ensure_tools
mkdir -p "$image_dir"
# One cold build at a time per container storage: worktrees and test runs share it, the base and
# the image's name with it (and most often the cache too).
exec 9<"$(podman info --format '{{.Store.GraphRoot}}')"
flock 9
archive="$image_dir/netpol-hygiene-$(inputs_hash).tar"
if [ -f "$archive" ]; then
  echo "$archive"
  exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/netpol-hygiene-image.XXXXXX")
trap 'rm -rf "$work" "$archive.partial"' EXIT
ensure_base
# The base may have just been built: its identity is part of the archive's name.
archive="$image_dir/netpol-hygiene-$(inputs_hash).tar"
build_and_export "$archive"
# Keep the three newest archives (other branches and worktrees share this directory).
find "$image_dir" -maxdepth 1 -name 'netpol-hygiene-*.tar' -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -f
echo "$archive"
