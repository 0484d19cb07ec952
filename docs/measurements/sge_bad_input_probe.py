"""Probe what a DRMAA library does with bad input: NUL bytes in every string it passes to C
(template attributes, contact string, job ids), bytes and non-UTF-8 / unencodable text,
absurd job ids, odd start times, odd h_rt values, and runBulkJobs ranges around
Grid Engine's max_aj_tasks (75000).

drmaa-python 0.7.9 hands strings to C as char*, so C sees a string with a NUL cut at the
NUL; where runJob succeeds the job prints what it really got (argv, $JOB_NAME, $PWD, $A)
into $PROBE_DIR and the probe prints those bytes. Calls that might crash libdrmaa (huge job
ids, huge bulk ranges) run in a child process (the same python, its own session); the
probe prints how the child ended. In printed messages a run of 20 or more equal digits
is shortened to <'9'*N>.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):   bash docs/measurements/run-probe.sh sge_bad_input_probe
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import glob
import locale
import os
import re
import signal
import subprocess
import sys
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
A = drmaa.JobControlAction
TAG = f"badin{os.getpid()}"  # job name of every bulk job, to clean up after a crashed child


def shorten(text):
    return re.sub(r"(\d)\1{19,}", lambda m: f"<{m.group(1)!r}*{len(m.group(0))}>", text)


def probe(name, call):
    try:
        print(shorten(f"{name}: OK -> {call()!r}"), flush=True)
    except Exception as e:  # report the exact class the library raises
        print(shorten(f"{name}: {type(e).__name__}: {e}"), flush=True)


def sh(cmd):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return (r.stdout + r.stderr).strip()


CHILD_PRELUDE = f'''
import re, time, drmaa
A = drmaa.JobControlAction
def shorten(text):
    return re.sub(r"(\\d)\\1{{19,}}", lambda m: f"<{{m.group(1)!r}}*{{len(m.group(0))}}>", text)
def probe(name, call):
    t0 = time.time()
    try:
        r = f"OK -> {{call()!r}}"
    except Exception as e:
        r = f"{{type(e).__name__}}: {{e}}"
    print(shorten(f"{{name}}: {{r}}") + f"   [{{time.time() - t0:.3f}}s]", flush=True)
s = drmaa.Session()
s.initialize()
'''


def in_child(label, code, timeout=180):
    """Run `code` in a fresh python with its own session; print its lines and how it ended."""
    t0 = time.time()
    try:
        r = subprocess.run([sys.executable, "-u", "-c", CHILD_PRELUDE + code + "\ns.exit()\n"],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        for line in out.splitlines():
            print(f"  {line}", flush=True)
        print(f"{label}: child killed after the {timeout}s timeout", flush=True)
        return
    for line in r.stdout.splitlines():
        print(f"  {line}", flush=True)
    for line in r.stderr.strip().splitlines()[-3:]:
        print(f"  stderr: {shorten(line)}", flush=True)
    how = (f"killed by {signal.Signals(-r.returncode).name}" if r.returncode < 0
           else f"exit {r.returncode}")
    print(f"{label}: child ended: {how} after {time.time() - t0:.2f}s", flush=True)


def info_line(info):
    ru = info.resourceUsage
    return (f"jobId={info.jobId!r} hasExited={info.hasExited} hasSignal={info.hasSignal} "
            f"terminatedSignal={info.terminatedSignal!r} wasAborted={info.wasAborted} "
            f"exitStatus={info.exitStatus} ru exit_status={ru.get('exit_status')} "
            f"ru keys={len(ru)}")


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        return f"<{type(e).__name__}: {e.strerror}>"


# The job's command: shows argv, the job name, the working directory and $A.
SHOW = ('printf "argv="; for a in "$@"; do printf "[%s]" "$a"; done; echo; '
        'echo "JOB_NAME=[$JOB_NAME] PWD=[$PWD] A=[${A-<unset>}]"')


def job_with(s, label, sets, show_attrs=(), wait=20):
    """Make a template showing the job's view, apply `sets` (attr, value) one by one (each
    reported), read back `show_attrs`, runJob, wait, print the JobInfo and the job's output."""
    out = f"{D}/{label}.out"
    for f in glob.glob(f"{D}/{label}*"):
        os.unlink(f)
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", SHOW, "sh"]
    jt.outputPath = f":{out}"
    jt.joinFiles = True
    try:
        for attr, value in sets:
            probe(f"{label}: set {attr}={value!r}", lambda: setattr(jt, attr, value))
        for attr in show_attrs:
            probe(f"{label}: read back {attr}", lambda: getattr(jt, attr))
        try:
            job = s.runJob(jt)
        except Exception as e:
            print(f"{label}: runJob {type(e).__name__}: {e}".rstrip(), flush=True)
            return None
    finally:
        s.deleteJobTemplate(jt)
    print(f"{label}: runJob OK -> {job!r}", flush=True)
    try:
        info = s.wait(job, wait)
        print(f"{label}: wait -> {info_line(info)}", flush=True)
    except Exception as e:
        print(f"{label}: wait {type(e).__name__}: {e}", flush=True)
        try:
            s.control(job, A.TERMINATE)
            s.wait(job, 20)
        except Exception:
            pass
    time.sleep(0.3)
    print(f"{label}: job printed {read_bytes(out)!r}", flush=True)
    return job


