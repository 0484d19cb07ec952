"""Submission: single and bulk jobs, hold on submit, environment, directories, stream paths.

Spec: GFD.130 Session.runJob / runBulkJobs, JobTemplate attributes (remoteCommand, args,
jobSubmissionState, jobEnvironment, workingDirectory, inputPath/outputPath/errorPath,
joinFiles, placeholders).
Grid Engine facts: shared/facts/sge_jobs_probe.out (bulk ids N.1, N.2...) and measurements
recorded with each case.
"""

import os
import re

import pytest

from conformance.kit import case, expect_raises, ge_choice, real_jobs


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@case("GFD.130 Session.runJob; Session.wait", official=["st_submit_wait"])
def test_submit_chunk_and_wait_each(drmaa, session, jobs):
    """One thread submits a chunk of sleeper jobs and waits for each of them."""
    ids = [jobs.run_sleeper(1) for _ in range(4)]
    assert len(set(ids)) == 4 and all(isinstance(j, str) and j for j in ids)
    for job in ids:
        info = jobs.finish(job)
        assert info.jobId == job and info.hasExited and info.exitStatus == 0


@case("GFD.130 Session.runJob", ge="job ids are decimal strings")
@ge_choice("job id syntax is implementation-defined")
def test_job_ids_are_decimal(session, jobs):
    """Grid Engine job ids are decimal numbers, increasing with each submission."""
    first, second = jobs.run_sleeper(0), jobs.run_sleeper(0)
    assert first.isdigit() and second.isdigit()
    assert int(second) > int(first)


@pytest.mark.parametrize("begin, end, step", [(1, 1, 1), (1, 3, 1), (1, 5, 2), (2, 7, 3)])
@case("GFD.130 Session.runBulkJobs (begin, end, step)", official=["st_bulk_submit_wait"])
def test_bulk_job_count(session, jobs, begin, end, step):
    """runBulkJobs returns one id per index in range(begin, end + 1, step)."""
    ids = session.runBulkJobs(jobs.sleeper(0), begin, end, step)
    assert len(ids) == len(range(begin, end + 1, step))
    assert len(set(ids)) == len(ids)
    session.synchronize(ids, jobs.wait_timeout(), True)


@case("GFD.130 Session.runBulkJobs", ge="bulk ids are N.1, N.2, ...; step 2 gives N.1, N.3, N.5")
@ge_choice("bulk job id syntax is implementation-defined")
def test_bulk_ids_are_job_dot_task(session, jobs):
    """Grid Engine names bulk tasks '<job>.<index>' with the template's indices."""
    ids = session.runBulkJobs(jobs.sleeper(0), 1, 5, 2)
    parents = {j.split(".")[0] for j in ids}
    assert len(parents) == 1 and all(re.fullmatch(r"\d+\.\d+", j) for j in ids)
    assert [j.split(".")[1] for j in ids] == ["1", "3", "5"]


@case("GFD.130 Session.runBulkJobs; Session.wait", official=["st_bulk_submit_wait"])
def test_bulk_submit_and_wait_each_task(session, jobs):
    """A bulk job is submitted and each task is waited for by its own id."""
    ids = session.runBulkJobs(jobs.sleeper(1), 1, 4, 1)
    for job in ids:
        info = jobs.finish(job)
        assert info.jobId == job and info.hasExited and info.exitStatus == 0


@pytest.mark.parametrize("begin, end, step", [(0, 2, 1), (3, 1, 1), (1, 3, 0), (1, 3, -1)])
@case(
    "GFD.130 Session.runBulkJobs (INVALID_ARGUMENT)",
    ge="runBulkJobs(jt, 0, 2, 1), (3, 1, 1), (1, 3, 0): InvalidArgumentException (code 4)",
)
@ge_choice("the spec requires begin >= 1, begin <= end, step >= 1 but not the error class")
def test_bulk_bad_range_is_refused(drmaa, session, jobs, begin, end, step):
    """A bulk range with begin < 1, end < begin or step < 1 raises InvalidArgumentException."""
    expect_raises(
        drmaa.InvalidArgumentException,
        lambda: session.runBulkJobs(jobs.sleeper(0), begin, end, step),
        code=4,
    )


