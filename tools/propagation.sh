#!/bin/sh
#  propagation.sh - how fast a block and a transaction reach every node of a
#  local network
#
#  Usage: tools/propagation.sh [BUILD_DIR] [NODES] [SECONDS] [whole|relay]
#         (defaults: build 10 60 whole)
#  Environment (relay mode): PROP_OUTBOUND and PROP_INBOUND, each relay's
#  peer limits (8 and 32); PROP_BLOCK_MS, the source's block interval
#  (1000); PROP_TX_S, seconds between payments (2).
#  whole: `zchain net up NODES`, whole nodes (one validator each, node 1
#         mining one block a second);
#  relay: one whole node mining (the source) and NODES-1 relay-only gateways
#         (`zchain-gateway --relay-only`: no storage or mempool, blocks checked
#         on their own, then relayed), each bootstrapping from
#         the source, with PROP_OUTBOUND outbound and at most PROP_INBOUND
#         inbound peers, pings every 10 s (30 s timeout).
#  Waits until node 1's coins mature (height 12) and every node has a peer,
#  then for SECONDS node 1 also pays itself every PROP_TX_S seconds. Every gateway
#  runs with --p2p-trace and logs the moment (monotonic microseconds, one
#  clock for the whole machine) it first had each block and transaction. For
#  each item that reached every node, the delay after the first node (the
#  origin) until 50 %, 90 % and 100 % of the nodes had it: means, and p50 and
#  p99 over the items; then the p2p messages and duplicate announcements per
#  node and each node's CPU time and memory. Links are plain loopback TCP (no
#  added delay).
set -eu
build=${1:-build}
nodes=${2:-10}
seconds=${3:-60}
mode=${4:-whole}
outbound=${PROP_OUTBOUND:-8}
inbound=${PROP_INBOUND:-32}
block_ms=${PROP_BLOCK_MS:-1000}
tx_s=${PROP_TX_S:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
zchain="$here/$build/bin/zchain"
gateway="$here/$build/bin/zchain-gateway"
dir=$(mktemp -d /tmp/zc-prop-XXXXXX)
base=27700
pids="$dir/pids"
: > "$pids"
stop () {
    #  TERM: every gateway logs its totals as it stops
    for p in $(cat "$pids"); do kill -TERM "$p" 2>/dev/null || true; done
    for p in $(cat "$pids"); do
        while kill -0 "$p" 2>/dev/null; do sleep 0.2; done
    done
    : > "$pids"
}
trap 'stop; [ -n "${ZC_TEST_KEEP:-}" ] || rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
export ZC_P2P_TRACE=1
case "$mode" in
whole)
    "$zchain" --datadir "$dir" net up "$nodes" --base-port $base > "$dir/net.log" 2>&1 &
    echo $! >> "$pids"
    source_dir="$dir/node1" ;;
relay)
    source_dir="$dir/node1"
    "$zchain" --datadir "$source_dir" up --validators 1 --block-interval "$block_ms" --http 127.0.0.1:$((base + 10)) \
        --metrics 127.0.0.1:$((base + 11)) --p2p 127.0.0.1:$((base + 12)) > "$dir/up.log" 2>&1 &
    echo $! >> "$pids" ;;
*)
    echo "propagation: mode is whole or relay, not '$mode'" >&2; exit 2 ;;
esac
height () {
    "$zchain" --datadir "$1" --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'
}
echo "propagation: $nodes nodes ($mode) starting in $dir" >&2
if [ "$mode" = whole ]; then
    k=1
    while [ $k -le "$nodes" ]; do
        h=$(height "$dir/node$k" || true)
        if [ -n "$h" ] && [ "$h" -ge 12 ]; then k=$((k + 1)); else sleep 1; fi
    done
    logs () { cat "$dir"/node"$1"/logs/gateway*.log; }
else
    until h=$(height "$source_dir") && [ -n "$h" ] && [ "$h" -ge 12 ]; do sleep 1; done
    for k in $(seq 2 "$nodes"); do
        "$gateway" --relay-only --p2p-trace --instance "relay$k" --p2p "tcp://127.0.0.1:$((base + 1000 + k))" \
            --bootstrap "tcp://127.0.0.1:$((base + 12))" --ping-interval 10000 --ping-timeout 30000 \
            --max-outbound "$outbound" --max-inbound "$inbound" \
            2> "$dir/relay$k.log" &
        echo $! >> "$pids"
        if [ $((k % 50)) -eq 0 ]; then echo "propagation: $k nodes started" >&2; sleep 1; fi
    done
    k=2
    while [ $k -le "$nodes" ]; do
        if grep -q "established" "$dir/relay$k.log"; then k=$((k + 1)); continue; fi
        if grep -q "gateway stopped" "$dir/relay$k.log"; then
            echo "propagation: relay $k failed: $(grep ERROR "$dir/relay$k.log" | tail -1)" >&2
            exit 1
        fi
        sleep 1
    done
    logs () { if [ "$1" -eq 1 ]; then cat "$source_dir"/logs/gateway*.log; else cat "$dir/relay$1.log"; fi; }
