#!/bin/sh
#  run.sh - run every libFuzzer target in DIR for SECONDS each
#
#  Usage: tests/fuzz/run.sh DIR SECONDS
#  Each target starts from its seed corpus (tests/fuzz/corpus/NAME, if any)
#  in a scratch copy; a crash leaves its input in the current directory
#  (crash-*) and fails the run.
set -eu
dir=${1:?usage: run.sh DIR SECONDS}
seconds=${2:?usage: run.sh DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
failed=0
for target in "$dir"/fuzz_*; do
    [ -x "$target" ] || continue
    name=$(basename "$target")
    mkdir -p "$scratch/$name"
    [ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$scratch/$name"/ 2>/dev/null || true
    printf '%-20s ' "$name"
    if "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        "$scratch/$name" >"$scratch/$name.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$name.log" | grep -o '[0-9]*$' || echo "?")
        echo "ok ($runs runs)"
    else
        echo "FAILED"
        tail -40 "$scratch/$name.log"
        failed=1
    fi
done
exit $failed
