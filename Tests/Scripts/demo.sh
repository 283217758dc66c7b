#!/usr/bin/env bash
# demo.sh: build hcconnect as users get it (release, ./bin/hcconnect), start a demo
# database with realistic sync failures (or reuse the one a previous run left running),
# and show what hcconnect makes of it. The server keeps running for you to explore; stop
# it with `make demo-stop`.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
state=.build/pg-demo
swift=${SWIFT:-swift}

echo "==> building hcconnect (release: the binary users get)"
release=$(SWIFT="$swift" bash Tests/Scripts/release.sh)
mkdir -p bin
install -m 755 "$release" bin/hcconnect
bin=$root/bin/hcconnect

# A demo server that is still running is reused, with its port and its database as they
# were left: `make demo-stop` then `make demo` starts afresh.
mkdir -p .build
if admin_url=$(bash Tests/Scripts/pg.sh url "$state" 2>/dev/null) \
    && psql -X -q -At "$admin_url" -c 'SELECT 1' >/dev/null 2>&1; then
    echo "==> reusing the running demo PostgreSQL server on port $(cat "$state/port")"
else
    echo "==> starting a demo PostgreSQL server with an emulated Heroku Connect schema"
    bash Tests/Scripts/pg.sh start "$state" >/dev/null
    admin_url=$(bash Tests/Scripts/pg.sh url "$state")
fi
url=$(bash Tests/Scripts/pg.sh url "$state" hcconnect_demo)
if [ "$(psql -X -q -At "$admin_url" -c "SELECT count(*) FROM pg_database WHERE datname = 'hcconnect_demo'")" = 1 ]; then
    echo "    its database hcconnect_demo is kept as it was left (make demo-stop, then make demo, starts afresh)"
else
    psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE hcconnect_demo"
    psql -X -q -v ON_ERROR_STOP=1 "$url" -f Tests/Emulation/hcemu.sql
    psql -X -q -v ON_ERROR_STOP=1 -v quiet=1 "$url" -f Tests/Emulation/demo.sql >/dev/null
fi
export DATABASE_URL=$url
# the demo's own output is short: no pager in between
export HCCONNECT_PAGER=

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

hcconnect is ./bin/hcconnect (a release build). The demo database is still running. To
explore it:
  export PATH="$root/bin:\$PATH" DATABASE_URL=$url
  hcconnect help
  hcconnect related $first
  hcconnect tables
  hcconnect console        # the live triage console: look, then repair (? lists the keys)
  hcconnect trend --by day --per-table   # failures per day, a chart per table
  hcconnect check --max-failed 10 --max-backlog-age 15m; echo \$?
  hcconnect cleanup --retry-matching UNABLE_TO_LOCK_ROW --ignore-older-than 7d --dry-run
  hcconnect ignore --failed --code DUPLICATE_VALUE        # asks first, showing what it will change
  hcconnect export --state FAILED | head -3
  hcconnect watch          # in a second terminal: psql "\$DATABASE_URL" -c "UPDATE salesforce._trigger_log SET state = 'FAILED' WHERE state = 'NEW'"
  hcconnect retry --failed --in archive --write-mode ordered --dry-run
  hcconnect capture-update account 3 --fields Name,BillingCity
Stop it with: make demo-stop (a second make demo reuses it)
MESSAGE
