"""Job templates: every attribute set and read back, defaults, placeholders, bad values.

Spec: GFD.130 JobTemplate (mandatory and optional attributes, placeholders) and
Session.createJobTemplate / deleteJobTemplate; GFD.143 JobTemplate (Python properties,
keyword constructor, context manager).
Grid Engine: libdrmaa 8.1.9's supported attribute list and its checks, measured.
"""

import pytest

from conformance.kit import MANDATORY_SCALAR_ATTRIBUTES, case, expect_raises, ge_choice

#: scalar attribute -> a valid value (read back unchanged)
SCALAR_VALUES = {
    "remoteCommand": "/bin/sleep",
    "jobSubmissionState": "drmaa_hold",
    "workingDirectory": "$drmaa_hd_ph$",
    "jobCategory": "testkit-category",
    "nativeSpecification": "-p 0",
    "blockEmail": True,
    "startTime": "2035/01/01 12:00",
    "jobName": "testkit-job",
    "inputPath": ":/dev/null",
    "outputPath": ":$drmaa_hd_ph$/testkit.out",
    "errorPath": ":$drmaa_wd_ph$/testkit.err",
    "joinFiles": True,
}

#: Python property -> DRMAA attribute name
ATTRIBUTE_NAMES = {
    "remoteCommand": "drmaa_remote_command",
    "jobSubmissionState": "drmaa_js_state",
    "workingDirectory": "drmaa_wd",
    "jobCategory": "drmaa_job_category",
    "nativeSpecification": "drmaa_native_specification",
    "blockEmail": "drmaa_block_email",
    "startTime": "drmaa_start_time",
    "jobName": "drmaa_job_name",
    "inputPath": "drmaa_input_path",
    "outputPath": "drmaa_output_path",
    "errorPath": "drmaa_error_path",
    "joinFiles": "drmaa_join_files",
}

OPTIONAL_ATTRIBUTES = {
    "deadlineTime": "2035/01/01 12:00",
    "hardWallclockTimeLimit": 60,
    "softWallclockTimeLimit": 60,
    "hardRunDurationLimit": 60,
    "softRunDurationLimit": 60,
    "transferFiles": "io",
}

ALL_ATTRIBUTES = [*SCALAR_VALUES, "args", "email", "jobEnvironment"]


@case(
    "GFD.130 Session.getAttributeNames; JobTemplate (mandatory attributes)",
    official=["st_supported_attr"],
)
def test_attribute_names_include_mandatory(session):
    """attributeNames lists every mandatory scalar attribute."""
    jt = session.createJobTemplate()
    names = jt.attributeNames
    assert isinstance(names, list) and all(isinstance(n, str) for n in names)
    missing = sorted(set(MANDATORY_SCALAR_ATTRIBUTES) - set(names))
    assert not missing, f"mandatory attributes missing from attributeNames: {missing}"


@case(
    "GFD.130 Session.getAttributeNames",
    official=["st_supported_attr", "st_unsupported_attr"],
    ge="attributeNames: the 12 mandatory names + drmaa_submit_as_euid",
)
@ge_choice("which optional and native attributes are listed is implementation-defined")
def test_attribute_names_exact_on_grid_engine(session):
    """Grid Engine lists the mandatory attributes and drmaa_submit_as_euid, nothing optional."""
    names = session.createJobTemplate().attributeNames
    assert sorted(names) == sorted([*MANDATORY_SCALAR_ATTRIBUTES, "drmaa_submit_as_euid"])


@pytest.mark.parametrize("name", sorted(SCALAR_VALUES))
@case("GFD.130 JobTemplate (scalar attributes)", official=["st_attribute_change"])
def test_scalar_attribute_set_and_get(session, name):
    """Every mandatory scalar attribute can be set and read back unchanged."""
    jt = session.createJobTemplate()
    setattr(jt, name, SCALAR_VALUES[name])
    assert getattr(jt, name) == SCALAR_VALUES[name]


