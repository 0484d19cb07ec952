"""Probe how long control(TERMINATE) takes to show, by job state and by how long the job has
been running, and which jobs control(JOB_IDS_SESSION_ALL, ...) complains about.

Run as an unprivileged user with the environment of docker/sge-env.sh.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import time

import drmaa

A = drmaa.JobControlAction
ALL = drmaa.Session.JOB_IDS_SESSION_ALL


def probe(name, call):
    t0 = time.time()
    try:
        r = call()
        if isinstance(r, drmaa.JobInfo):
            r = r[:7]
        print(f"{name}: OK -> {r!r}  [{time.time() - t0:.2f}s]", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}  [{time.time() - t0:.2f}s]", flush=True)


def status(s, job):
    try:
        return s.jobStatus(job)
    except Exception as e:
        return f"{type(e).__name__}: {e}"


def until(s, job, wanted, limit=15.0):
    t0 = time.time()
    while time.time() - t0 < limit and status(s, job) not in wanted:
        time.sleep(0.05)
    return status(s, job)


s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.outputPath = ":/dev/null"
jt.joinFiles = True


def submit(cmd, hold=False, native=""):
    jt.args = ["-c", cmd]
    jt.jobSubmissionState = (drmaa.JobSubmissionState.HOLD_STATE if hold
                             else drmaa.JobSubmissionState.ACTIVE_STATE)
    jt.nativeSpecification = native
    return s.runJob(jt)


def follow(name, j, limit=40):
    t0 = time.time()
    s.control(j, A.TERMINATE)
    seen = []
    while time.time() - t0 < limit:
        cur = status(s, j)
        if not seen or seen[-1][1] != cur:
            seen.append((round(time.time() - t0, 2), cur))
        if cur in ("done", "failed") or cur.startswith("Invalid"):
            break
        time.sleep(0.05)
    print(f"terminate {name}: jobStatus after control {seen}", flush=True)
    probe(f"terminate {name}: wait", lambda: s.wait(j, 30))


print("=== terminate latency")
for delay in (0, 0.5, 1, 2, 3, 5):
    j = submit("sleep 100")
    until(s, j, {"running"})
    time.sleep(delay)
    follow(f"running (control {delay}s after jobStatus first said running)", j)
for delay in (0, 3):
    j = submit("sleep 100")
    until(s, j, {"running"})
    time.sleep(delay)
    s.control(j, A.SUSPEND)
    until(s, j, {"user_suspended"})
    time.sleep(1)
    follow(f"user_suspended (suspended {delay}s after running)", j)
j = submit("sleep 100", hold=True)
until(s, j, {"user_on_hold"})
follow("user_on_hold", j)
j = submit("sleep 100", native="-w n -l arch=no-such-arch")
until(s, j, {"queued_active"})
time.sleep(2)
follow("queued_active", j)
j = submit("sleep 100")
until(s, j, {"running"})
time.sleep(2)
s.control(j, A.HOLD)
time.sleep(1)
follow(f"running with a hold ({status(s, j)})", j)

print("=== suspend/resume latency on a job running for 3 s")
j = submit("sleep 100")
until(s, j, {"running"})
time.sleep(3)
t0 = time.time()
s.control(j, A.SUSPEND)
print(f"suspend: {until(s, j, {'user_suspended'})} after {time.time() - t0:.2f}s", flush=True)
t0 = time.time()
s.control(j, A.RESUME)
print(f"resume: {until(s, j, {'running'})} after {time.time() - t0:.2f}s", flush=True)
t0 = time.time()
s.control(j, A.HOLD)
print(f"hold on running: {until(s, j, {'user_on_hold'})} after {time.time() - t0:.2f}s", flush=True)
t0 = time.time()
s.control(j, A.RELEASE)
print(f"release on running+hold: {until(s, j, {'running'})} after {time.time() - t0:.2f}s", flush=True)
s.control(j, A.TERMINATE)
s.wait(j, 30)

print("=== which jobs does control(ALL, suspend) trip over?")
# a job reaped by wait
j = submit("exit 0")
s.wait(j, 30)
r = submit("sleep 100")
until(s, r, {"running"})
time.sleep(2)
probe(f"ALL = [reaped-by-wait {j}, running {r}]: control(ALL, suspend)", lambda: s.control(ALL, A.SUSPEND))
print(f"  running job now: {until(s, r, {'user_suspended'}, 3)}", flush=True)
s.control(r, A.TERMINATE)
s.wait(r, 30)
probe("after all reaped by wait: control(ALL, suspend)", lambda: s.control(ALL, A.SUSPEND))
probe("after all reaped by wait: control(ALL, hold)", lambda: s.control(ALL, A.HOLD))
# a job reaped by synchronize(dispose=True)
j = submit("exit 0")
s.synchronize([j], 30, True)
probe(f"ALL = [reaped-by-synchronize {j}]: control(ALL, suspend)", lambda: s.control(ALL, A.SUSPEND))
probe("  control(ALL, hold)", lambda: s.control(ALL, A.HOLD))
probe("  control(ALL, terminate)", lambda: s.control(ALL, A.TERMINATE))
probe("  wait(ANY, 1)", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 1))
# a finished job not reaped
j = submit("exit 0")
until(s, j, {"done"})
probe(f"ALL = [finished-not-reaped {j}]: control(ALL, suspend)", lambda: s.control(ALL, A.SUSPEND))
probe("  control(ALL, resume)", lambda: s.control(ALL, A.RESUME))
probe("  control(ALL, hold)", lambda: s.control(ALL, A.HOLD))
probe("  control(ALL, release)", lambda: s.control(ALL, A.RELEASE))
probe("  control(ALL, terminate)", lambda: s.control(ALL, A.TERMINATE))
probe("  wait", lambda: s.wait(j, 5))
# a job synchronized with dispose=False (finished, data kept)
j = submit("exit 0")
s.synchronize([j], 30, False)
probe(f"ALL = [synchronized-not-disposed {j}]: control(ALL, hold)", lambda: s.control(ALL, A.HOLD))
probe("  wait", lambda: s.wait(j, 5))
probe("only reaped jobs left: control(ALL, hold)", lambda: s.control(ALL, A.HOLD))
# held + queued + running mix with suspend: is the action applied to the others?
h = submit("sleep 100", hold=True)
r = submit("sleep 100")
until(s, r, {"running"})
time.sleep(2)
probe(f"ALL = [held {h}, running {r}]: control(ALL, suspend)", lambda: s.control(ALL, A.SUSPEND))
print(f"  held now {status(s, h)}, running now {until(s, r, {'user_suspended'}, 3)}", flush=True)
r2 = submit("sleep 100")
until(s, r2, {"running"})
time.sleep(2)
probe(f"ALL = [held {h}, suspended {r}, running {r2}]: control(ALL, resume)", lambda: s.control(ALL, A.RESUME))
print(f"  held now {status(s, h)}, suspended now {until(s, r, {'running'}, 3)}, running now {status(s, r2)}", flush=True)
probe("control(ALL, terminate)", lambda: s.control(ALL, A.TERMINATE))
probe("synchronize([ALL], 40, True)", lambda: s.synchronize([ALL], 40, True))
s.deleteJobTemplate(jt)
s.exit()
