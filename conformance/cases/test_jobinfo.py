"""JobInfo: exit codes 0..255, signals, aborted jobs, resource usage.

Spec: GFD.130 Session.wait (stat: WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG,
WCOREDUMP, WIFABORTED; rusage), GFD.143 JobInfo (the namedtuple).
Grid Engine facts: shared/facts/sge_jobs_probe.out (exit 3; kill -9 -> 'SIGKILL';
terminate -> wasAborted; resourceUsage a dict of strings like '0.0000').
"""

import pytest

from conformance.kit import case, expect_raises, ge_choice, real_jobs

#: exit codes checked on real clocks unless --drmaa-exhaustive (all 256 on sim-virtual)
#: Grid Engine gives two exit codes a meaning of its own (99: requeue the job, 100: put it in
#: error state): they have their own cases below.
GE_RESERVED = (99, 100)
SAMPLE_EXIT_CODES = [0, 1, 2, 3, 7, 42, 98, 101, 126, 127, 128, 129, 137, 200, 254, 255]

USAGE = (
    "resourceUsage is a dict of str -> str such as 'start_time', 'end_time', "
    "'submission_time', 'ru_wallclock', 'exit_status', 'signal', 'cpu', 'mem', 'maxvmem', "
    "values like '0.0000'"
)


@case("GFD.143 JobInfo")
def test_jobinfo_fields(drmaa, session, jobs):
    """JobInfo is a namedtuple with drmaa-python's eight fields, in order."""
    info = jobs.finish(jobs.run_exit(0))
    assert info._fields == (
        "jobId",
        "hasExited",
        "hasSignal",
        "terminatedSignal",
        "hasCoreDump",
        "wasAborted",
        "exitStatus",
        "resourceUsage",
    )
    assert drmaa.JobInfo._fields == info._fields


@case(
    "GFD.130 Session.wait (WIFEXITED, WEXITSTATUS)",
    official=["st_exit_status"],
    ge="exit 3: hasExited True, exitStatus 3, hasSignal False, wasAborted False",
)
def test_exit_status_fields(session, jobs):
    """A job exiting with 3: hasExited, exitStatus 3, no signal, not aborted."""
    info = jobs.finish(jobs.run_exit(3))
    assert (
        info.hasExited,
        info.exitStatus,
        info.hasSignal,
        info.terminatedSignal,
        info.hasCoreDump,
        info.wasAborted,
    ) == (True, 3, False, "", False, False)


@case("GFD.130 Session.wait (WEXITSTATUS)", official=["st_exit_status"])
def test_every_exit_status(session, jobs, exhaustive):
    """Jobs exiting with i report exitStatus i (all of 0..255 but Grid Engine's reserved 99
    and 100 on the virtual clock or with --drmaa-exhaustive; a spread sample otherwise)."""
    codes = [c for c in range(256) if c not in GE_RESERVED] if exhaustive else SAMPLE_EXIT_CODES
    ids = {jobs.run_exit(code): code for code in codes}
    session.synchronize(list(ids), jobs.wait_timeout(), False)
    wrong = {}
    for job, code in ids.items():
        info = session.wait(job, session.TIMEOUT_NO_WAIT)
        if not (info.hasExited and info.exitStatus == code):
            wrong[code] = (info.hasExited, info.exitStatus)
    assert not wrong, f"exit code -> (hasExited, exitStatus) mismatches: {wrong}"


@case(
    "GFD.130 Session.wait (WIFSIGNALED, WTERMSIG)",
    official=["st_submit_kill_sig"],
    ge="kill -9 $$: hasExited False, hasSignal True, terminatedSignal 'SIGKILL'",
)
def test_killed_by_signal(session, jobs):
    """A job killed by SIGKILL: hasSignal, terminatedSignal 'SIGKILL', not exited."""
    info = jobs.finish(session.runJob(jobs.shell("kill -9 $$")))
    assert info.hasSignal and not info.hasExited
    assert info.terminatedSignal == "SIGKILL"


