#!/bin/sh
#  compose-test.sh - the containerized cluster under load: scale, kill, watch
#
#  Usage: deploy/compose-test.sh        (make compose-test; root or sudo)
#
#  1. installs docker.io, docker-compose, debootstrap and prometheus when
#     missing, starts dockerd when no engine answers, and makes
#     debian:bookworm-slim locally when it cannot be pulled;
#  2. builds the image and starts compose.yaml under a project of its own
#     (host ports 277xx, so a node of yours on the defaults is left alone),
#     CURVE on: the CLI here uses the operator's keys copied from the gateway;
#  3. runs `zchain bench` against the gateway for a minute (30,000
#     transactions at 500/s) while it scales validators 1 -> 3 and miners
#     1 -> 2, and `docker kill`s storage and then a validator (and starts them
#     again);
#  4. checks: every transaction confirmed and every balance exact; three
#     validator instances alive and with work done at the sidecar; then 5,000
#     more transactions while validators scale 3 -> 1, all confirmed; a real
#     Prometheus scraping the sidecar returns the series through its query
#     api; a validator started with a key of its own is refused by storage,
#     the mempool and the sidecar; the chain goes on after all that;
#  5. tears everything down (volumes too; the image stays for next time).
set -eu
cd "$(dirname "$0")/.."
ZCHAIN=${ZCHAIN:-build/bin/zchain}
TXS=${TXS:-30000}
RATE=${RATE:-500}
export ZC_HTTP_PORT=27780 ZC_API_PORT=27781 ZC_NOTIFY_PORT=27782 ZC_P2P_PORT=27770 \
       ZC_METRICS_PORT=27790
PROM_PORT=29090
project="zcci$$"
tmp=$(mktemp -d /tmp/zc-compose-XXXXXX)
start_s=$(date +%s)

say () { echo "compose-test [$(( $(date +%s) - start_s ))s] $*"; }
fail () { echo "compose-test: FAILED: $*" >&2; exit 1; }

# --- 1. an engine, its tools, a base image; the image ----------------------
. deploy/image.sh
#  the prometheus package may start its own server on :9090; ours is separate
zc_packages docker.io docker-compose debootstrap prometheus curl
zc_engine
if [ -x /usr/bin/docker-compose ]; then
    DC="${SUDO:+$SUDO -E }/usr/bin/docker-compose -p $project -f compose.yaml"
else
    DC="$DOCKER compose -p $project -f compose.yaml"
fi
zc_base_image

# --- 2. image and cluster ---------------------------------------------------
zc_build_image
[ -x "$ZCHAIN" ] || fail "$ZCHAIN missing (make build first)"
zc () { "$ZCHAIN" --node "tcp://127.0.0.1:$ZC_API_PORT" --datadir "$tmp" --wallet "$tmp/wallet.key" "$@"; }
height () { zc --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
prom_pid=""
bench_pid=""
cleanup () {
    set +e
    #  the bench runs in a subshell (zc is a function): its zchain too
    if [ -n "$bench_pid" ]; then pkill -P "$bench_pid" 2>/dev/null; kill "$bench_pid" 2>/dev/null; fi
    if [ -n "$prom_pid" ]; then kill "$prom_pid" 2>/dev/null; fi
    $DOCKER rm -f "${project}_rogue" >/dev/null 2>&1
    if [ "${ZC_TEST_KEEP:-0}" = 1 ]; then
        echo "compose-test: kept project $project and $tmp"
    else
        $DC down -v --remove-orphans >/dev/null 2>&1 || true
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
say "starting the cluster (project $project)"
$DC up -d --no-build >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; fail "compose up"; }
#  every socket is CURVE: the CLI here is the operator, with the keys the
#  keys step gave the gateway (the operator's secret and the public keys)
gateway=$($DC ps -q gateway)
[ -n "$gateway" ] || fail "no gateway container"
$DOCKER cp "$gateway:/var/lib/zchain/keys" "$tmp/keys" || fail "cannot copy the keys out of the gateway"
$SUDO chown -R "$(id -u):$(id -g)" "$tmp/keys"
[ -f "$tmp/keys/operator.key_secret" ] || fail "the gateway has no operator key"
i=0
until zc ping >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -le 120 ] || { $DC ps; $DC logs --tail 20; fail "the gateway did not answer"; }
    sleep 1
