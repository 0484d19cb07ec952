"""wait and synchronize: timeouts, JOB_IDS_SESSION_ANY / ALL, dispose, reaping.

Spec: GFD.130 Session.wait, Session.synchronize (TIMEOUT_WAIT_FOREVER, TIMEOUT_NO_WAIT,
JOB_IDS_SESSION_ANY, JOB_IDS_SESSION_ALL, dispose, EXIT_TIMEOUT, INVALID_JOB).
Grid Engine facts: shared/facts/sge_jobs_probe.out (a reaped job is forgotten; wait(ANY)
with nothing left raises InvalidJobException; wait(job, NO_WAIT) on a running job raises
ExitTimeoutException) and measurements with each case.
"""

import pytest

from conformance.kit import case, expect_raises, ge_choice, real_jobs

REAPED = (
    "a job reaped by wait is forgotten: jobStatus/wait raise InvalidJobException; "
    "wait(ANY) with nothing left raises InvalidJobException"
)


@case("GFD.130 Session.wait (TIMEOUT_WAIT_FOREVER); GFD.143 JobInfo", official=["st_submit_wait"])
def test_wait_forever_returns_job_info(drmaa, session, jobs):
    """wait(job, FOREVER) returns a JobInfo with the documented field types."""
    job = jobs.run_sleeper(1)
    info = jobs.bounded(lambda: session.wait(job, session.TIMEOUT_WAIT_FOREVER))
    assert info.jobId == job
    assert type(info.hasExited) is bool and type(info.hasSignal) is bool
    assert type(info.terminatedSignal) is str and type(info.hasCoreDump) is bool
    assert type(info.wasAborted) is bool and type(info.exitStatus) is int
    assert type(info.resourceUsage) is dict


@case(
    "GFD.130 Session.wait (TIMEOUT_NO_WAIT, EXIT_TIMEOUT)",
    official=["st_submit_polling_wait_zerotimeout"],
    ge="wait(job, TIMEOUT_NO_WAIT) on a running job: ExitTimeoutException (code 23)",
)
def test_wait_zero_timeout_on_running_job(drmaa, session, jobs):
    """wait(job, NO_WAIT) on an unfinished job raises ExitTimeoutException at once."""
    job = jobs.run_sleeper(jobs.long)
    expect_raises(
        drmaa.ExitTimeoutException, lambda: session.wait(job, session.TIMEOUT_NO_WAIT), code=23
    )


@case("GFD.130 Session.wait (timeout, EXIT_TIMEOUT)", official=["st_submit_polling_wait_timeout"])
def test_wait_positive_timeout_on_running_job(drmaa, session, jobs):
    """wait(job, 2) on a job that runs longer raises ExitTimeoutException after about 2 s."""
    job = jobs.run_sleeper(jobs.long)
    start = jobs.backend.now()
    expect_raises(drmaa.ExitTimeoutException, lambda: session.wait(job, 2), code=23)
    assert jobs.backend.now() - start >= 1.5


@case(
    "GFD.130 Session.synchronize (TIMEOUT_NO_WAIT, EXIT_TIMEOUT)",
    official=["st_submit_polling_synchronize_zerotimeout"],
)
def test_synchronize_zero_timeout_on_running_job(drmaa, session, jobs):
    """synchronize([job], NO_WAIT) on an unfinished job raises ExitTimeoutException."""
    job = jobs.run_sleeper(jobs.long)
    expect_raises(
        drmaa.ExitTimeoutException,
        lambda: session.synchronize([job], session.TIMEOUT_NO_WAIT, True),
        code=23,
    )


@case(
    "GFD.130 Session.synchronize (timeout, EXIT_TIMEOUT)",
    official=["st_submit_polling_synchronize_timeout"],
)
def test_synchronize_positive_timeout_on_running_job(drmaa, session, jobs):
    """synchronize([job], 2) on a job that runs longer raises ExitTimeoutException after ~2 s."""
    job = jobs.run_sleeper(jobs.long)
    start = jobs.backend.now()
    expect_raises(drmaa.ExitTimeoutException, lambda: session.synchronize([job], 2, False), code=23)
    assert jobs.backend.now() - start >= 1.5


