#!/usr/bin/env bash
# A Java runtime (17 or newer, Debian's package) for PySpark, which tests/sql/test_sql_spark.py runs in local
# mode. Idempotent: does nothing when java is on the PATH.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: java is missing; install Debian's 'openjdk-17-jre-headless' package (needs root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
command -v java >/dev/null
