#!/usr/bin/env bash
# Installs what the browser tests need where it is missing: Debian's chromium and chromium-driver
# (the dashboard's page and the bench report are checked in headless Chromium). Needs root and
# apt-get; elsewhere it says what to install and the browser tests skip, saying why.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing chromium and chromium-driver (browser tests)" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null
else
  echo "test-deps: no chromium here and no root to install it: apt-get install chromium chromium-driver" >&2
fi
