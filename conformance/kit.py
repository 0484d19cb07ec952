"""What the cases share: metadata markers and a small job toolkit.

Cases import from here, never from a backend: everything they do goes through the module
under test (the ``drmaa`` fixture) and the time passer of the backend.

Metadata
--------
``@case(spec, official=(), ge=None)``
    the ``drmaa_case`` marker the report reads: the spec element a case checks (DRMAA 1.0,
    OGF GFD.130 IDL names such as ``GFD.130 Session.wait``, or the Python binding GFD.143),
    the Grid Engine ``test_drmaa`` cases it covers, and the measured Grid Engine fact it
    relies on.
``@ge_choice(reason)``
    the spec leaves this behaviour to the implementation; the case checks Grid Engine's
    choice (measured on SGE 8.1.9). ``--drmaa-spec-only`` reports such cases
    not-applicable.
``@real_jobs(reason)``
    the case needs jobs that are real processes (files, environment, stdin); reported
    not-applicable on ``sim-virtual``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

import pytest
from _pytest.outcomes import Skipped  # pytest.skip.Exception, by a name mypy can see

from conformance.qmaster_switch import ENV as SWITCH_ENV

#: Commands used by the cases: all understood by the simulator's virtual job model.
SLEEP = "/bin/sleep"
SH = "/bin/sh"

#: Grid Engine 8.1.9's mandatory scalar attribute names (GFD.130 JobTemplate, mandatory).
MANDATORY_SCALAR_ATTRIBUTES = (
    "drmaa_remote_command",
    "drmaa_js_state",
    "drmaa_wd",
    "drmaa_job_category",
    "drmaa_native_specification",
    "drmaa_block_email",
    "drmaa_start_time",
    "drmaa_job_name",
    "drmaa_input_path",
    "drmaa_output_path",
    "drmaa_error_path",
    "drmaa_join_files",
)


def case(spec: str | Iterable[str], official: Iterable[str] = (), ge: str | None = None):
    """Mark a function as a conformance case with what it cites (read by the report)."""
    specs = (spec,) if isinstance(spec, str) else tuple(spec)
    return pytest.mark.drmaa_case(spec=specs, official=tuple(official), ge=ge)


def ge_choice(reason: str):
    """The spec leaves this to the implementation; the case checks Grid Engine's choice."""
    return pytest.mark.ge_specific(reason=reason)


def real_jobs(reason: str):
    """The case needs jobs that are real processes."""
    return pytest.mark.real_jobs(reason=reason)


class NotApplicable(Skipped):
    """The case cannot run on this backend: reported as ``n/a``, never as a pass or a skip."""


def not_applicable(reason: str) -> NoReturn:
    """End the case as not applicable (a modelled backend, a Grid Engine choice under
    ``--drmaa-spec-only``, no qmaster switch): the summary counts it as ``n/a``."""
    raise NotApplicable(f"not applicable: {reason}")


def expect_raises(exc_type: type[BaseException], call: Callable[[], Any], code: int | None = None):
    """Call ``call``; it must raise exactly ``exc_type`` (not a subclass or base).

    With ``code``, the message must start as drmaa-python formats it: ``code N:``.
    """
    try:
        result = call()
    except BaseException as exc:
        if type(exc) is not exc_type:
            raise AssertionError(
                f"expected {exc_type.__module__}.{exc_type.__name__}, got "
                f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
            ) from exc
        if code is not None:
            assert str(exc).startswith(f"code {code}:"), (
                f"{type(exc).__name__} message should start with 'code {code}:', got {str(exc)!r}"
            )
        return exc
    raise AssertionError(f"expected {exc_type.__name__}, but the call returned {result!r}")


