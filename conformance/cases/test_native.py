"""nativeSpecification: Grid Engine's qsub switches through DRMAA, the parallel environment
``smp`` the project's cells define, and the template attributes that beat their switches.

Spec: GFD.130 JobTemplate.nativeSpecification (its content is DRM-specific: every case here
is Grid Engine's choice).
Grid Engine facts: docs/measurements/sge_native_options_probe.out, sge_native_pe_probe.out
(the cell as docker/provision-sge.sh makes it: 4+ slots, PE smp with 999 slots in all.q).
"""

import pytest

from conformance.kit import case, expect_raises, ge_choice, real_jobs

NATIVE = "GFD.130 JobTemplate.nativeSpecification"


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@case(
    NATIVE,
    ge="-pe smp 2: the job runs with NSLOTS=2 and PE=smp, and a PE_HOSTFILE naming 2 slots "
    "(sge_native_pe_probe)",
)
@ge_choice("parallel environments are Grid Engine's")
@real_jobs("the job reports its environment")
def test_pe_job_gets_its_slots(session, jobs, drmaa_job_dir):
    """A ``-pe smp 2`` job sees NSLOTS=2, PE=smp and a host file with 2 slots."""
    out = drmaa_job_dir / "pe.out"
    jt = jobs.shell(
        'echo "$NSLOTS $PE"; cut -d" " -f2 "$PE_HOSTFILE"',
        nativeSpecification="-pe smp 2",
        outputPath=f":{out}",
    )
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(out) == "2 smp\n2\n"


@pytest.mark.parametrize(
    ("native", "message"),
    [
        (
            "-pe nosuch 2",
            'job rejected: the requested parallel environment "nosuch" does not exist',
        ),
        ("-pe smp 0", '"job" rejected: pe range must be greater than zero'),
        ("-pe smp", "-pe option must have range as 2nd argument\n"),
        ("-pe smp 100000", "error: no suitable queues"),
        ("-p 10", "job rejected: positive submission priority requires operator privileges"),
        ("-p -2000", 'invalid priority "-2000".  Must be an integer from -1023 to 1024\n'),
        ("-N", "-N option must have argument\n"),
        ("-bogus", 'invalid option argument "-bogus"\n'),
    ],
)
@case(
    f"{NATIVE}; Session.runJob (DENIED_BY_DRM)",
    ge="refused switches: an unknown PE, a PE range of 0, more slots than the cell has, a "
    "positive or out-of-range priority, -N without a name (sge_native_options_probe, "
    "sge_native_pe_probe)",
)
@ge_choice("what nativeSpecification accepts is Grid Engine's")
def test_refused_switches(drmaa, session, jobs, native, message):
    """runJob raises DeniedByDrmException with Grid Engine's text."""
    jt = jobs.sleeper(0, nativeSpecification=native)
    error = expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)
    assert str(error) == f"code 17: {message}"


@pytest.mark.parametrize("native", ["-sync y", "-verify", "-help", "-p -5", "-t 1-3", "-w w"])
@case(NATIVE, ge="-sync y, -verify, -help, -t in runJob: accepted and ignored")
@ge_choice("what nativeSpecification accepts is Grid Engine's")
def test_ignored_switches(session, jobs, native):
    """The job is an ordinary one: a plain id, it runs and exits 0."""
    job = session.runJob(jobs.sleeper(0, nativeSpecification=native))
    assert job.isdigit()
    info = jobs.finish(job)
    assert info.hasExited and info.exitStatus == 0


@case(
    f"{NATIVE}; JobTemplate.jobName",
    ge="jobName beats -N (and -N's argument is still checked); -N names a job without one",
)
@ge_choice("how a template attribute and its switch combine is Grid Engine's")
@real_jobs("the job reports its name")
def test_job_name_beats_dash_n(drmaa, session, jobs, drmaa_job_dir):
    """jobName wins over ``-N``; ``-N`` alone names the job."""
    for name, native, seen in [("tmpl", "-N othername", "tmpl"), (None, "-N other", "other")]:
        out = drmaa_job_dir / f"{seen}.out"
        jt = jobs.shell("echo $JOB_NAME", nativeSpecification=native, outputPath=f":{out}")
        if name:
            jt.jobName = name
        assert jobs.finish(session.runJob(jt)).exitStatus == 0
        assert _read(out) == f"{seen}\n"
    jt = jobs.sleeper(0, jobName="tmpl", nativeSpecification="-N bad/name")
    error = expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)
    assert str(error) == "code 17: argument to -N option must not contain / \n"


