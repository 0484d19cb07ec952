"""The simulator's control panel: the process-wide cluster, its clock, and faults.

Test code and the conformance suite use this to choose the clock, let virtual time pass and
make the DRM misbehave; code under test never needs it. Defaults come from the environment
(``DRMAA_SIM_CLOCK=real|virtual``, ``DRMAA_SIM_SLOTS=N``,
``DRMAA_SIM_DISPATCH_DELAY=seconds``, ``DRMAA_SIM_JOB_USER=name``,
``DRMAA_SIM_HOME=directory``, ``DRMAA_SIM_TMPDIR=directory``, where jobs' TMPDIRs go, ``/tmp``
by default as on Grid Engine), so ``python -m simulator`` can set them for a script it runs.

Like Grid Engine (``min_uid``/``min_gid`` 1000), the simulated cell refuses root's jobs:
``runJob`` raises DeniedByDrmException. A process that must run as root says which
unprivileged user its jobs run as (``job_user``, or ``DRMAA_SIM_JOB_USER``): the cell then
checks, names and runs jobs as that user, and opens their files with that user's rights.

At interpreter exit the simulated cell shuts down: running jobs are killed (SIGKILL to their
process groups) and reaped. A real cell would outlive its client; a simulated one cannot.
"""

from __future__ import annotations

import atexit
import os
import signal
import tempfile
import threading
import warnings
from collections.abc import Callable

from simulator.executors import Executor
from simulator.executors.identity import JobUser
from simulator.executors.jobmodel import Behaviour, JobModel, default_job_model
from simulator.executors.launch import Launcher
from simulator.executors.processes import ProcessExecutor
from simulator.executors.virtual import VirtualExecutor
from simulator.model.clock import RealClock, VirtualClock
from simulator.model.cluster import Cluster
from simulator.model.jobs import Job, Outcome
from simulator.model.owner import MIN_GID, MIN_UID, Owner

__all__ = [
    "Behaviour",
    "JobModel",
    "advance",
    "cluster",
    "default_job_model",
    "harness_job_user",
    "make_job_dir",
    "now",
    "reset",
    "set_reachable",
    "shutdown",
]

CLOCKS = ("real", "virtual")
_lock = threading.Lock()
_cluster: Cluster | None = None


def _env_clock() -> str:
    return os.environ.get("DRMAA_SIM_CLOCK", "real")


def _env_slots() -> int:
    value = os.environ.get("DRMAA_SIM_SLOTS", "8")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"DRMAA_SIM_SLOTS must be a positive integer, not {value!r}") from None


def _env_delay() -> float:
    value = os.environ.get("DRMAA_SIM_DISPATCH_DELAY", "0")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"DRMAA_SIM_DISPATCH_DELAY must be seconds >= 0, not {value!r}") from None


def _job_user(name: str | None, min_uid: int) -> JobUser:
    if name is None:
        name = os.environ.get("DRMAA_SIM_JOB_USER") or None
    if name is None:
        user = JobUser.caller()
        if user.uid < min_uid:
            warnings.warn(
                f"the simulated cell refuses uid {user.uid}'s jobs, as Grid Engine does "
                f"(min_uid {min_uid}): "
                "name an unprivileged user to run them as, with DRMAA_SIM_JOB_USER or "
                "simulator.control.reset(job_user=...)",
                stacklevel=4,
            )
        return user
    return JobUser.named(name)


def _build(
    clock: str,
    slots: int,
    job_model: JobModel | None,
    dispatch_delay: float,
    job_user: str | None = None,
    home: str | None = None,
    min_uid: int = MIN_UID,
    min_gid: int = MIN_GID,
    parallel_environments: dict[str, int] | None = None,
) -> Cluster:
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {CLOCKS}, not {clock!r}")
    if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
        raise ValueError(f"slots must be a positive integer, not {slots!r}")
    if not dispatch_delay >= 0:  # NaN too
        raise ValueError(f"the dispatch delay must be seconds >= 0, not {dispatch_delay!r}")
    if home is None:
        home = os.environ.get("DRMAA_SIM_HOME") or None
    if home is not None and not os.path.isabs(home):
        raise ValueError(f"home must be an absolute path, not {home!r}")
    user = _job_user(job_user, min_uid)
    owner = Owner(user.name, user.uid, user.gid)
    if parallel_environments is not None:
        for name, pe_slots in parallel_environments.items():
            if not isinstance(name, str) or not name or isinstance(pe_slots, bool):
                raise ValueError(f"a parallel environment needs a name, not {name!r}")
            if not isinstance(pe_slots, int) or pe_slots < 1:
                raise ValueError(f"PE {name!r} needs a positive number of slots")
    make_executor: Callable[[Callable[[Job, Outcome], None]], Executor]
    if clock == "virtual":
        vclock = VirtualClock()
        the_clock: RealClock | VirtualClock = vclock

        def make_executor(on_end: Callable[[Job, Outcome], None]) -> Executor:
            return VirtualExecutor(vclock, on_end, job_model)

    else:
        if job_model is not None:
            raise ValueError("a job model only applies to the virtual clock")
        _die_cleanly_on_termination()
        launcher = Launcher(home=home, user=user)
        the_clock = RealClock()

        def make_executor(on_end: Callable[[Job, Outcome], None]) -> Executor:
            return ProcessExecutor(on_end, launcher)

    return Cluster(
        the_clock,
        make_executor,
        slots,
        dispatch_delay=dispatch_delay,
        owner=owner,
        min_uid=min_uid,
        min_gid=min_gid,
        parallel_environments=parallel_environments,
    )


