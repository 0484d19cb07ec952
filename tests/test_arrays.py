"""Array jobs by their bare number, wait(ANY)'s order, and tasks across a reconnect.

Measured: docs/measurements/sge_array_probe.out.
"""

from __future__ import annotations

import pytest

from simulator import control
from tests.conftest import template

ANY = "DRMAA_JOB_IDS_SESSION_ANY"


@pytest.fixture
def sleeps_by_task(vdrmaa):
    """A job model: each task sleeps as long as the list in its command says."""

    def model(spec, task):
        seconds = [float(s) for s in spec.args]
        return control.Behaviour(seconds[(task or 1) - 1])

    control.reset(clock="virtual", job_model=model)
    vdrmaa.Session.initialize()
    yield vdrmaa.Session


def _run(session, drmaa, *sleeps, held=False):
    jt = template(drmaa, "/bin/sleepy", *(str(s) for s in sleeps))
    if held:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    ids = session.runBulkJobs(jt, 1, len(sleeps), 1)
    return ids[0].split(".")[0], ids


def test_wait_on_a_bare_number_is_task_1(sleeps_by_task, vdrmaa):
    s = sleeps_by_task
    number, ids = _run(s, vdrmaa, 4, 1, 2)
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(number)
    info = s.wait(number, 10)
    assert info.jobId == ids[0] and control.now() - float(info.resourceUsage["start_time"]) >= 4
    with pytest.raises(vdrmaa.InvalidJobException):
        s.wait(number, 10)
    assert [s.jobStatus(t) for t in ids[1:]] == ["done", "done"]
    assert s.wait(ANY, 0).jobId == ids[1]


def test_job_status_of_a_bare_number_follows_task_1(sleeps_by_task, vdrmaa):
    s = sleeps_by_task
    number, ids = _run(s, vdrmaa, 1, 5)
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(number)  # task 1 running
    control.advance(2)
    assert s.jobStatus(number) == "done"  # task 1 finished, not reaped
    s.wait(ids[0])
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(number)


@pytest.mark.parametrize("dispose", [False, True])
def test_synchronize_a_bare_number_is_task_1(sleeps_by_task, vdrmaa, dispose):
    s = sleeps_by_task
    number, ids = _run(s, vdrmaa, 1, 3, 2)
    with pytest.raises(vdrmaa.ExitTimeoutException):
        s.synchronize([number], 0, dispose)
    s.synchronize([number], 20, dispose)
    assert [s.jobStatus(t) for t in ids[1:]] == ["running", "running"]
    if dispose:
        with pytest.raises(vdrmaa.InvalidJobException):
            s.jobStatus(ids[0])
        s.synchronize([number], 2, True)  # task 1 is gone: nothing to do
    else:
        assert s.jobStatus(ids[0]) == "done"


def test_control_of_a_bare_number_reaches_every_live_task(sleeps_by_task, vdrmaa):
    s, a = sleeps_by_task, vdrmaa.JobControlAction
    number, ids = _run(s, vdrmaa, 4, 4, 4, held=True)
    with pytest.raises(vdrmaa.SuspendInconsistentStateException) as info:
        s.control(number, a.SUSPEND)
    assert str(info.value) == (
        f"code 20: Modify operation can not be applied on job {number} in pending/hold state"
    )
    s.control(f"{number}.7", a.HOLD)  # no such task, but the array lives: OK
    with pytest.raises(vdrmaa.InvalidJobException, match="There are no jobs registered"):
        s.control(f"{number}.7", a.TERMINATE)
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(f"{number}.7")
    s.control(number, a.RELEASE)
    assert [s.jobStatus(t) for t in ids] == ["running"] * 3
    s.control(number, a.TERMINATE)
    assert all(s.wait(t).wasAborted for t in ids)
    with pytest.raises(vdrmaa.InvalidJobException, match="There are no jobs registered"):
        s.control(number, a.TERMINATE)


