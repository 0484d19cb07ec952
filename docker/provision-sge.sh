#!/usr/bin/env bash
# Provision a single-node Son of Grid Engine 8.1.9 cell on Debian 12 (run as root).
#
#   bash docker/provision-sge.sh [all|install|configure]      (default: all)
#
#   install    packages and the job user only; no daemon, nothing host-specific that
#              configure does not redo (what the Docker image runs at build time)
#   configure  host names, daemons, queue, scheduler, health check (what the image's
#              entrypoint runs at container start, with the container's host name)
#   all        both (the native path)
#
# Installs the Debian gridengine packages, fixes host-name resolution, starts
# sge_qmaster and sge_execd, configures one queue (all.q) on this host with a fast
# scheduler and a parallel environment `smp` (999 slots, $pe_slots), creates the
# unprivileged job user `sgeuser`, and finishes with a health check (one job
# submitted as sgeuser must finish with exit status 0).
#
# Idempotent: on an already provisioned host it only (re)starts daemons that are
# not running, changes nothing that is already right, and re-runs the health check.
#
# Environment (all optional):
#   SGE_QMASTER_PORT  qmaster port (default 6444)
#   SGE_EXECD_PORT    execd port   (default 6445)
#   SGE_SLOTS         slots of all.q (default: number of cores, at least 4)
#   SGE_JOB_USER      user that runs jobs (default sgeuser)
set -euo pipefail

PHASE="${1:-all}"
case "$PHASE" in
    all|install|configure) ;;
    *) echo "usage: $0 [all|install|configure]" >&2; exit 2 ;;
esac

export SGE_ROOT=/var/lib/gridengine
export SGE_CELL=default
export SGE_QMASTER_PORT="${SGE_QMASTER_PORT:-6444}"
export SGE_EXECD_PORT="${SGE_EXECD_PORT:-6445}"
JOB_USER="${SGE_JOB_USER:-sgeuser}"
COMMON="$SGE_ROOT/$SGE_CELL/common"
QMASTER_SPOOL=/var/spool/gridengine/qmaster
EXECD_SPOOL=/var/spool/gridengine/execd
PACKAGES=(gridengine-master gridengine-exec gridengine-client gridengine-drmaa1.0 procps)

HERE=$(cd "$(dirname "$0")" && pwd)
START=$EPOCHREALTIME
log() { awk -v a="$START" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[provision-sge %5.1fs] %s\n", b-a, m}'; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

HOST=$(hostname)
NCPU=$(nproc)
SLOTS="${SGE_SLOTS:-$(( NCPU < 4 ? 4 : NCPU ))}"

# --------------------------------------------------------------------------- job user
# The global config keeps min_uid/min_gid 1000, so root's jobs are refused: jobs run as
# an ordinary user with a home directory (default place of job output files).
ensure_job_user() {
    if ! id "$JOB_USER" >/dev/null 2>&1; then
        useradd --create-home --shell /bin/bash --key UID_MIN=1000 --key GID_MIN=1000 "$JOB_USER"
        log "created user $JOB_USER (uid $(id -u "$JOB_USER"))"
    fi
    [ "$(id -u "$JOB_USER")" -ge 1000 ] || die "$JOB_USER has uid < 1000: SGE would refuse its jobs"
}

# --------------------------------------------------------------------------- packages
all_installed() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || return 1
    done
}

if all_installed; then
    log "packages already installed"
elif [ "$PHASE" = configure ]; then
    die "gridengine packages missing: run '$0 install' (or '$0') first"
else
    log "installing ${PACKAGES[*]}"
    # Preseed debconf so the master's postinst creates cell `default` under
    # /var/lib/gridengine and the client/exec postinst write act_qmaster.
    debconf-set-selections <<EOF
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string $SGE_CELL
gridengine-common shared/gridenginemaster string $HOST
gridengine-master shared/gridengineconfig boolean true
gridengine-master shared/gridenginecell string $SGE_CELL
gridengine-master shared/gridenginemaster string $HOST
gridengine-exec shared/gridenginemaster string $HOST
gridengine-client shared/gridenginemaster string $HOST
EOF
    # Keep the postinst scripts from starting daemons (no init system here, and we
    # must fix host names first); a policy-rc.d that says "101 = not allowed" does that.
    POLICY=/usr/sbin/policy-rc.d
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$POLICY"; chmod 755 "$POLICY"
        trap 'rm -f "$POLICY"' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${PACKAGES[@]}" >/dev/null
    rm -f "$POLICY"; trap - EXIT
    log "packages installed"
fi

[ -d "$COMMON" ] || die "$COMMON missing: the master's postinst did not create the cell"

