#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from Go modules through the
# Go module proxy and caches them by version outside git. No prebuilt binary is downloaded:
# this machine reaches only the package registries.
#
# k8s.io/kubernetes pins its staging modules at v0.0.0 with replaces to ./staging, so
# `go install k8s.io/kubernetes/cmd/...@vX` fails (kubernetes/kubernetes#79384). A throw-away
# module requires k8s.io/kubernetes and replaces each staging module with its published
# v0.Y.Z; the list is read from the release's own go.mod rather than hard-coded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=control-plane-versions.env
source "$here/control-plane-versions.env"

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

build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
k8s_minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
staging_version="v0.${KUBERNETES_VERSION#v1.}"

build_kubernetes() {
  local mod_dir="$work_dir/kubernetes-$KUBERNETES_VERSION"
  mkdir -p "$mod_dir"
  cd "$mod_dir"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module netpol-hygiene.local/control-plane"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}' | sort -u |
      while read -r m; do echo "replace $m => $m $staging_version"; done
  } >go.mod
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
  GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
  local ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  for b in kube-apiserver kube-controller-manager kubectl; do
    [ -x "$bin_dir/$b" ] && continue
    echo "build-control-plane: building $b $KUBERNETES_VERSION" >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$bin_dir/$b.tmp" "$bin_dir/$b"
  done
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
