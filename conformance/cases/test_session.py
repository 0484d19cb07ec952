"""Session lifecycle: init/exit, contact, DRM information, calls after exit.

Spec: GFD.130 Session (init, exit, contact, version, drmsInfo, drmaaImplementation);
Python binding GFD.143 (Session as a class with static methods, context manager).
Grid Engine facts: shared/facts/sge_session_probe.out.
"""

import pytest

from conformance.kit import case, expect_raises, ge_choice


@case("GFD.130 Session.init; Session.exit", official=["st_recoverable_session"])
def test_init_then_exit(drmaa, jobs):
    """A session starts with initialize() and ends with exit()."""
    jobs.init()
    assert drmaa.Session.contact, "an active session has a non-empty contact"
    drmaa.Session.exit()


@case(
    "GFD.130 Session.init (ALREADY_ACTIVE_SESSION)",
    official=["st_mult_init"],
    ge="init twice: AlreadyActiveSessionException (code 11)",
)
def test_second_init_fails_already_active(drmaa, session):
    """A second initialize() while a session is active raises AlreadyActiveSessionException."""
    expect_raises(drmaa.AlreadyActiveSessionException, session.initialize, code=11)
    # the first session is still usable
    assert session.contact


@case(
    "GFD.130 Session.exit (NO_ACTIVE_SESSION)",
    official=["st_mult_exit"],
    ge="exit twice: NoActiveSessionException (code 5)",
)
def test_second_exit_fails_no_active_session(drmaa, jobs):
    """exit() twice: the second raises NoActiveSessionException."""
    jobs.init()
    drmaa.Session.exit()
    expect_raises(drmaa.NoActiveSessionException, drmaa.Session.exit, code=5)


@case(
    "GFD.130 Session.exit (NO_ACTIVE_SESSION)",
    ge="exit without init: NoActiveSessionException (code 5)",
)
def test_exit_without_init_fails(drmaa):
    """exit() with no session ever started raises NoActiveSessionException."""
    expect_raises(drmaa.NoActiveSessionException, drmaa.Session.exit, code=5)


@case("GFD.130 Session.init; Session.exit")
def test_init_again_after_exit(drmaa, jobs):
    """After exit() a new session can be started in the same process."""
    jobs.init()
    drmaa.Session.exit()
    jobs.init()
    assert drmaa.Session.contact
    drmaa.Session.exit()


@case(
    "GFD.130 Session.contact",
    official=["st_contact", "st_recoverable_session"],
    ge="contact is session=<host>.<pid>.<number>",
)
@ge_choice("the contact string's format is implementation-defined")
def test_contact_names_the_session(drmaa, session):
    """While a session is active, contact is 'session=<key>' (Grid Engine's format)."""
    contact = session.contact
    assert contact.startswith("session="), contact
    assert len(contact) > len("session=")


@case("GFD.130 Session.contact", official=["st_contact"], ge="contact before init: ''")
@ge_choice("before init the spec allows a list of available contacts; Grid Engine returns ''")
def test_contact_before_init_is_empty(drmaa):
    """Before initialize(), contact is the empty string on Grid Engine."""
    assert drmaa.Session.contact == ""


@case("GFD.130 Session.contact")
@ge_choice("after exit the contact is the empty string on Grid Engine")
def test_contact_after_exit_is_empty(drmaa, jobs):
    """After exit(), contact is the empty string again."""
    jobs.init()
    drmaa.Session.exit()
    assert drmaa.Session.contact == ""


@case(
    "GFD.130 Session.init (contact)",
    official=["st_recoverable_session"],
    ge="restarted with the contact: same contact string",
)
def test_init_with_contact_rejoins_same_session(drmaa, jobs):
    """initialize(contact) of an exited session gives back the same contact."""
    contact = jobs.init()
    drmaa.Session.exit()
    assert jobs.init(contact) == contact
    drmaa.Session.exit()


@case("GFD.130 Session.init (contact)")
@ge_choice("Grid Engine treats an empty contact like None")
def test_init_with_empty_contact(drmaa, jobs):
    """initialize('') starts a new session like initialize()."""
    assert jobs.init("")
    drmaa.Session.exit()


@pytest.mark.parametrize("contact", ["bogus", "foo=bar", "session"])
@case(
    "GFD.130 Session.init (INVALID_CONTACT_STRING)",
    ge="initialize('bogus'): InvalidArgumentException (code 4); exit after it: "
    "NoActiveSessionException",
)
@ge_choice("the spec names INVALID_CONTACT_STRING; Grid Engine raises INVALID_ARGUMENT")
def test_init_with_bad_contact_fails(drmaa, contact):
    """A malformed contact string is refused and leaves no session behind."""
    expect_raises(drmaa.InvalidArgumentException, lambda: drmaa.Session.initialize(contact), code=4)
    expect_raises(drmaa.NoActiveSessionException, drmaa.Session.exit)


@case("GFD.130 Session.init (contact)")
@ge_choice("Grid Engine accepts any session key and echoes it as the contact")
def test_init_with_unknown_session_key_is_accepted(drmaa, jobs):
    """initialize('session=<unknown key>') succeeds; contact is that string."""
    contact = "session=drmaa-testkit.unknown.1"
    assert jobs.init(contact) == contact
    drmaa.Session.exit()


