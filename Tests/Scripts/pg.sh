#!/usr/bin/env bash
# pg.sh: a throwaway PostgreSQL server for tests.
#
#   pg.sh start STATE_DIR        initdb + start on a free port; prints the URL
#   pg.sh stop  STATE_DIR        stop the server, remove its data directory and state files
#   pg.sh url   STATE_DIR [DB]   print the URL (with DB instead of "postgres" when given)
#
# STATE_DIR (e.g. .build/pg-test) is owned by the caller and receives the files
# `datadir`, `port` and `url`. The data directory (PGDATA, also holding the Unix socket and
# server.log) is a fresh mktemp -d /tmp/hcconnect-pg.XXXXXX, owned by `postgres` when
# running as root (PostgreSQL refuses to run as root), by the current user otherwise.
# Authentication is `trust`, the server listens on 127.0.0.1 only, and durability is
# switched off (fsync, synchronous_commit, full_page_writes) for speed.
# HCCONNECT_PG_OPTIONS adds server options to `postgres` (e.g. "-c shared_buffers=1GB").
set -euo pipefail

prog=$(basename "$0")

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

usage() {
    cat >&2 <<EOF
usage: $prog start STATE_DIR
       $prog stop  STATE_DIR
       $prog url   STATE_DIR [DBNAME]
EOF
    exit 2
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# Runs a server command as the server's owner (from /, which that user can always enter).
as_owner() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# The directory holding initdb/pg_ctl. On Debian `pg_config --bindir` may report /usr/bin,
# where only the client wrappers live; the server binaries are in /usr/lib/postgresql/N/bin.
find_bindir() {
    local dir candidate best="" best_version=-1 version
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    for candidate in /usr/lib/postgresql/*/bin; do
        if [ ! -x "$candidate/initdb" ] || [ ! -x "$candidate/pg_ctl" ]; then
            continue
        fi
        version=$(basename "$(dirname "$candidate")")
        version=${version%%.*}
        case $version in
            '' | *[!0-9]*) continue ;;
            *) ;;
        esac
        if [ "$version" -gt "$best_version" ]; then
            best_version=$version
            best=$candidate
        fi
    done
    if [ -n "$best" ]; then
        printf '%s\n' "$best"
        return 0
    fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    die "cannot find the PostgreSQL server binaries (initdb, pg_ctl); run Tests/Scripts/deps.sh"
}

port_in_use() {
    # A successful connect means something listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local port tries=0
    while [ "$tries" -lt 200 ]; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40001))
        tries=$((tries + 1))
        if ! port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    die "no free TCP port found in 20000-60000"
}

read_state() {
    # read_state STATE_DIR NAME -> prints the file's content, or nothing
    local file="$1/$2"
    if [ -f "$file" ]; then
        head -n 1 "$file"
    fi
}

cmd_stop() {
    local state_dir=$1 datadir bindir
    datadir=$(read_state "$state_dir" datadir)
    if [ -n "$datadir" ] && [ -d "$datadir" ]; then
        case $datadir in
            /tmp/hcconnect-pg.*) ;;
            *) die "refusing to remove unexpected data directory '$datadir' (from $state_dir/datadir)" ;;
        esac
        if [ -f "$datadir/postmaster.pid" ]; then
            bindir=$(find_bindir)
            as_owner "$bindir/pg_ctl" stop -D "$datadir" -m fast -w -t 60 >/dev/null 2>&1 || true
        fi
        rm -rf -- "$datadir"
    fi
    rm -f -- "$state_dir/datadir" "$state_dir/port" "$state_dir/url"
}

cmd_start() {
    local state_dir=$1 bindir datadir logfile port attempt url output
    mkdir -p -- "$state_dir"
    # A previous server described by STATE_DIR is stopped first.
    cmd_stop "$state_dir"

    bindir=$(find_bindir)
    if is_root && ! id -u postgres >/dev/null 2>&1; then
        die "running as root, but there is no 'postgres' user to run the server as"
    fi

    datadir=$(mktemp -d /tmp/hcconnect-pg.XXXXXX)
    # Record it at once so that `stop` can clean up after a failed start.
    printf '%s\n' "$datadir" >"$state_dir/datadir"
    chmod 700 "$datadir"
    if is_root; then
        chown postgres: "$datadir"
    fi
    logfile="$datadir/server.log"

    if ! output=$(as_owner "$bindir/initdb" -D "$datadir" -A trust -U postgres -E UTF8 --locale=C --no-sync 2>&1); then
        printf '%s\n' "$output" >&2
        cmd_stop "$state_dir"
        die "initdb failed"
    fi

    for attempt in 1 2 3 4 5; do
        port=$(pick_port)
        if as_owner "$bindir/pg_ctl" start -D "$datadir" -w -t 60 -l "$logfile" \
            -o "-p $port -k $datadir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${HCCONNECT_PG_OPTIONS:-}" \
            >/dev/null 2>&1; then
            url="postgresql://postgres@127.0.0.1:$port/postgres"
            printf '%s\n' "$port" >"$state_dir/port"
            printf '%s\n' "$url" >"$state_dir/url"
            printf '%s\n' "$url"
            return 0
        fi
        # Most likely the port was taken in the meantime; make sure nothing is left running.
        as_owner "$bindir/pg_ctl" stop -D "$datadir" -m immediate >/dev/null 2>&1 || true
        if [ "$attempt" -eq 5 ]; then
            if [ -f "$logfile" ]; then
                tail -n 20 "$logfile" >&2
            fi
        fi
    done
    cmd_stop "$state_dir"
    die "could not start PostgreSQL (see messages above)"
}

cmd_url() {
    local state_dir=$1 db=${2:-} url
    url=$(read_state "$state_dir" url)
    [ -n "$url" ] || die "no server recorded in $state_dir (run: $prog start $state_dir)"
    if [ -n "$db" ]; then
        url="${url%/postgres}/$db"
    fi
    printf '%s\n' "$url"
}

[ $# -ge 2 ] || usage
command=$1
state_dir=$2
shift 2
case $command in
    start)
        [ $# -eq 0 ] || usage
        cmd_start "$state_dir"
        ;;
    stop)
        [ $# -eq 0 ] || usage
        cmd_stop "$state_dir"
        ;;
    url)
        [ $# -le 1 ] || usage
        cmd_url "$state_dir" "$@"
        ;;
    *)
        usage
        ;;
esac
