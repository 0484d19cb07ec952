"""The cluster: sessions, jobs, a slot-limited FIFO scheduler and the rules that bind them.

Every public method takes the one cluster lock, so many client threads may call at once.
Blocking calls (:meth:`Cluster.wait`, :meth:`Cluster.synchronize`) sleep on a condition that
every state change notifies: they wake when something happens, never by polling. On the
virtual clock a blocking call that would sleep moves the clock to the next job end instead.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import heapq
import itertools
import os
import random
import re
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from simulator.model import control_rules
from simulator.model.clock import RealClock, VirtualClock
from simulator.model.errors import DrmError, ErrorCode
from simulator.model.jobids import canonical, check_job_name, job_name, parse_job_id
from simulator.model.jobs import Action, Job, JobSpec, Outcome, State
from simulator.model.owner import MIN_GID, MIN_UID, Owner, check_may_submit

if TYPE_CHECKING:
    from simulator.executors import Executor

# Stand-ins for DRMAA's DRMAA_JOB_IDS_SESSION_ANY / _ALL, kept apart from any real job id.
ANY_JOB = "DRMAA_JOB_IDS_SESSION_ANY"
ALL_JOBS = "DRMAA_JOB_IDS_SESSION_ALL"
# Exit statuses with a meaning to Grid Engine (measured): 99 re-queues the job, 100 fails it.
EXIT_REQUEUE = 99
EXIT_FAIL = 100
# Seconds before a re-queued job may run again (never 0, or it would spin).
REQUEUE_DELAY = 1.0

#: Grid Engine's ``max_aj_tasks`` default: the most tasks one array job may have.
MAX_ARRAY_TASKS = 75000
#: The port Grid Engine's messages name (its default; the simulator listens on none).
QMASTER_PORT = 6444
#: The execution host's architecture (its ``arch`` complex).
ARCH = "lx-amd64"
#: The parallel environments a cell defines unless told otherwise (name: slots).
DEFAULT_PARALLEL_ENVIRONMENTS = {"smp": 999}
_CONTACT = re.compile(r"session=\S+")
T = TypeVar("T")
# Control actions that act on a flag only: on a missing task of a live array they are OK.
_FLAG_ACTIONS = (Action.HOLD, Action.RELEASE)
_PHASE_ACTIONS = (Action.SUSPEND, Action.RESUME)


class SessionRecord:
    """What the DRM remembers of one DRMAA session, connected or not."""

    __slots__ = ("connections", "contact", "finished", "finished_order", "jobs")

    def __init__(self, contact: str) -> None:
        self.contact = contact
        # Clients attached to it now: Grid Engine lets several share one session.
        self.connections = 0
        # Jobs the session can still ask about: live ones and finished, unreaped ones.
        self.jobs: dict[str, Job] = {}
        # Finished, unreaped jobs, and a heap of them by job number and task: wait(ANY)
        # hands out the lowest id first, not the first to finish (measured).
        self.finished: dict[str, Job] = {}
        self.finished_order: list[tuple[int, int, str]] = []

    def add_finished(self, job: Job) -> None:
        # wait(ANY) hands out jobs by job number, and the tasks of one job in the order
        # they ended (sge_array_probe).
        self.finished[job.id] = job
        heapq.heappush(self.finished_order, (job.number, job.end_seq, job.id))

    def discard_finished(self, job_id: str) -> None:
        """Forget a finished job (reaped, or gone with its array job).

        Its heap entry stays until wait(ANY) reaches it; a client that only ever waits
        by id would leave them piling up, so the heap is rebuilt once most are stale.
        """
        if self.finished.pop(job_id, None) is None:
            return
        order = self.finished_order
        if len(order) > 2 * len(self.finished) + 64:
            finished = self.finished
            order[:] = [entry for entry in order if entry[2] in finished]
            heapq.heapify(order)

    def first_finished(self) -> Job | None:
        order, finished = self.finished_order, self.finished
        while order:
            job = finished.get(order[0][2])
            if job is not None:
                return job
            heapq.heappop(order)  # reaped since
        return None

    @property
    def connected(self) -> bool:
        return self.connections > 0


class Connection:
    """One client's attachment to a session, from initialize() to exit(), on one cluster."""

    __slots__ = ("cluster", "open", "record")

    def __init__(self, record: SessionRecord, cluster: object) -> None:
        self.record = record
        self.cluster = cluster
        self.open = True

    @property
    def contact(self) -> str:
        return self.record.contact


