#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the system packages the test bed needs
# (containerd, runc, a registry, skopeo), the npm dependencies, then type-checks, lints and runs
# every test. Tests start their own containerd and registry on loopback and stop them after.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run typecheck
npm run lint
npm test
