"""Stream paths and placeholders as Grid Engine reads them: its own path variables, which
placeholder occurrences count, empty paths, appending, and an argument cut at a newline.

Spec: GFD.130 JobTemplate inputPath / outputPath / errorPath / workingDirectory and the
placeholders ($drmaa_incr_ph$, $drmaa_hd_ph$, $drmaa_wd_ph$); JobTemplate.args.
Grid Engine facts: docs/measurements/sge_placeholders_probe.out, sge_input_path_probe.out.
"""

import pytest

from conformance.kit import case, expect_raises, ge_choice, real_jobs

PATHS = "GFD.130 JobTemplate.outputPath"


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _names(directory):
    return sorted(p.name for p in directory.iterdir())


@case(
    PATHS,
    ge="Grid Engine expands $JOB_ID, $TASK_ID (0 in a single job), $JOB_NAME in paths; "
    "${JOB_ID} and $FOO stay as they are (sge_placeholders_probe)",
)
@ge_choice("a DRM may expand its own variables in paths")
@real_jobs("checks the files the job writes")
def test_grid_engine_path_variables(session, jobs, drmaa_job_dir):
    """``o.$JOB_NAME.$JOB_ID.$TASK_ID.out`` names the file; other ``$`` words are literal."""
    d = drmaa_job_dir
    jt = jobs.shell(
        "echo out", jobName="phjob", outputPath=f":{d}/o.$JOB_NAME.$JOB_ID.$TASK_ID.out"
    )
    job = session.runJob(jt)
    assert jobs.finish(job).exitStatus == 0
    jt = jobs.shell("echo out", outputPath=f":{d}/" + "l.${JOB_ID}.$FOO.out")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _names(d) == sorted([f"o.phjob.{job}.0.out", "l.${JOB_ID}.$FOO.out"])


@case(
    "GFD.130 JobTemplate placeholders ($drmaa_incr_ph$); Session.runBulkJobs",
    ge="only the first $drmaa_incr_ph$ of a path is replaced; $TASK_ID names the task too",
)
@ge_choice("the spec does not say how often a placeholder may appear")
@real_jobs("checks the files the tasks write")
def test_only_the_first_increment_placeholder(session, jobs, drmaa_job_dir):
    """``$drmaa_incr_ph$-$drmaa_incr_ph$.out`` gives ``1-$drmaa_incr_ph$.out`` ..."""
    jt = jobs.shell("echo out", outputPath=f":{drmaa_job_dir}/$drmaa_incr_ph$-$drmaa_incr_ph$.out")
    ids = session.runBulkJobs(jt, 1, 2, 1)
    session.synchronize(ids, jobs.wait_timeout(), True)
    assert _names(drmaa_job_dir) == ["1-$drmaa_incr_ph$.out", "2-$drmaa_incr_ph$.out"]


@case(
    "GFD.130 JobTemplate placeholders ($drmaa_wd_ph$)",
    ge="$drmaa_wd_ph$ counts only at the start of a path; elsewhere it is literal",
)
@ge_choice("the spec puts placeholders at the start of a path only")
@real_jobs("checks the file the job writes")
def test_working_directory_placeholder_only_at_the_start(session, jobs, drmaa_job_dir):
    """``:$drmaa_wd_ph$/w$drmaa_wd_ph$.out`` is ``w$drmaa_wd_ph$.out`` in the working dir."""
    jt = jobs.shell(
        "echo out",
        workingDirectory=str(drmaa_job_dir),
        outputPath=":$drmaa_wd_ph$/w$drmaa_wd_ph$.out",
    )
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _names(drmaa_job_dir) == ["w$drmaa_wd_ph$.out"]


@pytest.mark.parametrize("attribute", ["inputPath", "outputPath", "errorPath"])
@pytest.mark.parametrize("value", [":", ""])
@case(
    "GFD.130 JobTemplate paths; Session.runJob (DENIED_BY_DRM)",
    ge="an empty path (':' or ''): set and read back as given; runJob raises "
    "DeniedByDrmException 'paths may not be empty strings' (sge_input_path_probe)",
)
@ge_choice("when an empty path is refused is left to the implementation")
def test_empty_paths_refused_at_submission(drmaa, session, jobs, attribute, value):
    """The template keeps the empty path; runJob refuses it."""
    jt = jobs.sleeper(0)
    setattr(jt, attribute, value)
    assert getattr(jt, attribute) == value
    error = expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)
    assert str(error) == "code 17: paths may not be empty strings"


@case(
    "GFD.130 JobTemplate.outputPath",
    ge="an existing output file is appended to, not truncated",
)
@ge_choice("whether an existing output file is truncated is left to the implementation")
@real_jobs("checks the file the job writes")
def test_output_file_is_appended_to(session, jobs, drmaa_job_dir):
    """Output lands after what the file already held."""
    out = drmaa_job_dir / "exists"
    jt = jobs.shell("echo first", outputPath=f":{out}")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    jt = jobs.shell("echo second", outputPath=f":{out}")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(out) == "first\nsecond\n"


@case(
    "GFD.130 JobTemplate.args",
    ge="an argument is cut at its first newline (qmaster job_args: '[%s],a')",
)
@ge_choice("the spec does not say how arguments reach the job")
@real_jobs("reads the job's standard output")
def test_an_argument_is_cut_at_a_newline(session, jobs, drmaa_job_dir):
    """``printf '[%s]' 'a<newline>b' c`` prints ``[a][c]``."""
    out = drmaa_job_dir / "args.out"
    jt = jobs.template("/usr/bin/printf", ["[%s]", "a\nb", "c"], outputPath=f":{out}")
    assert jobs.finish(session.runJob(jt)).exitStatus == 0
    assert _read(out) == "[a][c]"


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("jobName", "job rejected cause there is no job_name in the request"),
        ("jobCategory", "Unknown job category"),
    ],
)
@case(
    "GFD.130 JobTemplate.jobName; jobCategory; Session.runJob (DENIED_BY_DRM)",
    ge="jobName '' and jobCategory '': set and read back; runJob raises "
    "DeniedByDrmException (sge_input_path_probe)",
)
@ge_choice("when an empty name or category is refused is left to the implementation")
def test_empty_name_and_category_refused_at_submission(drmaa, session, jobs, attribute, message):
    """An empty jobName or jobCategory is kept by the template and refused by runJob."""
    jt = jobs.sleeper(0)
    setattr(jt, attribute, "")
    assert getattr(jt, attribute) == ""
    error = expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)
    assert str(error) == f"code 17: {message}"
