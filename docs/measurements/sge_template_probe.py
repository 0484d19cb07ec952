"""Probe JobTemplate semantics of a DRMAA library: defaults, set/get, bad values, lifecycle.

Run as an unprivileged user with the environment of docker/sge-env.sh:
    python3 sge_template_probe.py            (the cases that cannot crash the process)
    (it re-runs itself with a case name for each use-after-deleteJobTemplate case, in a
    child process, since the C library may crash there)
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import subprocess
import sys

import drmaa

SCALARS = ["remoteCommand", "jobSubmissionState", "workingDirectory", "jobCategory",
           "nativeSpecification", "blockEmail", "startTime", "jobName", "inputPath",
           "outputPath", "errorPath", "joinFiles", "transferFiles", "deadlineTime",
           "hardWallclockTimeLimit", "softWallclockTimeLimit", "hardRunDurationLimit",
           "softRunDurationLimit"]
VECTORS = ["args", "email", "jobEnvironment"]
VALID = {
    "remoteCommand": "/bin/echo",
    "jobSubmissionState": drmaa.JobSubmissionState.HOLD_STATE,
    "workingDirectory": "/tmp",
    "jobCategory": "testcat",
    "nativeSpecification": "-l h_rt=100",
    "blockEmail": True,
    "startTime": "12:30",
    "jobName": "myname",
    "inputPath": ":/dev/null",
    "outputPath": ":/tmp/out.txt",
    "errorPath": ":/tmp/err.txt",
    "joinFiles": True,
    "transferFiles": "eo",
    "deadlineTime": "12:30",
    "hardWallclockTimeLimit": 60,
    "softWallclockTimeLimit": 60,
    "hardRunDurationLimit": 60,
    "softRunDurationLimit": 60,
    "args": ["a", "b c", "'d'"],
    "email": ["someone@example.org"],
    "jobEnvironment": {"FOO": "bar", "X": "1=2"},
}


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}")
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}")
    sys.stdout.flush()


def raw_set(jt, name, value):
    """drmaa_set_attribute without the binding's converters."""
    from ctypes import c_char_p
    from drmaa.helpers import c
    from drmaa.wrappers import drmaa_set_attribute
    c(drmaa_set_attribute, jt, c_char_p(name), c_char_p(value))


def raw_get(jt, name):
    from ctypes import c_char_p, create_string_buffer, sizeof
    from drmaa.helpers import c
    from drmaa.wrappers import drmaa_get_attribute
    buf = create_string_buffer(1024)
    c(drmaa_get_attribute, jt, c_char_p(name), buf, sizeof(buf))
    return buf.value


def child(case):
    """Run one crash-prone case in a child process; report how it ended."""
    r = subprocess.run([sys.executable, __file__, case], capture_output=True, text=True,
                       timeout=60)
    sys.stdout.write(r.stdout)
    end = f"signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
    print(f"[child {case}] ended with {end}" + (f"; stderr: {r.stderr.strip()[-300:]}" if r.stderr.strip() else ""))


DELETED_CASES = {
    "get remoteCommand after delete": lambda s, jt: jt.remoteCommand,
    "set jobName after delete": lambda s, jt: setattr(jt, "jobName", "x"),
    "get args after delete": lambda s, jt: jt.args,
    "set args after delete": lambda s, jt: setattr(jt, "args", ["x"]),
    "runJob after delete": lambda s, jt: s.runJob(jt),
    "runBulkJobs after delete": lambda s, jt: s.runBulkJobs(jt, 1, 2, 1),
    "delete twice": lambda s, jt: s.deleteJobTemplate(jt),
}


def deleted_case(name):
    s = drmaa.Session()
    s.initialize()
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    s.deleteJobTemplate(jt)
    probe(name, lambda: DELETED_CASES[name](s, jt))
    s.exit()


