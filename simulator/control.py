"""The simulator's control panel: the process-wide cluster, its clock, and faults.

Test code and the conformance suite use this to choose the clock, let virtual time pass and
make the DRM misbehave; code under test never needs it. Defaults come from the environment
(``DRMAA_SIM_CLOCK=real|virtual``, ``DRMAA_SIM_SLOTS=N``,
``DRMAA_SIM_DISPATCH_DELAY=seconds``), so ``python -m simulator`` can
set them for a script it runs.

At interpreter exit the simulated cell shuts down: running jobs are killed (SIGKILL to their
process groups) and reaped. A real cell would outlive its client; a simulated one cannot.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable

from simulator.executors.jobmodel import Behaviour, JobModel, default_job_model
from simulator.executors.launch import Launcher
from simulator.executors.processes import ProcessExecutor
from simulator.executors.virtual import VirtualExecutor
from simulator.model.clock import RealClock, VirtualClock
from simulator.model.cluster import Cluster
from simulator.model.jobs import Job, Outcome

__all__ = [
    "Behaviour",
    "JobModel",
    "advance",
    "cluster",
    "default_job_model",
    "now",
    "reset",
    "set_reachable",
    "shutdown",
]

CLOCKS = ("real", "virtual")
_lock = threading.Lock()
_cluster: Cluster | None = None


def _env_clock() -> str:
    clock = os.environ.get("DRMAA_SIM_CLOCK", "real")
    if clock not in CLOCKS:
        raise ValueError(f"DRMAA_SIM_CLOCK must be one of {CLOCKS}, not {clock!r}")
    return clock


def _env_slots() -> int:
    value = os.environ.get("DRMAA_SIM_SLOTS", "8")
    try:
        slots = int(value)
    except ValueError:
        slots = 0
    if slots < 1:
        raise ValueError(f"DRMAA_SIM_SLOTS must be a positive integer, not {value!r}")
    return slots


def _env_delay() -> float:
    value = os.environ.get("DRMAA_SIM_DISPATCH_DELAY", "0")
    try:
        delay = float(value)
    except ValueError:
        delay = -1.0
    if not delay >= 0:
        raise ValueError(f"DRMAA_SIM_DISPATCH_DELAY must be seconds >= 0, not {value!r}")
    return delay


def _build(clock: str, slots: int, job_model: JobModel | None, dispatch_delay: float) -> Cluster:
    if clock == "virtual":
        vclock = VirtualClock()

        def virtual(on_end: Callable[[Job, Outcome], None]) -> VirtualExecutor:
            return VirtualExecutor(vclock, on_end, job_model)

        return Cluster(vclock, virtual, slots, dispatch_delay=dispatch_delay)
    if clock != "real":
        raise ValueError(f"clock must be one of {CLOCKS}, not {clock!r}")
    if job_model is not None:
        raise ValueError("a job model only applies to the virtual clock")
    launcher = Launcher()
    return Cluster(
        RealClock(),
        lambda on_end: ProcessExecutor(on_end, launcher),
        slots,
        dispatch_delay=dispatch_delay,
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
) -> Cluster:
    """Replace the cluster with a new, empty one; the old one shuts down, jobs and all.

    Unset arguments come from the environment. Any session open on the old cluster is
    gone: the next ``initialize()`` starts afresh.
    """
    global _cluster
    delay = _env_delay() if dispatch_delay is None else dispatch_delay
    new = _build(clock or _env_clock(), slots or _env_slots(), job_model, delay)
    with _lock:
        old, _cluster = _cluster, new
    if old is not None:
        old.shutdown()
    return new


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


@atexit.register
def shutdown() -> None:
    """Shut the cluster down (kill and reap its jobs); called at interpreter exit."""
    global _cluster
    with _lock:
        old, _cluster = _cluster, None
    if old is not None:
        old.shutdown()
