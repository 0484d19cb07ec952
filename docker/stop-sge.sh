#!/usr/bin/env bash
# Stop the Grid Engine daemons started by docker/provision-sge.sh (run as root).
#
#   bash docker/stop-sge.sh            # both daemons; fails if any sge daemon is left
#   bash docker/stop-sge.sh qmaster    # only sge_qmaster (an outage: the execd and its
#                                      # jobs keep running; provision-sge.sh restarts it)
#   bash docker/stop-sge.sh execd      # only sge_execd (running jobs keep running)
#
# The init scripts' `stop` does not work (they look for /usr/sbin/sge_*, a wrapper
# script, while the running binaries are /usr/lib/gridengine/sge_*), so we signal the
# pids recorded in the daemons' spool directories, wait for them to exit, and fail if
# any sge daemon is left.
set -euo pipefail

QMASTER_PIDFILE=/var/spool/gridengine/qmaster/qmaster.pid
EXECD_SPOOL=/var/spool/gridengine/execd
START=$EPOCHREALTIME
log() { awk -v a="$START" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[stop-sge %5.1fs] %s\n", b-a, m}'; }

# A pid counts as running until it is gone or a zombie: a killed daemon whose parent
# (init) has not reaped it yet is dead all the same.
running() {  # running PID
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ $state != Z* ]]
}

stop_pidfile() {  # stop_pidfile PIDFILE NAME
    local pidfile=$1 name=$2 pid i
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    # Only signal the pid if it still is that daemon (pids get reused).
    if [ -n "$pid" ] && grep -qx "$name" "/proc/$pid/comm" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do          # up to 20 s for a clean shutdown
            running "$pid" || break
            sleep 0.2
        done
        if running "$pid"; then
            log "$name (pid $pid) ignored SIGTERM for 20 s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            for i in $(seq 1 25); do       # up to 5 s to die
                running "$pid" || break
                sleep 0.2
            done
        fi
        if running "$pid"; then
            log "ERROR: $name (pid $pid) is still running"
            return 1
        fi
        log "stopped $name (pid $pid)"
    fi
    rm -f "$pidfile"
}

stop_execd() {
    local f
    for f in "$EXECD_SPOOL"/*/execd.pid; do
        if [ -e "$f" ]; then stop_pidfile "$f" sge_execd || return 1; fi
    done
}

# One daemon only: its jobs' shepherds keep running either way. Checked by its pid, not
# by name: a container's daemons show in this host's process list under the same names.
case "${1:-all}" in
    all) ;;
    qmaster) stop_pidfile "$QMASTER_PIDFILE" sge_qmaster; exit ;;
    execd)   stop_execd; exit ;;
    *) echo "usage: stop-sge.sh [all|qmaster|execd]" >&2; exit 2 ;;
esac

# execd first, so the qmaster sees it go; then the qmaster. (A survivor is reported below.)
stop_execd || true
stop_pidfile "$QMASTER_PIDFILE" sge_qmaster || true

# Nothing may be left, whatever started it (exact process names, not a pattern).
# (one pgrep per name: pgrep warns about and ignores patterns over 15 characters)
left=""
for name in sge_qmaster sge_execd sge_shepherd sge_shadowd; do
    for pid in $(pgrep -x "$name" || true); do
        if running "$pid"; then left="$left $pid"; fi
    done
done
left=$(echo $left)
if [ -n "$left" ]; then
    log "ERROR: sge daemons still running: $left"
    ps -o pid,comm,args -p "${left// /,}" >&2 || true
    exit 1
fi
log "no sge daemon left"
