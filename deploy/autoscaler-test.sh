#!/bin/sh
#  autoscaler-test.sh - zchain-autoscaler against a real Docker engine of its own
#
#  Usage: deploy/autoscaler-test.sh     (make autoscaler-test; root; not in ctest)
#
#  Starts a private dockerd: its own --data-root, --exec-root, pidfile and
#  unix socket in a temporary directory, no bridge, no iptables rules, and
#  `docker swarm init` on it alone (127.0.0.1, ports of its own). The
#  machine's /var/run/docker.sock, its engine and its swarm are never used.
#  No registry is needed: the image is a static binary made here and
#  `docker import`ed. The sidecar's GET /autoscale is a file served on
#  127.0.0.1 (the format the sidecar answers), so each case sets exactly
#  the answer it needs; the last case reads a real node's sidecar. Then,
#  with the real zchain-autoscaler:
#  1. refused while the engine is no swarm manager (status 1, one line);
#  2. desired 3 for validator, 2 for miner: both services set, every other
#     field of their Spec as it was, and the tasks really run;
#  3. desired back to 1; a hand-made change to 2 is put back to 1;
#  4. desired outside its bounds, a service missing from the answer, an
#     answer without signal, one that is not JSON, an HTTP 404, a sidecar
#     that is down: each logged with its reason, and the replicas stay;
#  5. --dry-run logs the change and makes none; SIGTERM ends it at once;
#  6. a real node (zchain up, one validator) and its real sidecar: its
#     answer (idle, with a signal: 1) sets the Swarm service from 3 to 1.
#  Then everything it started is stopped and its directory removed
#  (AUTOSCALER_TEST_LOG=FILE keeps the autoscaler's log).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin}
start_s=$(date +%s)
say () { echo "autoscaler-test [$(( $(date +%s) - start_s ))s] $*"; }
fail () { echo "autoscaler-test: FAILED: $*" >&2; [ -f "${log:-}" ] && tail -20 "$log" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "autoscaler-test: needs root (it starts a dockerd)" >&2; exit 1; }
[ -x "$BIN/zchain-autoscaler" ] || { echo "autoscaler-test: build first (no $BIN/zchain-autoscaler)" >&2; exit 1; }
missing=""
for p in docker.io curl python3 gcc libc6-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing$missing"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

#  nothing in the environment may send a docker command elsewhere
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG
tmp=$(mktemp -d /tmp/zc-autoscaler-test-XXXXXX)
sock="$tmp/docker.sock"
www="$tmp/www"
log="$tmp/autoscaler.log"
mkdir -p "$www" "$tmp/image"
D () { /usr/bin/docker -H "unix://$sock" "$@"; }
#  a port free for TCP and UDP on 127.0.0.1, below 49152 (swarm's data path
#  port must be)
free_port () {
    python3 -c '
import random, socket
while True:
    port = random.randrange (20000, 49152)
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            socket.socket (socket.AF_INET, kind).bind (("127.0.0.1", port))
        print (port)
        break
    except OSError:
        pass'
}

