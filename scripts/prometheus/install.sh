#!/usr/bin/env bash
# Installs Debian's prometheus package for promtool, which checks and unit-tests deploy/prometheus/alerts.yml in CI.
# Idempotent: when promtool is already installed it returns at once, without touching apt.
set -euo pipefail
if command -v promtool >/dev/null; then
  echo "promtool: $(promtool --version 2>&1 | head -n 1) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends prometheus
