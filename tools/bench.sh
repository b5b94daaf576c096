#!/bin/sh
#  bench.sh - the standard load scenario behind `make bench`
#
#  For 1 and then 2 validators: start a fresh regtest node (one miner, one
#  block per second), wait for spendable coins, then run zchain bench twice:
#    - flat out: 60,000 pre-signed transactions, as fast as the window allows
#    - paced:    60,000 at an offered 8,000 tx/s, for latency at a steady load
#  and write the figures, with the machine's CPU, to docs/benchmarks.md
#  (between the BENCH markers). Usage: tools/bench.sh [BUILD_DIR]
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
zchain="$here/$build/bin/zchain"
txs=${BENCH_TXS:-60000}
rate=${BENCH_RATE:-8000}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_node () {
    validators=$1
    dir=$(mktemp -d /tmp/zc-bench-XXXXXX)
    "$zchain" --datadir "$dir" up --validators "$validators" --miners 1 --block-interval 1000 \
        --http 127.0.0.1:17880 --metrics 127.0.0.1:17890 > "$dir/up.log" 2>&1 &
    up=$!
    i=0
    until h=$("$zchain" --datadir "$dir" --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p') \
          && [ -n "$h" ] && [ "$h" -ge 25 ]; do
        i=$((i + 1))
        [ $i -gt 600 ] && { echo "bench: the node did not start (see $dir/logs)" >&2; kill $up; exit 1; }
        sleep 0.2
    done
    echo "== $validators validator(s): flat out" >&2
    flat=$("$zchain" --datadir "$dir" --json bench --txs "$txs" --accounts 100 --verify)
    echo "$flat" >&2
    echo "== $validators validator(s): paced at $rate tx/s" >&2
    paced=$("$zchain" --datadir "$dir" --json bench --txs "$txs" --accounts 100 --rate "$rate")
    echo "$paced" >&2
    rss=$(for p in $(pgrep -f "$dir/run"); do
              printf '%s %s\n' "$(tr '\0' ' ' < /proc/$p/cmdline | sed -n 's/.*--instance \([^ ]*\).*/\1/p')" \
                               "$(awk '/VmRSS/ {print $2}' /proc/$p/status)"; done | sort | tr '\n' ';')
    kill -INT $up; wait $up || true
    rm -rf "$dir"
    printf '%s|%s|%s|%s\n' "$validators" "$flat" "$paced" "$rss" >> "$out"
}

field () { echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
lat () { echo "$1" | sed -n "s/.*\"$2\":{\"p50\":\([0-9.]*\),\"p90\":\([0-9.]*\),\"p99\":\([0-9.]*\),\"max\":\([0-9.]*\)}.*/\1 \/ \2 \/ \3 \/ \4/p"; }

run_node 1
run_node 2

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cores=$(nproc)
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
table=$(mktemp)
{
    echo "<!-- BENCH:BEGIN (written by tools/bench.sh; do not edit by hand) -->"
    echo "Measured $(date -u +%Y-%m-%d) on $cpu, $cores cores, commit $commit, with"
    echo "\`make bench\` ($txs transactions, 100 accounts, batches of 500, one miner, one block a second)."
    echo
    echo "| validators | run | offered tx/s | accepted tx/s | confirmed tx/s | rejected | accept p50/p90/p99/max s | confirm p50/p90/p99/max s |"
    echo "|---|---|---:|---:|---:|---:|---|---|"
    while IFS='|' read -r v flat paced rss; do
        for kind in flat paced; do
            j=$flat; [ $kind = paced ] && j=$paced
            echo "| $v | $kind | $(field "$j" offered_tps) | $(field "$j" accept_tps) | $(field "$j" confirm_tps) | $(field "$j" rejected) | $(lat "$j" accept_latency) | $(lat "$j" confirm_latency) |"
        done
    done < "$out"
    echo
    echo "Resident memory after both runs (kB), per service:"
    echo
    while IFS='|' read -r v flat paced rss; do
        echo "- $v validator(s): $(echo "$rss" | sed 's/;$//; s/;/, /g')"
    done < "$out"
    echo "<!-- BENCH:END -->"
} > "$table"
doc="$here/docs/benchmarks.md"
if [ -f "$doc" ] && grep -q 'BENCH:BEGIN' "$doc"; then
    awk -v table="$table" '
        /BENCH:BEGIN/ { while ((getline line < table) > 0) print line; skip = 1; next }
        /BENCH:END/ { skip = 0; next }
        !skip { print }' "$doc" > "$doc.new" && mv "$doc.new" "$doc"
else
    cat "$table" >> "$doc"
fi
rm -f "$table"
echo "bench: figures written to docs/benchmarks.md" >&2
