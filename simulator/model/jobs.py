"""Jobs as the DRM sees them: what was asked for, where it stands, how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class State(IntEnum):
    """DRMAA job states, with the C binding's numeric values (GFD.133)."""

    UNDETERMINED = 0x00
    QUEUED_ACTIVE = 0x10
    SYSTEM_ON_HOLD = 0x11
    USER_ON_HOLD = 0x12
    USER_SYSTEM_ON_HOLD = 0x13
    RUNNING = 0x20
    SYSTEM_SUSPENDED = 0x21
    USER_SUSPENDED = 0x22
    USER_SYSTEM_SUSPENDED = 0x23
    DONE = 0x30
    FAILED = 0x40

    @property
    def finished(self) -> bool:
        return self >= State.DONE


class Action(IntEnum):
    """Job control actions, with the C binding's numeric values."""

    SUSPEND = 0
    RESUME = 1
    HOLD = 2
    RELEASE = 3
    TERMINATE = 4


@dataclass(frozen=True, slots=True)
class JobSpec:
    """Everything a submission asks for, already validated by the front.

    Paths are plain local paths (``host:`` prefix removed) with the DRMAA placeholders
    still in them: they are expanded per task, where the task index is known.
    """

    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    workdir: str | None = None
    input_path: str | None = None
    output_path: str | None = None
    error_path: str | None = None
    join_files: bool = False
    hold: bool = False
    name: str | None = None
    native: str = ""
    # Seconds after which the DRM kills the job with SIGKILL (qsub -l h_rt).
    hard_runtime: float | None = None
    # Not to start before this time (seconds since the epoch): the job is on system hold
    # until then, as Grid Engine reports a job with a start time (measured).
    start_at: float | None = None
    # Accepted although no queue can ever run it (qsub -w n with an impossible request).
    unschedulable: bool = False
    # A request no queue can meet, as Grid Engine's verification names it ("-l arch=x");
    # what comes of it depends on ``validation`` (qsub -w: e, w, n or v).
    impossible: str | None = None
    validation: str = "e"
    # A parallel environment (a name, wildcards allowed) and its slot range (qsub -pe).
    pe: str | None = None
    pe_range: tuple[int, int] | None = None
    # qsub -now y: run at once or not at all.
    immediate: bool = False
    # qsub -hold_jid: job ids and names to wait for.
    hold_jid: tuple[str, ...] = ()
    # qsub -b n: the script libdrmaa read and sent along, which the job runs.
    script: bytes | None = None
    binary: bool = True
    # A bulk job's first, last and step index (the SGE_TASK_* variables); None: single job.
    task_range: tuple[int, int, int] | None = None
    # What Grid Engine records of the submitter (the SGE_O_* variables).
    origin: dict[str, str] = field(default_factory=dict)


# Signals whose default action dumps core. Jobs on the measured cell did dump core for
# them (hasCoreDump True), so the simulator reports one whatever this machine's ulimit.
CORE_SIGNALS = frozenset(
    {"SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV", "SIGSYS",
     "SIGXCPU", "SIGXFSZ"}
)  # fmt: skip


def dumps_core(sig: int) -> bool:
    import signal

    try:
        return signal.Signals(sig).name in CORE_SIGNALS
    except ValueError:
        return False


@dataclass(slots=True)
class Outcome:
    """How a job ended, in wait-status terms, plus its resource usage."""

    exited: bool = True
    exit_status: int = 0
    signal: int = 0
    core_dump: bool = False
    aborted: bool = False
    # False when the job was dispatched but its process never started (missing command,
    # unopenable file): Grid Engine then reports only part of the usage record.
    started: bool = True
    # Seconds of user and system CPU and the rest of getrusage(2), where known.
    usage: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_wait_status(cls, status: int, usage: dict[str, float] | None = None) -> Outcome:
        import os

        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            return cls(exited=False, signal=sig, core_dump=dumps_core(sig), usage=usage or {})
        return cls(exited=True, exit_status=os.WEXITSTATUS(status), usage=usage or {})

    @classmethod
    def aborted_job(cls, started: bool = True) -> Outcome:
        """A job the DRM stopped: terminated, or (``started`` False) unable to start."""
        return cls(exited=False, aborted=True, started=started)


class Job:
    """One job (or one task of a bulk job) on the cluster."""

    __slots__ = (
        "end_seq",
        "end_time",
        "handle",
        "id",
        "number",
        "outcome",
        "predecessors",
        "ran",
        "session",
        "slots",
        "spec",
        "start_pending",
        "start_time",
        "state",
        "submit_time",
        "system_hold",
        "task",
        "terminating",
        "user_hold",
    )

    def __init__(
        self, number: int, task: int | None, session: str, spec: JobSpec, now: float
    ) -> None:
        self.number = number
        self.task = task
        self.id = str(number) if task is None else f"{number}.{task}"
        self.session = session
        self.spec = spec
        # The phase: QUEUED_ACTIVE, RUNNING, USER_SUSPENDED, then DONE or FAILED. Holds are
        # flags beside it (a running job can be held); see :meth:`reported_state`.
        self.state = State.QUEUED_ACTIVE
        self.user_hold = spec.hold
        # Held by the system until its start time, and (-hold_jid) until the jobs it
        # depends on have ended: ``system_hold`` is either.
        self.start_pending = spec.start_at is not None
        self.predecessors: set[int] | None = None
        self.system_hold = self.start_pending
        # Slots it holds while it runs (a -pe job may hold several); 0 when it holds none.
        self.slots = 0
        self.end_seq = 0  # when it ended, in the order the cell heard of job ends
        self.submit_time = now
        self.start_time: float | None = None
        self.end_time: float | None = None
        self.outcome: Outcome | None = None
        self.ran = False
        self.terminating = False
        # Whatever the executor needs to find the job again (a process, an event).
        self.handle: object = None

    @property
    def held(self) -> bool:
        return self.user_hold or self.system_hold

    def reported_state(self) -> State:
        """The state jobStatus answers: a hold shows over the phase until the job ends."""
        state = self.state
        if state.finished or not (self.user_hold or self.system_hold):
            return state
        if self.user_hold and self.system_hold:
            return State.USER_SYSTEM_ON_HOLD
        return State.USER_ON_HOLD if self.user_hold else State.SYSTEM_ON_HOLD

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.state.name}>"
