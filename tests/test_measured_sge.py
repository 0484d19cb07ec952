"""Behaviour measured on real Grid Engine 8.1.9 (docs/measurements/*.out), on the simulator.

Each case names the probe output it reproduces. Where Grid Engine is merely slow (a second
to dispatch, up to ten to show a terminate), the simulator is faster; the outcome is the same.
"""

from __future__ import annotations

import ctypes
import time

import pytest

import simulator.drmaa as sim_drmaa
from simulator import control
from tests.conftest import template

UNSET = "code 14: The value for the job attribute is invalid."


# -- sge_template_probe.out ------------------------------------------------------------------
def test_attribute_names(vsession, vdrmaa):
    jt = vsession.createJobTemplate()
    assert jt.attributeNames == [
        "drmaa_remote_command", "drmaa_js_state", "drmaa_wd", "drmaa_job_name",
        "drmaa_input_path", "drmaa_output_path", "drmaa_error_path", "drmaa_join_files",
        "drmaa_job_category", "drmaa_native_specification", "drmaa_block_email",
        "drmaa_start_time", "drmaa_submit_as_euid",
    ]  # fmt: skip


ALL_ATTRIBUTES = [
    "remoteCommand", "jobSubmissionState", "workingDirectory", "jobCategory",
    "nativeSpecification", "blockEmail", "startTime", "jobName", "inputPath", "outputPath",
    "errorPath", "joinFiles", "transferFiles", "deadlineTime", "hardWallclockTimeLimit",
    "softWallclockTimeLimit", "hardRunDurationLimit", "softRunDurationLimit", "args", "email",
    "jobEnvironment",
]  # fmt: skip


@pytest.mark.parametrize("name", ALL_ATTRIBUTES)
def test_unset_attribute_reads_as_invalid_value(vsession, vdrmaa, name):
    jt = vsession.createJobTemplate()
    with pytest.raises(vdrmaa.InvalidAttributeValueException) as info:
        getattr(jt, name)
    assert str(info.value) == UNSET


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("transferFiles", "eo"),
        ("deadlineTime", "12:30"),
        ("hardWallclockTimeLimit", 60),
        ("softWallclockTimeLimit", 60),
        ("hardRunDurationLimit", 60),
        ("softRunDurationLimit", 60),
    ],
)
def test_unsupported_attribute_set_is_invalid_argument(vsession, vdrmaa, name, value):
    jt = vsession.createJobTemplate()
    with pytest.raises(vdrmaa.InvalidArgumentException) as info:
        setattr(jt, name, value)
    assert str(info.value) == "code 4: "


def test_limit_as_string_is_the_bindings_type_error(vsession):
    jt = vsession.createJobTemplate()
    with pytest.raises(TypeError, match="string argument without an encoding"):
        jt.hardWallclockTimeLimit = "60"


@pytest.mark.parametrize(
    ("name", "value", "read_back"),
    [
        ("remoteCommand", "/bin/echo", "/bin/echo"),
        ("jobSubmissionState", "drmaa_hold", "drmaa_hold"),
        ("workingDirectory", "relative/dir", "relative/dir"),
        ("blockEmail", True, True),
        ("blockEmail", "maybe", True),
        ("startTime", "garbage", "garbage"),
        ("joinFiles", "maybe", True),
        ("outputPath", "/no/colon/prefix", "/no/colon/prefix"),
        ("jobName", "bad/slash", "bad/slash"),
        ("args", ["a", 1, "b c"], ["a", "1", "b c"]),
        ("jobEnvironment", {"FOO": "bar", "X": "1=2"}, {"FOO": "bar", "X": "1=2"}),
        ("email", [], []),
    ],
)
def test_values_read_back(vsession, name, value, read_back):
    jt = vsession.createJobTemplate()
    setattr(jt, name, value)
    assert getattr(jt, name) == read_back


def test_bad_submission_state_keeps_previous_value(vsession, vdrmaa):
    jt = vsession.createJobTemplate()
    jt.jobSubmissionState = "drmaa_active"
    with pytest.raises(vdrmaa.InvalidAttributeValueException) as info:
        jt.jobSubmissionState = "bogus"
    assert str(info.value) == (
        'code 14: attribute "drmaa_js_state" must be either "drmaa_active" or "drmaa_hold"\n'
    )
    assert jt.jobSubmissionState == "drmaa_active"


def test_template_lifecycle(vdrmaa):
    with pytest.raises(vdrmaa.NoActiveSessionException, match=r"^code 5: No active session$"):
        vdrmaa.Session.createJobTemplate()
    vdrmaa.Session.initialize()
    jt = template(vdrmaa, "/bin/true")
    vdrmaa.Session.deleteJobTemplate(jt)
    vdrmaa.Session.deleteJobTemplate(jt)  # twice: accepted
    with pytest.raises(vdrmaa.InvalidAttributeValueException):
        jt.remoteCommand  # noqa: B018
    # Writing to or submitting a deleted template crashes libdrmaa (SIGSEGV); we refuse.
    with pytest.raises(vdrmaa.errors.InvalidJobTemplateException):
        vdrmaa.Session.runJob(jt)
    kept = vdrmaa.Session.createJobTemplate()
    vdrmaa.Session.exit()
    vdrmaa.Session.deleteJobTemplate(kept)  # after exit(): accepted


