#!/bin/sh
#  propagation.sh - how fast a block reaches every node of a local network
#
#  Usage: tools/propagation.sh [BUILD_DIR] [NODES] [SECONDS]   (defaults: build 10 60)
#  Starts `zchain net up NODES` (whole nodes, one validator each, node 1
#  mining one block a second), waits until every node is past height 12
#  (node 1's coins mature), then for SECONDS follows every node's
#  notifications while node 1 also pays node 2 every two seconds. For each
#  block (block.connected) and each transaction (tx.accepted) seen by all
#  nodes, the delay of each node after the first one is its propagation; the
#  report gives the time until 50 %, 90 % and 100 % of the nodes had it
#  (means, and p50 and p99 over the items), the p2p messages and duplicates
#  per node, and each node's CPU time and memory.
#  Links are plain loopback TCP (no added delay).
set -eu
build=${1:-build}
nodes=${2:-10}
seconds=${3:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
zchain="$here/$build/bin/zchain"
dir=$(mktemp -d /tmp/zc-prop-XXXXXX)
base=27700
"$zchain" --datadir "$dir" net up "$nodes" --base-port $base > "$dir/net.log" 2>&1 &
net=$!
trap 'kill -TERM $net 2>/dev/null; wait $net 2>/dev/null; rm -rf "$dir"' EXIT
height () {
    "$zchain" --datadir "$dir/node$1" --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'
}
echo "propagation: $nodes nodes starting in $dir" >&2
k=1
while [ $k -le "$nodes" ]; do
    h=$(height $k || true)
    if [ -n "$h" ] && [ "$h" -ge 12 ]; then k=$((k + 1)); else sleep 1; fi
done
for k in $(seq 1 "$nodes"); do
    "$zchain" --datadir "$dir/node$k" --json watch > "$dir/watch$k.json" 2>/dev/null &
    echo $! >> "$dir/watchers"
done
echo "propagation: following $nodes nodes for $seconds s" >&2
payee=$("$zchain" --datadir "$dir/node2" wallet address 2>/dev/null | awk '{print $1; exit}')
end=$(($(date +%s) + seconds))
while [ "$(date +%s)" -lt "$end" ]; do
    "$zchain" --datadir "$dir/node1" send "$payee" 0.001 >/dev/null 2>&1 || true
    sleep 2
done
kill $(cat "$dir/watchers") 2>/dev/null || true
#  messages and duplicates per node (the sidecar of node k is on base+10k+1)
msgs=0; dups=0
for k in $(seq 1 "$nodes"); do
    m=$(curl -s "http://127.0.0.1:$((base + 10 * k + 1))/metrics" || true)
    msgs=$((msgs + $(echo "$m" | awk '/^zchain_p2p_messages_received_total/ { s += $2 } END { printf "%d", s }')))
    dups=$((dups + $(echo "$m" | awk '/^zchain_p2p_duplicates_total/ { s += $2 } END { printf "%d", s }')))
done
#  CPU seconds and resident memory of every process of every node
tick=$(getconf CLK_TCK)
for p in $(pgrep -f "$dir/node"); do
    [ -r "/proc/$p/stat" ] || continue
    echo "$(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }') $(awk '/VmRSS/ { print $2 }' "/proc/$p/status")"
done | awk -v n="$nodes" -v tick="$tick" '{ cpu += $1; rss += $2 }
    END { printf "cpu_s_per_node %.2f (since start)\nrss_kb_per_node %d\n", cpu / tick / n, rss / n }' \
    > "$dir/usage"
#  per item: delays after the first node, in ms
for k in $(seq 1 "$nodes"); do
    sed -n 's/.*"topic":"block.connected".*"hash":"\([0-9a-f]*\)".*"time_ms":\([0-9]*\).*/\1 \2/p' "$dir/watch$k.json"
done | sort > "$dir/seen.blocks"
for k in $(seq 1 "$nodes"); do
    sed -n 's/.*"topic":"tx.accepted".*"txid":"\([0-9a-f]*\)".*"time_ms":\([0-9]*\).*/\1 \2/p' "$dir/watch$k.json"
done | sort > "$dir/seen.txs"
report () {
    awk -v n="$nodes" -v what="$1" '
    { t [$1] = t [$1] " " $2; c [$1]++ }
    END {
        items = 0
        for (h in c) {
            if (c [h] < n) continue
            m = split (substr (t [h], 2), v, " ")
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v [j] < v [i]) { x = v [i]; v [i] = v [j]; v [j] = x }
            items++
            p50 [items] = v [int ((m + 1) / 2)] - v [1]
            p90 [items] = v [int (m * 0.9 + 0.999)] - v [1]
            all [items] = v [m] - v [1]
            sum50 += p50 [items]; sum90 += p90 [items]; sumall += all [items]
        }
        if (items == 0) { printf "%s: none reached every node\n", what; exit 0 }
        for (i = 1; i <= items; i++) for (j = i + 1; j <= items; j++) if (all [j] < all [i]) { x = all [i]; all [i] = all [j]; all [j] = x }
        printf "%s: %d seen by all %d nodes\n", what, items, n
        printf "  mean ms until 50%% / 90%% / 100%% of nodes: %.1f / %.1f / %.1f\n", sum50 / items, sum90 / items, sumall / items
        printf "  100%% of nodes, p50 / p99 over %s (ms): %d / %d\n", what, all [int ((items + 1) / 2)], all [int (items * 0.99 + 0.999)]
    }' "$2"
}
report blocks "$dir/seen.blocks"
report transactions "$dir/seen.txs"
echo "p2p messages received per node since start: $((msgs / nodes)) (duplicate announcements $((dups / nodes)))"
cat "$dir/usage"