@pytest.mark.parametrize(
    "name, value",
    [
        ("args", ["-c", "echo 'a b' \"c\"", "", "x=y"]),
        ("email", ["someone@example.org", "other@example.org"]),
    ],
)
@case(
    "GFD.130 JobTemplate (vector attributes)",
    official=["st_supported_vattr", "st_attribute_change"],
)
def test_vector_attribute_set_and_get(session, name, value):
    """Vector attributes (args, email) are read back in order, empty strings included."""
    jt = session.createJobTemplate()
    setattr(jt, name, value)
    assert getattr(jt, name) == value


@case("GFD.130 JobTemplate.jobEnvironment", official=["st_supported_vattr", "st_attribute_change"])
def test_job_environment_set_and_get(session):
    """jobEnvironment is a dict of str read back as set."""
    jt = session.createJobTemplate()
    env = {"TESTKIT_A": "1", "TESTKIT_B": "two words", "TESTKIT_EMPTY": ""}
    jt.jobEnvironment = env
    assert jt.jobEnvironment == env


@pytest.mark.parametrize("name", ["args", "email", "jobEnvironment"])
@case("GFD.130 JobTemplate (vector attributes)", official=["st_supported_vattr"])
def test_vector_attribute_empty(session, name):
    """An empty list (or dict) is a valid vector value and reads back empty."""
    jt = session.createJobTemplate()
    empty = {} if name == "jobEnvironment" else []
    setattr(jt, name, empty)
    assert getattr(jt, name) == empty


@case("GFD.130 JobTemplate (scalar attributes)", official=["st_attribute_change"])
def test_attribute_overwrite_keeps_last_value(session):
    """Setting an attribute twice keeps the second value."""
    jt = session.createJobTemplate()
    jt.jobName = "first"
    jt.jobName = "second"
    jt.args = ["1", "2"]
    jt.args = ["3"]
    assert jt.jobName == "second" and jt.args == ["3"]


@pytest.mark.parametrize("value", [True, False])
@case("GFD.143 JobTemplate (boolean attributes)", official=["st_attribute_change"])
def test_boolean_attributes(session, value):
    """joinFiles and blockEmail take and give Python booleans."""
    jt = session.createJobTemplate()
    jt.joinFiles = value
    jt.blockEmail = value
    assert jt.joinFiles is value and jt.blockEmail is value


@case("GFD.130 JobTemplate.jobSubmissionState")
def test_submission_state_constants(drmaa, session):
    """jobSubmissionState takes JobSubmissionState.HOLD_STATE and ACTIVE_STATE."""
    jt = session.createJobTemplate()
    for state in (drmaa.JobSubmissionState.HOLD_STATE, drmaa.JobSubmissionState.ACTIVE_STATE):
        jt.jobSubmissionState = state
        assert jt.jobSubmissionState == state
    assert drmaa.JobSubmissionState.HOLD_STATE == "drmaa_hold"
    assert drmaa.JobSubmissionState.ACTIVE_STATE == "drmaa_active"


@case(
    "GFD.130 JobTemplate.jobSubmissionState (INVALID_ATTRIBUTE_VALUE)",
    ge="jobSubmissionState='bogus': InvalidAttributeValueException (code 14)",
)
def test_submission_state_bad_value(drmaa, session):
    """A jobSubmissionState other than hold/active is refused when set."""
    jt = session.createJobTemplate()
    expect_raises(
        drmaa.InvalidAttributeValueException,
        lambda: setattr(jt, "jobSubmissionState", "bogus"),
        code=14,
    )


@pytest.mark.parametrize("name", ALL_ATTRIBUTES)
@case(
    "GFD.130 JobTemplate (defaults)",
    ge="reading an attribute never set: InvalidAttributeValueException (code 14)",
)
@ge_choice("the spec does not define defaults readable from a fresh template")
def test_unset_attribute_is_not_readable(drmaa, session, name):
    """Reading an attribute that was never set raises InvalidAttributeValueException."""
    jt = session.createJobTemplate()
    expect_raises(drmaa.InvalidAttributeValueException, lambda: getattr(jt, name), code=14)