print(f"locale encoding {locale.getpreferredencoding()!r}, drmaa {drmaa.__version__}, "
      f"now {time.strftime('%Y-%m-%d %H:%M:%S %Z')}", flush=True)

print("=== NUL in the contact string of initialize")
s = drmaa.Session()
s.initialize()
contact = s.contact
s.exit()
for label, cs in [("'' (reference)", ""), ("real contact + '\\x00junk'", contact + "\x00junk"),
                  ("'\\x00bogus'", "\x00bogus"), ("'bogus\\x00'", "bogus\x00"),
                  ("'session=\\x00x'", "session=\x00x")]:
    try:
        s.initialize(cs)
        print(f"initialize({label}): OK; contact {s.contact!r} (own contact was {contact!r})",
              flush=True)
        s.exit()
    except Exception as e:
        print(f"initialize({label}): {type(e).__name__}: {e}", flush=True)

s.initialize()
print("=== NUL bytes in template attributes")
job_with(s, "nul_reference", [], ("remoteCommand",))
job_with(s, "nul_remote", [("remoteCommand", "/bin/ec\x00ho"), ("args", ["hi"])],
         ("remoteCommand",))
job_with(s, "nul_args", [("args", ["-c", SHOW, "sh", "a\x00b", "c"])], ("args",))
job_with(s, "nul_env", [("jobEnvironment", {"A": "x\x00y"})], ("jobEnvironment",))
job_with(s, "nul_env_key", [("jobEnvironment", {"A\x00B": "v"})], ("jobEnvironment",))
job_with(s, "nul_name", [("jobName", "n\x00m")], ("jobName",))
job_with(s, "nul_outpath", [("outputPath", f":{D}/nul_outpath_cut\x00b")], ("outputPath",))
print(f"nul_outpath: files now {sorted(os.path.basename(f) for f in glob.glob(f'{D}/nul_outpath*'))}",
      flush=True)
print(f"nul_outpath: nul_outpath_cut holds {read_bytes(f'{D}/nul_outpath_cut')!r}", flush=True)
job_with(s, "nul_wd", [("workingDirectory", f"{D}\x00/no/such/dir")], ("workingDirectory",))
job_with(s, "nul_wd_first", [("workingDirectory", f"\x00{D}")], ("workingDirectory",))
job_with(s, "nul_native", [("nativeSpecification", "-N a\x00b")], ("nativeSpecification",))
job_with(s, "nul_native_bad_after", [("nativeSpecification", "-N a\x00 -bogus")])
job_with(s, "nul_start", [("startTime", "00:00\x00garbage")], ("startTime",), wait=2)

