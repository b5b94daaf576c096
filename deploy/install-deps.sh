#!/bin/sh
#  install-deps.sh - install what building and testing zchain needs (Debian 12, Ubuntu)
#
#  Installs only the packages that are missing, through sudo when not root.
#  Usage: deploy/install-deps.sh [--fuzz] [--browser] [--check]
#    --fuzz     also clang and its fuzzing runtime (libFuzzer)
#    --browser  also chromium, and npm when no npm command is there (make
#               browser-test; node comes with nodejs, whose build may bundle npm)
#    --check    only report what is missing; exit 1 if anything is
set -eu

PKGS="build-essential cmake pkg-config ca-certificates curl
      libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler
      librocksdb-dev libsecp256k1-dev libcmocka-dev libssl-dev libmicrohttpd-dev libgmp-dev
      libcurl4-openssl-dev libcjson-dev libsodium-dev
      prometheus"
#  prometheus for promtool: ctest's prometheus_check and make k8s-check check
#  the scrape, the configs and the alerting rules with it (where systemd
#  runs, the package also starts a Prometheus on :9090; it is not needed)
check=0
for arg in "$@"; do
    case "$arg" in
        --fuzz) PKGS="$PKGS clang libclang-rt-dev" ;;
        --browser)
            PKGS="$PKGS chromium"
            command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
            #  NodeSource's nodejs bundles npm and conflicts with Debian's
            command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm" ;;
        --check) check=1 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^#  \{0,1\}//'; exit 0 ;;
        *) echo "install-deps: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$check" = 1 ]; then
    echo "missing:$missing"
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: no apt-get; install these by hand:$missing" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: not root and no sudo; install:$missing" >&2; exit 1; }
    SUDO="sudo"
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
