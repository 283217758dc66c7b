#!/usr/bin/env bash
# bench.sh: benchmark hcconnect against the same work done by psql (`make bench`).
#
#   bench.sh [--quick] [--archived N] [--live N] [--failed-fraction F] [--runs N]
#            [--cases A,B] [--report FILE]
#   bench.sh --scale [--scale-sizes A,B,C] [--live N] [--failed-fraction F] [--runs N]
#            [--cases A,B] [--report FILE]
#
# --scale measures the read cases at 0.2M, 2M and 20M archived entries (one database grown
# in place; about 20 minutes and 20 GB of disk) and writes its own section of the report.
#
# Checks the arguments, makes sure the dependencies are there (deps.sh), builds a release
# binary, starts a throwaway PostgreSQL server in .build/pg-bench with pg_stat_statements
# preloaded and room for a large log, and runs Tests/Scripts/bench.py with the binary, the
# server's URL and the arguments. The server is stopped however the run ends. The exit
# status is bench.py's: 0 every target met, 1 one missed or a case failed, 2 usage error.
# See docs/benchmarks.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
state=.build/pg-bench
swift=${SWIFT:-swift}

# Usage errors (and --help) before the slow steps.
python3 Tests/Scripts/bench.py --check-arguments "$@"
case " $* " in
    *" -h "* | *" --help "*) exit 0 ;;
esac

bash Tests/Scripts/deps.sh

echo "==> building a release binary" >&2
# the same build as `make release` and `make install`
bin=$(SWIFT=$swift bash Tests/Scripts/release.sh)

mkdir -p .build
cleanup() { bash Tests/Scripts/pg.sh stop "$state" || true; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

echo "==> starting a throwaway PostgreSQL server" >&2
HCCONNECT_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=30min" \
    bash Tests/Scripts/pg.sh start "$state" >/dev/null
url=$(bash Tests/Scripts/pg.sh url "$state")

status=0
python3 Tests/Scripts/bench.py "$bin" "$url" "$@" || status=$?
exit "$status"
