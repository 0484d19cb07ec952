"""Probe what becomes of processes that leave their job: a child started with setsid, a
nohup'ed child with SIGHUP ignored in a subshell, a double-forked daemon, and a plain
background child, after the job ends by itself (wait returned) and after control TERMINATE
of a still running job. Each job writes the pid of its `sleep 30` into $PROBE_DIR; the probe
then looks at /proc/<pid> (alive? parent, process group, session, supplementary groups,
where Grid Engine's additional group id from gid_range shows up) right after wait returns
and again 5 s later, and runs `pgrep -u <user> -f "sleep 30"` (which may also see another
user of the cell). Every recorded pid still alive at the end is killed.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):   bash docs/measurements/run-probe.sh sge_escaped_children_probe
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import getpass
import os
import signal
import subprocess
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
A = drmaa.JobControlAction
USER = getpass.getuser()


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


def proc(pid):
    """State of a process from /proc: alive or not, ppid, pgrp, sid, groups, command."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode().strip()
        with open(f"/proc/{pid}/status") as f:
            groups = [ln.split()[1:] for ln in f if ln.startswith("Groups:")][0]
    except OSError:
        return "gone"
    fields = stat[stat.rindex(")") + 2:].split()
    return (f"alive state={fields[0]} ppid={fields[1]} pgrp={fields[2]} sid={fields[3]} "
            f"groups={groups} cmd={cmd!r}")


def pgrep():
    r = subprocess.run(["pgrep", "-u", USER, "-f", "sleep 30"], capture_output=True, text=True)
    return r.stdout.split()


def read_pid(name):
    try:
        with open(f"{D}/{name}.pid") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError) as e:
        return None


ALL_PIDS = []

s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.outputPath = ":/dev/null"
jt.joinFiles = True


def submit(name, script):
    path = f"{D}/{name}.pid"
    if os.path.exists(path):
        os.unlink(path)
    jt.args = ["-c", script.replace("PIDFILE", path)]
    return s.runJob(jt)


def report(name, job, end):
    pid = read_pid(name)
    ALL_PIDS.append(pid)
    print(f"{name}: sleep 30 pid {pid}; job's own pids in pgrep: {pid in map(int, pgrep())}",
          flush=True)
    if pid is None:
        return
    print(f"{name}: right after {end}: {proc(pid)}", flush=True)
    time.sleep(5)
    print(f"{name}: 5 s later: {proc(pid)}", flush=True)


print("=== the job ends by itself (after `sleep 1`); state of its escaped child once wait returns")
print(f"pgrep -u {USER} -f 'sleep 30' before: {pgrep()}", flush=True)
CASES = [
    ("esc_setsid", "setsid sleep 30 & echo $! > PIDFILE; sleep 1"),
    ("esc_nohup", '(trap "" HUP; nohup sleep 30 > /dev/null 2>&1 & echo $! > PIDFILE) ; sleep 1'),
    ("esc_nohup_plain", '(trap "" HUP; nohup sleep 30 &) ; sleep 1; pgrep -n -f "sleep 30" > PIDFILE'),
    ("esc_double_fork", 'sh -c "sleep 30 & echo \\$! > PIDFILE" & sleep 1'),
    ("esc_background", "sleep 30 & echo $! > PIDFILE; sleep 1"),
]
for name, script in CASES:
    job = submit(name, script)
    t0 = time.time()
    try:
        info = s.wait(job, 30)
        print(f"{name}: sh -c {script!r}: wait after {time.time() - t0:.1f}s: "
              f"hasExited={info.hasExited} exitStatus={info.exitStatus} "
              f"hasSignal={info.hasSignal} wasAborted={info.wasAborted} "
              f"ru_wallclock={info.resourceUsage.get('ru_wallclock')}", flush=True)
    except Exception as e:
        print(f"{name}: wait {type(e).__name__}: {e}", flush=True)
    report(name, job, "wait returned")