done
#  coinbases mature after 10 blocks; the bench funds itself from them
i=0
until h=$(height) && [ -n "$h" ] && [ "$h" -ge 15 ]; do
    i=$((i + 1)); [ $i -le 120 ] || fail "the chain did not reach height 15 (at ${h:-?})"
    sleep 1
done
$DOCKER cp "$gateway:/var/lib/zchain/wallet/wallet.key" "$tmp/wallet.key"
$SUDO chown "$(id -u):$(id -g)" "$tmp/wallet.key"
say "mining at height $h; wallet copied from the gateway's volume"

#  a real Prometheus on the host, scraping the sidecar
cat > "$tmp/prometheus.yml" <<EOF
global: { scrape_interval: 2s }
scrape_configs:
  - job_name: zchain
    honor_labels: true
    static_configs: [ { targets: ["127.0.0.1:$ZC_METRICS_PORT"] } ]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!

# --- 3. a minute of load while the cluster changes under it -----------------
say "bench: $TXS transactions at $RATE/s"
zc --json bench --notify "tcp://127.0.0.1:$ZC_NOTIFY_PORT" --txs "$TXS" --rate "$RATE" \
    --accounts 100 --timeout 240 --verify >"$tmp/bench.json" 2>"$tmp/bench.log" &
bench_pid=$!
#  the fan-out and the signing come before the timed part
i=0
until grep -q "submitting" "$tmp/bench.log" 2>/dev/null; do
    kill -0 "$bench_pid" 2>/dev/null || { cat "$tmp/bench.log"; fail "the bench ended early"; }
    i=$((i + 1)); [ $i -le 300 ] || fail "the bench did not start submitting"
    sleep 1
done
sleep 10
say "scale: validators 1 -> 3"
$DC up -d --no-build --no-recreate --scale validator=3 --scale miner=1 >>"$tmp/up.log" 2>&1
sleep 10
say "scale: miners 1 -> 2"
$DC up -d --no-build --no-recreate --scale validator=3 --scale miner=2 >>"$tmp/up.log" 2>&1
sleep 10
storage=$($DC ps -q storage)
say "docker kill storage"
$DOCKER kill "$storage" >/dev/null
sleep 3
$DOCKER start "$storage" >/dev/null
sleep 7
victim=$($DC ps -q validator | head -1)
say "docker kill a validator"
$DOCKER kill "$victim" >/dev/null
sleep 5
$DOCKER start "$victim" >/dev/null
say "waiting for the bench"
wait "$bench_pid" || { tail -5 "$tmp/bench.log"; cat "$tmp/bench.json"; fail "the bench failed"; }
bench_pid=""
tail -3 "$tmp/bench.log"
cat "$tmp/bench.json"

# --- 4. checks --------------------------------------------------------------
grep -q "\"confirmed\":$TXS," "$tmp/bench.json" || fail "not every transaction confirmed"
grep -q '"rejected":0,' "$tmp/bench.json" || fail "transactions rejected"
grep -q '"verified":true' "$tmp/bench.json" || fail "balances or the UTXO total are wrong"
say "every transaction confirmed; every balance exact"

#  a little more load, so the validator started again has had work too
#  (the first run may end soon after it came back)
zc --json bench --notify "tcp://127.0.0.1:$ZC_NOTIFY_PORT" --txs 3000 --rate 500 \
    --accounts 30 --timeout 120 >"$tmp/bench1b.json" 2>"$tmp/bench1b.log" \
    || { cat "$tmp/bench1b.json"; fail "the short bench failed"; }
grep -q '"confirmed":3000,' "$tmp/bench1b.json" || { cat "$tmp/bench1b.json"; fail "the short bench lost transactions"; }

#  the sidecar: three validator instances alive, each with work done
curl -sf "http://127.0.0.1:$ZC_METRICS_PORT/healthz?instance=validator-" >"$tmp/health.json" \
    || fail "the sidecar's health"
alive=$(grep -o '"service":"validator","instance":"[^"]*","alive":true' "$tmp/health.json" | wc -l)
[ "$alive" -ge 3 ] || fail "$alive validator instances alive at the sidecar, not 3"
curl -sf "http://127.0.0.1:$ZC_METRICS_PORT/metrics" >"$tmp/metrics.txt" || fail "the sidecar's /metrics"
worked=$(grep '^zchain_validator_verifications_total{service="validator"' "$tmp/metrics.txt" \
         | grep 'result="ok"' | awk '$2 > 0' | wc -l)
