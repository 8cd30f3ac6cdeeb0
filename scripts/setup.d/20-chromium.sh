#!/usr/bin/env bash
# Headless Chromium (Debian's package) for the browser tests: the printable referral sheet is printed
# to PDF and its pages counted, and the triage form is driven through Playwright (tests/
# test_server_browser.py; Playwright is pointed at /usr/bin/chromium and never downloads a browser).
# Idempotent: does nothing when chromium is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: chromium is missing; install Debian's 'chromium' package (needs root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# other installers may hold the dpkg lock: wait for it rather than fail
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
