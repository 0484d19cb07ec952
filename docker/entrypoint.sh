#!/usr/bin/env bash
# Entrypoint of the drmaa-testkit Grid Engine image.
#
#   entrypoint.sh            configure and start a single-node cell, then stay in the
#                            foreground showing the daemons' logs; SIGTERM stops the cell
#   entrypoint.sh health     exit 0 when the cell runs jobs (the image's HEALTHCHECK)
#   entrypoint.sh COMMAND…   run COMMAND instead (e.g. bash)
#
# The cell is configured here, at container start, and not at image build time: the
# host name is only known now (the cell must name this host as its master, admin, submit
# and exec host). Ports come from SGE_QMASTER_PORT / SGE_EXECD_PORT (default 6444/6445);
# with the host network they must not clash with another cell on the machine.
set -euo pipefail

SHARE=/usr/local/share/drmaa-testkit
READY=/run/drmaa-testkit.ready      # written once the cell passed its first health check
LAST_OK=/run/drmaa-testkit.health   # time of the last health-check job that exited 0
export SGE_ROOT="${SGE_ROOT:-/var/lib/gridengine}" SGE_CELL="${SGE_CELL:-default}"
export SGE_QMASTER_PORT="${SGE_QMASTER_PORT:-6444}" SGE_EXECD_PORT="${SGE_EXECD_PORT:-6445}"
JOB_USER="${SGE_JOB_USER:-sgeuser}"
# A health check submits a job at most this often; in between it only checks the daemons
# (so a 5 s check interval does not flood the cell under test with jobs).
HEALTH_JOB_EVERY="${HEALTH_JOB_EVERY:-60}"

log() { echo "[entrypoint] $*"; }

# The host name must resolve, to this machine: the qmaster and execd look themselves up.
# (`docker run --hostname H --add-host H:127.0.0.1` does it; this covers a plain run.)
ensure_host_name() {
    local host
    host=$(hostname)
    if ! getent hosts "$host" >/dev/null; then
        echo "127.0.0.1 $host" >> /etc/hosts
        log "added '127.0.0.1 $host' to /etc/hosts"
    fi
}

daemons_alive() {
    pgrep -x sge_qmaster >/dev/null && pgrep -x sge_execd >/dev/null
}

health() {
    [ -e "$READY" ] || { echo "cell not configured yet"; return 1; }
    daemons_alive || { echo "sge_qmaster or sge_execd is not running"; return 1; }
    local now last
    now=$(date +%s)
    last=$(cat "$LAST_OK" 2>/dev/null || echo 0)
    if [ $(( now - last )) -lt "$HEALTH_JOB_EVERY" ]; then
        echo "daemons running; last health-check job $(( now - last )) s ago"
        return 0
    fi
    local out
    if out=$(timeout 60 runuser -u "$JOB_USER" -- env -i PATH=/usr/bin:/bin \
            SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL" \
            SGE_QMASTER_PORT="$SGE_QMASTER_PORT" SGE_EXECD_PORT="$SGE_EXECD_PORT" \
            /usr/bin/qsub -sync y -b y -j y -o /dev/null -N healthcheck /bin/true 2>&1) &&
            grep -q 'exited with exit code 0' <<<"$out"; then
        echo "$now" > "$LAST_OK"
        echo "health-check job exited 0"
        return 0
    fi
    echo "health-check job failed: $out"
    return 1
}

shutdown() {
    log "stopping the cell"
    rm -f "$READY" "$LAST_OK"
    bash "$SHARE/stop-sge.sh" || true
    if [ -n "${TAIL_PID:-}" ]; then kill "$TAIL_PID" 2>/dev/null || true; fi
    exit 0
}

run_cell() {
    rm -f "$READY" "$LAST_OK"
    ensure_host_name
    log "configuring cell '$SGE_CELL' on host $(hostname), ports $SGE_QMASTER_PORT/$SGE_EXECD_PORT"
    trap shutdown TERM INT
    bash "$SHARE/provision-sge.sh" configure   # ends with a job that must exit 0
    date +%s > "$LAST_OK"
    touch "$READY"
    log "cell ready"
    # Foreground: follow the daemons' logs until SIGTERM. (`wait` returns when a trapped
    # signal arrives, so shutdown runs at once.)
    tail -n 0 -F /var/spool/gridengine/qmaster/messages /var/spool/gridengine/execd/*/messages &
    TAIL_PID=$!
    wait "$TAIL_PID" || true
}

case "${1:-}" in
    "")     run_cell ;;
    health) health ;;
    *)      exec "$@" ;;
esac
