#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages (a browser, a Node.js validator, ...).
# Each part is a script in scripts/setup.d/, run in name order; each must be idempotent and quick
# when its tool is already present.
set -euo pipefail
cd "$(dirname "$0")/.."
for part in scripts/setup.d/*.sh; do
    [ -e "$part" ] || continue
    bash "$part"
done