@case("GFD.130 Session.wait (timeout)")
def test_wait_again_after_timeout(drmaa, session, jobs):
    """After a wait that timed out, waiting again for the same job succeeds."""
    job = jobs.run_sleeper(3)
    expect_raises(drmaa.ExitTimeoutException, lambda: session.wait(job, 1))
    assert jobs.finish(job).jobId == job


@case("GFD.130 Session.wait (JOB_IDS_SESSION_ANY)", official=["st_submit_wait"])
def test_wait_any_returns_one_of_the_jobs(session, jobs):
    """wait(JOB_IDS_SESSION_ANY) returns the info of one of the session's jobs."""
    ids = {jobs.run_sleeper(1), jobs.run_sleeper(2)}
    info = session.wait(session.JOB_IDS_SESSION_ANY, jobs.wait_timeout())
    assert info.jobId in ids


@case("GFD.130 Session.wait (JOB_IDS_SESSION_ANY, INVALID_JOB)", ge=REAPED)
def test_wait_any_until_nothing_left(drmaa, session, jobs):
    """wait(ANY) repeatedly reaps every job once, then raises InvalidJobException."""
    ids = {jobs.run_sleeper(1) for _ in range(3)} | set(
        session.runBulkJobs(jobs.sleeper(1), 1, 2, 1)
    )
    seen = set()
    for _ in ids:
        seen.add(session.wait(session.JOB_IDS_SESSION_ANY, jobs.wait_timeout()).jobId)
    assert seen == ids
    expect_raises(
        drmaa.InvalidJobException,
        lambda: session.wait(session.JOB_IDS_SESSION_ANY, jobs.wait_timeout()),
        code=18,
    )


@case("GFD.130 Session.wait (JOB_IDS_SESSION_ANY, INVALID_JOB)", official=["st_empty_session_wait"])
def test_wait_any_on_empty_session(drmaa, session, jobs):
    """wait(ANY, FOREVER) on a session without jobs raises InvalidJobException at once."""
    expect_raises(
        drmaa.InvalidJobException,
        lambda: jobs.bounded(
            lambda: session.wait(session.JOB_IDS_SESSION_ANY, session.TIMEOUT_WAIT_FOREVER)
        ),
        code=18,
    )


@pytest.mark.parametrize("dispose", [True, False], ids=["dispose", "nodispose"])
@case(
    "GFD.130 Session.synchronize (JOB_IDS_SESSION_ALL)",
    official=["st_empty_session_synchronize_dispose", "st_empty_session_synchronize_nodispose"],
)
def test_synchronize_all_on_empty_session(session, jobs, dispose):
    """synchronize([ALL], FOREVER) on a session without jobs returns at once."""
    jobs.bounded(
        lambda: session.synchronize(
            [session.JOB_IDS_SESSION_ALL], session.TIMEOUT_WAIT_FOREVER, dispose
        )
    )


def _mixture(session, jobs):
    """Single sleepers and a bulk job: the 'submit mixture' of Grid Engine's test program."""
    ids = [jobs.run_sleeper(1) for _ in range(2)]
    ids += session.runBulkJobs(jobs.sleeper(1), 1, 3, 1)
    ids.append(jobs.run_sleeper(2))
    return ids


@case(
    "GFD.130 Session.synchronize (JOB_IDS_SESSION_ALL, dispose)",
    official=["st_submitmixture_sync_all_dispose"],
    ge=REAPED,
)
def test_mixture_synchronize_all_dispose(drmaa, session, jobs):
    """synchronize([ALL], dispose=True) returns when all are done; nothing is left to wait for."""
    ids = _mixture(session, jobs)
    jobs.bounded(
        lambda: session.synchronize(
            [session.JOB_IDS_SESSION_ALL], session.TIMEOUT_WAIT_FOREVER, True
        )
    )
    for job in ids:
        expect_raises(drmaa.InvalidJobException, lambda j=job: session.jobStatus(j))
    expect_raises(
        drmaa.InvalidJobException,
        lambda: session.wait(session.JOB_IDS_SESSION_ANY, session.TIMEOUT_NO_WAIT),
    )