@pytest.mark.parametrize("signal", ["TERM", "USR1", "INT", "HUP"])
@case(
    "GFD.130 Session.wait (WTERMSIG)",
    official=["st_submit_kill_sig"],
    ge="kill -TERM $$ -> 'SIGTERM', kill -USR1 $$ -> 'SIGUSR1'",
)
@ge_choice("the signal string's format is implementation-defined (Grid Engine: 'SIG' + name)")
def test_signal_names(session, jobs, signal):
    """terminatedSignal names the signal as 'SIG<NAME>'."""
    info = jobs.finish(session.runJob(jobs.shell(f"kill -{signal} $$")))
    assert info.hasSignal and info.terminatedSignal == f"SIG{signal}"


@case("GFD.130 Session.wait (WCOREDUMP)", ge="kill -SEGV $$: hasCoreDump True")
@ge_choice("whether a core was dumped depends on the execution host's settings")
def test_core_dump_flag(session, jobs):
    """A job killed by SIGSEGV reports hasCoreDump on Grid Engine's execution hosts."""
    info = jobs.finish(session.runJob(jobs.shell("kill -SEGV $$")))
    assert info.hasSignal and info.terminatedSignal == "SIGSEGV"
    assert info.hasCoreDump


@case(
    "GFD.130 Session.wait (WIFABORTED)",
    ge="a running job terminated by control(TERMINATE): hasExited False, hasSignal False, "
    "wasAborted True",
)
@ge_choice(
    "the spec calls a job aborted when it ended before running; Grid Engine also "
    "reports a running job terminated through DRMAA as aborted"
)
def test_terminated_running_job_is_aborted(drmaa, session, jobs):
    """A running job terminated with control() is reported aborted, without signal or exit."""
    job = jobs.run_sleeper(jobs.long)
    jobs.wait_running(job)
    session.control(job, drmaa.JobControlAction.TERMINATE)
    info = jobs.finish(job)
    assert (info.hasExited, info.hasSignal, info.wasAborted) == (False, False, True)


@case("GFD.130 Session.wait (rusage)", official=["st_usage_check"], ge=USAGE)
def test_resource_usage_is_dict_of_strings(session, jobs):
    """wait returns resource usage for a finished job: a non-empty dict of str -> str."""
    info = jobs.finish(jobs.run_exit(0))
    usage = info.resourceUsage
    assert isinstance(usage, dict) and usage
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in usage.items())


@case("GFD.130 Session.wait (rusage)", official=["st_usage_check"], ge=USAGE)
@ge_choice("resource usage names and formats are implementation-defined")
def test_resource_usage_names_on_grid_engine(session, jobs):
    """Grid Engine's usage has its accounting names, every value a float with 4 decimals."""
    info = jobs.finish(jobs.run_exit(5))
    usage = info.resourceUsage
    expected = {
        "submission_time",
        "start_time",
        "end_time",
        "ru_wallclock",
        "exit_status",
        "signal",
        "cpu",
        "mem",
        "maxvmem",
        "io",
        "vmem",
        "priority",
    }
    assert expected <= set(usage), f"missing: {sorted(expected - set(usage))}"
    for key, value in usage.items():
        float(value)
        assert value.count(".") == 1 and len(value.split(".")[1]) == 4, (key, value)
    assert float(usage["exit_status"]) == 5


@case("GFD.130 Session.wait (rusage)", official=["st_usage_check"], ge=USAGE)
@ge_choice("resource usage names are implementation-defined")
def test_resource_usage_times(session, jobs):
    """submission <= start <= end, and ru_wallclock covers a 2 s job."""
    info = jobs.finish(session.runJob(jobs.shell("sleep 2; exit 0")))
    usage = {k: float(v) for k, v in info.resourceUsage.items()}
    assert usage["submission_time"] <= usage["start_time"] <= usage["end_time"]
    assert usage["end_time"] - usage["start_time"] >= 1
    assert usage["ru_wallclock"] >= 1


