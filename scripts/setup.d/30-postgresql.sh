#!/usr/bin/env bash
# PostgreSQL server binaries (Debian's package) for tests/sql/test_sql_postgres.py, which starts a throwaway
# cluster in a temporary folder on a loopback port, runs the generated PostgreSQL query there, and stops
# it again; the cluster the package may set up for itself is not used. Idempotent: does nothing
# when initdb and pg_ctl are present.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: PostgreSQL is missing; install Debian's 'postgresql' package (needs root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# other installers may hold the dpkg lock: wait for it rather than fail
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends postgresql >/dev/null
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
