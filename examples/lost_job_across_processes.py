"""The lost-job story across two processes, as a restarting workflow manager lives it.

    python examples/lost_job_across_processes.py submit STATE   # prints, saves the contact
    sleep 3
    python examples/lost_job_across_processes.py rejoin STATE   # in a new process

Run both against one cell that outlives them: a real Grid Engine cell, or the simulated
qmaster (``python -m simulator serve``) with the C library or the Python drop-in (see the
README). The first process submits a 1 s job and a 6 s job and exits; the second rejoins
the session by its contact string and finds the short job lost, the long one running.
"""

import json
import sys

import drmaa


def submit(state: str) -> None:
    with drmaa.Session() as session:
        jt = session.createJobTemplate()
        jt.remoteCommand = "/bin/sleep"
        jt.outputPath = ":/dev/null"
        jt.joinFiles = True
        jt.args = ["1"]
        short = session.runJob(jt)
        jt.args = ["6"]
        long_ = session.runJob(jt)
        contact = session.contact
    with open(state, "w", encoding="utf-8") as out:
        json.dump({"contact": contact, "short": short, "long": long_}, out)
    print(f"submitted {short} (1 s) and {long_} (6 s) in {contact}")


def rejoin(state: str) -> None:
    with open(state, encoding="utf-8") as saved:
        known = json.load(saved)
    with drmaa.Session(known["contact"]) as session:
        try:
            session.jobStatus(known["short"])
            print(f"job {known['short']} is still known")
        except drmaa.InvalidJobException as lost:
            print(f"job {known['short']} is lost: {lost}")
        print(f"job {known['long']} is {session.jobStatus(known['long'])}")
        info = session.wait(known["long"], drmaa.Session.TIMEOUT_WAIT_FOREVER)
        print(f"job {info.jobId} finished: exit status {info.exitStatus}")


if __name__ == "__main__":
    {"submit": submit, "rejoin": rejoin}[sys.argv[1]](sys.argv[2])
