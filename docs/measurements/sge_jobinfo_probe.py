"""Probe what a DRMAA library reports about finished jobs (JobInfo) and what a job sees:
signals, exit codes, resource usage, default paths and names, placeholders, joinFiles,
environment, arguments.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR). The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import glob
import os
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
HOME = os.path.expanduser("~")


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


s = drmaa.Session()
s.initialize()


def run(cmd=None, remote="/bin/sh", args=None, timeout=30, **attrs):
    jt = s.createJobTemplate()
    jt.remoteCommand = remote
    jt.args = args if args is not None else ["-c", cmd]
    if "outputPath" not in attrs and "joinFiles" not in attrs:
        attrs.update(outputPath=":/dev/null", joinFiles=True)
    try:
        for k, v in attrs.items():
            setattr(jt, k, v)
        j = s.runJob(jt)
    except Exception as e:  # reported, and the caller's line shows None fields
        print(f"  (runJob with {attrs} raised {type(e).__name__}: {e})".replace("\n", " "), flush=True)
        return None, NO_INFO
    finally:
        s.deleteJobTemplate(jt)
    return j, s.wait(j, timeout)


NO_INFO = drmaa.JobInfo(None, None, None, None, None, None, None, {})


print("=== signals (the job kills itself with kill -SIG $$)")
for sig in ["TERM", "INT", "SEGV", "USR1", "USR2", "ABRT", "HUP", "QUIT", "KILL", "ALRM", "PIPE",
            "BUS", "FPE", "ILL", "TRAP", "XCPU"]:
    j, info = run(f"cd {D}; kill -{sig} $$", workingDirectory=D)
    ru = info.resourceUsage
    print(f"SIG{sig}: hasExited={info.hasExited} hasSignal={info.hasSignal} "
          f"terminatedSignal={info.terminatedSignal!r} hasCoreDump={info.hasCoreDump} "
          f"wasAborted={info.wasAborted} exitStatus={info.exitStatus} "
          f"ru exit_status={ru.get('exit_status')} ru signal={ru.get('signal')}", flush=True)
for f in glob.glob(f"{D}/core*"):
    os.unlink(f)

print("=== exit codes")
for code in [0, 1, 2, 3, 42, 127, 128, 129, 137, 143, 255, 256, 257]:
    j, info = run(f"exit {code}")
    ru = info.resourceUsage
    print(f"exit {code}: hasExited={info.hasExited} hasSignal={info.hasSignal} "
          f"terminatedSignal={info.terminatedSignal!r} wasAborted={info.wasAborted} "
          f"exitStatus={info.exitStatus} ru exit_status={ru.get('exit_status')} "
          f"ru signal={ru.get('signal')}", flush=True)

print("=== exit 99 (Grid Engine: reschedule) and exit 100 (Grid Engine: error state)")
for code in (99, 100):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", f"exit {code}"]
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    j = s.runJob(jt)
    s.deleteJobTemplate(jt)
    seen, t0 = [], time.time()
    while time.time() - t0 < 8:
        st = s.jobStatus(j)
        if not seen or seen[-1][1] != st:
            seen.append((round(time.time() - t0, 1), st))
        time.sleep(0.1)
    print(f"exit {code}: jobStatus over 8s {seen}", flush=True)
    probe(f"exit {code}: wait(job, 3)", lambda: s.wait(j, 3))
    probe(f"exit {code}: terminate", lambda: s.control(j, drmaa.JobControlAction.TERMINATE))
    probe(f"exit {code}: wait after terminate", lambda: s.wait(j, 20))

print("=== resourceUsage")
j, info = run("sleep 1")
print(f"normal job: keys {list(info.resourceUsage)}", flush=True)
print(f"normal job: values {info.resourceUsage}", flush=True)
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/true"
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
j = s.runJob(jt)
s.control(j, drmaa.JobControlAction.TERMINATE)
probe("terminated while held: wait", lambda: s.wait(j, 20))
jt.jobSubmissionState = drmaa.JobSubmissionState.ACTIVE_STATE
jt.nativeSpecification = "-w n -l arch=no-such-arch"
j = s.runJob(jt)
time.sleep(2)
s.control(j, drmaa.JobControlAction.TERMINATE)
probe("terminated while queued: wait", lambda: s.wait(j, 20))
jt.nativeSpecification = ""
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
j = s.runJob(jt)
s.control(j, drmaa.JobControlAction.TERMINATE)
time.sleep(3)
probe("terminated while held: synchronize(dispose=False)", lambda: s.synchronize([j], 10, False))
probe("  then wait", lambda: s.wait(j, 5))
s.deleteJobTemplate(jt)
jt = s.createJobTemplate()
jt.remoteCommand = "/no/such/cmd"
j = s.runJob(jt)
probe("failed to start: wait", lambda: s.wait(j, 20))
s.deleteJobTemplate(jt)

print("=== defaults: output file, job name, working directory (nothing set)")
before = set(os.listdir(HOME))
marker = f"{D}/defaults.{os.getpid()}"
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.args = ["-c", f"pwd; echo to-stderr >&2; echo \"JOB_NAME=$JOB_NAME\"; pwd > {marker}"]
j = s.runJob(jt)
s.wait(j, 30)
s.deleteJobTemplate(jt)
new = sorted(set(os.listdir(HOME)) - before)
print(f"job {j}: new files in $HOME ({HOME}): {new}", flush=True)
for f in new:
    print(f"  {f}: {read(os.path.join(HOME, f))!r}", flush=True)
    os.unlink(os.path.join(HOME, f))
print(f"default working directory: {read(marker).strip()!r}", flush=True)
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/echo"
jt.args = ["hi"]
jt.workingDirectory = D
before_wd, before_home = set(os.listdir(D)), set(os.listdir(HOME))
j = s.runJob(jt)
s.wait(j, 30)
s.deleteJobTemplate(jt)
new_wd, new_home = sorted(set(os.listdir(D)) - before_wd), sorted(set(os.listdir(HOME)) - before_home)
print(f"remoteCommand /bin/echo, workingDirectory set, no outputPath: new files in wd {new_wd}; in $HOME: {new_home}", flush=True)
for f in new_wd:
    os.unlink(os.path.join(D, f))
for f in new_home:
    os.unlink(os.path.join(HOME, f))

print("=== placeholders")
sub = f"{D}/ph{os.getpid()}"
os.makedirs(sub, exist_ok=True)


def show_and_clean(label):
    files = sorted(os.listdir(sub))
    home = sorted(os.path.basename(p) for p in glob.glob(HOME + "/ph-*"))
    print(f"{label}: files in wd {files}; ph-* files in $HOME {home}", flush=True)
    for f in files:
        print(f"  {f}: {read(os.path.join(sub, f))!r}", flush=True)
        os.unlink(os.path.join(sub, f))
    for f in home:
        print(f"  $HOME/{f}: {read(os.path.join(HOME, f))!r}", flush=True)
        os.unlink(os.path.join(HOME, f))


for label, attrs in [
        ("single job, $drmaa_incr_ph$ in outputPath",
         dict(outputPath=":$drmaa_wd_ph$/single.$drmaa_incr_ph$.out", joinFiles=True)),
        ("single job, $drmaa_incr_ph$ in errorPath",
         dict(outputPath=":$drmaa_wd_ph$/single.out", errorPath=":$drmaa_wd_ph$/single.$drmaa_incr_ph$.err")),
        ("single job, $drmaa_incr_ph$ in inputPath",
         dict(inputPath=":/dev/null$drmaa_incr_ph$", outputPath=":$drmaa_wd_ph$/single.out", joinFiles=True)),
        ("single job, $drmaa_incr_ph$ in workingDirectory",
         dict(workingDirectory=sub + "/$drmaa_incr_ph$", outputPath=f":{sub}/single.out", joinFiles=True)),
        ("single job, $drmaa_wd_ph$ / $drmaa_hd_ph$ in paths, placeholders in args",
         dict(outputPath=":$drmaa_wd_ph$/single.out", errorPath=":$drmaa_hd_ph$/ph-single.err")),
]:
    try:
        a = dict(workingDirectory=sub)
        a.update(attrs)
        j, info = run(remote="/bin/echo", args=["$drmaa_incr_ph$", "$drmaa_hd_ph$", "$drmaa_wd_ph$", "$HOME", "$JOB_ID"], **a)
        print(f"{label}: runJob OK, hasExited={info.hasExited} wasAborted={info.wasAborted}", flush=True)
    except Exception as e:
        print(f"{label}: {type(e).__name__}: {e}", flush=True)
    show_and_clean(label)
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/echo"
jt.args = ["$drmaa_incr_ph$", "task=$SGE_TASK_ID"]
jt.workingDirectory = sub
jt.outputPath = ":$drmaa_wd_ph$/bulk.$drmaa_incr_ph$.out"
jt.joinFiles = True
ids = s.runBulkJobs(jt, 1, 3, 1)
s.synchronize(ids, 30, True)
s.deleteJobTemplate(jt)
print(f"bulk {ids}: files in wd {sorted(os.listdir(sub))}", flush=True)
for f in sorted(os.listdir(sub)):
    print(f"  {f}: {read(os.path.join(sub, f))!r}", flush=True)
    os.unlink(os.path.join(sub, f))
j, info = run(f"pwd > {sub}/wd_in_wd", workingDirectory="$drmaa_hd_ph$")
print(f"workingDirectory='$drmaa_hd_ph$': pwd -> {read(sub + '/wd_in_wd').strip()!r} (wasAborted={info.wasAborted})", flush=True)
j, info = run(f"pwd > {sub}/wd_in_wd2", workingDirectory="$drmaa_hd_ph$/")
print(f"workingDirectory='$drmaa_hd_ph$/': pwd -> {read(sub + '/wd_in_wd2').strip()!r} (wasAborted={info.wasAborted})", flush=True)
j, info = run("echo x", workingDirectory=sub, outputPath=":relative.out")
print(f"outputPath=':relative.out' with wd set: files in wd {sorted(os.listdir(sub))} (wasAborted={info.wasAborted})", flush=True)
j, info = run("echo x", workingDirectory=sub, outputPath=f"{sub}/nocolon.out")
print(f"outputPath without ':' prefix: files in wd {sorted(os.listdir(sub))} (wasAborted={info.wasAborted})", flush=True)
host = s.contact.split("=", 1)[1].split(".")[0]
for h in [host, os.uname().nodename, "otherhost"]:
    try:
        j, info = run("echo x", workingDirectory=sub, outputPath=f"{h}:{sub}/host-{h}.out")
        print(f"outputPath='{h}:path': hasExited={info.hasExited} wasAborted={info.wasAborted}; files {sorted(os.listdir(sub))}", flush=True)
    except Exception as e:
        print(f"outputPath='{h}:path': {type(e).__name__}: {e}", flush=True)
j, info = run("echo x", workingDirectory=sub, outputPath=f":{sub}/")
print(f"outputPath=':<dir>/' : files in wd {sorted(os.listdir(sub))}", flush=True)
for f in sorted(os.listdir(sub)):
    os.unlink(os.path.join(sub, f))

print("=== joinFiles")
for join, err in [(True, True), (True, False), (False, True), (False, False)]:
    attrs = {"outputPath": f":{sub}/join.out", "joinFiles": join}
    if err:
        attrs["errorPath"] = f":{sub}/join.err"
    j, info = run("echo to-out; echo to-err >&2", workingDirectory=sub, **attrs)
    print(f"joinFiles={join} errorPath set={err}: " +
          ", ".join(f"{f}={read(os.path.join(sub, f))!r}" for f in sorted(os.listdir(sub))), flush=True)
    for f in sorted(os.listdir(sub)):
        os.unlink(os.path.join(sub, f))
new = [f for f in os.listdir(HOME) if f.startswith("sh.")]
print(f"  stray files in $HOME: {new}", flush=True)
for f in new:
    os.unlink(os.path.join(HOME, f))

print("=== inputPath")
with open(f"{sub}/in.txt", "w") as f:
    f.write("line1\nline2\n")
j, info = run(remote="/bin/cat", args=[], inputPath=f":{sub}/in.txt", outputPath=f":{sub}/in.out", joinFiles=True)
print(f"cat with inputPath: output {read(sub + '/in.out')!r}", flush=True)
j, info = run(remote="/bin/cat", args=[], outputPath=f":{sub}/noin.out", joinFiles=True)
print(f"cat without inputPath: output {read(sub + '/noin.out')!r} exit={info.exitStatus}", flush=True)

print("=== environment seen by a job")
os.environ["PROBE_SUBMITTER_MARKER"] = "from-submitter"
j, info = run(f"env | sort > {sub}/env.txt")
env = dict(ln.split("=", 1) for ln in read(f"{sub}/env.txt").splitlines() if "=" in ln)
print(f"job {j}: submitter's PROBE_SUBMITTER_MARKER inherited: {'PROBE_SUBMITTER_MARKER' in env}", flush=True)
print(f"submitter PATH={os.environ.get('PATH')!r}", flush=True)
for k in sorted(env):
    v = env[k]
    if k in ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "TMPDIR", "TMP", "LANG", "TERM",
             "JOB_ID", "JOB_NAME", "JOB_SCRIPT", "QUEUE", "NSLOTS", "NHOSTS", "NQUEUES", "HOSTNAME",
             "REQUEST", "ENVIRONMENT", "RESTARTED", "PE", "PE_HOSTFILE", "ARC", "MAIL",
             "LD_PRELOAD", "DRMAA_LIBRARY_PATH") or k.startswith(("SGE_", "PROBE_")):
        print(f"  {k}={v}", flush=True)
print(f"  all names: {sorted(env)}", flush=True)
j, info = run(f"/usr/bin/env | /usr/bin/sort > {sub}/env2.txt", jobEnvironment={"FOO": "bar", "PATH": "/custom/bin", "WITH_EQ": "a=b", "EMPTY": ""})
env = dict(ln.split("=", 1) for ln in read(f"{sub}/env2.txt").splitlines() if "=" in ln)
print(f"with jobEnvironment FOO/PATH/WITH_EQ/EMPTY: FOO={env.get('FOO')!r} PATH={env.get('PATH')!r} "
      f"WITH_EQ={env.get('WITH_EQ')!r} EMPTY={env.get('EMPTY')!r} HOME={env.get('HOME')!r} "
      f"marker inherited={'PROBE_SUBMITTER_MARKER' in env}", flush=True)
ids = None
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sh"
jt.args = ["-c", f"echo $SGE_TASK_ID $SGE_TASK_FIRST $SGE_TASK_LAST $SGE_TASK_STEPSIZE > {sub}/task.$SGE_TASK_ID"]
jt.outputPath = ":/dev/null"
jt.joinFiles = True
ids = s.runBulkJobs(jt, 2, 6, 2)
s.synchronize(ids, 30, True)
s.deleteJobTemplate(jt)
print(f"bulk 2..6:2 SGE_TASK_ID FIRST LAST STEPSIZE: {[read(p).strip() for p in sorted(glob.glob(sub + '/task.*'))]}", flush=True)
j, info = run(f"env | sort > {sub}/env3.txt")
env = dict(ln.split("=", 1) for ln in read(f"{sub}/env3.txt").splitlines() if "=" in ln)
print(f"single job SGE_TASK_*: { {k: v for k, v in env.items() if k.startswith('SGE_TASK')} }", flush=True)

print("=== arguments with spaces and quotes")
args = ["plain", "with space", "it's", 'say "hi"', "", "$HOME", "*", "a\\b", "tab\there", "ünïcode"]
j, info = run(remote="/usr/bin/printf", args=["[%s]\\n"] + args, outputPath=f":{sub}/args.out", joinFiles=True)
print(f"args {args!r}", flush=True)
print(f"job printed: {read(sub + '/args.out')!r}", flush=True)
j, info = run(remote="/bin/sh", args=["-c", "echo \"$#:$1|$2\"", "zero", "one two", "three"],
              outputPath=f":{sub}/args2.out", joinFiles=True)
print(f"sh -c with extra args: {read(sub + '/args2.out')!r}", flush=True)
j, info = run(remote="/bin/echo hi there", args=[], outputPath=f":{sub}/args3.out", joinFiles=True)
print(f"remoteCommand '/bin/echo hi there' (spaces in the command): exited={info.hasExited} aborted={info.wasAborted} out={read(sub + '/args3.out')!r}", flush=True)
j, info = run(remote="echo", args=["relative"], outputPath=f":{sub}/args4.out", joinFiles=True)
print(f"remoteCommand 'echo' (found in PATH?): exited={info.hasExited} aborted={info.wasAborted} out={read(sub + '/args4.out')!r}", flush=True)
for f in os.listdir(sub):
    os.unlink(os.path.join(sub, f))
os.rmdir(sub)
s.exit()
