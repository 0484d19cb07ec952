"""Status and control: every job state reachable on Grid Engine, hold/release,
suspend/resume, terminate, JOB_IDS_SESSION_ALL, and the inconsistent-state errors.

Spec: GFD.130 Session.jobStatus (JobState), Session.control (JobControlAction,
JOB_IDS_SESSION_ALL, *_INCONSISTENT_STATE), JobSubmissionState.
Grid Engine facts: shared/facts/sge_jobs_probe.out (hold -> user_on_hold, release ->
running, suspend -> user_suspended, resume -> running) and measurements with each case.
"""

import time

import pytest

from conformance.kit import case, expect_raises, ge_choice

ACTIONS = ["suspend", "resume", "hold", "release", "terminate"]


def _future_start(jobs, seconds=3600):
    """A DRMAA partial timestamp 'YYYY/MM/DD hh:mm:ss' an hour after the backend's now."""
    when = time.time() + seconds
    if jobs.backend.virtual:
        when = max(when, jobs.backend.now() + seconds)
    return time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(when))


# ------------------------------------------------------------------ states
@case("GFD.130 Session.jobStatus (QUEUED_ACTIVE, RUNNING)", official=["st_drmaa_job_ps"])
def test_state_after_submit_is_queued_or_running(drmaa, session, jobs):
    """Right after submission a job is QUEUED_ACTIVE or already RUNNING."""
    job = jobs.run_sleeper(jobs.long)
    assert session.jobStatus(job) in (drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.RUNNING)