dockerd_pid=""; http_pid=""; as_pid=""; node_pid=""
cleanup () {
    set +e
    [ -n "${AUTOSCALER_TEST_LOG:-}" ] && [ -f "$log" ] && cp "$log" "$AUTOSCALER_TEST_LOG"
    [ -n "$as_pid" ] && kill "$as_pid" 2>/dev/null
    [ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null
    [ -n "$node_pid" ] && kill -INT "$node_pid" 2>/dev/null && wait "$node_pid"
    if [ -n "$dockerd_pid" ]; then
        D swarm leave --force >/dev/null 2>&1
        kill "$dockerd_pid" 2>/dev/null
        i=0
        while kill -0 "$dockerd_pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
        kill -9 "$dockerd_pid" 2>/dev/null
    fi
    #  what the engine mounted under its own directories (network namespaces)
    grep " $tmp/" /proc/mounts | awk '{ print $2 }' | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- a private engine ------------------------------------------------------
say "starting a private dockerd in $tmp"
dockerd --data-root "$tmp/data" --exec-root "$tmp/exec" --pidfile "$tmp/docker.pid" \
        -H "unix://$sock" --storage-driver vfs --bridge none --iptables=false \
        --ip6tables=false --ip-masq=false > "$tmp/dockerd.log" 2>&1 &
dockerd_pid=$!
i=0
until D version >/dev/null 2>&1; do
    i=$((i + 1))
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -5 "$tmp/dockerd.log" >&2; fail "dockerd ended"; }
    [ $i -le 60 ] || fail "dockerd did not answer on $sock"
    sleep 1
done

#  the sidecar's answer: validator's desired, min, max, and a second entry
#  for miner (omitted when its desired is "-")
answer () {
    miner=""
    [ "${4:--}" = "-" ] || miner=",{\"service\":\"miner\",\"desired\":$4,\"min\":1,\"max\":4}"
    printf '{"services":[{"service":"validator","desired":%s,"current":1,"busy":1,"backlog_jobs":40,"target_jobs":4,"oldest_seconds":1.5,"min":%s,"max":%s,"window_s":300}%s]}\n' \
        "$1" "$2" "$3" "$miner" > "$www/autoscale.new"
    mv "$www/autoscale.new" "$www/autoscale"
}
replicas () { D service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
#  the Spec as the engine holds it, less the replica count, keys sorted
spec_less_count () {
    curl -s --unix-socket "$sock" "http://docker/v1.41/services/$1" | python3 -c '
import json, sys
spec = json.load (sys.stdin) ["Spec"]
del spec ["Mode"] ["Replicated"] ["Replicas"]
print (json.dumps (spec, sort_keys = True))'
}
#  wait up to $1 s for a command to succeed
within () {
    t=$1; shift
    i=0
    until "$@"; do
        i=$((i + 1)); [ $i -le $((t * 4)) ] || return 1
        sleep 0.25
    done
}
is_replicas () { [ "$(replicas "$1")" = "$2" ]; }
running () { [ "$(D service ls --filter "name=$1" --format '{{.Replicas}}')" = "$2/$2" ]; }
mark () { wc -l < "$log"; }
logged_since () { tail -n "+$(( $1 + 1 ))" "$log" | grep -q -- "$2"; }
rounds_since () { tail -n "+$(( $1 + 1 ))" "$log" | grep -c -- "$2" || true; }
start_autoscaler () {
    "$BIN/zchain-autoscaler" --engine "$sock" --metrics "http://127.0.0.1:$http_port" \
        --service validator=zchain_validator,miner=zchain_miner --interval-ms 300 \
        --log-level debug "$@" >> "$log" 2>&1 &
    as_pid=$!
}
stop_autoscaler () {
    t0=$(date +%s%N)
    kill "$as_pid"
    status=0
    wait "$as_pid" || status=$?
    as_pid=""
    took_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$status" = 0 ] || fail "the autoscaler ended with status $status on SIGTERM"
    [ "$took_ms" -le 2000 ] || fail "the autoscaler took $took_ms ms to stop"
}

# --- 1. no swarm manager: refused -----------------------------------------
status=0
"$BIN/zchain-autoscaler" --engine "$sock" > "$tmp/refusal" 2>&1 || status=$?
[ "$status" = 1 ] || fail "expected status 1 from an engine without a swarm, got $status"
if [ "$(wc -l < "$tmp/refusal")" != 1 ] || ! grep -q "$sock is not a swarm manager" "$tmp/refusal"; then
    fail "expected one line naming $sock: $(cat "$tmp/refusal")"
fi
say "1. refused while no swarm manager: $(cat "$tmp/refusal")"

# --- 2. a swarm, an image, two services -------------------------------------
D swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$(free_port)" \
    --data-path-port "$(free_port)" >/dev/null
cat > "$tmp/sleeper.c" <<'EOF'
#include <signal.h>
#include <unistd.h>
static void s_end (int sig) { (void) sig; _exit (0); }
int main (void) { signal (SIGTERM, s_end); for (;;) pause (); }
EOF
gcc -static -O2 -o "$tmp/image/sleeper" "$tmp/sleeper.c"
tar -C "$tmp/image" -c sleeper | D import --change 'CMD ["/sleeper"]' - zchain-test/sleeper:1 >/dev/null
#  settings of every kind, to see them all come back unchanged; 336 h of
#  grace is a number a parse-and-print would spoil (1.2096e+15)
D service create --detach --name zchain_validator --replicas 1 --no-resolve-image \
    --label 'zchain.note=a "quoted" label, ünïcode' --env ZC_NETWORK=regtest \
    --constraint node.role==manager --restart-condition on-failure --update-parallelism 2 \
    --limit-memory 64M --limit-cpu 0.5 --reserve-memory 8M --ulimit nofile=4096:4096 \
    --stop-grace-period 336h --mount type=tmpfs,target=/tmp \
    --user 10001 --workdir /tmp zchain-test/sleeper:1 >/dev/null
D service create --detach --name zchain_miner --replicas 1 --no-resolve-image \
    zchain-test/sleeper:1 >/dev/null
within 60 running zchain_validator 1 || fail "the validator service did not start its task"
validator_spec=$(spec_less_count zchain_validator)
miner_spec=$(spec_less_count zchain_miner)

http_port=$(free_port)
answer 3 1 6 2
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$www" > "$tmp/http.log" 2>&1 &
http_pid=$!
within 10 curl -sf "http://127.0.0.1:$http_port/autoscale" -o /dev/null || fail "the file server did not start"

: > "$log"
start_autoscaler
within 15 is_replicas zchain_validator 3 || fail "zchain_validator was not set to 3"
within 15 is_replicas zchain_miner 2 || fail "zchain_miner was not set to 2"
[ "$(spec_less_count zchain_validator)" = "$validator_spec" ] || fail "zchain_validator's Spec changed beyond its replicas"
[ "$(spec_less_count zchain_miner)" = "$miner_spec" ] || fail "zchain_miner's Spec changed beyond its replicas"
grep -q "INFO validator: desired 3 (recommended now [0-9?]*, current 1, busy 1, backlog 40 jobs, oldest 1.5 s, target 4/replica, bounds 1..6, window 300 s): zchain_validator 1 -> 3 replicas" "$log" \
    || fail "no decision line for 1 -> 3"
within 60 running zchain_validator 3 || fail "three validator tasks did not run"
say "2. validator 1 -> 3, miner 1 -> 2: Spec otherwise unchanged, 3 tasks running"

# --- 3. down, and a hand-made change put back ---------------------------------
answer 1 1 6 2
within 15 is_replicas zchain_validator 1 || fail "zchain_validator was not set back to 1"
m=$(mark)
D service scale --detach zchain_validator=2 >/dev/null
within 15 logged_since "$m" "INFO validator: .*zchain_validator 2 -> 1 replicas" || fail "a change by hand was not put back (and logged at info)"
is_replicas zchain_validator 1 || fail "zchain_validator is not at 1"
[ "$(spec_less_count zchain_validator)" = "$validator_spec" ] || fail "zchain_validator's Spec changed beyond its replicas"
#  what the engine says to an update at a version that is no longer the
#  current one: the words engine.c reads as "read again next round"
spec=$(curl -s --unix-socket "$sock" "http://docker/v1.41/services/zchain_validator" \
       | python3 -c 'import json, sys; print (json.dumps (json.load (sys.stdin) ["Spec"]))')
stale=$(curl -s --unix-socket "$sock" -H 'Content-Type: application/json' -d "$spec" \
        "http://docker/v1.41/services/zchain_validator/update?version=1")
case "$stale" in
    *"update out of sequence"*) ;;
    *) fail "the engine's answer to a stale version was: $stale" ;;
