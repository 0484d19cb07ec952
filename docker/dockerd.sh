#!/usr/bin/env bash
# A private Docker engine for drmaa-testkit (run as root):
#
#   bash docker/dockerd.sh start    # install docker.io if missing, start dockerd, wait for it
#   bash docker/dockerd.sh stop     # stop it and undo the mounts it leaves behind
#   bash docker/dockerd.sh status   # exit 0 when it answers
#
# Clients reach it with DOCKER_HOST=unix://$DRMAA_TESTKIT_DOCKER_DIR/docker.sock
# (`bash docker/dockerd.sh env` prints that line).
#
# Why a private engine: it has its own data root, exec root, pid file, socket and config
# file, so it neither uses nor disturbs any other engine on the machine, and it never
# creates the default bridge network: on these machines containers must use the host
# network (or none), never the bridge (no traffic to private address ranges).
# Idempotent: `start` on a running engine and `stop` on a stopped one do nothing.
set -euo pipefail

DIR="${DRMAA_TESTKIT_DOCKER_DIR:-/var/lib/drmaa-testkit-docker}"
# The directory is the engine's alone: stop unmounts and deletes under it. Refuse one
# that could hold anything else (a relative path, /, a top-level system directory).
case "$DIR" in
    /*/*) ;;
    *) echo "dockerd.sh: DRMAA_TESTKIT_DOCKER_DIR must be an absolute path at least two levels deep, not '$DIR'" >&2; exit 2 ;;
esac
MARK="$DIR/.drmaa-testkit-docker"  # made by start: proof the directory is ours
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
EXEC_ROOT="$DIR/exec"      # short on purpose: containerd puts unix sockets under it
DATA_ROOT="$DIR/data"
LOG="$DIR/dockerd.log"
CONFIG="$DIR/daemon.json"

START=$EPOCHREALTIME
log() { awk -v a="$START" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[dockerd.sh %5.1fs] %s\n", b-a, m}' >&2; }
die() { log "ERROR: $*"; exit 1; }

pid_alive() {
    local pid
    [ -s "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    [ -n "$pid" ] && grep -qx dockerd "/proc/$pid/comm" 2>/dev/null
}

answers() {  # the engine answers on our socket (any client: the CLI may be missing)
    [ -S "$SOCK" ] || return 1
    if command -v docker >/dev/null 2>&1; then
        DOCKER_HOST="unix://$SOCK" timeout 5 docker version >/dev/null 2>&1
    else
        timeout 5 curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
    fi
}

install_engine() {
    command -v dockerd >/dev/null 2>&1 && return 0
    log "installing docker.io (Debian's engine)"
    # docker.io's postinst would start a default dockerd (with the default bridge) where
    # an init system exists; a policy-rc.d that answers 101 ("not allowed") prevents it.
    local policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    rm -f "$policy"; trap - EXIT
    # On a systemd host the package's units would start the default engine, default bridge
    # and all, at the next boot or socket activation: mask them (what `systemctl mask`
    # does, done by hand so that it also works where systemd is not running).
    if [ -d /etc/systemd/system ]; then
        ln -sf /dev/null /etc/systemd/system/docker.service
        ln -sf /dev/null /etc/systemd/system/docker.socket
        log "masked the docker.service and docker.socket units"
    fi
    log "docker.io installed: $(dockerd --version)"
}

start() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    if pid_alive && answers; then
        log "already running (pid $(cat "$PIDFILE")), DOCKER_HOST=unix://$SOCK"
        return 0
    fi
    pid_alive && die "dockerd (pid $(cat "$PIDFILE")) runs but does not answer on $SOCK; run '$0 stop' first"
    install_engine
    mkdir -p "$DIR" "$EXEC_ROOT" "$DATA_ROOT"
    touch "$MARK"
    chmod 711 "$DIR"
    # Our own (empty) config file, so a machine-wide /etc/docker/daemon.json is not read.
    [ -s "$CONFIG" ] || echo '{}' > "$CONFIG"
    rm -f "$SOCK"
    log "starting dockerd (data root $DATA_ROOT, socket $SOCK)"
    # No bridge, no iptables: only --network host / none work, which is what we want.
    # setsid + nohup: the engine outlives the shell (or Python process) that started it.
    setsid nohup dockerd \
        --config-file "$CONFIG" \
        --data-root "$DATA_ROOT" \
        --exec-root "$EXEC_ROOT" \
        --pidfile "$PIDFILE" \
        -H "unix://$SOCK" \
        --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
        </dev/null >>"$LOG" 2>&1 &
    for _ in $(seq 1 300); do  # up to 60 s
        if answers; then
            log "running (pid $(cat "$PIDFILE")); DOCKER_HOST=unix://$SOCK"
            return 0
        fi
        sleep 0.2
    done
    tail -n 30 "$LOG" >&2 || true
    die "dockerd did not answer on $SOCK within 60 s (log: $LOG)"
}

unmount_leftovers() {
    # dockerd leaves a network-namespace bind mount (exec root/netns/default) and, if it
    # died hard, overlay mounts under its data root: unmount everything under those two,
    # deepest first, and only in a directory that start made.
    local m
    [ -e "$MARK" ] || { log "no $MARK: not unmounting anything under $DIR"; return 0; }
    findmnt -rn -o TARGET 2>/dev/null |
        awk -v e="$EXEC_ROOT/" -v d="$DATA_ROOT/" 'index($0, e) == 1 || index($0, d) == 1' | sort -r |
        while read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
            log "unmounted $m"
        done
}

stop() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    if pid_alive; then
        local pid
        pid=$(cat "$PIDFILE")
        # Stop our containers first (dockerd would do it too, with its own 10 s timeouts).
        if answers && command -v docker >/dev/null 2>&1; then
            local ids
            ids=$(DOCKER_HOST="unix://$SOCK" docker ps -q 2>/dev/null || true)
            if [ -n "$ids" ]; then
                log "stopping containers: $(echo $ids)"
                DOCKER_HOST="unix://$SOCK" docker stop -t 30 $ids >/dev/null 2>&1 || true
            fi
        fi
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do  # up to 30 s
            [ -d "/proc/$pid" ] || break
            sleep 0.2
        done
        if [ -d "/proc/$pid" ]; then
            log "dockerd (pid $pid) ignored SIGTERM: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
        log "stopped dockerd (pid $pid)"
    else
        log "not running"
    fi
    # The containerd that dockerd started for itself normally exits with it; make sure
    # (matched by its socket path under our exec root, never by a bare name).
    local cpid
    for cpid in $(pgrep -x containerd 2>/dev/null || true); do
        if tr '\0' ' ' < "/proc/$cpid/cmdline" 2>/dev/null | grep -q -- "$EXEC_ROOT/"; then
            log "stopping leftover containerd (pid $cpid)"
            kill -TERM "$cpid" 2>/dev/null || true
        fi
    done
    rm -f "$PIDFILE" "$SOCK"
    unmount_leftovers
}

case "${1:-}" in
    start)  start ;;
    stop)   stop ;;
    status) if pid_alive && answers; then echo "running (pid $(cat "$PIDFILE")), DOCKER_HOST=unix://$SOCK"; else echo "not running"; exit 1; fi ;;
    env)    echo "DOCKER_HOST=unix://$SOCK" ;;
    *)      echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
