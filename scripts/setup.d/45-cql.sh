#!/usr/bin/env bash
# Engines we did not write, for tests/cql/test_cql_agreement.py and tests/fhir/test_lforms.py: the reference CQL
# engine (cql-execution), the HL7 CQL-to-ELM translator (@cqframework/cql) and NLM's LHC-Forms (lforms),
# pinned in tools/cql/package-lock.json and installed under tools/cql/node_modules (never globally).
# Node.js and npm come from Debian's packages when missing. Idempotent: quick and quiet when the pinned
# versions are already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=tools/cql

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" != "0" ]; then
        echo "cql: node and npm are missing; install Debian's nodejs and npm packages" >&2
        exit 1
    fi
    echo "cql: installing Debian's nodejs and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

# installed when every pinned top-level package is present at its locked version
installed=$(node -e "
const lock = require('./$dir/package-lock.json');
const ok = Object.keys(lock.packages[''].dependencies).every((name) => {
  try {
    return require('./$dir/node_modules/' + name + '/package.json').version === lock.packages['node_modules/' + name].version;
  } catch (e) { return false; }
});
process.stdout.write(ok ? 'yes' : 'no');
")
if [ "$installed" = "yes" ]; then
    exit 0
fi
echo "cql: installing cql-execution, @cqframework/cql and lforms into $dir/node_modules"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