if [ "$PHASE" = install ]; then
    ensure_job_user
    log "install phase done (configure with: $0 configure)"
    exit 0
fi

# --------------------------------------------------------------------------- host names
# /etc/hosts maps 127.0.0.1 to `localhost` first, so the qmaster would see clients as
# "localhost" and refuse them ("client IP resolved to host name localhost. This is not
# identical to clients host name <host>"). host_aliases makes both names one host.
# act_qmaster may be empty after install; it must name this host.
CHANGED_HOSTS=0
write_if_differs() {  # write_if_differs FILE CONTENT -> sets CHANGED_HOSTS=1 on change
    if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
        printf '%s\n' "$2" > "$1"
        chown sgeadmin:sgeadmin "$1"; chmod 644 "$1"
        CHANGED_HOSTS=1
    fi
}
if [ "$HOST" != localhost ]; then
    write_if_differs "$COMMON/host_aliases" "$HOST localhost"
fi
write_if_differs "$COMMON/act_qmaster" "$HOST"

# settings.sh is what SGE clients conventionally source; record the ports there so
# that docker/sge-env.sh (and anyone else) finds the cell we started.
# The first line tells conformance/cell.py that this cell is ours to stop and restart.
SETTINGS="# written by drmaa-testkit's docker/provision-sge.sh
SGE_ROOT=$SGE_ROOT; export SGE_ROOT
SGE_CELL=$SGE_CELL; export SGE_CELL
SGE_QMASTER_PORT=$SGE_QMASTER_PORT; export SGE_QMASTER_PORT
SGE_EXECD_PORT=$SGE_EXECD_PORT; export SGE_EXECD_PORT"
if [ ! -f "$COMMON/settings.sh" ] || [ "$(cat "$COMMON/settings.sh")" != "$SETTINGS" ]; then
    # Ports changed (or first run): running daemons must be restarted to use them.
    grep -q "SGE_QMASTER_PORT" "$COMMON/settings.sh" 2>/dev/null && CHANGED_HOSTS=1
    printf '%s\n' "$SETTINGS" > "$COMMON/settings.sh"; chmod 644 "$COMMON/settings.sh"
fi