[ "$worked" -ge 3 ] || fail "$worked validator instances with work done at the sidecar, not 3"
say "sidecar: $alive validator instances alive, $worked with work done"

#  scaling down under load loses nothing
zc --json bench --notify "tcp://127.0.0.1:$ZC_NOTIFY_PORT" --txs 5000 --rate 500 \
    --accounts 50 --timeout 120 >"$tmp/bench2.json" 2>"$tmp/bench2.log" &
bench_pid=$!
i=0
until grep -q "submitting" "$tmp/bench2.log" 2>/dev/null; do
    kill -0 "$bench_pid" 2>/dev/null || { cat "$tmp/bench2.log"; fail "the second bench ended early"; }
    i=$((i + 1)); [ $i -le 120 ] || fail "the second bench did not start submitting"
    sleep 1
done
sleep 3
say "scale: validators 3 -> 1 under load"
$DC up -d --no-build --no-recreate --scale validator=1 --scale miner=2 >>"$tmp/up.log" 2>&1
wait "$bench_pid" || { tail -5 "$tmp/bench2.log"; cat "$tmp/bench2.json"; fail "the second bench failed"; }
bench_pid=""
grep -q '"confirmed":5000,' "$tmp/bench2.json" || { cat "$tmp/bench2.json"; fail "lost transactions scaling down"; }
say "scaled down to one validator under load: all 5000 confirmed"

#  Prometheus: the series through its query api; validators that did work
#  over the run (a killed one keeps its history there)
query () { curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"; }
i=0
until query 'zchain_chain_height' 2>/dev/null | grep -q '"service":"storage"'; do
    i=$((i + 1)); [ $i -le 30 ] || { cat "$tmp/prometheus.log" | tail -5; fail "Prometheus has no zchain_chain_height"; }
    sleep 1
done
r=$(query 'count(max_over_time(zchain_validator_verifications_total{result="ok"}[15m]) > 0)')
n=$(echo "$r" | sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p')
[ -n "$n" ] && [ "$n" -ge 3 ] || fail "Prometheus sees ${n:-no} validator instances with work, not 3: $r"
say "Prometheus: zchain_chain_height scraped; $n validator instances did work"

#  a validator with a key of its own (and the node's public keys, which are
#  no secret): storage and the mempool refuse its handshake, so it gets no
#  work, and the sidecar refuses its snapshots
say "a validator with an unknown key"
$DC run -d --no-deps --name "${project}_rogue" -e ZC_INSTANCE=rogue-validator -e ZC_KEYS=/tmp/rogue \
    validator sh -ec 'mkdir -m 700 /tmp/rogue; cp /var/lib/zchain/keys/*.key /tmp/rogue/
                      zchain keys init --force /tmp/rogue validator >/dev/null; exec zchain-validator' \
    >>"$tmp/up.log" 2>&1 || { tail -5 "$tmp/up.log"; fail "cannot start the rogue validator"; }
refused () { curl -sf "http://127.0.0.1:$ZC_METRICS_PORT/metrics" | grep "^$1" | awk '{print $2}' | head -1; }
for series in 'zchain_auth_refused_total{service="storage",instance="storage",socket="storage_work"}' \
              'zchain_auth_refused_total{service="mempool",instance="mempool",socket="mempool_work"}' \
              'zchain_metrics_ingest_refused_total'; do
    i=0
    until n=$(refused "$series") && [ -n "$n" ] && [ "${n%.*}" -ge 1 ]; do
        i=$((i + 1)); [ $i -le 60 ] || { $DOCKER logs --tail 5 "${project}_rogue"; fail "not refused: $series"; }
        sleep 1
    done
done
$DOCKER logs "${project}_rogue" 2>&1 | grep -q "validator up" || fail "the rogue validator did not run"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ZC_METRICS_PORT/healthz?instance=rogue-")
[ "$code" = 503 ] || fail "the sidecar took the rogue validator's snapshots (HTTP $code)"
$DOCKER rm -f "${project}_rogue" >/dev/null
say "a validator with an unknown key: refused by storage, the mempool and the sidecar"

#  the chain goes on after the kills
h0=$(height)
i=0
until h=$(height) && [ -n "$h" ] && [ "$h" -ge $((h0 + 2)) ]; do
    i=$((i + 1)); [ $i -le 60 ] || fail "the chain stopped at $h0"
    sleep 1
done
say "the chain goes on: height $h0 -> $h"
say "all green"
