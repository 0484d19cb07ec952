"""Probe empty and odd values of job template attributes: inputPath=':' and '',
outputPath=':', errorPath=':', workingDirectory='', jobName='' and a few more
(email, jobCategory, startTime forms, jobEnvironment keys, relative remoteCommand, paths that
are directories, the same file for stdout and stderr, an output file that already exists):
is the value refused when it is set, at runJob, or does the job fail, and what does the job do.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):

    bash docs/measurements/run-probe.sh sge_input_path_probe

Each case runs in a fresh directory <SUB> (= $PROBE_DIR/inp, the working directory unless the
case sets it); the job prints "out", "err" to stderr, its stdin (cat) and writes its `pwd` into
<SUB>/pwd. Files that appear in <SUB> and in $HOME are printed (job id shown as <id>).
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import datetime
import os
import re
import shutil
import subprocess
import sys
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
SUB = f"{D}/inp"
HOME = os.path.expanduser("~")
CMD = f"echo out; echo err >&2; cat; pwd > {SUB}/pwd"


def probe(name, call):
    try:
        r = call()
        print(f"{name}: OK -> {r!r}", flush=True)
        return True, r
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}".rstrip(), flush=True)
        return False, None


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"<{type(e).__name__}: {e.strerror}>"


if len(sys.argv) > 2 and sys.argv[1] == "--start":
    s = drmaa.Session()
    s.initialize()
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    jt.startTime = sys.argv[2]
    ok, j = probe("runJob", lambda: s.runJob(jt))
    if ok:
        r = subprocess.run(["qstat", "-j", j], capture_output=True, text=True)
        print(f"qstat -j: {[re.sub(r'[ ]{2,}', ' ', ln) for ln in r.stdout.splitlines() if ln.startswith('execution_time')]}",
              flush=True)
        time.sleep(2)
        probe("jobStatus after 2 s", lambda: s.jobStatus(j))
    s.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
    s.exit()
    sys.exit(0)

s = drmaa.Session()
s.initialize()


def case(label, cmd=CMD, keep=False, wait=20, **attrs):
    if not keep:
        shutil.rmtree(SUB, ignore_errors=True)
        os.makedirs(SUB)
    home_before = set(os.listdir(HOME))
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", cmd]
    if "workingDirectory" not in attrs:
        jt.workingDirectory = SUB
    print(f"--- {label}", flush=True)
    for k, v in attrs.items():
        v = v.replace("<SUB>", SUB) if isinstance(v, str) else v
        ok, _ = probe(f"  set {k}={v!r}", lambda: setattr(jt, k, v))
        if ok:
            probe(f"  read back {k}", lambda: getattr(jt, k))
    t0 = time.time()
    ok, job = probe("  runJob", lambda: s.runJob(jt))
    s.deleteJobTemplate(jt)
    if not ok:
        return None
    r = subprocess.run(["qstat", "-j", job], capture_output=True, text=True)
    q = [re.sub(r"\s{2,}", " ", ln) for ln in r.stdout.splitlines()
         if ln.startswith(("stdout_path_list", "stderr_path_list", "stdin_path_list", "cwd", "job_name",
                           "mail_list", "execution_time", "env_list", "merge"))]
    print(f"  qstat -j: {q if q else (r.stdout + r.stderr).strip()[:200]}".replace(job, "<id>"), flush=True)
    try:
        info = s.wait(job, wait)
        print(f"  wait: hasExited={info.hasExited} exitStatus={info.exitStatus} wasAborted={info.wasAborted} "
              f"(returned after {time.time() - t0:.1f}s; ru start_time - submission_time = "
              f"{float(info.resourceUsage.get('start_time', 'nan')) - float(info.resourceUsage.get('submission_time', 'nan')):.0f}s)",
              flush=True)
    except Exception as e:
        print(f"  wait: {type(e).__name__}: {e}", flush=True)
        probe("  jobStatus", lambda: s.jobStatus(job))
        s.control(job, drmaa.JobControlAction.TERMINATE)
        probe("  wait after terminate", lambda: s.wait(job, 10))
    found = []
    if os.path.isdir(SUB):
        for root, _dirs, names in os.walk(SUB):
            for n in names:
                found.append(os.path.join(root, n))
    new_home = sorted(set(os.listdir(HOME)) - home_before)
    found += [os.path.join(HOME, f) for f in new_home]
    shown = []
    for p in sorted(found):
        name = p.replace(SUB, "<SUB>").replace(HOME, "$HOME").replace(job, "<id>")
        shown.append(f"{name}={read(p)!r}")
    print(f"  files: {shown}", flush=True)
    for f in new_home:
        os.unlink(os.path.join(HOME, f))
    return job


print("=== the values asked about")
case("inputPath=':'", inputPath=":")
case("inputPath=''", inputPath="")
case("outputPath=':'", outputPath=":")
case("errorPath=':'", errorPath=":")
case("outputPath=':' and errorPath=':'", outputPath=":", errorPath=":")
case("outputPath=':' with joinFiles=True", outputPath=":", joinFiles=True)
case("outputPath=''", outputPath="")
case("errorPath=''", errorPath="")
case("workingDirectory=''", workingDirectory="", outputPath=":<SUB>/o", errorPath=":<SUB>/e")
case("jobName=''", jobName="", outputPath=":<SUB>/o", errorPath=":<SUB>/e")
case("jobName='' and no outputPath (default file names)", jobName="")

print("=== more path forms")
case("outputPath='::'", outputPath="::")
case("outputPath=':<SUB>' (a directory, no trailing slash)", outputPath=":<SUB>")
case("inputPath=':<SUB>' (a directory)", inputPath=":<SUB>", outputPath=":<SUB>/o", joinFiles=True)
case("inputPath=':/etc/shadow' (not readable)", inputPath=":/etc/shadow", outputPath=":<SUB>/o", joinFiles=True)
case("outputPath and errorPath the same file, joinFiles=False", outputPath=":<SUB>/same", errorPath=":<SUB>/same")
with open(f"{SUB}/exists", "w") as f:
    f.write("old content\n")
case("outputPath an existing file (appended or truncated?)", keep=True, outputPath=":<SUB>/exists", joinFiles=True)
case("workingDirectory '<SUB>/' (trailing slash)", workingDirectory="<SUB>/", outputPath=":o", joinFiles=True)
case("workingDirectory '/'", workingDirectory="/", outputPath=":<SUB>/o", joinFiles=True)
os.makedirs(SUB, exist_ok=True)
with open(f"{SUB}/s.sh", "w") as f:
    f.write("#!/bin/sh\necho relative script ran in $(pwd)\n")
os.chmod(f"{SUB}/s.sh", 0o755)
print("--- remoteCommand './s.sh' with workingDirectory=<SUB> (s.sh there)")
jt = s.createJobTemplate()
jt.remoteCommand = "./s.sh"
if os.path.exists(SUB + "/o"):
    os.unlink(SUB + "/o")
jt.workingDirectory = SUB
jt.outputPath = f":{SUB}/o"
jt.joinFiles = True
ok, j = probe("  runJob", lambda: s.runJob(jt))
if ok:
    i = s.wait(j, 20)
    print(f"  wait: hasExited={i.hasExited} exitStatus={i.exitStatus} wasAborted={i.wasAborted}; o={read(SUB + '/o')!r}", flush=True)
jt.remoteCommand = "s.sh"
os.unlink(SUB + "/o")
ok, j = probe("  runJob with remoteCommand 's.sh' (no ./)", lambda: s.runJob(jt))
if ok:
    i = s.wait(j, 20)
    print(f"  wait: hasExited={i.hasExited} exitStatus={i.exitStatus} wasAborted={i.wasAborted}; o={read(SUB + '/o')!r}", flush=True)
s.deleteJobTemplate(jt)

print("=== other attributes")
case("email=['not an address']", email=["not an address"], outputPath=":<SUB>/o", joinFiles=True)
case("email=['']", email=[""], outputPath=":<SUB>/o", joinFiles=True)
case("email=['a@b', 'c@d'], blockEmail=True", email=["a@b", "c@d"], blockEmail=True, outputPath=":<SUB>/o", joinFiles=True)
case("jobCategory='nosuchcategory'", jobCategory="nosuchcategory", outputPath=":<SUB>/o", joinFiles=True)
case("jobCategory=''", jobCategory="", outputPath=":<SUB>/o", joinFiles=True)
case("jobName=' ' (one space)", jobName=" ", outputPath=":<SUB>/o", joinFiles=True)
case("jobName of 300 characters", jobName="n" * 300, outputPath=":<SUB>/o", joinFiles=True)
case("jobEnvironment={'': 'x'}", jobEnvironment={"": "x"}, outputPath=":<SUB>/o", joinFiles=True)
case("jobEnvironment={'A B': 'x'}", cmd="env | grep '^A' ; true", jobEnvironment={"A B": "x"}, outputPath=":<SUB>/o", joinFiles=True)
case("jobEnvironment={'A=B': 'c'}", cmd="env | grep '^A' ; true", jobEnvironment={"A=B": "c"}, outputPath=":<SUB>/o", joinFiles=True)
case("jobEnvironment={'X': 'a,b'} (comma)", cmd="echo X=$X", jobEnvironment={"X": "a,b"}, outputPath=":<SUB>/o", joinFiles=True)
case("jobEnvironment={'X': 'line1\\nline2'}", cmd="printf 'X=[%s]\\n' \"$X\"", jobEnvironment={"X": "line1\nline2"}, outputPath=":<SUB>/o", joinFiles=True)

print("--- args with a newline: ['a\\nb', 'c'] to /usr/bin/printf '[%s]'")
jt = s.createJobTemplate()
jt.remoteCommand = "/usr/bin/printf"
jt.args = ["[%s]", "a\nb", "c"]
jt.outputPath = f":{SUB}/nl"
jt.joinFiles = True
ok, j = probe("  runJob", lambda: s.runJob(jt))
s.deleteJobTemplate(jt)
if ok:
    r = subprocess.run(["qstat", "-j", j], capture_output=True, text=True)
    print(f"  qstat -j: {[ln for ln in r.stdout.splitlines() if ln.startswith('job_args')]}", flush=True)
    i = s.wait(j, 20)
    print(f"  wait: hasExited={i.hasExited} exitStatus={i.exitStatus}; printed {read(SUB + '/nl')!r}", flush=True)

print("=== startTime forms (each in a child process: one of them kills the process)")


def child(st):
    r = subprocess.run([sys.executable, __file__, "--start", st], capture_output=True, text=True, timeout=60)
    for ln in r.stdout.splitlines():
        print(f"  {ln}", flush=True)
    end = f"signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
    err = r.stderr.strip()
    print(f"  [child ended with {end}]" + (f" stderr: {err[:300]!r}" if err else ""), flush=True)


for st in ["25:00", "12:61", "2030/13/01 10:00", "+00:05", "10", "1:2", "99/01/01 00:00", "2020/01/01 00:00",
           "10:00 +01:00", "10:00 -05:00", "10:00 +0100", "01/01 00:00 +01:00", "2030/01/01 00:00 +01:00",
           "00:00:00 -05:00", "10:00:00", "2030/01/01 10:00:00"]:
    print(f"--- startTime={st!r}", flush=True)
    child(st)
print("--- startTime = now + 3 s / + 8 s / + 15 s as 'hh:mm:ss' (three jobs submitted together)", flush=True)
now = datetime.datetime.now().replace(microsecond=0)
jobs = []
for delay in (3, 8, 15):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    jt.startTime = (now + datetime.timedelta(seconds=delay)).strftime("%H:%M:%S")
    jobs.append((delay, s.runJob(jt), now.timestamp() + delay))
    s.deleteJobTemplate(jt)
for delay, j, want in jobs:
    info = s.wait(j, 90)
    ru = info.resourceUsage
    print(f"  +{delay} s: submitted {float(ru['submission_time']) - now.timestamp():+.0f} s, started "
          f"{float(ru['start_time']) - want:+.0f} s after the requested start time", flush=True)
s.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
s.exit()
shutil.rmtree(SUB, ignore_errors=True)