# --------------------------------------------------------------------------- daemons
# The init scripts' start uses a wrapper path that never matches the running
# binary, so we start the daemons directly and track them by their spool pid files.
pid_alive() {  # pid_alive PIDFILE NAME (a zombie, killed but not yet reaped, is not)
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    [ -n "$pid" ] && grep -qx "$2" "/proc/$pid/comm" 2>/dev/null &&
        [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]
}
qmaster_running() { pid_alive "$QMASTER_SPOOL/qmaster.pid" sge_qmaster; }
# The execd names its spool subdirectory after the name it resolves for itself (here
# "localhost", not the host name), so look at every host directory.
execd_pidfile() {
    local f
    for f in "$EXECD_SPOOL"/*/execd.pid; do
        pid_alive "$f" sge_execd && { echo "$f"; return 0; }
    done
    return 1
}
execd_running()   { execd_pidfile >/dev/null; }

if [ "$CHANGED_HOSTS" = 1 ] && { qmaster_running || execd_running; }; then
    log "host names or ports changed: restarting daemons"
    bash "$HERE/stop-sge.sh"
fi

# Jobs inherit the execd's environment, so start the daemons with a small, fixed one
# (as an init system would) instead of whatever the calling shell happens to export.
# (In a subshell started from /, so the daemons hold no caller's directory.)
daemon_env() (
    cd /
    exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        HOME=/root SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL" \
        SGE_QMASTER_PORT="$SGE_QMASTER_PORT" SGE_EXECD_PORT="$SGE_EXECD_PORT" "$@"
)

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local limit=$1 what=$2; shift 2
    local end=$(( $(date +%s) + limit ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || die "timed out after ${limit}s waiting for $what"
        sleep 0.2
    done
}

if qmaster_running; then
    log "sge_qmaster already running (pid $(cat "$QMASTER_SPOOL/qmaster.pid"))"
else
    log "starting sge_qmaster on port $SGE_QMASTER_PORT"
    daemon_env /usr/sbin/sge_qmaster
    wait_for 60 "sge_qmaster to answer" qconf -sh
    # Measured (docs/measurements/sge_outage_probe.py): an execd that outlives the qmaster
    # fails to register with the new one ("abort qmaster registration due to communication
    # errors") and never retries, so the qmaster hears of no job ending and delivers no new
    # job. Restarting it fixes that; the jobs it runs keep running meanwhile.
    if execd_running; then
        log "restarting sge_execd, which outlived the qmaster"
        bash "$HERE/stop-sge.sh" execd
    fi
fi

# --------------------------------------------------------------------------- cell config
# Each step checks the current state first, so a re-run changes nothing.
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
quiet() {  # run a qconf-like command; show its chatter (stdout+stderr) only if it fails
    local out
    out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

qconf -sh 2>/dev/null | grep -qx "$HOST" || quiet qconf -ah "$HOST"
qconf -ss 2>/dev/null | grep -qx "$HOST" || quiet qconf -as "$HOST"

if ! qconf -se "$HOST" >/dev/null 2>&1; then
    cat > "$TMP/exechost" <<EOF
hostname              $HOST
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
    quiet qconf -Ae "$TMP/exechost"
    log "added exec host $HOST"
fi

if ! qconf -shgrp @allhosts >/dev/null 2>&1; then
    printf 'group_name @allhosts\nhostlist %s\n' "$HOST" > "$TMP/allhosts"
    quiet qconf -Ahgrp "$TMP/allhosts"
    log "added host group @allhosts"
fi

# A parallel environment for `-pe smp N` (one host, all slots on it), offered by all.q:
# the simulator's cell defines the same (sge_native_pe_probe measured it).
if ! qconf -sp smp >/dev/null 2>&1; then
    cat > "$TMP/smp.pe" <<'EOF'
pe_name            smp
slots              999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
    quiet qconf -Ap "$TMP/smp.pe"
    log "added parallel environment smp"
fi

if ! qconf -sq all.q >/dev/null 2>&1; then
    cat > "$TMP/all.q" <<EOF
qname                 all.q
hostlist              @allhosts
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               smp
rerun                 FALSE
slots                 $SLOTS
tmpdir                /tmp
shell                 /bin/sh
prolog                NONE
epilog                NONE
shell_start_mode      posix_compliant
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
s_rt                  INFINITY
h_rt                  INFINITY
s_cpu                 INFINITY
h_cpu                 INFINITY
s_fsize               INFINITY
h_fsize               INFINITY
s_data                INFINITY
h_data                INFINITY
s_stack               INFINITY
h_stack               INFINITY
s_core                INFINITY
h_core                INFINITY
s_rss                 INFINITY
h_rss                 INFINITY
s_vmem                INFINITY
h_vmem                INFINITY
EOF
    quiet qconf -Aq "$TMP/all.q"
    log "added queue all.q with $SLOTS slots"
elif [ "$(qconf -sq all.q | awk '$1=="slots"{print $2}')" != "$SLOTS" ]; then
    quiet qconf -mattr queue slots "$SLOTS" all.q
    log "set all.q slots to $SLOTS"
fi
if ! qconf -sq all.q | awk '$1=="pe_list" {for (i = 2; i <= NF; i++) if ($i == "smp") f = 1}
                           END {exit !f}'; then
    quiet qconf -aattr queue pe_list smp all.q
    log "added smp to all.q's pe_list"
fi

# Fast scheduler: the default 15 s schedule_interval makes every job take >= 15 s.
qconf -ssconf > "$TMP/sconf"
sed -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
    -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
    -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' \
    "$TMP/sconf" > "$TMP/sconf.new"
if ! cmp -s "$TMP/sconf" "$TMP/sconf.new"; then
    quiet qconf -Msconf "$TMP/sconf.new"
    log "scheduler set to schedule_interval 0:0:1, flush_submit_sec 1, flush_finish_sec 1"
fi

# --------------------------------------------------------------------------- job user
ensure_job_user

# --------------------------------------------------------------------------- execd
if execd_running; then
    log "sge_execd already running (pid $(cat "$(execd_pidfile)"))"
else
    log "starting sge_execd on port $SGE_EXECD_PORT"
    daemon_env /usr/sbin/sge_execd
    wait_for 30 "sge_execd pid file" execd_running
fi

# A queue instance whose execd started with an old config can sit in error state E;
# clearing it is harmless when it is not.
qmod -c "all.q@$HOST" >/dev/null 2>&1 || true

# --------------------------------------------------------------------------- health check
log "health check: qsub -sync y as $JOB_USER"
if ! timeout 120 runuser -u "$JOB_USER" -- env SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL" \
        SGE_QMASTER_PORT="$SGE_QMASTER_PORT" SGE_EXECD_PORT="$SGE_EXECD_PORT" \
        /usr/bin/qsub -sync y -b y -j y -o /dev/null -N provision-check /bin/true > "$TMP/qsub.out" 2>&1; then
    cat "$TMP/qsub.out" >&2
    qstat -f >&2 || true
    die "health check job failed"
fi
grep -q 'exited with exit code 0' "$TMP/qsub.out" || { cat "$TMP/qsub.out" >&2; die "health check job did not exit 0"; }
log "healthy: $(tr '\n' ' ' < "$TMP/qsub.out")"