esac
say "3. validator 3 -> 1; scaled to 2 by hand, put back to 1; a stale version: $stale"

# --- 4. nothing changes on missing or doubtful data -----------------------
#  each case: the answer, then the reason expected in the log for five rounds
five_since () { [ "$(rounds_since "$1" "$2")" -ge 5 ]; }
unchanged () {
    m=$(mark)
    within 15 five_since "$m" "$1" || fail "expected five rounds saying: $1"
    is_replicas zchain_validator 1 || fail "zchain_validator changed on: $1"
    is_replicas zchain_miner 2 || fail "zchain_miner changed on: $1"
}
answer 9 1 6 2
unchanged "desired 9 (.*bounds 1..6.*): outside its bounds, zchain_validator left alone"
answer 1 1 6 -
unchanged "miner: not in the sidecar's answer: zchain_miner left alone"
#  the sidecar's own word that it hears no work dispatcher
echo '{"services":[{"service":"validator","desired":4,"current":4,"min":1,"max":6,"signal":false},{"service":"miner","desired":2,"min":1,"max":4}]}' > "$www/autoscale"
unchanged "the sidecar has no signal (no work dispatcher reports), zchain_validator left alone"
echo '{"services":[{"service":"validator","desired":' > "$www/autoscale"
unchanged "/autoscale: the answer is not JSON: zchain_validator left alone"
rm -f "$www/autoscale"
unchanged "answered HTTP 404: zchain_validator left alone"
#  down first, then the next answer written: a round in between would act on it
kill "$http_pid"; wait "$http_pid" 2>/dev/null || true; http_pid=""
answer 4 1 6 3
unchanged "no answer from http://127.0.0.1:$http_port/autoscale"
say "4. out of bounds, missing, no signal, not JSON, 404, sidecar down: replicas unchanged, each logged"

