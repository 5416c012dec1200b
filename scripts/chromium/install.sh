#!/usr/bin/env bash
# Installs Debian's chromium for the console's browser tests (test/console, driven by playwright-core: no browser
# download). Idempotent: when chromium is already installed it returns at once, without touching apt.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