@case(
    "GFD.130 Session.drmsInfo",
    official=["st_drm_system"],
    ge="drmsInfo is 'SGE 8.1.9' before and after init",
)
def test_drms_info_before_and_after_init(drmaa, jobs):
    """drmsInfo is a non-empty string before init, during a session and after exit."""
    before = drmaa.Session.drmsInfo
    jobs.init()
    during = drmaa.Session.drmsInfo
    drmaa.Session.exit()
    after = drmaa.Session.drmsInfo
    for value in (before, during, after):
        assert isinstance(value, str) and value
    assert during == before == after


@case("GFD.130 Session.drmsInfo", official=["st_drm_system"])
@ge_choice("the DRM system string is implementation-defined")
def test_drms_info_names_grid_engine(drmaa):
    """Grid Engine's drmsInfo names it: 'SGE <version>'."""
    assert drmaa.Session.drmsInfo.startswith("SGE ")


@case(
    "GFD.130 Session.drmaaImplementation",
    official=["st_drmaa_impl"],
    ge="drmaaImplementation is 'SGE 8.1.9' before and after init",
)
def test_drmaa_implementation_before_and_after_init(drmaa, jobs):
    """drmaaImplementation is a non-empty string before and during a session."""
    before = drmaa.Session.drmaaImplementation
    jobs.init()
    during = drmaa.Session.drmaaImplementation
    assert isinstance(before, str) and before
    assert during == before


@case(
    "GFD.130 Session.version; GFD.143 Version",
    official=["st_version"],
    ge="version is Version(major=1, minor=0) before init",
)
def test_version_is_1_0(drmaa, jobs):
    """version is (1, 0) before and during a session; str() gives '1.0'."""
    before = drmaa.Session.version
    jobs.init()
    during = drmaa.Session.version
    for value in (before, during):
        assert (value.major, value.minor) == (1, 0)
        assert str(value) == "1.0"


_AFTER_EXIT_CALLS = {
    "createJobTemplate": lambda S, jt: S.createJobTemplate(),
    "runJob": lambda S, jt: S.runJob(jt),
    "runBulkJobs": lambda S, jt: S.runBulkJobs(jt, 1, 2, 1),
    "control": lambda S, jt: S.control("1", "terminate"),
    "synchronize": lambda S, jt: S.synchronize([S.JOB_IDS_SESSION_ALL], 0, True),
    "wait": lambda S, jt: S.wait(S.JOB_IDS_SESSION_ANY, 0),
    "jobStatus": lambda S, jt: S.jobStatus("1"),
}


@pytest.mark.parametrize("call", sorted(_AFTER_EXIT_CALLS))
@case(
    "GFD.130 Session (NO_ACTIVE_SESSION after exit)",
    ge="jobStatus after exit: NoActiveSessionException (code 5)",
)
def test_calls_after_exit_fail_no_active_session(drmaa, jobs, call):
    """Every session call after exit() raises NoActiveSessionException."""
    jobs.init()
    jt = jobs.sleeper(1)
    drmaa.Session.exit()
    expect_raises(
        drmaa.NoActiveSessionException, lambda: _AFTER_EXIT_CALLS[call](drmaa.Session, jt), code=5
    )


@case("GFD.130 JobTemplate (NO_ACTIVE_SESSION)")
@ge_choice("Grid Engine checks for a session in every job template routine")
def test_template_attributes_after_exit_fail(drmaa, jobs):
    """Reading or setting a template attribute after exit() raises NoActiveSessionException."""
    jobs.init()
    jt = jobs.sleeper(1)
    drmaa.Session.exit()
    expect_raises(drmaa.NoActiveSessionException, lambda: jt.remoteCommand, code=5)
    expect_raises(
        drmaa.NoActiveSessionException, lambda: setattr(jt, "remoteCommand", "/bin/true"), code=5
    )


@case("GFD.130 Session.deleteJobTemplate")
@ge_choice("Grid Engine frees a template without checking for a session")
def test_delete_template_after_exit_is_allowed(drmaa, jobs):
    """deleteJobTemplate() of a template made in an exited session succeeds."""
    jobs.init()
    jt = jobs.sleeper(1)
    drmaa.Session.exit()
    drmaa.Session.deleteJobTemplate(jt)


@case("GFD.130 Session.createJobTemplate (NO_ACTIVE_SESSION)")
@ge_choice("Grid Engine needs a session to allocate a job template")
def test_create_template_before_init_fails(drmaa):
    """createJobTemplate() before initialize() raises NoActiveSessionException."""
    expect_raises(drmaa.NoActiveSessionException, drmaa.Session.createJobTemplate, code=5)


@case("GFD.143 Session (context manager)")
def test_session_as_context_manager(drmaa, jobs):
    """`with Session() as s:` initializes a session and exits it at the end of the block."""
    with drmaa.Session() as s:
        assert s.contact
        job = s.runJob(jobs.sleeper(0))
        s.wait(job, jobs.wait_timeout())
    expect_raises(drmaa.NoActiveSessionException, drmaa.Session.exit)


@case("GFD.143 Session (static methods)")
def test_session_instances_share_the_process_session(drmaa, jobs):
    """Session's methods are static: two instances see one process-wide session."""
    first, second = drmaa.Session(), drmaa.Session()
    first.initialize()
    assert second.contact == first.contact
    expect_raises(drmaa.AlreadyActiveSessionException, second.initialize)
    second.exit()
    expect_raises(drmaa.NoActiveSessionException, first.exit)