def test_run_job_argument_errors(vsession, vdrmaa):
    with pytest.raises(vdrmaa.InvalidArgumentException, match=r"^code 4: The input value"):
        vsession.runJob(None)
    with pytest.raises(ctypes.ArgumentError) as info:
        vsession.runJob("notatemplate")
    assert str(info.value) == (
        "argument 3: TypeError: expected LP_drmaa_job_template_s instance instead of str"
    )


# -- sge_submit_errors_probe.out -------------------------------------------------------------
@pytest.mark.parametrize(
    ("attributes", "exc", "message"),
    [
        ({}, "DeniedByDrmException",
         'code 17: job template must have "drmaa_remote_command" attribute set'),
        ({"remoteCommand": ""}, "DeniedByDrmException",
         "code 17: job rejected cause there is no job_name in the request"),
        ({"remoteCommand": "/bin/true", "jobName": "bad/slash"}, "DeniedByDrmException",
         "code 17: Slash ('/') not allowed in objectname"),
        ({"remoteCommand": "/bin/true", "jobName": "has space"}, "InternalException",
         "code 1: Error reading answer list from qmaster"),
        ({"remoteCommand": "/bin/true", "jobName": "1abc"}, "DeniedByDrmException",
         'code 17: denied: "1abc" is not a valid object name (cannot start with a digit)'),
        ({"remoteCommand": "/bin/true", "startTime": "garbage"}, "DeniedByDrmException",
         "code 17: Error parsing DRMAA date string"),
        ({"remoteCommand": "/bin/true", "nativeSpecification": "-bogus"},
         "DeniedByDrmException", 'code 17: invalid option argument "-bogus"\n'),
        ({"remoteCommand": "/bin/true", "nativeSpecification": "-l nosuchresource=1"},
         "DeniedByDrmException", 'code 17: unknown resource "nosuchresource"'),
        ({"remoteCommand": "/bin/true", "nativeSpecification": "-q nosuchqueue"},
         "DeniedByDrmException",
         'code 17: Job was rejected because job requests unknown queue "nosuchqueue"'),
        ({"remoteCommand": "/bin/true", "nativeSpecification": "-l arch=no-such-arch"},
         "DeniedByDrmException", "code 17: error: no suitable queues"),
    ],
)  # fmt: skip
def test_refused_submissions(vsession, vdrmaa, attributes, exc, message):
    jt = vsession.createJobTemplate()
    for name, value in attributes.items():
        setattr(jt, name, value)
    with pytest.raises(getattr(vdrmaa, exc)) as info:
        vsession.runJob(jt)
    assert str(info.value) == message


def test_refused_submission_uses_up_a_job_number(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/true")
    first = int(vsession.runJob(jt))
    jt.jobName = "bad/slash"
    with pytest.raises(vdrmaa.DeniedByDrmException):
        vsession.runJob(jt)
    jt.jobName = "fine"
    assert int(vsession.runJob(jt)) == first + 2


def test_start_time_in_the_past_holds_the_job_by_system(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/true", startTime="00:00"))
    assert vsession.jobStatus(job) == "system_on_hold"
    with pytest.raises(vdrmaa.ExitTimeoutException):
        vsession.wait(job, 15)
    vsession.control(job, vdrmaa.JobControlAction.TERMINATE)
    with pytest.raises(Exception, match=r"^code 24: no usage information"):
        vsession.wait(job)


def test_unschedulable_job_with_w_n_stays_queued(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/true", nativeSpecification="-w n -l arch=no-such-arch")
    job = vsession.runJob(jt)
    control.advance(3)
    assert vsession.jobStatus(job) == "queued_active"
    with pytest.raises(vdrmaa.ExitTimeoutException):
        vsession.wait(job, 2)


def test_hard_runtime_kills_with_sigkill(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "30", nativeSpecification="-l h_rt=1"))
    info = vsession.wait(job)
    assert (info.hasExited, info.hasSignal, info.terminatedSignal, info.wasAborted) == (
        False, True, "SIGKILL", False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("begin", "end", "step", "outcome"),
    [
        (1, 5, 2, [".1", ".3", ".5"]),
        (2, 2, 1, [".2"]),
        (1, 2, 5, [".1"]),
        (1, 10, 3, [".1", ".4", ".7", ".10"]),
        (3, 1, 1, "InvalidArgumentException"),
        (1, 5, 0, "InvalidArgumentException"),
        (5, 1, -1, "InvalidArgumentException"),
        (1, 5, -1, "InvalidArgumentException"),
        (0, 2, 1, "InvalidArgumentException"),
        (-1, 2, 1, "InvalidArgumentException"),
        (-3, -1, 1, "DeniedByDrmException"),
    ],
)
def test_bulk_ranges(vsession, vdrmaa, begin, end, step, outcome):
    jt = template(vdrmaa, "/bin/true")
    if isinstance(outcome, str):
        with pytest.raises(getattr(vdrmaa, outcome)) as info:
            vsession.runBulkJobs(jt, begin, end, step)
        if begin == -3:
            assert str(info.value) == (
                'code 17: Range specifier "-3--1:1" has unknown trailer "3--1:1"\n'
            )
        return
    ids = vsession.runBulkJobs(jt, begin, end, step)
    number = ids[0].split(".")[0]
    assert ids == [number + suffix for suffix in outcome]


@pytest.mark.parametrize(("args", "position"), [((1, 2, 1.5), 5), (("1", "2", "1"), 3)])
def test_bulk_argument_types(vsession, vdrmaa, args, position):
    with pytest.raises(ctypes.ArgumentError, match=f"^argument {position}: TypeError: wrong type$"):
        vsession.runBulkJobs(template(vdrmaa, "/bin/true"), *args)


def test_array_job_ids(vsession, vdrmaa):
    # sge_array_probe: a bare array number names task 1 for wait, synchronize and (once
    # task 1 has finished) jobStatus.
    jt = template(vdrmaa, "/bin/sh", "-c", "sleep 1")
    ids = vsession.runBulkJobs(jt, 1, 5, 2)
    number = ids[0].split(".")[0]
    for bad in (f"{number}.2", f"{number}.7", number):
        with pytest.raises(vdrmaa.InvalidJobException):
            vsession.jobStatus(bad)
    info = vsession.wait(number)  # task 1, however the others stand
    assert info.jobId == ids[0]
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.wait(number, 0)  # task 1 is reaped: nothing is left that N names
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.wait(f"{number}.2")
    vsession.synchronize([number], 20, True)  # OK: ignored, task 1 is gone
    for task in ids[1:]:
        assert vsession.jobStatus(task) == "done"


# -- sge_control_probe.out -------------------------------------------------------------------
def _job_in(state: str, vsession, vdrmaa) -> str:
    """A job in the named state, on a one-slot cell whose slot is taken by a blocker."""
    a = vdrmaa.JobControlAction
    if state in ("queued_active", "user_hold"):
        vsession.runJob(template(vdrmaa, "/bin/sleep", "1000"))
        job = vsession.runJob(template(vdrmaa, "/bin/sleep", "10"))
        if state == "user_hold":
            vsession.control(job, a.HOLD)
        return job
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "10"))
    if state == "user_suspended":
        vsession.control(job, a.SUSPEND)
    elif state in ("done", "reaped"):
        vsession.synchronize([job], 100, state == "reaped")
    return job