def cluster() -> Cluster:
    """The process-wide simulated cluster, created on first use from the environment."""
    global _cluster
    with _lock:
        if _cluster is None:
            _cluster = _build(_env_clock(), _env_slots(), None, _env_delay())
        return _cluster


def reset(
    clock: str | None = None,
    slots: int | None = None,
    job_model: JobModel | None = None,
    dispatch_delay: float | None = None,
    job_user: str | None = None,
    home: str | None = None,
    min_uid: int = MIN_UID,
    min_gid: int = MIN_GID,
    parallel_environments: dict[str, int] | None = None,
) -> Cluster:
    """Replace the cluster with a new, empty one; the old one shuts down, jobs and all.

    Unset arguments come from the environment. ``job_user`` runs jobs as that user (root
    only); ``home`` is the home directory jobs get (default: their user's), where output
    goes that is not told where to go; ``min_uid``/``min_gid`` are the cell's limits
    (Grid Engine's default 1000 refuses root). ``parallel_environments`` maps the PEs the
    queue offers to their slots (default ``{"smp": 999}``, as the project provisions its
    cells; ``{}`` for none): ``-pe NAME RANGE`` asks for one. Any session open on the old
    cluster is gone: the next ``initialize()`` starts afresh.
    """
    global _cluster
    new = _build(
        _env_clock() if clock is None else clock,
        _env_slots() if slots is None else slots,
        job_model,
        _env_delay() if dispatch_delay is None else dispatch_delay,
        job_user,
        home,
        min_uid,
        min_gid,
        parallel_environments,
    )
    with _lock:
        old, _cluster = _cluster, new
    if old is not None:
        old.shutdown()
    return new


def harness_job_user() -> str | None:
    """The user a test harness runs its jobs as: its own (None), unless it runs as root;
    then ``DRMAA_SIM_JOB_USER``, else ``nobody``, which every Debian system has."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("DRMAA_SIM_JOB_USER") or "nobody"


def make_job_dir(job_user: str | None = None, prefix: str = "drmaa-testkit-jobs-") -> str:
    """A new, empty directory under the temporary directory that jobs run as ``job_user``
    (None: this process's user) may write in: a root test harness gives its jobs a place
    to write this way. The caller removes it."""
    path = tempfile.mkdtemp(prefix=prefix)
    if job_user is not None:
        user = JobUser.named(job_user)
        if user.is_other:
            os.chown(path, user.uid, user.gid)
    return path


def advance(seconds: float) -> None:
    """Let ``seconds`` of virtual time pass, ending every job due on the way."""
    cluster().advance(seconds)


def now() -> float:
    """The cluster's current time, in seconds since the epoch."""
    return cluster().clock.now()


def set_reachable(reachable: bool) -> None:
    """Fault hook: a qmaster outage (``False``) and its end (``True``).

    While it lasts, calls that need the qmaster raise DrmCommunicationException, waits
    only time out, and job ends are held back until it is over (Grid Engine's behaviour,
    measured: see ``Cluster.set_reachable``).
    """
    cluster().set_reachable(reachable)


#: Signals that end a process by default and that a CI time-out or ``docker stop`` sends.
_TERMINATING = (signal.SIGTERM, signal.SIGHUP)


def _die_cleanly_on_termination() -> None:
    """Make SIGTERM and SIGHUP shut the cell down (its jobs killed, their TMPDIRs removed)
    before the process dies of them, as it would have: atexit handlers do not run for a
    signal. Only where nobody has a handler of their own, and only from the main thread
    (Python sets handlers there alone)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _TERMINATING:
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _terminated)


def _terminated(sig: int, _frame: object) -> None:
    try:
        shutdown()
    finally:
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)  # die of it, as without us


@atexit.register
def shutdown() -> None:
    """Shut the cluster down (kill and reap its jobs); called at interpreter exit."""
    global _cluster
    with _lock:
        old, _cluster = _cluster, None
    if old is not None:
        old.shutdown()
