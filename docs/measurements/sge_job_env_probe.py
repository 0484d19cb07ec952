"""Probe the environment a DRMAA job sees: every variable of a job with no jobEnvironment
(the raw environment from `/usr/bin/env` run as the remoteCommand, and through /bin/sh),
which variables a template's jobEnvironment can override (single and bulk jobs), and whether
SGE_O_HOME / SGE_O_PATH / SGE_O_WORKDIR / ... follow changes the submitting process makes to
os.environ and its cwd between two runJob calls.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):

    bash docs/measurements/run-probe.sh sge_job_env_probe

Values that contain the job id are printed with the id replaced by <id>.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import glob
import os
import shutil
import subprocess

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
SUB = f"{D}/env"
HOME = os.path.expanduser("~")
OVERRIDES = ["HOME", "USER", "LOGNAME", "SHELL", "PATH", "TMPDIR", "TMP", "JOB_ID", "JOB_NAME",
             "SGE_TASK_ID", "NSLOTS", "QUEUE", "HOSTNAME", "SGE_O_HOME", "SGE_O_PATH",
             "SGE_O_WORKDIR", "SGE_STDOUT_PATH", "PWD"]


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


def env_of(path):
    return dict(ln.split("=", 1) for ln in read(path).splitlines() if "=" in ln)


def anon(v, job):
    return v.replace(job.split(".")[0], "<id>") if job else v


s = drmaa.Session()
s.initialize()


def run(remote, args, out, env=None, bulk=False, wd=None, attrs=None):
    jt = s.createJobTemplate()
    jt.remoteCommand = remote
    jt.args = args
    if out:
        jt.outputPath = out
        jt.joinFiles = True
    if env is not None:
        jt.jobEnvironment = env
    if wd:
        jt.workingDirectory = wd
    for k, v in (attrs or {}).items():
        setattr(jt, k, v)
    try:
        if bulk:
            ids = s.runBulkJobs(jt, 1, 2, 1)
            s.synchronize(ids, 30, False)
            infos = [s.wait(j, 10) for j in ids]
            return ids, infos
        j = s.runJob(jt)
        return j, s.wait(j, 30)
    finally:
        s.deleteJobTemplate(jt)


shutil.rmtree(SUB, ignore_errors=True)
os.makedirs(SUB)

print("=== every variable, no jobEnvironment: remoteCommand /usr/bin/env (no shell)")
j, info = run("/usr/bin/env", [], f":{SUB}/raw.env")
raw = env_of(f"{SUB}/raw.env")
print(f"job {j}: {len(raw)} variables (exitStatus {info.exitStatus})", flush=True)
for k in sorted(raw):
    print(f"  {k}={anon(raw[k], j)}", flush=True)
print(f"  (order as printed by env: {[ln.split('=', 1)[0] for ln in read(f'{SUB}/raw.env').splitlines()]})", flush=True)

print("=== the same through /bin/sh -c env (what a shell job sees)")
j2, info = run("/bin/sh", ["-c", "env"], f":{SUB}/sh.env")
sh = env_of(f"{SUB}/sh.env")
print(f"job {j2}: {len(sh)} variables; added by sh: "
      f"{ {k: anon(sh[k], j2) for k in sorted(set(sh) - set(raw))} }; removed by sh: "
      f"{sorted(set(raw) - set(sh))}; changed by sh: "
      f"{ {k: (anon(raw[k], j), anon(sh[k], j2)) for k in sorted(set(sh) & set(raw)) if anon(raw[k], j) != anon(sh[k], j2)} }",
      flush=True)

print("=== a bulk task (1..2), raw env: variables that differ from the single job")
ids, infos = run("/usr/bin/env", [], f":{SUB}/bulk.$drmaa_incr_ph$.env", bulk=True)
b1 = env_of(f"{SUB}/bulk.1.env")
print(f"{ids}: added {sorted(set(b1) - set(raw))}; removed {sorted(set(raw) - set(b1))}; "
      f"changed { {k: (anon(raw[k], j), anon(b1[k], ids[0])) for k in sorted(set(b1) & set(raw)) if anon(raw[k], j) != anon(b1[k], ids[0])} }",
      flush=True)

print("=== jobEnvironment sets each of these to 'OVERRIDE' (one job, all at once, /usr/bin/env)")
ov = {k: "OVERRIDE" for k in OVERRIDES}
j3, info = run("/usr/bin/env", [], f":{SUB}/ov.env", env=ov)
seen = env_of(f"{SUB}/ov.env")
print(f"job {j3}: hasExited={info.hasExited} exitStatus={info.exitStatus} wasAborted={info.wasAborted}", flush=True)
for k in OVERRIDES:
    print(f"  {k}: job sees {anon(seen.get(k, '<unset>'), j3)!r} (without override: "
          f"{anon(raw.get(k, '<unset>'), j)!r})", flush=True)
others = {k: (anon(raw.get(k, '<unset>'), j), anon(seen.get(k, '<unset>'), j3))
          for k in sorted(set(raw) | set(seen)) if k not in ov and anon(raw.get(k, ''), j) != anon(seen.get(k, ''), j3)}
print(f"  other variables that changed: {others}", flush=True)
j4, info = run("/bin/sh", ["-c", "pwd > " + f"{SUB}/ov.pwd; echo HOME=$HOME"], f":{SUB}/ov.sh", env=ov)
print(f"job {j4} (same overrides, /bin/sh): pwd {read(f'{SUB}/ov.pwd').strip()!r}; printed "
      f"{read(f'{SUB}/ov.sh')!r}; exitStatus {info.exitStatus}", flush=True)

print("=== the same overrides in a bulk job (tasks 1..2)")
ids, infos = run("/usr/bin/env", [], f":{SUB}/ovb.$drmaa_incr_ph$.env", env=ov, bulk=True)
for i, t in enumerate(ids, 1):
    e = env_of(f"{SUB}/ovb.{i}.env")
    print(f"  {t}: " + ", ".join(f"{k}={anon(e.get(k, '<unset>'), t)}" for k in
                                 ["SGE_TASK_ID", "SGE_TASK_FIRST", "SGE_TASK_LAST", "JOB_ID", "TMPDIR", "SGE_STDOUT_PATH"]),
          flush=True)

print("=== each override alone (one job per variable, /usr/bin/env)")
for k in OVERRIDES:
    jk, info = run("/usr/bin/env", [], f":{SUB}/one.env", env={k: "OVERRIDE"})
    e = env_of(f"{SUB}/one.env")
    changed = {x: anon(e.get(x, '<unset>'), jk) for x in sorted(set(e) | set(raw))
               if x != k and anon(e.get(x, ''), jk) != anon(raw.get(x, ''), j)}
    print(f"  {k}=OVERRIDE: job sees {anon(e.get(k, '<unset>'), jk)!r}; other changes {changed}", flush=True)

print("=== SGE_O_* when the submitter changes os.environ and its cwd between two runJob calls")
CMD = "env | grep -E '^SGE_O_' | sort; echo PWD=$(pwd); echo HOME=$HOME; echo PATH=$PATH"


def sge_o(label, **kw):
    if os.path.exists(f"{SUB}/o.env"):
        os.unlink(f"{SUB}/o.env")  # Grid Engine appends to an existing output file
    jx, info = run("/bin/sh", ["-c", CMD], f":{SUB}/o.env", **kw)
    print(f"{label} (job {jx}): " + "; ".join(read(f"{SUB}/o.env").splitlines()), flush=True)


print(f"submitter: cwd {os.getcwd()!r} HOME {os.environ.get('HOME')!r} PATH {os.environ.get('PATH')!r} "
      f"SHELL {os.environ.get('SHELL')!r} LOGNAME {os.environ.get('LOGNAME')!r} USER {os.environ.get('USER')!r}",
      flush=True)
sge_o("before any change")
fake_home = f"{SUB}/fakehome"
new_cwd = f"{SUB}/newcwd"
os.makedirs(fake_home)
os.makedirs(new_cwd)
os.environ["HOME"] = fake_home
sge_o("after os.environ['HOME'] = <SUB>/fakehome")
os.environ["PATH"] = "/fake/bin:" + os.environ["PATH"]
sge_o("after os.environ['PATH'] = '/fake/bin:' + PATH")
os.chdir(new_cwd)
sge_o("after os.chdir(<SUB>/newcwd)")
os.environ["PWD"] = "/tmp"
sge_o("after os.environ['PWD'] = '/tmp' (cwd still <SUB>/newcwd)")
os.environ["SHELL"] = "/bin/fakesh"
os.environ["LOGNAME"] = "fakelogname"
os.environ["USER"] = "fakeuser"
sge_o("after os.environ SHELL=/bin/fakesh LOGNAME=fakelogname USER=fakeuser")
del os.environ["HOME"]
sge_o("after del os.environ['HOME']")
os.environ["HOME"] = fake_home
print("--- default output file and working directory with the submitter's HOME changed", flush=True)
before = set(os.listdir(HOME))
jd, info = run("/bin/sh", ["-c", "pwd"], None)
new = sorted(set(os.listdir(HOME)) - before)
print(f"job {jd}: new files in the real $HOME: {[anon(f, jd) for f in new]}; in the fake home: "
      f"{sorted(os.listdir(fake_home))}; in the submitter's cwd: {sorted(os.listdir(new_cwd))}", flush=True)
for f in new:
    print(f"  {anon(f, jd)}: {read(os.path.join(HOME, f))!r}", flush=True)
    os.unlink(os.path.join(HOME, f))
jd, info = run("/bin/sh", ["-c", "pwd"], ":$drmaa_hd_ph$/hd.out", wd="$drmaa_hd_ph$")
print(f"job {jd}: outputPath ':$drmaa_hd_ph$/hd.out', workingDirectory '$drmaa_hd_ph$': real home has hd.out "
      f"{os.path.exists(HOME + '/hd.out')} ({read(HOME + '/hd.out')!r}); fake home has hd.out "
      f"{os.path.exists(fake_home + '/hd.out')}", flush=True)
for f in (HOME + "/hd.out", fake_home + "/hd.out"):
    if os.path.exists(f):
        os.unlink(f)
os.chdir(D)
probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE))
s.exit()
shutil.rmtree(SUB, ignore_errors=True)