@case(
    "GFD.130 Session.runJob; Session.runBulkJobs; Session.wait",
    official=["st_bulk_singlesubmit_wait_individual"],
)
def test_bulk_and_single_jobs_waited_individually(session, jobs):
    """Bulk tasks and single jobs mixed: each is waited for individually."""
    ids = [jobs.run_sleeper(1)]
    ids += session.runBulkJobs(jobs.sleeper(1), 1, 3, 1)
    ids.append(jobs.run_sleeper(1))
    for job in reversed(ids):
        assert jobs.finish(job).jobId == job


@case("GFD.130 JobTemplate.jobSubmissionState (HOLD)", official=["st_submit_in_hold_release"])
def test_submit_on_hold_is_user_on_hold(drmaa, session, jobs):
    """A job submitted with jobSubmissionState HOLD is USER_ON_HOLD and does not start."""
    job = jobs.run_held(0)
    assert session.jobStatus(job) == drmaa.JobState.USER_ON_HOLD
    jobs.pass_time(2)
    assert session.jobStatus(job) == drmaa.JobState.USER_ON_HOLD


@case("GFD.130 Session.runJob", official=["st_submit_pause_submit_sync"])
def test_submit_pause_submit_synchronize(session, jobs):
    """Submit, pause, submit again, then synchronize with all jobs of the session."""
    first = jobs.run_sleeper(1)
    jobs.pass_time(3)
    second = jobs.run_sleeper(1)
    session.synchronize([session.JOB_IDS_SESSION_ALL], jobs.wait_timeout(), False)
    for job in (first, second):
        info = session.wait(job, session.TIMEOUT_NO_WAIT)
        assert info.hasExited and info.exitStatus == 0


# ------------------------------------------------------------------ real processes
@case("GFD.130 JobTemplate.args", official=["st_attribute_check"])
@real_jobs("reads the job's standard output")
def test_args_reach_the_job_verbatim(session, jobs, drmaa_job_dir):
    """Arguments reach the command unchanged, spaces and quotes included, with no shell."""
    out = drmaa_job_dir / "args.out"
    jt = jobs.template("/bin/echo", ["a b", "c'd", '"e"', "$HOME"], outputPath=f":{out}")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(out) == 'a b c\'d "e" $HOME\n'


@case("GFD.130 JobTemplate.jobEnvironment", official=["st_attribute_check"])
@real_jobs("the job itself checks its environment")
def test_environment_reaches_the_job(session, jobs):
    """Variables of jobEnvironment are set in the job's environment."""
    jt = jobs.shell(
        '[ "$TESTKIT_VAR" = "hello world" ] && exit 7 || exit 9',
        jobEnvironment={"TESTKIT_VAR": "hello world"},
    )
    assert jobs.finish(session.runJob(jt)).exitStatus == 7


@case(
    "GFD.130 JobTemplate.jobEnvironment",
    ge="jobEnvironment cannot change Grid Engine's own variables (HOME, USER, JOB_ID, "
    "NSLOTS, QUEUE...); PATH gets the job's TMPDIR put first (sge_job_env_probe)",
)
@ge_choice("which variables a job may set is DRM-specific")
@real_jobs("the job reports its environment")
def test_environment_cannot_override_grid_engine_variables(session, jobs, drmaa_job_dir):
    """HOME, JOB_ID, NSLOTS and QUEUE keep Grid Engine's values; PATH is TMPDIR:PATH."""
    out = drmaa_job_dir / "env.out"
    asked = {name: "OVERRIDE" for name in ("HOME", "JOB_ID", "NSLOTS", "QUEUE", "PATH")}
    jt = jobs.template("/usr/bin/env", [], jobEnvironment=asked, outputPath=f":{out}")
    job = session.runJob(jt)
    assert jobs.finish(job).exitStatus == 0
    env = dict(line.split("=", 1) for line in _read(out).splitlines() if "=" in line)
    assert env["HOME"] != "OVERRIDE" and env["QUEUE"] != "OVERRIDE"
    assert env["JOB_ID"] == job and env["NSLOTS"] == "1"
    assert env["PATH"] == f"{env['TMPDIR']}:OVERRIDE"


