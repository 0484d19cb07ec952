"""Jobs as real processes, each the leader of its own process group.

A job's end is noticed through its pidfd, at once and without polling, by one of two:

* the thread blocked in ``wait()`` for that very job, which watches the pidfd itself and
  reaps the job on the spot (the common case, and the fast one: no hand-off between
  threads stands between the job's end and ``wait()`` returning);
* otherwise one reaper thread, which waits on every other job's pidfd through epoll, and
  also runs the timers (run-time limits, start times, dispatch delays) when they are due.

Reaping is wait4(2), which also yields the resource usage. Reaping and signalling happen
under one lock: a process group is never signalled after its leader was reaped, so a
recycled pid can't be hit. A job's TMPDIR is removed by the reaper thread in batches, off
the path from a job's end to the return of whoever waits for it.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Protocol

from simulator.executors.timers import Timer, TimerHeap
from simulator.model.jobs import Job, Outcome

_RUSAGE_FIELDS = (
    "ru_maxrss",
    "ru_ixrss",
    "ru_idrss",
    "ru_isrss",
    "ru_minflt",
    "ru_majflt",
    "ru_nswap",
    "ru_inblock",
    "ru_oublock",
    "ru_msgsnd",
    "ru_msgrcv",
    "ru_nsignals",
    "ru_nvcsw",
    "ru_nivcsw",
)


class LaunchError(Exception):
    """The job's process could not be started (missing command, unopenable file...)."""


class NotExecutable(Exception):
    """The command exists but cannot be executed: Grid Engine reports exit status 127."""


def _usage(ru: object) -> dict[str, float]:
    usage = {name: float(getattr(ru, name)) for name in _RUSAGE_FIELDS}
    usage["ru_utime"] = ru.ru_utime
    usage["ru_stime"] = ru.ru_stime
    return usage


class Launch(Protocol):
    """Starts a job's process; told when it is gone, to clean up after it."""

    def __call__(self, job: Job) -> subprocess.Popen: ...
    def finished(self, job: Job) -> None: ...
    def close(self) -> None: ...


# TMPDIRs left to remove: the reaper removes them once none has been added for this long,
# or once this many are waiting. A wake-up per batch, not per job.
CLEANUP_DELAY = 0.02
CLEANUP_BATCH = 64


class _Child:
    """A running job's process, as ``job.handle``: its pid and its pidfd."""

    __slots__ = ("fd", "job", "limit", "pid", "watched")

    def __init__(self, job: Job, pid: int, fd: int) -> None:
        self.job = job
        self.pid = pid
        self.fd = fd
        self.watched = False  # claimed: a waiting thread polls the pidfd, the epoll does not
        self.limit: Timer | None = None  # the run-time limit's timer


