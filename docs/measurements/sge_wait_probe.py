"""Probe wait/synchronize of a DRMAA library: timeouts, ANY order, dispose, job-id forms,
and how long after a job ends wait() returns.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR). The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import threading
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
ALL, ANY = drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.Session.JOB_IDS_SESSION_ANY


def probe(name, call):
    t0 = time.time()
    try:
        r = call()
        if isinstance(r, drmaa.JobInfo):
            r = r[:7]  # resourceUsage left out: see sge_jobinfo_probe.out
        print(f"{name}: OK -> {r!r}  [{time.time() - t0:.2f}s]", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}  [{time.time() - t0:.2f}s]", flush=True)


def bounded(name, call, limit):
    """Run a call that may block for long in a daemon thread; report if it is still blocked."""
    t = threading.Thread(target=probe, args=(name, call), daemon=True)
    t.start()
    t.join(limit)
    if t.is_alive():
        print(f"{name}: still blocked after {limit}s (left running)", flush=True)
    return t


s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.outputPath = ":/dev/null"
jt.joinFiles = True


def submit(cmd):
    jt.args = ["-c", cmd]
    return s.runJob(jt)


def running(job):
    t0 = time.time()
    while s.jobStatus(job) != "running" and time.time() - t0 < 15:
        time.sleep(0.05)


print("=== wait timeouts on a running job (sleep 30)")
j = submit("sleep 30")
running(j)
probe("wait(job, 0)", lambda: s.wait(j, 0))
probe("wait(job, 1)", lambda: s.wait(j, 1))
probe("wait(job, 2)", lambda: s.wait(j, 2))
probe("wait(job, 0.5)", lambda: s.wait(j, 0.5))
probe("wait(job, '1')", lambda: s.wait(j, "1"))
probe("wait(job, None)", lambda: s.wait(j, None))
s.control(j, drmaa.JobControlAction.TERMINATE)
probe("wait after terminate", lambda: s.wait(j, 20))
j = submit("sleep 3")
running(j)
bounded("wait(job, -1) on a 3s job", lambda: s.wait(j, -1), 20)
j = submit("sleep 3")
running(j)
bounded("wait(job, -5) on a 3s job", lambda: s.wait(j, -5), 20)
j = submit("sleep 3")
running(j)
bounded("wait(job, -2) on a 3s job", lambda: s.wait(j, -2), 20)
j = submit("sleep 3")
running(j)
bounded("wait(job, 10**10) on a 3s job", lambda: s.wait(j, 10**10), 20)
j = submit("sleep 3")
running(j)
bounded("wait(job, 2**31) on a 3s job", lambda: s.wait(j, 2**31), 20)
j = submit("sleep 3")
running(j)
bounded("wait(job, 2**63) on a 3s job", lambda: s.wait(j, 2**63), 20)
j = submit("sleep 3")
running(j)
bounded("wait(job, 2**64) on a 3s job", lambda: s.wait(j, 2**64), 20)
try:
    s.synchronize([ALL], 20, True)
except Exception as e:
    print("cleanup synchronize:", type(e).__name__, e)

print("=== synchronize([ALL], dispose=True) when the session's jobs had already finished")
a = submit("exit 0")
b = submit("exit 0")
time.sleep(4)
probe(f"synchronize([ALL], 20, True) with {a}, {b} finished", lambda: s.synchronize([ALL], 20, True))
probe("  jobStatus(a) after", lambda: s.jobStatus(a))
probe("  wait(ANY, 0) after", lambda: s.wait(ANY, 0))
probe("  wait(ANY, 0) again", lambda: s.wait(ANY, 0))
probe("  wait(ANY, 0) again", lambda: s.wait(ANY, 0))
a = submit("sleep 3")
probe(f"synchronize([ALL], 20, True) with {a} running", lambda: s.synchronize([ALL], 20, True))
probe("  jobStatus(a) after", lambda: s.jobStatus(a))
probe("  wait(ANY, 0) after", lambda: s.wait(ANY, 0))
a = submit("exit 0")
time.sleep(4)
probe(f"synchronize([{a}], 20, True) with it finished", lambda: s.synchronize([a], 20, True))
probe("  wait(ANY, 0) after", lambda: s.wait(ANY, 0))

print("=== wait(ANY) order")
a = submit("sleep 3")
b = submit("exit 0")
time.sleep(6)
print(f"submitted a={a} (sleep 3) then b={b} (exit 0); both finished, b first", flush=True)
probe("wait(ANY) #1", lambda: s.wait(ANY, 20))
probe("wait(ANY) #2", lambda: s.wait(ANY, 20))
a = submit("sleep 4")
b = submit("sleep 2")
print(f"submitted a={a} (sleep 4), b={b} (sleep 2)", flush=True)
probe("wait(ANY) #1", lambda: s.wait(ANY, 20))
probe("wait(ANY) #2", lambda: s.wait(ANY, 20))
a = submit("exit 0")
b = submit("exit 0")
c = submit("exit 0")
print(f"submitted {a}, {b}, {c}; all finish before the waits", flush=True)
time.sleep(4)
for k in range(3):
    probe(f"wait(ANY) #{k + 1} (all finished)", lambda: s.wait(ANY, 20))
b = submit("exit 0")
a = submit("sleep 3")
time.sleep(2)
print(f"submitted {b} (exit 0, finished) then {a} (sleep 3); wait(a) first", flush=True)
probe("wait(a) while b finished", lambda: s.wait(a, 20))
probe("wait(ANY) gets b", lambda: s.wait(ANY, 20))
probe("wait(ANY) #3", lambda: s.wait(ANY, 2))
probe("wait(ANY) #4", lambda: s.wait(ANY, 2))
probe("wait(ANY) with nothing left", lambda: s.wait(ANY, 2))
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
h = submit("exit 0")
jt.jobSubmissionState = drmaa.JobSubmissionState.ACTIVE_STATE
probe("wait(ANY, 2) with only a held job", lambda: s.wait(ANY, 2))
probe("wait(ANY, 0) with only a held job", lambda: s.wait(ANY, 0))
probe("synchronize([ALL], 2) with only a held job", lambda: s.synchronize([ALL], 2, True))
s.control(h, drmaa.JobControlAction.TERMINATE)
probe("wait(ANY) after terminating the held job", lambda: s.wait(ANY, 10))

print("=== synchronize")
j = submit("sleep 30")
running(j)
probe("synchronize([job], 1, True) on a running job", lambda: s.synchronize([j], 1, True))
probe("synchronize([job], 0, True) on a running job", lambda: s.synchronize([j], 0, True))
probe("synchronize([ALL], 1) on a running job", lambda: s.synchronize([ALL], 1, False))
s.control(j, drmaa.JobControlAction.TERMINATE)
probe("synchronize([job], 20, False) after terminate", lambda: s.synchronize([j], 20, False))
probe("  then wait", lambda: s.wait(j, 5))
j = submit("exit 0")
probe("synchronize(['99999', job], 20, True)", lambda: s.synchronize(["99999", j], 20, True))
probe("  jobStatus(job) after", lambda: s.jobStatus(j))
j = submit("exit 0")
probe("synchronize([job, '99999'], 20, True)", lambda: s.synchronize([j, "99999"], 20, True))
probe("  jobStatus(job) after", lambda: s.jobStatus(j))
j = submit("exit 0")
probe("synchronize([job, 'abc'], 20, True)", lambda: s.synchronize([j, "abc"], 20, True))
probe("  jobStatus(job) after", lambda: s.jobStatus(j))
probe("  wait(job)", lambda: s.wait(j, 20))
j = submit("exit 4")
probe("synchronize([job], 20, False)", lambda: s.synchronize([j], 20, False))
probe("  jobStatus after (not disposed)", lambda: s.jobStatus(j))
probe("  wait works", lambda: s.wait(j, 5))
probe("  wait again", lambda: s.wait(j, 5))
j = submit("exit 0")
probe("synchronize([job], 20, True)", lambda: s.synchronize([j], 20, True))
probe("  jobStatus after (disposed)", lambda: s.jobStatus(j))
probe("  wait after dispose", lambda: s.wait(j, 5))
probe("synchronize([], 5, True)", lambda: s.synchronize([], 5, True))
probe("synchronize([ALL], 5, True) with no jobs", lambda: s.synchronize([ALL], 5, True))
probe("synchronize([ANY], 5, True)", lambda: s.synchronize([ANY], 5, True))
j = submit("exit 0")
probe("synchronize([job, job], 20, True) (duplicate)", lambda: s.synchronize([j, j], 20, True))
ids = s.runBulkJobs(jt, 1, 3, 1)
probe("synchronize([bare array id], 20, True)", lambda: s.synchronize([ids[0].split(".")[0]], 20, True))
probe("  statuses of tasks after", lambda: [s.jobStatus(i) if True else None for i in ids])
try:
    s.synchronize([ALL], 20, True)
except Exception as e:
    print("cleanup synchronize:", type(e).__name__, e)

print("=== job-id forms (beside a real running job N)")
j = submit("sleep 30")
running(j)
print(f"N = {j}", flush=True)
forms = ["", " " + j, j + " ", j + ".0", j + ".1", j + ".2", "0" + j, "+" + j, "-3", "0", "abc",
         "1.2.3", j + ".", "." + j, j + "abc", "99999999999999999999", "-1"]
for f in forms:
    probe(f"jobStatus({f!r})", lambda: s.jobStatus(f))
for f in forms:
    probe(f"wait({f!r}, 0)", lambda: s.wait(f, 0))
for f in [" " + j, j + ".1", "0" + j, "-3", "1.2.3", ""]:
    probe(f"control({f!r}, hold)", lambda: s.control(f, drmaa.JobControlAction.HOLD))
probe("jobStatus(N) after those holds", lambda: s.jobStatus(j))
for f in ["", " " + j, j + ".1", "-3", "abc", "1.2.3"]:
    probe(f"synchronize([{f!r}], 0)", lambda: s.synchronize([f], 0, False))
probe("jobStatus(ALL)", lambda: s.jobStatus(ALL))
probe("jobStatus(ANY)", lambda: s.jobStatus(ANY))
probe("wait(ALL, 0)", lambda: s.wait(ALL, 0))
probe("jobStatus(None)", lambda: s.jobStatus(None))
probe("jobStatus(123) (int)", lambda: s.jobStatus(int(j)))
s.control(j, drmaa.JobControlAction.TERMINATE)
s.wait(j, 20)

print("=== time from job end to wait returning (job writes its end time last)")
gaps = []
for k in range(5):
    f = f"{D}/end.{os.getpid()}.{k}"
    j = submit(f"sleep 1; date +%s.%N > {f}")
    s.wait(j, 30)
    t = time.time()
    gaps.append(round(t - float(open(f).read()), 3))
    os.unlink(f)
print(f"end-to-wait gaps (s): {gaps}", flush=True)
gaps = []
for k in range(5):
    f = f"{D}/end.{os.getpid()}.{k}"
    j = submit(f"sleep 1; date +%s.%N > {f}")
    while s.jobStatus(j) not in ("done", "failed"):
        time.sleep(0.02)
    t = time.time()
    gaps.append(round(t - float(open(f).read()), 3))
    s.wait(j, 5)
    os.unlink(f)
print(f"end-to-jobStatus-done gaps (s): {gaps}", flush=True)

s.deleteJobTemplate(jt)
s.exit()