# --- 5. dry run, and SIGTERM ----------------------------------------------------
stop_autoscaler
say "   SIGTERM: status 0 in $took_ms ms"
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$www" > "$tmp/http.log" 2>&1 &
http_pid=$!
within 10 curl -sf "http://127.0.0.1:$http_port/autoscale" -o /dev/null || fail "the file server did not start again"
m=$(mark)
start_autoscaler --dry-run
within 15 logged_since "$m" "zchain_validator 1 -> 4 replicas (dry run: not applied)" || fail "no dry-run decision"
within 15 logged_since "$m" "zchain_miner 2 -> 3 replicas (dry run: not applied)" || fail "no dry-run decision for the miner"
sleep 1
is_replicas zchain_validator 1 || fail "--dry-run changed zchain_validator"
is_replicas zchain_miner 2 || fail "--dry-run changed zchain_miner"
stop_autoscaler
say "5. --dry-run decided 1 -> 4 and 2 -> 3 and changed nothing; SIGTERM: status 0 in $took_ms ms"

# --- 6. the real sidecar of a real node -----------------------------------------
#  zchain up (one validator process, no miner) and its sidecar's /autoscale:
#  idle, with a signal, it wants 1 validator, and the Swarm service follows
kill "$http_pid"; wait "$http_pid" 2>/dev/null || true; http_pid=""
D service scale --detach zchain_validator=3 >/dev/null
http_port=$(free_port)
"$BIN/zchain" --datadir "$tmp/node" up --validators 1 --miners 0 --http "" \
    --metrics "127.0.0.1:$http_port" > "$tmp/node.log" 2>&1 &
node_pid=$!
has_signal () { curl -s "http://127.0.0.1:$http_port/autoscale" | grep -q '"signal":true'; }
within 60 has_signal || fail "the node's sidecar gave no signal: $(curl -s "http://127.0.0.1:$http_port/autoscale")"
m=$(mark)
start_autoscaler --service validator=zchain_validator
within 15 is_replicas zchain_validator 1 || fail "the real sidecar's answer did not set zchain_validator to 1"
logged_since "$m" "INFO validator: desired 1 (recommended now 1, current 1, busy 0, backlog 0 jobs, .*bounds 1..1.*): zchain_validator 3 -> 1 replicas" \
    || fail "no decision line from the real sidecar's answer"
stop_autoscaler
kill -INT "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""
say "6. a real node's sidecar (signal, idle): zchain_validator 3 -> 1"
say "passed"
