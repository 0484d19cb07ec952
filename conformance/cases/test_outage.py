"""A DRM that goes away and comes back: the qmaster stopped and restarted under a session.

Spec: GFD.130's error codes (DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE: "could not contact DRM
system for this request") and Session.init (contact). What waits and exit do meanwhile is
left to the implementation.
Grid Engine facts: docs/measurements/sge_outage_probe.out (SGE 8.1.9).

These cases need a qmaster switch (the backend's ``qmaster_switch``): the simulator has
one; on ``sge`` the cell launcher serves one. The plugin runs them last, so that a library
left unwell by an outage cannot fail unrelated cases.
"""

import pytest

from conformance.kit import case, expect_raises, ge_choice

pytestmark = pytest.mark.qmaster_outage

OUTAGE = (
    "qmaster down: jobStatus, runJob and control raise DrmCommunicationException (code 2) "
    "within 1-3 s; a job keeps running and a session rejoined after the restart sees it"
)

#: How long the cases' job sleeps. A restart on a real cell includes a health-check job
#: that waits for a free slot, so the outage can last longer than ``jobs.long``; the
#: cleanup terminates the job.
OUTLIVES_THE_OUTAGE = 600


@case("GFD.130 error codes (DRM_COMMUNICATION_FAILURE); Session.init (contact)", ge=OUTAGE)
def test_calls_fail_in_an_outage_and_running_jobs_outlive_it(drmaa, session, jobs):
    """Qmaster down: DrmCommunicationException, no hang; back: the running job is seen."""
    job = jobs.run_sleeper(OUTLIVES_THE_OUTAGE)
    jobs.wait_running(job)
    started = jobs.backend.now()
    contact = session.contact
    jt = jobs.sleeper(1)
    calls = {
        "jobStatus": lambda: session.jobStatus(job),
        "runJob": lambda: session.runJob(jt),
        "control(HOLD)": lambda: session.control(job, drmaa.JobControlAction.HOLD),
    }
    with jobs.qmaster_outage():
        for what, call in calls.items():
            jobs.bounded(
                lambda call=call: expect_raises(drmaa.DrmCommunicationException, call, code=2),
                f"{what} with the qmaster down",
            )
    session.exit()
    jobs.init(contact)
    _assert_running(drmaa, session, jobs, job, started)


@case(
    "GFD.130 Session.wait (timeout), Session.exit",
    ge="qmaster down: wait(job, 2) raises ExitTimeoutException after 2 s; exit() returns "
    "(in 3-13 s); initialize(contact) raises DrmCommunicationException until it is back",
)
@ge_choice("what wait and exit do while the DRM cannot be reached is implementation-defined")
def test_in_an_outage_waits_time_out_and_exit_still_works(drmaa, session, jobs):
    """Qmaster down: wait times out, exit() returns, rejoining waits until it is back."""
    job = jobs.run_sleeper(OUTLIVES_THE_OUTAGE)
    jobs.wait_running(job)
    started = jobs.backend.now()
    contact = session.contact
    with jobs.qmaster_outage():
        jobs.bounded(
            lambda: expect_raises(drmaa.ExitTimeoutException, lambda: session.wait(job, 2), 23),
            "wait(job, 2) with the qmaster down",
        )
        jobs.bounded(session.exit, "exit() with the qmaster down")
        expect_raises(drmaa.DrmCommunicationException, lambda: session.initialize(contact), 2)
    jobs.init(contact)
    _assert_running(drmaa, session, jobs, job, started)


def _assert_running(drmaa, session, jobs, job: str, started: float) -> None:
    """The job is seen running; a failure says how long it had run (was the outage long?)."""
    since = f"{jobs.backend.now() - started:.1f} s after it started running"
    try:
        state = session.jobStatus(job)
    except drmaa.InvalidJobException as error:
        pytest.fail(f"the rejoined session does not know job {job} {since}: {error}")
    assert state == drmaa.JobState.RUNNING, since
