"""Probe session semantics of a DRMAA library: contact strings, reconnecting, calls after
exit, what exit does to jobs and to a thread blocked in wait, jobs of other sessions.

Run as an unprivileged user with the environment of docker/sge-env.sh.
The .out file beside it is what real Grid Engine 8.1.9 printed.
(Crash-prone cases re-run this file with a case name, in a child process.)
"""
import subprocess
import sys
import threading
import time

import drmaa

A = drmaa.JobControlAction


def probe(name, call):
    t0 = time.time()
    try:
        r = call()
        if isinstance(r, drmaa.JobInfo):
            r = r[:7]
        print(f"{name}: OK -> {r!r}  [{time.time() - t0:.2f}s]", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}  [{time.time() - t0:.2f}s]", flush=True)


LEFT = []  # jobs that children left running, deleted at the end by id


def child(case, *args):
    r = subprocess.run([sys.executable, __file__, case, *args], capture_output=True, text=True,
                       timeout=120)
    sys.stdout.write(r.stdout)
    LEFT.extend(ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("job ") and ln.endswith("left to the parent"))
    end = f"signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
    err = r.stderr.strip()
    print(f"[child {case}] ended with {end}" + (f"; stderr: {err[-400:]}" if err else ""), flush=True)


def template(s, cmd, hold=False):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", cmd]
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    if hold:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    return jt


def exit_during_wait(kind):
    """A thread blocks in wait/synchronize; the main thread calls exit()."""
    s = drmaa.Session()
    s.initialize()
    jt = template(s, "sleep 20")
    j = s.runJob(jt)
    t_exit = [0.0]

    def waiter():
        t0 = time.time()
        try:
            if kind == "wait":
                r = s.wait(j, drmaa.Session.TIMEOUT_WAIT_FOREVER)
            elif kind == "wait_any":
                r = s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, drmaa.Session.TIMEOUT_WAIT_FOREVER)
            else:
                r = s.synchronize([j], drmaa.Session.TIMEOUT_WAIT_FOREVER, True)
            res = f"OK -> {r!r}"
        except Exception as e:
            res = f"{type(e).__name__}: {e}"
        now = time.time()
        print(f"blocked {kind}: {res}  [returned {now - t_exit[0]:.2f}s after exit() was called,"
              f" {now - t0:.2f}s after it started]", flush=True)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(3)
    t_exit[0] = time.time()
    probe(f"exit() while a thread is in {kind}", s.exit)
    t.join(30)
    if t.is_alive():
        print(f"blocked {kind}: still blocked 30s after exit()", flush=True)
    # the job itself keeps running: report it for the parent to clean up
    print(f"job {j} left to the parent", flush=True)
    sys.stdout.flush()
    import os
    os._exit(0)


def other_session(job):
    """A second process with its own session looks at a job of the first one."""
    s = drmaa.Session()
    s.initialize()
    print(f"other process contact={s.contact}", flush=True)
    probe("other session: jobStatus(job of first session)", lambda: s.jobStatus(job))
    probe("other session: wait(job, 1)", lambda: s.wait(job, 1))
    probe("other session: wait(ANY, 1)", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 1))
    probe("other session: synchronize([job], 1)", lambda: s.synchronize([job], 1, False))
    probe("other session: synchronize([ALL], 1)", lambda: s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 1, False))
    probe("other session: control(job, hold)", lambda: s.control(job, A.HOLD))
    probe("other session: control(job, release)", lambda: s.control(job, A.RELEASE))
    s.exit()


def attach(contact):
    s = drmaa.Session()
    probe(f"other process: initialize(contact of a live session)", lambda: s.initialize(contact))
    probe("other process: contact", lambda: s.contact)
    try:
        s.exit()
    except Exception:
        pass


