#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from Go modules through the
# Go module proxy and caches them by version outside git. No prebuilt binary is downloaded:
# this machine reaches only the package registries.
# Kubernetes commands are built in the throw-away module of kubernetes-module.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=control-plane-versions.env
source "$here/control-plane-versions.env"
# shellcheck source=kubernetes-module.sh
source "$here/kubernetes-module.sh"

cache_root=${NETPOL_HYGIENE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netpol-hygiene}
bin_dir="$cache_root/control-plane/kubernetes-$KUBERNETES_VERSION-etcd-$ETCD_VERSION"
work_dir="$cache_root/build"

# Go's own installer puts it under /usr/local/go; a login shell may not have that on PATH yet.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null || { echo "build-control-plane: 'go' is not on PATH; Go >= 1.26 is needed to build the control plane" >&2; exit 1; }

wanted=(etcd kube-apiserver kube-controller-manager kubectl)
missing=()
for b in "${wanted[@]}"; do [ -x "$bin_dir/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$bin_dir"
  exit 0
fi
mkdir -p "$bin_dir" "$work_dir"
started=$(date +%s)

build_kubernetes() {
  kubernetes_build "$work_dir/kubernetes-$KUBERNETES_VERSION" "$KUBERNETES_VERSION" "$bin_dir" \
    kube-apiserver kube-controller-manager kubectl
}

build_etcd() {
  [ -x "$bin_dir/etcd" ] && return
  local mod_dir="$work_dir/etcd-$ETCD_VERSION"
  mkdir -p "$mod_dir"
  cd "$mod_dir"
  printf 'module netpol-hygiene.local/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >go.mod
  echo "build-control-plane: building etcd $ETCD_VERSION" >&2
  GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$bin_dir/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$bin_dir/etcd.tmp" "$bin_dir/etcd"
}

build_etcd
build_kubernetes
echo "build-control-plane: done in $(( $(date +%s) - started ))s" >&2
echo "$bin_dir"
