#!/usr/bin/env bash
# release.sh: build the optimised hcconnect binary (`make release`, `make install`,
# `make bench`) and print its path on stdout.
#
#   release.sh
#
# Start-up is most of a cron check's own time, so the binary is linked for a quick start:
#
# - The Swift runtime is linked in (--static-swift-stdlib) instead of loaded from a dozen
#   shared libraries.
# - So is the C++ runtime the Swift runtime needs. The toolchain asks for -lstdc++, which
#   would load libstdc++.so and its 4,000 symbol relocations at every start (about 0.6 ms, more
#   than the rest of the dynamic loading the binary adds). A linker script named
#   libstdc++.so, found first on the library path, hands the linker the static archive
#   instead; its symbols stay private to the binary (the toolchain links with
#   --exclude-libs ALL). Without the archive the build falls back to the shared library.
#
# Package.swift adds the compiler flag for release builds that makes generic types'
# metadata come from direct calls rather than from demangling their names at run time.
set -euo pipefail

if [ $# -ne 0 ]; then
    echo "usage: $(basename "$0")   (no arguments; SWIFT names the swift binary)" >&2
    exit 2
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
swift=${SWIFT:-swift}
flags=()

archive=
for cc in clang gcc; do
    command -v "$cc" >/dev/null || continue
    archive=$("$cc" -print-file-name=libstdc++.a 2>/dev/null || true)
    [ -f "$archive" ] && break
done
if [ -n "$archive" ] && [ -f "$archive" ]; then
    dir=.build/static-libstdc++
    mkdir -p "$dir"
    script="INPUT($archive)"
    # rewritten only when it changes, so that an unchanged build stays a no-op
    [ "$(cat "$dir/libstdc++.so" 2>/dev/null)" = "$script" ] || printf '%s\n' "$script" >"$dir/libstdc++.so"
    flags=(-Xswiftc "-L$root/$dir")
else
    echo "release.sh: no libstdc++.a (clang or gcc -print-file-name); linking the shared libstdc++" >&2
fi

"$swift" build -c release --product hcconnect --static-swift-stdlib "${flags[@]}" >&2
echo "$("$swift" build -c release --show-bin-path)/hcconnect"
