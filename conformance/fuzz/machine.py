"""The lifecycle state machine: random call sequences, each outcome judged by the model.

:func:`make_machine` builds a ``RuleBasedStateMachine`` class for one backend, or for two
(differential mode): every step then runs on both, each judged by its own reference model
(timing differs between a simulator and a real cell, so each learns from what it saw), and
any outcome a model rejects fails the run with both sides shown. The failure message holds
the program as a plain ``import drmaa`` script (see :mod:`.script`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from conformance.fuzz.reference import OK, Expect, Reference, RefJob
from conformance.fuzz.script import Script

# Commands every backend understands (the simulator's virtual job model included). A short
# job lasts a second, so that it can end while its session is disconnected (and be lost).
LONG_JOB = ("/bin/sleep", "100000")


def short_job(exit_status: int) -> tuple[str, ...]:
    return ("/bin/sh", "-c", f"sleep 1; exit {exit_status}")


EXIT_CODES = st.sampled_from([0, 1, 3, 42, 255])  # a few, across the byte's range
KINDS = st.sampled_from(["short", "long", "held"])


@dataclass
class Side:
    """One backend under test, with its own reference model."""

    label: str
    backend: Any  # conformance.backends.Backend
    model: Reference = field(default_factory=Reference)

    @property
    def drmaa(self) -> Any:
        return self.backend.module


@dataclass
class Ref:
    """A job id or contact as the program names it (``j3``), with each side's value."""

    name: str
    values: dict[str, str]

    def __repr__(self) -> str:
        return self.name


class FuzzFailure(AssertionError):
    """A backend answered what the reference model says Grid Engine never answers."""


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return OK, call()
    except FuzzFailure:
        raise
    except Exception as error:
        return type(error).__name__, error