MATRIX = [
    # state, action, error (None: accepted), state afterwards
    ("queued_active", "suspend", ("SuspendInconsistentStateException",
     "code 20: Modify operation can not be applied on job-array task {n}.1 in pending/hold "
     "state"), "queued_active"),
    ("queued_active", "resume", ("ResumeInconsistentStateException",
     "code 19: Modify operation can not be applied on job-array task {n}.1 in pending/hold "
     "state"), "queued_active"),
    ("queued_active", "hold", None, "user_on_hold"),
    ("queued_active", "release", None, "queued_active"),
    ("queued_active", "terminate", None, "failed"),
    ("user_hold", "suspend", ("SuspendInconsistentStateException", None), "user_on_hold"),
    ("user_hold", "resume", ("ResumeInconsistentStateException", None), "user_on_hold"),
    ("user_hold", "hold", None, "user_on_hold"),
    ("user_hold", "release", None, "queued_active"),
    ("user_hold", "terminate", None, "failed"),
    ("running", "suspend", None, "user_suspended"),
    ("running", "resume", ("ResumeInconsistentStateException",
     "code 19: {u} - job {n} is already unsuspended"), "running"),
    ("running", "hold", None, "user_on_hold"),
    ("running", "release", None, "running"),
    ("running", "terminate", None, "failed"),
    ("user_suspended", "suspend", ("SuspendInconsistentStateException",
     "code 20: {u} - job {n} is already suspended"), "user_suspended"),
    ("user_suspended", "resume", None, "running"),
    ("user_suspended", "hold", None, "user_on_hold"),
    ("user_suspended", "release", None, "user_suspended"),
    ("user_suspended", "terminate", None, "failed"),
    ("done", "suspend", ("InvalidJobException", 'code 18: invalid queue or job "{n}"'), "done"),
    ("done", "resume", ("InvalidJobException", 'code 18: invalid queue or job "{n}"'), "done"),
    ("done", "hold", ("InvalidJobException", 'code 18: denied: job "{n}" does not exist'),
     "done"),
    ("done", "release", ("InvalidJobException", 'code 18: denied: job "{n}" does not exist'),
     "done"),
    ("done", "terminate", ("InvalidJobException", "code 18: There are no jobs registered"),
     "done"),
    ("reaped", "suspend", ("InvalidJobException", 'code 18: invalid queue or job "{n}"'), None),
    ("reaped", "hold", ("InvalidJobException", 'code 18: denied: job "{n}" does not exist'),
     None),
    ("reaped", "terminate", ("InvalidJobException", "code 18: There are no jobs registered"),
     None),
]  # fmt: skip


@pytest.mark.parametrize(("state", "action", "error", "after"), MATRIX)
def test_control_matrix(vdrmaa, state, action, error, after):

    control.reset(clock="virtual", slots=1)
    session = vdrmaa.Session
    session.initialize()
    job = _job_in(state, session, vdrmaa)
    if error is None:
        session.control(job, action)
    else:
        exc, message = error
        with pytest.raises(getattr(vdrmaa, exc)) as info:
            session.control(job, action)
        if message is not None:
            assert str(info.value) == message.format(n=job, u=control.cluster().owner.name)
    if after is None:
        with pytest.raises(vdrmaa.InvalidJobException):
            session.jobStatus(job)
    else:
        assert session.jobStatus(job) == after


def test_control_action_must_be_known(vsession):
    with pytest.raises(ValueError, match="'bogus' is not in list"):
        vsession.control("1", "bogus")


