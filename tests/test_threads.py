"""Many threads on one session: nothing lost, nothing handed out twice, no hang."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import template

THREADS = 8
PER_THREAD = 25


@pytest.mark.parametrize("clock", ["vsession", "rsession"])
def test_threads_submit_and_wait_for_their_own_jobs(clock, request):
    session = request.getfixturevalue(clock)
    drmaa = request.getfixturevalue(clock.replace("session", "drmaa"))
    jt = template(drmaa, "/bin/sh", "-c", "exit 7", outputPath=":/dev/null", joinFiles=True)

    def work(_: int) -> list[str]:
        seen = []
        for _ in range(PER_THREAD):
            job = session.runJob(jt)
            info = session.wait(job, 60)
            assert info.jobId == job and info.exitStatus == 7
            seen.append(job)
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        results = [job for jobs in pool.map(work, range(THREADS)) for job in jobs]
    assert len(results) == len(set(results)) == THREADS * PER_THREAD


@pytest.mark.parametrize("clock", ["vsession", "rsession"])
def test_threads_racing_on_wait_any_share_out_every_job_once(clock, request):
    session = request.getfixturevalue(clock)
    drmaa = request.getfixturevalue(clock.replace("session", "drmaa"))
    jt = template(drmaa, "/bin/true", outputPath=":/dev/null", joinFiles=True)
    submitted = set(session.runBulkJobs(jt, 1, THREADS * PER_THREAD, 1))
    got: list[str] = []
    lock = threading.Lock()

    def reap(_: int) -> None:
        while True:
            try:
                info = session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 60)
            except drmaa.InvalidJobException:
                return  # nothing left
            with lock:
                got.append(info.jobId)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(reap, range(THREADS)))
    assert sorted(got) == sorted(submitted)


def test_control_from_many_threads_while_others_wait(rsession, rdrmaa):
    jt = template(rdrmaa, "/bin/sleep", "30", outputPath=":/dev/null", joinFiles=True)
    jobs = [rsession.runJob(jt) for _ in range(THREADS)]

    def wait(job: str):
        return rsession.wait(job, 60)

    with ThreadPoolExecutor(2 * THREADS) as pool:
        waits = [pool.submit(wait, job) for job in jobs]
        time.sleep(0.1)
        actions = rdrmaa.JobControlAction
        list(pool.map(lambda job: rsession.control(job, actions.SUSPEND), jobs))
        list(pool.map(lambda job: rsession.control(job, actions.RESUME), jobs))
        list(pool.map(lambda job: rsession.control(job, actions.TERMINATE), jobs))
        infos = [future.result(timeout=60) for future in waits]
    assert [info.jobId for info in infos] == jobs
    assert all(info.wasAborted for info in infos)


@pytest.mark.parametrize("clock", ["vsession", "rsession"])
def test_exit_releases_threads_blocked_in_wait(clock, request):
    session = request.getfixturevalue(clock)
    drmaa = request.getfixturevalue(clock.replace("session", "drmaa"))
    # Held, so that it never ends: on the virtual clock too the waits really block.
    job = session.runJob(template(drmaa, "/bin/true", jobSubmissionState="drmaa_hold"))
    errors: list[BaseException] = []

    def blocked() -> None:
        try:
            session.wait(job, drmaa.Session.TIMEOUT_WAIT_FOREVER)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=blocked) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    session.exit()
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()
    # What Grid Engine does (sge_session_probe.out): the blocked calls time out at once.
    assert [str(error) for error in errors] == ["code 23: time-out condition"] * 3
    assert all(isinstance(error, drmaa.ExitTimeoutException) for error in errors)


def test_exit_releases_threads_blocked_on_a_running_job(rsession, rdrmaa):
    # One of them watches the job's process itself; the others wait on the cluster.
    job = rsession.runJob(template(rdrmaa, "/bin/sleep", "30"))
    with ThreadPoolExecutor(3) as pool:
        waits = [pool.submit(rsession.wait, job, -1) for _ in range(3)]
        time.sleep(0.2)
        rsession.exit()
        errors = [future.exception(timeout=10) for future in waits]
    assert all(isinstance(error, rdrmaa.ExitTimeoutException) for error in errors)


def test_threads_waiting_for_one_job_get_it_once(rsession, rdrmaa):
    job = rsession.runJob(template(rdrmaa, "/bin/sleep", "0.5"))
    with ThreadPoolExecutor(4) as pool:
        waits = [pool.submit(rsession.wait, job, 30) for _ in range(4)]
        outcomes = [future.exception(timeout=30) or future.result() for future in waits]
    infos = [o for o in outcomes if isinstance(o, rdrmaa.JobInfo)]
    assert [info.jobId for info in infos] == [job]
    assert sum(isinstance(o, rdrmaa.InvalidJobException) for o in outcomes) == 3


def test_reset_while_other_threads_call_leaves_the_new_cell_whole(capfd):
    """control.reset() while a thread is mid-call (the per-test fixtures reset, so a thread
    left by one test meets the next one's cell): the old handles fail cleanly with DRMAA's
    exceptions, nothing of theirs lands on the new cell, and its reaper lives on."""
    import simulator.drmaa as drmaa
    from simulator import control

    control.reset(clock="real")
    stop = threading.Event()
    unexpected: list[BaseException] = []

    def busy() -> None:
        session = drmaa.Session
        while not stop.is_set():
            try:
                session.initialize()
                jt = session.createJobTemplate()
                jt.remoteCommand, jt.args = "/bin/sleep", ["0.01"]
                jt.outputPath, jt.joinFiles = ":/dev/null", True
                session.wait(session.runJob(jt), 5)
                session.exit()
            except drmaa.errors.DrmaaException:
                try:  # NoActiveSession, InvalidJob... from the replaced cell: start over
                    session.exit()
                except drmaa.errors.DrmaaException:
                    pass
            except BaseException as error:  # anything else is a bug
                unexpected.append(error)
                return

    worker = threading.Thread(target=busy)
    worker.start()
    for _ in range(30):
        time.sleep(0.02)
        control.reset(clock="real")
    stop.set()
    worker.join(30)
    assert not worker.is_alive() and unexpected == []
    session = drmaa.Session
    try:
        session.exit()
    except drmaa.errors.DrmaaException:
        pass
    session.initialize()
    jt = session.createJobTemplate()
    jt.remoteCommand, jt.outputPath, jt.joinFiles = "/bin/true", ":/dev/null", True
    assert session.wait(session.runJob(jt), 10).exitStatus == 0
    session.exit()
    control.reset()
    assert "reaper thread hit an error" not in capfd.readouterr().err


def test_a_connection_of_a_replaced_cell_is_no_session_on_the_new_one():
    """The race the test above may or may not meet, made certain: between control.reset()
    putting the new cell in place and shutting the old one down, a thread holding an open
    connection to the old cell calls the new one. It used to land its job there, under a
    session the new cell did not know (its reaper then died of a KeyError)."""
    from simulator import control
    from simulator.library import calls
    from simulator.library.submission import Submitter
    from simulator.library.templates import TemplateStore
    from simulator.model import DrmError, ErrorCode

    old = control.reset(clock="virtual")
    conn = old.connect()
    new = control._build("virtual", 8, None, 0.0)  # not yet in place, the old one still up
    store = TemplateStore()
    store.set("drmaa_remote_command", "/bin/true")
    for call in (
        lambda: calls.run_job(new, conn, store, Submitter.this_process()),
        lambda: new.status(conn, "1"),
        lambda: new.disconnect(conn),
    ):
        try:
            call()
        except DrmError as error:
            assert error.code == ErrorCode.NO_ACTIVE_SESSION
        else:
            raise AssertionError("a connection of another cell was taken as a session")
    new.shutdown()
    control.reset()
