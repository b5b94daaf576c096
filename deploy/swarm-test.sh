#!/bin/sh
#  swarm-test.sh - the node on a Docker Swarm of three hosts made on this machine: spread, scale, lose a host
#
#  Usage: deploy/swarm-test.sh           (make swarm-test; as root, or through sudo)
#         deploy/swarm-test.sh --clean   remove what a run killed before its end left
#
#  1. builds zchain:latest as compose-test does (deploy/image.sh, on the
#     machine's own engine, which is used for nothing else) and an image of
#     Debian's Prometheus for the stack's prometheus service;
#  2. makes three Docker hosts: network namespaces zcsw-m1, zcsw-w1 and
#     zcsw-w2 (10.231.0.11-13) on a bridge in a namespace of their own
#     (zcsw-sw), reached from here through zcsw-host (10.231.0.1); each runs
#     its own dockerd and containerd in its own mount, UTS and PID namespaces
#     (data, exec root, sockets under /tmp/zcsw/HOST; its own /run, so its
#     /var/run/docker.sock is its own and never the machine's);
#  3. a swarm of one manager and two workers, labelled (m1: storage, mempool,
#     gateway, metrics; w1, w2: compute, zones a and b), the keys from
#     `zchain keys` as secrets and configs, deploy/swarm/stack.yaml deployed
#     as the stack zchain with CURVE on;
#  4. checks: tasks on all three hosts; under load from `zchain bench` on
#     this machine (through the gateway's port published on m1) the backlog
#     rises and validators go to at least 3, on both workers, each doing
#     verification work (the sidecar's per-instance counters); kill -9 of
#     one worker (its dockerd, containerd and containers: the host is gone)
#     while the load runs: its validators come back on the other worker,
#     every transaction the node acknowledged is confirmed and `bench
#     --verify` finds every balance exact; when the load is over validators
#     go back to 1 after the shortened window; Prometheus (dockerswarm_sd)
#     scrapes the sidecar; a validator on the overlay network with a key of
#     its own is refused by storage and the mempool, and counted;
#  5. removes every namespace, link, process, cgroup and directory it made,
#     also on failure (ZC_TEST_KEEP=1 keeps them, for a look; --clean then).
#
#  The autoscale step is the stack's zchain-autoscaler acting on the
#  sidecar's policy (bounds 1..3, the window shortened to WINDOW_S), left
#  running while the worker dies (the policy answers the window's highest
#  recommendation, so silent validators on the dead host do not make it
#  ask for fewer); ZC_SWARM_AUTOSCALE=hand stops it and scales by hand instead (docker
#  service scale), to tell a fault of the autoscaler from one of the stack.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then exec sudo -E "$0" "$@"; fi

ZCHAIN=${ZCHAIN:-build/bin/zchain}
TXS=${TXS:-100000}                      #  about 220 s of load: scale up, a worker
                                        #  killed and its validators rescheduled
                                        #  all fit inside it on a slow host
RATE=${RATE:-450}
WINDOW_S=${WINDOW_S:-30}                #  the autoscaler's scale-down window, shortened
RUN=/tmp/zcsw                           #  everything on disk
NET=10.231.0                            #  a /24 nobody else here uses
HOSTS="m1 w1 w2"
STACK=zchain
D=/usr/bin/docker                       #  Debian's client, whatever stands first on PATH
start_s=$(date +%s)

say () { echo "swarm-test [$(( $(date +%s) - start_s ))s] $*"; }
fail () { echo "swarm-test: FAILED: $*" >&2; exit 1; }
dk () { _h=$1; shift; "$D" -H "unix://$RUN/$_h/docker.sock" "$@"; }
mgr () { dk m1 "$@"; }
nsx () { _h=$1; shift; nsenter --net="/run/netns/zcsw-$_h" "$@"; }
addr () { case $1 in m1) echo "$NET.11" ;; w1) echo "$NET.12" ;; w2) echo "$NET.13" ;; esac; }

