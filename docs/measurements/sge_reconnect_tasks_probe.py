"""Probe what sge_array_probe left open: an array task that ends while no client is attached
(its array job still has a task running), a single job finished but not reaped at exit(),
and nativeSpecification '-b n' with a script that cannot be read or has no '#!' line.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):

    bash docs/measurements/run-probe.sh sge_reconnect_tasks_probe

Task ids are printed as N.k, single jobs as S. Times are seconds since the call named.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import time

import drmaa

A = drmaa.JobControlAction
ANY = drmaa.Session.JOB_IDS_SESSION_ANY
ALL = drmaa.Session.JOB_IDS_SESSION_ALL
D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
SUB = f"{D}/reconnect"
NAMES = {}
s = drmaa.Session


def show(j):
    j = str(j)
    for k, v in NAMES.items():
        if j == k:
            return v
        if j.startswith(k + "."):
            return v + j[len(k):]
    return j


def probe(name, call):
    t = time.time()
    try:
        r = call()
        if isinstance(r, drmaa.JobInfo):
            r = (f"JobInfo(jobId={show(r.jobId)}, hasExited={r.hasExited}, "
                 f"exitStatus={r.exitStatus}, wasAborted={r.wasAborted})")
        print(f"{name}: OK -> {r}  [{time.time() - t:.1f}s]", flush=True)
        return r
    except Exception as e:
        print(f"{name}: {type(e).__name__}: {e}  [{time.time() - t:.1f}s]", flush=True)
        return None


def template(command, *args, **attrs):
    jt = s.createJobTemplate()
    jt.remoteCommand = command
    jt.args = list(args)
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    for k, v in attrs.items():
        setattr(jt, k, v)
    return jt


def status(ids):
    return ", ".join(f"{show(j)}={probe_state(j)}" for j in ids)


def probe_state(j):
    try:
        return s.jobStatus(j)
    except Exception as e:
        return type(e).__name__


os.makedirs(SUB, exist_ok=True)
s.initialize()
contact = s.contact

print("=== an array task that ends while nobody is connected (task 1 sleeps 30, task 2 sleeps 2)")
jt = template("/bin/sh", "-c", '[ "$SGE_TASK_ID" = 1 ] && sleep 30; [ "$SGE_TASK_ID" = 2 ] && sleep 2; exit 0')
ids = s.runBulkJobs(jt, 1, 2, 1)
NAMES[ids[0].split(".")[0]] = "N"
time.sleep(1.5)
print("before exit:", status(ids))
probe("exit()", s.exit)
time.sleep(6)
probe("initialize(contact)", lambda: s.initialize(contact))
print("after initialize(contact):", status(ids))
probe("wait(N.2, 0) (ended while nobody was connected)", lambda: s.wait(ids[1], 0))
print("after that:", status(ids))
probe("wait(ANY, 2)", lambda: s.wait(ANY, 2))
probe("control(N.1, TERMINATE)", lambda: s.control(ids[0], A.TERMINATE))
probe("wait(N.1, 20)", lambda: s.wait(ids[0], 20))
print("after N.1 is reaped:", status(ids))
probe("wait(ANY, 0)", lambda: s.wait(ANY, 0))

print("=== a single job finished but not reaped at exit()")
job = s.runJob(template("/bin/true"))
NAMES[job] = "S"
probe("synchronize([S], 20, False)", lambda: s.synchronize([job], 20, False))
print("before exit:", status([job]))
probe("exit()", s.exit)
probe("initialize(contact)", lambda: s.initialize(contact))
print("after initialize(contact):", status([job]))
probe("wait(S, 0)", lambda: s.wait(job, 0))

print("=== an array whose tasks all finished (not reaped) before exit()")
ids = s.runBulkJobs(template("/bin/true"), 1, 2, 1)
NAMES[ids[0].split(".")[0]] = "M"
probe("synchronize(M.*, 20, False)", lambda: s.synchronize(ids, 20, False))
print("before exit:", status(ids))
probe("exit()", s.exit)
probe("initialize(contact)", lambda: s.initialize(contact))
print("after initialize(contact):", status(ids))
probe("wait(M.1, 0)", lambda: s.wait(ids[0], 0))

print("=== nativeSpecification '-b n' with scripts")
probe("runJob -b n, a script that does not exist",
      lambda: s.runJob(template(f"{SUB}/no-such-script.sh", nativeSpecification="-b n")))
noshebang = f"{SUB}/noshebang.sh"
with open(noshebang, "w") as f:
    f.write('echo "ran as $0 with $1"\n')
os.chmod(noshebang, 0o755)
out = f"{SUB}/noshebang.out"
if os.path.exists(out):
    os.remove(out)
job = probe("runJob -b n, a script without '#!'",
            lambda: s.runJob(template(noshebang, "arg1", nativeSpecification="-b n",
                                      outputPath=f":{out}")))
if job:
    probe("wait", lambda: s.wait(job, 20))
    with open(out) as f:
        print("  job printed:", repr(f.read()))
probe("control(ALL, TERMINATE)", lambda: s.control(ALL, A.TERMINATE))
probe("exit()", s.exit)
