"""Several threads using one session at once, as in Grid Engine's multi-threaded tests.

Spec: GFD.130 (the routines are thread safe; one session per process), Session.exit while
other threads are inside the library.
Grid Engine: test_drmaa's mt_* cases; libdrmaa returns EXIT_TIMEOUT to threads blocked in
wait or synchronize when another thread calls exit() (measured).
"""

import threading
import time
from typing import Any

from conformance.kit import case, ge_choice

THREADS = 4
CHUNK = 3


def _submit_chunk(jobs, n=CHUNK, seconds=1):
    jt = jobs.sleeper(seconds)
    return [jobs.S.runJob(jt) for _ in range(n)]


@case("GFD.130 Session.runJob (threads); Session.wait", official=["mt_submit_wait"])
def test_threads_submit_main_waits(drmaa, session, jobs):
    """Several threads submit; the main thread then waits for every job."""
    results = jobs.run_threads(_submit_chunk, [(jobs,)] * THREADS)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    ids = [j for chunk in results for j in chunk]
    assert len(set(ids)) == THREADS * CHUNK
    for job in ids:
        info = jobs.finish(job)
        assert info.hasExited and info.exitStatus == 0


@case("GFD.130 Session.runJob, Session.wait (threads)", official=["mt_submit_mt_wait"])
def test_threads_submit_and_wait_their_own_jobs(drmaa, session, jobs):
    """Each thread submits its own jobs and waits for exactly those."""

    def submit_and_wait():
        ids = _submit_chunk(jobs)
        return [(job, session.wait(job, jobs.wait_timeout()).jobId) for job in ids]

    results = jobs.run_threads(submit_and_wait, [()] * THREADS)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    for pairs in results:
        assert all(job == waited for job, waited in pairs)


@case(
    "GFD.130 Session.init (threads); Session.createJobTemplate (NO_ACTIVE_SESSION)",
    official=["mt_submit_before_init_wait"],
)
def test_threads_submit_before_and_after_init(drmaa, jobs):
    """Threads that try to submit before init fail with NoActiveSessionException; after
    the main thread's init they succeed, and the main thread waits for their jobs."""
    tried = threading.Barrier(THREADS + 1)
    initialized = threading.Event()

    def body():
        try:
            drmaa.Session.createJobTemplate()
            early = "no error"
        except drmaa.NoActiveSessionException:
            early = "NoActiveSessionException"
        except BaseException as exc:
            early = f"{type(exc).__name__}: {exc}"
        tried.wait(timeout=60)
        if not initialized.wait(timeout=120):
            raise AssertionError("the main thread never initialized")
        return early, _submit_chunk(jobs, n=2)

    threads_result = {}

    def run_all():
        threads_result["r"] = jobs.run_threads(body, [()] * THREADS)

    runner = threading.Thread(target=run_all, daemon=True)
    runner.start()
    tried.wait(timeout=60)
    jobs.init()
    initialized.set()
    runner.join(jobs.deadline + 60)
    results = threads_result["r"]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert [early for early, _ in results] == ["NoActiveSessionException"] * THREADS
    ids = [job for _, chunk in results for job in chunk]
    drmaa.Session.synchronize(ids, jobs.wait_timeout(), True)


@case("GFD.130 Session.exit (threads)", official=["mt_exit_during_submit"])
def test_exit_while_threads_submit(drmaa, session, jobs):
    """Threads keep submitting while the main thread calls exit(): no crash; once the session
    is gone their calls fail cleanly with NoActiveSessionException."""
    stop = threading.Event()
    started = threading.Barrier(THREADS + 1)
    jt = jobs.sleeper(1)

    def keep_submitting():
        submitted, errors = [], []
        started.wait(timeout=60)
        while not stop.is_set():
            try:
                submitted.append(drmaa.Session.runJob(jt))
            except drmaa.errors.DrmaaException as exc:
                errors.append(type(exc).__name__)
                if isinstance(exc, drmaa.NoActiveSessionException) and len(errors) >= 3:
                    break
            if not jobs.backend.virtual:
                jobs.pass_time(0.1)
        return submitted, errors

    box = {}
    runner = threading.Thread(
        target=lambda: box.setdefault("r", jobs.run_threads(keep_submitting, [()] * THREADS)),
        daemon=True,
    )
    runner.start()
    started.wait(timeout=60)
    if not jobs.backend.virtual:
        jobs.pass_time(0.5)
    drmaa.Session.exit()
    runner.join(60)
    stop.set()
    runner.join(60)
    results = box["r"]
    crashes = [r for r in results if isinstance(r, BaseException)]
    assert not crashes, crashes
    for _submitted, errors in results:
        assert errors and errors[-1] == "NoActiveSessionException", errors


