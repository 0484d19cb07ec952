"""Probe `-pe` in nativeSpecification when a parallel environment exists: does the job run,
what are $NSLOTS / $PE / $PE_HOSTFILE in it, does a `-pe smp 3` job take 3 of the 4 slots
(a second `-pe smp 2` job waits), ranges, more slots than the cell has.

The cell made by docker/provision-sge.sh has no PE (`qconf -spl`: "no parallel environment
defined"; all.q `pe_list NONE`); sge_native_options_probe.py measures that state. For this
probe a PE `smp` is added for the duration of the run, as root:

    cat > /tmp/smp.pe <<'EOF'
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
    qconf -Ap /tmp/smp.pe
    qconf -aattr queue pe_list smp all.q
    bash docs/measurements/run-probe.sh sge_native_pe_probe
    qconf -dattr queue pe_list smp all.q
    qconf -dp smp

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR). Another client may use the cell's 4 slots at the same time; the probe prints
`qstat -f` slot counts where it matters. The .out file beside it is what real Grid Engine
8.1.9 printed.
"""
import os
import re
import shutil
import subprocess
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
SUB = f"{D}/pe"
A = drmaa.JobControlAction
JOBCMD = ("echo \"NSLOTS=$NSLOTS NHOSTS=$NHOSTS NQUEUES=$NQUEUES PE=${PE-unset} "
          "PE_HOSTFILE=${PE_HOSTFILE-unset}\"; [ -n \"$PE_HOSTFILE\" ] && cat \"$PE_HOSTFILE\"; "
          "sleep SLEEP")


def probe(name, call):
    try:
        r = call()
        if isinstance(r, drmaa.JobInfo):
            r = summary(r)
        print(f"{name}: OK -> {r!r}", flush=True)
        return r
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)
        return None


def summary(info):
    ru = info.resourceUsage
    return (f"jobId={info.jobId} hasExited={info.hasExited} exitStatus={info.exitStatus} "
            f"wasAborted={info.wasAborted} ru[cpu]={ru.get('cpu')} "
            f"ru[ru_wallclock]={ru.get('ru_wallclock')} ru[start_time]-ru[submission_time]="
            f"{float(ru.get('start_time', 0)) - float(ru.get('submission_time', 0)):.2f}"
            if 'start_time' in ru else f"jobId={info.jobId} wasAborted={info.wasAborted} ru={ru}")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"<{type(e).__name__}: {e.strerror}>"


def qstat_j(job):
    r = subprocess.run(["qstat", "-j", str(job).split(".")[0]], capture_output=True, text=True)
    keep = [re.sub(r"\s{2,}", " ", ln) for ln in r.stdout.splitlines()
            if ln.startswith(("parallel environment", "scheduling info", "usage")) or
            ln.startswith(" ") and "slots" in ln]
    print(f"  qstat -j: {keep if keep else (r.stdout + r.stderr).strip()[:300]}", flush=True)


def slots():
    r = subprocess.run(["qstat", "-f", "-u", "*"], capture_output=True, text=True)
    ln = [ln for ln in r.stdout.splitlines() if ln.startswith("all.q@")]
    return re.sub(r"\s+", " ", ln[0]) if ln else r.stdout + r.stderr


def trace(s, jobs, limit):
    seen = {j: [] for j in jobs}
    t0 = time.time()
    while time.time() - t0 < limit:
        for j in jobs:
            t = round(time.time() - t0, 1)
            try:
                st = s.jobStatus(j)
            except Exception as e:
                st = type(e).__name__
            if not seen[j] or seen[j][-1][1] != st:
                seen[j].append((t, st))
        if all(v[-1][1] in ("done", "failed", "InvalidJobException") for v in seen.values()):
            break
        time.sleep(0.1)
    return seen


shutil.rmtree(SUB, ignore_errors=True)
os.makedirs(SUB)
print(f"qconf -spl: {subprocess.run(['qconf', '-spl'], capture_output=True, text=True).stdout.split()}", flush=True)
print(f"slots before: {slots()}", flush=True)
s = drmaa.Session()
s.initialize()


