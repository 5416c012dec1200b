#!/usr/bin/env bash
# Installs Debian's docker-compose to validate docker-compose.yml (`docker-compose config` needs no Docker engine).
# Idempotent: when docker-compose is already installed it returns at once, without touching apt.
set -euo pipefail
if command -v docker-compose >/dev/null; then
  echo "docker-compose: $(docker-compose version --short 2>/dev/null || echo installed) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends docker-compose
