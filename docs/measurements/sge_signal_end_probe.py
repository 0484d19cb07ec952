"""Probe what a DRMAA library reports for jobs ended by unusual signals: real-time signals
(RTMIN, RTMIN+3, RTMAX), SIGSYS, SIGSTKFLT, signals ignored by default (SIGWINCH, SIGURG,
SIGCHLD) and a few others Grid Engine's signal table may not know (SIGXFSZ, SIGVTALRM,
SIGPROF, SIGIO, SIGPWR). The job kills its own shell with `kill -SIG $$`; /bin/sh is dash,
which knows RTMIN but not the SIG prefix nor STKFLT, so each signal is also sent by bash
and by number. All jobs are submitted at once, then each is waited; the probe prints the
whole JobInfo and what the job printed (the shell's complaint, if any).

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):   bash docs/measurements/run-probe.sh sge_signal_end_probe
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import glob
import os

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
A = drmaa.JobControlAction


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"<{type(e).__name__}: {e.strerror}>"


CASES = [
    ("sh", "kill -RTMIN $$"), ("sh", "kill -RTMIN+3 $$"), ("sh", "kill -SIGSYS $$"),
    ("sh", "kill -SIGSTKFLT $$"), ("sh", "kill -SIGWINCH $$"), ("sh", "kill -SIGURG $$"),
    ("sh", "kill -SYS $$"), ("sh", "kill -STKFLT $$"), ("sh", "kill -WINCH $$"),
    ("sh", "kill -URG $$"),
    ("bash", "kill -SIGRTMIN $$"), ("bash", "kill -SIGRTMIN+3 $$"), ("bash", "kill -SIGRTMAX $$"),
    ("bash", "kill -SIGSYS $$"), ("bash", "kill -SIGSTKFLT $$"), ("bash", "kill -SIGWINCH $$"),
    ("bash", "kill -SIGURG $$"), ("bash", "kill -SIGCHLD $$"), ("bash", "kill -SIGXFSZ $$"),
    ("bash", "kill -SIGVTALRM $$"), ("bash", "kill -SIGPROF $$"), ("bash", "kill -SIGIO $$"),
    ("bash", "kill -SIGPWR $$"),
    ("sh", "kill -16 $$"), ("sh", "kill -31 $$"), ("sh", "kill -34 $$"), ("sh", "kill -37 $$"),
    ("sh", "kill -64 $$"),
]

for f in glob.glob(f"{D}/sigend_*.out") + glob.glob(f"{D}/core*"):
    os.unlink(f)

s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.workingDirectory = D
jt.joinFiles = True
jobs = []
for i, (shell, cmd) in enumerate(CASES):
    jt.remoteCommand = f"/bin/{shell}"
    jt.args = ["-c", f"{cmd}; echo still alive after kill, status $?"]
    jt.outputPath = f":{D}/sigend_{i}.out"
    jobs.append(s.runJob(jt))
s.deleteJobTemplate(jt)

for i, ((shell, cmd), job) in enumerate(zip(CASES, jobs)):
    try:
        info = s.wait(job, 60)
    except Exception as e:
        print(f"{shell} -c '{cmd}': wait {type(e).__name__}: {e}", flush=True)
        probe("  terminate", lambda: s.control(job, A.TERMINATE))
        probe("  wait", lambda: s.wait(job, 15)[:7])
        continue
    ru = info.resourceUsage
    print(f"{shell} -c '{cmd}': hasExited={info.hasExited} hasSignal={info.hasSignal} "
          f"terminatedSignal={info.terminatedSignal!r} hasCoreDump={info.hasCoreDump} "
          f"wasAborted={info.wasAborted} exitStatus={info.exitStatus} "
          f"ru exit_status={ru.get('exit_status')} ru signal={ru.get('signal')}", flush=True)
    out = read(f"{D}/sigend_{i}.out").strip()
    if out:
        print(f"  job printed {out!r}", flush=True)

print(f"core files left in {D}: {len(glob.glob(f'{D}/core*'))}", flush=True)
for f in glob.glob(f"{D}/core*"):
    os.unlink(f)
probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
s.exit()