def test_terminate_queued_job_has_no_usage(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/true", jobSubmissionState="drmaa_hold"))
    vsession.control(job, vdrmaa.JobControlAction.TERMINATE)
    assert vsession.jobStatus(job) == "failed"
    with pytest.raises(Exception, match=r"^code 24: no usage information") as info:
        vsession.wait(job)
    assert type(info.value) is Exception  # the binding's mapping of code 24
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.jobStatus(job)  # reaped all the same


def test_signals_leave_the_job_done(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sh", "-c", "kill -TERM $$"))
    vsession.synchronize([job], 10, False)
    assert vsession.jobStatus(job) == "done"
    info = vsession.wait(job)
    assert (info.hasSignal, info.terminatedSignal) == (True, "SIGTERM")


# -- sge_wait_probe.out ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("timeout", "outcome"),
    [
        (0.5, "argument 5: TypeError: wrong type"),
        ("1", "argument 5: TypeError: wrong type"),
        (None, "argument 5: TypeError: wrong type"),
        (-5, "code 4: Negative timeout values are not allowed."),
        (-2, "code 4: Negative timeout values are not allowed."),
        (2**63, "code 4: Negative timeout values are not allowed."),
        (2**64, "code 23: time-out condition"),
        (0, "code 23: time-out condition"),
    ],
)
def test_wait_timeout_values(vsession, vdrmaa, timeout, outcome):
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "30"))
    with pytest.raises(Exception) as info:
        vsession.wait(job, timeout)
    assert str(info.value) == outcome


def test_synchronize_timeout_has_empty_message(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "30"))
    with pytest.raises(vdrmaa.ExitTimeoutException) as info:
        vsession.synchronize([job], 1, True)
    assert str(info.value) == "code 23: "


def test_synchronize_ignores_unknown_ids_and_refuses_garbage(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "3"))
    vsession.synchronize(["99999", job, "-3", "1.2.3"], 20, True)
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.jobStatus(job)
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "3"))
    with pytest.raises(vdrmaa.InvalidArgumentException, match='Job id, "abc", is not a valid'):
        vsession.synchronize([job, "abc"], 20, True)
    assert vsession.jobStatus(job) == "running"
    vsession.synchronize([], 5, True)
    with pytest.raises(vdrmaa.InvalidArgumentException):
        vsession.synchronize([vdrmaa.Session.JOB_IDS_SESSION_ANY], 5, True)


@pytest.mark.parametrize(
    ("form", "status", "wait"),
    [
        ("", "invalid", "invalid"),
        (" {n}", "running", "timeout"),
        ("{n} ", "running", "timeout"),
        ("0{n}", "running", "timeout"),
        ("+{n}", "running", "timeout"),
        ("{n}abc", "running", "timeout"),
        ("{n}.0", "unknown", "unknown"),
        ("{n}.1", "unknown", "timeout"),
        ("{n}.2", "unknown", "unknown"),
        ("-3", "unknown", "unknown"),
        ("0", "unknown", "unknown"),
        ("1.2.3", "unknown", "unknown"),
        ("abc", "invalid", "invalid"),
        ("{n}.", "invalid bulk", "invalid bulk"),
        (".{n}", "invalid bulk", "invalid bulk"),
        ("99999999999999999999", "unknown", "unknown"),
        ("DRMAA_JOB_IDS_SESSION_ALL", "invalid", "invalid"),
    ],
)
def test_job_id_forms(vsession, vdrmaa, form, status, wait):
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "30"))
    text = form.format(n=job)
    expect = {
        "invalid": (vdrmaa.InvalidArgumentException, f'Job id, "{text}", is not a valid job id'),
        "invalid bulk": (
            vdrmaa.InvalidArgumentException,
            f'Job id, "{text}", is not a valid bulk job id',
        ),
        "unknown": (vdrmaa.InvalidJobException, "does not exist"),
        "timeout": (vdrmaa.ExitTimeoutException, "time-out condition"),
    }
    for call, outcome in ((lambda: vsession.jobStatus(text), status),
                          (lambda: vsession.wait(text, 0), wait)):  # fmt: skip
        if outcome == "running":
            assert call() == "running"
            continue
        exc, fragment = expect[outcome]
        with pytest.raises(exc) as info:
            call()
        assert fragment in str(info.value)


def test_job_id_none_and_int(vsession, vdrmaa):
    with pytest.raises(vdrmaa.InvalidArgumentException, match=r"^code 4: The input value"):
        vsession.jobStatus(None)
    with pytest.raises(ctypes.ArgumentError, match=r"^argument 1: TypeError: wrong type$"):
        vsession.jobStatus(123)


def test_wait_any_returns_the_lowest_finished_id_first(vsession, vdrmaa):
    slow = vsession.runJob(template(vdrmaa, "/bin/sleep", "4"))
    fast = vsession.runJob(template(vdrmaa, "/bin/sleep", "2"))
    control.advance(10)  # both have finished: the earlier submitted comes first
    any_ = vdrmaa.Session.JOB_IDS_SESSION_ANY
    assert [vsession.wait(any_).jobId for _ in range(2)] == [slow, fast]
    third = vsession.runJob(template(vdrmaa, "/bin/sleep", "4"))
    fourth = vsession.runJob(template(vdrmaa, "/bin/sleep", "2"))
    assert vsession.wait(any_).jobId == fourth  # only it had finished when wait looked
    assert vsession.wait(any_).jobId == third


