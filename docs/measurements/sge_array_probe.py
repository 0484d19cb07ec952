"""Probe array (bulk) jobs through DRMAA: jobStatus of the bare array id and of each task,
wait(bare id) repeatedly, synchronize([bare id]) with dispose True/False, control(bare id,
HOLD/RELEASE/SUSPEND/RESUME/TERMINATE), the order in which wait(JOB_IDS_SESSION_ANY) returns
jobs and tasks that end in reverse order of submission, and array tasks across exit() /
initialize(contact) in the same process.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):

    bash docs/measurements/run-probe.sh sge_array_probe

Task ids are printed as N.k (N = the array's job id of the step; M and P where a step has a
second or third array), single jobs as A, B, C (X) in submission order; times are seconds since the submission (or since the action named). Another client may
use the cell's 4 slots at the same time; the probe prints how many tasks ran where it matters.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import time

import drmaa

A = drmaa.JobControlAction
ANY = drmaa.Session.JOB_IDS_SESSION_ANY
ALL = drmaa.Session.JOB_IDS_SESSION_ALL
NAMES = {}


def show(j):
    j = str(j)
    if j in NAMES:
        return NAMES[j]
    for k, v in NAMES.items():
        if j.startswith(k + "."):
            return v + j[len(k):]
    return j


def probe(name, call, t0=None):
    t = time.time()
    try:
        r = call()
        if isinstance(r, drmaa.JobInfo):
            r = (f"JobInfo(jobId={show(r.jobId)}, hasExited={r.hasExited}, exitStatus={r.exitStatus}, "
                 f"hasSignal={r.hasSignal}, wasAborted={r.wasAborted})")
        elif isinstance(r, list):
            r = [show(x) for x in r]
        elif isinstance(r, str) and r.split(".")[0].isdigit():
            r = show(r)
        out = f"OK -> {r}"
    except Exception as e:  # report the exact class the library raises
        out = f"{type(e).__name__}: {e}"
    ref = t0 if t0 is not None else t
    print(f"{name}: {out}  [{'t=' if t0 is not None else ''}{time.time() - ref:.1f}s]", flush=True)


def statuses(s, label, jobs):
    out = []
    for j in jobs:
        try:
            out.append(f"{show(j)}={s.jobStatus(j)}")
        except Exception as e:
            out.append(f"{show(j)}={type(e).__name__}({str(e)[:40]})")
    print(f"{label}: {', '.join(out)}", flush=True)


def wait_until(s, job, state, limit=20):
    t0 = time.time()
    while time.time() - t0 < limit:
        try:
            if s.jobStatus(job) == state:
                return True
        except Exception:
            pass
        time.sleep(0.1)
    return False


def bulk(s, cmd, first=1, last=3, hold=False, native="", name="N"):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", cmd]
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    jt.nativeSpecification = native
    if hold:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    ids = s.runBulkJobs(jt, first, last, 1)
    s.deleteJobTemplate(jt)
    for k in [k for k, v in NAMES.items() if v == name]:
        del NAMES[k]
    NAMES[ids[0].split(".")[0]] = name
    return ids


def single(s, cmd, name):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", cmd]
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    j = s.runJob(jt)
    s.deleteJobTemplate(jt)
    NAMES[j] = name
    return j


def drain(s, label):
    """Reap whatever earlier steps left finished (so that wait(ANY) orders stay clean)."""
    n = 0
    while True:
        try:
            s.wait(ANY, drmaa.Session.TIMEOUT_NO_WAIT)
            n += 1
        except drmaa.errors.ExitTimeoutException:
            break
        except drmaa.errors.InvalidJobException:
            break
        except Exception:
            n += 1
    print(f"({label}: reaped {n} leftover finished job(s)/task(s) with wait(ANY, 0))", flush=True)


BY_TASK = "case $SGE_TASK_ID in {}; esac"


def sleeps(*secs):
    return BY_TASK.format("; ".join(f"{i}) sleep {t};" for i, t in enumerate(secs, 1)))


s = drmaa.Session()
s.initialize()

print("=== runBulkJobs(1, 3, 1); task 1 sleeps 4, task 2 sleeps 1, task 3 sleeps 2")
ids = bulk(s, sleeps(4, 1, 2))
bare = ids[0].split(".")[0]
t0 = time.time()
print(f"ids: {[show(j) for j in ids]}", flush=True)
statuses(s, "jobStatus at once", [bare] + ids)
time.sleep(1.5)
statuses(s, "jobStatus after 1.5 s", [bare] + ids)
for i in range(4):
    probe(f"wait(bare id, 10) #{i + 1}", lambda: s.wait(bare, 10), t0)
statuses(s, "jobStatus after that", [bare] + ids)
probe("wait(ANY, 0)", lambda: s.wait(ANY, 0))

drain(s, "clean-up")
print("=== the same, all tasks finished before the first wait(bare id) (sleep 6 first)")
ids = bulk(s, sleeps(2, 0, 1))
bare = ids[0].split(".")[0]
time.sleep(6)
statuses(s, "jobStatus after 6 s", [bare] + ids)
t0 = time.time()
for i in range(4):
    probe(f"wait(bare id, 5) #{i + 1}", lambda: s.wait(bare, 5), t0)

drain(s, "clean-up")
print("=== synchronize([bare id], ...) (task 1 sleeps 1, task 2 sleeps 3, task 3 sleeps 2)")
for dispose in (False, True):
    ids = bulk(s, sleeps(1, 3, 2))
    bare = ids[0].split(".")[0]
    t0 = time.time()
    probe(f"synchronize([bare], 1, {dispose})", lambda: s.synchronize([bare], 1, dispose), t0)
    statuses(s, "  jobStatus after that", [bare] + ids)
    probe(f"synchronize([bare], 20, {dispose})", lambda: s.synchronize([bare], 20, dispose), t0)
    statuses(s, "  jobStatus after that", [bare] + ids)
    time.sleep(3)
    statuses(s, "  jobStatus 3 s later", [bare] + ids)
    for i in range(4):
        probe(f"  wait(ANY, 0) #{i + 1}", lambda: s.wait(ANY, 0))
print("--- jobStatus(bare id) when all tasks are done and some are reaped (tasks sleep 0)")
ids = bulk(s, sleeps(0, 0, 0))
bare = ids[0].split(".")[0]
time.sleep(4)
statuses(s, "all done, none reaped", [bare] + ids)
probe("  wait(N.2, 5)", lambda: s.wait(ids[1], 5))
statuses(s, "N.2 reaped", [bare] + ids)
probe("  wait(N.1, 5)", lambda: s.wait(ids[0], 5))
statuses(s, "N.1 and N.2 reaped", [bare] + ids)
probe("  wait(bare, 2)", lambda: s.wait(bare, 2))
probe("  synchronize([bare], 2, True)", lambda: s.synchronize([bare], 2, True))
statuses(s, "after synchronize([bare], 2, True)", [bare] + ids)
drain(s, "clean-up")
ids = bulk(s, sleeps(1, 1, 1))
probe("synchronize([N.1, N.2], 20, True)", lambda: s.synchronize(ids[:2], 20, True))
statuses(s, "  jobStatus", ids)
probe("  synchronize([bare], 20, True)", lambda: s.synchronize([ids[0].split(".")[0]], 20, True))
statuses(s, "  jobStatus", ids)
drain(s, "clean-up")
ids = bulk(s, sleeps(1, 1, 1))
probe("synchronize([ALL], 20, False) with only a bulk job", lambda: s.synchronize([ALL], 20, False))
statuses(s, "  jobStatus", ids)
for i in range(4):
    probe(f"  wait(ANY, 2) #{i + 1}", lambda: s.wait(ANY, 2))
ids = bulk(s, sleeps(1, 3, 2))
t0 = time.time()
probe("synchronize([ALL], 20, True) with only a bulk job (tasks sleep 1, 3, 2)", lambda: s.synchronize([ALL], 20, True), t0)
statuses(s, "  jobStatus", ids)
drain(s, "clean-up")

print("=== control(bare id, ...) on 6 tasks of sleep 4 (4 slots)")
ids = bulk(s, "sleep 4", 1, 6)
bare = ids[0].split(".")[0]
wait_until(s, ids[0], "running")
time.sleep(1)
statuses(s, "jobStatus before", ids)
probe("control(bare, HOLD)", lambda: s.control(bare, A.HOLD))
statuses(s, "jobStatus after HOLD", ids)
time.sleep(5)
statuses(s, "jobStatus 5 s later", ids)
probe("control(bare, RELEASE)", lambda: s.control(bare, A.RELEASE))
statuses(s, "jobStatus after RELEASE", ids)
ok = [j for j in ids if s.jobStatus(j) != "done"]
for j in ok:
    wait_until(s, j, "running", 10)
time.sleep(0.5)
statuses(s, "jobStatus once the rest runs", ids)
probe("control(bare, SUSPEND)", lambda: s.control(bare, A.SUSPEND))
statuses(s, "jobStatus after SUSPEND", ids)
probe("control(bare, RESUME)", lambda: s.control(bare, A.RESUME))
time.sleep(1)
statuses(s, "jobStatus after RESUME", ids)
probe("control(bare, TERMINATE)", lambda: s.control(bare, A.TERMINATE))
statuses(s, "jobStatus at once after TERMINATE", ids)
time.sleep(3)
statuses(s, "jobStatus 3 s after TERMINATE", ids)
for j in ids:
    probe(f"  wait({show(j)}, 5)", lambda: s.wait(j, 5))
probe("control(bare, TERMINATE) again (all reaped)", lambda: s.control(bare, A.TERMINATE))
ids = bulk(s, "sleep 2", 1, 3, hold=True)
bare = ids[0].split(".")[0]
probe("bulk on hold: control(bare, SUSPEND)", lambda: s.control(bare, A.SUSPEND))
probe("bulk on hold: control(N.2, RELEASE)", lambda: s.control(ids[1], A.RELEASE))
probe("bulk on hold: control(N.7, HOLD) (no such task of a live array)", lambda: s.control(f"{bare}.7", A.HOLD))
probe("bulk on hold: control(N.7, TERMINATE)", lambda: s.control(f"{bare}.7", A.TERMINATE))
probe("bulk on hold: jobStatus(N.7)", lambda: s.jobStatus(f"{bare}.7"))
statuses(s, "  jobStatus", ids)
probe("  control(bare, TERMINATE)", lambda: s.control(bare, A.TERMINATE))
for j in ids:
    probe(f"  wait({show(j)}, 10)", lambda: s.wait(j, 10))
drain(s, "clean-up")

print("=== wait(ANY) order: 3 single jobs that end in reverse order (A sleep 6, B sleep 3, C sleep 0)")
NAMES.clear()
a = single(s, "sleep 6", "A")
b = single(s, "sleep 3", "B")
c = single(s, "sleep 0", "C")
t0 = time.time()
for i in range(4):
    probe(f"wait(ANY, 20) #{i + 1}", lambda: s.wait(ANY, 20), t0)
drain(s, "clean-up")
print("=== the same, all three finished before the first wait(ANY)", flush=True)
a = single(s, "sleep 4", "A")
b = single(s, "sleep 2", "B")
c = single(s, "sleep 0", "C")
time.sleep(7)
for i in range(4):
    probe(f"wait(ANY, 5) #{i + 1}", lambda: s.wait(ANY, 5))

drain(s, "clean-up")
print("=== wait(ANY) order: tasks of one bulk job (task 1 sleep 6, task 2 sleep 3, task 3 sleep 0)")
ids = bulk(s, sleeps(6, 3, 0))
t0 = time.time()
for i in range(4):
    probe(f"wait(ANY, 20) #{i + 1}", lambda: s.wait(ANY, 20), t0)
drain(s, "clean-up")
print("=== the same, all tasks finished before the first wait(ANY)")
ids = bulk(s, sleeps(4, 2, 0))
time.sleep(7)
for i in range(4):
    probe(f"wait(ANY, 5) #{i + 1}", lambda: s.wait(ANY, 5))
drain(s, "clean-up")
print("=== two bulk jobs and a single job, all finished: wait(ANY) order")
i1 = bulk(s, sleeps(2, 0), 1, 2, name="M")
x = single(s, "sleep 0", "X")
i2 = bulk(s, sleeps(0, 1), 1, 2)
print(f"submitted in this order: {[show(j) for j in i1]} (sleep 2, 0), {show(x)} (sleep 0), "
      f"{[show(j) for j in i2]} (sleep 0, 1)", flush=True)
time.sleep(6)
for i in range(6):
    probe(f"wait(ANY, 5) #{i + 1}", lambda: s.wait(ANY, 5))

drain(s, "clean-up")
print("=== array tasks across exit() / initialize(contact)")
NAMES.clear()
ids = bulk(s, sleeps(10, 1, 1, 0), 1, 4, hold=True)
bare = ids[0].split(".")[0]
pend = bulk(s, "true", 1, 2, native="-w n -l arch=no-such-arch", name="P")
print(f"held bulk {[show(j) for j in ids]} (task 1 sleeps 10, 2 and 3 sleep 1, 4 sleeps 0); "
      f"never-schedulable bulk {[show(j) for j in pend]}", flush=True)
probe("control(N.1, RELEASE)", lambda: s.control(ids[0], A.RELEASE))
probe("control(N.4, RELEASE)", lambda: s.control(ids[3], A.RELEASE))
wait_until(s, ids[3], "done")
wait_until(s, ids[0], "running")
statuses(s, "before exit", [bare] + ids + pend)
contact = s.contact
probe("exit()", lambda: s.exit())
time.sleep(1)
probe("initialize(contact)", lambda: s.initialize(contact))
statuses(s, "after initialize(contact)", [bare] + ids + pend)
probe("wait(N.4, 5) (finished before the exit, not reaped)", lambda: s.wait(ids[3], 5))
probe("wait(ANY, 2)", lambda: s.wait(ANY, 2))
probe("control(N.2, RELEASE)", lambda: s.control(ids[1], A.RELEASE))
probe("wait(N.2, 15)", lambda: s.wait(ids[1], 15))
probe("wait(N.1, 20) (running through the exit)", lambda: s.wait(ids[0], 20))
probe("wait(bare, 3) (only N.3 left, held)", lambda: s.wait(bare, 3))
probe("control(ALL, RELEASE)", lambda: s.control(ALL, A.RELEASE))
statuses(s, "after control(ALL, RELEASE)", ids + pend)
probe("wait(N.3, 15)", lambda: s.wait(ids[2], 15))
probe("control(ALL, TERMINATE)", lambda: s.control(ALL, A.TERMINATE))
time.sleep(1)
statuses(s, "after control(ALL, TERMINATE)", ids + pend)
for j in pend:
    probe(f"wait({show(j)}, 5)", lambda: s.wait(j, 5))
probe("wait(ANY, 2)", lambda: s.wait(ANY, 2))
probe("control(ALL, TERMINATE)", lambda: s.control(ALL, A.TERMINATE))
s.exit()
