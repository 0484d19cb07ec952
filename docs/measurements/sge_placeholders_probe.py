"""Probe placeholders in the paths of a DRMAA job template: how many occurrences of
$drmaa_incr_ph$ / $drmaa_hd_ph$ / $drmaa_wd_ph$ are replaced, placeholders not at the start,
placeholders in workingDirectory, and Grid Engine's own pseudo variables ($JOB_ID, $TASK_ID,
$JOB_NAME, $USER, $HOME, $HOSTNAME, ${JOB_ID}, an unknown $FOO) in outputPath, errorPath,
inputPath and workingDirectory, in single and bulk jobs.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):

    bash docs/measurements/run-probe.sh sge_placeholders_probe

Each case runs in a fresh directory <SUB> (= $PROBE_DIR/ph, also the working directory unless
the case sets one) and prints the paths as the qmaster stored them (`qstat -j`, taken
right after the submission), every file that appeared below it (relative names; the job id
shown as <id>) and `ph-*` files that appeared in $HOME. Where a replaced path would need
directories, the probe creates them beforehand for both outcomes (replaced / kept literally),
so that a job does not fail just because a directory is missing.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import glob
import os
import re
import shutil
import subprocess

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
SUB = f"{D}/ph"
HOME = os.path.expanduser("~")
HOST = os.uname().nodename


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"<{type(e).__name__}: {e.strerror}>"


def fresh():
    shutil.rmtree(SUB, ignore_errors=True)
    os.makedirs(SUB)
    for f in glob.glob(HOME + "/ph-*"):
        os.unlink(f)


s = drmaa.Session()
s.initialize()


def anon(text, ids):
    for j in ids:
        text = text.replace(j.split(".")[0], "<id>")
    return text


def case(label, bulk=False, cmd="echo out; echo err >&2; cat", dirs=(), files=(), hold_files=(),
         **attrs):
    """dirs/files: relative to SUB, created before; hold_files: names with <id> made after
    submission (the job is submitted on hold and released once they exist)."""
    fresh()
    for d in dirs:
        os.makedirs(os.path.join(SUB, d), exist_ok=True)
    for f in files:
        with open(os.path.join(SUB, f), "w") as fh:
            fh.write(f"content of {f}\n")
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", cmd]
    jt.workingDirectory = SUB
    for k, v in attrs.items():
        setattr(jt, k, v.replace("<SUB>", SUB) if isinstance(v, str) else v)
    if hold_files:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    print(f"--- {label}: " + ", ".join(f"{k}={v!r}" for k, v in attrs.items()), flush=True)
    try:
        ids = s.runBulkJobs(jt, 1, 2, 1) if bulk else [s.runJob(jt)]
    except Exception as e:
        print(f"  runJob: {type(e).__name__}: {e}".rstrip(), flush=True)
        s.deleteJobTemplate(jt)
        return
    finally:
        pass
    s.deleteJobTemplate(jt)
    r = subprocess.run(["qstat", "-j", ids[0].split(".")[0]], capture_output=True, text=True)
    paths = [re.sub(r"\s{2,}", " ", ln) for ln in r.stdout.splitlines()
             if ln.startswith(("stdout_path_list", "stderr_path_list", "stdin_path_list", "cwd"))]
    print(f"  qstat -j: {anon(str(paths), ids) if paths else (r.stdout + r.stderr).strip()[:200]}", flush=True)
    for f in hold_files:
        name = f.replace("<id>", ids[0].split(".")[0])
        with open(os.path.join(SUB, name), "w") as fh:
            fh.write(f"content of {f}\n")
    if hold_files:
        s.control(ids[0].split(".")[0] if bulk else ids[0], drmaa.JobControlAction.RELEASE)
    for j in ids:
        try:
            info = s.wait(j, 30)
            print(f"  {anon(j, ids)}: hasExited={info.hasExited} exitStatus={info.exitStatus} "
                  f"wasAborted={info.wasAborted}", flush=True)
        except Exception as e:
            print(f"  {anon(j, ids)}: wait {type(e).__name__}: {e}", flush=True)
    created = set(os.path.join(SUB, f) for f in files)
    found = []
    for root, _dirs, names in os.walk(SUB):
        for n in names:
            p = os.path.join(root, n)
            if p not in created:
                found.append(p)
    found += glob.glob(HOME + "/ph-*")
    if not found:
        print("  files: none", flush=True)
    for p in sorted(found):
        shown = anon(os.path.relpath(p, SUB) if p.startswith(SUB) else "$HOME/" + os.path.basename(p), ids)
        print(f"  file {shown}: {anon(read(p), ids)!r}", flush=True)


print(f"(SUB={SUB}, HOME={HOME}, uname nodename={HOST})", flush=True)
print("=== how many occurrences are replaced")
case("bulk, $drmaa_incr_ph$ twice", bulk=True, outputPath=":<SUB>/$drmaa_incr_ph$-$drmaa_incr_ph$.out",
     joinFiles=True)
case("single, $drmaa_hd_ph$ twice (mid-path both)",
     dirs=["x" + HOME, "x$drmaa_hd_ph$"],
     outputPath=":<SUB>/x$drmaa_hd_ph$/y$drmaa_hd_ph$.out", joinFiles=True)
case("single, $drmaa_hd_ph$ at the start and again", dirs=["z" + os.path.dirname(HOME)],
     outputPath=":$drmaa_hd_ph$/../..<SUB>/z$drmaa_hd_ph$.out", joinFiles=True)
case("single, $drmaa_wd_ph$ twice (start and mid-path)", dirs=["w" + os.path.dirname(SUB)],
     outputPath=":$drmaa_wd_ph$/w$drmaa_wd_ph$.out", joinFiles=True)
case("single, $drmaa_wd_ph$ mid-path only", dirs=["m" + os.path.dirname(SUB)],
     outputPath=":<SUB>/m$drmaa_wd_ph$.out", joinFiles=True)
case("single, $drmaa_hd_ph$ not at the start (<SUB>/x/$drmaa_hd_ph$/out)",
     dirs=["x" + HOME, "x/$drmaa_hd_ph$"], outputPath=":<SUB>/x/$drmaa_hd_ph$/out", joinFiles=True)
case("single, $drmaa_hd_ph$ not at the start in errorPath",
     dirs=["x" + HOME, "x/$drmaa_hd_ph$"], outputPath=":<SUB>/o.out",
     errorPath=":<SUB>/x/$drmaa_hd_ph$/err")
case("single, $drmaa_hd_ph$ at the start", outputPath=":$drmaa_hd_ph$/ph-hd.out", joinFiles=True)
case("single, $drmaa_hd_ph$ with no slash after it", outputPath=":$drmaa_hd_ph$ph-hd.out", joinFiles=True)
case("bulk, $drmaa_incr_ph$ with $drmaa_wd_ph$ and $drmaa_hd_ph$", bulk=True,
     outputPath=":$drmaa_wd_ph$/a.$drmaa_incr_ph$.out", errorPath=":$drmaa_hd_ph$/ph-b.$drmaa_incr_ph$.err")

print("=== placeholders in workingDirectory (the job writes `pwd` into <SUB>/pwd.$SGE_TASK_ID)")
PWD = f"pwd > {SUB}/pwd.$SGE_TASK_ID"
case("workingDirectory '$drmaa_hd_ph$' (start)", cmd=PWD, workingDirectory="$drmaa_hd_ph$",
     outputPath=":/dev/null", joinFiles=True)
case("workingDirectory '$drmaa_hd_ph$/..' (start, more after it)", cmd=PWD, workingDirectory="$drmaa_hd_ph$/..",
     outputPath=":/dev/null", joinFiles=True)
case("workingDirectory mid-path '<SUB>/y/$drmaa_hd_ph$'", cmd=PWD, dirs=["y" + HOME, "y/$drmaa_hd_ph$"],
     workingDirectory="<SUB>/y/$drmaa_hd_ph$", outputPath=":/dev/null", joinFiles=True)
case("workingDirectory '$drmaa_wd_ph$'", cmd=PWD, workingDirectory="$drmaa_wd_ph$",
     outputPath=":/dev/null", joinFiles=True)
case("bulk, workingDirectory '<SUB>/wd$drmaa_incr_ph$'", bulk=True, cmd=PWD,
     dirs=["wd1", "wd2", "wd$drmaa_incr_ph$"], workingDirectory="<SUB>/wd$drmaa_incr_ph$",
     outputPath=":/dev/null", joinFiles=True)
case("bulk, workingDirectory '<SUB>/wd$TASK_ID'", bulk=True, cmd=PWD,
     dirs=["wd1", "wd2", "wd$TASK_ID"], workingDirectory="<SUB>/wd$TASK_ID",
     outputPath=":/dev/null", joinFiles=True)
case("workingDirectory '<SUB>/wd.$USER'", cmd=PWD, dirs=["wd.sgeuser", "wd.$USER"],
     workingDirectory="<SUB>/wd.$USER", outputPath=":/dev/null", joinFiles=True)
case("workingDirectory '$HOME'", cmd=PWD, workingDirectory="$HOME", outputPath=":/dev/null", joinFiles=True)

print("=== Grid Engine pseudo variables in outputPath, one at a time (joinFiles)")
for var in ["$JOB_ID", "$TASK_ID", "$JOB_NAME", "$USER", "$HOSTNAME", "${JOB_ID}", "$FOO", "$SGE_TASK_ID",
            "$JOB_ID$TASK_ID", "$$", "$"]:
    for bulk in (False, True):
        case(f"{'bulk' if bulk else 'single'}, {var}", bulk=bulk, outputPath=f":<SUB>/o.{var}.out",
             joinFiles=True, jobName="phjob")
case("single, $HOME at the start", outputPath=":$HOME/ph-home.out", joinFiles=True)
case("single, $HOME mid-path", dirs=["h" + os.path.dirname(HOME)], outputPath=":<SUB>/h$HOME.out", joinFiles=True)
case("single, combined", outputPath=":<SUB>/$JOB_NAME.$JOB_ID.$TASK_ID.$USER.$HOSTNAME.out", joinFiles=True,
     jobName="phjob")
case("bulk, combined with $drmaa_incr_ph$", bulk=True,
     outputPath=":<SUB>/$JOB_NAME.$JOB_ID.$TASK_ID.$drmaa_incr_ph$.$USER.$HOSTNAME.out", joinFiles=True,
     jobName="phjob")
case("single, no jobName: $JOB_NAME", outputPath=":<SUB>/o.$JOB_NAME.out", joinFiles=True)

print("=== in errorPath")
case("single, combined in errorPath", outputPath=":<SUB>/o.out",
     errorPath=":<SUB>/e.$JOB_NAME.$JOB_ID.$TASK_ID.$USER.$HOSTNAME.err", jobName="phjob")
case("bulk, combined in errorPath", bulk=True, outputPath=":<SUB>/o.$TASK_ID.out",
     errorPath=":<SUB>/e.$JOB_NAME.$JOB_ID.$TASK_ID.$USER.$HOSTNAME.err", jobName="phjob")
case("single, ${JOB_ID} and $FOO in errorPath", outputPath=":<SUB>/o.out",
     errorPath=":<SUB>/e.${JOB_ID}.$FOO.err")

print("=== in inputPath (the job cats stdin into <SUB>/o.out; candidate input files made beforehand)")
IN = ["in.sgeuser", "in.$USER", f"in.{HOST}", "in.localhost", "in.$HOSTNAME", "in.phjob", "in.$JOB_NAME",
      "in.undefined", "in.0", "in.1", "in.2", "in.$TASK_ID", "in.", "in.$FOO", "in.${USER}", "in.$JOB_ID"]
for var in ["$USER", "$HOSTNAME", "$JOB_NAME", "$TASK_ID", "${USER}", "$FOO"]:
    for bulk in ((False, True) if var == "$TASK_ID" else (False,)):
        case(f"{'bulk' if bulk else 'single'}, inputPath in.{var}", bulk=bulk, cmd="cat",
             files=IN, inputPath=f":<SUB>/in.{var}", outputPath=":<SUB>/o.$TASK_ID.out", joinFiles=True,
             jobName="phjob")
case("single, inputPath in.$JOB_ID (file made while the job is held)", cmd="cat", files=IN,
     hold_files=["in.<id>"], inputPath=":<SUB>/in.$JOB_ID", outputPath=":<SUB>/o.out", joinFiles=True)
with open(HOME + "/phx-in", "w") as f:
    f.write("content of $HOME/phx-in\n")
case("single, inputPath $HOME/phx-in", cmd="cat", inputPath=":$HOME/phx-in",
     outputPath=":<SUB>/o.out", joinFiles=True)
os.unlink(HOME + "/phx-in")
s.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
s.exit()
shutil.rmtree(SUB, ignore_errors=True)
