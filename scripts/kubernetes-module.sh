# Sourced by build-control-plane.sh and build-node.sh: the throw-away Go module that builds
# commands of k8s.io/kubernetes, shared so that both builds share one Go build cache entry set.
#
# k8s.io/kubernetes pins its staging modules at v0.0.0 with replaces to ./staging, so
# `go install k8s.io/kubernetes/cmd/...@vX` fails (kubernetes/kubernetes#79384). The module
# requires k8s.io/kubernetes and replaces each staging module with its published v0.Y.Z; the
# list is read from the release's own go.mod rather than hard-coded.

# kubernetes_module DIR VERSION: creates the module in DIR unless it is there already.
kubernetes_module() {
  local mod_dir=$1 version=$2
  [ -f "$mod_dir/go.mod" ] && grep -qE "k8s\.io/kubernetes $version( |\$)" "$mod_dir/go.mod" && return
  mkdir -p "$mod_dir"
  local gomod staging_version="v0.${version#v1.}"
  gomod=$(cd "$mod_dir" && go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module netpol-hygiene.local/control-plane"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}' | sort -u |
      while read -r m; do echo "replace $m => $m $staging_version"; done
  } >"$mod_dir/go.mod"
}

# kubernetes_ldflags VERSION: the version stamps that make `/version` and `--version` sane.
kubernetes_ldflags() {
  local version=$1 build_date minor ldflags=""
  build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  minor=$(echo "$version" | cut -d. -f2)
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  echo "$ldflags"
}

# kubernetes_build DIR VERSION OUT_DIR CMD...: builds each k8s.io/kubernetes/cmd/CMD missing from OUT_DIR.
kubernetes_build() {
  local mod_dir=$1 version=$2 out_dir=$3
  shift 3
  kubernetes_module "$mod_dir" "$version"
  local ldflags
  ldflags=$(kubernetes_ldflags "$version")
  (
    cd "$mod_dir"
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$version" >/dev/null
    for b in "$@"; do
      [ -x "$out_dir/$b" ] && continue
      echo "$(basename "$0"): building $b $version" >&2
      CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$out_dir/$b.tmp" "k8s.io/kubernetes/cmd/$b"
      mv "$out_dir/$b.tmp" "$out_dir/$b"
    done
  )
}