print("=== NUL in job ids (a held job J of this session)")
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["30"]
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
held = s.runJob(jt)
jt.jobSubmissionState = drmaa.JobSubmissionState.ACTIVE_STATE
s.deleteJobTemplate(jt)
for label, jid in [("J + '\\x00junk'", held + "\x00junk"), ("'\\x00' + J", "\x00" + held),
                   ("'\\x00'", "\x00")]:
    probe(f"jobStatus({label})", lambda: s.jobStatus(jid))
    probe(f"wait({label}, 0)", lambda: s.wait(jid, 0))
    probe(f"control({label}, HOLD)", lambda: s.control(jid, A.HOLD))
    probe(f"synchronize([{label}], 0)", lambda: s.synchronize([jid], 0))
probe("control(J + '\\x00junk', TERMINATE)", lambda: s.control(held + "\x00junk", A.TERMINATE))
time.sleep(1)
probe("jobStatus(J) after that", lambda: s.jobStatus(held))
probe("wait(J)", lambda: s.wait(held, 10))

print("=== the cell after all that: a normal job")
job_with(s, "nul_after", [])

print("=== bytes, non-UTF-8 and unencodable text")
job_with(s, "bytes_remote", [("remoteCommand", b"/bin/echo"), ("args", ["hi"])],
         ("remoteCommand",))
job_with(s, "bytes_arg_ff", [("args", ["-c", SHOW, "sh", b"\xff", b"ok"])], ("args",))
job_with(s, "surrogate_arg", [("args", ["-c", SHOW, "sh", "\udcff"])], ("args",))
job_with(s, "surrogate_remote", [("remoteCommand", "/bin/\udcff")], ("remoteCommand",))
job_with(s, "surrogate_name", [("jobName", "x\udcff")], ("jobName",))
job_with(s, "surrogate_env", [("jobEnvironment", {"A": "\udcff"})], ("jobEnvironment",))
job_with(s, "bytes_env_ff", [("jobEnvironment", {"A": b"\xff"})], ("jobEnvironment",))
job_with(s, "name_e_acute", [("jobName", "é")], ("jobName",))
job_with(s, "bytes_name_ff", [("jobName", b"\xff")], ("jobName",))
probe("jobStatus('\\udcff')", lambda: s.jobStatus("\udcff"))
probe("jobStatus(b'\\xff')", lambda: s.jobStatus(b"\xff"))
probe("jobStatus('é')", lambda: s.jobStatus("é"))
probe("control('\\udcff', TERMINATE)", lambda: s.control("\udcff", A.TERMINATE))
probe("synchronize(['\\udcff'], 0)", lambda: s.synchronize(["\udcff"], 0))
probe("initialize('\\udcff') while active", lambda: s.initialize("\udcff"))

s.exit()

ONE_JOB = '''
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["3"]
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.jobName = TAG
setattr(jt, ATTR, VALUE)
t0 = time.time()
try:
    j = s.runJob(jt)
except Exception as e:
    print(f"{ATTR} {VALUE!r}: runJob {type(e).__name__}: {e}".rstrip().replace("\\n", "\\\\n"), flush=True)
else:
    time.sleep(1.5)
    try:
        state = s.jobStatus(j)
    except Exception as e:
        state = f"{type(e).__name__}: {e}"
    q = subprocess.run(f"qstat -j {j} | grep -E '^(execution_time|hard resource_list)'", shell=True,
                       capture_output=True, text=True).stdout.strip() or "(no such line)"
    print(f"{ATTR} {VALUE!r}: runJob OK; 1.5s later {state}; qstat: {' '.join(q.split())}", flush=True)
    if STOP:
        probe("  terminate", lambda: s.control(j, A.TERMINATE))
    t0 = time.time()
    try:
        info = s.wait(j, 20)
        ru = info.resourceUsage
        print(f"  wait after {time.time() - t0:.1f}s: hasExited={info.hasExited} hasSignal={info.hasSignal} "
              f"terminatedSignal={info.terminatedSignal!r} wasAborted={info.wasAborted} "
              f"exitStatus={info.exitStatus} ru_wallclock={ru.get('ru_wallclock')}", flush=True)
    except Exception as e:
        print(f"  wait: {type(e).__name__}: {e}", flush=True)
        if not STOP:
            probe("  jobStatus", lambda: s.jobStatus(j))
            probe("  terminate", lambda: s.control(j, A.TERMINATE))
            probe("  wait after terminate", lambda: s.wait(j, 15)[:7])
s.deleteJobTemplate(jt)
'''