@case(
    "GFD.130 JobTemplate.jobName; Session.runJob",
    ge="jobName 'é' (not ASCII): runJob raises InternalException 'code 1: Error reading "
    "answer list from qmaster', as for a name with a blank (sge_bad_input_probe)",
)
@ge_choice("which job names a DRM takes is implementation-defined")
def test_job_name_not_ascii_is_refused(drmaa, session, jobs):
    """Grid Engine's client chokes on the qmaster's answer to a non-ASCII name."""
    jt = jobs.sleeper(0, jobName="é")
    error = expect_raises(drmaa.InternalException, lambda: session.runJob(jt), code=1)
    assert str(error) == "code 1: Error reading answer list from qmaster"


@case("GFD.130 JobTemplate.workingDirectory", official=["st_attribute_check"])
@real_jobs("reads the job's standard output")
def test_working_directory(session, jobs, drmaa_job_dir):
    """The job runs in workingDirectory."""
    out = drmaa_job_dir / "pwd.out"
    jt = jobs.template("/bin/pwd", [], workingDirectory=str(drmaa_job_dir), outputPath=f":{out}")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert os.path.realpath(_read(out).strip()) == os.path.realpath(drmaa_job_dir)


@case("GFD.130 JobTemplate placeholders ($drmaa_wd_ph$)", official=["st_attribute_check"])
@real_jobs("checks a file the job writes")
def test_working_directory_placeholder_in_output_path(session, jobs, drmaa_job_dir):
    """$drmaa_wd_ph$ in outputPath stands for the job's working directory."""
    jt = jobs.template(
        "/bin/echo", ["wd"], workingDirectory=str(drmaa_job_dir), outputPath=":$drmaa_wd_ph$/wd.out"
    )
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(drmaa_job_dir / "wd.out") == "wd\n"


@case("GFD.130 JobTemplate placeholders ($drmaa_hd_ph$)", official=["st_attribute_check"])
@real_jobs("reads the job's standard output")
def test_home_directory_placeholder_as_working_directory(session, jobs, drmaa_job_dir):
    """workingDirectory '$drmaa_hd_ph$' is the job owner's home directory (its $HOME)."""
    out = drmaa_job_dir / "home.out"
    jt = jobs.shell('pwd; echo "$HOME"', workingDirectory="$drmaa_hd_ph$", outputPath=f":{out}")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    wd, home = _read(out).split("\n")[:2]
    assert home and os.path.realpath(wd) == os.path.realpath(home)


@case(
    "GFD.130 Session.runBulkJobs; JobTemplate placeholders ($drmaa_incr_ph$)",
    official=["st_bulk_submit_wait", "st_attribute_check"],
)
@real_jobs("checks the files the tasks write")
def test_bulk_index_placeholder_in_output_path(session, jobs, drmaa_job_dir):
    """$drmaa_incr_ph$ in a bulk job's outputPath becomes each task's index."""
    jt = jobs.template("/bin/echo", ["task"], outputPath=f":{drmaa_job_dir}/b.$drmaa_incr_ph$.out")
    ids = session.runBulkJobs(jt, 2, 6, 2)
    session.synchronize(ids, jobs.wait_timeout(), True)
    assert sorted(p.name for p in drmaa_job_dir.iterdir()) == ["b.2.out", "b.4.out", "b.6.out"]
    assert all(_read(p) == "task\n" for p in drmaa_job_dir.iterdir())


@case("GFD.130 JobTemplate.outputPath; errorPath; joinFiles", official=["st_attribute_check"])
@real_jobs("checks the files the job writes")
def test_output_and_error_paths(session, jobs, drmaa_job_dir):
    """Without joinFiles, stdout goes to outputPath and stderr to errorPath."""
    out, err = drmaa_job_dir / "o.txt", drmaa_job_dir / "e.txt"
    jt = jobs.shell(
        "echo to-out; echo to-err >&2", outputPath=f":{out}", errorPath=f":{err}", joinFiles=False
    )
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(out) == "to-out\n" and _read(err) == "to-err\n"


