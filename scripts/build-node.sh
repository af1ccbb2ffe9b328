#!/usr/bin/env bash
# Builds what a real single node needs, from Go modules through the Go module proxy, cached by
# version outside git (nothing prebuilt is downloaded: this machine reaches only the package
# registries):
#   kubelet, kube-scheduler   k8s.io/kubernetes at the control plane's version, in the control
#                             plane's throw-away module (kubernetes-module.sh), sharing its build cache
#   containerd, its runc shim, ctr
#   kube-router               run as a NetworkPolicy enforcer only (iptables + ipset)
#   pause and probe images    static Go programs (harness/node/images) packed as image archives
#                             that `ctr images import` loads: no registry involved
# runc, the CNI plugins, iptables, ipset and conntrack come from Debian packages: installed here
# when missing and running as root, otherwise named.
#
# Usage: build-node.sh            build what is missing, then print KEY=path lines
#        build-node.sh --paths    print KEY=path lines without building (exit 1 if anything is missing)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=control-plane-versions.env
source "$here/control-plane-versions.env"
# shellcheck source=node-versions.env
source "$here/node-versions.env"
# shellcheck source=kubernetes-module.sh
source "$here/kubernetes-module.sh"

cache_root=${NETPOL_HYGIENE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netpol-hygiene}
work_dir="$cache_root/build"
images_src="$repo/harness/node/images"
images_hash=$(cd "$images_src" && find . -type f \( -name '*.go' -o -name go.mod \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)

kubernetes_dir="$cache_root/node/kubernetes-$KUBERNETES_VERSION"
containerd_dir="$cache_root/node/containerd-$CONTAINERD_VERSION"
kube_router_dir="$cache_root/node/kube-router-$KUBE_ROUTER_VERSION"
images_dir="$cache_root/node/images-$images_hash"

# Debian packages: command or file that proves the package is there.
declare -A debian=(
  [runc]=/usr/sbin/runc
  [containernetworking-plugins]=/usr/lib/cni/bridge
  [iptables]=/usr/sbin/iptables
  [ipset]=/usr/sbin/ipset
  [conntrack]=/usr/sbin/conntrack
)

paths() {
  echo "KUBELET=$kubernetes_dir/kubelet"
  echo "KUBE_SCHEDULER=$kubernetes_dir/kube-scheduler"
  echo "CONTAINERD=$containerd_dir/containerd"
  echo "CONTAINERD_SHIM_DIR=$containerd_dir"
  echo "CTR=$containerd_dir/ctr"
  echo "KUBE_ROUTER=$kube_router_dir/kube-router"
  echo "PAUSE_IMAGE_ARCHIVE=$images_dir/pause.tar"
  echo "PAUSE_IMAGE=localhost/netpol-hygiene/pause:$images_hash"
  echo "PROBE_IMAGE_ARCHIVE=$images_dir/probe.tar"
  echo "PROBE_IMAGE=localhost/netpol-hygiene/probe:$images_hash"
  echo "RUNC=${debian[runc]}"
  echo "CNI_BIN_DIR=$(dirname "${debian[containernetworking-plugins]}")"
}

missing_files() {
  local f
  paths | cut -d= -f2- | grep -v '^localhost/' | while read -r f; do [ -e "$f" ] || echo "$f"; done
  for f in "${debian[@]}"; do [ -e "$f" ] || echo "$f"; done
}

if [ "${1:-}" = --paths ]; then
  if [ -n "$(missing_files)" ]; then
    echo "build-node: missing: $(missing_files | tr '\n' ' ')- run scripts/build-node.sh (npm run node:build)" >&2
    exit 1
  fi
  paths
  exit 0
fi

install_debian_packages() {
  local wanted=() p
  for p in "${!debian[@]}"; do [ -e "${debian[$p]}" ] || wanted+=("$p"); done
  [ ${#wanted[@]} -eq 0 ] && return
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    # The Go parts still build; the node's tests then fail naming what is missing.
    echo "build-node: the node also needs the Debian packages ${wanted[*]}: as root, apt-get install -y ${wanted[*]}" >&2
    return
  fi
  echo "build-node: apt-get install ${wanted[*]}" >&2
  apt-get install -y --no-install-recommends "${wanted[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${wanted[@]}" >&2; }
}

timed() {
  local name=$1 t0
  shift
  t0=$(date +%s)
  "$@"
  echo "build-node: $name ready in $(( $(date +%s) - t0 ))s" >&2
}

build_kubernetes() {
  [ -x "$kubernetes_dir/kubelet" ] && [ -x "$kubernetes_dir/kube-scheduler" ] && return
  mkdir -p "$kubernetes_dir"
  kubernetes_build "$work_dir/kubernetes-$KUBERNETES_VERSION" "$KUBERNETES_VERSION" "$kubernetes_dir" kubelet kube-scheduler
}

# go_install DIR MODULE@VERSION PKG...: containerd and kube-router have no replace directives,
# so `go install pkg@version` builds them with exactly their own go.mod.
go_install() {
  local dir=$1 version=$2
  shift 2
  mkdir -p "$dir"
  local pkg
  for pkg in "$@"; do
    [ -x "$dir/$(basename "$pkg")" ] && continue
    echo "build-node: building $pkg@$version" >&2
    GOBIN="$dir" go install -trimpath "$pkg@$version"
  done
}

build_containerd() {
  local m=github.com/containerd/containerd/v2 v=${CONTAINERD_VERSION#v}
  # Static like upstream's release: no btrfs/devmapper snapshotters (cgo), the overlayfs one is used.
  CGO_ENABLED=0 GOFLAGS="-tags=no_btrfs,no_devmapper,no_zfs -ldflags=-X=$m/version.Version=$v" \
    go_install "$containerd_dir" "$CONTAINERD_VERSION" "$m/cmd/containerd" "$m/cmd/containerd-shim-runc-v2" "$m/cmd/ctr"
}

build_kube_router() {
  CGO_ENABLED=0 go_install "$kube_router_dir" "$KUBE_ROUTER_VERSION" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
}

build_images() {
  [ -f "$images_dir/pause.tar" ] && [ -f "$images_dir/probe.tar" ] && return
  mkdir -p "$images_dir"
  local name
  for name in pause probe; do
    local root
    root=$(mktemp -d)
    (cd "$images_src" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$root/$name" "./$name")
    "$here/pack-image.sh" "$root" "localhost/netpol-hygiene/$name:$images_hash" "/$name" >"$images_dir/$name.tar.tmp"
    mv "$images_dir/$name.tar.tmp" "$images_dir/$name.tar"
    rm -rf "$root"
  done
}

if [ -z "$(missing_files)" ]; then
  paths
  exit 0
fi
command -v go >/dev/null || { echo "build-node: 'go' is not on PATH; Go >= 1.26 is needed to build the node" >&2; exit 1; }
only=${NODE_BUILD_ONLY:-kubernetes containerd kube_router images}
install_debian_packages
for part in $only; do timed "$part" "build_$part"; done
paths
