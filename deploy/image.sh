#  image.sh - shared by the container tests: an engine to build with, a base image, zchain:latest
#
#  Sourced (not run) by deploy/compose-test.sh and deploy/swarm-test.sh,
#  which define say and fail first. Sets SUDO ("" as root, else sudo) and
#  DOCKER (Debian's client, /usr/bin/docker, whatever stands first on PATH,
#  through $SUDO), the engine these functions build with: the machine's own,
#  started when none answers.
#
#    zc_packages PKG...   install the Debian packages that are missing
#    zc_engine            start dockerd when no engine answers on its socket
#    zc_base_image        debian:bookworm-slim: pulled, or made locally with
#                         debootstrap (deploy/base-image.sh) when no registry answers
#    zc_build_image       build deploy/Dockerfile as zchain:latest

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
DOCKER="${SUDO:+$SUDO }/usr/bin/docker"

zc_packages () {
    _missing=""
    for _p in "$@"; do
        dpkg-query -W -f='${Status}' "$_p" 2>/dev/null | grep -q "install ok installed" \
            || _missing="$_missing $_p"
    done
    [ -n "$_missing" ] || return 0
    say "installing$_missing"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $_missing >/dev/null
}

zc_engine () {
    $DOCKER info >/dev/null 2>&1 && return 0
    say "starting dockerd"
    $SUDO sh -c 'nohup dockerd > /var/log/zc-dockerd.log 2>&1 &'
    _i=0
    until $DOCKER info >/dev/null 2>&1; do
        _i=$((_i + 1)); [ $_i -le 60 ] || fail "dockerd did not start (see /var/log/zc-dockerd.log)"
        sleep 1
    done
}

zc_base_image () {
    if ! $DOCKER image inspect debian:bookworm-slim >/dev/null 2>&1 \
    && ! $DOCKER pull -q debian:bookworm-slim >/dev/null 2>&1; then
        say "no registry: making debian:bookworm-slim locally"
        $SUDO deploy/base-image.sh
    fi
}

zc_build_image () {
    say "building the image"
    #  the host's network for RUN: another engine in this network namespace
    #  (a test's own dockerd) can take the default bridge docker0 away
    $DOCKER build -q --network host -f deploy/Dockerfile -t zchain:latest . >/dev/null || fail "docker build"
}