def test_synchronize_all_leaves_already_finished_jobs(vsession, vdrmaa):
    done = vsession.runJob(template(vdrmaa, "/bin/true"))
    vsession.synchronize([done], 10, False)
    running = vsession.runJob(template(vdrmaa, "/bin/sleep", "5"))
    vsession.synchronize([vdrmaa.Session.JOB_IDS_SESSION_ALL], 10, True)
    assert vsession.jobStatus(done) == "done"  # not disposed: it had finished before
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.jobStatus(running)
    assert vsession.wait(vdrmaa.Session.JOB_IDS_SESSION_ANY).jobId == done


def test_control_all_applies_everywhere_then_raises_the_first_failure(vdrmaa):
    control.reset(clock="virtual", slots=1)
    s = vdrmaa.Session
    s.initialize()
    finished = s.runJob(template(vdrmaa, "/bin/true"))
    s.synchronize([finished], 10, False)
    running = s.runJob(template(vdrmaa, "/bin/sleep", "100"))
    queued = s.runJob(template(vdrmaa, "/bin/sleep", "100"))
    with pytest.raises(vdrmaa.InvalidJobException, match=f'"{finished}"'):
        s.control(s.JOB_IDS_SESSION_ALL, "suspend")
    assert s.jobStatus(running) == "user_suspended"
    with pytest.raises(vdrmaa.InvalidJobException):
        s.control(s.JOB_IDS_SESSION_ALL, "hold")
    assert s.jobStatus(queued) == "user_on_hold"
    s.control(s.JOB_IDS_SESSION_ALL, "terminate")  # never fails
    assert s.jobStatus(queued) == s.jobStatus(running) == "failed"


def test_terminating_a_bare_array_number_ends_every_task(vsession, vdrmaa):
    ids = vsession.runBulkJobs(
        template(vdrmaa, "/bin/true", jobSubmissionState="drmaa_hold"), 1, 3, 1
    )
    vsession.control(ids[0], "release")
    vsession.wait(ids[0])
    vsession.control(ids[0].split(".")[0], "terminate")
    assert [vsession.jobStatus(i) for i in ids[1:]] == ["failed", "failed"]


def test_wait_any_with_only_a_held_job_times_out(vsession, vdrmaa):
    vsession.runJob(template(vdrmaa, "/bin/true", jobSubmissionState="drmaa_hold"))
    with pytest.raises(vdrmaa.ExitTimeoutException):
        vsession.wait(vdrmaa.Session.JOB_IDS_SESSION_ANY, 0)
    with pytest.raises(vdrmaa.ExitTimeoutException, match=r"^code 23: $"):
        vsession.synchronize([vdrmaa.Session.JOB_IDS_SESSION_ALL], 2)


# -- sge_session_probe.out / sge_jobinfo_probe.out -------------------------------------------
@pytest.mark.parametrize(
    ("contact", "accepted"),
    [
        ("", True),
        ("session=localhost.1.1", True),
        ("session=otherhost.1.1", True),
        ("session=x", True),
        ("session=localhost.1", True),
        ("session=", False),
        (" session=localhost.1.1", False),
    ],
)
def test_contact_strings(vdrmaa, contact, accepted):
    if not accepted:
        with pytest.raises(vdrmaa.InvalidArgumentException, match=r"^code 4: The input value"):
            vdrmaa.Session.initialize(contact)
        assert vdrmaa.Session.contact == ""
        return
    vdrmaa.Session.initialize(contact)
    assert vdrmaa.Session.contact == (contact or vdrmaa.Session.contact)
    with pytest.raises(vdrmaa.InvalidJobException):
        vdrmaa.Session.wait(vdrmaa.Session.JOB_IDS_SESSION_ANY, 0)


def test_reconnect_sees_running_held_and_queued_jobs(vdrmaa):
    control.reset(clock="virtual", slots=1)
    s = vdrmaa.Session
    s.initialize()
    running = s.runJob(template(vdrmaa, "/bin/sleep", "100"))
    held = s.runJob(template(vdrmaa, "/bin/true", jobSubmissionState="drmaa_hold"))
    queued = s.runJob(template(vdrmaa, "/bin/true"))
    contact = s.contact
    s.exit()
    s.initialize(contact)
    assert [s.jobStatus(j) for j in (running, held, queued)] == [
        "running", "user_on_hold", "queued_active",
    ]  # fmt: skip
    s.control(s.JOB_IDS_SESSION_ALL, vdrmaa.JobControlAction.TERMINATE)
    assert s.jobStatus(held) == s.jobStatus(running) == "failed"
    s.synchronize([s.JOB_IDS_SESSION_ALL], 20, True)