def main():
    s = drmaa.Session()
    print("=== initialize with odd contacts")
    probe("initialize('')", lambda: s.initialize(""))
    probe("  contact", lambda: s.contact)
    probe("  exit", s.exit)
    probe("initialize(None)", lambda: s.initialize(None))
    contact = s.contact
    host = contact.split("=", 1)[1].split(".")[0]
    print(f"  contact={contact!r} host part={host!r}")
    probe("  exit", s.exit)
    for c in [f"session={host}.1.1", "session=otherhost.1.1", "session=", "session=x",
              f"session={host}.1", contact + "x", " " + contact]:
        probe(f"initialize({c!r})", lambda: s.initialize(c))
        probe("  contact", lambda: s.contact)
        probe("  jobStatus('1')", lambda: s.jobStatus("1"))
        probe("  wait(ANY, 0)", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 0))
        try:
            s.exit()
        except Exception as e:
            print(f"  exit: {type(e).__name__}: {e}")

    print("=== reconnecting with the same contact, twice")
    s.initialize()
    contact = s.contact
    jt = template(s, "sleep 10")
    running = s.runJob(jt)
    s.deleteJobTemplate(jt)
    jt = template(s, "exit 0", hold=True)
    held = s.runJob(jt)
    s.deleteJobTemplate(jt)
    jt = template(s, "sleep 100")
    jt.nativeSpecification = "-w n -l arch=no-such-arch"
    queued = s.runJob(jt)
    s.deleteJobTemplate(jt)
    time.sleep(2)
    print(f"contact of the first session: {contact!r}")
    print(f"before exit: running={running} {s.jobStatus(running)}, held={held} {s.jobStatus(held)},"
          f" queued={queued} {s.jobStatus(queued)}")
    s.exit()
    time.sleep(2)
    out = subprocess.run(["qstat"], capture_output=True, text=True).stdout
    print("qstat 2s after exit (job-ID, state):",
          [(ln.split()[0], ln.split()[4]) for ln in out.splitlines()[2:]], flush=True)
    probe("initialize(contact) #1", lambda: s.initialize(contact))
    probe("  contact", lambda: s.contact)
    probe("  jobStatus(running)", lambda: s.jobStatus(running))
    probe("  jobStatus(held)", lambda: s.jobStatus(held))
    probe("  jobStatus(queued)", lambda: s.jobStatus(queued))
    s.exit()
    probe("initialize(contact) #2", lambda: s.initialize(contact))
    probe("  contact", lambda: s.contact)
    probe("  jobStatus(running)", lambda: s.jobStatus(running))
    probe("  control(ALL, terminate) after reconnect reaches old jobs?",
          lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
    time.sleep(2)
    probe("  jobStatus(held) after", lambda: s.jobStatus(held))
    probe("  jobStatus(running) after", lambda: s.jobStatus(running))
    probe("  synchronize([ALL], 20, True)", lambda: s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 20, True))
    s.exit()
    probe("initialize() without contact after that", lambda: s.initialize())
    probe("  contact (new?)", lambda: s.contact != contact)
    s.exit()

    print("=== a second process attaches to a live session's contact")
    s.initialize()
    contact = s.contact
    child("attach", contact)
    probe("first process still works: contact", lambda: s.contact)

    print("=== jobs of another session (second process)")
    jt = template(s, "sleep 8")
    j = s.runJob(jt)
    time.sleep(1.5)
    child("other", j)
    probe("first session: jobStatus after the other's hold/release", lambda: s.jobStatus(j))
    probe("first session: wait", lambda: s.wait(j, 30))

    print("=== every call after exit")
    jt2 = template(s, "exit 0")
    s.exit()
    probe("runJob", lambda: s.runJob(jt2))
    probe("runBulkJobs", lambda: s.runBulkJobs(jt2, 1, 2, 1))
    probe("wait", lambda: s.wait("1", 1))
    probe("wait ANY", lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 1))
    probe("synchronize", lambda: s.synchronize(["1"], 1, True))
    probe("synchronize ALL", lambda: s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 1, True))
    probe("control", lambda: s.control("1", A.TERMINATE))
    probe("control ALL", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
    probe("jobStatus", lambda: s.jobStatus("1"))
    probe("createJobTemplate", lambda: s.createJobTemplate())
    probe("deleteJobTemplate (made before exit)", lambda: s.deleteJobTemplate(jt2))
    probe("set attribute on a template made before exit", lambda: setattr(jt, "jobName", "x"))
    probe("get attribute on a template made before exit", lambda: jt.args)
    probe("contact", lambda: s.contact)
    probe("drmsInfo", lambda: s.drmsInfo)
    probe("drmaaImplementation", lambda: s.drmaaImplementation)
    probe("version", lambda: s.version)
    probe("exit", s.exit)

    print("=== exit() while another thread is blocked (child processes)")
    for kind in ("wait", "wait_any", "synchronize"):
        child("exit_during_wait", kind)
    # clean up the jobs the children left running
    # (by id: other users of the cell may have jobs of their own)
    if LEFT:
        subprocess.run(["qdel", *LEFT], capture_output=True)
    time.sleep(2)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        {"exit_during_wait": exit_during_wait, "other": other_session,
         "attach": attach}[sys.argv[1]](*sys.argv[2:])
    else:
        main()
