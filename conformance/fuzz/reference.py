"""The reference model: what a Grid Engine session answers, predicted call by call.

Timing on a real cell is not deterministic (a job is dispatched about a second after
submission; a terminate shows up to ten seconds late), so a prediction is a *set* of
acceptable outcomes, and the model then learns from the outcome actually seen: a long job
whose status came back ``running`` is known to run from then on. What the model knows never
depends on timing it cannot see.

The machine keeps jobs of three kinds, all understood by the simulator's virtual job model:
``short`` (``sh -c 'sleep 1; exit N'``: ends soon), ``long`` (``sleep 100000``: ends only when
terminated), and ``held`` (a long job submitted on hold).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OK = "ok"  # the outcome name of a call that returned normally

# Exception names as drmaa-python names them; code 24 arrives as a bare Exception.
NO_SESSION = "NoActiveSessionException"
ALREADY_ACTIVE = "AlreadyActiveSessionException"
INVALID_JOB = "InvalidJobException"
TIMEOUT = "ExitTimeoutException"
NO_USAGE = "Exception"
SUSPEND_STATE = "SuspendInconsistentStateException"
RESUME_STATE = "ResumeInconsistentStateException"


@dataclass
class Expect:
    """Acceptable outcomes: exception class names and/or OK with a check of the value."""

    outcomes: frozenset[str]
    check: Callable[[Any], str | None] | None = None  # a complaint about a returned value

    @classmethod
    def of(cls, *outcomes: str, check: Callable[[Any], str | None] | None = None) -> Expect:
        return cls(frozenset(outcomes), check)

    def judge(self, outcome: str, value: Any) -> str | None:
        """Why ``outcome`` (an exception name or OK) with ``value`` is wrong, or None."""
        if outcome not in self.outcomes:
            return f"expected {' or '.join(sorted(self.outcomes))}, got {outcome}"
        if outcome == OK and self.check is not None:
            return self.check(value)
        return None


@dataclass
class RefJob:
    """What the model knows of one job."""

    id: str
    kind: str  # "short" | "long" | "held"
    exit_status: int = 0
    held: bool = False
    # For long jobs: "pending" (queued or running: not yet seen), "running", "suspended".
    phase: str = "pending"
    ran: bool | None = None  # None: unknown (dispatched or not, we can't tell)
    terminated: bool = False
    finished: bool = False  # known to have ended (short job synchronized, terminate seen)
    gone: bool = False  # reaped, forgotten or lost: unknown to everyone from now on
    # Left running by exit(): it will end while nobody is connected, and be lost then.
    orphan: bool = False
    session: str = ""  # the contact of the session it was submitted in
    # Back in its session after a rejoin that came before it could end (see initialized):
    # it may have ended before the exit (then it was forgotten), or may still be alive.
    maybe_gone: bool = False
    # A task that had ended (or was ending) at exit() while its array job had tasks still
    # to run: Grid Engine still shows it, done, but its usage went with the library: wait
    # on it, or wait(ANY), which hands it out, raises code 24 (sge_array_probe and the
    # conformance case on the real cell). It goes once its array job has ended, which the
    # model cannot see: always maybe gone.
    lingering: bool = False

    @property
    def ends_by_itself(self) -> bool:
        return self.kind == "short" and not self.held


@dataclass
class RefSession:
    contact: str
    jobs: dict[str, RefJob] = field(default_factory=dict)


class Reference:
    """The model of one client process: at most one open session, and the cell's sessions."""

    def __init__(self) -> None:
        self.open: RefSession | None = None
        self.sessions: dict[str, RefSession] = {}
        # Every job ever submitted: jobStatus and control reach live jobs of any session.
        self.registry: dict[str, RefJob] = {}

    # -- session lifecycle ----------------------------------------------------------------
    def expect_initialize(self) -> Expect:
        return Expect.of(ALREADY_ACTIVE) if self.open else Expect.of(OK)

    def initialized(self, contact: str, joined: bool) -> None:
        session = self.sessions.get(contact) if joined else None
        if session is None:
            session = self.sessions[contact] = RefSession(contact)
        # Jobs its last exit() left running that have not ended yet are its own again (the
        # machine makes sure this only happens where the model can know they have not).
        for job in self.registry.values():
            if job.orphan and not job.gone and job.session == contact:
                job.orphan, job.maybe_gone = False, True
                session.jobs[job.id] = job
        self.open = session

    def expect_exit(self) -> Expect:
        return Expect.of(OK) if self.open else Expect.of(NO_SESSION)

    def exited(self) -> None:
        session, self.open = self.open, None
        assert session is not None
        # Finished, unreaped jobs are forgotten now; jobs that end while nobody is
        # connected are lost. The machine lets time pass before any reconnect, so every job
        # that ends by itself (and every terminated one) will be gone by then.
        live_arrays = {
            job_id.split(".")[0]
            for job_id, job in session.jobs.items()
            if "." in job_id and not (job.finished or job.ends_by_itself or job.terminated)
        }
        for job_id, job in list(session.jobs.items()):
            ending = job.finished or job.ends_by_itself or job.terminated
            if ending and "." in job_id and job_id.split(".")[0] in live_arrays:
                job.finished = job.lingering = job.maybe_gone = True
            elif job.finished:
                self._forget(session, job_id)
            elif job.ends_by_itself or job.terminated:
                del session.jobs[job_id]  # still visible to jobStatus until it ends
                job.orphan = True

    def settled(self) -> None:
        """Enough time passed for every job that ends by itself to have ended: orphans
        (jobs left running by exit()) are lost now."""
        for job in self.registry.values():
            if job.orphan:
                job.gone = True

    def contact(self) -> str:
        return self.open.contact if self.open else ""

    # -- jobs -----------------------------------------------------------------------------
    def job(self, job_id: str) -> RefJob | None:
        """A job of the open session."""
        return self.open.jobs.get(job_id) if self.open else None

    def _visible(self, job_id: str) -> tuple[RefJob | None, bool]:
        """The job as jobStatus/control see it, and whether it belongs to another session
        (whose jobs vanish the moment they end: nobody is connected to hear of it)."""
        own = self.job(job_id)
        if own is not None:
            return own, False
        other = self.registry.get(job_id)
        if other is None or other.gone:
            return None, False
        return other, True

    def _forget(self, session: RefSession, job_id: str) -> None:
        session.jobs.pop(job_id).gone = True

    def expect_submit(self, tasks: range | None = None) -> Expect:
        """runJob (``tasks`` None) or runBulkJobs: ids ``N`` or ``N.t`` for each task."""
        if not self.open:
            return Expect.of(NO_SESSION)

        def check(ids: list[str]) -> str | None:
            numbers = {i.split(".")[0] for i in ids}
            wanted = [None] if tasks is None else list(tasks)
            got = [None if "." not in i else int(i.split(".")[1]) for i in ids]
            if len(numbers) != 1 or not next(iter(numbers)).isdigit() or got != wanted:
                return f"ids {ids} are not one job number with tasks {wanted}"
            return None

        return Expect.of(OK, check=check)

    def submitted(self, job: RefJob) -> None:
        assert self.open is not None
        if job.kind == "held":
            job.held, job.ran = True, False
        job.session = self.open.contact
        self.open.jobs[job.id] = job
        self.registry[job.id] = job

    def expect_status(self, job_id: str) -> Expect:
        if not self.open:
            return Expect.of(NO_SESSION)
        job, foreign = self._visible(job_id)
        if job is None:
            return Expect.of(INVALID_JOB)
        states = self.possible_states(job)
        if job.maybe_gone:
            return Expect.of(OK, INVALID_JOB, check=_one_of(states))
        if foreign and (job.ends_by_itself or job.terminated):
            # Not ours: once it ends it is gone (nobody of its session is there to hear).
            return Expect.of(OK, INVALID_JOB, check=_one_of(states - {"done", "failed"}))
        return Expect.of(OK, check=_one_of(states))

    def possible_states(self, job: RefJob) -> set[str]:
        if job.lingering:
            return {"done"}  # however it ended: its failure went with the session
        if job.finished:
            return {"failed"} if job.terminated else {"done"}
        if job.terminated:
            # Grid Engine shows the old state for a while after a terminate.
            return {"failed", *self.live_states(job)}
        if job.ends_by_itself:
            return {"queued_active", "running", "done"}
        return self.live_states(job)

    @staticmethod
    def live_states(job: RefJob) -> set[str]:
        if job.held:
            return {"user_on_hold"}
        return {
            "pending": {"queued_active", "running"},
            "running": {"running"},
            "suspended": {"user_suspended"},
        }[job.phase]

    def status_seen(self, job_id: str, state: Any) -> None:
        job, _ = self._visible(job_id)
        if job is not None and job.maybe_gone:
            if state.__class__.__name__ == INVALID_JOB:
                owner = self.sessions.get(job.session)
                if owner is not None and job_id in owner.jobs:
                    self._forget(owner, job_id)
                job.gone = True
                return
            if not job.lingering:
                job.maybe_gone = False  # it is still there
        if job is not None and job.kind == "long" and not job.terminated and state == "running":
            job.phase, job.ran = "running", True

    # -- control --------------------------------------------------------------------------
    def expect_control(self, job_id: str, action: str) -> Expect:
        if not self.open:
            return Expect.of(NO_SESSION)
        job, _ = self._visible(job_id)
        if job is None or job.finished:
            if action in ("hold", "release") and self._array_may_live(job_id):
                # No such task (any more), but its array job lives: a hold is OK then
                # (sge_array_probe); and code 18 once the array has ended too.
                return Expect.of(OK, INVALID_JOB)
            return Expect.of(INVALID_JOB)
        if job.terminated or job.ends_by_itself:
            # It may have ended already: then the qmaster no longer knows it.
            return Expect.of(OK, INVALID_JOB, SUSPEND_STATE, RESUME_STATE)
        if job.ran is False:  # never dispatched: pending, whatever else
            if action in ("suspend", "resume"):
                return Expect.of(SUSPEND_STATE if action == "suspend" else RESUME_STATE)
            return Expect.of(OK)
        if action == "suspend":
            return {
                "pending": Expect.of(OK, SUSPEND_STATE),
                "running": Expect.of(OK),
                "suspended": Expect.of(SUSPEND_STATE),
            }[job.phase]
        if action == "resume":
            return {
                "pending": Expect.of(RESUME_STATE),
                "running": Expect.of(RESUME_STATE),
                "suspended": Expect.of(OK),
            }[job.phase]
        return Expect.of(OK)  # hold, release, terminate: accepted in every live state

    def _array_may_live(self, job_id: str) -> bool:
        """Whether ``job_id`` is a task id of an array job that may have live tasks."""
        number, dot, _ = job_id.partition(".")
        if not dot:
            return False
        return any(
            other.id.partition(".")[0] == number and not other.gone and not other.finished
            for other in self.registry.values()
            if other.id != job_id
        )

    def controlled(self, job_id: str, action: str, outcome: str) -> None:
        job, _ = self._visible(job_id)
        if job is None or outcome != OK:
            return
        if action == "hold":
            job.held = True
        elif action == "release":
            job.held = False
            if job.ran is False:
                job.ran = None  # released: it may be dispatched any moment now
        elif action == "suspend":
            job.phase, job.ran = "suspended", True
        elif action == "resume":
            job.phase = "running"
        elif action == "terminate":
            job.terminated = True
            owner = self.sessions.get(job.session)
            if owner is not None and owner is not self.open:
                # Its session is disconnected: it ends with nobody to hear, and is lost;
                # a task of an array job that lives on stays, without usage
                # (sge_reconnect_tasks_probe).
                if self._array_may_live(job.id):
                    job.finished = job.lingering = job.maybe_gone = True
                else:
                    owner.jobs.pop(job.id, None)
                    job.orphan = True

    # -- waiting --------------------------------------------------------------------------
    def expect_wait(self, job_id: str, timeout: int) -> Expect:
        if not self.open:
            return Expect.of(NO_SESSION)
        job = self.job(job_id)
        if job is None:
            return Expect.of(INVALID_JOB)
        ends = job.finished or job.ends_by_itself or job.terminated
        if not ends:
            return Expect.of(TIMEOUT)
        outcomes = self._finished_outcomes(job)
        if not job.finished and timeout == 0:
            outcomes = outcomes | {TIMEOUT}
        if job.maybe_gone:
            outcomes = outcomes | {INVALID_JOB}
        return Expect.of(*outcomes, check=_job_info(job))

    def _finished_outcomes(self, job: RefJob) -> set[str]:
        if job.lingering:
            return {NO_USAGE}
        if not job.terminated:
            return {OK}
        if job.ran is True:
            return {OK}
        if job.ran is False:
            return {NO_USAGE}
        return {OK, NO_USAGE}

    def waited(self, job_id: str, outcome: str) -> None:
        job = self.job(job_id)
        if job is not None and outcome in (OK, NO_USAGE, INVALID_JOB):
            assert self.open is not None  # job() finds jobs of the open session only
            self._forget(self.open, job_id)  # reaped (or found gone): forgotten from now on

    def expect_wait_any(self) -> Expect:
        if not self.open:
            return Expect.of(NO_SESSION)
        jobs = self.open.jobs.values()
        if not jobs:
            return Expect.of(INVALID_JOB)
        outcomes = {TIMEOUT}
        ending = {
            job.id
            for job in jobs
            if (job.finished or job.ends_by_itself or job.terminated) and not job.lingering
        }
        for job_id in ending:
            outcomes |= self._finished_outcomes(self.open.jobs[job_id])
        if any(job.lingering for job in jobs):
            outcomes.add(NO_USAGE)  # handed out without its usage
        if any(job.finished and not job.maybe_gone and not job.lingering for job in jobs):
            outcomes.discard(TIMEOUT)  # something is ready: NO_WAIT still gets it
        if all(job.maybe_gone for job in jobs):
            outcomes.add(INVALID_JOB)  # they may all be gone already

        session = self.open

        def check(info: Any) -> str | None:
            if info.jobId not in ending:
                return f"wait(ANY) returned {info.jobId!r}, which cannot have finished"
            return _job_info(session.jobs[info.jobId])(info)

        return Expect.of(*outcomes, check=check)

    def no_usage_candidates(self) -> list[str]:
        """Jobs whose reaping could raise code 24 (terminated, maybe before they ran)."""
        if not self.open:
            return []
        return [
            j.id
            for j in self.open.jobs.values()
            if j.lingering or (j.terminated and j.ran is not True)
        ]

    def waited_any(self, outcome: str, job_id: str | None) -> None:
        """Forget the job wait(ANY) reaped; code 24 names none, so it must be the only
        candidate (the machine makes sure there is at most one)."""
        if self.open is None:
            return
        if outcome == OK and job_id in self.open.jobs:
            self._forget(self.open, job_id)
        elif outcome == INVALID_JOB:
            for gone in [j.id for j in self.open.jobs.values() if j.maybe_gone]:
                self._forget(self.open, gone)
        elif outcome == NO_USAGE:
            (only,) = self.no_usage_candidates()
            self._forget(self.open, only)

    def expect_synchronize_ending(self) -> Expect:
        """synchronize() of every job that ends by itself or was terminated."""
        return Expect.of(OK) if self.open else Expect.of(NO_SESSION)

    def synchronized(self, job_ids: list[str], dispose: bool) -> None:
        assert self.open is not None
        for job_id in job_ids:
            job = self.open.jobs.get(job_id)
            if job is None:
                continue
            if dispose:
                self._forget(self.open, job_id)
            else:
                job.finished = True

    def ending_jobs(self) -> list[str]:
        if not self.open:
            return []
        return [j.id for j in self.open.jobs.values() if j.ends_by_itself or j.terminated]


def _one_of(states: set[str]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in states else f"state {value!r} not in {sorted(states)}"

    return check


def _job_info(job: RefJob) -> Callable[[Any], str | None]:
    def check(info: Any) -> str | None:
        if info.jobId != job.id:
            return f"JobInfo for {info.jobId!r}, waited for {job.id!r}"
        if job.terminated:
            if not info.wasAborted or info.hasExited:
                return f"a terminated job must be aborted: {info!r}"
        elif not info.hasExited or info.exitStatus != job.exit_status:
            return f"expected exit status {job.exit_status}: {info!r}"
        return None

    return check
