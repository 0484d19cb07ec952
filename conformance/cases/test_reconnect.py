"""Reconnecting to a session by its contact, and the jobs lost on the way.

Spec: GFD.130 Session.init (contact) and Session.exit ("does not affect jobs"); whether a
session's job list survives an exit is left to the implementation.
Grid Engine facts: shared/facts/sge_jobs_probe.out ("lost job on reconnect").
"""

from conformance.kit import case, expect_raises, ge_choice

LOST = (
    "a job that finished while no session was connected: jobStatus and wait raise "
    "InvalidJobException (code 18); a job still running is seen and can be waited for"
)


def _short_then_disconnect(drmaa, jobs, long_seconds=None):
    """Submit a short and (optionally) a long job, let them start, exit the session."""
    contact = jobs.init()
    short = jobs.run_sleeper(1)
    long_ = jobs.run_sleeper(long_seconds) if long_seconds else None
    jobs.wait_running(short)
    if long_:
        jobs.wait_running(long_)
    drmaa.Session.exit()
    return contact, short, long_


@case("GFD.130 Session.init (contact); Session.wait", official=["st_recoverable_session"])
def test_recoverable_session(drmaa, jobs):
    """init, run a job, exit; init with the contact; the job can still be waited for."""
    contact = jobs.init()
    job = jobs.run_sleeper(3)
    drmaa.Session.exit()
    jobs.init(contact)
    info = jobs.finish(job)
    assert info.jobId == job
    assert info.hasExited and info.exitStatus == 0


@case("GFD.130 Session.exit", official=["st_recoverable_session"])
def test_exit_leaves_jobs_running(drmaa, jobs):
    """exit() does not affect jobs: a running job is still running after reconnecting."""
    contact = jobs.init()
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    drmaa.Session.exit()
    jobs.pass_time(1)
    jobs.init(contact)
    assert drmaa.Session.jobStatus(job) == drmaa.JobState.RUNNING


@case("GFD.130 Session.init (contact)", ge=LOST)
@ge_choice("the spec leaves session persistence to the implementation")
def test_job_finished_while_disconnected_is_lost(drmaa, jobs):
    """A job that ends while no session is connected is unknown after reconnecting."""
    contact, short, _ = _short_then_disconnect(drmaa, jobs)
    jobs.pass_time(4)  # the 1 s job ends while disconnected
    jobs.init(contact)
    expect_raises(drmaa.InvalidJobException, lambda: drmaa.Session.jobStatus(short), code=18)
    expect_raises(drmaa.InvalidJobException, lambda: drmaa.Session.wait(short, 2), code=18)


@case("GFD.130 Session.init (contact); Session.wait", official=["st_recoverable_session"], ge=LOST)
def test_running_job_survives_reconnect(drmaa, jobs):
    """A job still running at reconnect is seen (RUNNING) and wait() reaps it."""
    contact, _, long_ = _short_then_disconnect(drmaa, jobs, long_seconds=6)
    jobs.init(contact)
    assert drmaa.Session.jobStatus(long_) == drmaa.JobState.RUNNING
    info = jobs.finish(long_)
    assert info.jobId == long_ and info.hasExited and info.exitStatus == 0


@case("GFD.130 Session.init (contact); Session.wait (JOB_IDS_SESSION_ANY)", ge=LOST)
@ge_choice("which jobs a reconnected session knows is implementation-defined")
def test_wait_any_after_reconnect_sees_only_survivors(drmaa, jobs):
    """After reconnecting, wait(ANY) returns the surviving job, then InvalidJobException."""
    contact, _short, long_ = _short_then_disconnect(drmaa, jobs, long_seconds=8)
    jobs.pass_time(4)
    jobs.init(contact)
    info = drmaa.Session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, jobs.wait_timeout())
    assert info.jobId == long_
    expect_raises(
        drmaa.InvalidJobException,
        lambda: drmaa.Session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 2),
        code=18,
    )


