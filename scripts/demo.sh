#!/usr/bin/env bash
# The main job on a real containerd: installs what it needs, starts a throwaway containerd under
# a temporary folder, seeds a realistic node, runs `eraser run` as a dry run and for real, shows
# what stayed and why, and removes everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
exec node --import tsx scripts/demo.ts "$@"