def main():
    s = drmaa.Session()
    probe("createJobTemplate before initialize", lambda: type(s.createJobTemplate()).__name__)
    s.initialize()
    jt = s.createJobTemplate()
    probe("attributeNames", lambda: jt.attributeNames)
    from drmaa.helpers import vector_attribute_names_iterator
    probe("vector attribute names", lambda: list(vector_attribute_names_iterator()))

    print("--- fresh template, every attribute read before being set")
    for a in SCALARS + VECTORS:
        probe(f"fresh {a}", lambda a=a: getattr(jt, a))

    print("--- set each to a valid value, read it back (a new template each time)")
    for a in SCALARS + VECTORS:
        t = s.createJobTemplate()
        probe(f"set {a}={VALID[a]!r}", lambda: setattr(t, a, VALID[a]))
        probe(f"get {a}", lambda: getattr(t, a))
        s.deleteJobTemplate(t)

    print("--- limits as strings (the binding's IntConverter sends bytes(int))")
    t = s.createJobTemplate()
    for raw in [b"drmaa_wct_hlimit", b"drmaa_wct_slimit", b"drmaa_duration_hlimit",
                b"drmaa_duration_slimit", b"drmaa_deadline_time", b"drmaa_transfer_files"]:
        for val in (b"00:01:00", b"60"):
            probe(f"raw set {raw.decode()}={val!r}", lambda: raw_set(t, raw, val))
        probe(f"raw get {raw.decode()}", lambda: raw_get(t, raw))
    probe("raw set drmaa_bogus_attr", lambda: raw_set(t, b"drmaa_bogus_attr", b"x"))
    probe("raw get drmaa_bogus_attr", lambda: raw_get(t, b"drmaa_bogus_attr"))
    probe("raw set drmaa_v_argv as scalar", lambda: raw_set(t, b"drmaa_v_argv", b"x"))
    probe("raw get drmaa_v_argv as scalar", lambda: raw_get(t, b"drmaa_v_argv"))
    probe("raw set empty name", lambda: raw_set(t, b"", b"x"))
    probe("raw get drmaa_submit_as_euid (fresh)", lambda: raw_get(t, b"drmaa_submit_as_euid"))
    probe("raw set drmaa_submit_as_euid=1", lambda: raw_set(t, b"drmaa_submit_as_euid", b"1"))
    probe("raw get drmaa_submit_as_euid", lambda: raw_get(t, b"drmaa_submit_as_euid"))
    s.deleteJobTemplate(t)

    print("--- bad values")
    bad = [
        ("jobSubmissionState", "bogus"),
        ("jobSubmissionState", ""),
        ("joinFiles", "yes"),
        ("joinFiles", "maybe"),
        ("blockEmail", "maybe"),
        ("blockEmail", 2),
        ("startTime", "garbage"),
        ("startTime", ""),
        ("startTime", "2030/01/01 10:00"),
        ("deadlineTime", "garbage"),
        ("transferFiles", "xyz"),
        ("transferFiles", "i"),
        ("transferFiles", ""),
        ("workingDirectory", "relative/dir"),
        ("outputPath", "/no/colon/prefix"),
        ("remoteCommand", ""),
        ("jobName", ""),
        ("jobName", "has space"),
        ("jobName", "bad/slash"),
        ("hardWallclockTimeLimit", "60"),
    ]
    for a, v in bad:
        t = s.createJobTemplate()
        probe(f"set {a}={v!r}", lambda: setattr(t, a, v))
        probe(f"  then get {a}", lambda: getattr(t, a))
        s.deleteJobTemplate(t)
    # the C library's own boolean spellings, bypassing the binding's BoolConverter
    t = s.createJobTemplate()
    for raw, val in [(b"drmaa_join_files", b"y"), (b"drmaa_join_files", b"n"),
                     (b"drmaa_join_files", b"1"), (b"drmaa_join_files", b"true"),
                     (b"drmaa_join_files", b"Y"), (b"drmaa_join_files", b""),
                     (b"drmaa_block_email", b"1"), (b"drmaa_block_email", b"0"),
                     (b"drmaa_block_email", b"y"), (b"drmaa_block_email", b"2"),
                     (b"drmaa_js_state", b"drmaa_active"), (b"drmaa_js_state", b"DRMAA_HOLD")]:
        probe(f"raw set {raw.decode()}={val!r}", lambda: raw_set(t, raw, val))
        probe(f"  raw get {raw.decode()}", lambda: raw_get(t, raw))
        probe(f"  binding get", lambda: getattr(t, {b"drmaa_join_files": "joinFiles",
                                                      b"drmaa_block_email": "blockEmail",
                                                      b"drmaa_js_state": "jobSubmissionState"}[raw]))
    probe("args with int element", lambda: setattr(t, "args", ["a", 1]) or t.args)
    probe("args empty list", lambda: setattr(t, "args", []) or t.args)
    probe("jobEnvironment empty dict", lambda: setattr(t, "jobEnvironment", {}) or t.jobEnvironment)
    probe("email empty list", lambda: setattr(t, "email", []) or t.email)
    probe("overwrite remoteCommand", lambda: (setattr(t, "remoteCommand", "/a"), setattr(t, "remoteCommand", "/b"), t.remoteCommand)[-1])
    probe("runJob(None)", lambda: s.runJob(None))
    probe("runJob('notatemplate')", lambda: s.runJob("notatemplate"))
    s.deleteJobTemplate(t)

    print("--- use after deleteJobTemplate (child process: the C library may crash)")
    sys.stdout.flush()
    for name in DELETED_CASES:
        child(name)
    probe("JobTemplate() (binding constructor) while active", lambda: type(drmaa.JobTemplate()).__name__)
    s.exit()
    probe("createJobTemplate after exit", lambda: type(s.createJobTemplate()).__name__)
    t2 = None
    try:
        t2 = s.createJobTemplate()
    except Exception:
        pass
    if t2 is not None:
        probe("set jobName on template created after exit", lambda: setattr(t2, "jobName", "x"))
        probe("get jobName on template created after exit", lambda: t2.jobName)
        probe("deleteJobTemplate after exit", lambda: s.deleteJobTemplate(t2))
    probe("deleteJobTemplate(jt from the session) after exit", lambda: s.deleteJobTemplate(jt))


if __name__ == "__main__":
    os.chdir(os.environ.get("PROBE_DIR", "/tmp"))
    if len(sys.argv) > 1:
        deleted_case(sys.argv[1])
    else:
        main()