# --- teardown: everything this script made, whatever state it is in --------
teardown () {
    set +e
    #  each host's PID namespace dies with its first process (unshare
    #  --kill-child), taking dockerd, containerd, shims and containers along
    pids=""
    for h in $HOSTS; do
        [ -f "$RUN/$h/unshare.pid" ] && pids="$pids $(cat "$RUN/$h/unshare.pid")"
        #  and, for --clean, every process in the host's network namespace
        [ -e "/run/netns/zcsw-$h" ] && pids="$pids $(ip netns pids "zcsw-$h" 2>/dev/null | tr '\n' ' ')"
    done
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    i=0
    for p in $pids; do
        while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
    done
    for h in $HOSTS; do
        for cg in /sys/fs/cgroup/*/zcsw-$h; do
            [ -d "$cg" ] || continue
            i=0
            while [ -n "$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && [ $i -lt 50 ]; do
                i=$((i + 1)); sleep 0.2
            done
            find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
    done
    for h in $HOSTS sw; do
        [ -e "/run/netns/zcsw-$h" ] && ip netns del "zcsw-$h" 2>/dev/null
    done
    ip link del zcsw-host 2>/dev/null
    if [ -d "$RUN" ]; then
        grep -o " $RUN[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$RUN"
    fi
    return 0
}
if [ "${1:-}" = --clean ]; then teardown; echo "swarm-test: cleaned"; exit 0; fi
[ -z "${1:-}" ] || { sed -n '2,40p' "$0" | sed 's/^#  \{0,1\}//'; exit 2; }
if [ -e /run/netns/zcsw-sw ] || [ -e "$RUN" ]; then
    fail "zcsw namespaces or $RUN exist: another run is going, or one was killed (deploy/swarm-test.sh --clean)"
fi

bench_pid=""
cleanup () {
    rc=$?
    set +e
    #  the bench runs in a subshell (zc is a function): its zchain too
    [ -n "$bench_pid" ] && { pkill -P "$bench_pid" 2>/dev/null; kill "$bench_pid" 2>/dev/null; }
    if [ $rc != 0 ] && [ -d "$RUN" ]; then
        echo "swarm-test: the services at the end:" >&2
        mgr service ls 2>/dev/null >&2
        mgr service ps --no-trunc "${STACK}_validator" 2>/dev/null | head -20 >&2
        for h in $HOSTS; do tail -3 "$RUN/$h/dockerd.log" 2>/dev/null >&2; done
        [ -f "$RUN/bench.log" ] && { echo "swarm-test: the bench's last lines:"; tail -5 "$RUN/bench.log"; } >&2
        echo "swarm-test: the autoscaler's last lines:" >&2
        mgr service logs --raw "${STACK}_autoscaler" 2>&1 | tail -8 >&2
    fi
    if [ "${ZC_TEST_KEEP:-0}" = 1 ]; then
        echo "swarm-test: kept the hosts and $RUN (deploy/swarm-test.sh --clean removes them)"
    else
        teardown
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- 1. tools and images ------------------------------------------------------
. deploy/image.sh
zc_packages docker.io debootstrap prometheus curl iproute2
zc_engine
zc_base_image
zc_build_image
[ -x "$ZCHAIN" ] || fail "$ZCHAIN missing (make build first)"
#  Prometheus from Debian's package: nothing can be pulled here
mkdir -p "$RUN/prom-image"
cp /usr/bin/prometheus "$RUN/prom-image/"
cat > "$RUN/prom-image/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
COPY prometheus /bin/prometheus
ENTRYPOINT ["/bin/prometheus"]
EOF
$DOCKER build -q -t zchain-prometheus:swarm-test "$RUN/prom-image" >/dev/null || fail "building the Prometheus image"
$DOCKER save zchain:latest zchain-prometheus:swarm-test > "$RUN/images.tar"

# --- 2. three hosts -------------------------------------------------------------
say "making hosts m1, w1, w2 ($NET.11-13) on a bridge of their own"
ip netns add zcsw-sw
nsx sw ip link set lo up
nsx sw ip link add br0 type bridge
nsx sw ip link set br0 up
ip link add zcsw-host type veth peer name host netns zcsw-sw
ip addr add "$NET.1/24" dev zcsw-host
ip link set zcsw-host up
nsx sw ip link set host master br0 up
for h in $HOSTS; do
    ip netns add "zcsw-$h"
    ip link add "zcsw-$h" netns zcsw-sw type veth peer name eth0 netns "zcsw-$h"
    nsx sw ip link set "zcsw-$h" master br0 up
    nsx "$h" ip link set lo up
    nsx "$h" ip addr add "$(addr "$h")/24" dev eth0
    nsx "$h" ip link set eth0 up
    mkdir -p "$RUN/$h"
    #  (ip netns exec fails here: "Devices cgroup isn't mounted")
    #  --dns: these hosts have no resolver; the embedded DNS's queries for
    #  names outside the swarm then fail at once instead of after 20 s
    nsenter --net="/run/netns/zcsw-$h" unshare --uts --mount --pid --fork --kill-child=SIGKILL --mount-proc --propagation slave \
        sh -c "hostname zcsw-$h
               mount -t tmpfs -o mode=0755 tmpfs /run
               exec env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 /usr/bin/docker-init -- /usr/sbin/dockerd \
                   --data-root $RUN/$h/data --exec-root $RUN/$h/exec --pidfile $RUN/$h/dockerd.pid \
                   -H unix://$RUN/$h/docker.sock -H unix:///var/run/docker.sock \
                   --cgroup-parent /zcsw-$h --dns $NET.1" \
        > "$RUN/$h/dockerd.log" 2>&1 &
    echo $! > "$RUN/$h/unshare.pid"
done
for h in $HOSTS; do
    i=0
    until dk "$h" info >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -le 60 ] || { tail -5 "$RUN/$h/dockerd.log"; fail "dockerd on $h did not start"; }
        sleep 1
    done
done
#  every host reaches every other (swarm: 2377, 7946 tcp and udp, 4789 udp)
for a in $HOSTS; do for b in $HOSTS; do
    [ "$a" = "$b" ] && continue
    nsx "$a" ip neigh flush all
    nsx "$a" bash -c "exec 3<>/dev/tcp/$(addr "$b")/1" 2>/dev/null || true    #  resolves, then refused
    nsx "$a" ip neigh show "$(addr "$b")" | grep -q lladdr || fail "$a cannot reach $b"
done; done
say "loading the images into each host"
loads=""
for h in $HOSTS; do dk "$h" load -q < "$RUN/images.tar" >/dev/null & loads="$loads $!"; done
# shellcheck disable=SC2086
wait $loads
for h in $HOSTS; do dk "$h" image inspect zchain:latest >/dev/null || fail "no image on $h"; done
mgr run --rm --network none --entrypoint sh zchain:latest -c 'test -x /usr/local/bin/zchain-autoscaler' \
    || fail "the image has no /usr/local/bin/zchain-autoscaler"

# --- 3. the swarm and the stack ----------------------------------------------
say "swarm: init on m1, w1 and w2 join"
mgr swarm init --advertise-addr "$NET.11" --listen-addr "$NET.11:2377" \
    --default-addr-pool 10.232.0.0/16 >/dev/null
token=$(mgr swarm join-token -q worker)
for h in w1 w2; do dk "$h" swarm join --token "$token" "$NET.11:2377" >/dev/null; done
i=0
until [ "$(mgr node ls --format '{{.Status}}' | grep -c Ready)" = 3 ]; do
    i=$((i + 1)); [ $i -le 60 ] || { mgr node ls; fail "three nodes not Ready"; }
    sleep 1
done
mgr node update --label-add zchain.storage=true --label-add zchain.mempool=true \
    --label-add zchain.gateway=true --label-add zchain.metrics=true zcsw-m1 >/dev/null
mgr node update --label-add zchain.compute=true --label-add zchain.zone=a zcsw-w1 >/dev/null
mgr node update --label-add zchain.compute=true --label-add zchain.zone=b zcsw-w2 >/dev/null

#  the keys (and the CLI's operator key), the mining address
mkdir -m 700 "$RUN/cli"
zc () { "$ZCHAIN" --node "tcp://$NET.11:7781" --keys "$RUN/keys" --datadir "$RUN/cli" \
                  --wallet "$RUN/cli/wallet.key" "$@"; }
height () { zc --json status 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
DOCKER="$D -H unix://$RUN/m1/docker.sock" ZCHAIN="$ZCHAIN" deploy/swarm/keys.sh "$RUN/keys" >/dev/null
zc wallet new --keyfile >/dev/null
address=$(zc wallet address)
[ -n "$address" ] || fail "no mining address"

case ${ZC_SWARM_AUTOSCALE:-program} in
    program|hand) autoscale=${ZC_SWARM_AUTOSCALE:-program} ;;
    *) fail "ZC_SWARM_AUTOSCALE is program (the default) or hand" ;;
esac
running () { mgr service ps --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' "$@" \
             | grep -c ' Running'; }
say "deploying the stack $STACK (CURVE on; autoscale step: $autoscale)"
#  validators of a fiftieth of a CPU, so that one cannot keep up with the
#  load and three can; at most three, so that all fit on one worker when the
#  other dies. (A tenth was enough to make one fall behind until the hot path
#  work: a validator now verifies 450 tx/s in well under a tenth.)
ZC_MINER_ADDRESS=$address ZC_AUTOSCALE_WINDOW_S=$WINDOW_S ZC_AUTOSCALER_INTERVAL_MS=2000 \
ZC_AUTOSCALE_VALIDATORS=1..3 ZC_VALIDATOR_CPUS=${ZC_VALIDATOR_CPUS:-0.02} \
ZC_PROMETHEUS_IMAGE=zchain-prometheus:swarm-test \
    mgr stack deploy --resolve-image never -c deploy/swarm/stack.yaml "$STACK" >"$RUN/deploy.log" 2>&1 \
    || { cat "$RUN/deploy.log"; fail "stack deploy"; }
if [ "$autoscale" = hand ]; then
    #  the step below scales by hand: the autoscaler would undo it
    mgr service scale "${STACK}_autoscaler=0" >/dev/null 2>&1
else
    i=0
    until [ "$(running "${STACK}_autoscaler")" -ge 1 ]; do
        i=$((i + 1)); [ $i -le 120 ] || { mgr service ps --no-trunc "${STACK}_autoscaler" | head -5; fail "the autoscaler not running"; }
        sleep 1
    done
fi
for s in metrics storage mempool gateway validator miner prometheus; do
    i=0
    until [ "$(running "${STACK}_$s")" -ge 1 ]; do
        i=$((i + 1)); [ $i -le 180 ] || { mgr service ps --no-trunc "${STACK}_$s" | head -5; fail "$s not running"; }
        sleep 1
    done
done
i=0
until zc ping >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -le 120 ] || fail "the gateway on m1 did not answer on $NET.11:7781"
    sleep 1
done
#  coinbases mature after 10 blocks; the bench's fan-out takes one mature
#  coinbase for each 2,000 transactions (chained on change, a fan-out
#  package would be too large)
need=$(( 10 + (TXS + 1999) / 2000 + 2 ))
i=0
until h=$(height) && [ -n "$h" ] && [ "$h" -ge $need ]; do
    i=$((i + 1)); [ $i -le 240 ] || fail "the chain did not reach height $need (at ${h:-?})"
    sleep 1
done
placement () {
    mgr stack ps --filter desired-state=running --format '{{.Node}} {{.Name}}' "$STACK" \
        | sed 's/^\([^ ]*\) '"$STACK"'_\([a-z]*\)\..*/\1 \2/' | sort | uniq -c \
        | awk '{ a[$2] = a[$2] " " $3 ($1 > 1 ? "x" $1 : "") } END { for (n in a) printf "%s:%s; ", n, a[n] }'
}
nhosts=$(mgr stack ps --filter desired-state=running --format '{{.Node}}' "$STACK" | sort -u | wc -l)
[ "$nhosts" -ge 2 ] || fail "the stack's tasks run on $nhosts host(s)"
say "height $h; tasks on $nhosts hosts: $(placement)"