def submit(spec, sleep=0, name="pe", hold=False):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", JOBCMD.replace("SLEEP", str(sleep))]
    jt.outputPath = f":{SUB}/{name}.out"
    jt.joinFiles = True
    jt.nativeSpecification = spec
    if hold:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    try:
        return probe(f"runJob nativeSpecification={spec!r}", lambda: s.runJob(jt))
    finally:
        s.deleteJobTemplate(jt)


print("=== one PE job at a time")
for i, spec in enumerate(["-pe smp 2", "-pe smp 1-4", "-pe smp 4", "-pe smp 1", "-pe smp 2-",
                          "-pe smp -3", "-pe smp 0", "-pe smp 5", "-pe smp 5 -w e", "-pe smp 5 -w n",
                          "-pe make 2", "-pe nosuch 2", "-pe smp", "-pe 'smp' 2", "-pe sm* 2",
                          "-pe smp 2 -pe smp 3"]):
    name = f"single{i}"
    j = submit(spec, 0, name)
    if j:
        qstat_j(j)
        info = probe("  wait(job, 8)", lambda: s.wait(j, 8))
        if info is None:
            probe("  jobStatus", lambda: s.jobStatus(j))
            qstat_j(j)
            probe("  control(job, TERMINATE)", lambda: s.control(j, A.TERMINATE))
            probe("  wait(job, 10)", lambda: s.wait(j, 10))
        print(f"  job printed: {read(f'{SUB}/{name}.out')!r}", flush=True)

print("=== '-pe smp 3' (sleep 8) then '-pe smp 2' (sleep 1) then a plain job (sleep 1)")
big = submit("-pe smp 3", 8, "big")
t0 = time.time()
while s.jobStatus(big) != "running" and time.time() - t0 < 20:
    time.sleep(0.1)
time.sleep(1.5)
print(f"  slots while the smp 3 job runs: {slots()}", flush=True)
second = submit("-pe smp 2", 1, "second")
plain = submit("", 1, "plain")
time.sleep(2.5)
print(f"  slots 2.5 s later: {slots()}", flush=True)
qstat_j(second)
seen = trace(s, [big, second, plain], 30)
print(f"  jobStatus transitions (s after the last submission + 2.5 s): big {seen[big]}; "
      f"second {seen[second]}; plain {seen[plain]}", flush=True)
infos = {}
for label, j in [("big", big), ("second", second), ("plain", plain)]:
    infos[label] = s.wait(j, 20)
    print(f"  {label}: {summary(infos[label])}; printed {read(f'{SUB}/{label}.out')!r}", flush=True)
print(f"  big end_time -> second start_time: "
      f"{float(infos['second'].resourceUsage['start_time']) - float(infos['big'].resourceUsage['end_time']):+.2f} s; "
      f"plain start_time - big start_time: "
      f"{float(infos['plain'].resourceUsage['start_time']) - float(infos['big'].resourceUsage['start_time']):+.2f} s",
      flush=True)

print("=== a bulk job with '-pe smp 2' (3 tasks, sleep 2): how many run at once")
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.args = ["-c", JOBCMD.replace("SLEEP", "2")]
jt.outputPath = f":{SUB}/bulk.$drmaa_incr_ph$.out"
jt.joinFiles = True
jt.nativeSpecification = "-pe smp 2"
ids = s.runBulkJobs(jt, 1, 3, 1)
s.deleteJobTemplate(jt)
seen = trace(s, ids, 30)
print(f"  {ids}: {seen}", flush=True)
for j in ids:
    info = s.wait(j, 20)
    print(f"  {j}: start_time {info.resourceUsage.get('start_time')} printed "
          f"{read(f'{SUB}/bulk.{j.split(chr(46))[1]}.out')!r}", flush=True)

probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
s.exit()
shutil.rmtree(SUB, ignore_errors=True)