@case(
    "GFD.130 Session.synchronize (JOB_IDS_SESSION_ALL, no dispose); Session.wait (ANY)",
    official=["st_submitmixture_sync_all_nodispose"],
    ge=REAPED,
)
def test_mixture_synchronize_all_nodispose(drmaa, session, jobs):
    """synchronize([ALL], dispose=False) keeps records: wait(ANY) reaps each, then INVALID_JOB."""
    ids = _mixture(session, jobs)
    jobs.bounded(
        lambda: session.synchronize(
            [session.JOB_IDS_SESSION_ALL], session.TIMEOUT_WAIT_FOREVER, False
        )
    )
    for job in ids:
        assert session.jobStatus(job) == drmaa.JobState.DONE
    seen = [session.wait(session.JOB_IDS_SESSION_ANY, session.TIMEOUT_NO_WAIT).jobId for _ in ids]
    assert sorted(seen) == sorted(ids)
    expect_raises(
        drmaa.InvalidJobException,
        lambda: jobs.bounded(
            lambda: session.wait(session.JOB_IDS_SESSION_ANY, session.TIMEOUT_WAIT_FOREVER)
        ),
    )


@case(
    "GFD.130 Session.synchronize (job list, dispose)",
    official=["st_submitmixture_sync_allids_dispose"],
    ge=REAPED,
)
def test_mixture_synchronize_ids_dispose(drmaa, session, jobs):
    """synchronize(all ids, dispose=True): every listed job is done and forgotten."""
    ids = _mixture(session, jobs)
    jobs.bounded(lambda: session.synchronize(ids, session.TIMEOUT_WAIT_FOREVER, True))
    for job in ids:
        expect_raises(drmaa.InvalidJobException, lambda j=job: session.wait(j, 0))
    expect_raises(
        drmaa.InvalidJobException,
        lambda: session.wait(session.JOB_IDS_SESSION_ANY, session.TIMEOUT_NO_WAIT),
    )


@case(
    "GFD.130 Session.synchronize (job list, no dispose); Session.wait (ANY)",
    official=["st_submitmixture_sync_allids_nodispose"],
    ge=REAPED,
)
def test_mixture_synchronize_ids_nodispose(drmaa, session, jobs):
    """synchronize(all ids, dispose=False), then wait(ANY) until InvalidJobException."""
    ids = _mixture(session, jobs)
    jobs.bounded(lambda: session.synchronize(ids, session.TIMEOUT_WAIT_FOREVER, False))
    seen = [session.wait(session.JOB_IDS_SESSION_ANY, session.TIMEOUT_NO_WAIT).jobId for _ in ids]
    assert sorted(seen) == sorted(ids)
    expect_raises(
        drmaa.InvalidJobException,
        lambda: session.wait(session.JOB_IDS_SESSION_ANY, session.TIMEOUT_NO_WAIT),
    )


@case("GFD.130 Session.wait (reaping)", ge=REAPED)
def test_reaped_job_is_forgotten(drmaa, session, jobs):
    """After wait() reaped a job, jobStatus and wait on it raise InvalidJobException."""
    job = jobs.run_sleeper(0)
    jobs.finish(job)
    expect_raises(drmaa.InvalidJobException, lambda: session.jobStatus(job), code=18)
    expect_raises(drmaa.InvalidJobException, lambda: session.wait(job, 1), code=18)


@case("GFD.130 Session.synchronize (dispose)", ge=REAPED)
def test_synchronize_dispose_forgets_job(drmaa, session, jobs):
    """synchronize([job], dispose=True) reaps it: jobStatus then raises InvalidJobException."""
    job = jobs.run_sleeper(0)
    session.synchronize([job], jobs.wait_timeout(), True)
    expect_raises(drmaa.InvalidJobException, lambda: session.jobStatus(job), code=18)