def make_machine(
    backend: Any,
    peer: Any = None,
    settle: float | None = None,
    patience: float | None = None,
    poll_deadline: float = 30.0,
    slots: int = 4,
) -> type[RuleBasedStateMachine]:
    """A state machine class driving ``backend`` (and ``peer``, for differential mode).

    ``settle`` is how long to let pass before reconnecting, so that every job that ends by
    itself has ended (default: 10 s of virtual time, 3 s on a real-clock simulator, 15 s
    on anything else: a short job runs 1 s, Grid Engine takes about 1 s to dispatch and
    another to notice an end, and a terminate can take 11 s to act; the differential run
    against a real cell found that one). ``patience`` is the timeout of a wait for a job
    that will end (default 10 s on a simulator, 120 s elsewhere); a wait that uses it all
    up although the job ended is a failure too (a lost wake-up). ``slots`` is the
    smallest cell the machine may meet (the project's Grid Engine cell has 4): long jobs
    never fill it, so that a job that ends by itself always finds a slot to end in.
    """
    sides_spec = [("primary", backend)] + ([("peer", peer)] if peer is not None else [])

    def default_settle(b: Any) -> float:
        if b.virtual:
            return 10.0
        return 3.0 if b.is_simulator else 15.0

    settle_for = {label: settle if settle is not None else default_settle(b)
                  for label, b in sides_spec}  # fmt: skip
    patience_for = {label: patience if patience is not None else (10 if b.is_simulator else 120)
                    for label, b in sides_spec}  # fmt: skip

    class LifecycleMachine(RuleBasedStateMachine):
        jobs = Bundle("jobs")
        contacts = Bundle("contacts")

        def __init__(self) -> None:
            super().__init__()
            self.sides = [Side(label, b) for label, b in sides_spec]
            self.script = Script()
            self.counter = 0
            self.names: dict[str, str] = {}  # primary job id -> its name in the script
            self.last_exit: dict[str, int] = {}  # wall-clock second of each side's exit()
            for side in self.sides:
                side.backend.reset()

        # -- plumbing ---------------------------------------------------------------------
        def _name(self, prefix: str) -> str:
            self.counter += 1
            return f"{prefix}{self.counter}"

        steps = 0  # rules run, by every instance: for the speed benchmark

        def _run(
            self,
            code: str,
            expect: Callable[[Side], Expect],
            call: Callable[[Side], Any],
            learn: Callable[[Side, str, Any], None] | None = None,
            target: str | None = None,
        ) -> dict[str, tuple[str, Any]]:
            """Run one step on every side, judge it, learn from it, record it."""
            type(self).steps += 1
            results: dict[str, tuple[str, Any]] = {}
            complaints = []
            expected_text = ""
            for side in self.sides:
                expected = expect(side)
                expected_text = " or ".join(sorted(expected.outcomes))
                outcome, value = _outcome(functools.partial(call, side))
                results[side.label] = (outcome, value)
                complaint = expected.judge(outcome, value)
                if complaint:
                    shown = value if outcome == OK else f"{outcome}: {value}"
                    where = f"[{side.label}: {side.backend.name}]"
                    complaints.append(f"{where} {complaint} ({shown!r})")
                elif learn is not None:
                    learn(side, outcome, value)
            self.script.step(code, expected_text, target)
            if complaints:
                failure = "; ".join(complaints)
                raise FuzzFailure(
                    f"{failure}\n\n--- the program, as a script ---\n{self.script.text(failure)}"
                )
            return results

        def _blocking(self, side: Side, timeout: int, what: str, call: Callable[[], Any]) -> Any:
            """A wait/synchronize for jobs that end by themselves: using up (nearly) all of
            its timeout on a real clock means nobody woke it when they ended."""
            start = time.monotonic()
            try:
                return call()
            finally:
                took = time.monotonic() - start
                if timeout > 1 and not side.backend.virtual and took >= 0.9 * timeout:
                    raise FuzzFailure(
                        f"[{side.label}] {what} took {took:.1f} s for jobs that end by "
                        f"themselves: a lost wake-up?\n\n"
                        f"{self.script.text(what + ' used up its whole timeout')}"
                    )

        def _pass_time(self, seconds: float) -> None:
            for side in self.sides:
                side.backend.sleep(seconds)
            self.script.raw(f"pass_time({seconds})")

        def teardown(self) -> None:
            for side in self.sides:
                s = side.drmaa.Session
                try:
                    s.exit()
                except Exception:
                    pass
                # Leave nothing running on a real cell: join every session we made, kill.
                for contact in list(side.model.sessions):
                    try:
                        s.initialize(contact)
                        s.control(s.JOB_IDS_SESSION_ALL, "terminate")
                        s.exit()
                    except Exception:
                        pass
                side.backend.reset()

        # -- sessions -----------------------------------------------------------------------
        @initialize(target=contacts)
        def start(self) -> Any:
            return self.initialize_new()

        @rule(target=contacts)
        def initialize_new(self) -> Any:
            name = self._name("c")
            # Grid Engine names a new session after the current second, so initialize()
            # within the second of an exit() rejoins that session (the model knows: it
            # joins when the contact is one it has seen). On a real clock jobs left by that
            # exit() may still be ending then, which the model cannot predict: wait for the
            # next second there.
            if any(self._exited_this_second(side) for side in self.sides):
                self._pass_time(1)

            def learn(side: Side, outcome: str, value: Any) -> None:
                if outcome == OK:
                    contact = side.drmaa.Session.contact
                    side.model.initialized(contact, joined=contact in side.model.sessions)

            results = self._run(
                "s.initialize()",
                lambda side: side.model.expect_initialize(),
                lambda side: side.drmaa.Session.initialize(),
                learn,
            )
            if any(outcome != OK for outcome, _ in results.values()):
                return multiple()
            values = {side.label: side.model.contact() for side in self.sides}
            self.script.raw(f"{name} = s.contact")
            return Ref(name, values)

        @rule(contact=contacts)
        def reconnect(self, contact: Ref) -> None:
            for side in self.sides:  # long enough for every job that ends by itself to end
                side.backend.sleep(settle_for[side.label])
                side.model.settled()
            self.script.raw(f"pass_time({max(settle_for.values())})")

            def learn(side: Side, outcome: str, value: Any) -> None:
                if outcome == OK:
                    side.model.initialized(contact.values[side.label], joined=True)

            self._run(
                f"s.initialize({contact.name})",
                lambda side: side.model.expect_initialize(),
                lambda side: side.drmaa.Session.initialize(contact.values[side.label]),
                learn,
            )

        def _exited_this_second(self, side: Side) -> bool:
            last = self.last_exit.get(side.label)
            return not side.backend.virtual and last is not None and int(time.time()) == last

        @rule()
        def exit(self) -> None:
            for side in self.sides:
                self.last_exit[side.label] = int(time.time())
            self._run(
                "s.exit()",
                lambda side: side.model.expect_exit(),
                lambda side: side.drmaa.Session.exit(),
                lambda side, outcome, value: side.model.exited() if outcome == OK else None,
            )

        @invariant()
        def contact_matches(self) -> None:
            for side in self.sides:
                actual = side.drmaa.Session.contact
                if actual != side.model.contact():
                    raise FuzzFailure(
                        f"[{side.label}] contact is {actual!r}, expected "
                        f"{side.model.contact()!r}\n\n{self.script.text('contact')}"
                    )

        # -- submission ---------------------------------------------------------------------
        def _slots_taken(self) -> int:
            """Jobs that hold a slot until terminated, or may once released."""
            registry = self.sides[0].model.registry.values()
            return sum(1 for j in registry if j.kind != "short" and not j.terminated and not j.gone)

        def _submit(self, kind: str, exit_status: int, bulk: tuple[int, int] | None) -> Any:
            count = 1 if bulk is None else len(range(1, bulk[0] + 1, bulk[1]))
            if kind != "short" and self._slots_taken() + count >= slots:
                return multiple()  # keep a slot free for the jobs that end by themselves
            command = short_job(exit_status) if kind == "short" else LONG_JOB
            hold = kind == "held"
            args = ", ".join(repr(part) for part in command) + (", hold=True" if hold else "")
            if bulk is None:
                code = f"[s.runJob(template({args}))]"
            else:
                code = f"s.runBulkJobs(template({args}), 1, {bulk[0]}, {bulk[1]})"

            def call(side: Side) -> Any:
                s = side.drmaa.Session
                jt = s.createJobTemplate()
                jt.remoteCommand = command[0]
                jt.args = list(command[1:])
                jt.outputPath = ":/dev/null"
                jt.joinFiles = True
                if hold:
                    jt.jobSubmissionState = side.drmaa.JobSubmissionState.HOLD_STATE
                if bulk is None:
                    return [s.runJob(jt)]
                return s.runBulkJobs(jt, 1, bulk[0], bulk[1])

            def learn(side: Side, outcome: str, ids: Any) -> None:
                if outcome == OK:
                    for job_id in ids:
                        side.model.submitted(RefJob(job_id, kind, exit_status))

            name = self._name("j")
            tasks = None if bulk is None else range(1, bulk[0] + 1, bulk[1])
            results = self._run(
                code, lambda side: side.model.expect_submit(tasks), call, learn, target=name
            )
            if any(outcome != OK for outcome, _ in results.values()):
                return multiple()
            per_side = {label: value for label, (_, value) in results.items()}
            count = len(per_side["primary"])
            if bulk is None:
                self.script.raw(f"{name} = {name}[0] if {name} else None")
                self.names[per_side["primary"][0]] = name
                return Ref(name, {label: ids[0] for label, ids in per_side.items()})
            refs = []
            for i in range(count):
                self.script.raw(f"{name}_{i} = {name}[{i}] if {name} else None")
                self.names[per_side["primary"][i]] = f"{name}_{i}"
                refs.append(Ref(f"{name}_{i}", {label: ids[i] for label, ids in per_side.items()}))
            return multiple(*refs)

        @rule(target=jobs, kind=KINDS, code=EXIT_CODES)
        def submit(self, kind: str, code: int) -> Any:
            return self._submit(kind, code, None)

        @rule(
            target=jobs,
            kind=KINDS,
            tasks=st.integers(1, 4),
            step=st.integers(1, 2),
            code=EXIT_CODES,
        )
        def submit_bulk(self, kind: str, tasks: int, step: int, code: int) -> Any:
            return self._submit(kind, code, (tasks, step))

        # -- status and control -------------------------------------------------------------
        @rule(job=jobs)
        def status(self, job: Ref) -> None:
            self._run(
                f"s.jobStatus({job.name})",
                lambda side: side.model.expect_status(job.values[side.label]),
                lambda side: side.drmaa.Session.jobStatus(job.values[side.label]),
                lambda side, outcome, value: side.model.status_seen(job.values[side.label], value),
            )

        def _control(self, job: Ref, action: str) -> None:
            ref = self.sides[0].model.registry.get(job.values["primary"])
            if ref is not None and ref.kind == "short" and action != "terminate":
                # Holding or suspending a job that may be running or done already leaves the
                # model unable to say whether it will end: only terminate short jobs.
                return
            results = self._run(
                f"s.control({job.name}, {action!r})",
                lambda side: side.model.expect_control(job.values[side.label], action),
                lambda side: side.drmaa.Session.control(job.values[side.label], action),
                lambda side, outcome, value: side.model.controlled(
                    job.values[side.label], action, outcome
                ),
            )
            if all(outcome == OK for outcome, _ in results.values()):
                self.status(job)  # an accepted action must show (a silent no-op is a bug)

        # One rule per action, so that control gets its share of the steps.
        @rule(job=jobs)
        def hold(self, job: Ref) -> None:
            self._control(job, "hold")

        @rule(job=jobs)
        def release(self, job: Ref) -> None:
            self._control(job, "release")

        @rule(job=jobs)
        def suspend(self, job: Ref) -> None:
            self._control(job, "suspend")

        @rule(job=jobs)
        def resume(self, job: Ref) -> None:
            self._control(job, "resume")

        @rule(job=jobs)
        def terminate(self, job: Ref) -> None:
            self._control(job, "terminate")

        @rule(job=jobs)
        def await_running(self, job: Ref) -> None:
            """Poll until a long, released, live job runs (Grid Engine dispatches late)."""
            for side in self.sides:
                ref = side.model.job(job.values[side.label])
                if ref is None or ref.kind == "short" or ref.held or ref.terminated:
                    continue
                if ref.phase != "pending" or ref.ran is False:
                    continue
                deadline = time.monotonic() + poll_deadline
                while True:
                    state = side.drmaa.Session.jobStatus(job.values[side.label])
                    if state == "running":
                        side.model.status_seen(job.values[side.label], state)
                        break
                    if state != "queued_active" or time.monotonic() > deadline:
                        raise FuzzFailure(
                            f"[{side.label}] job {job.name} never ran: {state!r}\n\n"
                            f"{self.script.text('await_running')}"
                        )
                    side.backend.sleep(0.2)
            self.script.raw(f"# (polled jobStatus({job.name}) until it was 'running')")

        # -- waiting ------------------------------------------------------------------------
        @rule(job=jobs, patient=st.booleans())
        def wait(self, job: Ref, patient: bool) -> None:
            timeouts: dict[str, int] = {}
            for side in self.sides:
                ref = side.model.job(job.values[side.label])
                ends = ref is not None and (ref.finished or ref.ends_by_itself or ref.terminated)
                # Waiting long only for what will end: never block a run on a live job.
                long_wait = int(patience_for[side.label])
                timeouts[side.label] = long_wait if patient and ends else (1 if patient else 0)

            def call(side: Side) -> Any:
                timeout = timeouts[side.label]
                return self._blocking(
                    side,
                    timeout,
                    f"wait({job.name}, {timeout})",
                    lambda: side.drmaa.Session.wait(job.values[side.label], timeout),
                )

            self._run(
                f"s.wait({job.name}, {timeouts['primary']})",
                lambda side: side.model.expect_wait(job.values[side.label], timeouts[side.label]),
                call,
                lambda side, outcome, value: side.model.waited(job.values[side.label], outcome),
            )

        @precondition(
            lambda self: all(len(side.model.no_usage_candidates()) <= 1 for side in self.sides)
        )
        @rule()
        def wait_any(self) -> None:
            self._run(
                "s.wait(s.JOB_IDS_SESSION_ANY, 0)",
                lambda side: side.model.expect_wait_any(),
                lambda side: side.drmaa.Session.wait(side.drmaa.Session.JOB_IDS_SESSION_ANY, 0),
                lambda side, outcome, value: side.model.waited_any(
                    outcome, value.jobId if outcome == OK else None
                ),
            )

        @rule(dispose=st.booleans())
        def settle(self, dispose: bool) -> None:
            """synchronize() every job that ends by itself or was terminated."""
            ids = {side.label: side.model.ending_jobs() for side in self.sides}
            names = ", ".join(self.names.get(i, repr(i)) for i in ids["primary"])
            limit = {label: int(p) for label, p in patience_for.items()}

            def call(side: Side) -> Any:
                return self._blocking(
                    side,
                    limit[side.label],
                    "synchronize",
                    lambda: side.drmaa.Session.synchronize(
                        ids[side.label], limit[side.label], dispose
                    ),
                )

            self._run(
                f"s.synchronize([{names}], {limit['primary']}, {dispose})",
                lambda side: side.model.expect_synchronize_ending(),
                call,
                lambda side, outcome, value: (
                    side.model.synchronized(ids[side.label], dispose) if outcome == OK else None
                ),
            )

        @rule(seconds=st.sampled_from([1, 5]))
        def let_time_pass(self, seconds: int) -> None:
            self._pass_time(seconds)

    LifecycleMachine.__name__ = f"LifecycleMachine[{'+'.join(b.name for _, b in sides_spec)}]"
    return LifecycleMachine
