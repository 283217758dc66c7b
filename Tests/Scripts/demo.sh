#!/usr/bin/env bash
# demo.sh: build hcconnect, start a demo database with realistic sync failures, and show
# what hcconnect makes of it. The server keeps running for you to explore; stop it with
# `make demo-stop`.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
state=.build/pg-demo
swift=${SWIFT:-swift}

echo "==> building hcconnect"
"$swift" build --product hcconnect
bin=$("$swift" build --show-bin-path)/hcconnect

echo "==> starting a demo PostgreSQL server with an emulated Heroku Connect schema"
mkdir -p .build
bash Tests/Scripts/pg.sh start "$state" >/dev/null
admin_url=$(bash Tests/Scripts/pg.sh url "$state")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE hcconnect_demo"
url=$(bash Tests/Scripts/pg.sh url "$state" hcconnect_demo)
psql -X -q -v ON_ERROR_STOP=1 "$url" -f Tests/Emulation/hcemu.sql
psql -X -q -v ON_ERROR_STOP=1 -v quiet=1 "$url" -f Tests/Emulation/demo.sql >/dev/null
export DATABASE_URL=$url

echo
echo "\$ hcconnect stats"
"$bin" stats
echo
echo "\$ hcconnect errors"
"$bin" errors
echo
echo "\$ hcconnect failed"
"$bin" failed
first=$("$bin" failed --in live --action UPDATE --format ids --limit 1)
echo
echo "\$ hcconnect show $first"
"$bin" show "$first"
echo
echo "\$ hcconnect retry --failed --write-mode ordered --dry-run"
"$bin" retry --failed --write-mode ordered --dry-run || true   # exit 1: some would be left alone
echo
echo "\$ hcconnect retry $first"
"$bin" retry "$first"
cat <<MESSAGE

The demo database is still running. To explore it:
  export DATABASE_URL=$url
  $bin help
  $bin related $first
  $bin tables
  $bin check --max-failed 10 --max-backlog-age 15m; echo \$?
  $bin cleanup --retry-matching UNABLE_TO_LOCK_ROW --ignore-older-than 7d --dry-run
  $bin export --state FAILED | head -3
  $bin watch          # in a second terminal: psql "\$DATABASE_URL" -c "UPDATE salesforce._trigger_log SET state = 'FAILED' WHERE state = 'NEW'"
  $bin retry --failed --in archive --write-mode ordered --dry-run
  $bin capture-update account 3 --fields Name,BillingCity
Stop it with: make demo-stop
MESSAGE
