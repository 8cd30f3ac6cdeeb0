#!/usr/bin/env bash
# The independent FHIR check used by tests/fhir/test_fhir_validator.py: FHIR.js (the npm package `fhir`),
# pinned in tools/fhir-validator/package-lock.json and installed under tools/fhir-validator/node_modules
# (never globally). Node.js and npm come from Debian's packages when missing. Idempotent: quick when the
# pinned version is already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=tools/fhir-validator

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" != "0" ]; then
        echo "fhir-validator: node and npm are missing; install Debian's nodejs and npm packages" >&2
        exit 1
    fi
    echo "fhir-validator: installing Debian's nodejs and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

want=$(node -p "require('./$dir/package-lock.json').packages['node_modules/fhir'].version")
have=$(node -p "try { require('./$dir/node_modules/fhir/package.json').version } catch (e) { '' }")
if [ "$have" = "$want" ]; then
    exit 0
fi
echo "fhir-validator: installing fhir@$want into $dir/node_modules"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
