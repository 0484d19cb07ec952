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

A job's processes die with it, as Grid Engine kills them (it tracks them by an extra group
id: sge_escaped_children_probe), even those that left its process group (``setsid``,
``setpgid``). While jobs run, this process is a child subreaper (``PR_SET_CHILD_SUBREAPER``):
a job process whose parent dies is handed to it, not to init. When a job's leader has
ended, before it is reaped (so its pid, the job's session id, cannot be reused), its
remaining processes are found among this process's children (by session id, or by the
job's TMPDIR in their environment for those that made a session of their own), killed
with their descendants, and reaped.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
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


_PR_SET_CHILD_SUBREAPER = 36


class _Subreaper:
    """This process as a child subreaper while any job runs (every executor together):
    orphans of other code in the process are left to init the rest of the time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs = 0
        self._prctl: Callable[..., int] | None
        try:
            self._prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # not Linux: nothing escapes are caught by
            self._prctl = None

    def _set(self, on: bool) -> None:
        if self._prctl is not None:
            self._prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)

    def hold(self) -> None:
        with self._lock:
            self._jobs += 1
            if self._jobs == 1:
                self._set(True)

    def release(self) -> None:
        with self._lock:
            self._jobs -= 1
            if not self._jobs:
                self._set(False)


SUBREAPER = _Subreaper()
# How long the job's last processes, once killed, are waited for at its end (they die in
# microseconds unless the kernel holds them in an uninterruptible sleep).
_STRAGGLER_WAIT = 0.2


class LaunchError(Exception):
    """The job's process could not be started (missing command, unopenable file...)."""


class NotExecutable(Exception):
    """The command exists but cannot be executed: Grid Engine reports exit status 127."""


def _usage(ru: resource.struct_rusage) -> dict[str, float]:
    usage = {name: float(getattr(ru, name)) for name in _RUSAGE_FIELDS}
    usage["ru_utime"] = ru.ru_utime
    usage["ru_stime"] = ru.ru_stime
    return usage


class Launch(Protocol):
    """Starts a job's process; told when it is gone, to clean up after it."""

    def __call__(self, job: Job) -> subprocess.Popen: ...
    def tmpdir(self, job: Job) -> str: ...
    def finished(self, job: Job) -> None: ...
    def close(self) -> None: ...


# TMPDIRs left to remove: the reaper removes them once none has been added for this long,
# or once this many are waiting. A wake-up per batch, not per job.
CLEANUP_DELAY = 0.02
CLEANUP_BATCH = 64


class _Child:
    """A running job's process, as ``job.handle``: its pid and its pidfd."""

    __slots__ = ("fd", "job", "limit", "pid", "tid", "watched")

    def __init__(self, job: Job, pid: int, fd: int) -> None:
        self.job = job
        self.pid = pid
        self.fd = fd
        # The thread that started it: the kernel hands the job's orphans to that thread.
        self.tid = threading.get_native_id()
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
        SUBREAPER.hold()
        try:
            proc = self._launch(job)
        except LaunchError:
            SUBREAPER.release()
            self._on_end(job, Outcome.aborted_job(started=False))
            return
        except NotExecutable:
            SUBREAPER.release()
            self._on_end(job, Outcome(exited=True, exit_status=127))
            return
        except BaseException:
            SUBREAPER.release()
            raise
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

    def next_event_time(self) -> float | None:
        return None  # real processes end, and timers fire, on their own

    def fire_due(self) -> None:
        pass

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
        """Serve job ends, timers and clean-ups until shut down; a failure in any one of
        them is reported and the loop goes on: no job's end may go unheard because another
        one's handling broke."""
        while True:
            try:
                if not self._reap_once():
                    break
            except Exception:  # reported, then on to the next event
                print("simulator: the reaper thread hit an error:", file=sys.stderr)
                traceback.print_exc()
        self._clean_up()

    def _reap_once(self) -> bool:
        """One round of the reaper's loop; False once there is nothing left to serve."""
        with self._lock:
            if self._closing and not self._by_fd:
                return False
            pending = len(self._cleanups)
            now = time.monotonic()
            due = self._timers.pop_due(now)
            next_timer = self._timers.next_time()
        for callback in due:
            callback()
        if due:
            return True
        if pending >= CLEANUP_BATCH:  # however busy the cell is
            self._clean_up()
            return True
        timeout = CLEANUP_DELAY if pending else -1.0
        if next_timer is not None:
            timeout = max(0.0, next_timer - now) if timeout < 0 else min(timeout, next_timer - now)
        events = self._epoll.poll(timeout)
        if not events and pending:
            self._clean_up()
            return True
        for fd, _ in events:
            if fd == self._wake_r:
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass
                continue
            self._reap(fd, claimed=False)
        return True

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
            # Like Grid Engine at a job's end, take down what the job left behind: its
            # process group (background children), then whatever left the group. The
            # leader is still unreaped, so its group and session ids are still the job's.
            self._killpg(child.pid, signal.SIGKILL)
            self._kill_escaped(child)
            _, status, ru = os.wait4(child.pid, 0)
            SUBREAPER.release()
            child.job.handle = None
            self._cleanups.append(child.job)
            # The reaper thread removes TMPDIRs; tell it when it may be asleep for good.
            wake = claimed and (len(self._cleanups) == 1 or self._closing)
        if wake:
            self._wake_reaper()
        self._on_end(child.job, Outcome.from_wait_status(status, _usage(ru)))

    def _kill_escaped(self, child: _Child) -> None:
        """Kill and reap the job's processes that are still about (see the module doc)."""
        kids = _children(child.tid)
        if len(kids) <= 1 and (not kids or kids[0] == child.pid):
            return  # the common case: nothing but the leader itself
        marker = f"\0TMPDIR={self._launch.tmpdir(child.job)}\0".encode()
        leaders = {c.pid for c in self._by_fd.values()}
        leaders.add(child.pid)
        seen: set[int] = set()
        killed: set[int] = set()  # a zombie's environment is gone: remember whom we killed
        deadline = time.monotonic() + _STRAGGLER_WAIT
        while True:
            found = [
                pid
                for pid in kids
                if pid not in leaders
                and pid not in seen
                and (pid in killed or _of_job(pid, child.pid, marker))
            ]
            if not found:
                return
            seen.update(found)
            for pid in found:  # with their descendants, wherever those went
                for victim in _tree(pid):
                    killed.add(victim)
                    _kill(victim)
            for pid in found:  # their orphans come to this process as they die: look again
                _reap_orphan(pid, deadline)
            kids = _children(child.tid)


def _children(tid: int) -> list[int]:
    """This process's children: those of the thread that started the job (``tid``) and of
    the main thread, to which the kernel hands orphans (the first live thread of the group,
    whichever thread forked their parent; every thread's, if either has ended)."""
    pids: list[int] = []
    try:
        for task in {os.getpid(), tid}:
            with open(f"/proc/self/task/{task}/children", "rb") as f:
                pids.extend(int(pid) for pid in f.read().split())
        return pids
    except FileNotFoundError:
        pids = []
        for name in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{name}/children", "rb") as f:
                    pids.extend(int(pid) for pid in f.read().split())
            except FileNotFoundError:
                continue
        return pids


def _of_job(pid: int, session: int, marker: bytes) -> bool:
    """Whether process ``pid`` belongs to the job whose session is ``session``: it is in
    that session, or (having made one of its own) has the job's TMPDIR in its environment."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        if int(fields[3]) == session:
            return True
        with open(f"/proc/{pid}/environ", "rb") as f:
            return marker in b"\0" + f.read()
    except (OSError, IndexError, ValueError):
        return False


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", "rb") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap_orphan(pid: int, deadline: float) -> None:
    """Reap a child of this process that was killed; give up at ``deadline`` (it is then
    reaped by whoever waits for children next, or by init at this process's end)."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        os.waitid(os.P_PIDFD, fd, os.WEXITED | os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError as error:
        if error.errno != errno.ECHILD:
            raise
    finally:
        os.close(fd)


def _has_ended(child: _Child) -> bool:
    """Whether the child's process has ended (without reaping it)."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PIDFD, child.fd, flags) is not None
