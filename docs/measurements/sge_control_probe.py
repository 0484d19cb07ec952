"""Probe job states and job control of a DRMAA library: jobStatus in every state, and every
control action applied to a job in every state.

Run as an unprivileged user with the environment of docker/sge-env.sh.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import time

import drmaa

A = drmaa.JobControlAction
ACTIONS = [A.SUSPEND, A.RESUME, A.HOLD, A.RELEASE, A.TERMINATE]


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


def wait_for_state(s, job, wanted, limit=15.0):
    t0 = time.time()
    while time.time() - t0 < limit:
        st = status(s, job)
        if st in wanted:
            return st, time.time() - t0
        time.sleep(0.05)
    return status(s, job), time.time() - t0


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


def cleanup(job):
    try:
        s.control(job, A.TERMINATE)
    except Exception:
        pass
    try:
        s.wait(job, 20)
    except Exception:
        pass


# --- job in a given state: returns (job id, state reached)
def make_queued():
    # a job that can never be scheduled (-w n skips the submit-time check)
    j = submit("sleep 100", native="-w n -l arch=no-such-arch")
    return j, wait_for_state(s, j, {"queued_active"})[0]


def make_held():
    j = submit("sleep 100", hold=True)
    return j, wait_for_state(s, j, {"user_on_hold"})[0]


def make_running():
    j = submit("sleep 100")
    return j, wait_for_state(s, j, {"running"})[0]


def make_suspended():
    j, _ = make_running()
    s.control(j, A.SUSPEND)
    return j, wait_for_state(s, j, {"user_suspended"})[0]


def make_finished():
    j = submit("exit 0")
    return j, wait_for_state(s, j, {"done", "failed"})[0]


def make_reaped():
    j = submit("exit 0")
    s.wait(j, 30)
    return j, status(s, j)


MAKERS = [("queued_active", make_queued), ("user_hold", make_held), ("running", make_running),
          ("user_suspended", make_suspended), ("finished_not_reaped", make_finished),
          ("reaped", make_reaped)]

print("=== jobStatus in each state")
for name, maker in MAKERS:
    j, st = maker()
    print(f"state {name}: jobStatus -> {st!r}", flush=True)
    cleanup(j)

for label, cmd in [("done exit 0", "exit 0"), ("done exit 3", "exit 3"),
                   ("killed by SIGKILL", "kill -9 $$"), ("killed by SIGTERM", "kill -15 $$"),
                   ("exit 137 via exit", "exit 137")]:
    j = submit(cmd)
    st, dt = wait_for_state(s, j, {"done", "failed"})
    print(f"{label}: jobStatus -> {st!r} (after {dt:.1f}s)", flush=True)
    probe(f"{label}: wait", lambda: s.wait(j, 10)[:7])
jt.remoteCommand = "/no/such/command"
j = s.runJob(jt)
st, dt = wait_for_state(s, j, {"done", "failed"})
print(f"failed to start: jobStatus -> {st!r} (after {dt:.1f}s)", flush=True)
probe("failed to start: wait", lambda: s.wait(j, 10)[:7])
jt.remoteCommand = "/bin/sh"

print("=== terminate: how long until jobStatus shows it, and what it shows")
for name, maker in MAKERS[:4]:
    j, st = maker()
    t0 = time.time()
    s.control(j, A.TERMINATE)
    seen = []
    while time.time() - t0 < 15:
        cur = status(s, j)
        if not seen or seen[-1][1] != cur:
            seen.append((round(time.time() - t0, 2), cur))
        if cur in ("done", "failed") or cur.startswith("Invalid"):
            break
        time.sleep(0.05)
    print(f"terminate {name}: states after control {seen}", flush=True)
    probe(f"terminate {name}: wait", lambda: s.wait(j, 15))

print("=== control matrix: action applied to a job in each state")
for name, maker in MAKERS:
    for action in ACTIONS:
        j, st = maker()
        try:
            s.control(j, action)
            res = "OK"
        except Exception as e:
            res = f"{type(e).__name__}: {e}"
        time.sleep(1.5)
        print(f"{action:9s} on {name:19s} (was {st}): {res} ; 1.5s later: {status(s, j)}", flush=True)
        cleanup(j)

print("=== control odds and ends")
j, _ = make_running()
probe("control with action 'bogus'", lambda: s.control(j, "bogus"))
probe("control with action 7 (int)", lambda: s.control(j, 7))
cleanup(j)
j, _ = make_held()
probe("hold an already held job", lambda: s.control(j, A.HOLD))
probe("release", lambda: s.control(j, A.RELEASE))
probe("release again", lambda: s.control(j, A.RELEASE))
cleanup(j)
j, _ = make_suspended()
probe("suspend an already suspended job", lambda: s.control(j, A.SUSPEND))
probe("resume", lambda: s.control(j, A.RESUME))
probe("resume again (running)", lambda: s.control(j, A.RESUME))
probe("hold a running job", lambda: s.control(j, A.HOLD))
time.sleep(1)
probe("jobStatus of a running job after hold", lambda: s.jobStatus(j))
cleanup(j)
for jid in ["99999", "abc", "", "99999.1"]:
    probe(f"control({jid!r}, terminate)", lambda: s.control(jid, A.TERMINATE))

print("=== control(JOB_IDS_SESSION_ALL, X) on a mix of queued/held/running/suspended/finished")
for action in ACTIONS:
    mix = [make_queued(), make_held(), make_running(), make_suspended(), make_finished()]
    probe(f"control(ALL, {action})", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, action))
    time.sleep(1.5)
    print(f"  after: {[(st, status(s, j)) for j, st in mix]}", flush=True)
    for j, _ in mix:
        cleanup(j)
    # reap whatever is left, so the next round starts empty
    try:
        s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 20, True)
    except Exception as e:
        print(f"  synchronize(ALL): {type(e).__name__}: {e}")
probe("control(ALL, terminate) with no jobs", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
probe("control(ANY, terminate)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ANY, A.TERMINATE))

print("=== submitted on hold, then terminated (st_submit_in_hold_delete)")
j = submit("exit 0", hold=True)
probe("status", lambda: s.jobStatus(j))
probe("terminate", lambda: s.control(j, A.TERMINATE))
time.sleep(2)
probe("status after terminate", lambda: s.jobStatus(j))
probe("wait", lambda: s.wait(j, 10))
probe("wait again", lambda: s.wait(j, 10))
j = submit("exit 0", hold=True)
probe("terminate held, then synchronize(dispose=True)", lambda: (s.control(j, A.TERMINATE), s.synchronize([j], 10, True)))
j = submit("exit 0", hold=True)
probe("terminate held, then synchronize(dispose=False)", lambda: (s.control(j, A.TERMINATE), s.synchronize([j], 10, False)))
probe("  then wait", lambda: s.wait(j, 10))

print("=== bulk job on hold: release one task, terminate the others")
ids = []
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
jt.args = ["-c", "exit 0"]
ids = s.runBulkJobs(jt, 1, 3, 1)
probe("statuses", lambda: [s.jobStatus(i) for i in ids])
probe("release task 1", lambda: s.control(ids[0], A.RELEASE))
probe("wait task 1", lambda: s.wait(ids[0], 20)[:7])
probe("terminate bare array id", lambda: s.control(ids[0].split(".")[0], A.TERMINATE))
time.sleep(2)
probe("statuses after terminating the bare id", lambda: [status(s, i) for i in ids[1:]])
probe("synchronize rest", lambda: s.synchronize(ids[1:], 20, True))

s.deleteJobTemplate(jt)
s.exit()
