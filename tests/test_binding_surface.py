"""What drmaa-python over a C library answers at its Python surface, which the drop-in must
answer alike: found by the API-surface fuzzer (conformance/fuzz/api_surface.py), each
expectation as the real binding answered it over the project's libdrmaa (and, where Grid
Engine was measured, as it answered there: docs/measurements/sge_bad_input_probe.out).
"""

from __future__ import annotations

import ctypes

import pytest

from tests.conftest import template


def _raised(call) -> tuple[str, tuple]:
    with pytest.raises(Exception) as info:
        call()
    return type(info.value).__name__, info.value.args


# -- ctypes converts every argument before the library runs ---------------------------------
def test_argument_errors_come_before_the_session_check(vdrmaa):
    s = vdrmaa.Session  # no session open
    assert _raised(lambda: s.runJob("x")) == (
        "ArgumentError",
        ("argument 3: TypeError: expected LP_drmaa_job_template_s instance instead of str",),
    )
    # ctypes checks the arguments in order: the template (argument 2) first
    assert _raised(lambda: s.runBulkJobs("x", 1.5, 1, 1)) == (
        "ArgumentError",
        ("argument 2: TypeError: expected LP_drmaa_job_template_s instance instead of str",),
    )
    assert _raised(lambda: s.runBulkJobs(None, 1.5, 1, 1)) == (
        "ArgumentError",
        ("argument 3: TypeError: wrong type",),
    )


def test_a_null_template_is_refused_before_the_session_check(vdrmaa):
    """The C library refuses a NULL template before it looks for a session, as Grid
    Engine's drmaa_run_job and drmaa_run_bulk_jobs do."""
    s = vdrmaa.Session
    code_4 = ("InvalidArgumentException", ("code 4: The input value for an argument is invalid.",))
    assert _raised(lambda: s.runJob(None)) == code_4
    assert _raised(lambda: s.runBulkJobs(None, 1, 1, 1)) == code_4
    assert _raised(lambda: s.runBulkJobs(None, -1, 2, 1)) == code_4


def test_control_looks_the_action_up_before_ctypes_sees_the_job_id(vdrmaa):
    s = vdrmaa.Session
    # The binding encodes a str job id, then looks up the action, then calls through ctypes.
    assert _raised(lambda: s.control(5, "bogus")) == ("ValueError", ("'bogus' is not in list",))
    assert _raised(lambda: s.control("\udcff", "bogus"))[0] == "UnicodeEncodeError"
    assert _raised(lambda: s.control(5, "hold")) == (
        "ArgumentError",
        ("argument 1: TypeError: wrong type",),
    )


def test_string_vectors_need_a_length(vsession, vdrmaa):
    """drmaa-python's string_vector sizes its C array with len() first."""
    jt = vsession.createJobTemplate()
    no_len = ("TypeError", ("object of type 'list_iterator' has no len()",))
    assert _raised(lambda: setattr(jt, "args", iter(["a"]))) == no_len
    assert _raised(lambda: vsession.synchronize(iter(["1"]), 0)) == no_len
    assert _raised(lambda: vsession.synchronize(5, 0)) == (
        "TypeError",
        ("object of type 'int' has no len()",),
    )
    vsession.exit()
    assert _raised(lambda: vsession.synchronize(iter(["1"]), 0)) == no_len  # before the session


def test_ctypes_objects_that_ctypes_accepts(vsession, vdrmaa):
    """A c_char_p, a char array or an object with _as_parameter_ is a char *; a c_long is a
    long (a timeout), a c_int an int (bulk bounds), and neither is the other. Found by the
    API-surface fuzzer, all answered so by the binding over our libdrmaa."""
    s = vsession
    no_such_job = (
        "InvalidJobException",
        ("code 18: The job specified by the 'jobid' does not exist.",),
    )
    assert _raised(lambda: s.jobStatus(ctypes.c_char_p(b"1"))) == no_such_job
    assert _raised(lambda: s.jobStatus(ctypes.create_string_buffer(b"1"))) == no_such_job
    assert _raised(lambda: s.wait("1", ctypes.c_long(0))) == no_such_job
    assert _raised(lambda: s.wait("1", ctypes.c_int(0))) == (
        "ArgumentError",
        ("argument 5: TypeError: wrong type",),
    )
    s.synchronize(["1"], ctypes.c_long(0))

    class Parameter:
        def __init__(self, value: object = b"named") -> None:
            self._as_parameter_ = value

    jt = template(vdrmaa, "/bin/true")
    for value, read in ((ctypes.c_char_p(b"x"), "x"), (ctypes.create_string_buffer(b"abc"), "abc"),
                        (Parameter(), "named"), (ctypes.c_char_p(None), "abc")):  # fmt: skip
        if read == "abc" and isinstance(value, ctypes.c_char_p):  # NULL: refused by the library
            assert _raised(lambda v=value: setattr(jt, "jobName", v)) == (
                "InvalidArgumentException",
                ("code 4: ",),
            )
            continue
        jt.jobName = value
        assert jt.jobName == read
    assert s.runBulkJobs(jt, ctypes.c_int(1), ctypes.c_int(2), ctypes.c_int(1)) == ["1.1", "1.2"]
    assert _raised(lambda: s.runBulkJobs(jt, ctypes.c_long(1), 2, 1)) == (
        "ArgumentError",
        ("argument 3: TypeError: wrong type",),
    )
    # ctypes follows _as_parameter_, to None (NULL) or an int too
    assert _raised(lambda: s.wait("99", Parameter(3))) == no_such_job
    assert _raised(lambda: s.jobStatus(Parameter(None))) == (
        "InvalidArgumentException",
        ("code 4: The input value for an argument is invalid.",),
    )
    assert _raised(lambda: s.jobStatus(Parameter(Parameter(b"99")))) == no_such_job
    assert s.runBulkJobs(jt, Parameter(1), 1, Parameter(ctypes.c_int(1))) == ["2.1"]
    s.exit()
    s.initialize(ctypes.c_char_p(b"session=z"))
    assert s.contact == "session=z"


