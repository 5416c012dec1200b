#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the PostgreSQL read store's tests (Debian/Ubuntu, root). The tests start
# their own throwaway cluster from these binaries (test/support/postgres.ts); the package's own cluster is not used.
# Idempotent: when a server is already installed it returns at once, without touching apt.
set -euo pipefail
if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "postgresql: $(ls /usr/lib/postgresql | sort -n | tail -1) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends postgresql
