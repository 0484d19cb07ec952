"""Probe jobs whose files or working directory the job user may not use: a read-only output
or error file, an unreadable input file, a root-owned file, a directory the job user cannot
write or enter (Grid Engine's st_output_file_failure / st_error_file_failure with
permissions instead of a missing directory).

Run as the unprivileged job user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):   bash docs/measurements/run-probe.sh sge_file_access_probe
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


def trace(s, job, limit=20.0):
    """jobStatus every 0.1 s until done/failed or `limit` s: the distinct states."""
    seen, t0 = [], time.time()
    while time.time() - t0 < limit:
        try:
            st = s.jobStatus(job)
        except Exception as e:
            st = f"{type(e).__name__}: {e}"
        if not seen or seen[-1] != st:
            seen.append(st)
        if st in ("done", "failed") or st.startswith(("Invalid", "NoActive")):
            break
        time.sleep(0.1)
    return seen


def run(s, name, cmd="echo out; echo err >&2", **attrs):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", cmd]
    for k, v in attrs.items():
        setattr(jt, k, v)
    try:
        job = s.runJob(jt)
    except Exception as e:
        print(f"{name}: runJob {type(e).__name__}: {e}", flush=True)
        return
    finally:
        s.deleteJobTemplate(jt)
    states = trace(s, job)
    try:
        i = s.wait(job, 30)
        info = (f"hasExited={i.hasExited} hasSignal={i.hasSignal} wasAborted={i.wasAborted} "
                f"exitStatus={i.exitStatus} ru keys={sorted(i.resourceUsage)}")
    except Exception as e:
        info = f"wait {type(e).__name__}: {e}"
    print(f"{name}: states={states} {info}", flush=True)


def content(path):
    try:
        with open(path) as f:
            return repr(f.read())
    except OSError as e:
        return f"<{e.strerror}>"


s = drmaa.Session()
s.initialize()

ro = os.path.join(D, "readonly.txt")
unreadable = os.path.join(D, "unreadable.txt")
for path, mode in ((ro, 0o444), (unreadable, 0o000)):
    if os.path.exists(path):
        os.chmod(path, 0o600)
    with open(path, "w") as f:
        f.write("before\n")
    os.chmod(path, mode)

run(s, "outputPath read-only file, joinFiles", outputPath=f":{ro}", joinFiles=True)
print("  read-only file afterwards:", content(ro), flush=True)
run(s, "errorPath read-only file", outputPath=":/dev/null", errorPath=f":{ro}")
print("  read-only file afterwards:", content(ro), flush=True)
run(s, "inputPath unreadable file", inputPath=f":{unreadable}", outputPath=":/dev/null",
    joinFiles=True)
run(s, "outputPath /etc/passwd (root's)", outputPath=":/etc/passwd", joinFiles=True)
run(s, "errorPath /etc/passwd (root's)", outputPath=":/dev/null", errorPath=":/etc/passwd")
run(s, "outputPath in root's /usr (cannot create)", outputPath=":/usr/drmaa-probe.out",
    joinFiles=True)
run(s, "workingDirectory /root (cannot enter)", workingDirectory="/root",
    outputPath=":/dev/null", joinFiles=True)
run(s, "inputPath /etc/shadow (unreadable)", inputPath=":/etc/shadow",
    outputPath=":/dev/null", joinFiles=True)
run(s, "remoteCommand in /root (cannot reach)", outputPath=":/dev/null", joinFiles=True,
    remoteCommand="/root/x", args=[])
for path in (ro, unreadable):
    os.chmod(path, 0o600)
    os.unlink(path)
s.exit()
