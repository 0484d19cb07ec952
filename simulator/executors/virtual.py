"""Jobs on the virtual clock: no process, just an end event at a modelled time."""

from __future__ import annotations

import heapq
import itertools
import math
import signal
from collections.abc import Callable

from simulator.executors.jobmodel import Behaviour, JobModel, default_job_model
from simulator.model.clock import VirtualClock
from simulator.model.jobs import Job, Outcome, dumps_core


class _Run:
    """A modelled job while it holds a slot: when it ends, or how much is left if suspended."""

    __slots__ = ("behaviour", "end", "remaining")

    def __init__(self, behaviour: Behaviour, end: float) -> None:
        self.behaviour = behaviour
        self.end: float | None = end
        self.remaining = 0.0


class VirtualExecutor:
    """Keeps a heap of end events; the cluster fires them as it moves the clock."""

    def __init__(
        self,
        clock: VirtualClock,
        on_end: Callable[[Job, Outcome], None],
        job_model: JobModel | None = None,
    ) -> None:
        self.clock = clock
        self._on_end = on_end
        self._model = job_model or default_job_model
        # The default model depends on the spec alone, and a bulk job's tasks share one
        # spec: remember the last answer.
        self._memo: tuple[object, Behaviour] | None = None
        # (when, seq, job, callback): a job's end, or (job None) a timer callback.
        self._events: list[tuple[float, int, Job | None, Callable[[], None] | None]] = []
        self._seq = itertools.count()

    def start(self, job: Job) -> None:
        behaviour = self._behaviour(job)
        limit = job.spec.hard_runtime
        if limit is not None and behaviour.duration > limit:
            behaviour = Behaviour(limit, 0, signal.SIGKILL)
        run = _Run(behaviour, self.clock.now() + max(0.0, behaviour.duration))
        job.handle = run
        self._schedule_end(job, run)

    @staticmethod
    def _run(job: Job) -> _Run | None:
        """The job's modelled run (its ``handle``), None once it has ended."""
        return job.handle  # type: ignore[return-value]  # only ever a _Run here

    def _schedule_end(self, job: Job, run: _Run) -> None:
        """Queue the job's end; a job that never ends (``sleep inf``) gets no event: the
        clock must never be moved to infinity."""
        if run.end is not None and math.isfinite(run.end):
            heapq.heappush(self._events, (run.end, next(self._seq), job, None))

    def _behaviour(self, job: Job) -> Behaviour:
        if self._model is not default_job_model:
            return self._model(job.spec, job.task)
        memo = self._memo
        if memo is not None and memo[0] is job.spec:
            return memo[1]
        behaviour = default_job_model(job.spec)
        self._memo = (job.spec, behaviour)
        return behaviour

    def suspend(self, job: Job) -> None:
        run = self._run(job)
        assert run is not None and run.end is not None, "only a running job is suspended"
        run.remaining = max(0.0, run.end - self.clock.now())
        run.end = None  # its queued event is now stale

    def resume(self, job: Job) -> None:
        run = self._run(job)
        assert run is not None, "only a suspended job is resumed"
        run.end = self.clock.now() + run.remaining
        self._schedule_end(job, run)

    def kill(self, job: Job) -> None:
        run = self._run(job)
        job.handle = None
        if run is not None:
            run.end = None
        self._on_end(job, Outcome(exited=False, signal=signal.SIGKILL))

    def claim_end(self, job: Job) -> bool:
        """A modelled job has no process to watch: its end comes from :meth:`fire_due`."""
        return False

    def await_end(self, job: Job, timeout: float | None, interrupt: int) -> None:
        raise RuntimeError("no virtual job can be claimed")

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the virtual clock reaches ``when``."""
        heapq.heappush(self._events, (when, next(self._seq), None, callback))

    def shutdown(self) -> None:
        self._events.clear()

    def next_event_time(self) -> float | None:
        """When the earliest live end event is due, or None if no job will ever end."""
        events = self._events
        while events:
            when, _, job, callback = events[0]
            if callback is not None:
                return when
            assert job is not None  # an event holds a job or a callback
            run = self._run(job)
            if run is not None and run.end == when:
                return when
            heapq.heappop(events)  # stale: the job was suspended, resumed or killed
        return None

    def fire_due(self) -> None:
        """End every job whose event is due at the clock's current time."""
        now = self.clock.now()
        events = self._events
        while events and events[0][0] <= now:
            when, _, job, callback = heapq.heappop(events)
            if callback is not None:
                callback()
                continue
            assert job is not None  # an event holds a job or a callback
            run = self._run(job)
            if run is None or run.end != when:
                continue
            job.handle = None
            b = run.behaviour
            if b.signal:
                self._on_end(job, Outcome(False, 0, b.signal, dumps_core(b.signal)))
            else:
                self._on_end(job, Outcome(True, b.exit_status))
