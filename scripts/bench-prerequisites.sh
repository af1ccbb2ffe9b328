#!/usr/bin/env bash
# Before a bench: the image runs node on jemalloc (Dockerfile, Debian's libjemalloc2), and the
# benches measure the servers as the image runs them (bench/image-runtime.ts). Installs the
# same Debian package when it is missing and this is a Debian machine we may change (root,
# apt-get); otherwise says so, and the bench runs the servers on glibc's malloc with a note.
set -euo pipefail

library="/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2"
[ -e "$library" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench: installing libjemalloc2, the image's allocator (apt-get install libjemalloc2)"
  # A failed install is not the bench's failure: it falls through to the note below.
  apt-get install -y --no-install-recommends libjemalloc2 >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends libjemalloc2 >/dev/null 2>&1; } \
    || true
  [ -e "$library" ] && exit 0
fi
echo "bench: $library is missing (apt-get install libjemalloc2): the servers will run on glibc's malloc, not the image's jemalloc" >&2