#  the sidecar is on the overlay network only: read it from a container
#  attached to that network (attachable), on m1
mgr run -d --name zcsw-probe --network "${STACK}_internal" --entrypoint sleep zchain:latest infinity >/dev/null
sidecar () {
    mgr exec zcsw-probe bash -c 'exec 3<>/dev/tcp/metrics/7790
        printf "GET %s HTTP/1.0\r\nHost: metrics\r\n\r\n" "$1" >&3; cat <&3' _ "$1" 2>/dev/null | tr -d '\r'
}
metric () { sidecar /metrics | grep "^$1" | awk '{ s += $2 } END { printf "%d\n", s }'; }
#  validators that did work, by host: validator-zcsw-HOST-SLOT-PID
worked_on () {
    sidecar /metrics | grep '^zchain_validator_verifications_total{' | grep "instance=\"validator-zcsw-$1-" \
        | awk '$2 > 0' | wc -l
}
validators_on () { mgr service ps --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' \
                   "${STACK}_validator" | grep -c "^zcsw-$1 Running"; }
replicas () { mgr service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "${STACK}_validator"; }

# --- 4. load; the backlog; validators up ----------------------------------------
say "bench: $TXS transactions at $RATE/s through $NET.11:7781"
bench_started=$(date +%s)
#  --retries 20: a worker killed under load takes its validators' jobs with
#  it; Swarm marks it Down some 13 s later and starts their replacements
#  some 10 s after that, and until then the mempool answers busy. The
#  bench's default retries (about 16 s) may run out in that window (one
#  run: 8 of 100,000); 20 retries keep a transaction for about 64 s.
zc --json bench --notify "tcp://$NET.11:7782" --txs "$TXS" --rate "$RATE" --accounts 100 \
    --timeout 300 --retries 20 --verify >"$RUN/bench.json" 2>"$RUN/bench.log" &
bench_pid=$!
i=0
until grep -q "submitting" "$RUN/bench.log" 2>/dev/null; do
    kill -0 "$bench_pid" 2>/dev/null || { cat "$RUN/bench.log"; fail "the bench ended early"; }
    i=$((i + 1)); [ $i -le 300 ] || fail "the bench did not start submitting"
    sleep 1
done
load_start=$(date +%s)
if [ "$autoscale" = hand ]; then
    i=0 peak=0
    until [ "$peak" -gt 4 ]; do
        kill -0 "$bench_pid" 2>/dev/null || fail "the bench ended before the backlog rose (peak $peak)"
        i=$((i + 1)); [ $i -le 120 ] || fail "the mempool's backlog never went above 4 jobs (peak $peak)"
        q=$(metric 'zchain_work_queue_depth{service="mempool"')
        [ "$q" -gt "$peak" ] && peak=$q
        sleep 1
    done
    say "backlog at the mempool: $peak jobs waiting for one validator"
fi

# ---- the autoscale step -------------------------------------------------------
if [ "$autoscale" = hand ]; then
    say "autoscale by hand (ZC_SWARM_AUTOSCALE=hand): validators 1 -> 3"
    mgr service scale "${STACK}_validator=3" >/dev/null 2>&1
fi
i=0
until r=$(replicas) && [ "$r" -ge 3 ] && [ "$(validators_on w1)" -ge 1 ] && [ "$(validators_on w2)" -ge 1 ] \
      && [ "$(running "${STACK}_validator")" -ge 3 ]; do
    i=$((i + 1)); [ $i -le 180 ] || fail "validators not at 3 or more on both workers (replicas $r)"
    sleep 1
done
say "validators: $r replicas ($autoscale), $(validators_on w1) on w1 and $(validators_on w2) on w2"
#  the autoscaler's own account of it, with the inputs of its decision
decided () { mgr service logs --raw "${STACK}_autoscaler" 2>&1 | grep "zchain_validator [0-9]* -> $1 replicas" | tail -1; }
if [ "$autoscale" = program ]; then
    #  its first decision up came with the load, not before it (the inputs
    #  in its line are those of that moment; the count is the highest the
    #  policy's window recommended, so a backlog that has just drained can
    #  stand next to it)
    line=$(mgr service logs --raw "${STACK}_autoscaler" 2>&1 | grep "zchain_validator 1 -> [0-9]* replicas" | head -1)
    [ -n "$line" ] || fail "the autoscaler logged no decision up from 1 replica"
    at=$(date -d "${line%% *}" +%s 2>/dev/null || echo 0)
    [ "$at" -ge "$bench_started" ] || fail "the autoscaler scaled up before the load began: $line"
    say "autoscaler, $(( at - bench_started ))s into the bench: ${line#*INFO }"
fi
i=0
until [ "$(worked_on w1)" -ge 1 ] && [ "$(worked_on w2)" -ge 1 ]; do
    i=$((i + 1)); [ $i -le 120 ] || fail "validators on both workers did no verification work"
    sleep 1
done
say "verification work done on w1 ($(worked_on w1) instance(s)) and w2 ($(worked_on w2))"

# --- 5. a worker dies under load ----------------------------------------------
kill -0 "$bench_pid" 2>/dev/null || fail "the bench was over before a worker could be killed"
victim=w1 other=w2
[ "$(validators_on w2)" -gt "$(validators_on w1)" ] && { victim=w2 other=w1; }
lost=$(validators_on $victim)
say "kill -9 $victim (dockerd, containerd, its $lost validator(s)) under load"
kill -9 "$(cat "$RUN/$victim/unshare.pid")"
killed_s=$(date +%s)
i=0
until [ "$(mgr node inspect -f '{{.Status.State}}' "zcsw-$victim")" = down ]; do
    i=$((i + 1)); [ $i -le 120 ] || fail "the manager did not see $victim down"
    sleep 1
done
say "$victim is Down ($(( $(date +%s) - killed_s ))s after the kill)"
i=0
until r=$(replicas) && [ "$(validators_on $other)" -ge "$r" ] && [ "$(running "${STACK}_validator")" -ge "$r" ]; do
    i=$((i + 1)); [ $i -le 180 ] || fail "validators were not rescheduled onto $other"
    sleep 1
done
say "validators rescheduled: $(validators_on $other) on $other ($(( $(date +%s) - killed_s ))s after the kill)"
i=0
until [ "$(worked_on $other)" -ge "$(validators_on $other)" ]; do
    kill -0 "$bench_pid" 2>/dev/null || fail "the load ended before the rescheduled validators did work"
    i=$((i + 1)); [ $i -le 120 ] || fail "$(worked_on $other) of $(validators_on $other) validators on $other did work"
    sleep 1
done
say "under load: all $(worked_on $other) validators on $other did work"
say "waiting for the bench"
#  meanwhile: when the policy last asked for more than one validator (the
#  scale-down window runs from then, not from the end of the load)
last_high=$(date +%s)
recommended () { sidecar /metrics | sed -n 's/^zchain_autoscale_recommended_replicas{service="validator"} \([0-9]*\).*/\1/p'; }
while kill -0 "$bench_pid" 2>/dev/null; do
    r=$(recommended)
    [ "${r:-0}" -ge 2 ] && last_high=$(date +%s)
    sleep 1
done
wait "$bench_pid" || { tail -5 "$RUN/bench.log"; cat "$RUN/bench.json"; fail "the bench failed"; }
bench_pid=""
load_end=$(date +%s)
tail -2 "$RUN/bench.log"
cat "$RUN/bench.json"
grep -q "\"confirmed\":$TXS," "$RUN/bench.json" || fail "not every acknowledged transaction was confirmed"
grep -q '"rejected":0,' "$RUN/bench.json" || fail "transactions rejected"
grep -q '"verified":true' "$RUN/bench.json" || fail "balances or the UTXO total are wrong"
say "all $TXS transactions confirmed; every balance exact ($(( load_end - load_start ))s of load)"

# ---- the autoscale step, down ---------------------------------------------------
if [ "$autoscale" = hand ]; then
    i=0
    until [ "$(metric 'zchain_work_queue_depth{service="mempool"')" = 0 ]; do
        i=$((i + 1)); [ $i -le 60 ] || fail "the backlog did not drain after the load"
        sleep 1
    done
    say "autoscale by hand: the backlog is 0; after the ${WINDOW_S}s window, validators -> 1"
    sleep "$WINDOW_S"
    mgr service scale "${STACK}_validator=1" >/dev/null 2>&1
fi
i=0
until [ "$(replicas)" = 1 ]; do
    r=$(recommended)
    [ "${r:-0}" -ge 2 ] && last_high=$(date +%s)
    i=$((i + 1)); [ $i -le $((WINDOW_S + 180)) ] || fail "validators did not come back to 1 (replicas $(replicas))"
    sleep 1
done
down_s=$(date +%s)
i=0
until [ "$(running "${STACK}_validator")" = 1 ]; do
    i=$((i + 1)); [ $i -le 60 ] || fail "validators did not stop ($(running "${STACK}_validator") running)"
    sleep 1
done
if [ "$autoscale" = program ]; then
    [ $((down_s - last_high)) -ge $((WINDOW_S - 5)) ] \
        || fail "validators scaled down $((down_s - last_high))s after the policy last wanted more, inside the ${WINDOW_S}s window"
fi
say "validators back to 1, $((down_s - load_end))s after the load ended and $((down_s - last_high))s after the policy last wanted more than one (window ${WINDOW_S}s)"
if [ "$autoscale" = program ]; then
    line=$(decided 1)
    [ -n "$line" ] || fail "the autoscaler logged no decision to 1 replica"
    say "autoscaler: ${line#*INFO }"
fi

# --- 6. Prometheus finds the sidecar through the swarm ---------------------------
prom () { curl -sf "http://$NET.11:9090/api/v1/query" --data-urlencode "query=$1"; }
i=0
until prom 'zchain_validator_verifications_total{result="ok"}' 2>/dev/null | grep -q 'validator-zcsw-'; do
    i=$((i + 1)); [ $i -le 90 ] || { prom up; fail "Prometheus has no validator series (dockerswarm_sd)"; }
    sleep 1
done
prom 'up{job="zchain"}' | grep -q '"swarm_node":"zcsw-m1"' || fail "Prometheus's target is not the sidecar's task on m1"
say "Prometheus: the sidecar found through dockerswarm_sd, per-validator series there"

# --- 7. a stranger on the overlay network ----------------------------------------
mkdir -m 755 "$RUN/rogue"                #  public keys only: for the container's user
cp "$RUN"/keys/*.key "$RUN/rogue/"
chmod 644 "$RUN"/rogue/*.key
before_s=$(metric 'zchain_auth_refused_total{service="storage",instance="storage",socket="storage_work"}')
before_m=$(metric 'zchain_auth_refused_total{service="mempool",instance="mempool",socket="mempool_work"}')
before_i=$(metric 'zchain_metrics_ingest_refused_total')
say "a validator with a key of its own on the overlay network, on $other"
dk "$other" run -d --name zcsw-rogue --network "${STACK}_internal" -v "$RUN/rogue:/pub:ro" \
    -e ZC_INSTANCE=rogue-validator -e ZC_KEYS=/tmp/rogue -e ZC_STORAGE_WORK=tcp://storage:7803 \
    -e ZC_MEMPOOL_WORK=tcp://mempool:7813 -e ZC_METRICS=tcp://metrics:7791 zchain:latest \
    sh -ec 'mkdir -m 700 /tmp/rogue; cp /pub/*.key /tmp/rogue/
            zchain keys init --force /tmp/rogue validator >/dev/null; exec zchain-validator' >/dev/null \
    || fail "cannot start the rogue validator"
i=0
until [ "$(metric 'zchain_auth_refused_total{service="storage",instance="storage",socket="storage_work"}')" -gt "$before_s" ] \
   && [ "$(metric 'zchain_auth_refused_total{service="mempool",instance="mempool",socket="mempool_work"}')" -gt "$before_m" ] \
   && [ "$(metric 'zchain_metrics_ingest_refused_total')" -gt "$before_i" ]; do
    [ "$(dk "$other" inspect -f '{{.State.Running}}' zcsw-rogue)" = true ] \
        || { dk "$other" logs --tail 5 zcsw-rogue; fail "the rogue validator stopped"; }
    i=$((i + 1)); [ $i -le 60 ] || { dk "$other" logs --tail 5 zcsw-rogue; fail "the rogue validator was not refused"; }
    sleep 1
done
dk "$other" logs zcsw-rogue 2>&1 | grep -q "validator up" || fail "the rogue validator did not run"
code=$(sidecar '/healthz?instance=rogue-' | sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p')
[ "$code" = 503 ] || fail "the sidecar took the rogue validator's snapshots (HTTP $code)"
say "refused and counted: zchain_auth_refused_total storage $(metric 'zchain_auth_refused_total{service="storage"'), mempool $(metric 'zchain_auth_refused_total{service="mempool"'); zchain_metrics_ingest_refused_total $(metric 'zchain_metrics_ingest_refused_total')"

h0=$(height)
i=0
until h=$(height) && [ -n "$h" ] && [ "$h" -ge $((h0 + 2)) ]; do
    i=$((i + 1)); [ $i -le 60 ] || fail "the chain stopped at $h0"
    sleep 1
done
say "the chain goes on: height $h0 -> $h; tasks: $(placement)"
say "all green"
