#!/bin/sh
#  soak.sh - memory over a long run: a node under steady load for MINUTES,
#  the resident memory of every service sampled every 30 s
#
#  Usage: tools/soak.sh [BUILD_DIR] [MINUTES] [RATE]   (defaults: build 10 5000)
#  Rounds of `zchain bench --txs 20000 --rate RATE` run back to back; the
#  samples go to stdout as "seconds service kB" lines (with "rocksdb", the
#  memory storage's RocksDB reports, "utxo-cache", what storage's coin
#  cache holds, and "pool-bytes", the mempool's own size), then a summary
#  of each one's first and last sample. ZC_UTXO_CACHE=MB (read by storage)
#  bounds the coin cache, to see it fill and stay within its bound.
set -eu
build=${1:-build}
minutes=${2:-10}
rate=${3:-5000}
here=$(cd "$(dirname "$0")/.." && pwd)
zchain="$here/$build/bin/zchain"
dir=$(mktemp -d /tmp/zc-soak-XXXXXX)
"$zchain" --datadir "$dir" up --validators 2 --http 127.0.0.1:17980 --metrics 127.0.0.1:17990 \
    > "$dir/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null; wait $up 2>/dev/null; rm -rf "$dir"' EXIT
until h=$("$zchain" --datadir "$dir" --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p') \
      && [ -n "$h" ] && [ "$h" -ge 25 ]; do sleep 0.5; done
samples="$dir/samples"
start=$(date +%s)
end=$((start + minutes * 60))
(
    while [ "$(date +%s)" -lt "$end" ]; do
        now=$(($(date +%s) - start))
        for p in $(pgrep -f "$dir/run"); do
            name=$(tr '\0' ' ' < /proc/$p/cmdline | sed -n 's/.*--instance \([^ ]*\).*/\1/p')
            [ -n "$name" ] && echo "$now $name $(awk '/VmRSS/ {print $2}' /proc/$p/status)"
        done
        #  the part of storage's memory RocksDB accounts for, and the pool's own estimate
        curl -s http://127.0.0.1:17990/metrics | awk -v t="$now" '
            /^zchain_rocksdb_memory_bytes/ { printf "%s rocksdb %d\n", t, $2 / 1024 }
            /^zchain_utxo_cache_bytes/ { printf "%s utxo-cache %d\n", t, $2 / 1024 }
            /^zchain_mempool_bytes/ { printf "%s pool-bytes %d\n", t, $2 / 1024 }'
        sleep 30
    done
) > "$samples" &
sampler=$!
rounds=0
while [ "$(date +%s)" -lt "$end" ]; do
    "$zchain" --datadir "$dir" --json bench --txs 20000 --accounts 100 --rate "$rate" > "$dir/round.json" 2>/dev/null \
        || echo "soak: a round failed: $(cat "$dir/round.json")" >&2
    rounds=$((rounds + 1))
done
wait $sampler || true
cat "$samples"
echo "rounds: $rounds"
echo "service restarts: $(grep -c 'restarting in' "$dir/up.log" || true)"
awk '{ if (!($2 in first)) first[$2] = $3; last[$2] = $3 }
     END { for (s in first) printf "%-12s first %8d kB  last %8d kB\n", s, first[s], last[s] }' "$samples" | sort
