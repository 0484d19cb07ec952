"""A qmaster outage (``control.set_reachable``), as measured on Grid Engine 8.1.9 by
``docs/measurements/sge_outage_probe.py`` (its ``.out`` is what the real cell printed)."""

from __future__ import annotations

import threading

import pytest

from simulator import control
from tests.conftest import template


@pytest.fixture
def outage():
    """Call ``outage()`` to take the qmaster down; it is always brought back."""
    yield lambda: control.set_reachable(False)
    control.set_reachable(True)


def _long_and_short(drmaa):
    S = drmaa.Session
    return S.runJob(template(drmaa, "/bin/sleep", "60")), S.runJob(
        template(drmaa, "/bin/sleep", "5")
    )


def test_calls_that_ask_the_qmaster_fail_with_a_communication_error(vsession, vdrmaa, outage):
    long, _ = _long_and_short(vdrmaa)
    jt = template(vdrmaa, "/bin/true")
    outage()
    message = r'^code 2: unable to contact qmaster using port 6444 on host "[^"]+"$'
    for call in (
        lambda: vsession.jobStatus(long),
        lambda: vsession.runJob(jt),
        lambda: vsession.runBulkJobs(jt, 1, 2, 1),
        lambda: vsession.control(long, vdrmaa.JobControlAction.HOLD),
    ):
        with pytest.raises(vdrmaa.DrmCommunicationException, match=message):
            call()
    # what the client knows by itself still answers
    assert vsession.drmsInfo == "SGE 8.1.9"
    assert vsession.contact.startswith("session=")


def test_waits_time_out_and_jobs_known_finished_are_still_handed_out(vsession, vdrmaa, outage):
    long, short = _long_and_short(vdrmaa)
    before = vsession.runJob(template(vdrmaa, "/bin/true"))
    vsession.synchronize([before], 30, False)
    outage()
    start = control.now()
    with pytest.raises(vdrmaa.ExitTimeoutException, match="time-out condition"):
        vsession.wait(short, 10)  # it ended meanwhile, unheard of
    assert control.now() - start == pytest.approx(10)
    with pytest.raises(vdrmaa.ExitTimeoutException):
        vsession.wait(short, vsession.TIMEOUT_NO_WAIT)
    assert vsession.wait(before, 5).exitStatus == 0
    with pytest.raises(vdrmaa.ExitTimeoutException):
        vsession.wait(vsession.JOB_IDS_SESSION_ANY, 5)
    with pytest.raises(vdrmaa.ExitTimeoutException, match=r"^code 23: $"):
        vsession.synchronize([long], 5, False)


def test_exit_works_and_initialize_fails_until_the_qmaster_is_back(vdrmaa):
    S = vdrmaa.Session
    S.initialize()
    contact = S.contact
    long, _ = _long_and_short(vdrmaa)
    control.set_reachable(False)
    try:
        S.exit()
        for args in ((contact,), ()):
            with pytest.raises(vdrmaa.DrmCommunicationException):
                S.initialize(*args)
    finally:
        control.set_reachable(True)
    S.initialize(contact)
    assert S.jobStatus(long) == vdrmaa.JobState.RUNNING  # it kept running through it
    info = S.wait(long, S.TIMEOUT_WAIT_FOREVER)
    assert info.hasExited and info.exitStatus == 0


def test_a_job_that_ends_in_the_outage_is_heard_of_when_it_is_over(vsession, vdrmaa, outage):
    _, short = _long_and_short(vdrmaa)
    outage()
    control.advance(10)
    with pytest.raises(vdrmaa.DrmCommunicationException):
        vsession.jobStatus(short)
    control.set_reachable(True)
    assert vsession.jobStatus(short) == vdrmaa.JobState.DONE
    assert vsession.wait(short, 0).exitStatus == 0


def test_a_job_that_ends_in_the_outage_of_a_left_session_is_lost(vdrmaa):
    S = vdrmaa.Session
    S.initialize()
    contact = S.contact
    long, short = _long_and_short(vdrmaa)
    control.set_reachable(False)
    control.advance(10)
    S.exit()  # while the end of `short` is still unheard of
    control.set_reachable(True)
    S.initialize(contact)
    with pytest.raises(vdrmaa.InvalidJobException):
        S.jobStatus(short)
    assert S.jobStatus(long) == vdrmaa.JobState.RUNNING


def test_nothing_is_dispatched_in_an_outage(vdrmaa):
    control.reset(clock="virtual", slots=1)
    S = vdrmaa.Session
    S.initialize()
    first, queued = _long_and_short(vdrmaa)
    control.set_reachable(False)
    control.advance(120)  # the first job ends, unheard of: its slot stays taken
    control.set_reachable(True)
    assert S.jobStatus(first) == vdrmaa.JobState.DONE
    assert S.jobStatus(queued) == vdrmaa.JobState.RUNNING


def test_a_wait_forever_blocked_through_the_outage_returns_after_it(rsession, rdrmaa):
    job = rsession.runJob(template(rdrmaa, "/bin/sleep", "0.2"))
    control.set_reachable(False)
    got: list = []
    waiter = threading.Thread(target=lambda: got.append(rsession.wait(job, -1)), daemon=True)
    try:
        waiter.start()
        waiter.join(1.0)  # the job ends meanwhile, unheard of
        assert waiter.is_alive()
    finally:
        control.set_reachable(True)
    waiter.join(5)
    assert [info.jobId for info in got] == [job]
