"""Probe nativeSpecification options of a DRMAA library (Grid Engine qsub switches passed
through `jt.nativeSpecification`): parallel environments that do not exist, -cwd with and
without SGE_DRMAA_ALLOW_CWD, -N against jobName, -o/-e against outputPath/errorPath,
-hold_jid, -t in runJob, and a list of other switches (-sync, -verify, -help, -b, -now,
-V, -v, -l h_rt, -q, -w, -p, unknown ones, empty strings).

Run on a cell whose all.q has `pe_list NONE` and no PE defined (`qconf -spl`), as an
unprivileged user with the environment of docker/sge-env.sh (jobs write into $PROBE_DIR):

    bash docs/measurements/run-probe.sh sge_native_options_probe

The part that needs a parallel environment is sge_native_pe_probe.py.
Each case of the switch list and of -cwd runs in its own child process (a switch such as
-help might end the process; SGE_DRMAA_ALLOW_CWD must be in the environment from the start).
For every accepted job the probe prints selected lines of `qstat -j <id>` taken while the
job is queued/running, what the job saw, and its JobInfo.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import re
import shutil
import subprocess
import sys
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
SUB = f"{D}/native"
A = drmaa.JobControlAction
QSTAT_KEYS = ("job_name", "priority", "hard resource_list", "hard_queue_list", "env_list",
              "verify", "parallel environment", "job-array tasks", "cwd", "stdout_path_list",
              "stderr_path_list", "merge", "jid_predecessor_list", "jid_successor_list",
              "job_type", "script_file", "sge_o_workdir", "exec_file", "binding", "reserve",
              "notify", "restart", "jid_predecessor_list (req)", "job_args")
JOBCMD = ("sleep 2; echo \"ran JOB_NAME=$JOB_NAME NSLOTS=$NSLOTS PE=${PE-unset} QUEUE=$QUEUE "
          "SGE_TASK_ID=$SGE_TASK_ID FOO=${FOO-unset} BAZ=${BAZ-unset} "
          "PROBE_V_MARKER=${PROBE_V_MARKER-unset} PWD=$PWD\"")


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
            f"hasSignal={info.hasSignal} terminatedSignal={info.terminatedSignal!r} "
            f"wasAborted={info.wasAborted} ru[priority]={ru.get('priority')} "
            f"ru[exit_status]={ru.get('exit_status')}")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"<{type(e).__name__}: {e.strerror}>"


def qstat(job, label="qstat -j"):
    r = subprocess.run(["qstat", "-j", str(job).split(".")[0]], capture_output=True, text=True)
    lines = [ln for ln in r.stdout.splitlines()
             if ln.split(":", 1)[0].strip() in QSTAT_KEYS or ln.startswith("parallel environment")]
    lines = [re.sub(r"\s{2,}", " ", ln) for ln in lines]
    print(f"  {label}: {lines if lines else (r.stdout + r.stderr).strip()[:200]}", flush=True)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def files(path):
    out = []
    for root, _dirs, names in os.walk(path):
        for n in sorted(names):
            p = os.path.join(root, n)
            out.append(f"{os.path.relpath(p, path)}={read(p)!r}")
    return sorted(out)


def trace(s, jobs, limit):
    """jobStatus of each job every 0.1 s for `limit` s: the distinct states with times."""
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


# ---------------------------------------------------------------------------------------
# child mode: one switch in one process
def child_option(spec, script):
    wd = fresh(f"{SUB}/opt")
    s = drmaa.Session()
    s.initialize()
    jt = s.createJobTemplate()
    if script:
        path = f"{SUB}/script.sh"
        jt.remoteCommand = path
        jt.args = ["arg1"]
    else:
        jt.remoteCommand = "/bin/sh"
        jt.args = ["-c", JOBCMD]
    jt.workingDirectory = wd
    jt.outputPath = f":{wd}/out"
    jt.errorPath = f":{wd}/err"
    if spec.endswith(" + jobEnvironment FOO=tmpl"):
        jt.jobEnvironment = {"FOO": "tmpl"}
    if spec.endswith(" + jobName=tmpl"):
        jt.jobName = "tmpl"
    held = spec.endswith(" + HOLD_STATE")
    if held:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    if spec.endswith(" + 4 slots busy"):
        fill = s.createJobTemplate()
        fill.remoteCommand = "/bin/sleep"
        fill.args = ["8"]
        fill.outputPath = ":/dev/null"
        fill.joinFiles = True
        busy = s.runBulkJobs(fill, 1, 4, 1)
        t0 = time.time()
        while time.time() - t0 < 15 and any(s.jobStatus(b) != "running" for b in busy):
            time.sleep(0.1)
        print(f"  (4 tasks of sleep 8 submitted first: {[s.jobStatus(b) for b in busy]})", flush=True)
    spec = spec.split(" + ")[0]
    jt.nativeSpecification = spec
    t0 = time.time()
    job = probe("runJob", lambda: s.runJob(jt))
    print(f"  runJob took {time.time() - t0:.1f}s", flush=True)
    if job:
        qstat(job)
        probe("jobStatus", lambda: s.jobStatus(job))
        if spec.startswith("-w v"):
            time.sleep(3)
            probe("jobStatus after 3 s", lambda: s.jobStatus(job))
            probe("wait(job, 3)", lambda: s.wait(job, 3))
            probe("synchronize([job], 3, True)", lambda: s.synchronize([job], 3, True))
            probe("control(job, TERMINATE)", lambda: s.control(job, A.TERMINATE))
            probe("control(job, HOLD)", lambda: s.control(job, A.HOLD))
            probe("wait(ANY, 3)", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 3))
            jt.nativeSpecification = ""
            jt.args = ["-c", "true"]
            nxt = s.runJob(jt)
            print(f"  next plain runJob in the same session -> {nxt!r}", flush=True)
            probe("wait(ANY, 10)", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 10))
            probe("wait(ANY, 3) again", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 3))
        elif spec.startswith("-now y") and held:
            time.sleep(3)
            probe("jobStatus after 3 s", lambda: s.jobStatus(job))
            probe("control(job, RELEASE)", lambda: s.control(job, A.RELEASE))
            probe("wait(job, 10)", lambda: s.wait(job, 10))
        else:
            probe("wait(job, 20)", lambda: s.wait(job, 20))
        print(f"  files: {files(wd)}", flush=True)
    probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
    s.exit()


def child_cwd(wd_set):
    submit_dir = fresh(f"{SUB}/cwd-submit")
    wd = fresh(f"{SUB}/cwd-wd")
    marker = f"{SUB}/cwd-pwd"
    if os.path.exists(marker):
        os.unlink(marker)
    os.chdir(submit_dir)
    s = drmaa.Session()
    s.initialize()
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", f"pwd > {marker}"]
    jt.nativeSpecification = "-cwd"
    if wd_set == "wd":
        jt.workingDirectory = wd
    job = probe("runJob", lambda: s.runJob(jt))
    if job:
        qstat(job)
        probe("wait(job, 20)", lambda: s.wait(job, 20))
        print(f"  job's pwd: {read(marker).strip()!r}", flush=True)
        print(f"  files in submit dir: {sorted(os.listdir(submit_dir))}; in workingDirectory: "
              f"{sorted(os.listdir(wd))}", flush=True)
    s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE)
    s.exit()


def child(label, *args, env=None):
    print(f"--- {label}", flush=True)
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                       timeout=120, env=env)
    for ln in r.stdout.splitlines():
        print(f"  {ln}", flush=True)
    end = f"signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
    err = r.stderr.strip()
    print(f"  [child ended with {end}]" + (f" stderr: {err[:600]!r}" if err else ""), flush=True)


if len(sys.argv) > 1:
    if sys.argv[1] == "--opt":
        child_option(sys.argv[2], len(sys.argv) > 3)
    elif sys.argv[1] == "--cwd":
        child_cwd(sys.argv[2])
    sys.exit(0)

# ---------------------------------------------------------------------------------------
fresh(SUB)
with open(f"{SUB}/script.sh", "w") as f:
    f.write("#!/bin/sh\n#$ -N from_script_directive\necho \"script ran as $0 with $* "
            "JOB_NAME=$JOB_NAME\"\n")
os.chmod(f"{SUB}/script.sh", 0o755)

print("=== switches, each in its own process (job: sleep 2; echo what it sees)")
os.environ["PROBE_V_MARKER"] = "from-submitter"
os.environ["BAZ"] = "baz-from-submitter"
for spec in ["-pe smp 2", "-pe make 2", "-pe nosuch 2", "-pe smp 1-4",
             "-sync y", "-verify", "-help", "-b y", "-b n", "-now y", "-V", "-v FOO=bar,BAZ",
             "-v FOO=bar + jobEnvironment FOO=tmpl", "-now y + HOLD_STATE", "-now y + 4 slots busy", "-w v -l arch=no-such-arch",
             "-l h_rt=abc", "-l h_rt=-5", "-l h_rt=99999999999", "-q all.q",
             "-w v", "-w e", "-w n", "-w w", "-p 10", "-p -2000", "-p -5", "-N",
             "-bogus", "--long", "-", "", "   "]:
    child(f"nativeSpecification={spec!r}", "--opt", spec)
for spec in ["-b n", "-b n + jobName=tmpl", "-b y", ""]:
    child(f"nativeSpecification={spec!r}, remoteCommand a script with a '#$ -N' line", "--opt", spec, "script")

print("=== -cwd (the child chdir()s to native/cwd-submit before initialize; no outputPath)")
env0 = {k: v for k, v in os.environ.items() if k != "SGE_DRMAA_ALLOW_CWD"}
for allow in (False, True):
    for wd_set in ("nowd", "wd"):
        env = dict(env0, SGE_DRMAA_ALLOW_CWD="1") if allow else env0
        child(f"-cwd, SGE_DRMAA_ALLOW_CWD {'=1' if allow else 'unset'}, workingDirectory "
              f"{'= native/cwd-wd' if wd_set == 'wd' else 'unset'}", "--cwd", wd_set, env=env)
home_strays = [f for f in os.listdir(os.path.expanduser("~")) if f.startswith("sh.")]
print(f"stray sh.* files in $HOME after the -cwd cases: {len(home_strays)} (removed)", flush=True)
for f in home_strays:
    os.unlink(os.path.join(os.path.expanduser("~"), f))

s = drmaa.Session()
s.initialize()


def run(label, cmd, spec, timeout=20, **attrs):
    """Submit, wait, print JobInfo and the files in a fresh directory (the working directory)."""
    wd = fresh(f"{SUB}/case")
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", cmd.replace("WD", wd)]
    jt.workingDirectory = wd
    for k, v in attrs.items():
        setattr(jt, k, v.replace("WD", wd) if isinstance(v, str) else v)
    jt.nativeSpecification = spec.replace("WD", wd)
    print(f"--- {label}", flush=True)
    job = probe("  runJob", lambda: s.runJob(jt))
    s.deleteJobTemplate(jt)
    if job:
        qstat(job)
        probe("  wait", lambda: s.wait(job, timeout))
        print(f"  files in workingDirectory: {[re.sub(r'[0-9]+$', '<id>', f) for f in files(wd)]}", flush=True)
    return job


print("=== -N against jobName (no outputPath: default file names in the working directory)")
run("jobName='tmpl' + '-N othername'", "echo JOB_NAME=$JOB_NAME", "-N othername", jobName="tmpl")
run("'-N othername' alone", "echo JOB_NAME=$JOB_NAME", "-N othername")
run("jobName='tmpl' alone", "echo JOB_NAME=$JOB_NAME", "", jobName="tmpl")
run("jobName='tmpl' + '-N bad/name'", "echo JOB_NAME=$JOB_NAME", "-N bad/name", jobName="tmpl")
run("jobName='bad/name' + '-N othername'", "echo JOB_NAME=$JOB_NAME", "-N othername", jobName="bad/name")

print("=== -o / -e / -j against outputPath / errorPath / joinFiles")
oe = "echo to-stdout; echo to-stderr >&2"
run("'-o WD/nat.out -e WD/nat.err' + outputPath/errorPath ':WD/tmpl.out'/':WD/tmpl.err'", oe,
    "-o WD/nat.out -e WD/nat.err", outputPath=":WD/tmpl.out", errorPath=":WD/tmpl.err")
run("'-o WD/nat.out -e WD/nat.err' alone", oe, "-o WD/nat.out -e WD/nat.err")
run("'-o WD/nat.out' + errorPath ':WD/tmpl.err'", oe, "-o WD/nat.out", errorPath=":WD/tmpl.err")
run("'-o :WD/natcolon.out' alone", oe, "-o :WD/natcolon.out")
run("'-j y' + outputPath ':WD/tmpl.out' + errorPath ':WD/tmpl.err' + joinFiles=False", oe,
    "-j y", outputPath=":WD/tmpl.out", errorPath=":WD/tmpl.err", joinFiles=False)
run("'-j n' + outputPath ':WD/tmpl.out' + errorPath ':WD/tmpl.err' + joinFiles=True", oe,
    "-j n", outputPath=":WD/tmpl.out", errorPath=":WD/tmpl.err", joinFiles=True)
run("'-i /etc/hostname' + inputPath ':/etc/os-release' (cat, first line)",
    "head -1", "-i /etc/hostname",
    inputPath=":/etc/os-release", outputPath=":WD/out")

print("=== -hold_jid")
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.args = ["-c", "sleep 5"]
jt.jobName = "holdA"
a = s.runJob(jt)
t0 = time.time()
while s.jobStatus(a) != "running" and time.time() - t0 < 20:
    time.sleep(0.1)
print(f"first job {a} (sleep 5, jobName holdA): {s.jobStatus(a)}", flush=True)
jt.jobName = "holdB"
jt.args = ["-c", "true"]
jt.nativeSpecification = f"-hold_jid {a}"
b = probe(f"runJob with '-hold_jid <id of the running job>'", lambda: s.runJob(jt))
if b:
    qstat(b)
    seen = trace(s, [a, b], 25)
    print(f"  jobStatus transitions (s after the dependent's submission): first {seen[a]}; dependent {seen[b]}", flush=True)
    ia = s.wait(a, 20)
    ib = s.wait(b, 20)
    ea, sb = float(ia.resourceUsage["end_time"]), float(ib.resourceUsage["start_time"])
    print(f"  first job end_time -> dependent start_time: {sb - ea:+.2f} s", flush=True)
for spec in ["-hold_jid 99999999", "-hold_jid nosuchname", "-hold_jid holdC", "-hold_jid holdC,99999999"]:
    if spec.startswith("-hold_jid holdC"):
        jt.jobName = "holdC"
        jt.nativeSpecification = ""
        jt.args = ["-c", "sleep 4"]
        c = s.runJob(jt)
        t0 = time.time()
        while s.jobStatus(c) != "running" and time.time() - t0 < 20:
            time.sleep(0.1)
        print(f"(job {c} named holdC, sleep 4: {s.jobStatus(c)})", flush=True)
    jt.jobName = "dep"
    jt.args = ["-c", "true"]
    jt.nativeSpecification = spec
    d = probe(f"runJob with {spec!r}", lambda: s.runJob(jt))
    if d:
        qstat(d)
        jobs = [d, c] if spec.startswith("-hold_jid holdC") else [d]
        seen = trace(s, jobs, 15)
        print(f"  jobStatus transitions: {seen}", flush=True)
        for j in jobs:
            probe(f"  wait({j}, 5)", lambda: s.wait(j, 5))
        probe("  control(dependent, TERMINATE) (clean-up)", lambda: s.control(d, A.TERMINATE))
s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE)
jt.nativeSpecification = ""
jt.jobName = "holdD"
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
jt.args = ["-c", "true"]
held = s.runJob(jt)
jt.jobSubmissionState = drmaa.JobSubmissionState.ACTIVE_STATE
jt.jobName = "dep2"
jt.nativeSpecification = f"-hold_jid {held}"
d = probe("runJob with '-hold_jid <id of a user-held job>'", lambda: s.runJob(jt))
if d:
    time.sleep(3)
    probe("  jobStatus of the dependent after 3 s", lambda: s.jobStatus(d))
    probe("  control(held, TERMINATE)", lambda: s.control(held, A.TERMINATE))
    probe("  wait(held, 5)", lambda: s.wait(held, 5))
    seen = trace(s, [d], 10)
    print(f"  dependent after its predecessor was terminated: {seen}", flush=True)
    probe("  wait(dependent, 5)", lambda: s.wait(d, 5))
s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE)
s.deleteJobTemplate(jt)

print("=== -t 1-3 in runJob (not runBulkJobs)")
wd = fresh(f"{SUB}/t")
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.args = ["-c", f"echo \"SGE_TASK_ID=$SGE_TASK_ID FIRST=$SGE_TASK_FIRST LAST=$SGE_TASK_LAST "
                 f"STEP=$SGE_TASK_STEPSIZE JOB_ID=$JOB_ID\" > {wd}/task.$SGE_TASK_ID"]
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.nativeSpecification = "-t 1-3"
t = probe("runJob with '-t 1-3'", lambda: s.runJob(jt))
if t:
    qstat(t)
    for j in [t, f"{t}.1", f"{t}.2", f"{t}.3", f"{t}.4"]:
        probe(f"  jobStatus({j!r}) at once", lambda: s.jobStatus(j))
    time.sleep(5)
    for j in [t, f"{t}.1", f"{t}.2", f"{t}.3"]:
        probe(f"  jobStatus({j!r}) after 5 s", lambda: s.jobStatus(j))
    for i in range(4):
        probe(f"  wait({t!r}, 10) #{i + 1}", lambda: s.wait(t, 10))
    print(f"  files: {files(wd)}", flush=True)
jt.nativeSpecification = "-t 1-3"
ids = probe("runBulkJobs(jt, 1, 2, 1) with '-t 1-3' as well", lambda: s.runBulkJobs(jt, 1, 2, 1))
if ids:
    qstat(ids[0])
    probe("  synchronize(ids, 20, True)", lambda: s.synchronize(ids, 20, True))
    probe("  wait(ANY, 5)", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 5))
s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE)
s.deleteJobTemplate(jt)
s.exit()
shutil.rmtree(SUB, ignore_errors=True)