def leftovers():
    """qdel jobs of this probe left behind by a child that crashed."""
    left = sh(f"qstat -u $(id -un) -r | grep -c 'Full jobname: *{TAG}$' || true")
    if left not in ("0", ""):
        print(f"  {left} job(s) named {TAG} left behind; qdel: {sh(f'qdel {TAG}')}", flush=True)


print("=== start times at runJob: job sleep 3, terminated 1.5 s after runJob "
      "(each in its own child process and session)")
for st in ["12:00 +25:00", "12:00 -99:99", "12:00 +14:00", "12:00 -12:00", "12:00 +00:00",
           "10:00 -03:00", "23:00 -03:00", "23:00 -03:30", "23:15 +00:00", "23:00 +00:30",
           "99/99 12:00", "2099/01/01 12:00", "2038/01/19 03:14", "2038/01/19 03:15", "12:60",
           "24:00", "23:59:60", "12:00:99", "garbage"]:
    in_child(f"startTime {st!r}", f"import subprocess\nTAG, ATTR, VALUE, STOP = {TAG!r}, "
             f"'startTime', {st!r}, True\n" + ONE_JOB)
    leftovers()

print("=== h_rt values, job sleep 3 waited up to 20 s (each in its own child process and session)")
for v in ["NaN", "inf", "-1", "0", "99999999999999999999", "1:2:3:4", "", "INFINITY", "0:0:1"]:
    in_child(f"-l h_rt={v}", f"import subprocess\nTAG, ATTR, VALUE, STOP = {TAG!r}, "
             f"'nativeSpecification', {'-l h_rt=' + v!r}, False\n" + ONE_JOB)
    leftovers()

print("=== absurd job ids (each call in its own child process and session)")
IDS = [("'9'*5000", "'9' * 5000"), ("'1'*25", "'1' * 25"), ("'1.' + '9'*5000", "'1.' + '9' * 5000"),
       ("'-0'", "'-0'"), ("' '", "' '")]
CALLS = [("jobStatus(J)", "s.jobStatus(J)"), ("wait(J, 0)", "s.wait(J, 0)"),
         ("control(J, HOLD)", "s.control(J, A.HOLD)"), ("synchronize([J], 0)", "s.synchronize([J], 0)")]
for ilabel, iexpr in IDS:
    for clabel, cexpr in CALLS:
        name = clabel.replace("J", ilabel, 1)
        in_child(name, f"J = {iexpr}\nprobe({name!r}, lambda: {cexpr})")

print("=== runBulkJobs ranges, tasks on hold, terminated by the bare array id at once")
for b, e, st in [(1, 75000, 1), (1, 75001, 1), (1, 100000, 1), (1, 10**9, 1), (1, 2**31 - 1, 1),
                 (1, 2**31, 1), (1, 150000, 2), (75000, 75001, 1)]:
    code = f'''
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/true"
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.jobName = {TAG!r}
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
t0 = time.time()
try:
    ids = s.runBulkJobs(jt, {b}, {e}, {st})
    dt = time.time() - t0
    print(f"runBulkJobs({b}, {e}, {st}): OK -> {{len(ids)}} ids, first {{ids[0]!r}}, last {{ids[-1]!r}}   [{{dt:.3f}}s]", flush=True)
    probe("  control(bare array id, TERMINATE)", lambda: s.control(ids[0].split(".")[0], A.TERMINATE))
    probe("  control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
except Exception as ex:
    print(f"runBulkJobs({b}, {e}, {st}): {{type(ex).__name__}}: {{ex}}   [{{time.time() - t0:.3f}}s]".replace("\\n", "\\\\n"), flush=True)
s.deleteJobTemplate(jt)
'''
    in_child(f"runBulkJobs({b}, {e}, {st})", code, timeout=240)
time.sleep(2)
n = sh(f"qstat -u $(id -un) -r | grep -c 'Full jobname: *{TAG}$' || true")
print(f"jobs named {TAG} in qstat 2 s later: {n}", flush=True)
leftovers()