def _blocked_calls_at_exit(drmaa, session, jobs) -> list:
    """What a wait and a synchronize, blocked in two threads, return when exit() is called."""
    job = jobs.run_held(1)  # never ends by itself, on any clock
    entered = threading.Barrier(3)

    def waiter(kind):
        entered.wait(timeout=60)
        if kind == "wait":
            return session.wait(job, session.TIMEOUT_WAIT_FOREVER)
        return session.synchronize([job], session.TIMEOUT_WAIT_FOREVER, True)

    box: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: box.setdefault(
            "r", jobs.run_threads(waiter, [("wait",), ("sync",)], join=60)
        ),
        daemon=True,
    )
    runner.start()
    entered.wait(timeout=60)
    time.sleep(1)  # real time for the threads to block inside the library
    drmaa.Session.exit()
    runner.join(120)
    assert "r" in box, "threads blocked in wait/synchronize did not return after exit()"
    return box["r"]


@case("GFD.130 Session.exit (threads blocked in wait)", official=["mt_exit_during_submit_or_wait"])
def test_exit_while_threads_wait(drmaa, session, jobs):
    """Threads blocked in wait/synchronize return (with an error) when exit() is called."""
    for result in _blocked_calls_at_exit(drmaa, session, jobs):
        assert isinstance(result, drmaa.errors.DrmaaException), f"expected an error, got {result!r}"


@case(
    "GFD.130 Session.exit (threads blocked in wait)",
    official=["mt_exit_during_submit_or_wait"],
    ge="wait / synchronize blocked while another thread calls exit(): "
    "ExitTimeoutException (code 23)",
)
@ge_choice("the error a blocked wait returns on exit is implementation-defined")
def test_exit_while_threads_wait_gives_exit_timeout(drmaa, session, jobs):
    """On Grid Engine the blocked wait and synchronize raise ExitTimeoutException."""
    results = _blocked_calls_at_exit(drmaa, session, jobs)
    assert [type(r).__name__ for r in results] == ["ExitTimeoutException"] * 2, results


@case("GFD.130 Session.jobStatus, Session.wait (threads)")
def test_threads_poll_status_while_another_waits(drmaa, session, jobs):
    """Threads polling jobStatus while another thread waits for the same jobs all succeed."""
    ids = _submit_chunk(jobs, n=3, seconds=2)
    stop = threading.Event()
    valid = {getattr(drmaa.JobState, n) for n in dir(drmaa.JobState) if n.isupper()}

    def poll():
        seen = set()
        while not stop.is_set():
            for job in ids:
                try:
                    seen.add(session.jobStatus(job))
                except drmaa.InvalidJobException:
                    seen.add("reaped")
            if not jobs.backend.virtual:
                jobs.pass_time(0.1)
            else:
                break
        return seen

    def wait_all():
        try:
            return [session.wait(job, jobs.wait_timeout()).jobId for job in ids]
        finally:
            stop.set()

    results = jobs.run_threads(lambda f: f(), [(poll,), (poll,), (wait_all,)])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert results[2] == ids
    for seen in results[:2]:
        assert seen <= valid | {"reaped"}, seen


@case("GFD.130 Session.wait (JOB_IDS_SESSION_ANY, threads)")
def test_threads_wait_any_get_distinct_jobs(drmaa, session, jobs):
    """Threads calling wait(ANY) at once each reap a different job."""
    ids = _submit_chunk(jobs, n=THREADS, seconds=1)
    results = jobs.run_threads(
        lambda: session.wait(session.JOB_IDS_SESSION_ANY, jobs.wait_timeout()).jobId, [()] * THREADS
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert sorted(results) == sorted(ids)
