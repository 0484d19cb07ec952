"""Resolving a ``--drmaa-backend`` name to the module under test and its clock.

A :class:`Backend` carries what a case needs beyond the drmaa API itself: the module, a
way to let time pass (real ``sleep`` or advancing the simulator's virtual clock), a reset
run before and after each case, and whether jobs are real processes.

Nothing here imports ``simulator`` or ``drmaa`` at import time: a backend's module is
imported only when that backend is resolved, so ``--drmaa-backend=sge`` never loads the
simulator and the ``sim`` backends never load ``libdrmaa``.

A backend that cannot be used is still returned, with :attr:`Backend.error` naming what is
missing; the plugin then makes every case *error* with that message (never skip).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from conformance.qmaster_switch import ENV as SWITCH_ENV
from conformance.qmaster_switch import remote_switch

#: How long the ``sge`` probe waits for its ``/bin/true`` job.
SGE_PROBE_TIMEOUT = 90.0

_SGE_HINT = (
    "The sge backend needs: the `drmaa` package (pip install drmaa==0.7.9), "
    "DRMAA_LIBRARY_PATH pointing at libdrmaa.so.1.0, SGE_ROOT/SGE_CELL of a running cell, "
    "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 set when the process starts, "
    "and an unprivileged user (Grid Engine refuses jobs below min_uid). "
    "`. docker/sge-env.sh` sets the environment; run pytest as the job user "
    "(e.g. `su sgeuser -c '. docker/sge-env.sh && python -m pytest conformance "
    "--drmaa-backend=sge'`)."
)


@dataclass
class Backend:
    """What the cases get to know about the implementation under test."""

    name: str
    module: ModuleType | None = None
    #: ``"real"`` or ``"virtual"``.
    clock: str = "real"
    #: True when jobs are real processes (files written, environment seen, stdin read).
    real_jobs: bool = True
    #: Set when the backend cannot be used: the message every case errors with.
    error: str | None = None
    #: A short description for the report header (module file, DRM system...).
    description: str = ""
    _reset: Callable[[], None] | None = field(default=None, repr=False)
    _advance: Callable[[float], None] | None = field(default=None, repr=False)
    _now: Callable[[], float] | None = field(default=None, repr=False)
    #: ``set_up(up)``: a qmaster outage (False) and its end (True), where one can be had.
    qmaster_switch: Callable[[bool], None] | None = field(default=None, repr=False)
    #: Makes a directory the backend's jobs may write in (default: an ordinary temporary
    #: one, as the jobs run as this process's user).
    _make_job_dir: Callable[[], str] = field(default=tempfile.mkdtemp, repr=False)
    #: Run once when the test run ends.
    _close: Callable[[], None] | None = field(default=None, repr=False)
    #: A simulated cell (prompt, resettable): the suite may reset it between cases.
    simulated: bool = False
    #: The cell lives in this process (two such backends would share it).
    in_process: bool = False

    @property
    def virtual(self) -> bool:
        return self.clock == "virtual"

    @property
    def is_simulator(self) -> bool:
        return self.simulated

    def reset(self) -> None:
        """Bring the implementation back to an empty cluster (simulator only)."""
        if self._reset is not None:
            self._reset()

    def make_job_dir(self) -> str:
        """A new, empty directory that this backend's jobs can write in; the caller
        removes it."""
        return self._make_job_dir()

    def close(self) -> None:
        """Let go of what the backend set up for the run (the simulator's jobs' home)."""
        if self._close is not None:
            self._close()
            self._close = None

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass: real sleep, or advance the virtual clock."""
        if seconds <= 0:
            return
        if self._advance is not None:
            self._advance(seconds)
        else:
            time.sleep(seconds)

    def now(self) -> float:
        """The backend's clock (virtual time on ``sim-virtual``)."""
        if self._now is not None:
            return self._now()
        return time.monotonic()

    def report_key(self) -> str:
        """The name used for this backend's column and JSON file in the report."""
        return "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)


