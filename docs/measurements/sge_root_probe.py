"""Probe what Grid Engine does with a DRMAA client running as root (uid 0).

The cell keeps Grid Engine's default ``min_uid``/``min_gid`` of 1000 (``qconf -sconf``).
Unlike the other probes this one must run as root, with the environment of
docker/sge-env.sh:

    bash -c '. docker/sge-env.sh && /opt/drmaa-venv/bin/python -u \
        docs/measurements/sge_root_probe.py' | tee docs/measurements/sge_root_probe.out

No job is expected to run; any that does is terminated at the end. If a user
``probelowgid`` exists (``useradd -M -u 1500 -g 100 probelowgid``: uid above min_uid, group
``users`` below min_gid), the same submission is also tried as that user; remove it after
(``userdel probelowgid``).
"""
import os
import subprocess

import drmaa


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


conf = subprocess.run(["qconf", "-sconf"], capture_output=True, text=True).stdout
for line in conf.splitlines():
    if line.split()[:1] in (["min_uid"], ["min_gid"]):
        print("cell config:", " ".join(line.split()), flush=True)
print(f"caller: uid={os.getuid()} gid={os.getgid()}", flush=True)

s = drmaa.Session()
probe("initialize", s.initialize)
probe("contact looks like a session", lambda: s.contact.startswith("session="))


def template(**attrs):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    for k, v in attrs.items():
        setattr(jt, k, v)
    return jt


jt = template()
probe("runJob /bin/true", lambda: s.runJob(jt))
probe("runBulkJobs 1..2", lambda: s.runBulkJobs(jt, 1, 2, 1))
probe("runJob on hold", lambda: s.runJob(template(jobSubmissionState=drmaa.JobSubmissionState.HOLD_STATE)))
probe("runJob with -w n", lambda: s.runJob(template(nativeSpecification="-w n")))
probe("jobStatus of an unknown id", lambda: s.jobStatus("99999999"))
probe("wait(ANY, 0) with nothing submitted", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 0))
probe("synchronize(ALL, 0)", lambda: s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 0, True))
probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE))
print("qsub as root:", subprocess.run(["qsub", "-b", "y", "-o", "/dev/null", "-j", "y", "/bin/true"],
                                      capture_output=True, text=True).stderr.strip(), flush=True)
probe("exit", s.exit)

LOW_GID = """
import drmaa
s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand, jt.outputPath, jt.joinFiles = "/bin/true", ":/dev/null", True
try:
    print("runJob as uid 1500 gid 100: OK ->", s.runJob(jt))
except Exception as e:
    print(f"runJob as uid 1500 gid 100: {type(e).__name__}: {e}")
s.exit()
"""
if subprocess.run(["id", "probelowgid"], capture_output=True).returncode == 0:
    import sys

    out = subprocess.run(["runuser", "-u", "probelowgid", "--", sys.executable, "-c", LOW_GID],
                         capture_output=True, text=True, cwd="/tmp")
    print(out.stdout.strip() or out.stderr.strip(), flush=True)