@case("GFD.130 JobTemplate.joinFiles", official=["st_attribute_check"])
@real_jobs("checks the file the job writes")
def test_join_files_merges_stderr_into_output(session, jobs, drmaa_job_dir):
    """With joinFiles, stderr is written to outputPath too."""
    out = drmaa_job_dir / "joined.txt"
    jt = jobs.shell("echo one; echo two >&2", outputPath=f":{out}", joinFiles=True)
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert sorted(_read(out).split()) == ["one", "two"]


@case("GFD.130 JobTemplate.inputPath", official=["st_input_becomes_output"])
@real_jobs("the job reads its standard input from a file")
def test_input_becomes_output(session, jobs, drmaa_job_dir):
    """A job echoing stdin (cat) makes its output file equal to its input file."""
    src, out = drmaa_job_dir / "in.txt", drmaa_job_dir / "out.txt"
    src.write_text("line one\nline two\n\nlast\n", encoding="utf-8")
    jt = jobs.template("/bin/cat", [], inputPath=f":{src}", outputPath=f":{out}")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(out) == _read(src)


@case(
    "GFD.130 JobTemplate.jobName",
    official=["st_attribute_check"],
    ge="the job sees its name as $JOB_NAME",
)
@ge_choice("how a job sees its name is DRM-specific (Grid Engine: $JOB_NAME)")
@real_jobs("the job itself checks its environment")
def test_job_name_visible_to_job(session, jobs):
    """Grid Engine gives the job its jobName as $JOB_NAME."""
    jt = jobs.shell('[ "$JOB_NAME" = testkit-name ] && exit 7 || exit 9', jobName="testkit-name")
    assert jobs.finish(session.runJob(jt)).exitStatus == 7