@pytest.mark.parametrize("name", sorted(OPTIONAL_ATTRIBUTES))
@case(
    "GFD.130 JobTemplate (optional attributes)",
    official=["st_unsupported_attr"],
    ge="setting deadlineTime, the time limits or transferFiles: InvalidArgumentException (code 4)",
)
@ge_choice(
    "optional attributes may be unsupported; Grid Engine supports none of them "
    "(transferFiles only with delegated file staging)"
)
def test_optional_attribute_unsupported(drmaa, session, name):
    """Setting an optional attribute Grid Engine lacks raises InvalidArgumentException."""
    jt = session.createJobTemplate()
    expect_raises(
        drmaa.InvalidArgumentException, lambda: setattr(jt, name, OPTIONAL_ATTRIBUTES[name]), code=4
    )


@case("GFD.143 JobTemplate (placeholders); GFD.130 JobTemplate placeholders")
def test_placeholder_constants(drmaa):
    """The placeholders are $drmaa_hd_ph$, $drmaa_wd_ph$ and $drmaa_incr_ph$."""
    jt_class = drmaa.JobTemplate
    assert jt_class.HOME_DIRECTORY == "$drmaa_hd_ph$"
    assert jt_class.WORKING_DIRECTORY == "$drmaa_wd_ph$"
    assert jt_class.PARAMETRIC_INDEX == "$drmaa_incr_ph$"


@case("GFD.143 JobTemplate (keyword constructor)", official=["st_attribute_change"])
def test_template_keyword_constructor(drmaa, session):
    """JobTemplate(**attributes) sets each attribute."""
    jt = drmaa.JobTemplate(remoteCommand="/bin/sleep", args=["2"], jobName="kw", joinFiles=True)
    assert (jt.remoteCommand, jt.args, jt.jobName, jt.joinFiles) == (
        "/bin/sleep",
        ["2"],
        "kw",
        True,
    )
    session.deleteJobTemplate(jt)


@case("GFD.143 JobTemplate (context manager); GFD.130 Session.deleteJobTemplate")
def test_template_context_manager(drmaa, session, jobs):
    """`with createJobTemplate() as jt:` gives a usable template, deleted at the end."""
    with session.createJobTemplate() as jt:
        jt.remoteCommand = "/bin/sleep"
        jt.args = ["0"]
        jt.outputPath = ":/dev/null"
        jt.joinFiles = True
        job = session.runJob(jt)
    info = jobs.finish(job)
    assert info.hasExited and info.exitStatus == 0


@case("GFD.130 Session.deleteJobTemplate (no effect on jobs)")
def test_deleting_template_does_not_affect_jobs(session, jobs):
    """A job runs to its end after its template was deleted."""
    jt = jobs.shell("sleep 1; exit 3")
    job = session.runJob(jt)
    session.deleteJobTemplate(jt)
    info = jobs.finish(job)
    assert info.hasExited and info.exitStatus == 3


@case("GFD.130 Session.runJob")
def test_changing_template_after_submit_does_not_affect_job(session, jobs):
    """runJob takes a copy: changing the template afterwards does not change the job."""
    jt = jobs.shell("exit 3")
    job = session.runJob(jt)
    jt.args = ["-c", "exit 5"]
    second = session.runJob(jt)
    assert jobs.finish(job).exitStatus == 3
    assert jobs.finish(second).exitStatus == 5


@case("GFD.130 Session.runJob")
def test_template_is_reusable(session, jobs):
    """One template submits several jobs, each with its own id."""
    jt = jobs.sleeper(0)
    ids = [session.runJob(jt) for _ in range(3)]
    assert len(set(ids)) == 3
    session.synchronize(ids, jobs.wait_timeout(), True)


