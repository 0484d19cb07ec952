#!/usr/bin/env bash
# Make a Debian 12 base image locally, for machines that cannot pull `debian:bookworm`
# (no container registry reachable), then build with `--build-arg BASE=<that image>`:
#
#   bash docker/make-base-image.sh [IMAGE]      # default IMAGE: drmaa-testkit/bookworm-base
#
# debootstrap (minbase) from the Debian mirror this host's apt already uses, then
# `docker import`. Idempotent: does nothing when IMAGE exists. Run as root; the docker
# CLI talks to $DOCKER_HOST, or to docker/dockerd.sh's engine when that is running.
set -euo pipefail

IMAGE="${1:-drmaa-testkit/bookworm-base}"
SUITE=bookworm
HERE=$(cd "$(dirname "$0")" && pwd)
START=$EPOCHREALTIME
log() { awk -v a="$START" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[make-base-image %5.1fs] %s\n", b-a, m}' >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap)"
if [ -z "${DOCKER_HOST:-}" ] && [ ! -S /var/run/docker.sock ] && bash "$HERE/dockerd.sh" status >/dev/null 2>&1; then
    export "$(bash "$HERE/dockerd.sh" env)"
fi
command -v docker >/dev/null || die "the docker CLI is missing (apt-get install docker.io)"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE already exists"
    exit 0
fi

# The mirror: the first Debian archive URI in this host's apt sources (deb822 .sources
# files first, then one-line .list files), skipping the security archive.
mirror() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { if ($i !~ /security/) print $i; break } }' "$f" | head -n 1)
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    echo http://deb.debian.org/debian
}
MIRROR="${DEBIAN_MIRROR:-$(mirror)}"

command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

ROOTFS=$(mktemp -d /var/tmp/drmaa-testkit-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
log "debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" > "$ROOTFS.log" 2>&1 || {
    tail -n 20 "$ROOTFS.log" >&2; die "debootstrap failed (log: $ROOTFS.log)"; }
rm -f "$ROOTFS.log"

# Same suites as the official image: the release, its updates, and security.
SECURITY="${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"
cat > "$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
# Leaner image, as the official one does: no apt caches, no docs from later installs.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*

log "docker import as $IMAGE ($(du -sh "$ROOTFS" | cut -f1))"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$IMAGE" >/dev/null
log "made $IMAGE"