@case(
    "GFD.130 Session.synchronize (dispose)",
    ge="a job already finished when synchronize([ALL], dispose=True) is called stays "
    "waitable (only unfinished jobs are disposed)",
)
@ge_choice("Grid Engine's synchronize(ALL, dispose) only disposes jobs unfinished at the call")
def test_synchronize_all_dispose_skips_already_finished_jobs(drmaa, session, jobs):
    """A job finished (synchronized, not disposed) before sync(ALL, dispose) stays waitable."""
    job = jobs.run_sleeper(0)
    session.synchronize([job], jobs.wait_timeout(), False)
    session.synchronize([session.JOB_IDS_SESSION_ALL], jobs.wait_timeout(), True)
    assert session.jobStatus(job) == drmaa.JobState.DONE
    assert session.wait(job, session.TIMEOUT_NO_WAIT).jobId == job


@case(
    "GFD.130 Session.synchronize",
    official=["st_synchronize_nonexistant"],
    ge="synchronize(['999999'], ...) with an unknown id returns at once",
)
@ge_choice("Grid Engine treats an unknown job id in synchronize as already finished")
def test_synchronize_with_unknown_job_beside_real_one(drmaa, session, jobs):
    """synchronize([unknown, real]) waits for the real job and ignores the unknown id."""
    job = jobs.run_sleeper(1)
    session.synchronize(["999999999", job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.DONE


@case("GFD.130 Session.wait (bulk tasks)", official=["st_bulk_submit_wait"])
def test_wait_any_reports_bulk_task_ids(session, jobs):
    """wait(ANY) on a bulk job returns the task ids runBulkJobs gave out."""
    ids = session.runBulkJobs(jobs.sleeper(0), 1, 3, 1)
    seen = {session.wait(session.JOB_IDS_SESSION_ANY, jobs.wait_timeout()).jobId for _ in ids}
    assert seen == set(ids)


@pytest.mark.parametrize("call", ["wait", "synchronize"])
@case(
    "GFD.130 Session.wait / synchronize (timeout)",
    ge="wait(ANY, -5): InvalidArgumentException (code 4) 'Negative timeout values are not "
    "allowed.'",
)
@ge_choice("the spec only defines -1 (forever); Grid Engine refuses other negative timeouts")
def test_negative_timeout_is_invalid_argument(drmaa, session, jobs, call):
    """A timeout below -1 raises InvalidArgumentException."""
    job = jobs.run_sleeper(0)
    if call == "wait":
        op = lambda: session.wait(job, -5)  # noqa: E731
    else:
        op = lambda: session.synchronize([job], -5, True)  # noqa: E731
    expect_raises(drmaa.InvalidArgumentException, op, code=4)


@pytest.mark.parametrize("call", ["wait", "synchronize"])
@case(
    "GFD.130 Session.wait / synchronize (INVALID_ARGUMENT)",
    ge="wait('abc'): InvalidArgumentException (code 4)",
)
@ge_choice("how an unparsable job id is reported is implementation-defined")
def test_garbage_job_id_in_wait_is_invalid_argument(drmaa, session, call):
    """wait/synchronize with a job id that does not parse raise InvalidArgumentException."""
    if call == "wait":
        op = lambda: session.wait("abc", 1)  # noqa: E731
    else:
        op = lambda: session.synchronize(["abc"], 1, True)  # noqa: E731
    expect_raises(drmaa.InvalidArgumentException, op, code=4)


@case(
    "GFD.130 Session.wait (INVALID_JOB)",
    ge="wait on an id unknown to the session: InvalidJobException (code 18)",
)
def test_wait_unknown_job_is_invalid(drmaa, session):
    """wait() for a job id the session does not know raises InvalidJobException."""
    expect_raises(drmaa.InvalidJobException, lambda: session.wait("999999999", 1), code=18)


# ------------------------------------------------------------------ array jobs by number
def _tasks_sleeping(jobs, *seconds):
    """A bulk template whose task i sleeps seconds[i-1] (a real job reads SGE_TASK_ID)."""
    script = "; ".join(f'[ "$SGE_TASK_ID" = {i} ] && sleep {s}' for i, s in enumerate(seconds, 1))
    return jobs.shell(script + "; exit 0")


@case(
    "GFD.130 Session.wait; Session.runBulkJobs",
    ge="wait(bare array number) is wait(N.1): task 1's JobInfo, however the other tasks "
    "stand; once N.1 is reaped, code 18 (sge_array_probe)",
)
@ge_choice("what a bulk job's own number names is implementation-defined")
@real_jobs("tasks of one bulk job that run for different times")
def test_wait_on_a_bare_array_number_is_task_1(drmaa, session, jobs):
    """Task 1 (the slowest) is returned; the others stay for wait(ANY)."""
    ids = session.runBulkJobs(_tasks_sleeping(jobs, 3, 0, 0), 1, 3, 1)
    number = ids[0].split(".")[0]
    assert jobs.finish(number).jobId == ids[0]
    expect_raises(drmaa.InvalidJobException, lambda: session.wait(number, 1), code=18)
    assert sorted(jobs.finish(session.JOB_IDS_SESSION_ANY).jobId for _ in ids[1:]) == ids[1:]


@case(
    "GFD.130 Session.synchronize; Session.runBulkJobs",
    ge="synchronize([bare array number], dispose=True) waits for and disposes of task 1 "
    "only (sge_array_probe)",
)
@ge_choice("what a bulk job's own number names is implementation-defined")
def test_synchronize_a_bare_array_number_is_task_1(drmaa, session, jobs):
    """Only N.1 is disposed of; the other tasks can still be waited for."""
    ids = session.runBulkJobs(jobs.sleeper(0), 1, 3, 1)
    number = ids[0].split(".")[0]
    session.synchronize([number], jobs.wait_timeout(), True)
    expect_raises(drmaa.InvalidJobException, lambda: session.jobStatus(ids[0]), code=18)
    for task in ids[1:]:
        assert jobs.finish(task).jobId == task


@case(
    "GFD.130 Session.wait (JOB_IDS_SESSION_ANY)",
    ge="wait(ANY) on finished tasks of one bulk job hands them out in the order they "
    "ended, not by task number (sge_array_probe)",
)
@ge_choice("the order of wait(ANY) is implementation-defined")
@real_jobs("tasks of one bulk job that run for different times")
def test_wait_any_gives_tasks_in_the_order_they_ended(drmaa, session, jobs):
    """Tasks sleeping 4, 2, 0 s come out as N.3, N.2, N.1."""
    ids = session.runBulkJobs(_tasks_sleeping(jobs, 4, 2, 0), 1, 3, 1)
    session.synchronize(ids, jobs.wait_timeout(), False)
    got = [session.wait(session.JOB_IDS_SESSION_ANY, 5).jobId for _ in ids]
    assert got == list(reversed(ids))


@case(
    "GFD.130 Session.control",
    ge="control('N.7', HOLD) for a missing task of a live array: OK; TERMINATE: code 18 "
    "'There are no jobs registered' (sge_array_probe)",
)
@ge_choice("how a missing task of a live array job is treated is implementation-defined")
def test_control_of_a_missing_task_of_a_live_array(drmaa, session, jobs):
    """HOLD is accepted; TERMINATE raises InvalidJobException."""
    ids = session.runBulkJobs(jobs.sleeper(jobs.long, jobSubmissionState="drmaa_hold"), 1, 3, 1)
    missing = ids[0].split(".")[0] + ".7"
    assert session.control(missing, drmaa.JobControlAction.HOLD) is None
    expect_raises(
        drmaa.InvalidJobException,
        lambda: session.control(missing, drmaa.JobControlAction.TERMINATE),
        code=18,
    )