def _failure_case(drmaa, session, jobs, **attrs):
    """Submit a job whose stream cannot be opened; it must end FAILED and aborted."""
    job = session.runJob(jobs.sleeper(1, **attrs))
    session.synchronize([session.JOB_IDS_SESSION_ALL], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.FAILED
    info = session.wait(job, session.TIMEOUT_NO_WAIT)
    assert info.wasAborted and not info.hasExited


@case(
    "GFD.130 JobTemplate.inputPath; Session.jobStatus (FAILED); JobInfo.wasAborted",
    official=["st_input_file_failure"],
    ge="a job whose input cannot be opened ends FAILED, wait reports wasAborted",
)
@real_jobs("opening a job's streams happens when a real process starts")
def test_input_file_failure(drmaa, session, jobs, drmaa_job_dir):
    """An input path that cannot be opened: the job is FAILED and wait reports it aborted."""
    _failure_case(drmaa, session, jobs, inputPath=f":{drmaa_job_dir}/no-such-dir/in")


@case(
    "GFD.130 JobTemplate.outputPath; Session.jobStatus (FAILED); JobInfo.wasAborted",
    official=["st_output_file_failure"],
)
@real_jobs("opening a job's streams happens when a real process starts")
def test_output_file_failure(drmaa, session, jobs, drmaa_job_dir):
    """An output path that cannot be opened: the job is FAILED and wait reports it aborted."""
    _failure_case(
        drmaa, session, jobs, outputPath=f":{drmaa_job_dir}/no-such-dir/out", joinFiles=True
    )


@case(
    "GFD.130 JobTemplate.errorPath; Session.jobStatus (FAILED); JobInfo.wasAborted",
    official=["st_error_file_failure"],
)
@real_jobs("opening a job's streams happens when a real process starts")
def test_error_file_failure(drmaa, session, jobs, drmaa_job_dir):
    """An error path that cannot be opened: the job is FAILED and wait reports it aborted."""
    _failure_case(
        drmaa, session, jobs, joinFiles=False, errorPath=f":{drmaa_job_dir}/no-such-dir/err"
    )


def _file(directory, name: str, mode: int):
    """A file holding 'before', with permission bits ``mode``: however privileged the test
    process, the job's user may then not write it (0o444) or not read it (0o000)."""
    path = directory / name
    path.write_text("before\n", encoding="utf-8")
    path.chmod(mode)
    return path


@case(
    "GFD.130 JobTemplate.outputPath; Session.jobStatus (FAILED); JobInfo.wasAborted",
    official=["st_output_file_failure"],
    ge="an outputPath the job's user may not write (a read-only file, /etc/passwd): FAILED, "
    "wasAborted, the file untouched (sge_file_access_probe)",
)
@ge_choice("the job's files are opened with its user's rights")
@real_jobs("opening a job's streams happens when a real process starts")
def test_output_file_without_write_permission_fails_job(drmaa, session, jobs, drmaa_job_dir):
    """A read-only output file: the job is FAILED and aborted, and the file is unchanged."""
    target = _file(drmaa_job_dir, "readonly.out", 0o444)
    _failure_case(drmaa, session, jobs, outputPath=f":{target}", joinFiles=True)
    assert _read(target) == "before\n"


@case(
    "GFD.130 JobTemplate.errorPath; Session.jobStatus (FAILED); JobInfo.wasAborted",
    official=["st_error_file_failure"],
    ge="an errorPath the job's user may not write: FAILED, wasAborted, the file untouched",
)
@ge_choice("the job's files are opened with its user's rights")
@real_jobs("opening a job's streams happens when a real process starts")
def test_error_file_without_write_permission_fails_job(drmaa, session, jobs, drmaa_job_dir):
    """A read-only error file: the job is FAILED and aborted, and the file is unchanged."""
    target = _file(drmaa_job_dir, "readonly.err", 0o444)
    _failure_case(drmaa, session, jobs, joinFiles=False, errorPath=f":{target}")
    assert _read(target) == "before\n"


@case(
    "GFD.130 JobTemplate.inputPath; Session.jobStatus (FAILED); JobInfo.wasAborted",
    official=["st_input_file_failure"],
    ge="an inputPath the job's user may not read: FAILED, wasAborted",
)
@ge_choice("the job's files are opened with its user's rights")
@real_jobs("opening a job's streams happens when a real process starts")
def test_input_file_without_read_permission_fails_job(drmaa, session, jobs, drmaa_job_dir):
    """An unreadable input file: the job is FAILED and aborted."""
    source = _file(drmaa_job_dir, "unreadable.in", 0o000)
    _failure_case(drmaa, session, jobs, inputPath=f":{source}")


@case(
    "GFD.130 JobTemplate.workingDirectory",
    official=["st_attribute_check"],
    ge="a missing working directory: the job ends FAILED, wait reports wasAborted",
)
@ge_choice("Grid Engine accepts the job and fails it when it starts")
@real_jobs("the working directory is entered when a real process starts")
def test_missing_working_directory_fails_job(drmaa, session, jobs, drmaa_job_dir):
    """A working directory that does not exist: the job is FAILED and aborted."""
    _failure_case(drmaa, session, jobs, workingDirectory=str(drmaa_job_dir / "no-such-dir"))


@case(
    "GFD.130 JobTemplate.remoteCommand; JobInfo.wasAborted",
    ge="a remoteCommand that does not exist: the job ends FAILED, wait reports wasAborted",
)
@ge_choice("Grid Engine accepts the job and fails it when it starts")
@real_jobs("the command is looked up when a real process starts")
def test_missing_command_fails_job(drmaa, session, jobs, drmaa_job_dir):
    """A remoteCommand that does not exist: runJob succeeds, the job ends FAILED and aborted."""
    job = session.runJob(jobs.template(str(drmaa_job_dir / "no-such-command"), []))
    session.synchronize([job], jobs.wait_timeout(), False)
    assert session.jobStatus(job) == drmaa.JobState.FAILED
    assert session.wait(job, session.TIMEOUT_NO_WAIT).wasAborted
