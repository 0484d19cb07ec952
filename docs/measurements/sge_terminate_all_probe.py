"""Probe control(JOB_IDS_SESSION_ALL, TERMINATE) on a full cell: 10 `sleep 60` jobs on 4
slots (4 running, 6 queued). After the terminate the probe follows every job's jobStatus
for 3 s (does a queued job ever show `running` as the slots free up?), then waits for each
job: a JobInfo (wasAborted, resourceUsage start_time / end_time / ru_wallclock) or
`code 24` (no usage information: the job never ran). `qacct -j` tells the same from the
accounting file. Done twice.

Run as an unprivileged user with the environment of docker/sge-env.sh:
    bash docs/measurements/run-probe.sh sge_terminate_all_probe
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import subprocess
import time

import drmaa

A = drmaa.JobControlAction


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


def status(s, job):
    try:
        return s.jobStatus(job)
    except Exception as e:
        return f"{type(e).__name__}: {e}"


s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["60"]
jt.outputPath = ":/dev/null"
jt.joinFiles = True

ALL_JOBS = []
for rnd in (1, 2):
    print(f"=== round {rnd}: 10 sleep 60 jobs on 4 slots", flush=True)
    t_submit = time.time()
    jobs = [s.runJob(jt) for _ in range(10)]
    t0 = time.time()
    while time.time() - t0 < 60:
        sts = [status(s, j) for j in jobs]
        if sts.count("running") >= 4:
            break
        time.sleep(0.2)
    t_four = time.time() - t0
    time.sleep(1.0)  # one more scheduling interval: nothing more can start
    before = {j: status(s, j) for j in jobs}
    print(f"before terminate (4 running {t_four:.1f}s after the 10 runJob calls, then a 1 s pause): "
          f"{[(j, st) for j, st in before.items()]}", flush=True)
    t_term = time.time()
    probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
    print(f"  took {time.time() - t_term:.3f}s", flush=True)
    seen = {j: [] for j in jobs}
    while time.time() - t_term < 3:
        for j in jobs:
            st = status(s, j)
            if not seen[j] or seen[j][-1][1] != st:
                seen[j].append((round(time.time() - t_term, 2), st))
        time.sleep(0.05)
    for j in jobs:
        print(f"job {j} (was {before[j]}): states after terminate {seen[j]}", flush=True)
    for j in jobs:
        t1 = time.time()
        try:
            info = s.wait(j, 30)
            ru = info.resourceUsage
            st, en, sub = (float(ru.get(k, "nan")) for k in ("start_time", "end_time",
                                                             "submission_time"))
            print(f"wait {j} (was {before[j]}): JobInfo hasExited={info.hasExited} "
                  f"hasSignal={info.hasSignal} wasAborted={info.wasAborted} "
                  f"exitStatus={info.exitStatus} ru exit_status={ru.get('exit_status')} "
                  f"signal={ru.get('signal')} start_time={ru.get('start_time')} "
                  f"(terminate at {t_term:.4f}) end_time={ru.get('end_time')} "
                  f"ru_wallclock={ru.get('ru_wallclock')}; returned after "
                  f"{time.time() - t1:.2f}s", flush=True)
        except Exception as e:
            print(f"wait {j} (was {before[j]}): {type(e).__name__}: {e}; returned after "
                  f"{time.time() - t1:.2f}s", flush=True)
    ALL_JOBS.extend((j, before[j]) for j in jobs)

print("=== accounting (qacct -j), polled until every job that ran has a record (max 30 s)")
t0 = time.time()
while time.time() - t0 < 30:
    res = {}
    for j, was in ALL_JOBS:
        r = subprocess.run(["qacct", "-j", j], capture_output=True, text=True)
        lines = [ln for ln in (r.stdout + r.stderr).splitlines()
                 if ln.split()[:1] in (["start_time"], ["failed"], ["exit_status"], ["error:"])]
        res[j] = " | ".join(" ".join(ln.split()) for ln in lines)
    if all("not found" not in res[j] for j, was in ALL_JOBS if was == "running"):
        break
    time.sleep(2)
print(f"(after {time.time() - t0:.0f}s)", flush=True)
for j, was in ALL_JOBS:
    print(f"qacct -j {j} (was {was}): {res[j]}", flush=True)

s.deleteJobTemplate(jt)
probe("control(ALL, TERMINATE) at the end", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
s.exit()