@case(
    f"{NATIVE}; JobTemplate.outputPath; errorPath",
    ge="-o/-e: used when the template sets no path; outputPath/errorPath beat them",
)
@ge_choice("how a template attribute and its switch combine is Grid Engine's")
@real_jobs("checks the files the job writes")
def test_paths_beat_dash_o_dash_e(session, jobs, drmaa_job_dir):
    """The template's paths win; ``-o`` serves where the template has none."""
    d = drmaa_job_dir
    script = "echo to-stdout; echo to-stderr >&2"
    jt = jobs.shell(script, outputPath=f":{d}/tmpl.out", errorPath=f":{d}/tmpl.err")
    jt.nativeSpecification = f"-o {d}/nat.out -e {d}/nat.err"
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert sorted(p.name for p in d.iterdir()) == ["tmpl.err", "tmpl.out"]
    jt = jobs.S.createJobTemplate()  # no outputPath at all: -o serves
    jt.remoteCommand, jt.args = "/bin/sh", ["-c", script]
    jt.errorPath, jt.nativeSpecification = f":{d}/e2", f"-o {d}/nat.out"
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(d / "nat.out") == "to-stdout\n" and _read(d / "e2") == "to-stderr\n"


@case(
    f"{NATIVE}; JobTemplate.jobEnvironment",
    ge="-v FOO=bar gives the job FOO; jobEnvironment beats it for the same name",
)
@ge_choice("how a template attribute and its switch combine is Grid Engine's")
@real_jobs("the job reports its environment")
def test_dash_v_and_job_environment(session, jobs, drmaa_job_dir):
    """``-v`` sets variables; jobEnvironment wins for a name both set."""
    out = drmaa_job_dir / "env.out"
    jt = jobs.shell(
        'echo "$FOO $QUX"',
        nativeSpecification="-v FOO=bar,QUX=quux",
        jobEnvironment={"FOO": "tmpl"},
        outputPath=f":{out}",
    )
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(out) == "tmpl quux\n"


@case(
    f"{NATIVE}; Session.jobStatus (SYSTEM_ON_HOLD)",
    ge="-hold_jid <job>: the dependent is system_on_hold until its predecessor ends, then "
    "runs; a job id of no job is ignored (sge_native_options_probe)",
)
@ge_choice("job dependencies are Grid Engine's")
def test_hold_jid(drmaa, session, jobs):
    """A ``-hold_jid`` dependent waits in SYSTEM_ON_HOLD for its predecessor."""
    first = jobs.run_sleeper(jobs.long)
    dependent = session.runJob(jobs.sleeper(0, nativeSpecification=f"-hold_jid {first}"))
    free = session.runJob(jobs.sleeper(0, nativeSpecification="-hold_jid 999999999"))
    assert jobs.finish(free).exitStatus == 0
    assert session.jobStatus(dependent) == drmaa.JobState.SYSTEM_ON_HOLD
    jobs.pass_time(2)
    assert session.jobStatus(dependent) == drmaa.JobState.SYSTEM_ON_HOLD
    session.control(first, drmaa.JobControlAction.TERMINATE)
    info = jobs.finish(dependent)
    assert info.hasExited and info.exitStatus == 0


@case(
    f"{NATIVE}; Session.jobStatus (UNDETERMINED)",
    ge="-w v: runJob returns an id, but no job was made: 'undetermined', wait times out, "
    "control raises InvalidJobException (sge_native_options_probe)",
)
@ge_choice("-w v (verify only) is Grid Engine's")
def test_verify_only_hands_out_an_id_for_no_job(drmaa, session, jobs):
    """A ``-w v`` submission's id names no job."""
    job = session.runJob(jobs.sleeper(0, nativeSpecification="-w v"))
    assert session.jobStatus(job) == drmaa.JobState.UNDETERMINED
    expect_raises(drmaa.ExitTimeoutException, lambda: session.wait(job, 1), code=23)
    expect_raises(
        drmaa.InvalidJobException,
        lambda: session.control(job, drmaa.JobControlAction.TERMINATE),
        code=18,
    )
    jobs.exit()  # the made-up id stays in the session until it is left