fi
echo "propagation: following $nodes nodes for $seconds s" >&2
payee=$("$zchain" --datadir "$source_dir" wallet address 2>/dev/null | awk '{print $1; exit}')
end=$(($(date +%s) + seconds))
while [ "$(date +%s)" -lt "$end" ]; do
    "$zchain" --datadir "$source_dir" send "$payee" 0.001 >/dev/null 2>&1 || true
    sleep "$tx_s"
done
#  CPU seconds and resident memory of every process (all nodes, and the
#  relays alone), read before they stop
tick=$(getconf CLK_TCK)
for p in $(pgrep -f "$dir/node|relay-only.*--bootstrap tcp://127.0.0.1:$((base + 12))"); do
    [ -r "/proc/$p/stat" ] || continue
    relay=0; grep -q relay-only "/proc/$p/cmdline" 2>/dev/null && relay=1
    echo "$relay $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }') $(awk '/VmRSS/ { print $2 }' "/proc/$p/status")"
done > "$dir/usage.raw" || true
stop
awk -v n="$nodes" -v tick="$tick" -v mode="$mode" '
    { cpu += $2; rss += $3; if ($1) { rcpu += $2; rrss += $3; relays++ } }
    END {
        printf "cpu_s_per_node %.2f (since start), rss_kb_per_node %d\n", cpu / tick / n, rss / n
        if (mode == "relay" && relays)
            printf "relay-only gateways: cpu_s %.2f, rss_kb %d each\n", rcpu / tick / relays, rrss / relays
    }' "$dir/usage.raw" > "$dir/usage"
#  per node and item: the first trace; then per item the delays after the origin
: > "$dir/seen"
msgs=0; dups=0; links=0
for k in $(seq 1 "$nodes"); do
    logs $k > "$dir/log.tmp" 2>/dev/null || true
    awk -v k=$k '$4 == "trace" && ($5 == "block" || $5 == "tx") {
            key = $5 " " $6; if (!(key in t) || $7 + 0 < t [key] + 0) t [key] = $7 }
        END { for (key in t) print key, t [key], k }' "$dir/log.tmp" >> "$dir/seen"
    set -- $(awk '$4 == "trace" && $5 == "totals" { m = $7; d = $9; p = $11 } END { printf "%d %d %d", m, d, p }' "$dir/log.tmp")
    msgs=$((msgs + $1)); dups=$((dups + $2)); links=$((links + $3))
done
report () {
    awk -v n="$nodes" -v what="$1" -v kind="$2" '
    $1 == kind { t [$2] = t [$2] " " $3; c [$2]++ }
    END {
        items = 0
        for (h in c) {
            if (c [h] < n) continue
            m = split (substr (t [h], 2), v, " ")
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v [j] + 0 < v [i] + 0) { x = v [i]; v [i] = v [j]; v [j] = x }
            items++
            p50 [items] = (v [int ((m + 1) / 2)] - v [1]) / 1000
            p90 [items] = (v [int (m * 0.9 + 0.999)] - v [1]) / 1000
            all [items] = (v [m] - v [1]) / 1000
            sum50 += p50 [items]; sum90 += p90 [items]; sumall += all [items]
        }
        seen = 0; for (h in c) seen++
        if (items == 0) { printf "%s: none of %d reached every node\n", what, seen; exit 0 }
        for (i = 1; i <= items; i++) for (j = i + 1; j <= items; j++) if (all [j] < all [i]) { x = all [i]; all [i] = all [j]; all [j] = x }
        printf "%s: %d of %d reached all %d nodes\n", what, items, seen, n
        printf "  mean ms until 50%% / 90%% / 100%% of nodes: %.1f / %.1f / %.1f\n", sum50 / items, sum90 / items, sumall / items
        printf "  100%% of nodes, p50 / p99 over %s (ms): %.1f / %.1f\n", what, all [int ((items + 1) / 2)], all [int (items * 0.99 + 0.999)]
    }' "$dir/seen"
}
report blocks block
report transactions tx
echo "p2p messages received per node: $((msgs / nodes)) (duplicate announcements $((dups / nodes))); peers per node at the end: $((links / nodes))"
cat "$dir/usage"