@pytest.mark.parametrize(
    "call",
    [
        lambda s, jt: s.runJob(jt),
        lambda s, jt: s.runBulkJobs(jt, 1, 2, 1),
        lambda s, jt: s.wait("1"),
        lambda s, jt: s.wait(s.JOB_IDS_SESSION_ANY),
        lambda s, jt: s.synchronize(["1"]),
        lambda s, jt: s.synchronize([s.JOB_IDS_SESSION_ALL]),
        lambda s, jt: s.control("1", "hold"),
        lambda s, jt: s.control(s.JOB_IDS_SESSION_ALL, "hold"),
        lambda s, jt: s.jobStatus("1"),
        lambda s, jt: s.createJobTemplate(),
        lambda s, jt: setattr(jt, "jobName", "x"),
        lambda s, jt: jt.remoteCommand,
    ],
)
def test_every_call_after_exit(vdrmaa, call):
    s = vdrmaa.Session
    s.initialize()
    jt = template(vdrmaa, "/bin/true")
    s.exit()
    with pytest.raises(vdrmaa.NoActiveSessionException) as info:
        call(s, jt)
    assert str(info.value) == "code 5: No active session"
    s.deleteJobTemplate(jt)  # accepted after exit
    assert (s.contact, s.drmsInfo, s.drmaaImplementation) == ("", "SGE 8.1.9", "SGE 8.1.9")


@pytest.mark.parametrize(
    ("signal_name", "core", "exit_status", "sge_signal"),
    [
        ("TERM", False, "143", "916"),
        ("INT", False, "130", "902"),
        ("SEGV", True, "139", "912"),
        ("USR1", False, "138", "931"),
        ("USR2", False, "140", "932"),
        ("ABRT", True, "134", "906"),
        ("HUP", False, "129", "901"),
        ("QUIT", True, "131", "903"),
        ("KILL", False, "137", "910"),
        ("ALRM", False, "142", "915"),
        ("PIPE", False, "141", "914"),
        ("BUS", True, "135", "911"),
        ("FPE", True, "136", "909"),
        ("ILL", True, "132", "904"),
    ],
)
def test_signals(vsession, vdrmaa, signal_name, core, exit_status, sge_signal):
    job = vsession.runJob(template(vdrmaa, "/bin/sh", "-c", f"kill -{signal_name} $$"))
    info = vsession.wait(job)
    assert (info.hasExited, info.hasSignal, info.terminatedSignal, info.hasCoreDump) == (
        False, True, "SIG" + signal_name, core,
    )  # fmt: skip
    assert info.resourceUsage["exit_status"] == exit_status + ".0000"
    assert info.resourceUsage["signal"] == sge_signal + ".0000"


# -- sge_signal_end_probe.out ----------------------------------------------------------------
@pytest.mark.parametrize("clock", ["virtual", "real"])
@pytest.mark.parametrize(
    ("kill", "core", "number"),
    [("-RTMIN", False, 34), ("-RTMIN+3", False, 37), ("-31", True, 31), ("-16", False, 16),
     ("-26", False, 26), ("-27", False, 27), ("-30", False, 30)],
)  # fmt: skip
def test_signals_grid_engine_does_not_know(clock, kill, core, number):
    """SIGRTMIN.., SIGSYS, SIGSTKFLT, SIGVTALRM, SIGPROF, SIGPWR: 'SIGunknown signal', and
    the plain Linux number as usage 'signal' (a raw ValueError lost the job's result)."""
    control.reset(clock=clock)
    session = sim_drmaa.Session
    session.initialize()
    try:
        info = session.wait(session.runJob(template(sim_drmaa, "/bin/sh", "-c", f"kill {kill} $$")))
    finally:
        session.exit()
        control.reset()
    assert (info.hasExited, info.hasSignal, info.terminatedSignal, info.hasCoreDump) == (
        False, True, "SIGunknown signal", core,
    )  # fmt: skip
    assert info.resourceUsage["exit_status"] == f"{128 + number}.0000"
    assert info.resourceUsage["signal"] == f"{number}.0000"


@pytest.mark.parametrize("kill", ["-WINCH", "-URG", "-CHLD"])
def test_signals_ignored_by_default_leave_the_job_running(vsession, vdrmaa, kill):
    info = vsession.wait(vsession.runJob(template(vdrmaa, "/bin/sh", "-c", f"kill {kill} $$")))
    assert (info.hasExited, info.exitStatus, info.hasSignal) == (True, 0, False)


# -- sge_jobinfo_probe.out: paths, placeholders, special exit statuses ----------------------
@pytest.mark.parametrize("name", ["outputPath", "errorPath", "inputPath", "workingDirectory"])
def test_increment_placeholder_only_in_bulk_jobs(vsession, vdrmaa, name):
    value = "/tmp/x.$drmaa_incr_ph$" if name == "workingDirectory" else ":/tmp/x.$drmaa_incr_ph$"
    jt = template(vdrmaa, "/bin/true", **{name: value})
    with pytest.raises(vdrmaa.DeniedByDrmException) as info:
        vsession.runJob(jt)
    assert str(info.value) == (
        'code 17: increment placeholder "$drmaa_incr_ph$" is only allowed in pathes for bulk jobs\n'
    )
    if name != "workingDirectory":
        vsession.runBulkJobs(jt, 1, 2, 1)  # fine for a bulk job