class Kit:
    """Job helpers bound to the module under test and the backend's clock.

    All waits are bounded by ``deadline`` seconds of backend time (virtual time on
    ``sim-virtual``), so a broken implementation fails a case instead of hanging it.
    """

    def __init__(self, module: Any, backend: Any, deadline: float, contacts: list[str]):
        self.drmaa = module
        self.backend = backend
        self.deadline = deadline
        self._contacts = contacts
        #: seconds a "long" job sleeps: long enough to be controlled, terminated in cleanup
        self.long = 60

    # ------------------------------------------------------------------ session
    @property
    def S(self):
        return self.drmaa.Session

    def init(self, contact: str | None = None) -> str:
        """``Session.initialize(contact)``; remembers the contact for the cleanup."""
        if contact is None:
            self.S.initialize()
        else:
            self.S.initialize(contact)
        current = self.S.contact
        if current and current not in self._contacts:
            self._contacts.append(current)
        return current

    def exit(self) -> None:
        self.S.exit()

    # ------------------------------------------------------------------ templates
    def template(self, command: str = SLEEP, args: Iterable[str] = ("1",), **attrs: Any):
        """A job template with output to /dev/null (joined) unless ``attrs`` say otherwise."""
        jt = self.S.createJobTemplate()
        jt.remoteCommand = command
        jt.args = list(args)
        if "outputPath" not in attrs:
            jt.outputPath = ":/dev/null"
        if "joinFiles" not in attrs and "errorPath" not in attrs:
            jt.joinFiles = True
        for name, value in attrs.items():
            setattr(jt, name, value)
        return jt

    def sleeper(self, seconds: float = 1, **attrs: Any):
        return self.template(SLEEP, [_num(seconds)], **attrs)

    def shell(self, script: str, **attrs: Any):
        return self.template(SH, ["-c", script], **attrs)

    def run(self, jt) -> str:
        return self.S.runJob(jt)

    def run_sleeper(self, seconds: float = 1, **attrs: Any) -> str:
        return self.S.runJob(self.sleeper(seconds, **attrs))

    def run_exit(self, code: int, **attrs: Any) -> str:
        return self.S.runJob(self.shell(f"exit {code}", **attrs))

    def run_held(self, seconds: float = 1, **attrs: Any) -> str:
        return self.run_sleeper(
            seconds, jobSubmissionState=self.drmaa.JobSubmissionState.HOLD_STATE, **attrs
        )

    # ------------------------------------------------------------------ time
    def pass_time(self, seconds: float) -> None:
        self.backend.sleep(seconds)

    @contextlib.contextmanager
    def qmaster_outage(self) -> Iterator[None]:
        """Take the DRM's master daemon down for the block; it always comes back after."""
        switch = self.backend.qmaster_switch
        if switch is None:
            if self.backend.name == "sge":
                pytest.fail(
                    "this case stops and restarts the qmaster, and the sge backend has no way "
                    f"to: run the suite through `python -m conformance.cell run -- ...` (it "
                    f"serves one, in {SWITCH_ENV}), or deselect the case with -k",
                    pytrace=False,
                )
            not_applicable(f"backend {self.backend.name} has no qmaster switch")
        try:
            switch(False)
            yield
        finally:
            switch(True)  # also after a failed stop: starting a running qmaster is a no-op

    def let_signal_land(self) -> None:
        """Let the execution host act on a SUSPEND before anything else is sent.

        Grid Engine reports ``user_suspended`` as soon as ``control(SUSPEND)`` returns,
        before the job is stopped; a RESUME sent at once can be overtaken by that SIGSTOP
        and leave the job stopped for good while ``jobStatus`` says ``running``. Measured on
        SGE 8.1.9 (``docs/measurements/sge_suspend_race_probe.out``): jobs stuck with no gap,
        none with a 1 s gap. A client that means to resume must wait; so do the cases.
        """
        self.pass_time(1.0)

    def poll_interval(self) -> float:
        return 0.25

    def wait_until(self, predicate: Callable[[], Any], what: str, timeout: float | None = None):
        """Poll ``predicate`` until it returns a truthy value; fail after ``timeout``."""
        limit = self.deadline if timeout is None else timeout
        end = self.backend.now() + limit
        while True:
            value = predicate()
            if value:
                return value
            if self.backend.now() >= end:
                raise AssertionError(f"timed out after {limit:g} s waiting for {what}")
            self.pass_time(self.poll_interval())

    def wait_state(self, job: str, *states: str, timeout: float | None = None) -> str:
        """Poll ``jobStatus(job)`` until it is one of ``states``; return it."""
        seen: list[str] = []

        def reached():
            state = self.S.jobStatus(job)
            if not seen or seen[-1] != state:
                seen.append(state)
            return state if state in states else None

        try:
            return self.wait_until(reached, f"job {job} to reach {'/'.join(states)}", timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; states seen: {' -> '.join(seen)}") from None

    def wait_running(self, job: str) -> None:
        self.wait_state(job, self.drmaa.JobState.RUNNING)

    def finish(self, job: str):
        """``wait(job)`` bounded by the deadline."""
        return self.S.wait(job, self.wait_timeout())

    def sync(self, jobs: list[str], dispose: bool = False) -> None:
        self.S.synchronize(jobs, self.wait_timeout(), dispose)

    def wait_timeout(self) -> int:
        return int(self.deadline)

    def bounded(self, call: Callable[[], Any], what: str = "the call") -> Any:
        """Run a call that may block forever (TIMEOUT_WAIT_FOREVER) with a real-time bound.

        The call runs in a daemon thread; if it has not returned after the deadline (plus
        a margin) the case fails instead of hanging. Exceptions are re-raised here.
        """
        done = threading.Event()
        box: dict[str, Any] = {}

        def body() -> None:
            try:
                box["value"] = call()
            except BaseException as exc:
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=body, daemon=True, name="drmaa-bounded-call").start()
        limit = self.deadline + 30
        if not done.wait(limit):
            raise AssertionError(f"{what} did not return within {limit:g} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # ------------------------------------------------------------------ threads
    def run_threads(
        self, target: Callable[..., Any], args_list: list[tuple], join: float | None = None
    ):
        """Run ``target(*args)`` in one thread per ``args``; return results or exceptions."""
        results: list[Any] = [None] * len(args_list)

        def body(i: int, args: tuple) -> None:
            try:
                results[i] = target(*args)
            except BaseException as exc:
                results[i] = exc

        threads = [
            threading.Thread(target=body, args=(i, a), daemon=True) for i, a in enumerate(args_list)
        ]
        for t in threads:
            t.start()
        limit = (self.deadline if join is None else join) + 30
        for t in threads:
            t.join(limit)
        alive = [t.name for t in threads if t.is_alive()]
        assert not alive, f"threads still running after {limit:g} s: {alive}"
        return results


def _num(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)