@case(
    "GFD.130 Session.wait (rusage)",
    official=["st_usage_check"],
    ge="a CPU-bound job of 2-3 s: cpu = acct_cpu = ru_utime + ru_stime > 0, ru_maxrss > 0 "
    "(KiB), maxvmem > 0 (bytes, sampled about once a second), ru_wallclock >= 1 "
    "(sge_usage_probe)",
)
@ge_choice("resource usage names are implementation-defined")
@real_jobs("only a real process uses CPU and memory")
def test_resource_usage_of_a_busy_job(session, jobs):
    """A job busy for 2-3 s reports the CPU and memory it used."""
    busy = 't=$(($(date +%s) + 3)); while [ "$(date +%s)" -lt "$t" ]; do :; done'
    info = jobs.finish(session.runJob(jobs.shell(busy)))
    usage = {k: float(v) for k, v in info.resourceUsage.items()}
    assert info.hasExited and info.exitStatus == 0
    assert usage["cpu"] > 0.5 and usage["acct_cpu"] == usage["cpu"]
    assert abs(usage["cpu"] - usage["ru_utime"] - usage["ru_stime"]) < 0.01
    assert usage["ru_utime"] > 0
    assert usage["ru_maxrss"] > 0 and usage["maxvmem"] > 0
    assert usage["ru_wallclock"] >= 1


@case(
    "GFD.130 Session.wait (WEXITSTATUS)",
    ge="exit 99: the job is requeued and runs again (queued_active, never done)",
)
@ge_choice("Grid Engine reserves exit status 99 to mean 'requeue this job'")
def test_exit_99_requeues_the_job(drmaa, session, jobs):
    """A job exiting with 99 does not finish on Grid Engine: it is requeued and runs again."""
    job = jobs.run_exit(99)
    jobs.pass_time(4)
    assert session.jobStatus(job) in (drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.RUNNING)
    expect_raises(drmaa.ExitTimeoutException, lambda: session.wait(job, session.TIMEOUT_NO_WAIT))


@case(
    "GFD.130 Session.wait (WIFABORTED)",
    ge="exit 100: jobStatus 'failed'; wait: hasExited False, wasAborted True",
)
@ge_choice("Grid Engine reserves exit status 100 ('error'); DRMAA jobs then fail as aborted")
def test_exit_100_fails_the_job(drmaa, session, jobs):
    """A job exiting with 100 ends FAILED on Grid Engine and is reported aborted."""
    job = jobs.run_exit(100)
    session.synchronize([job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.FAILED
    info = session.wait(job, session.TIMEOUT_NO_WAIT)
    assert (info.hasExited, info.wasAborted) == (False, True)


@pytest.mark.parametrize("escape", ["setsid", "double_fork"])
@case(
    "GFD.130 Session.wait; Session.control (TERMINATE)",
    ge="a child that left the job's process group (setsid, a double fork) is killed when "
    "the job ends by itself or is terminated (sge_escaped_children_probe)",
)
@ge_choice("whether a job's escaped children outlive it is DRM-specific")
@real_jobs("the child of a real job writes a file")
def test_escaped_children_die_with_the_job(session, jobs, drmaa_job_dir, escape):
    """A heartbeat left behind by the job stops once wait has returned."""
    beat = drmaa_job_dir / "heartbeat"
    loop = f"while :; do echo x >> {beat}; sleep 0.05; done"
    start = {"setsid": f"setsid sh -c '{loop}' &", "double_fork": f"sh -c '({loop}) &' &"}
    info = jobs.finish(session.runJob(jobs.shell(f"{start[escape]} sleep 1")))
    assert info.hasExited and info.exitStatus == 0
    jobs.pass_time(1)
    size = beat.stat().st_size
    assert size > 0
    jobs.pass_time(1)
    assert beat.stat().st_size == size
