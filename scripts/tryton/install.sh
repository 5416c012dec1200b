#!/usr/bin/env bash
# Installs the real ERP and ledger tools the posting connectors' integration tests run against (Debian/Ubuntu, root).
# --no-install-recommends: tryton-server otherwise recommends LibreOffice and PostgreSQL (~390 packages, not ~25).
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends tryton-server tryton-modules-account tryton-proteus hledger