class ProcessExecutor:
    """Runs jobs with :class:`subprocess.Popen`; reaps them in the waiting thread, or in one
    epoll thread when nobody waits for that job."""

    def __init__(self, on_end: Callable[[Job, Outcome], None], launch: Launch) -> None:
        self._on_end = on_end
        self._launch = launch
        self._lock = threading.Lock()
        self._by_fd: dict[int, _Child] = {}
        self._epoll = select.epoll()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._closing = False
        self._cleanups: list[Job] = []  # ended jobs whose leftovers (TMPDIR) still go
        self._timers = TimerHeap()  # on time.monotonic(); run by the reaper thread
        self._thread = threading.Thread(
            target=self._reap_loop, name="simulator-reaper", daemon=True
        )
        self._thread.start()

    # -- the cluster's side ------------------------------------------------------------
    def start(self, job: Job) -> None:
        try:
            proc = self._launch(job)
        except LaunchError:
            self._on_end(job, Outcome.aborted_job(started=False))
            return
        except NotExecutable:
            self._on_end(job, Outcome(exited=True, exit_status=127))
            return
        # We reap this child through its pidfd; Popen must never wait for it itself.
        proc.returncode = 0
        child = _Child(job, proc.pid, os.pidfd_open(proc.pid))
        limit = job.spec.hard_runtime
        with self._lock:
            job.handle = child
            self._by_fd[child.fd] = child
            self._epoll.register(child.fd, select.EPOLLIN)
            if limit is not None:
                when = time.monotonic() + limit
                child.limit = self._timers.add(when, lambda: self._expire(job, child))
        if limit is not None:
            self._wake_reaper()

    def claim_end(self, job: Job) -> bool:
        """Let the calling thread notice the job's end itself, with :meth:`await_end`.

        False when the job has no process, or another thread has claimed it: the caller
        then learns of the end from ``on_end``, as usual.
        """
        with self._lock:
            child = job.handle
            if not isinstance(child, _Child) or child.watched or self._closing:
                return False
            child.watched = True
            self._epoll.unregister(child.fd)
            return True

    def await_end(self, job: Job, timeout: float | None, interrupt: int) -> None:
        """Block until the claimed job's process ends, and reap it in this thread; or until
        ``interrupt`` becomes readable, or ``timeout`` seconds (None: no limit) pass, and
        then give the job back to the reaper thread."""
        child = job.handle
        assert isinstance(child, _Child) and child.watched
        poller = select.poll()
        poller.register(child.fd, select.POLLIN)
        poller.register(interrupt, select.POLLIN)
        ended = False
        try:
            events = poller.poll(None if timeout is None else timeout * 1000)
            ended = any(fd == child.fd for fd, _ in events)
        finally:
            if not ended:  # a time-out, a change, or an exception (Ctrl-C) in this thread
                with self._lock:
                    child.watched = False
                    self._epoll.register(child.fd, select.EPOLLIN)
        if ended:
            self._reap(child.fd, claimed=True)

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` in the reaper thread at wall-clock time ``when``."""
        due = time.monotonic() + max(0.0, when - time.time())
        with self._lock:
            self._timers.add(due, callback)
        self._wake_reaper()

    def suspend(self, job: Job) -> None:
        self._signal(job, signal.SIGSTOP)

    def resume(self, job: Job) -> None:
        self._signal(job, signal.SIGCONT)

    def kill(self, job: Job) -> None:
        # SIGKILL ends stopped (suspended) processes too: no SIGCONT needed.
        self._signal(job, signal.SIGKILL)

    def shutdown(self) -> None:
        """Kill every job still running and reap it, then stop the reaper thread."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            # Under the lock, like every signal: a leader not yet reaped keeps its group id
            # from being reused, so this can never hit someone else's processes.
            for child in self._by_fd.values():
                self._killpg(child.pid, signal.SIGKILL)
        self._wake_reaper()  # it may be idle in poll()
        self._thread.join(timeout=10)
        if not self._thread.is_alive():  # it has cleaned up after every job
            self._launch.close()
            self._epoll.close()
            os.close(self._wake_r)
            os.close(self._wake_w)

    # -- internals ---------------------------------------------------------------------
    def _expire(self, job: Job, child: _Child) -> None:
        """The hard run-time limit passed: SIGKILL, reported as a signal, not an abort."""
        with self._lock:
            if job.handle is child:
                self._killpg(child.pid, signal.SIGKILL)

    def _signal(self, job: Job, sig: int) -> None:
        with self._lock:
            child = job.handle
            if isinstance(child, _Child):
                self._killpg(child.pid, sig)

    @staticmethod
    def _killpg(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass

    def _wake_reaper(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:
            pass  # the pipe is full of wake-ups already

    def _reap_loop(self) -> None:
        while True:
            with self._lock:
                if self._closing and not self._by_fd:
                    break
                pending = len(self._cleanups)
                now = time.monotonic()
                due = self._timers.pop_due(now)
                next_timer = self._timers.next_time()
            for callback in due:
                callback()
            if due:
                continue
            if pending >= CLEANUP_BATCH:  # however busy the cell is
                self._clean_up()
                continue
            timeout = CLEANUP_DELAY if pending else -1.0
            if next_timer is not None:
                timeout = (
                    max(0.0, next_timer - now) if timeout < 0 else min(timeout, next_timer - now)
                )
            events = self._epoll.poll(timeout)
            if not events and pending:
                self._clean_up()
                continue
            for fd, _ in events:
                if fd == self._wake_r:
                    try:
                        os.read(self._wake_r, 4096)
                    except BlockingIOError:
                        pass
                    continue
                self._reap(fd, claimed=False)
        self._clean_up()

    def _clean_up(self) -> None:
        with self._lock:
            done, self._cleanups = self._cleanups, []
        for job in done:
            self._launch.finished(job)

    def _reap(self, fd: int, claimed: bool) -> None:
        """Reap the job whose pidfd is ``fd``, in whichever thread noticed its end (the
        reaper thread, or the one that ``claimed`` it), and report it."""
        with self._lock:
            child = self._by_fd.get(fd)
            if not claimed and (child is None or child.watched or not _has_ended(child)):
                # Stale: since epoll reported it, a waiting thread took the pidfd over, or
                # reaped the job and the descriptor now belongs to a newer one.
                return
            assert child is not None
            del self._by_fd[fd]
            if child.limit is not None:
                self._timers.cancel(child.limit)
            if not claimed:
                self._epoll.unregister(fd)
            os.close(fd)
            # Like Grid Engine at a job's end, take down what the job left behind in its
            # process group (background children): the leader is still unreaped, so the
            # group id is still ours.
            self._killpg(child.pid, signal.SIGKILL)
            _, status, ru = os.wait4(child.pid, 0)
            child.job.handle = None
            self._cleanups.append(child.job)
            # The reaper thread removes TMPDIRs; tell it when it may be asleep for good.
            wake = claimed and (len(self._cleanups) == 1 or self._closing)
        if wake:
            self._wake_reaper()
        self._on_end(child.job, Outcome.from_wait_status(status, _usage(ru)))


def _has_ended(child: _Child) -> bool:
    """Whether the child's process has ended (without reaping it)."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PIDFD, child.fd, flags) is not None
