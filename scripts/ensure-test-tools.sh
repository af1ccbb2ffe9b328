#!/usr/bin/env bash
# Installs, when missing, the machine's tools that `npm test` uses beyond `npm ci` and Go: each
# from Debian's packages through apt-get, as root. Not root: says which packages to install and
# stops, so no test is ever skipped for a missing tool.
set -euo pipefail

# command → the Debian package that provides it
declare -A wanted=(
  [chromium]=chromium # the HTML report is checked in a real headless browser
)

missing=()
for command in "${!wanted[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${wanted[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-tools: npm test needs these Debian packages, which are missing: ${missing[*]}" >&2
  echo "ensure-test-tools: install them as root (apt-get install -y ${missing[*]}) and run npm test again" >&2
  exit 1
fi
echo "ensure-test-tools: installing ${missing[*]} (apt-get, as root)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