def test_wait_any_order_jobs_by_id_tasks_by_end(sleeps_by_task, vdrmaa):
    s = sleeps_by_task
    _, m = _run(s, vdrmaa, 2, 0)
    x = s.runJob(template(vdrmaa, "/bin/sleepy", "0"))
    _, n = _run(s, vdrmaa, 0, 1)
    control.advance(5)
    order = [s.wait(ANY, 5).jobId for _ in range(5)]
    assert order == [m[1], m[0], x, n[0], n[1]]


def test_wait_any_while_running_gives_the_first_to_end(sleeps_by_task, vdrmaa):
    s = sleeps_by_task
    _, ids = _run(s, vdrmaa, 6, 3, 0)
    assert [s.wait(ANY, 20).jobId for _ in ids] == [ids[2], ids[1], ids[0]]


def test_finished_task_across_a_reconnect(sleeps_by_task, vdrmaa):
    s, a = sleeps_by_task, vdrmaa.JobControlAction
    _, ids = _run(s, vdrmaa, 10, 1, 1, 0, held=True)
    s.control(ids[0], a.RELEASE)
    s.control(ids[3], a.RELEASE)
    control.advance(0.5)
    before = [s.jobStatus(t) for t in ids]
    assert before == ["running", "user_on_hold", "user_on_hold", "done"]
    contact = s.contact
    s.exit()
    s.initialize(contact)
    assert [s.jobStatus(t) for t in ids] == before
    with pytest.raises(Exception, match=r"^code 24: no usage information"):
        s.wait(ids[3], 5)
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(ids[3])  # reaped by that wait
    s.control(ids[1], a.RELEASE)
    assert s.wait(ids[1], 15).exitStatus == 0
    assert s.wait(ids[0], 20).exitStatus == 0


def test_finished_task_is_forgotten_once_its_array_has_ended(sleeps_by_task, vdrmaa):
    s = sleeps_by_task
    _, ids = _run(s, vdrmaa, 0, 5)
    control.advance(1)
    contact = s.contact
    s.exit()
    s.initialize(contact)
    assert s.jobStatus(ids[0]) == "done"
    control.advance(5)  # the other task ends too: the array job has ended
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(ids[0])  # the qmaster forgot the lingering task
    assert s.wait(ANY, 0).jobId == ids[1]  # only the task heard of is handed out


def test_wait_any_hands_out_a_lingering_task_without_usage(sleeps_by_task, vdrmaa):
    """Measured by the conformance case on the real cell: wait(ANY) offers a task that
    lingered across exit(), raising code 24 (its usage is gone) and forgetting it."""
    s = sleeps_by_task
    _, ids = _run(s, vdrmaa, 0, 30)
    control.advance(1)
    contact = s.contact
    s.exit()
    s.initialize(contact)
    with pytest.raises(Exception, match=r"^code 24: no usage information"):
        s.wait(ANY, 1)
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(ids[0])
    assert s.jobStatus(ids[1]) == "running"


def test_task_that_ends_while_nobody_is_connected_lingers(sleeps_by_task, vdrmaa):
    # sge_reconnect_tasks_probe: not lost (as a single job is) while its array lives on.
    s = sleeps_by_task
    _, ids = _run(s, vdrmaa, 30, 2)
    contact = s.contact
    s.exit()
    control.advance(6)
    s.initialize(contact)
    assert [s.jobStatus(t) for t in ids] == ["running", "done"]
    with pytest.raises(Exception, match=r"^code 24: no usage information"):
        s.wait(ids[1], 0)
    with pytest.raises(vdrmaa.InvalidJobException):
        s.jobStatus(ids[1])
    with pytest.raises(vdrmaa.ExitTimeoutException):
        s.wait(ANY, 2)


def test_finished_array_is_forgotten_at_exit(sleeps_by_task, vdrmaa):
    # sge_reconnect_tasks_probe: every task finished before exit(): all gone, as single jobs.
    s = sleeps_by_task
    _, ids = _run(s, vdrmaa, 0, 0)
    s.synchronize(ids, 10, False)
    contact = s.contact
    s.exit()
    s.initialize(contact)
    for task in ids:
        with pytest.raises(vdrmaa.InvalidJobException):
            s.jobStatus(task)
