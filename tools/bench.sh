#!/bin/sh
#  bench.sh - the standard load scenario behind `make bench`
#
#  For 1 and then 2 validators: start a fresh regtest node (one miner, one
#  block per second, the metrics sidecar), wait for spendable coins, then
#  run zchain bench twice:
#    - flat out: 100,000 pre-signed transactions, as fast as the window
#      allows (with 2 validators five times: the targets take the median).
#      100,000 as in issue 14's own measure: in a shorter run the wait for
#      the first and the last block is a larger part of the timed span
#    - paced:    60,000 at an offered 8,000 tx/s, for latency at a steady load
#  each with the node's CPU per confirmed transaction from the sidecar, as a
#  multiple of one BIP340 verification measured in the same run. On the
#  2-validator node then a sweep of offered rates up to saturation
#  (zchain bench --sweep), for the highest rate whose p99 confirmation stays
#  under 2 s. The figures, the issue's targets next to them and the
#  machine's CPU go to docs/benchmarks.md (between the BENCH markers), the
#  sweep's plot to docs/bench-sweep.svg and its HTML report (the table, the
#  plot, each step's throughput and latency charts) to docs/bench-report.html.
#
#  Usage: tools/bench.sh [BUILD_DIR]
#  Environment: BENCH_TXS (100000), BENCH_PACED_TXS (60000), BENCH_RATE (8000), BENCH_SWEEP (rates,
#  2000..40000), BENCH_SWEEP_STEP (2000), BENCH_SWEEP_SECONDS (6),
#  BENCH_HTTP_PORT (17880), BENCH_METRICS_PORT (17890).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
zchain="$here/$build/bin/zchain"
txs=${BENCH_TXS:-100000}
paced_txs=${BENCH_PACED_TXS:-60000}
flat_runs=${BENCH_FLAT_RUNS:-5}         #  2-validator flat runs; the targets take their median
rate=${BENCH_RATE:-8000}
sweep_rates=${BENCH_SWEEP:-2000..40000}
sweep_step=${BENCH_SWEEP_STEP:-2000}
sweep_seconds=${BENCH_SWEEP_SECONDS:-6}
http_port=${BENCH_HTTP_PORT:-17880}
metrics_port=${BENCH_METRICS_PORT:-17890}
metrics="http://127.0.0.1:$metrics_port"
p99_cap=2
work=$(mktemp -d /tmp/zc-bench-out-XXXXXX)
out="$work/runs"
up=
dir=
#  whatever happens, the node stops and the temporary files go
cleanup () {
    if [ -n "$up" ]; then
        kill -INT "$up" 2>/dev/null || true
        wait "$up" 2>/dev/null || true
    fi
    [ -n "$dir" ] && rm -rf "$dir"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$(date +%s)

run_node () {
    validators=$1
    dir=$(mktemp -d /tmp/zc-bench-XXXXXX)
    "$zchain" --datadir "$dir" up --validators "$validators" --miners 1 --block-interval 1000 \
        --http "127.0.0.1:$http_port" --metrics "127.0.0.1:$metrics_port" > "$dir/up.log" 2>&1 &
    up=$!
    i=0
    until h=$("$zchain" --datadir "$dir" --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p') \
          && [ -n "$h" ] && [ "$h" -ge 25 ]; do
        i=$((i + 1))
        if [ $i -gt 600 ] || ! kill -0 "$up" 2>/dev/null; then
            echo "bench: the node did not start:" >&2
            tail -5 "$dir/up.log" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "== $validators validator(s): flat out" >&2
    flat=$("$zchain" --datadir "$dir" --json bench --txs "$txs" --accounts 100 --verify --metrics "$metrics")
    echo "$flat" >&2
    echo "== $validators validator(s): paced at $rate tx/s" >&2
    paced=$("$zchain" --datadir "$dir" --json bench --txs "$paced_txs" --accounts 100 --rate "$rate" --metrics "$metrics")
    echo "$paced" >&2
    if [ "$validators" -eq 2 ]; then
        #  the targets' run, again and again: a shared host's CPU moves by
        #  10 to 20 % from one minute to the next (one make bench's three
        #  runs read 1.72, 1.83 and 1.97 x), and a median of five moves
        #  less with one bad minute than a median of three
        echo "$flat" > "$work/flat2"
        for again in $(seq 2 "$flat_runs"); do
            echo "== $validators validator(s): flat out, run $again of $flat_runs" >&2
            more=$("$zchain" --datadir "$dir" --json bench --txs "$txs" --accounts 100 --metrics "$metrics")
            echo "$more" >&2
            echo "$more" >> "$work/flat2"
        done
        echo "== $validators validator(s): sweep $sweep_rates (steps of $sweep_step tx/s, $sweep_seconds s each)" >&2
        "$zchain" --datadir "$dir" bench --sweep "$sweep_rates" --sweep-step "$sweep_step" \
            --sweep-seconds "$sweep_seconds" --p99-cap "$p99_cap" --accounts 100 --metrics "$metrics" \
            --plot "$work/sweep.svg" --report "$work/report.html" > "$work/sweep.md"
        cat "$work/sweep.md" >&2
    fi
    rss=$(for p in $(pgrep -f "$dir/run"); do
              printf '%s %s\n' "$(tr '\0' ' ' < /proc/$p/cmdline | sed -n 's/.*--instance \([^ ]*\).*/\1/p')" \
                               "$(awk '/VmRSS/ {print $2}' /proc/$p/status)"; done | sort | tr '\n' ';')
    kill -INT $up; wait $up || true
    up=
    rm -rf "$dir"
    dir=
    printf '%s|%s|%s|%s\n' "$validators" "$flat" "$paced" "$rss" >> "$out"
}

#  "key":number out of a JSON line (the last such key; keys here are unique)
field () { echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
lat () { echo "$1" | sed -n "s/.*\"$2\":{\"p50\":\([0-9.]*\),\"p90\":\([0-9.]*\),\"p99\":\([0-9.]*\),\"max\":\([0-9.]*\)}.*/\1 \/ \2 \/ \3 \/ \4/p"; }
#  the "cpu" object's per-service multiples, as "service x.xx, ..."
services () {
    echo "$1" | sed -n 's/.*"by_service":{\([^}]*\)}.*/\1/p' | tr ',' '\n' \
        | awk -F: '{ gsub (/"/, "", $1); printf "%s%s %.2f", (NR > 1 ? ", " : ""), $1, $2 }'
}
#  storage + mempool, in verifications per transaction (nothing when unknown;
#  these helpers succeed either way, so that set -e lets a missing figure by)
store_pool () {
    s=$(field "$1" storage); m=$(field "$1" mempool)
    if [ -n "$s" ] && [ -n "$m" ]; then awk -v s="$s" -v m="$m" 'BEGIN { printf "%.2f", s + m }'; fi
}
#  "met" when value OP limit holds (OP: le, ge, lt), "not met" otherwise,
#  "not measured" without a value
verdict () {
    if [ -z "$1" ]; then echo "not measured"; return; fi
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        ok = (op == "le" && v <= l) || (op == "ge" && v >= l) || (op == "lt" && v < l)
        print ok ? "**met**" : "**not met**" }'
}
round2 () { if [ -n "$1" ]; then awk -v v="$1" 'BEGIN { printf "%.2f", v }'; fi; }
#  the median of the numbers on stdin, one a line (nothing without any)
median () { sort -g | awk '{ v [NR] = $1 } END { if (NR) print v [int ((NR + 1) / 2)] }'; }
#  a figure of each of the 2-validator flat runs, one a line
flat2_each () { while read -r j; do "$@" "$j"; echo; done < "$work/flat2" | sed '/^$/d'; }
per_tx () { field "$1" per_tx_verifications; }
tps () { field "$1" confirm_tps; }

run_node 1
run_node 2

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cores=$(nproc)
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
node_cpu=$(round2 "$(flat2_each per_tx | median)")
sp_cpu=$(flat2_each store_pool | median)
flat2_tps=$(flat2_each tps | median)
each_cpu=$(flat2_each per_tx | xargs -n1 printf '%.2f x\n' | paste -sd, - | sed 's/,/, /g')
each_sp=$(flat2_each store_pool | sed 's/$/ x/' | paste -sd, - | sed 's/,/, /g')
each_tps=$(flat2_each tps | paste -sd, - | sed 's/,/, /g')
max_rate=$(sed -n "s/^highest offered rate with p99 confirmation under $p99_cap s: \([0-9]*\) tx\/s$/\1/p" "$work/sweep.md")
minutes=$(( ($(date +%s) - started + 59) / 60 ))
table="$work/table.md"
{
    echo "<!-- BENCH:BEGIN (written by tools/bench.sh; do not edit by hand) -->"
    echo "Measured $(date -u +%Y-%m-%d) on $cpu, $cores cores, commit $commit, with"
    echo "\`make bench\` ($txs transactions flat out, $paced_txs paced, 100 accounts, batches of 500, one miner, one block a second;"
    echo "about $minutes minutes in all)."
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
    echo "Node CPU per confirmed transaction over each run's timed part (every"
    echo "service's \`zchain_process_cpu_seconds_total\` at the sidecar), in BIP340"
    echo "verifications measured by the bench in the same run (before its timed part and"
    echo "after it, the lower of the two: a drifting host never flatters the node):"
    echo
    echo "| validators | run | one verification µs | node per tx | storage + mempool | per service |"
    echo "|---|---|---:|---:|---:|---|"
    while IFS='|' read -r v flat paced rss; do
        for kind in flat paced; do
            j=$flat; [ $kind = paced ] && j=$paced
            if echo "$j" | grep -q '"cpu":null'; then
                echo "| $v | $kind | | unknown (the sidecar did not answer) | | |"
            else
                echo "| $v | $kind | $(field "$j" verify_us) | $(round2 "$(field "$j" per_tx_verifications)") x | $(store_pool "$j") x | $(services "$j") |"
            fi
        done
        if [ "$v" -eq 2 ]; then
            n=1
            tail -n +2 "$work/flat2" | while read -r j; do
                n=$((n + 1))
                echo "| $v | flat, run $n of $flat_runs | $(field "$j" verify_us) | $(round2 "$(field "$j" per_tx_verifications)") x | $(store_pool "$j") x | $(services "$j") |"
            done
        fi
    done < "$out"
    echo
    echo "Sweep on the 2-validator node (\`zchain bench --sweep $sweep_rates --sweep-step $sweep_step"
    echo "--sweep-seconds $sweep_seconds --p99-cap $p99_cap\`, one block a second), plotted in"
    echo "[bench-sweep.svg](bench-sweep.svg):"
    echo
    cat "$work/sweep.md"
    echo
    echo "![p50 and p99 confirmation latency against confirmed tx/s](bench-sweep.svg)"
    echo
    echo "Resident memory after the runs (kB), per service:"
    echo
    while IFS='|' read -r v flat paced rss; do
        echo "- $v validator(s): $(echo "$rss" | sed 's/;$//; s/;/, /g')"
    done < "$out"
    echo
    echo "The issue's targets (issue 14), against this run; the first three are the"
    echo "median of the $flat_runs 2-validator flat runs (each run's figure in brackets):"
    echo
    echo "| target | measured | |"
    echo "|---|---|---|"
    echo "| node CPU per confirmed tx ≤ 1.8 x one verification (2 validators, flat out) | ${node_cpu:-unknown} x ($each_cpu) | $(verdict "$node_cpu" le 1.8) |"
    echo "| storage + mempool ≤ 0.8 x (2 validators, flat out) | ${sp_cpu:-unknown} x ($each_sp) | $(verdict "$sp_cpu" le 0.8) |"
    echo "| ≥ 20,000 confirmed tx/s flat out with 2 validators | ${flat2_tps:-unknown} tx/s ($each_tps) | $(verdict "$flat2_tps" ge 20000) |"
    echo "| ≥ 12,000 tx/s offered with p99 confirmation < $p99_cap s, one block a second | ${max_rate:-none} tx/s | $(verdict "${max_rate:-0}" ge 12000) |"
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
mv "$work/sweep.svg" "$here/docs/bench-sweep.svg"
mv "$work/report.html" "$here/docs/bench-report.html"
echo "bench: figures written to docs/benchmarks.md, the sweep's plot to docs/bench-sweep.svg," \
     "its report to docs/bench-report.html" >&2
