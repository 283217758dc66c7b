#!/usr/bin/env bash
# output-compare.sh: prove that a change keeps hcconnect's output byte-identical.
#
#   output-compare.sh [BASE]      (BASE: a git revision, default HEAD)
#
# Builds hcconnect from BASE (in a temporary git worktree) and from the working
# tree, loads the demo data (Tests/Emulation/demo.sql) into a throwaway server, and runs
# every command in every output format, with good and bad input, on both binaries:
# standard output, standard error and the exit status must be equal. A command that
# changes data runs on a fresh copy of the demo database for each side, and the log
# tables after it are compared too. Ages in the output ("25m ago") move with the clock: a
# difference is run again once on both sides before it counts.
#
# Exit status: 0 all equal, 1 some differ (each shown as a diff), 2 usage or setup error.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
swift=${SWIFT:-swift}
base=${1:-HEAD}
case "$base" in
    -h | --help)
        sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
esac
if [ $# -gt 1 ]; then
    echo "output-compare.sh: one revision at most (usage: output-compare.sh [BASE])" >&2
    exit 2
fi
if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    echo "output-compare.sh: '$base' is not a git revision" >&2
    exit 2
fi

bash Tests/Scripts/deps.sh
state=.build/pg-output
work=$(mktemp -d)
worktree=$work/base
cleanup() {
    bash Tests/Scripts/pg.sh stop "$state" >/dev/null 2>&1 || true
    git worktree remove --force "$worktree" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> building $(git rev-parse --short "$base") (base) and the working tree" >&2
git worktree add --detach "$worktree" "$base" >/dev/null
(cd "$worktree" && "$swift" build --product hcconnect >/dev/null)
"$swift" build --product hcconnect >/dev/null
old="$worktree/.build/debug/hcconnect"
new="$root/.build/debug/hcconnect"

echo "==> loading the demo data" >&2
bash Tests/Scripts/pg.sh start "$state" >/dev/null
admin=$(bash Tests/Scripts/pg.sh url "$state")
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE demo_source"
source_url=$(bash Tests/Scripts/pg.sh url "$state" demo_source)
psql -X -q -v ON_ERROR_STOP=1 "$source_url" -f Tests/Emulation/hcemu.sql
psql -X -q -v ON_ERROR_STOP=1 -v quiet=1 "$source_url" -f Tests/Emulation/demo.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE demo_read TEMPLATE demo_source"
read_url=$(bash Tests/Scripts/pg.sh url "$state" demo_read)

# The demo's interesting ids (stable: demo.sql is deterministic).
q() { psql -X -q -At "$source_url" -c "$1"; }
live_failed=$(q "SELECT min(id) FROM salesforce._trigger_log WHERE state = 'FAILED' AND action = 'UPDATE'")
archived_failed=$(q "SELECT min(id) FROM salesforce._trigger_log_archive WHERE state = 'FAILED'")
success=$(q "SELECT min(id) FROM salesforce._trigger_log_archive WHERE state = 'SUCCESS'")
record=$(q "SELECT record_id FROM salesforce._trigger_log WHERE id = $live_failed")
table=$(q "SELECT table_name FROM salesforce._trigger_log WHERE id = $live_failed")

export HCCONNECT_PAGER= NO_COLOR=1 TZ=UTC
unset DATABASE_URL HEROKU_CONNECT_SCHEMA HCCONNECT_ESTIMATE_THRESHOLD

compared=0
differ=0

# run SIDE URL ARGS...: one side's stdout, stderr and status into $work/SIDE.*
run() {
    local side=$1 url=$2 binary
    shift 2
    binary=$([ "$side" = old ] && echo "$old" || echo "$new")
    set +e
    DATABASE_URL=$url "$binary" "$@" <"$work/stdin" >"$work/$side.out" 2>"$work/$side.err"
    echo "$?" >"$work/$side.status"
    set -e
}

# Times measured to the microsecond (ages in seconds, measured_at, a check's duration) are
# masked: `1083.739938` becomes `<seconds>`; everything else must be equal byte for byte.
normalize() {
    local side part
    for side in old new; do
        for part in out err; do
            sed -E 's/[0-9]+\.[0-9]{4,}/<seconds>/g' "$work/$side.$part" >"$work/$side.$part.n"
        done
    done
}

same() {
    normalize
    cmp -s "$work/old.out.n" "$work/new.out.n" && cmp -s "$work/old.err.n" "$work/new.err.n" \
        && cmp -s "$work/old.status" "$work/new.status"
}

report() {
    differ=$((differ + 1))
    echo "DIFFERS: hcconnect $*"
    diff -u --label "base status" --label "new status" "$work/old.status" "$work/new.status" || true
    for part in out err; do
        diff -u --label "base $part" --label "new $part" "$work/old.$part.n" "$work/new.$part.n" || true
    done
}

# read ARGS...: a command that only reads, on the shared copy
read_case() {
    compared=$((compared + 1))
    : >"$work/stdin"
    run old "$read_url" "$@"
    run new "$read_url" "$@"
    if ! same; then
        run old "$read_url" "$@"
        run new "$read_url" "$@"
        same || report "$@"
    fi
}

# write ARGS...: a command that changes data, on a fresh copy per side; the log tables
# after it are compared too (ids, states and values; not the times it stamped)
write_case() {
    compared=$((compared + 1))
    local side dump
    for side in old new; do
        PGOPTIONS="-c client_min_messages=warning" psql -X -q "$admin" \
            -c "DROP DATABASE IF EXISTS demo_write" -c "CREATE DATABASE demo_write TEMPLATE demo_source"
        run "$side" "$(bash Tests/Scripts/pg.sh url "$state" demo_write)" "$@"
        dump="SELECT 'live', id, state, action, table_name, record_id, \"values\" FROM salesforce._trigger_log
              UNION ALL SELECT 'archive', id, state, action, table_name, record_id, \"values\" FROM salesforce._trigger_log_archive
              ORDER BY 1, 2"
        psql -X -q -At "$(bash Tests/Scripts/pg.sh url "$state" demo_write)" -c "$dump" >>"$work/$side.out"
    done
    same || report "$@"
}

echo "==> comparing" >&2
: >"$work/stdin"
commands=$("$new" help 2>/dev/null | awk '/^  [a-z][a-z-]+ /{print $1}' | sort -u)
read_case
read_case --version
read_case help
for command in $commands; do
    read_case help "$command"
    read_case "$command" --help
done
read_case help no-such-command
read_case no-such-command
read_case --no-such-option

for format in table json csv; do
    read_case stats --format "$format"
    read_case stats --brief --format "$format"
    read_case stats --exact --format "$format"
    read_case tables --format "$format"
    read_case failed --format "$format"
    read_case failed --table "$table" --format "$format"
    read_case failed --in archive --limit 2 --format "$format"
    read_case list --limit 20 --format "$format"
    read_case list --state SUCCESS --since 30d --format "$format"
    read_case errors --format "$format"
    read_case trend --format "$format"
    read_case trend --by day --since 14d --per-table --format "$format"
    read_case trend --table "$table" --code UNABLE_TO_LOCK_ROW --since 3d --format "$format"
    read_case show "$live_failed" --format "$format"
    read_case show "$success" --format "$format"
    read_case related "$live_failed" --format "$format"
    read_case history "$table" "$record" --format "$format"
    read_case check --format "$format"
    read_case check --max-failed 3 --max-backlog-age 1m --format "$format"
done
read_case failed --format ids
read_case check --format prometheus
read_case check --max-failed 3 --format prometheus
read_case export --format json
read_case export --format csv
read_case export --state FAILED --format json
for command in retry ignore; do
    read_case "$command" --failed --dry-run
    read_case "$command" --failed --dry-run --format json
    read_case "$command" "$live_failed" "$archived_failed" --dry-run
done
read_case retry --failed --write-mode ordered --dry-run
read_case retry --failed --write-mode ordered --dry-run --format json
read_case cleanup --retry-matching UNABLE_TO_LOCK_ROW --ignore-older-than 7d --dry-run
read_case capture-update account 3 --fields Name,BillingCity --dry-run

# bad input
read_case show
read_case show abc
read_case show 999999999
read_case failed --limit -1
read_case failed --format xml
read_case failed --table no_such_table
read_case failed --since yesterday
read_case list --state NOPE
read_case trend --by week
read_case trend --since yesterday
read_case trend --since 100w
read_case trend --table no_such_table
read_case check --max-failed x
read_case retry
read_case retry abc
read_case retry --failed --write-mode sideways --dry-run
read_case ignore --failed
read_case capture-update
read_case capture-update no_such_table 1
read_case --schema no_such_schema stats
read_case --retries 0 --database-url postgresql://nobody:secret@127.0.0.1:1/x stats

# changes
write_case retry "$live_failed"
write_case retry "$archived_failed"
write_case retry --failed --yes
write_case retry --failed --yes --format json
write_case retry --failed --write-mode ordered --yes
write_case retry --failed --in archive --write-mode ordered --yes --format json
write_case ignore --failed --yes
write_case ignore "$live_failed" --format json
write_case capture-update account 3 --fields Name,BillingCity
write_case capture-insert account 3
write_case cleanup --retry-matching UNABLE_TO_LOCK_ROW --ignore-older-than 7d --yes

echo "==> $compared commands compared, $differ differ" >&2
[ "$differ" -eq 0 ]
