#!/usr/bin/env bash
# Creates a seeded Tryton SQLite database for Revtrail's integration tests and the demo:
#   scripts/tryton/seed.sh DIR [DBNAME=revtrail] [YEAR=2026] [PASSWORD=admin]
# Writes DIR/trytond.conf (SQLite files in DIR) and DIR/DBNAME.sqlite, and prints the record ids as JSON (the last
# line on stdout). Serve it with `TRYTOND_WEB__LISTEN=127.0.0.1:PORT trytond -c DIR/trytond.conf`: the conf file leaves
# [web] out on purpose, because trytond reads TRYTOND_* variables first and lets the conf file override them.
# Needs the Debian packages: scripts/tryton/install.sh.
set -euo pipefail
dir=$(realpath -m "${1:?usage: seed.sh DIR [DBNAME] [YEAR] [PASSWORD]}")
db=${2:-revtrail}
year=${3:-2026}
password=${4:-admin}
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$dir"
cat >"$dir/trytond.conf" <<CONF
[database]
uri = sqlite://
path = $dir
[session]
# Idle sessions otherwise expire after 300 s; the connector re-logs in on a 401 anyway.
timeout = 3600
CONF
rm -f "$dir/$db.sqlite"
# trytond-admin needs the SQLite file to exist, and --email when it runs without a terminal.
touch "$dir/$db.sqlite"
printf '%s\n' "$password" >"$dir/admin-password"
export TRYTONPASSFILE="$dir/admin-password"
trytond-admin -c "$dir/trytond.conf" -d "$db" --all --email admin@example.com >&2
trytond-admin -c "$dir/trytond.conf" -d "$db" -u account --activate-dependencies >&2
# Debian's interpreter explicitly: proteus is not importable from a pyenv python3 earlier on PATH.
/usr/bin/python3 "$here/setup_ledger.py" "$dir/trytond.conf" "$db" "$year"
