#!/bin/sh
#  run.sh - zchain's pages in a real headless Chromium, against a real node
#
#  Usage: tests/browser/run.sh [BUILD_DIR]      (default: build)
#
#  Starts `zchain up --validators 2 --miners 1 --block-interval 1000` in a
#  temporary data directory, waits for height 25 (spendable coinbases), puts
#  a small load on it in the background (zchain bench at 500 tx/s), then runs
#  every tests/browser/*.test.mjs with node, each with this environment:
#
#    ZC_CLI            the zchain program
#    ZC_DATADIR        the node's data directory
#    ZC_EXPLORER_URL   the gateway's pages,  http://127.0.0.1:P1/
#    ZC_DASHBOARD_URL  the sidecar's pages,  http://127.0.0.1:P2/
#    ZC_OUT            where screenshots go (default BUILD_DIR/browser-test)
#
#  A test passes when node exits 0. Stops the load and the node, then exits
#  1 naming each test that failed (2: no node could be started).
#  Ports are free ones the kernel picks unless ZC_BROWSER_HTTP_PORT,
#  ZC_BROWSER_METRICS_PORT and ZC_BROWSER_P2P_PORT say otherwise; KEEP=1
#  keeps the data directory (its logs) afterwards.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "browser-test: no build directory '${1:-build}'" >&2; exit 2; }
cli="$build/bin/zchain"
[ -x "$cli" ] || { echo "browser-test: $cli is not built (make build)" >&2; exit 2; }
command -v node >/dev/null || { echo "browser-test: node not found (deploy/install-deps.sh --browser)" >&2; exit 2; }
chromium=${ZC_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "browser-test: no $chromium (deploy/install-deps.sh --browser)" >&2; exit 2; }
if [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "browser-test: npm ci in tests/browser"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) \
        || { echo "browser-test: npm ci could not install playwright-core" >&2; exit 2; }
fi

#  a port nothing listens on now, from the kernel
free_port () {
    node -e "const s = require ('net').createServer ().listen (0, '127.0.0.1', () => {
                 console.log (s.address ().port); s.close (); });"
}
p1=${ZC_BROWSER_HTTP_PORT:-$(free_port)}
p2=${ZC_BROWSER_METRICS_PORT:-$(free_port)}
p3=${ZC_BROWSER_P2P_PORT:-$(free_port)}
out=${ZC_OUT:-$build/browser-test}
mkdir -p "$out"
out=$(cd "$out" && pwd)
dir=$(mktemp -d /tmp/zc-browser-XXXXXX)
up=""
bench=""

cleanup () {
    [ -n "$bench" ] && kill "$bench" 2>/dev/null && wait "$bench" 2>/dev/null
    if [ -n "$up" ]; then
        kill -INT "$up" 2>/dev/null
        wait "$up" 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "browser-test: kept $dir"
    else
        rm -rf "$dir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$cli" --datadir "$dir" up --validators 2 --miners 1 --block-interval 1000 \
    --http "127.0.0.1:$p1" --metrics "127.0.0.1:$p2" --p2p "127.0.0.1:$p3" > "$dir/up.log" 2>&1 &
up=$!
height=""
i=0
while [ $i -lt 600 ]; do
    height=$("$cli" --datadir "$dir" --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p')
    [ -n "$height" ] && [ "$height" -ge 25 ] && break
    kill -0 "$up" 2>/dev/null || break
    sleep 0.3
    i=$((i + 1))
done
if [ -z "$height" ] || [ "$height" -lt 25 ]; then
    echo "browser-test: FAILED: the node did not reach height 25 (height '${height}'); its log:" >&2
    tail -n 30 "$dir/up.log" >&2
    exit 2
fi
echo "browser-test: node up at height $height: explorer http://127.0.0.1:$p1/, dashboard http://127.0.0.1:$p2/"

#  the load the pages show: fast enough to move every chart, small enough
#  for two cores that also run Chromium
"$cli" --datadir "$dir" --json bench --txs 20000 --accounts 50 --rate 500 \
    --metrics "http://127.0.0.1:$p2" > "$dir/bench.json" 2> "$dir/bench.log" &
bench=$!

failed=""
ran=0
for t in "$here"/*.test.mjs; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .test.mjs)
    ran=$((ran + 1))
    echo "browser-test: $name"
    if ZC_CLI="$cli" ZC_DATADIR="$dir" ZC_EXPLORER_URL="http://127.0.0.1:$p1/" \
       ZC_DASHBOARD_URL="http://127.0.0.1:$p2/" ZC_OUT="$out" node "$t"; then
        echo "browser-test: $name ok"
    else
        echo "browser-test: FAILED: $name" >&2
        failed="$failed $name"
    fi
done
[ $ran -gt 0 ] || { echo "browser-test: FAILED: no tests/browser/*.test.mjs" >&2; exit 1; }
if [ -n "$failed" ]; then
    echo "browser-test: FAILED:$failed (logs: KEEP=1 keeps $dir)" >&2
    exit 1
fi
echo "browser-test: all $ran passed; screenshots in $out"