# -- bytes go to the library as they are; what comes back is read as the binding reads it --
def test_bytes_that_are_not_utf8_reach_the_library(vsession, vdrmaa):
    """Measured (sge_bad_input_probe): setting b'\\xff' works, reading it back raises the
    binding's UnicodeDecodeError; an id the library names in its error message makes the
    message undecodable (position 9: 'Job id, "\\xff", ...')."""
    jt = vsession.createJobTemplate()
    jt.jobName = b"\xff"
    assert _raised(lambda: jt.jobName) == (
        "UnicodeDecodeError",
        ("utf-8", b"\xff", 0, 1, "invalid start byte"),
    )
    jt.args = ["ok", b"\xff"]
    assert _raised(lambda: jt.args) == (
        "UnicodeDecodeError",
        ("utf-8", b"\xff", 0, 1, "invalid start byte"),
    )
    message = b'Job id, "\xff", is not a valid job id'
    for call in (lambda: vsession.jobStatus(b"\xff"), lambda: vsession.synchronize([b"\xff"], 0)):
        assert _raised(call) == (
            "UnicodeDecodeError",
            ("utf-8", message, 9, 10, "invalid start byte"),
        )
    vsession.exit()
    vsession.initialize(b"session=\xff")
    assert _raised(lambda: vsession.contact) == (
        "UnicodeDecodeError",
        ("utf-8", b"session=\xff", 8, 9, "invalid start byte"),
    )
    vsession.exit()


def test_what_comes_back_is_cut_to_the_bindings_buffers(vsession, vdrmaa):
    """drmaa-python reads attributes, vector elements, the contact and error messages into
    1024-byte buffers: 1023 bytes and the NUL; a cut inside a character is undecodable."""
    jt = vsession.createJobTemplate()
    jt.jobName = "x" * 1030
    assert jt.jobName == "x" * 1023
    jt.jobName = "a" * 1021 + "é"  # 1023 bytes: fits
    assert jt.jobName == "a" * 1021 + "é"
    jt.jobName = "a" * 1022 + "é"
    assert _raised(lambda: jt.jobName) == (
        "UnicodeDecodeError",
        ("utf-8", b"a" * 1022 + b"\xc3", 1022, 1023, "unexpected end of data"),
    )
    jt.args = ["x" * 1030, "y"]
    assert jt.args == ["x" * 1023, "y"]
    jt.jobEnvironment = {"A": "x" * 1030}
    assert jt.jobEnvironment == {"A": "x" * 1021}
    with pytest.raises(vdrmaa.InvalidArgumentException) as info:
        vsession.jobStatus("é" * 520)
    assert str(info.value) == "code 4: " + 'Job id, "' + "é" * 507
    assert _raised(lambda: vsession.jobStatus("a" + "é" * 520))[0] == "UnicodeDecodeError"
    vsession.exit()
    vsession.initialize("session=" + "x" * 1100)
    assert vsession.contact == "session=" + "x" * 1015


# -- what the library can answer --------------------------------------------------------------
def test_a_failure_inside_the_library_is_an_internal_error(vdrmaa):
    """A C library answers error codes, never a Python exception: through our libdrmaa, a
    failure inside the simulated cell is InternalException 'code 1: <type>: <message>'
    (the daemon's answer), so the drop-in answers the same. Found with a virtual job of
    endless length ('sleep inf'), whose end a wait without time-out moved the clock to."""

    def failing_model(spec, task=None):
        raise RuntimeError("the job model failed")

    from simulator import control

    control.reset(clock="virtual", job_model=failing_model)
    s = vdrmaa.Session
    s.initialize()
    jt = template(vdrmaa, "/bin/true")
    with pytest.raises(vdrmaa.InternalException) as info:
        s.runJob(jt)
    assert info.value.args == ("code 1: RuntimeError: the job model failed",)
    assert isinstance(info.value.__cause__, RuntimeError)  # kept for whoever debugs it
