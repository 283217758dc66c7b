#!/usr/bin/env bash
# test.sh: run the tests, or one lane of them, against a throwaway PostgreSQL server.
#
#   test.sh [--lane unit|test|slow|faults|all] [SWIFT TEST ARGUMENTS...]
#
# Starts a server (Tests/Scripts/pg.sh), creates the test database with hstore and the
# Heroku Connect emulation, runs the emulation's SQL self test, builds, and runs the Swift
# tests of the lane (default all; Tests/Scripts/lanes.sh says which suites each holds) with
# HCCONNECT_TEST_DATABASE_URL pointing at the database. The server is stopped however the
# run ends. The unit lane needs no server: none is started and the URL is not set, which
# also proves its suites need none. Extra arguments go to `swift test` (e.g. --filter Show).
set -euo pipefail

lane=all
if [ "${1:-}" = --lane ]; then
    lane=${2:?--lane needs unit, test, slow, faults or all}
    shift 2
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
state=.build/pg-test
swift=${SWIFT:-swift}

mkdir -p .build

if [ "$lane" = unit ]; then
    echo "==> building"
    "$swift" build --build-tests
    skip_lines=$(bash Tests/Scripts/lanes.sh unit)
    mapfile -t skips <<<"$skip_lines"
    echo "==> running the unit lane (no database)"
    env -u HCCONNECT_TEST_DATABASE_URL "$swift" test --skip-build "${skips[@]}" "$@"
    exit
fi

cleanup() { bash Tests/Scripts/pg.sh stop "$state" || true; }
trap cleanup EXIT INT TERM

echo "==> starting a throwaway PostgreSQL server"
bash Tests/Scripts/pg.sh start "$state" >/dev/null
admin_url=$(bash Tests/Scripts/pg.sh url "$state")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE hcconnect_test"
url=$(bash Tests/Scripts/pg.sh url "$state" hcconnect_test)

echo "==> loading the Heroku Connect emulation and running its self test"
psql -X -q -v ON_ERROR_STOP=1 "$url" -f Tests/Emulation/hcemu.sql
psql -X -q -v ON_ERROR_STOP=1 "$url" -f Tests/Emulation/selftest.sql >/dev/null

echo "==> building"
"$swift" build --build-tests

# The tests run with a password in the URL (the server's trust authentication ignores it),
# random for each run: every run of hcconnect in the tests is checked for it, so a password
# that reaches any output, error or event line fails the test that printed it.
password="hc-pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
url_with_password="postgresql://postgres:$password@${url#postgresql://postgres@}"

skip_lines=$(bash Tests/Scripts/lanes.sh "$lane")
skips=()
[ -z "$skip_lines" ] || mapfile -t skips <<<"$skip_lines"
echo "==> running the tests (lane $lane)"
HCCONNECT_TEST_DATABASE_URL=$url_with_password "$swift" test --skip-build "${skips[@]}" "$@"
