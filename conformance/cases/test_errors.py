"""Error mapping: every DRMAA error code the binding maps, its class and its message.

Spec: GFD.130 error codes; GFD.143 exceptions; drmaa-python 0.7.9's mapping
(``drmaa.errors``: code N -> the N-th class of its table; codes 24 and 25 map to the bare
``Exception`` and ``StopIteration``; messages read ``code N: <diagnosis>``).
Grid Engine: the error strings of libdrmaa 8.1.9 (japi_strerror), measured.
"""

import pytest

from conformance.kit import case, expect_raises, ge_choice

#: drmaa-python 0.7.9's table: code -> exception class name (None: a built-in)
CODE_TO_CLASS = {
    1: "InternalException",
    2: "DrmCommunicationException",
    3: "AuthorizationException",
    4: "InvalidArgumentException",
    5: "NoActiveSessionException",
    6: "OutOfMemoryException",
    7: "InvalidContactStringException",
    8: "DefaultContactStringException",
    9: "NoDefaultContactStringSelectedException",
    10: "DrmsInitException",
    11: "AlreadyActiveSessionException",
    12: "DrmsExitException",
    13: "InvalidAttributeFormatException",
    14: "InvalidAttributeValueException",
    15: "ConflictingAttributeValuesException",
    16: "TryLaterException",
    17: "DeniedByDrmException",
    18: "InvalidJobException",
    19: "ResumeInconsistentStateException",
    20: "SuspendInconsistentStateException",
    21: "HoldInconsistentStateException",
    22: "ReleaseInconsistentStateException",
    23: "ExitTimeoutException",
}
EXTRA_CLASSES = (
    "IllegalStateException",
    "InvalidJobTemplateException",
    "UnsupportedAttributeException",
)
#: classes drmaa-python also derives from a built-in exception
BUILTIN_BASES = {
    "ConflictingAttributeValuesException": AttributeError,
    "InvalidAttributeFormatException": AttributeError,
    "UnsupportedAttributeException": AttributeError,
    "InvalidArgumentException": AttributeError,
    "InvalidAttributeValueException": AttributeError,
    "OutOfMemoryException": MemoryError,
}
ALL_CLASSES = (*CODE_TO_CLASS.values(), *EXTRA_CLASSES)


@pytest.mark.parametrize("name", ALL_CLASSES)
@case("GFD.143 exceptions; GFD.130 error codes", official=["st_error_codes"])
def test_exception_class_exists_with_its_bases(drmaa, name):
    """Every DRMAA exception is exported by the module and by its errors submodule,
    derives from DrmaaException, and from AttributeError / MemoryError where drmaa-python does."""
    cls = getattr(drmaa, name)
    assert getattr(drmaa.errors, name) is cls
    assert issubclass(cls, drmaa.errors.DrmaaException) and issubclass(cls, Exception)
    if name in BUILTIN_BASES:
        assert issubclass(cls, BUILTIN_BASES[name])


@case("GFD.143 exceptions")
def test_drmaa_exception_is_the_common_base(drmaa):
    """DrmaaException lives in errors (not at the top level) and is an Exception."""
    assert issubclass(drmaa.errors.DrmaaException, Exception)
    assert not hasattr(drmaa, "DrmaaException")


def _provoke(code, drmaa, session, jobs):
    """Make the module raise the error with DRMAA code ``code``."""
    S = drmaa.Session
    if code == 4:
        S.jobStatus("abc")
    elif code == 5:
        S.exit()
        S.exit()
    elif code == 11:
        S.initialize()
    elif code == 14:
        session.createJobTemplate().jobSubmissionState = "bogus"
    elif code == 17:
        session.runJob(session.createJobTemplate())
    elif code == 18:
        S.wait(S.JOB_IDS_SESSION_ANY, 0)
    elif code == 19:
        S.control(jobs.run_held(1), drmaa.JobControlAction.RESUME)
    elif code == 20:
        S.control(jobs.run_held(1), drmaa.JobControlAction.SUSPEND)
    elif code == 23:
        S.wait(jobs.run_held(1), S.TIMEOUT_NO_WAIT)
    return None


