"""Session lifecycle, checked against what Grid Engine 8.1.9 printed (shared facts probe)."""

from __future__ import annotations

import re

import pytest


def test_informational_calls_before_initialize(vdrmaa):
    s = vdrmaa.Session()
    assert s.contact == ""
    assert s.drmsInfo == "SGE 8.1.9"
    assert s.drmaaImplementation == "SGE 8.1.9"
    assert s.version == (1, 0)
    assert repr(s.version) == "Version(major=1, minor=0)"
    assert str(s.version) == "1.0"


def test_contact_is_host_pid_number_and_survives_reconnect(vdrmaa):
    s = vdrmaa.Session()
    s.initialize()
    contact = s.contact
    assert re.fullmatch(r"session=[\w-]+\.\d+\.\d+", contact)
    s.exit()
    assert s.contact == ""
    s.initialize(contact)
    assert s.contact == contact
    s.exit()


@pytest.mark.parametrize(
    ("call", "exc", "message"),
    [
        (lambda s: s.exit(), "NoActiveSessionException", "code 5: "),
        (lambda s: s.jobStatus("1"), "NoActiveSessionException", "code 5: No active session"),
    ],
)
def test_calls_without_session(vdrmaa, call, exc, message):
    with pytest.raises(getattr(vdrmaa, exc)) as info:
        call(vdrmaa.Session())
    assert str(info.value) == message


def test_second_initialize_is_already_active(vsession, vdrmaa):
    with pytest.raises(vdrmaa.AlreadyActiveSessionException) as info:
        vsession.initialize()
    assert str(info.value) == ("code 11: Initialization failed due to existing DRMAA session.")


def test_exit_twice(vdrmaa):
    vdrmaa.Session.initialize()
    vdrmaa.Session.exit()
    with pytest.raises(vdrmaa.NoActiveSessionException, match=r"^code 5: $"):
        vdrmaa.Session.exit()


def test_bogus_contact_is_invalid_argument_and_leaves_no_session(vdrmaa):
    with pytest.raises(vdrmaa.InvalidArgumentException) as info:
        vdrmaa.Session.initialize("bogus")
    assert str(info.value) == "code 4: The input value for an argument is invalid."
    with pytest.raises(vdrmaa.NoActiveSessionException):
        vdrmaa.Session.exit()


def test_unknown_job_is_invalid_job(vsession, vdrmaa):
    with pytest.raises(vdrmaa.InvalidJobException) as info:
        vsession.jobStatus("99999")
    assert str(info.value) == "code 18: The job specified by the 'jobid' does not exist."


@pytest.mark.parametrize("call", ["jobStatus", "wait"])
def test_unparsable_job_id_is_invalid_argument(vsession, vdrmaa, call):
    args = ("abc",) if call == "jobStatus" else ("abc", 1)
    with pytest.raises(vdrmaa.InvalidArgumentException) as info:
        getattr(vsession, call)(*args)
    assert str(info.value) == 'code 4: Job id, "abc", is not a valid job id'


def test_context_manager_initializes_and_exits(vdrmaa):
    with vdrmaa.Session() as s:
        assert s.contact.startswith("session=")
    assert vdrmaa.Session.contact == ""


def test_exception_hierarchy_matches_binding(vdrmaa):
    assert issubclass(vdrmaa.InvalidArgumentException, AttributeError)
    assert issubclass(vdrmaa.OutOfMemoryException, MemoryError)
    assert issubclass(vdrmaa.InvalidJobException, vdrmaa.errors.DrmaaException)
    assert not issubclass(vdrmaa.InvalidJobException, AttributeError)