class Cluster:
    """A single-queue Grid Engine cell: ``slots`` jobs run at once, the rest wait in line."""

    def __init__(
        self,
        clock: RealClock | VirtualClock,
        make_executor: Callable[[Callable[[Job, Outcome], None]], Executor],
        slots: int = 8,
        host: str | None = None,
        dispatch_delay: float = 0.0,
        owner: Owner | None = None,
        min_uid: int = MIN_UID,
        min_gid: int = MIN_GID,
        parallel_environments: dict[str, int] | None = None,
    ) -> None:
        if slots < 1:
            raise ValueError("a cluster needs at least one slot")
        if dispatch_delay < 0:
            raise ValueError("the dispatch delay cannot be negative")
        self.clock = clock
        # The clock the cluster moves itself (None on the real clock, which moves alone).
        self._virtual_clock = clock if isinstance(clock, VirtualClock) else None
        self.slots = slots
        # Seconds from submission (or release) until a job may start: Grid Engine's
        # scheduler runs at intervals (``schedule_interval``), so a job is queued_active
        # for about a second on a fast cell. 0 dispatches at once.
        self.dispatch_delay = dispatch_delay
        self.host = host or socket.gethostname().split(".")[0]
        # Whose jobs these are, and the cell's min_uid/min_gid (Grid Engine refuses root).
        self.owner = owner or Owner.caller()
        self.min_uid = min_uid
        self.min_gid = min_gid
        # Parallel environments (name: slots) in the queue's pe_list: the cell provisioned
        # for the measurements defines ``smp`` (999 slots, $pe_slots; sge_native_pe_probe).
        if parallel_environments is None:
            parallel_environments = DEFAULT_PARALLEL_ENVIRONMENTS
        self.parallel_environments = dict(parallel_environments)
        self._pe_used: dict[str, int] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._waiters = 0  # threads in self._changed.wait()
        self._interrupts: list[int] = []  # eventfds of threads in _await_end()
        self._sessions: dict[str, SessionRecord] = {}
        self._connections: set[Connection] = set()
        self._live: dict[str, Job] = {}  # every job not yet finished, any session
        self._pending: list[tuple[int, int, int, Job]] = []  # heap, by job number then task
        self._seq = itertools.count()
        self._numbers = itertools.count(1)
        self._used = 0  # slots held by running jobs
        self._live_count: dict[int, int] = {}  # job number: its tasks not yet finished
        # An array job's tasks, while any of them has not finished: a bare array number is
        # found without scanning every job on the cell.
        self._live_arrays: dict[int, list[Job]] = {}
        self._dependents: dict[int, list[Job]] = {}  # job number: jobs held for its end
        # Finished tasks whose session was left before they were reaped, by job number:
        # Grid Engine still shows them while their array job lives on (sge_array_probe).
        self._lingering: dict[int, list[tuple[SessionRecord, Job]]] = {}
        self._end_seq = itertools.count(1)
        self._scheduling = False
        self._closed = False
        # Fault hook: False is a qmaster outage (see set_reachable).
        self.reachable = True
        self._unheard: list[tuple[Job, Outcome]] = []  # ends that happened in an outage
        self.executor = make_executor(self._job_ended)

    # -- outages ----------------------------------------------------------------------
    def set_reachable(self, reachable: bool) -> None:
        """Take the qmaster down or bring it back, as Grid Engine 8.1.9 behaves (measured).

        While it is down, calls that ask it (initialize, runJob, control, jobStatus) fail
        with a communication error; wait and synchronize only time out, or block on; exit
        still works. Jobs keep running, but nothing is dispatched and no end is heard of:
        ends are delivered when it is back, so a job whose session was left meanwhile is
        lost then, and a job whose session is still open is found by its waiters.
        """
        with self._lock:
            self.reachable = reachable
            if not reachable:
                return
            unheard, self._unheard = self._unheard, []
            for job, outcome in unheard:
                self._job_ended(job, outcome)
            self._schedule()
            self._notify()

    # -- sessions ----------------------------------------------------------------------
    def connect(self, contact: str | None = None, pid: int | None = None) -> Connection:
        """Open a new session, or join the one ``contact`` names (created if unknown);
        ``pid`` is the client's process id, which a new session's name carries (default:
        this process's)."""
        with self._lock:
            self._check_open()
            self._catch_up()
            if contact:
                if _CONTACT.fullmatch(contact) is None:
                    raise DrmError(ErrorCode.INVALID_ARGUMENT)
                record = self._sessions.get(contact)
                if record is None:
                    record = self._sessions[contact] = SessionRecord(contact)
            else:
                record = self._new_session(os.getpid() if pid is None else pid)
            record.connections += 1
            conn = Connection(record, self)
            self._connections.add(conn)
            return conn

    def disconnect(self, conn: Connection) -> None:
        """End a connection: live jobs go on; when the last client leaves, finished ones
        are forgotten, and jobs that end from then on are lost."""
        with self._lock:
            if not conn.open or conn.cluster is not self:
                raise DrmError(ErrorCode.NO_ACTIVE_SESSION)
            self._catch_up()
            conn.open = False
            self._connections.discard(conn)
            record = conn.record
            record.connections -= 1
            if not record.connections:
                self._forget_finished(record)
            self._notify()

    def _forget_finished(self, record: SessionRecord) -> None:
        """The last client left: the library's usage records go with it. A finished task
        of an array job that has tasks still to run stays known to the qmaster (so does one
        that ends while nobody is connected): see :meth:`_linger`. Everything else finished
        is forgotten, and so is what ``-w v`` made up."""
        jobs, live = record.jobs, self._live_count
        keep = []
        for job_id, job in record.finished.items():
            if job.task is not None and live.get(job.number):
                keep.append(job)
            else:
                del jobs[job_id]
        record.finished.clear()
        record.finished_order.clear()
        for job in keep:
            self._linger(record, job)
        for job_id in [i for i, job in jobs.items() if job.state is State.UNDETERMINED]:
            del jobs[job_id]

    def _linger(self, record: SessionRecord, job: Job) -> None:
        """A finished task nobody connected heard the end of, whose array job lives on. To
        the qmaster it is ``done``, however it ended (a task terminated, ``failed`` before
        the exit, shows ``done`` after the reconnect); wait() on it, or wait(ANY), which
        hands it out, raises code 24 (no usage) and forgets it (sge_array_probe,
        sge_reconnect_tasks_probe, and the conformance case's runs on the real cell). It
        goes once its array job has ended."""
        job.outcome = None
        job.state = State.DONE
        record.add_finished(job)
        lingering = self._lingering.setdefault(job.number, [])
        if (record, job) not in lingering:
            lingering.append((record, job))

    def _new_session(self, pid: int) -> SessionRecord:
        """The session a contact-less initialize() gets.

        Grid Engine names it ``host.pid.rand_r(seed=current second)`` (measured): two
        initialize() calls of one process within the same second get the same name, so
        the second one rejoins the first one's session, jobs and all.
        """
        number = random.Random(int(self.clock.now())).randrange(10**8, 2**31)
        contact = f"session={self.host}.{pid}.{number}"
        record = self._sessions.get(contact)
        if record is None:
            record = self._sessions[contact] = SessionRecord(contact)
        return record

    # -- submission --------------------------------------------------------------------
    def submit(
        self, conn: Connection, spec: JobSpec, tasks: Sequence[int] | None = None
    ) -> list[str]:
        """Queue one job (``tasks`` None) or one bulk job with the given task indices."""
        with self._lock:
            record = self._record(conn)
            check_may_submit(self.owner, self.min_uid, self.min_gid)
            number = next(self._numbers)
            now = self.clock.now()
            check_job_name(spec)  # after the number is taken: a refusal uses one up
            if tasks is not None and len(tasks) > MAX_ARRAY_TASKS:
                raise DrmError(
                    ErrorCode.DENIED_BY_DRM,
                    "job rejected: you tried to submit a job with more than "
                    f"{MAX_ARRAY_TASKS} tasks",
                )
            if spec.pe is not None or spec.impossible is not None or spec.validation != "e":
                spec = self._check_request(spec, number)
            jobs = (
                [Job(number, None, record.contact, spec, now)]
                if tasks is None
                else [Job(number, task, record.contact, spec, now) for task in tasks]
            )
            session_jobs, live = record.jobs, self._live
            if spec.validation == "v":
                # Verified only: libdrmaa hands out an id, but no job was made. The id
                # stays in the session, 'undetermined', until it is left (measured).
                for job in jobs:
                    job.state = State.UNDETERMINED
                    job.user_hold = job.system_hold = job.start_pending = False
                    session_jobs[job.id] = job
                return [job.id for job in jobs]
            for job in jobs:
                session_jobs[job.id] = live[job.id] = job
            self._live_count[number] = len(jobs)
            if tasks is not None:
                self._live_arrays[number] = jobs
            if spec.hold_jid:
                self._hold_for(jobs, spec.hold_jid)
            if spec.start_at is not None:
                when = max(spec.start_at, now)
                self.executor.call_at(when, lambda: self._start_time_reached(jobs))
            elif not jobs[0].held:
                self._enqueue(jobs)
            return [job.id for job in jobs]

    def _check_request(self, spec: JobSpec, number: int) -> JobSpec:
        """The qmaster's verdict on what a job asks for (-pe, impossible requests, -w).

        Default (``-w e``): a request no queue can ever meet is refused; ``-w w`` and ``-w
        n`` accept such a job, which then never runs; ``-w v`` only verifies.
        """
        impossible = spec.impossible
        if spec.pe is not None:
            names = sorted(self.parallel_environments)
            pe = next((name for name in names if fnmatch.fnmatchcase(name, spec.pe)), None)
            if pe is None:
                raise DrmError(
                    ErrorCode.DENIED_BY_DRM,
                    f'job rejected: the requested parallel environment "{spec.pe}" does not exist',
                )
            assert spec.pe_range is not None
            if spec.pe_range[0] > min(self.slots, self.parallel_environments[pe]):
                impossible = impossible or f"-pe {spec.pe}"
            spec = dataclasses.replace(spec, pe=pe)
        if impossible is None:
            return spec
        if spec.validation == "v":
            raise DrmError(
                ErrorCode.DENIED_BY_DRM,
                f'Job {number} ({impossible}) cannot run at host "{self.host}" because it '
                f"offers only hl:arch={ARCH}\nverification: no suitable queues"
                if impossible.startswith("-l arch=")
                else "verification: no suitable queues",
            )
        if spec.validation in ("n", "w"):
            return dataclasses.replace(spec, unschedulable=True)
        raise DrmError(ErrorCode.DENIED_BY_DRM, "error: no suitable queues")

    def _hold_for(self, jobs: list[Job], wanted: Sequence[str]) -> None:
        """-hold_jid: hold the jobs until every live job named (by number or by job name)
        has ended; names and numbers of no live job are ignored (measured)."""
        numbers: set[int] = set()
        names: set[str] = set()
        for item in wanted:
            if item.isdigit():
                if int(item) in self._live_count:
                    numbers.add(int(item))
            else:
                names.add(item)
        if names:
            for job in self._live.values():
                if job_name(job.spec) in names:
                    numbers.add(job.number)
        numbers.discard(jobs[0].number)
        if not numbers:
            return
        for number in numbers:
            self._dependents.setdefault(number, []).extend(jobs)
        for job in jobs:
            job.predecessors = set(numbers)
            job.system_hold = True

    def _start_time_reached(self, jobs: list[Job]) -> None:
        with self._lock:
            for job in jobs:
                job.start_pending = False
                job.system_hold = bool(job.predecessors)
            self._make_eligible(jobs)

    def _predecessor_ended(self, number: int) -> None:
        """Every task of job ``number`` has ended: release what -hold_jid held for it."""
        ready = []
        for job in self._dependents.pop(number, ()):
            predecessors = job.predecessors
            if predecessors is None or job.state.finished:
                continue
            predecessors.discard(number)
            if not predecessors:
                job.predecessors = None
                job.system_hold = job.start_pending
                ready.append(job)
        if ready:
            self._enqueue(ready)

    def _enqueue(self, jobs: list[Job]) -> None:
        """Put queued jobs in line for a slot, after the dispatch delay."""
        if self.dispatch_delay:
            when = self.clock.now() + self.dispatch_delay
            self.executor.call_at(when, lambda: self._make_eligible(jobs))
        else:
            self._make_eligible(jobs)

    def _make_eligible(self, jobs: list[Job]) -> None:
        with self._lock:
            pending, seq = self._pending, self._seq
            for job in jobs:
                if job.state is State.QUEUED_ACTIVE and not job.held:
                    heapq.heappush(pending, (job.number, job.task or 0, next(seq), job))
            self._schedule()
            if jobs and jobs[0].spec.immediate:
                # -now y: a job the scheduler cannot start at once is gone, as one that
                # never ran (sge_native_options_probe: failed, wait raises code 24).
                for job in jobs:
                    if job.state is State.QUEUED_ACTIVE and not job.held:
                        self._job_ended(job, Outcome.aborted_job())

    # -- status and control ------------------------------------------------------------
    def status(self, conn: Connection, job_id: str) -> State:
        with self._lock:
            record = self._record(conn)
            job = self._lookup(record, job_id, task_alias=False)
            if job is None:
                job = self._finished_alias(record, job_id)
            if job is None:
                raise DrmError(ErrorCode.INVALID_JOB)
            return job.reported_state()

    def _finished_alias(self, record: SessionRecord, job_id: str) -> Job | None:
        """What jobStatus answers for an id the qmaster does not know: the library then
        looks among the session's finished jobs, where a bare array number names task 1
        and ``N.1`` names plain job N (sge_array_probe, sge_native_options_probe: the
        answer is code 18 while task 1 runs, ``done`` once it has finished, code 18 again
        once it is reaped)."""
        number, task = parse_job_id(job_id)
        alias = f"{number}.1" if task is None else str(number) if task == 1 else None
        if alias is None:
            return None
        job = record.jobs.get(alias)
        return job if job is not None and job.state.finished else None

    def control(self, conn: Connection, job_id: str, action: Action) -> None:
        with self._lock:
            record = self._record(conn)
            if job_id == ALL_JOBS:
                self._apply_all(list(record.jobs.values()), action, skip_finished=False)
                return
            job = self._lookup(record, job_id, task_alias=True)
            if job is None:
                tasks = self._array_tasks(record, job_id)
                if tasks:  # a bare array-job number: every live task of it
                    self._apply_all(tasks, action, skip_finished=True, as_array=True)
                    return
                number, task = parse_job_id(job_id)
                if task is not None and self._live_count.get(number) and action in _FLAG_ACTIONS:
                    return  # no such task, but its array lives: a hold is OK (measured)
            if job is None or job.state.finished or job.state is State.UNDETERMINED:
                number = parse_job_id(job_id)[0]
                raise control_rules.unknown_job_error(number, action)
            self._apply(job, action)

    def _apply_all(
        self, jobs: list[Job], action: Action, skip_finished: bool, as_array: bool = False
    ) -> None:
        """Apply an action to every job it fits, then raise the first failure (measured);
        finished jobs count as failures, except under TERMINATE.

        Nothing is dispatched until every job has had the action: a slot freed by the
        first terminated job must not start a queued one that the same call terminates
        next (Grid Engine's queued jobs never run: sge_terminate_all_probe).
        """
        first: DrmError | None = None
        scheduling, self._scheduling = self._scheduling, True
        try:
            for job in jobs:
                try:
                    if job.state.finished:
                        if skip_finished or action is Action.TERMINATE:
                            continue
                        raise control_rules.unknown_job_error(job.number, action)
                    if job.state is State.UNDETERMINED:  # -w v: no job to act on
                        continue
                    if as_array and action in _PHASE_ACTIONS:  # refused naming the job
                        control_rules.check_suspend_resume(job, action, self.owner.name, True)
                    self._apply(job, action)
                except DrmError as error:
                    first = first or error
        finally:
            self._scheduling = scheduling
            self._schedule()
        if first is not None:
            raise first

    def _array_tasks(self, record: SessionRecord, job_id: str) -> list[Job]:
        """The tasks a bare array number names: live ones on the cell, finished ones still
        in this session. While the array lives its tasks are indexed; once every one has
        finished only the session's can be left, which its own jobs hold."""
        number, task = parse_job_id(job_id)
        if task is not None:
            return []
        known = self._live_arrays.get(number)
        if known is not None:
            return [j for j in known if j.id in self._live or j.id in record.jobs]
        prefix = f"{number}."
        return [j for i, j in record.jobs.items() if i.startswith(prefix)]

    def _apply(self, job: Job, action: Action) -> None:
        if action is Action.TERMINATE:
            self._terminate(job)
        elif action is Action.HOLD:
            job.user_hold = True
        elif action is Action.RELEASE:
            if job.user_hold:
                job.user_hold = False
                if job.state is State.QUEUED_ACTIVE and not job.held:
                    self._enqueue([job])
        else:
            new = control_rules.check_suspend_resume(job, action, self.owner.name)
            job.state = new
            if new is State.USER_SUSPENDED:
                self.executor.suspend(job)
            else:
                self.executor.resume(job)
        self._notify()

    def _terminate(self, job: Job) -> None:
        if job.state in (State.RUNNING, State.USER_SUSPENDED):
            if not job.terminating:
                job.terminating = True
                self.executor.kill(job)
        else:  # never dispatched: it leaves the queue as an aborted job without usage
            self._job_ended(job, Outcome.aborted_job())

    # -- waiting -----------------------------------------------------------------------
    def wait(self, conn: Connection, job_id: str, timeout: float) -> Job:
        """Block until the job (or any job, for ANY_JOB) finishes, then reap and return it."""
        with self._lock:
            record = self._record(conn, outage_ok=True)
            done = record.finished.get(job_id)
            if done is not None:  # the common case: nothing to wait for
                self._reap(record, done)
                return done
            own: Job | None = None  # the one job waited for: this thread may watch it end
            if job_id == ANY_JOB:

                def ready() -> Job | None:
                    self._check_still_open(conn)
                    first = record.first_finished()
                    if first is not None:
                        return first
                    if not record.jobs:
                        raise DrmError(ErrorCode.INVALID_JOB)
                    return None
            else:
                ids = self._own_ids(record, job_id)
                if not ids:
                    raise DrmError(ErrorCode.INVALID_JOB)
                if len(ids) == 1:
                    own = record.jobs[ids[0]]

                def ready() -> Job | None:
                    self._check_still_open(conn)
                    job = record.jobs.get(ids[0])
                    if job is None:  # reaped meanwhile by another thread
                        raise DrmError(ErrorCode.INVALID_JOB)
                    return job if job.state.finished else None

            job = self._block(ready, timeout, own=own)
            self._reap(record, job)
            return job

    def synchronize(
        self, conn: Connection, job_ids: Iterable[str], timeout: float, dispose: bool
    ) -> None:
        """Block until every listed job (or every session job, for ALL_JOBS) has finished."""
        with self._lock:
            record = self._record(conn, outage_ok=True)
            ids = list(job_ids)
            if ALL_JOBS in ids:
                # The jobs still to finish: ones already finished are neither waited for nor
                # disposed of (measured), explicit ids are.
                targets = [i for i, job in record.jobs.items() if not job.state.finished]
            else:
                # Ids the session doesn't know are ignored (measured), unparsable ones refused.
                targets = [t for i in ids for t in self._own_ids(record, i)]
            done = 0  # targets[:done] have finished (or were reaped by another thread)

            def ready() -> bool:
                nonlocal done
                self._check_still_open(conn)
                jobs = record.jobs
                while done < len(targets):
                    job = jobs.get(targets[done])
                    if job is not None and not job.state.finished:
                        return False
                    done += 1
                return True

            self._block(ready, timeout, timeout_message="")
            if dispose:
                for job_id in targets:
                    job = record.jobs.get(job_id)
                    if job is not None:
                        self._reap(record, job)

    def _block(
        self,
        ready: Callable[[], T | None],
        timeout: float,
        timeout_message: str | None = None,
        own: Job | None = None,
    ) -> T:
        """Return ``ready()``'s first truthy value, waiting at most ``timeout`` seconds.

        A negative timeout waits forever. Runs with the lock held, once (from a public
        method). With ``own``, the one job that ``ready()`` waits for, this thread watches
        that job's end itself when the executor lets it, instead of hearing of it from
        another thread: that hand-off is a large part of a short job's cost.
        """
        clock, virtual = self.clock, self._virtual_clock
        deadline = None if timeout < 0 else clock.monotonic() + timeout
        while True:
            if virtual is not None:
                self.executor.fire_due()
            result = ready()
            if result:
                return result
            if virtual is not None:
                due = self.executor.next_event_time()
                if due is not None and (deadline is None or due <= deadline):
                    virtual.set(due)
                    continue
                if deadline is not None:
                    virtual.set(max(deadline, clock.now()))
                    self.executor.fire_due()
                    result = ready()
                    if result:
                        return result
                    raise DrmError(ErrorCode.EXIT_TIMEOUT, timeout_message)
                remaining = None  # only another thread can change anything now
            else:
                remaining = None if deadline is None else deadline - clock.monotonic()
                if remaining is not None and remaining <= 0:
                    raise DrmError(ErrorCode.EXIT_TIMEOUT, timeout_message)
            if own is not None and self.executor.claim_end(own):
                self._await_end(own, remaining)
                continue
            self._waiters += 1
            try:
                self._changed.wait(remaining)
            finally:
                self._waiters -= 1

    def _await_end(self, job: Job, timeout: float | None) -> None:
        """Let the executor block this thread until the claimed job ends (and is reported)
        or until anything else changes, which _notify signals through an eventfd."""
        interrupt = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self._interrupts.append(interrupt)
        try:
            self._lock.release()
            try:
                self.executor.await_end(job, timeout, interrupt)
            finally:
                self._lock.acquire()
        finally:
            self._interrupts.remove(interrupt)
            os.close(interrupt)

    def _reap(self, record: SessionRecord, job: Job) -> None:
        del record.jobs[job.id]
        record.discard_finished(job.id)
        lingering = self._lingering.get(job.number)
        if lingering is not None and (record, job) in lingering:  # a task that lingered on
            lingering.remove((record, job))
        self._notify()

    # -- time --------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward, ending every job due on the way, in order."""
        clock = self._virtual_clock
        if clock is None:
            raise RuntimeError("only a virtual clock can be advanced")
        if seconds < 0:
            raise ValueError("time cannot go back")
        with self._lock:
            target = clock.now() + seconds
            while (due := self.executor.next_event_time()) is not None and due <= target:
                clock.set(due)
                self.executor.fire_due()
            clock.set(target)

    # -- job ends ----------------------------------------------------------------------
    def _job_ended(self, job: Job, outcome: Outcome) -> None:
        """Executor callback: a job finished, or was stopped before it ever started."""
        with self._lock:
            if job.state.finished:
                return
            if not self.reachable:  # the qmaster hears of it when it is back
                self._unheard.append((job, outcome))
                return
            if job.slots:
                self._release_slots(job)
            if job.terminating:
                # Killed by the DRM: aborted, and accounted as SIGKILL.
                outcome.exited, outcome.signal, outcome.aborted = False, signal.SIGKILL, True
            elif outcome.exited and outcome.exit_status == EXIT_REQUEUE:
                self._requeue(job)
                return
            elif outcome.exited and outcome.exit_status == EXIT_FAIL:
                outcome.exited, outcome.aborted = False, True
            job.outcome = outcome
            job.end_time = self.clock.now()
            job.end_seq = next(self._end_seq)
            # A job killed by a signal is DONE on Grid Engine; only aborted ones FAILED.
            job.state = State.FAILED if outcome.aborted else State.DONE
            del self._live[job.id]
            record = self._sessions[job.session]
            count = self._live_count[job.number] - 1
            if record.connected:
                record.add_finished(job)
            elif count and job.task is not None:
                # Nobody is there to hear of it, but its array job lives on: the qmaster
                # still shows the task, without usage (sge_reconnect_tasks_probe).
                self._linger(record, job)
            else:  # nobody is there to hear of it: the job is lost
                del record.jobs[job.id]
            if count:
                self._live_count[job.number] = count
            else:
                self._job_gone(job.number)
            self._notify()
            self._schedule()

    def _job_gone(self, number: int) -> None:
        """Every task of job ``number`` has finished: the qmaster forgets the job."""
        del self._live_count[number]
        self._live_arrays.pop(number, None)
        for record, job in self._lingering.pop(number, ()):
            record.jobs.pop(job.id, None)
            record.discard_finished(job.id)
        if number in self._dependents:
            self._predecessor_ended(number)

    def _release_slots(self, job: Job) -> None:
        self._used -= job.slots
        if job.spec.pe is not None:
            self._pe_used[job.spec.pe] -= job.slots
        job.slots = 0

    def _requeue(self, job: Job) -> None:
        """Exit status 99: Grid Engine puts the job back in the queue to run again."""
        job.state = State.QUEUED_ACTIVE
        job.handle = None
        delay = max(self.dispatch_delay, REQUEUE_DELAY)
        self.executor.call_at(self.clock.now() + delay, lambda: self._make_eligible([job]))
        self._notify()
        self._schedule()

    def _schedule(self) -> None:
        """Start queued jobs in order while slots are free. A job that needs more slots
        than are free (-pe) waits, and the jobs behind it that fit go first (measured:
        a plain job overtook a waiting ``-pe smp 2`` job)."""
        if self._scheduling or self._closed or not self.reachable:
            return
        self._scheduling = True
        waiting = []
        try:
            pending = self._pending
            while self._used < self.slots and pending:
                entry = heapq.heappop(pending)
                job = entry[3]
                if job.state is not State.QUEUED_ACTIVE or job.held or job.spec.unschedulable:
                    continue  # held, terminated or started since it was queued; or hopeless
                if job.spec.pe is None:
                    job.slots = 1
                else:
                    granted = self._pe_slots(job.spec)
                    if not granted:
                        waiting.append(entry)
                        continue
                    job.slots = granted
                    self._pe_used[job.spec.pe] = self._pe_used.get(job.spec.pe, 0) + granted
                self._used += job.slots
                job.state = State.RUNNING
                job.ran = True
                job.start_time = self.clock.now()
                self.executor.start(job)
        finally:
            for entry in waiting:
                heapq.heappush(self._pending, entry)
            self._scheduling = False

    def _pe_slots(self, spec: JobSpec) -> int:
        """The slots a -pe job gets now: as many as its range allows and are free (Grid
        Engine gave ``-pe smp 1-4`` all 4 of an idle cell), or 0 if too few are free."""
        assert spec.pe is not None and spec.pe_range is not None
        pe_free = self.parallel_environments[spec.pe] - self._pe_used.get(spec.pe, 0)
        free = min(self.slots - self._used, pe_free)
        low, high = spec.pe_range
        return min(high, free) if free >= low else 0

    # -- helpers -----------------------------------------------------------------------
    def _lookup(self, record: SessionRecord, job_id: str, task_alias: bool) -> Job | None:
        """The job an id names: the session's own, else any live job on the cluster.

        With ``task_alias``, ``N.1`` also names plain job N (wait and control accept that,
        jobStatus does not: measured).
        """
        job = record.jobs.get(job_id) or self._live.get(job_id)
        if job is not None:
            return job
        number, task = parse_job_id(job_id)
        key = canonical(number, task)
        job = record.jobs.get(key) or self._live.get(key)
        if job is None and task_alias and task == 1:
            job = record.jobs.get(str(number)) or self._live.get(str(number))
        return job

    def _own_ids(self, record: SessionRecord, job_id: str) -> list[str]:
        """The session's job ids ``job_id`` names: itself, or every task of an array job."""
        if job_id in record.jobs:
            return [job_id]
        if job_id in (ANY_JOB, ALL_JOBS):
            raise DrmError(ErrorCode.INVALID_ARGUMENT, f'Job id, "{job_id}", is not a valid job id')
        number, task = parse_job_id(job_id)
        key = canonical(number, task)
        if key in record.jobs:
            return [key]
        if task == 1 and str(number) in record.jobs:
            return [str(number)]
        if task is None:  # a bare array number names task 1 (sge_array_probe)
            first = f"{number}.1"
            return [first] if first in record.jobs else []
        return []

    def _notify(self) -> None:
        if self._waiters:
            self._changed.notify_all()
        for interrupt in self._interrupts:
            os.eventfd_write(interrupt, 1)

    def _check_open(self, outage_ok: bool = False) -> None:
        """Raise unless the cluster answers; ``outage_ok`` lets a qmaster outage pass."""
        if self._closed:
            raise DrmError(
                ErrorCode.DRM_COMMUNICATION_FAILURE, "the simulated cluster is shut down"
            )
        if not self.reachable and not outage_ok:
            raise DrmError(
                ErrorCode.DRM_COMMUNICATION_FAILURE,
                f'unable to contact qmaster using port {QMASTER_PORT} on host "{self.host}"',
            )

    def _record(self, conn: Connection, outage_ok: bool = False) -> SessionRecord:
        """The connection's session; ``outage_ok`` for calls that answer from what the
        session already knows (wait, synchronize) instead of asking the qmaster."""
        # A connection to another cluster (one that control.reset() replaced while a thread
        # still held it) is no session here: it must not land its jobs on this one.
        if not conn.open or conn.cluster is not self:
            raise DrmError(ErrorCode.NO_ACTIVE_SESSION)
        self._check_open(outage_ok)
        self._catch_up()
        return conn.record

    def _catch_up(self) -> None:
        """On the virtual clock, end the jobs due by now before answering anything, so
        that every call sees the cell as it is at the current time."""
        if self._virtual_clock is not None:
            self.executor.fire_due()

    @staticmethod
    def _check_still_open(conn: Connection) -> None:
        # exit() from another thread: Grid Engine's blocked wait/synchronize then return
        # at once with a time-out (measured).
        if not conn.open:
            raise DrmError(ErrorCode.EXIT_TIMEOUT, "time-out condition")

    def shutdown(self) -> None:
        """Stop the cell: kill and reap every running job; later calls fail."""
        with self._lock:
            self._closed = True
            for conn in self._connections:
                conn.open = False
            self._connections.clear()
            self._notify()
        self.executor.shutdown()