PROVOKED = {
    4: "jobStatus('abc')",
    5: "exit() twice",
    11: "initialize() twice",
    14: "jobSubmissionState='bogus'",
    17: "runJob without remoteCommand",
    18: "wait(ANY) on an empty session",
    19: "resume a held job",
    20: "suspend a held job",
    23: "wait(held job, NO_WAIT)",
}


@pytest.mark.parametrize("code", sorted(PROVOKED), ids=lambda c: f"code{c}")
@case("GFD.130 error codes; GFD.143 exceptions", official=["st_error_codes"])
def test_error_code_maps_to_class_and_message(drmaa, session, jobs, code):
    """Each error a session can provoke raises its class, with 'code N: ' in front."""
    expected = getattr(drmaa, CODE_TO_CLASS[code])
    expect_raises(expected, lambda: _provoke(code, drmaa, session, jobs), code=code)


@case(
    "GFD.130 Session.wait (NO_RUSAGE); drmaa-python error table",
    official=["st_error_codes", "st_submit_in_hold_delete"],
    ge="wait on a held job terminated before it ran: bare Exception 'code 24: no usage "
    "information was returned for the completed job'; the job is reaped",
)
@ge_choice(
    "Grid Engine has no usage for a job that never ran; drmaa-python maps code 24 to "
    "the built-in Exception"
)
def test_no_usage_is_a_bare_exception(drmaa, session, jobs):
    """wait() for a job deleted while on hold raises Exception('code 24: ...'); it is reaped."""
    job = jobs.run_held(1)
    session.control(job, drmaa.JobControlAction.TERMINATE)
    session.synchronize([job], jobs.wait_timeout(), False)
    exc = expect_raises(Exception, lambda: session.wait(job, jobs.wait_timeout()), code=24)
    assert "no usage information" in str(exc)
    expect_raises(drmaa.InvalidJobException, lambda: session.wait(job, 0), code=18)


GE_MESSAGES = {
    11: "Initialization failed due to existing DRMAA session.",
    18: "The job specified by the 'jobid' does not exist.",
    23: "time-out condition",
    14: 'attribute "drmaa_js_state" must be either "drmaa_active" or "drmaa_hold"',
    17: 'job template must have "drmaa_remote_command" attribute set',
}


@pytest.mark.parametrize("code", sorted(GE_MESSAGES), ids=lambda c: f"code{c}")
@case(
    "GFD.130 error codes (drmaa_strerror)",
    official=["st_error_codes"],
    ge="the diagnosis strings of libdrmaa 8.1.9",
)
@ge_choice("error message texts are implementation-defined")
def test_error_message_text(drmaa, session, jobs, code):
    """The exception's message carries Grid Engine's documented text for the error."""
    exc = expect_raises(
        getattr(drmaa, CODE_TO_CLASS[code]), lambda: _provoke(code, drmaa, session, jobs), code=code
    )
    assert GE_MESSAGES[code] in str(exc), str(exc)


@case("GFD.143 constants")
def test_session_constants(drmaa):
    """TIMEOUT_* and JOB_IDS_SESSION_* have drmaa-python's values, on Session and the module."""
    S = drmaa.Session
    assert (S.TIMEOUT_WAIT_FOREVER, S.TIMEOUT_NO_WAIT) == (-1, 0)
    assert S.JOB_IDS_SESSION_ANY == b"DRMAA_JOB_IDS_SESSION_ANY" == drmaa.JOB_IDS_SESSION_ANY
    assert S.JOB_IDS_SESSION_ALL == b"DRMAA_JOB_IDS_SESSION_ALL" == drmaa.JOB_IDS_SESSION_ALL
    assert drmaa.TIMEOUT_WAIT_FOREVER == -1 and drmaa.TIMEOUT_NO_WAIT == 0
