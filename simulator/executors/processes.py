"""Jobs as real processes, each the leader of its own process group.

One reaper thread waits on every job's pidfd through epoll, so an ending job is noticed at
once (no polling) and reaped with wait4(2), which also yields its resource usage. Only the
reaper reaps, and only the executor signals, both under one lock: a process group is never
signalled after its leader was reaped, so a recycled pid can't be hit.
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


class ProcessExecutor:
    """Runs jobs with :class:`subprocess.Popen` and reaps them from one epoll thread."""

    def __init__(self, on_end: Callable[[Job, Outcome], None], launch: Launch) -> None:
        self._on_end = on_end
        self._launch = launch
        self._lock = threading.Lock()
        self._by_fd: dict[int, tuple[Job, int]] = {}
        self._epoll = select.epoll()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._closing = False
        self._cleanups: list[Job] = []  # ended jobs whose leftovers (TMPDIR) still go
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
        pidfd = os.pidfd_open(proc.pid)
        with self._lock:
            job.handle = proc.pid
            self._by_fd[pidfd] = (job, proc.pid)
            self._epoll.register(pidfd, select.EPOLLIN)
        if job.spec.hard_runtime is not None:
            timer = threading.Timer(job.spec.hard_runtime, self._expire, (job, proc.pid))
            timer.daemon = True
            timer.start()

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` on a timer thread at wall-clock time ``when``."""
        timer = threading.Timer(max(0.0, when - time.time()), callback)
        timer.daemon = True
        timer.start()

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
            for _, pid in self._by_fd.values():
                self._killpg(pid, signal.SIGKILL)
        os.write(self._wake_w, b"x")  # the reaper may be idle in poll()
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._epoll.close()
            os.close(self._wake_r)
            os.close(self._wake_w)

    # -- internals ---------------------------------------------------------------------
    def _expire(self, job: Job, pid: int) -> None:
        """The hard run-time limit passed: SIGKILL, reported as a signal, not an abort."""
        with self._lock:
            if job.handle == pid:
                self._killpg(pid, signal.SIGKILL)

    def _signal(self, job: Job, sig: int) -> None:
        with self._lock:
            pid = job.handle
            if pid is not None:
                self._killpg(pid, sig)

    @staticmethod
    def _killpg(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass

    def _reap_loop(self) -> None:
        while True:
            # Clean-up waits until nothing else is ready: it is off the path from a job's
            # end to the wake-up of whoever waits for it.
            events = self._epoll.poll(0 if self._cleanups else -1)
            if not events and self._cleanups:
                self._clean_up()
                continue
            for fd, _ in events:
                if fd == self._wake_r:
                    try:
                        os.read(self._wake_r, 4096)
                    except BlockingIOError:
                        pass
                    continue
                self._reap(fd)
            with self._lock:
                if self._closing and not self._by_fd:
                    break
        self._clean_up()

    def _clean_up(self) -> None:
        done, self._cleanups = self._cleanups, []
        for job in done:
            self._launch.finished(job)

    def _reap(self, fd: int) -> None:
        with self._lock:
            job, pid = self._by_fd.pop(fd)
            self._epoll.unregister(fd)
            os.close(fd)
            # Like Grid Engine at a job's end, take down what the job left behind in its
            # process group (background children): the leader is still unreaped, so the
            # group id is still ours.
            self._killpg(pid, signal.SIGKILL)
            _, status, ru = os.wait4(pid, 0)
            job.handle = None
        self._on_end(job, Outcome.from_wait_status(status, _usage(ru)))
        self._cleanups.append(job)
