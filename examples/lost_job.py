"""A plain ``drmaa`` program: submit, leave the session, come back, find one job lost.

Run it against the simulator with ``python -m simulator examples/lost_job.py``, or against a
real Grid Engine cell with ``python examples/lost_job.py``: it prints the same story.
"""

import time

import drmaa

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
    print(f"submitted {short} (1 s) and {long_} (6 s) in {contact}")

print("left the session; waiting 3 s so the short job ends while nobody listens")
time.sleep(3)

with drmaa.Session(contact) as session:
    try:
        session.jobStatus(short)
    except drmaa.InvalidJobException as lost:
        print(f"job {short} is lost: {lost}")
    print(f"job {long_} is {session.jobStatus(long_)}")
    info = session.wait(long_, drmaa.Session.TIMEOUT_WAIT_FOREVER)
    print(f"job {info.jobId} finished: exit status {info.exitStatus}")