def resolve(name: str) -> Backend:
    """Resolve a backend name; never raises (problems end up in ``Backend.error``)."""
    if name == "sim":
        return _simulator(name, clock="real")
    if name == "sim-virtual":
        return _simulator(name, clock="virtual")
    if name == "binding-sim":
        return _binding_simulator(name, clock="real")
    if name == "binding-sim-virtual":
        return _binding_simulator(name, clock="virtual")
    if name == "sge":
        return _sge()
    return _import_path(name)


def _describe_exc(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _simulator(name: str, clock: str) -> Backend:
    backend = Backend(
        name=name, clock=clock, real_jobs=(clock == "real"), simulated=True, in_process=True
    )
    try:
        module = importlib.import_module("simulator.drmaa")
        control = importlib.import_module("simulator.control")
    except Exception as exc:  # the simulator may be missing or broken: say so, per case
        backend.error = (
            f"backend {name!r}: cannot import the simulator "
            f"(`simulator.drmaa` and `simulator.control`): {_describe_exc(exc)}"
        )
        return backend
    missing = [a for a in ("reset", "advance", "now") if not hasattr(control, a)]
    if missing or not hasattr(module, "Session"):
        backend.error = (
            f"backend {name!r}: the simulator's public API is incomplete "
            f"(missing: {', '.join(missing) or 'simulator.drmaa.Session'})"
        )
        return backend
    backend.module = module
    # Jobs write nothing outside temporary directories: they get a scratch home of their
    # own. Run by root, the simulator refuses jobs as Grid Engine does, so the suite runs
    # them as an unprivileged user (DRMAA_SIM_JOB_USER, default nobody).
    job_user = control.harness_job_user()
    home = control.make_job_dir(job_user, prefix="drmaa-testkit-home-")
    runs_as = f", jobs run as {job_user}" if job_user else ""
    backend.description = f"simulator.drmaa ({getattr(module, '__file__', '?')}), {clock} clock"
    backend.description += runs_as

    def close() -> None:
        control.shutdown()
        shutil.rmtree(home, ignore_errors=True)

    settings = {"clock": clock, "job_user": job_user, "home": home}
    _drive(backend, control, settings, control.make_job_dir)
    backend._close = close
    return backend


def _drive(
    backend: Backend, panel: Any, settings: dict[str, Any], make_job_dir: Callable[..., str]
) -> None:
    """Wire a simulated cell's control panel into the backend: ``simulator.control`` for
    the in-process cell, or a daemon's :class:`~simulator.server.client.QmasterControl`,
    which offers the same calls."""
    backend._reset = lambda: panel.reset(**settings)
    backend._make_job_dir = lambda: make_job_dir(settings["job_user"])
    backend.qmaster_switch = panel.set_reachable
    if backend.clock == "virtual":
        backend._advance = panel.advance
        backend._now = panel.now


def _binding_simulator(name: str, clock: str) -> Backend:
    """The real binding (drmaa-python) over our C libdrmaa, talking to a simulated qmaster
    daemon started for the run: what validates a binding without a cluster."""
    backend = Backend(name=name, clock=clock, real_jobs=(clock == "real"), simulated=True)
    try:
        control = importlib.import_module("simulator.control")
        native = importlib.import_module("simulator.native")
        server = importlib.import_module("simulator.server")
        library = native.library_path()
    except Exception as exc:
        backend.error = (
            f"backend {name!r}: the simulator's C library or daemon is missing: "
            f"{_describe_exc(exc)} (pip install the project: its build compiles libdrmaa)"
        )
        return backend
    job_user = control.harness_job_user()
    home = control.make_job_dir(job_user, prefix="drmaa-testkit-home-")
    stack = contextlib.ExitStack()
    stack.callback(shutil.rmtree, home, True)
    settings = {"clock": clock, "job_user": job_user, "home": home}
    try:
        qmaster = stack.enter_context(server.running(**settings))
        os.environ[server.ENV] = qmaster.path
        os.environ["DRMAA_LIBRARY_PATH"] = library
        module = importlib.import_module("drmaa")
    except Exception as exc:
        stack.close()
        backend.error = f"backend {name!r}: cannot start it: {_describe_exc(exc)}"
        return backend
    loaded = getattr(getattr(module, "wrappers", None), "_lib", None)
    if loaded is not None and getattr(loaded, "_name", library) != library:
        stack.close()
        backend.error = (
            f"backend {name!r}: drmaa was imported earlier with another library "
            f"({loaded._name}): run this backend in a process of its own"
        )
        return backend
    backend.module = module
    backend.description = (
        f"drmaa {getattr(module, '__version__', '?')} ({module.__file__}) over {library}, "
        f"daemon on {qmaster.path}, {clock} clock"
        + (f", jobs run as {job_user}" if job_user else "")
    )
    backend._reset = lambda: qmaster.reset(**settings)
    backend._close = stack.close
    backend._make_job_dir = lambda: control.make_job_dir(job_user)
    backend.qmaster_switch = qmaster.set_reachable
    if clock == "virtual":
        backend._advance = qmaster.advance
        backend._now = qmaster.now
    return backend


def _sge() -> Backend:
    backend = Backend(name="sge", clock="real", real_jobs=True)
    try:
        module = importlib.import_module("drmaa")
    except Exception as exc:  # RuntimeError (no library), OSError (jemalloc TLS), ImportError
        backend.error = f"backend 'sge': `import drmaa` failed: {_describe_exc(exc)}. {_SGE_HINT}"
        return backend
    backend.module = module
    problem = _probe_cell(module)
    if problem:
        backend.error = (
            f"backend 'sge': the Grid Engine cell cannot be used: {problem}. {_SGE_HINT}"
        )
        return backend
    try:
        drms = module.Session().drmsInfo
    except Exception as exc:
        drms = f"? ({_describe_exc(exc)})"
    address = os.environ.get(SWITCH_ENV)
    if address:
        try:
            backend.qmaster_switch = remote_switch(address)
        except ValueError as exc:
            backend.error = f"backend 'sge': {exc}"
            return backend
    backend.description = (
        f"drmaa {getattr(module, '__version__', '?')} on {drms}, "
        f"SGE_ROOT={os.environ.get('SGE_ROOT', '?')}, SGE_CELL={os.environ.get('SGE_CELL', '?')}, "
        f"library {os.environ.get('DRMAA_LIBRARY_PATH', '?')}"
    )
    return backend


def _probe_cell(module: ModuleType) -> str | None:
    """Initialize a session, run one ``/bin/true`` and exit; return a problem or None.

    Runs in the calling (main) thread on purpose: measured on SGE 8.1.9, when a process's
    first session is started from another thread, the main thread's ``drmsInfo`` loses
    its product name (``' 8.1.9'`` instead of ``'SGE 8.1.9'``) for the rest of the process.
    Every call here is bounded: ``initialize`` fails at once when the qmaster does not
    answer (DrmCommunicationException), and the wait has a timeout.
    """
    session = module.Session
    try:
        session.initialize()
    except Exception as exc:
        return f"Session.initialize() raised {_describe_exc(exc)}"
    try:
        jt = session.createJobTemplate()
        jt.remoteCommand = "/bin/true"
        jt.outputPath = ":/dev/null"
        jt.joinFiles = True
        job = session.runJob(jt)
        info = session.wait(job, int(SGE_PROBE_TIMEOUT))
        session.deleteJobTemplate(jt)
        if not (info.hasExited and info.exitStatus == 0):
            return f"the probe job /bin/true did not exit 0: {info!r}"
        return None
    except Exception as exc:
        hint = ""
        if os.geteuid() == 0:
            hint = " (this process runs as root: Grid Engine's min_uid refuses root's jobs)"
        return f"running the probe job /bin/true failed: {_describe_exc(exc)}{hint}"
    finally:
        try:
            session.exit()
        except Exception:
            pass


def _import_path(name: str) -> Backend:
    backend = Backend(name=name, clock="real", real_jobs=True)
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        backend.error = (
            f"backend {name!r}: not one of sim, sim-virtual, sge, and importing it as a "
            f"module failed: {_describe_exc(exc)}"
        )
        return backend
    if not hasattr(module, "Session") or not hasattr(module, "JobTemplate"):
        backend.error = (
            f"backend {name!r}: module {module.__name__} has no Session/JobTemplate: "
            "it is not drmaa-compatible"
        )
        return backend
    backend.module = module
    backend.description = f"{module.__name__} ({getattr(module, '__file__', '?')})"
    return backend