print("=== when is an escaped child killed? it writes the time every 0.05 s; the job writes "
      "the time just before it ends")
for name, script in [
        ("hb_end", "setsid sh -c 'while :; do date +%s.%N > PIDFILE.hb; sleep 0.05; done' & "
                   "echo $! > PIDFILE; sleep 1; date +%s.%N > PIDFILE.end"),
        ("hb_term", "setsid sh -c 'while :; do date +%s.%N > PIDFILE.hb; sleep 0.05; done' & "
                    "echo $! > PIDFILE; sleep 60")]:
    job = submit(name, script)
    if name == "hb_term":
        while s.jobStatus(job) != "running":
            time.sleep(0.1)
        time.sleep(1.5)
        t_term = time.time()
        probe(f"{name}: control(TERMINATE)", lambda: s.control(job, A.TERMINATE))
    info = s.wait(job, 30)
    t_wait = time.time()
    ALL_PIDS.append(read_pid(name))
    time.sleep(2)
    print(f"{name}: the loop's process 2 s after wait: {proc(ALL_PIDS[-1])}", flush=True)
    try:
        with open(f"{D}/{name}.pid.hb") as f:
            hb = float(f.read())
        end = t_term if name == "hb_term" else float(open(f"{D}/{name}.pid.end").read())
        print(f"{name}: last heartbeat {hb - end:+.2f}s after the "
              f"{'control(TERMINATE) call' if name == 'hb_term' else 'job script ended'}; "
              f"wait returned {t_wait - end:+.2f}s after it; ru end_time-start_time "
              f"{float(info.resourceUsage['end_time']) - float(info.resourceUsage['start_time']):.0f}s; "
              f"still writing 2 s after wait: {abs(float(open(f'{D}/{name}.pid.hb').read()) - hb) > 0}",
              flush=True)
    except (OSError, ValueError) as e:
        print(f"{name}: {type(e).__name__}: {e}", flush=True)

print("=== control TERMINATE of a running job (sleep 60) whose child escaped")
TCASES = [
    ("term_setsid", "setsid sleep 30 & echo $! > PIDFILE; sleep 60"),
    ("term_nohup", '(trap "" HUP; nohup sleep 30 > /dev/null 2>&1 & echo $! > PIDFILE) ; sleep 60'),
    ("term_double_fork", 'sh -c "sleep 30 & echo \\$! > PIDFILE" & sleep 60'),
    ("term_background", "sleep 30 & echo $! > PIDFILE; sleep 60"),
]
for name, script in TCASES:
    job = submit(name, script)
    t0 = time.time()
    while time.time() - t0 < 30 and (s.jobStatus(job) != "running" or read_pid(name) is None):
        time.sleep(0.1)
    time.sleep(0.5)
    pid = read_pid(name)
    print(f"{name}: running; child {pid}: {proc(pid) if pid else None}", flush=True)
    probe(f"{name}: control(TERMINATE)", lambda: s.control(job, A.TERMINATE))
    t0 = time.time()
    try:
        info = s.wait(job, 30)
        print(f"{name}: wait after {time.time() - t0:.1f}s: hasExited={info.hasExited} "
              f"hasSignal={info.hasSignal} wasAborted={info.wasAborted} "
              f"exitStatus={info.exitStatus} ru signal={info.resourceUsage.get('signal')}",
              flush=True)
    except Exception as e:
        print(f"{name}: wait {type(e).__name__}: {e}", flush=True)
    report(name, job, "wait returned")

print("=== clean-up")
print(f"pgrep -u {USER} -f 'sleep 30' at the end: {pgrep()}", flush=True)
for pid in ALL_PIDS:
    if pid is not None and ("sleep 30" in proc(pid) or "while" in proc(pid)):
        os.kill(pid, signal.SIGKILL)
        print(f"killed leftover {pid}", flush=True)
probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
s.deleteJobTemplate(jt)
s.exit()