@case(
    "GFD.130 Session.runJob (DENIED_BY_DRM)",
    ge="no remoteCommand: DeniedByDrmException (code 17) 'job template must have "
    '"drmaa_remote_command" attribute set\'',
)
@ge_choice("the spec does not name the error for a template without a command")
def test_missing_remote_command_is_denied(drmaa, session):
    """runJob of a template without remoteCommand raises DeniedByDrmException."""
    jt = session.createJobTemplate()
    jt.outputPath = ":/dev/null"
    expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)


@pytest.mark.parametrize("name", ["outputPath", "errorPath", "inputPath"])
@case(
    "GFD.130 JobTemplate.outputPath/errorPath/inputPath ([hostname]:path)",
    ge="outputPath '/dev/null': InvalidArgumentException (code 4) 'must begin with a colon'",
)
@ge_choice("the error code for a path without its colon is implementation-defined")
def test_path_without_colon_is_refused(drmaa, session, jobs, name):
    """A stream path is '[host]:path'; without the colon runJob raises InvalidArgumentException."""
    jt = jobs.sleeper(0)
    setattr(jt, name, "/dev/null")
    expect_raises(drmaa.InvalidArgumentException, lambda: session.runJob(jt), code=4)


@case(
    "GFD.130 JobTemplate placeholders ($drmaa_incr_ph$ only in bulk jobs)",
    ge="$drmaa_incr_ph$ in a single job's path: DeniedByDrmException (code 17)",
)
@ge_choice("the error for a misplaced placeholder is implementation-defined")
def test_index_placeholder_in_single_job_is_denied(drmaa, session, jobs):
    """The bulk index placeholder in a single job's path makes runJob raise DeniedByDrmException."""
    jt = jobs.sleeper(0, outputPath=":/tmp/testkit.$drmaa_incr_ph$")
    expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)


@case(
    "GFD.130 JobTemplate.workingDirectory placeholders",
    ge="$drmaa_wd_ph$ in workingDirectory: DeniedByDrmException (code 17)",
)
@ge_choice("the error for a misplaced placeholder is implementation-defined")
def test_wd_placeholder_in_working_directory_is_denied(drmaa, session, jobs):
    """$drmaa_wd_ph$ cannot be used inside workingDirectory itself."""
    jt = jobs.sleeper(0, workingDirectory="$drmaa_wd_ph$/sub")
    expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)


@case(
    "GFD.130 JobTemplate.startTime (partial timestamp)",
    ge="startTime 'garbage' is stored; runJob raises DeniedByDrmException (code 17)",
)
@ge_choice("Grid Engine checks startTime's format at submission, not when it is set")
def test_bad_start_time_is_denied_at_submission(drmaa, session, jobs):
    """An unparsable startTime is accepted by the template and refused by runJob."""
    jt = jobs.sleeper(0)
    jt.startTime = "garbage"
    assert jt.startTime == "garbage"
    expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)


@case(
    "GFD.130 JobTemplate.nativeSpecification",
    ge="nativeSpecification '-bogus': DeniedByDrmException (code 17)",
)
@ge_choice("native specifications are DRM syntax; Grid Engine parses them as qsub options")
def test_bad_native_specification_is_denied(drmaa, session, jobs):
    """A native specification Grid Engine cannot parse makes runJob raise DeniedByDrmException."""
    jt = jobs.sleeper(0, nativeSpecification="-bogus")
    expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)


@case(
    "GFD.130 JobTemplate.jobCategory",
    ge="jobCategory 'nosuchcategory': DeniedByDrmException (code 17) 'Unknown job category'",
)
@ge_choice("job categories are defined by the DRM's configuration")
def test_unknown_job_category_is_denied(drmaa, session, jobs):
    """A job category unknown to Grid Engine makes runJob raise DeniedByDrmException."""
    jt = jobs.sleeper(0, jobCategory="testkit-no-such-category")
    expect_raises(drmaa.DeniedByDrmException, lambda: session.runJob(jt), code=17)