def test_paths_need_a_colon(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/true", outputPath="/no/colon")
    with pytest.raises(vdrmaa.InvalidArgumentException) as info:
        vsession.runJob(jt)
    assert str(info.value) == (
        "code 4: The \"drmaa_output_path\" attribute must begin with a colon, ':'"
    )


def test_command_with_a_blank_is_an_internal_error(vsession, vdrmaa):
    with pytest.raises(vdrmaa.InternalException, match="Error reading answer list"):
        vsession.runJob(template(vdrmaa, "/bin/echo hi there"))


@pytest.mark.parametrize("name", ["é", "naïve"])
def test_job_name_not_ascii_is_an_internal_error(vsession, vdrmaa, name):
    # sge_bad_input_probe: runJob InternalException, like a name with a blank.
    jt = template(vdrmaa, "/bin/true", jobName=name)
    with pytest.raises(vdrmaa.InternalException, match="Error reading answer list"):
        vsession.runJob(jt)


def test_exit_100_fails_the_job(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sh", "-c", "exit 100"))
    vsession.synchronize([job], 10, False)
    assert vsession.jobStatus(job) == "failed"
    info = vsession.wait(job)
    assert (info.hasExited, info.wasAborted, info.exitStatus, info.hasSignal) == (
        False, True, 0, False,
    )  # fmt: skip
    assert info.resourceUsage["exit_status"] == "100.0000"


def test_exit_99_requeues_the_job_forever(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sh", "-c", "exit 99"))
    with pytest.raises(vdrmaa.ExitTimeoutException):
        vsession.wait(job, 30)
    assert vsession.jobStatus(job) in ("queued_active", "running")
    vsession.control(job, "terminate")
    vsession.synchronize([job], 10, True)


def test_initialize_within_the_same_second_rejoins_the_session(vdrmaa):
    """Grid Engine names a new session host.pid.rand_r(seed=current second)."""
    s = vdrmaa.Session
    s.initialize()
    first = s.contact
    job = s.runJob(template(vdrmaa, "/bin/sleep", "100"))
    s.exit()
    s.initialize()  # same (virtual) second: the same session, its job included
    assert s.contact == first
    assert s.jobStatus(job) == "running"
    s.exit()
    control.advance(1)
    s.initialize()
    assert s.contact != first


# -- sge_bad_input_probe.out -----------------------------------------------------------------
def test_a_nul_byte_cuts_what_the_library_gets(vsession, vdrmaa):
    """drmaa-python passes char*: the library sees every string up to its first NUL."""
    jt = vsession.createJobTemplate()
    jt.remoteCommand, jt.jobName = "/bin/ec\x00ho", "n\x00m"
    jt.args = ["a\x00b", "c"]
    jt.jobEnvironment = {"A": "x\x00y"}
    assert (jt.remoteCommand, jt.jobName, jt.args, jt.jobEnvironment) == (
        "/bin/ec", "n", ["a", "c"], {"A": "x"},
    )  # fmt: skip
    jt.jobEnvironment = {"A\x00B": "v"}  # the library holds "A": the binding cannot read it
    with pytest.raises(ValueError, match="dictionary update sequence"):
        jt.jobEnvironment  # noqa: B018
    held = template(
        vdrmaa, "/bin/sleep", "30", jobSubmissionState=vdrmaa.JobSubmissionState.HOLD_STATE
    )
    job = vsession.runJob(held)
    assert vsession.jobStatus(job + "\x00junk") == "user_on_hold"
    for bad in ("\x00" + job, "\x00"):
        with pytest.raises(vdrmaa.InvalidArgumentException, match='Job id, "", is not'):
            vsession.jobStatus(bad)
    contact = vsession.contact
    vsession.exit()
    vsession.initialize(contact + "\x00junk")
    assert vsession.contact == contact
    vsession.exit()
    with pytest.raises(vdrmaa.InvalidArgumentException):
        vsession.initialize("session=\x00x")
    vsession.initialize("\x00bogus")  # '' : a new session


def test_a_nul_byte_in_a_real_job(rsession, rdrmaa, job_dir):
    """The job runs with what the library got; the cell goes on working."""
    out = job_dir / "argv"
    jt = template(rdrmaa, "/bin/sh", "-c", 'printf "[%s]" "$@"; echo " $A $JOB_NAME"', "sh",
                  "a\x00b", "c", outputPath=f":{out}\x00ignored", joinFiles=True,
                  jobEnvironment={"A": "x\x00y"}, jobName="n\x00m")  # fmt: skip
    assert rsession.wait(rsession.runJob(jt), 30).exitStatus == 0
    assert out.read_text() == "[a][c] x n\n"
    bad = template(rdrmaa, "/bin/ec\x00ho", "hi")
    assert rsession.wait(rsession.runJob(bad), 30).wasAborted  # /bin/ec: no such command
    assert rsession.wait(rsession.runJob(template(rdrmaa, "/bin/true")), 30).exitStatus == 0


def test_text_the_binding_cannot_encode(vsession, vdrmaa):
    jt = vsession.createJobTemplate()
    for attribute, value in (("args", ["\udcff"]), ("remoteCommand", "\udcff"),
                             ("jobEnvironment", {"A": "\udcff"})):  # fmt: skip
        with pytest.raises(UnicodeEncodeError):
            setattr(jt, attribute, value)
    with pytest.raises(UnicodeDecodeError):
        jt.jobEnvironment = {"A": b"\xff"}


@pytest.mark.parametrize(
    ("job_id", "hold_error"),
    [
        ("9" * 5000, 'code 18: denied: job "-1" does not exist'),
        ("1" * 25, 'code 18: denied: job "-1" does not exist'),
        ("1." + "9" * 5000, 'code 18: denied: job "1" does not exist'),
        ("-0", "code 1: You have to specify a username or job ids"),
    ],
)
def test_job_ids_of_many_digits(vsession, vdrmaa, job_id, hold_error):
    """strtol saturates; the qmaster prints the number cut to 32 bits."""
    for call in (lambda: vsession.jobStatus(job_id), lambda: vsession.wait(job_id, 0)):
        with pytest.raises(vdrmaa.InvalidJobException, match="does not exist"):
            call()
    with pytest.raises(Exception) as info:
        vsession.control(job_id, vdrmaa.JobControlAction.HOLD)
    assert str(info.value) == hold_error
    vsession.synchronize([job_id], 0, False)  # ignored, as any unknown job


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("NaN", "error: no suitable queues"),
        ("inf", "error: no suitable queues"),
        ("1:2:3:4", 'attribute "h_rt" is not a time value'),
        ("abc", 'attribute "h_rt" is not a time value'),
        ("", 'denied: missing value for resource "h_rt"'),
        ("-1", None),
        ("INFINITY", None),
        ("99999999999999999999", None),
    ],
)
def test_run_time_limit_values(vsession, vdrmaa, value, error):
    jt = template(vdrmaa, "/bin/sleep", "3", nativeSpecification=f"-l h_rt={value}")
    if error is None:  # no limit: the job runs to its end
        info = vsession.wait(vsession.runJob(jt))
        assert (info.hasExited, info.exitStatus) == (True, 0)
        return
    with pytest.raises(vdrmaa.DeniedByDrmException) as raised:
        vsession.runJob(jt)
    assert str(raised.value) == f"code 17: {error}"


def test_a_run_time_limit_of_zero_kills_at_once(vsession, vdrmaa):
    info = vsession.wait(vsession.runJob(template(vdrmaa, "/bin/sleep", "3",
                                                  nativeSpecification="-l h_rt=0")))  # fmt: skip
    assert (info.hasSignal, info.terminatedSignal) == (True, "SIGKILL")


def test_array_jobs_of_more_than_max_aj_tasks_are_refused(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/true", jobSubmissionState=vdrmaa.JobSubmissionState.HOLD_STATE)
    assert len(vsession.runBulkJobs(jt, 1, 150000, 2)) == 75000  # tasks are counted
    for end in (75001, 10**9, 2**31 - 1):
        with pytest.raises(vdrmaa.DeniedByDrmException) as info:
            vsession.runBulkJobs(jt, 1, end, 1)
        assert str(info.value) == (
            "code 17: job rejected: you tried to submit a job with more than 75000 tasks"
        )
    with pytest.raises(vdrmaa.InvalidArgumentException):
        vsession.runBulkJobs(jt, 1, 2**31, 1)  # a C int wraps it negative


@pytest.mark.parametrize(
    ("text", "hour", "minute"),
    [("12:00 -12:00", 12, 0), ("12:00 +00:00", 0, 0), ("10:00 -03:00", 3, 0),
     ("23:15 +00:00", 0, 15), ("23:00 -03:30", 3, 30)],
)  # fmt: skip
def test_start_time_offsets_as_grid_engine_reads_them(text, hour, minute):
    """-UU:uu sets the hour to UU and adds uu minutes; +UU:uu sets it to -UU (measured)."""
    from simulator.library.submission import start_time

    when = start_time(text)
    assert when is not None and (when.hour, when.minute) == (hour, minute)


@pytest.mark.parametrize("text", ["12:00 +25:00", "12:00 +14:00", "23:00 +00:30", "12:00 -99:99"])
def test_start_time_offsets_grid_engine_cannot_take(vsession, vdrmaa, text):
    """-99:99 is refused; the others crash GE's library (SIGABRT): refused here, alike."""
    with pytest.raises(vdrmaa.DeniedByDrmException) as info:
        vsession.runJob(template(vdrmaa, "/bin/true", startTime=text))
    assert str(info.value) == "code 17: invalid format for job start time"


# -- sge_errors_repr_probe.out ---------------------------------------------------------------
def test_exceptions_print_as_the_bindings_and_pickle(vsession, vdrmaa):
    with pytest.raises(vdrmaa.InvalidJobException) as info:
        vsession.jobStatus("99999")
    error = info.value
    assert repr(type(error)) == "<class 'drmaa.errors.InvalidJobException'>"
    assert repr(error) == (
        "InvalidJobException(\"code 18: The job specified by the 'jobid' does not exist.\")"
    )
    assert isinstance(vdrmaa.InvalidArgumentException("x"), AttributeError)
    assert not hasattr(vdrmaa, "DrmaaException")  # the binding does not export it either
    import pickle

    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and again.args == error.args


def test_a_virtual_job_that_sleeps_for_ever_never_ends(vsession, vdrmaa):
    """``sleep inf`` (GNU sleep takes it) runs for ever: a wait for ever blocks until
    another thread terminates the job, and the clock stays finite (it used to jump to
    infinity, end the job there, and break every later call: the API-surface fuzzer)."""
    import threading

    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "inf"))
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(vsession.wait(job, -1)))
    waiter.start()
    time.sleep(0.2)  # real time: the waiter is blocked, the virtual clock has nowhere to go
    assert got == [] and vsession.jobStatus(job) == "running"
    vsession.control(job, vdrmaa.JobControlAction.TERMINATE)
    waiter.join(10)
    assert len(got) == 1 and got[0].wasAborted
    assert control.now() < 1e11
    later = vsession.runJob(template(vdrmaa, "/bin/sleep", "1"))
    assert vsession.wait(later, 10).exitStatus == 0
