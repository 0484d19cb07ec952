"""Job semantics from the shared facts: lost jobs, reaping, JobInfo, bulk ids, control."""

from __future__ import annotations

import pytest

from tests.conftest import template

ANY = b"DRMAA_JOB_IDS_SESSION_ANY"
ALL = b"DRMAA_JOB_IDS_SESSION_ALL"


def test_job_that_ends_while_disconnected_is_lost(vsession, vdrmaa):
    from simulator import control

    contact = vsession.contact
    jt = template(vdrmaa, "/bin/sleep", "2")
    short = vsession.runJob(jt)
    jt.args = ["20"]
    long_ = vsession.runJob(jt)
    assert vsession.jobStatus(short) == vsession.jobStatus(long_) == "running"
    vsession.exit()
    control.advance(8)
    vsession.initialize(contact)
    for call in (lambda: vsession.jobStatus(short), lambda: vsession.wait(short, 2)):
        with pytest.raises(vdrmaa.InvalidJobException):
            call()
    assert vsession.jobStatus(long_) == "running"
    info = vsession.wait(ANY, 30)
    assert info.jobId == long_ and info.hasExited and info.exitStatus == 0
    assert info.resourceUsage["ru_wallclock"] == "20.0000"
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.wait(long_, 1)
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.jobStatus(long_)
    assert vsession.synchronize([ALL], 5, True) is None
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.wait(ANY, 2)


def test_finished_unreaped_jobs_are_lost_at_exit(vsession, vdrmaa):
    contact = vsession.contact
    job = vsession.runJob(template(vdrmaa, "/bin/true"))
    vsession.synchronize([job], 10, False)
    assert vsession.jobStatus(job) == "done"
    vsession.exit()
    vsession.initialize(contact)
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.jobStatus(job)


def test_several_reconnect_cycles_keep_running_job(vsession, vdrmaa):
    from simulator import control

    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "100"))
    contact = vsession.contact
    for _ in range(3):
        vsession.exit()
        control.advance(10)
        vsession.initialize(contact)
        assert vsession.jobStatus(job) == "running"
    assert vsession.wait(job).exitStatus == 0


@pytest.mark.parametrize(
    ("args", "exited", "signal", "aborted", "status"),
    [
        (["-c", "exit 3"], True, "", False, 3),
        (["-c", "kill -9 $$"], False, "SIGKILL", False, 0),
    ],
)
def test_job_info_for_exit_and_signal(vsession, vdrmaa, args, exited, signal, aborted, status):
    info = vsession.wait(vsession.runJob(template(vdrmaa, "/bin/sh", *args)), 30)
    assert (info.hasExited, info.terminatedSignal, info.wasAborted, info.exitStatus) == (
        exited,
        signal,
        aborted,
        status,
    )
    assert info.hasSignal is bool(signal)
    assert info.hasCoreDump is False
    expected_exit = "3.0000" if exited else "137.0000"
    assert info.resourceUsage["exit_status"] == expected_exit
    assert info.resourceUsage["signal"] == ("0.0000" if exited else "910.0000")


def test_terminated_running_job_is_aborted(vsession, vdrmaa):
    from simulator import control

    job = vsession.runJob(template(vdrmaa, "/bin/sh", "-c", "sleep 30"))
    control.advance(3)
    vsession.control(job, vdrmaa.JobControlAction.TERMINATE)
    info = vsession.wait(job, 30)
    assert (info.hasExited, info.hasSignal, info.terminatedSignal, info.wasAborted) == (
        False,
        False,
        "",
        True,
    )
    assert info.resourceUsage["ru_wallclock"] == "3.0000"


def test_resource_usage_is_a_dict_of_strings(vsession, vdrmaa):
    info = vsession.wait(vsession.runJob(template(vdrmaa, "/bin/true")))
    usage = info.resourceUsage
    for key in (
        "start_time",
        "end_time",
        "submission_time",
        "ru_wallclock",
        "exit_status",
        "signal",
        "cpu",
        "mem",
        "maxvmem",
    ):
        assert isinstance(usage[key], str)
        assert usage[key].endswith(".0000") or "." in usage[key]


def test_bulk_ids_are_number_dot_task(vsession, vdrmaa):
    ids = vsession.runBulkJobs(template(vdrmaa, "/bin/sh", "-c", "exit 0"), 1, 3, 1)
    number = ids[0].split(".")[0]
    assert ids == [f"{number}.1", f"{number}.2", f"{number}.3"]
    vsession.synchronize(ids, 60, True)
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.jobStatus(ids[0])


def test_hold_release_suspend_resume(vsession, vdrmaa):
    from simulator import control

    a = vdrmaa.JobControlAction
    # A queued job can be held: fill the only slot first.
    vsession.exit()
    control.reset(clock="virtual", slots=1)
    vsession.initialize()
    blocker = vsession.runJob(template(vdrmaa, "/bin/sleep", "1"))
    job = vsession.runJob(template(vdrmaa, "/bin/sh", "-c", "sleep 5"))
    assert vsession.jobStatus(job) == "queued_active"
    vsession.control(job, a.HOLD)
    assert vsession.jobStatus(job) == "user_on_hold"
    vsession.control(job, a.RELEASE)
    vsession.wait(blocker)
    assert vsession.jobStatus(job) == "running"
    vsession.control(job, a.SUSPEND)
    assert vsession.jobStatus(job) == "user_suspended"
    control.advance(100)  # a suspended job does not progress
    assert vsession.jobStatus(job) == "user_suspended"
    vsession.control(job, a.RESUME)
    assert vsession.jobStatus(job) == "running"
    info = vsession.wait(job, 30)
    assert info.exitStatus == 0
    assert info.resourceUsage["ru_wallclock"] == "105.0000"


def test_wait_no_wait_on_running_job_times_out(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sh", "-c", "sleep 5"))
    with pytest.raises(vdrmaa.ExitTimeoutException) as info:
        vsession.wait(job, vdrmaa.Session.TIMEOUT_NO_WAIT)
    assert str(info.value) == "code 23: time-out condition"
