"""Probe whether a resume sent right after a suspend reaches the job.

jobStatus reports 'user_suspended' as soon as control(SUSPEND) returns, before the
execution daemon has stopped the job; a RESUME sent at once can then be overtaken by the
SIGSTOP, leaving the job stopped for good while jobStatus says 'running'. The probe runs
ROUNDS sleepers per gap between the two calls and counts the ones that never end.

Run as an unprivileged user with the environment of docker/sge-env.sh.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import subprocess
import time

import drmaa

ROUNDS = 40
GAPS = (0.0, 1.0)


def stopped(pid_owner: str) -> str:
    """The ps line of the job user's stopped processes (state T)."""
    ps = subprocess.run(
        ["ps", "-u", pid_owner, "-o", "stat=,args="], capture_output=True, text=True
    ).stdout
    return "; ".join(line.strip() for line in ps.splitlines() if line.lstrip().startswith("T"))


s = drmaa.Session()
s.initialize()
for gap in GAPS:
    stuck = 0
    for _ in range(ROUNDS):
        jt = s.createJobTemplate()
        jt.remoteCommand, jt.args = "/bin/sleep", ["3"]
        jt.outputPath, jt.joinFiles = ":/dev/null", True
        job = s.runJob(jt)
        s.deleteJobTemplate(jt)
        while s.jobStatus(job) != drmaa.JobState.RUNNING:
            time.sleep(0.25)
        s.control(job, drmaa.JobControlAction.SUSPEND)
        shown = s.jobStatus(job)
        time.sleep(gap)
        s.control(job, drmaa.JobControlAction.RESUME)
        try:
            s.wait(job, 20)
        except drmaa.ExitTimeoutException:
            stuck += 1
            print(
                f"gap {gap}s: status right after SUSPEND {shown!r}; job never ended; "
                f"jobStatus {s.jobStatus(job)!r}; stopped: {stopped('sgeuser')}",
                flush=True,
            )
            s.control(job, drmaa.JobControlAction.TERMINATE)
            s.wait(job, 60)
    print(f"gap {gap}s between SUSPEND and RESUME: {stuck}/{ROUNDS} jobs never ended", flush=True)
s.exit()
