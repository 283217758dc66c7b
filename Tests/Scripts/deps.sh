#!/usr/bin/env bash
# deps.sh: make sure the build and test dependencies are present (Debian/Ubuntu).
#
#   deps.sh           install what is missing (as root), or say how (otherwise)
#   deps.sh --check   only check; exit 1 and say what is missing
#
# Needs: the Debian packages libpq-dev (libpq + headers, for the CLibPQ module),
# libcurl4-openssl-dev (libcurl + headers, for the CLibCurl module), postgresql (the
# server binaries, for Tests/Scripts/pg.sh), pkg-config (SwiftPM finds libpq and libcurl
# through it), zsh (the tests load the zsh completion script into it; bash is always
# there) and tmux (the terminal the full-screen tests drive, TmuxTerminal), and a Swift
# toolchain on PATH. Quiet when everything is present.
set -euo pipefail

prog=$(basename "$0")
packages=(libpq-dev libcurl4-openssl-dev postgresql pkg-config zsh tmux)

usage() {
    echo "usage: $prog [--check]" >&2
    exit 2
}

check_only=false
case ${1:-} in
    '') ;;
    --check) check_only=true ;;
    -h | --help) usage ;;
    *) usage ;;
esac
[ $# -le 1 ] || usage

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "$prog: dpkg-query not found: this script supports Debian and Ubuntu only." >&2
    echo "$prog: install libpq and libcurl (with headers and their pkg-config files), the PostgreSQL server, pkg-config, zsh and tmux by hand." >&2
    exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
    if ! installed "$pkg"; then
        missing+=("$pkg")
    fi
done

status=0
if [ ${#missing[@]} -gt 0 ]; then
    if $check_only; then
        echo "$prog: missing packages: ${missing[*]}" >&2
        echo "$prog: install them with: sudo apt-get install ${missing[*]}" >&2
        status=1
    elif [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade "${missing[@]}" >/dev/null
        for pkg in "${missing[@]}"; do
            if ! installed "$pkg"; then
                echo "$prog: failed to install $pkg" >&2
                status=1
            fi
        done
    else
        echo "$prog: missing packages: ${missing[*]}" >&2
        echo "sudo apt-get install ${missing[*]}" >&2
        status=1
    fi
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "$prog: 'swift' is not on PATH: install a Swift 6 toolchain (https://www.swift.org/install/linux/)" >&2
    echo "$prog: and add its usr/bin directory to PATH." >&2
    status=1
fi

exit "$status"
