#!/usr/bin/env bash
# lanes.sh: the `swift test` arguments that run one lane of the tests, read from the suites' tags.
#
#   lanes.sh LANE        prints, for each suite outside LANE, `--skip` and a regular
#                        expression matching the suite, each on a line of its own
#
# LANE is one of
#   unit    suites tagged .unit, neither .slow nor .fault (no database, no process)
#   test    every suite that is neither .slow nor .fault (what `make test` runs)
#   slow    every suite tagged .slow but not .fault (what `make test-slow` runs)
#   faults  every suite tagged .fault (what `make test-faults` runs)
#   all     every suite
#
# The tags (Tests/TestSupport/Lanes.swift) are the single source of truth. `swift test` 6.3
# cannot select by tag (`--filter tag:unit` selects nothing), so the built test binary
# lists its suites with their tags (the event stream's experimental `_tags` field) and this
# script turns the lane into a list of suites to skip. Skipping rather than filtering leaves
# `--filter` free to narrow a lane further (make test TEST_ARGS='--filter Show').
#
# The database and process suites are nested in one parent, `IntegrationSuites` (id
# TestSupport.IntegrationSuites), so that a plain `swift test` cancels them with one line; the
# parent carries no tags and is skipped when a lane holds none of its suites (the unit lane).
#
# It also checks that every suite has exactly one lane tag (.unit, .database or .process),
# that the suites in IntegrationSuites are the database and process ones, and fails, naming
# the suites, when one is not so. Run after `swift build --build-tests`.
set -euo pipefail

prog=$(basename "$0")
die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

lane=${1:-}
case "$lane" in
    unit | test | slow | faults | all) ;;
    *) die "usage: $prog unit|test|slow|faults|all" ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
swift=${SWIFT:-swift}
binary="$("$swift" build --show-bin-path)/hcconnectPackageTests.xctest"
[ -x "$binary" ] || die "no test binary at $binary: run '$swift build --build-tests' first"

listing=$(mktemp)
trap 'rm -f "$listing"' EXIT
SWT_EXPERIMENTAL_EVENT_STREAM_FIELDS_ENABLED=1 "$binary" --testing-library swift-testing --list-tests \
    --event-stream-output-path "$listing" --event-stream-version 0 >/dev/null 2>&1 ||
    die "listing the tests failed: $binary --testing-library swift-testing --list-tests"

# The parent of the database and process suites (Tests/TestSupport/Lanes.swift).
parent=TestSupport.IntegrationSuites

# One line per suite: its id, then its tags without their dots
# ("TestSupport.IntegrationSuites/PagerTests process"; JSON writes the slash as \/).
suites=$(grep '"kind":"suite"' "$listing" | while IFS= read -r line; do
    id=$(printf '%s\n' "$line" | sed -n 's/.*"id":"\([^"]*\)","kind":"suite".*/\1/p' | sed 's|\\/|/|g')
    tags=$(printf '%s\n' "$line" | sed -n 's/.*"_tags":\[\([^]]*\)\].*/\1/p' | tr -d '".' | tr ',' ' ')
    printf '%s %s\n' "$id" "$tags"
done)
[ -n "$suites" ] || die "the test binary listed no suites"
if ! grep -qE ' (unit|database|process)' <<<"$suites"; then
    die "the test listing carries no tags (has the toolchain dropped the event stream's _tags field?)"
fi

grep -qx "$parent" <<<"$(cut -d' ' -f1 <<<"$suites")" ||
    die "the test listing has no suite $parent (Tests/TestSupport/Lanes.swift)"

bad=$(printf '%s\n' "$suites" | awk -v parent="$parent" '$1 != parent {
    n = 0; for (i = 2; i <= NF; i++) if ($i == "unit" || $i == "database" || $i == "process") n++
    if (n != 1) print "  " $0
}')
[ -z "$bad" ] || die "every suite needs exactly one of the tags .unit, .database, .process (Tests/TestSupport/Lanes.swift):
$bad"

misplaced=$(printf '%s\n' "$suites" | awk -v parent="$parent" '$1 != parent {
    inside = index($1, parent "/") == 1; unit = 0
    for (i = 2; i <= NF; i++) if ($i == "unit") unit = 1
    if (inside == unit) print "  " $0
}')
[ -z "$misplaced" ] || die "the database and process suites belong in extension IntegrationSuites { }, and only they (Tests/TestSupport/Lanes.swift):
$misplaced"

printf '%s\n' "$suites" | awk -v lane="$lane" -v parent="$parent" '
function skip(id) { gsub(/\./, "\\.", id); print "--skip"; print "^" id "(/|$)" }
$1 != parent {
    unit = slow = fault = 0
    for (i = 2; i <= NF; i++) { if ($i == "unit") unit = 1; if ($i == "slow") slow = 1; if ($i == "fault") fault = 1 }
    if (lane == "unit") keep = unit && !slow && !fault
    else if (lane == "test") keep = !slow && !fault
    else if (lane == "slow") keep = slow && !fault
    else if (lane == "faults") keep = fault
    else keep = 1
    inside = index($1, parent "/") == 1
    if (inside && keep) parentKept = 1
    n++; ids[n] = $1; kept[n] = keep; within[n] = inside
}
END {
    # A lane without any database or process suite skips their parent, and so all of them.
    if (!parentKept) skip(parent)
    for (i = 1; i <= n; i++) if (!kept[i] && !(within[i] && !parentKept)) skip(ids[i])
}'