@case("GFD.130 Session.init (contact)", ge=LOST)
@ge_choice("the spec leaves session persistence to the implementation")
def test_several_reconnect_cycles(drmaa, jobs):
    """Across three exit/reconnect cycles the long job survives and each short one is lost."""
    contact = jobs.init()
    long_ = jobs.run_sleeper(jobs.long)
    lost = []
    for _ in range(3):
        short = jobs.run_sleeper(1)
        jobs.wait_running(short)
        drmaa.Session.exit()
        jobs.pass_time(4)
        assert jobs.init(contact) == contact
        lost.append(short)
        assert drmaa.Session.jobStatus(long_) == drmaa.JobState.RUNNING
        for job in lost:
            expect_raises(drmaa.InvalidJobException, lambda j=job: drmaa.Session.jobStatus(j))


@case("GFD.130 Session.control (JOB_IDS_SESSION_ALL)", ge=LOST)
@ge_choice("whether JOB_IDS_SESSION_ALL spans earlier connections is implementation-defined")
def test_session_all_after_reconnect_includes_earlier_jobs(drmaa, jobs):
    """control(ALL, TERMINATE) after reconnecting reaches jobs submitted before the exit."""
    contact = jobs.init()
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    drmaa.Session.exit()
    jobs.init(contact)
    drmaa.Session.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
    info = jobs.finish(job)
    assert info.jobId == job and not info.hasExited


@case("GFD.130 Session.wait (INVALID_JOB)")
@ge_choice("a new session (no contact) does not know an earlier session's jobs on Grid Engine")
def test_new_session_cannot_wait_for_earlier_sessions_job(drmaa, jobs):
    """A job from an exited session cannot be waited for in a new, different session."""
    contact = jobs.init()
    job = jobs.run_sleeper(jobs.long)
    drmaa.Session.exit()
    # Grid Engine derives a new session key from rand_r() seeded with the current second:
    # two initialize() calls of one process within the same second get the same key
    jobs.pass_time(1.5)
    assert jobs.init() != contact
    expect_raises(drmaa.InvalidJobException, lambda: drmaa.Session.wait(job, 0), code=18)


@case("GFD.130 Session.jobStatus")
@ge_choice("Grid Engine answers jobStatus from the qmaster, for jobs of any session")
def test_new_session_sees_status_of_earlier_sessions_running_job(drmaa, jobs):
    """jobStatus of a job from an exited session still answers RUNNING in a new session."""
    contact = jobs.init()
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    drmaa.Session.exit()
    jobs.pass_time(1.5)  # a different second: a different session key (see above)
    assert jobs.init() != contact
    assert drmaa.Session.jobStatus(job) == drmaa.JobState.RUNNING


@case(
    "GFD.130 Session.init (contact); Session.wait",
    ge="a bulk task that ended (before exit() or while no session was connected) while its "
    "array job still has a task running: 'done' after reconnecting (also one terminated, "
    "'failed' before the exit); wait on it, or wait(ANY), which hands it out, raises the "
    "bare Exception code 24 (no usage) and forgets it (sge_array_probe, "
    "sge_reconnect_tasks_probe, and this case's runs on the real cell)",
)
@ge_choice("the spec leaves session persistence to the implementation")
def test_task_of_a_live_array_outlives_the_session_without_usage(drmaa, jobs):
    """The ended task is still known, but its usage went with the session, and so did its
    failure: a terminated task shows 'done'."""
    s = drmaa.Session
    contact = jobs.init()
    ids = s.runBulkJobs(jobs.sleeper(jobs.long), 1, 2, 1)
    for task in ids:
        jobs.wait_running(task)
    s.control(ids[1], drmaa.JobControlAction.TERMINATE)
    jobs.wait_state(ids[1], drmaa.JobState.FAILED)
    s.exit()
    jobs.init(contact)
    assert s.jobStatus(ids[1]) == drmaa.JobState.DONE
    expect_raises(Exception, lambda: s.wait(s.JOB_IDS_SESSION_ANY, 1), code=24)
    expect_raises(drmaa.InvalidJobException, lambda: s.jobStatus(ids[1]), code=18)
    assert s.jobStatus(ids[0]) == drmaa.JobState.RUNNING  # the other task goes on
