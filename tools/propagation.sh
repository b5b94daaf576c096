#!/bin/sh
#  propagation.sh - how fast a block reaches every node of a local network
#
#  Usage: tools/propagation.sh [BUILD_DIR] [NODES] [SECONDS]   (defaults: build 10 60)
#  Starts `zchain net up NODES` (whole nodes, one validator each, node 1
#  mining one block a second), waits until every node is on one tip, then
#  follows every node's block.connected notifications for SECONDS. For each
#  block seen by all nodes, the delay of each node after the first one is
#  the block's propagation; the report gives the time until 50 %, 90 % and
#  100 % of the nodes had it (p50 and p99 over the blocks), the p2p messages
#  and duplicates per node and block, and each node's CPU time and memory.
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
    if [ -n "$h" ] && [ "$h" -ge 5 ]; then k=$((k + 1)); else sleep 1; fi
done
for k in $(seq 1 "$nodes"); do
    "$zchain" --datadir "$dir/node$k" --json watch > "$dir/watch$k.json" 2>/dev/null &
    echo $! >> "$dir/watchers"
done
echo "propagation: following $nodes nodes for $seconds s" >&2
sleep "$seconds"
kill $(cat "$dir/watchers") 2>/dev/null || true
#  messages and duplicates per node (the sidecar of node k is on base+10k+1)
msgs=0; dups=0
for k in $(seq 1 "$nodes"); do
    m=$(curl -s "http://127.0.0.1:$((base + 10 * k + 1))/metrics" || true)
    msgs=$((msgs + $(echo "$m" | awk '/^zchain_p2p_messages_received_total/ { s += $2 } END { printf "%d", s }')))
    dups=$((dups + $(echo "$m" | awk '/^zchain_p2p_duplicates_total/ { s += $2 } END { printf "%d", s }')))
done
#  CPU seconds and resident memory of every process of every node
ps -eo pid,times,rss,args | grep "$dir/node" | grep -v grep \
    | awk -v n="$nodes" '{ cpu += $2; rss += $3 } END { printf "cpu_s_per_node %.1f\nrss_kb_per_node %d\n", cpu / n, rss / n }' \
    > "$dir/usage"
#  per block: delays after the first node, in ms
for k in $(seq 1 "$nodes"); do
    sed -n 's/.*"topic":"block.connected".*"hash":"\([0-9a-f]*\)".*"time_ms":\([0-9]*\).*/\1 \2/p' "$dir/watch$k.json"
done | sort > "$dir/seen"
awk -v n="$nodes" -v msgs="$msgs" -v dups="$dups" -v secs="$seconds" '
    { t [$1] = t [$1] " " $2; c [$1]++ }
    END {
        blocks = 0
        for (h in c) {
            if (c [h] < n) continue
            m = split (substr (t [h], 2), v, " ")
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v [j] < v [i]) { x = v [i]; v [i] = v [j]; v [j] = x }
            blocks++
            p50 [blocks] = v [int ((m + 1) / 2)] - v [1]
            p90 [blocks] = v [int (m * 0.9 + 0.999)] - v [1]
            all [blocks] = v [m] - v [1]
            sum50 += p50 [blocks]; sum90 += p90 [blocks]; sumall += all [blocks]
        }
        if (blocks == 0) { print "no block reached every node"; exit 1 }
        for (i = 1; i <= blocks; i++) for (j = i + 1; j <= blocks; j++) if (all [j] < all [i]) { x = all [i]; all [i] = all [j]; all [j] = x }
        printf "nodes %d, blocks seen by all %d\n", n, blocks
        printf "mean ms until 50%% / 90%% / 100%% of nodes: %.1f / %.1f / %.1f\n", sum50 / blocks, sum90 / blocks, sumall / blocks
        printf "100%% of nodes, p50 / p99 over blocks (ms): %d / %d\n", all [int ((blocks + 1) / 2)], all [int (blocks * 0.99 + 0.999)]
        printf "p2p messages received per node per block: %.1f (duplicate announcements %.1f)\n", msgs / n / blocks, dups / n / blocks
    }' "$dir/seen"
cat "$dir/usage"
