#!/bin/sh
#  base-image.sh - make debian:bookworm-slim locally when no registry can be reached
#
#  Usage: deploy/base-image.sh [--force]
#  Does nothing when the image exists (unless --force). Otherwise: debootstrap
#  a minimal Debian 12 (minbase) from the host's mirror, slim it the way the
#  official slim image is slimmed (no docs, man pages, locales or apt lists),
#  and `docker import` it under the official name, so deploy/Dockerfile's
#  FROM line finds it. Needs root, debootstrap and a running Docker engine.
set -eu
DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=debian:bookworm-slim
MIRROR=${MIRROR:-http://deb.debian.org/debian}
case "${1:-}" in
    -h|--help) sed -n '2,9p' "$0" | sed 's/^#  \{0,1\}//'; exit 0 ;;
    --force|"") ;;
    *) echo "base-image: unknown option '$1'" >&2; exit 2 ;;
esac
if [ "${1:-}" != --force ] && "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { echo "base-image: debootstrap is not installed" >&2; exit 1; }
root=$(mktemp -d /tmp/zc-base-XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap bookworm (minbase) from $MIRROR"
debootstrap --variant=minbase bookworm "$root" "$MIRROR" > "$root.log" 2>&1 \
    || { tail -5 "$root.log" >&2; echo "base-image: debootstrap failed" >&2; exit 1; }
rm -f "$root.log"
#  the sources the official image has
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
#  what the official slim image leaves out
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/* \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/usr/share/locale/* "$root"/tmp/*
cat > "$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<SLIM
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
SLIM
tar -C "$root" -c . | "$DOCKER" import --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
echo "base-image: $IMAGE made locally ($("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE") bytes)"