@case("GFD.130 Session.jobStatus (RUNNING)", official=["st_drmaa_job_ps"])
def test_state_running(drmaa, session, jobs):
    """A sleeping job reaches RUNNING."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)


@case("GFD.130 Session.jobStatus (DONE)", official=["st_drmaa_job_ps"])
def test_state_done_until_reaped(drmaa, session, jobs):
    """A finished job not yet reaped is DONE."""
    job = jobs.run_sleeper(0)
    session.synchronize([job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.DONE


@case("GFD.130 Session.jobStatus (DONE)", ge="exit 1: jobStatus 'done' (DONE is not exit 0)")
def test_state_done_for_nonzero_exit(drmaa, session, jobs):
    """A job that exits with a non-zero status is DONE, not FAILED."""
    job = jobs.run_exit(1)
    session.synchronize([job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.DONE


@case("GFD.130 Session.jobStatus (DONE)", ge="killed by SIGTERM: jobStatus 'done'")
@ge_choice("whether a job killed by a signal is DONE or FAILED is left to the implementation")
def test_state_done_for_signalled_job(drmaa, session, jobs):
    """A job killed by a signal (not by control) is DONE on Grid Engine."""
    job = session.runJob(jobs.shell("kill -TERM $$"))
    session.synchronize([job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.DONE


@case(
    "GFD.130 Session.jobStatus (FAILED); GFD.143 Session.jobStatus",
    ge="terminated running job: jobStatus 'failed'",
)
def test_state_failed_after_terminate(drmaa, session, jobs):
    """A running job terminated with control() is FAILED until reaped."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    session.control(job, drmaa.JobControlAction.TERMINATE)
    session.synchronize([job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.FAILED


@case("GFD.130 Session.jobStatus (USER_ON_HOLD)", official=["st_submit_in_hold_release"])
def test_state_user_on_hold(drmaa, session, jobs):
    """A job submitted on hold is USER_ON_HOLD."""
    assert session.jobStatus(jobs.run_held(1)) == drmaa.JobState.USER_ON_HOLD


@case(
    "GFD.130 Session.jobStatus (SYSTEM_ON_HOLD); JobTemplate.startTime",
    ge="startTime an hour ahead: jobStatus 'system_on_hold'",
)
@ge_choice("which conditions count as a system hold is implementation-defined")
def test_state_system_on_hold_until_start_time(drmaa, session, jobs):
    """A job whose startTime is in the future is SYSTEM_ON_HOLD on Grid Engine."""
    job = jobs.run_sleeper(1, startTime=_future_start(jobs))
    assert session.jobStatus(job) == drmaa.JobState.SYSTEM_ON_HOLD


@case(
    "GFD.130 Session.jobStatus (USER_SYSTEM_ON_HOLD)",
    ge="startTime ahead and submitted on hold: 'user_system_on_hold'; release: 'system_on_hold'",
)
@ge_choice("which conditions count as a system hold is implementation-defined")
def test_state_user_system_on_hold(drmaa, session, jobs):
    """On hold with a future startTime: USER_SYSTEM_ON_HOLD; release leaves SYSTEM_ON_HOLD."""
    job = jobs.run_held(1, startTime=_future_start(jobs))
    assert session.jobStatus(job) == drmaa.JobState.USER_SYSTEM_ON_HOLD
    session.control(job, drmaa.JobControlAction.RELEASE)
    assert session.jobStatus(job) == drmaa.JobState.SYSTEM_ON_HOLD


@case(
    "GFD.130 Session.jobStatus (USER_SUSPENDED); Session.control (SUSPEND, RESUME)",
    official=["st_submit_suspend_resume_wait"],
    ge="suspend -> 'user_suspended'; resume -> 'running'",
)
def test_suspend_resume_wait(drmaa, session, jobs):
    """Suspend a running job (USER_SUSPENDED), resume it (RUNNING), wait for its end."""
    job = jobs.run_sleeper(3)
    jobs.wait_running(job)
    session.control(job, drmaa.JobControlAction.SUSPEND)
    jobs.wait_state(job, drmaa.JobState.USER_SUSPENDED)
    jobs.let_signal_land()
    session.control(job, drmaa.JobControlAction.RESUME)
    jobs.wait_state(job, drmaa.JobState.RUNNING, drmaa.JobState.DONE)
    info = jobs.finish(job)
    assert info.hasExited and info.exitStatus == 0


@case("GFD.130 Session.jobStatus (UNDETERMINED...): the names", official=["st_drmaa_job_ps"])
def test_job_state_names(drmaa):
    """JobState has the eleven DRMAA states with drmaa-python's string values."""
    assert {
        name: getattr(drmaa.JobState, name)
        for name in (
            "UNDETERMINED",
            "QUEUED_ACTIVE",
            "SYSTEM_ON_HOLD",
            "USER_ON_HOLD",
            "USER_SYSTEM_ON_HOLD",
            "RUNNING",
            "SYSTEM_SUSPENDED",
            "USER_SUSPENDED",
            "USER_SYSTEM_SUSPENDED",
            "DONE",
            "FAILED",
        )
    } == {
        "UNDETERMINED": "undetermined",
        "QUEUED_ACTIVE": "queued_active",
        "SYSTEM_ON_HOLD": "system_on_hold",
        "USER_ON_HOLD": "user_on_hold",
        "USER_SYSTEM_ON_HOLD": "user_system_on_hold",
        "RUNNING": "running",
        "SYSTEM_SUSPENDED": "system_suspended",
        "USER_SUSPENDED": "user_suspended",
        "USER_SYSTEM_SUSPENDED": "user_system_suspended",
        "DONE": "done",
        "FAILED": "failed",
    }
    assert [getattr(drmaa.JobControlAction, a.upper()) for a in ACTIONS] == ACTIONS


# ------------------------------------------------------------------ hold, release, terminate
@case("GFD.130 Session.control (RELEASE)", official=["st_submit_in_hold_release"])
def test_submit_in_hold_then_release(drmaa, session, jobs):
    """A job submitted on hold runs once released and ends normally."""
    job = jobs.run_held(1)
    assert session.jobStatus(job) == drmaa.JobState.USER_ON_HOLD
    session.control(job, drmaa.JobControlAction.RELEASE)
    info = jobs.finish(job)
    assert info.hasExited and info.exitStatus == 0


@case(
    "GFD.130 Session.control (TERMINATE); Session.jobStatus (FAILED)",
    official=["st_submit_in_hold_delete"],
)
def test_submit_in_hold_then_terminate(drmaa, session, jobs):
    """A held job terminated with control() ends without running: FAILED once synchronized."""
    job = jobs.run_held(1)
    session.control(job, drmaa.JobControlAction.TERMINATE)
    session.synchronize([job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.FAILED


@case("GFD.130 Session.control (HOLD, RELEASE)", official=["st_drmaa_control"])
@ge_choice(
    "holding a running job: Grid Engine accepts it and reports USER_ON_HOLD while the "
    "job keeps running"
)
def test_hold_on_running_job_reports_user_on_hold(drmaa, session, jobs):
    """Holding a running job is accepted; jobStatus says USER_ON_HOLD until released."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    session.control(job, drmaa.JobControlAction.HOLD)
    assert session.jobStatus(job) == drmaa.JobState.USER_ON_HOLD
    session.control(job, drmaa.JobControlAction.RELEASE)
    assert session.jobStatus(job) == drmaa.JobState.RUNNING


@case("GFD.130 Session.control (TERMINATE)", official=["st_drmaa_control"])
def test_terminate_running_job(drmaa, session, jobs):
    """A running job terminated with control() ends; wait reports it did not exit normally."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    session.control(job, drmaa.JobControlAction.TERMINATE)
    info = jobs.finish(job)
    assert info.jobId == job and not info.hasExited


# ------------------------------------------------------------------ JOB_IDS_SESSION_ALL
def _bulk_on_hold(drmaa, session, jobs, n=3):
    ids = session.runBulkJobs(
        jobs.sleeper(1, jobSubmissionState=drmaa.JobSubmissionState.HOLD_STATE), 1, n, 1
    )
    for job in ids:
        assert session.jobStatus(job) in (
            drmaa.JobState.USER_ON_HOLD,
            drmaa.JobState.USER_SYSTEM_ON_HOLD,
        )
    return ids


def _release_or_delete(drmaa, session, jobs, ids, action, per_task):
    if per_task:
        for job in ids:
            session.control(job, action)
    else:
        session.control(session.JOB_IDS_SESSION_ALL, action)
    session.synchronize([session.JOB_IDS_SESSION_ALL], jobs.wait_timeout(), False)
    return [session.jobStatus(job) for job in ids]


@case(
    "GFD.130 Session.control (JOB_IDS_SESSION_ALL, RELEASE)",
    official=["st_bulk_submit_in_hold_session_release"],
)
def test_bulk_on_hold_released_through_session_all(drmaa, session, jobs):
    """A bulk job on hold released with JOB_IDS_SESSION_ALL: every task ends DONE."""
    ids = _bulk_on_hold(drmaa, session, jobs)
    states = _release_or_delete(drmaa, session, jobs, ids, drmaa.JobControlAction.RELEASE, False)
    assert states == [drmaa.JobState.DONE] * len(ids)


@case(
    "GFD.130 Session.control (JOB_IDS_SESSION_ALL, TERMINATE)",
    official=["st_bulk_submit_in_hold_session_delete"],
)
def test_bulk_on_hold_deleted_through_session_all(drmaa, session, jobs):
    """A bulk job on hold terminated with JOB_IDS_SESSION_ALL: every task ends FAILED."""
    ids = _bulk_on_hold(drmaa, session, jobs)
    states = _release_or_delete(drmaa, session, jobs, ids, drmaa.JobControlAction.TERMINATE, False)
    assert states == [drmaa.JobState.FAILED] * len(ids)


@case(
    "GFD.130 Session.control (RELEASE, per task)",
    official=["st_bulk_submit_in_hold_single_release"],
)
def test_bulk_on_hold_released_per_task(drmaa, session, jobs):
    """A bulk job on hold released task by task: every task ends DONE."""
    ids = _bulk_on_hold(drmaa, session, jobs)
    states = _release_or_delete(drmaa, session, jobs, ids, drmaa.JobControlAction.RELEASE, True)
    assert states == [drmaa.JobState.DONE] * len(ids)


@case(
    "GFD.130 Session.control (TERMINATE, per task)",
    official=["st_bulk_submit_in_hold_single_delete"],
)
def test_bulk_on_hold_deleted_per_task(drmaa, session, jobs):
    """A bulk job on hold terminated task by task: every task ends FAILED."""
    ids = _bulk_on_hold(drmaa, session, jobs)
    states = _release_or_delete(drmaa, session, jobs, ids, drmaa.JobControlAction.TERMINATE, True)
    assert states == [drmaa.JobState.FAILED] * len(ids)


@case("GFD.130 Session.control (JOB_IDS_SESSION_ALL, TERMINATE)", official=["st_drmaa_control"])
def test_terminate_all_session_jobs(drmaa, session, jobs):
    """control(JOB_IDS_SESSION_ALL, TERMINATE) ends every job of the session."""
    ids = [jobs.run_sleeper(jobs.long) for _ in range(2)] + [jobs.run_held(1)]
    session.control(session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
    session.synchronize(ids, jobs.wait_timeout(), False)
    assert [session.jobStatus(job) for job in ids] == [drmaa.JobState.FAILED] * len(ids)


@case(
    "GFD.130 Session.control (JOB_IDS_SESSION_ALL, TERMINATE); JobInfo",
    official=["st_drmaa_control"],
    ge="control(ALL, TERMINATE) with every slot busy: the running jobs end aborted, the "
    "queued ones never start (wait: code 24, no usage) (sge_terminate_all_probe)",
)
@ge_choice("the spec does not say whether queued jobs may start before they are terminated")
def test_terminate_all_never_starts_the_queued_jobs(drmaa, session, jobs):
    """Terminating running and queued jobs at once does not let the queued ones run first."""
    ids: list[str] = []
    while len(ids) < 64:  # fill every slot, and queue some more
        ids.append(jobs.run_sleeper(jobs.long))
        jobs.wait_state(ids[0], drmaa.JobState.RUNNING)
        if len(ids) > 1 and session.jobStatus(ids[-1]) == drmaa.JobState.QUEUED_ACTIVE:
            jobs.pass_time(2)  # time for a free slot, if there is one, to take it
            if session.jobStatus(ids[-1]) == drmaa.JobState.QUEUED_ACTIVE:
                break
    states = {job: session.jobStatus(job) for job in ids}
    queued = [job for job, state in states.items() if state == drmaa.JobState.QUEUED_ACTIVE]
    assert queued, f"no job stayed queued behind {len(ids)} running ones"
    session.control(session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
    for job in ids:
        if job in queued:
            # Never ran: reaped without usage (drmaa-python maps code 24 to Exception).
            error = expect_raises(Exception, lambda j=job: session.wait(j, jobs.wait_timeout()))
            assert str(error).startswith("code 24:")
        else:
            assert jobs.finish(job).wasAborted


@case(
    "GFD.130 Session.control (JOB_IDS_SESSION_ALL, SUSPEND, RESUME)", official=["st_drmaa_control"]
)
def test_suspend_and_resume_all_session_jobs(drmaa, session, jobs):
    """SUSPEND then RESUME with JOB_IDS_SESSION_ALL act on every running job."""
    ids = [jobs.run_sleeper(jobs.long) for _ in range(2)]
    for job in ids:
        jobs.wait_running(job)
    session.control(session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.SUSPEND)
    for job in ids:
        jobs.wait_state(job, drmaa.JobState.USER_SUSPENDED)
    jobs.let_signal_land()
    session.control(session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.RESUME)
    for job in ids:
        jobs.wait_state(job, drmaa.JobState.RUNNING)


@pytest.mark.parametrize("action", ACTIONS)
@case("GFD.130 Session.control (JOB_IDS_SESSION_ALL)", official=["st_empty_session_control"])
def test_control_all_on_empty_session(drmaa, session, action):
    """control(JOB_IDS_SESSION_ALL, action) on a session without jobs succeeds."""
    session.control(session.JOB_IDS_SESSION_ALL, action)


# ------------------------------------------------------------------ inconsistent states
@case(
    "GFD.130 Session.control (SUSPEND_INCONSISTENT_STATE)",
    ge="suspend of a pending job: SuspendInconsistentStateException (code 20)",
)
@ge_choice("Grid Engine refuses to suspend a job that is not running")
def test_suspend_pending_job_is_inconsistent(drmaa, session, jobs):
    """Suspending a job on hold raises SuspendInconsistentStateException."""
    job = jobs.run_held(1)
    expect_raises(
        drmaa.SuspendInconsistentStateException,
        lambda: session.control(job, drmaa.JobControlAction.SUSPEND),
        code=20,
    )


@case(
    "GFD.130 Session.control (RESUME_INCONSISTENT_STATE)",
    ge="resume of a pending job: ResumeInconsistentStateException (code 19)",
)
@ge_choice("Grid Engine refuses to resume a job that is not suspended")
def test_resume_pending_job_is_inconsistent(drmaa, session, jobs):
    """Resuming a job on hold raises ResumeInconsistentStateException."""
    job = jobs.run_held(1)
    expect_raises(
        drmaa.ResumeInconsistentStateException,
        lambda: session.control(job, drmaa.JobControlAction.RESUME),
        code=19,
    )


@case(
    "GFD.130 Session.control (RESUME_INCONSISTENT_STATE)",
    ge="resume of a running job: ResumeInconsistentStateException (code 19) 'already unsuspended'",
)
@ge_choice("Grid Engine refuses to resume a job that is not suspended")
def test_resume_running_job_is_inconsistent(drmaa, session, jobs):
    """Resuming a running (not suspended) job raises ResumeInconsistentStateException."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    expect_raises(
        drmaa.ResumeInconsistentStateException,
        lambda: session.control(job, drmaa.JobControlAction.RESUME),
        code=19,
    )


@case(
    "GFD.130 Session.control (SUSPEND_INCONSISTENT_STATE)",
    ge="suspend of a suspended job: SuspendInconsistentStateException (code 20) 'already "
    "suspended'",
)
@ge_choice("Grid Engine refuses to suspend a job twice")
def test_suspend_suspended_job_is_inconsistent(drmaa, session, jobs):
    """Suspending a suspended job raises SuspendInconsistentStateException."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    session.control(job, drmaa.JobControlAction.SUSPEND)
    jobs.wait_state(job, drmaa.JobState.USER_SUSPENDED)
    expect_raises(
        drmaa.SuspendInconsistentStateException,
        lambda: session.control(job, drmaa.JobControlAction.SUSPEND),
        code=20,
    )


@case("GFD.130 Session.control (RELEASE)", ge="release of a job that is not held: accepted")
@ge_choice("Grid Engine does not raise RELEASE_INCONSISTENT_STATE for a job without a hold")
def test_release_of_job_not_held_is_accepted(drmaa, session, jobs):
    """Releasing a job that is not on hold succeeds and changes nothing."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    session.control(job, drmaa.JobControlAction.RELEASE)
    assert session.jobStatus(job) == drmaa.JobState.RUNNING


# ------------------------------------------------------------------ bad job ids
@pytest.mark.parametrize("action", ACTIONS)
@case(
    "GFD.130 Session.control (INVALID_JOB)",
    ge="control of job 999999 that does not exist: InvalidJobException (code 18)",
)
@ge_choice("control may act on any job id; Grid Engine raises INVALID_JOB for unknown ones")
def test_control_unknown_job_is_invalid(drmaa, session, action):
    """control() of a well-formed job id that does not exist raises InvalidJobException."""
    expect_raises(drmaa.InvalidJobException, lambda: session.control("999999999", action), code=18)


@case(
    "GFD.130 Session.control (INVALID_JOB)",
    ge="hold of a finished, reaped job: InvalidJobException (code 18)",
)
@ge_choice("Grid Engine forgets finished jobs")
def test_control_finished_job_is_invalid(drmaa, session, jobs):
    """control() of a job that has finished and was reaped raises InvalidJobException."""
    job = jobs.run_sleeper(0)
    jobs.finish(job)
    expect_raises(
        drmaa.InvalidJobException,
        lambda: session.control(job, drmaa.JobControlAction.HOLD),
        code=18,
    )


@pytest.mark.parametrize("call", ["control", "jobStatus"])
@case(
    "GFD.130 Session.control / jobStatus (INVALID_ARGUMENT)",
    ge="job id 'abc': InvalidArgumentException (code 4) 'Job id, \"abc\", is not a valid job id'",
)
@ge_choice("how an unparsable job id is reported is implementation-defined")
def test_garbage_job_id_is_invalid_argument(drmaa, session, call):
    """A job id that does not parse ('abc') raises InvalidArgumentException."""
    if call == "control":
        op = lambda: session.control("abc", drmaa.JobControlAction.TERMINATE)  # noqa: E731
    else:
        op = lambda: session.jobStatus("abc")  # noqa: E731
    expect_raises(drmaa.InvalidArgumentException, op, code=4)


@case(
    "GFD.130 Session.jobStatus (INVALID_JOB)",
    official=["st_drmaa_job_ps"],
    ge="jobStatus of job 99999 that does not exist: InvalidJobException (code 18)",
)
def test_status_of_unknown_job_is_invalid(drmaa, session):
    """jobStatus of a well-formed job id that does not exist raises InvalidJobException."""
    expect_raises(drmaa.InvalidJobException, lambda: session.jobStatus("999999999"), code=18)


@case(
    "GFD.130 Session.jobStatus (INVALID_JOB)",
    ge="jobStatus of a bulk job's id without task, or of task 9 of 2: InvalidJobException",
)
@ge_choice("bulk job ids are implementation-defined")
def test_status_of_bulk_parent_or_missing_task_is_invalid(drmaa, session, jobs):
    """Only task ids of a bulk job have a status: '<job>' and '<job>.<missing>' are invalid."""
    ids = session.runBulkJobs(jobs.sleeper(jobs.long), 1, 2, 1)
    parent = ids[0].split(".")[0]
    expect_raises(drmaa.InvalidJobException, lambda: session.jobStatus(parent), code=18)
    expect_raises(drmaa.InvalidJobException, lambda: session.jobStatus(parent + ".9"), code=18)


@case("GFD.143 Session.control (operation names)")
def test_control_with_unknown_action_is_refused(drmaa, session, jobs):
    """control() with an action that is not a JobControlAction raises ValueError (binding)."""
    job = jobs.run_held(1)
    with pytest.raises(ValueError):
        session.control(job, "explode")
