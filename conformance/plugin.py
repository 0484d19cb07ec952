"""The pytest plugin: options, markers, report header, fixtures, report hooks.

Registered under the ``pytest11`` entry point (``drmaa_testkit = "conformance.plugin"``);
before that, load it with ``-p conformance.plugin``. It is loaded into every pytest run of
an environment where the project is installed, so nothing here acts on tests that do not
use its fixtures: no autouse fixtures, and the report only lists conformance cases.

Fixtures
--------
``drmaa_backend``  (session)  the resolved :class:`conformance.backends.Backend`
``drmaa_peer_backend`` (session)  the ``--drmaa-peer`` backend (differential fuzzing) or None
``drmaa``          the module under test; resets the simulator before the case and, after
                   it, terminates leftover jobs and exits any session, even on failure
``session``        ``drmaa.Session`` already initialized; exited after the case
``pass_time``      ``pass_time(seconds)``: real sleep, or the virtual clock advancing
``jobs``           a :class:`conformance.kit.Kit` (templates, bounded waits, threads)
``drmaa_job_dir``  a fresh directory the case's jobs may write in (owned by the user the
                   jobs run as); removed after the case
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import BACKEND_NAMES, report
from conformance.backends import Backend, resolve
from conformance.kit import Kit, NotApplicable, not_applicable

_MARKERS = (
    "drmaa_case(spec, official=(), ge=None): a DRMAA conformance case; names the spec element "
    "it checks, the Grid Engine test_drmaa cases it covers and the measured Grid Engine fact",
    "ge_specific(reason): the spec leaves this behaviour to the implementation; the case checks "
    "Grid Engine's choice (not applicable with --drmaa-spec-only)",
    "real_jobs(reason): the case needs jobs that are real processes (not applicable on "
    "sim-virtual)",
    "qmaster_outage: the case stops and restarts the DRM's master daemon (run last)",
)

# How a report says its case was not applicable (a user property, so xdist carries it).
_OUTCOME_PROPERTY = ("drmaa_outcome", "n/a")
# Hypothesis profiles this plugin registers, on demand: importing hypothesis costs every
# pytest run in the environment ~0.1-0.2 s.
_PROFILES = ("dev", "ci", "nightly")

# stash keys
_BACKEND_KEY = pytest.StashKey[Backend]()
_RESULTS_KEY = pytest.StashKey[dict]()


# ---------------------------------------------------------------------------- options
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drmaa", "DRMAA conformance suite (drmaa-testkit)")
    group.addoption(
        "--drmaa-backend",
        dest="drmaa_backend",
        default=None,
        metavar="NAME",
        help="what is tested: sim (simulator, real clock; default), sim-virtual (simulator, "
        "virtual clock), binding-sim[-virtual] (the drmaa package over the project's C "
        "libdrmaa and a simulated qmaster daemon), sge (the drmaa package on a running Grid "
        "Engine cell), or the import path of any drmaa-compatible module",
    )
    group.addoption(
        "--drmaa-spec-only",
        dest="drmaa_spec_only",
        action="store_true",
        default=None,
        help="report cases that check Grid Engine's choice where the spec leaves the behaviour "
        "to the implementation (marker ge_specific) as not applicable",
    )
    group.addoption(
        "--drmaa-report",
        dest="drmaa_report",
        default=None,
        metavar="DIR",
        help="write conformance.md and conformance.html into DIR, plus results-<backend>.json; "
        "the matrix is rebuilt from every results-*.json in DIR (runs on several backends merge)",
    )
    group.addoption(
        "--drmaa-deadline",
        dest="drmaa_deadline",
        type=float,
        default=None,
        metavar="SECONDS",
        help="the longest a case waits for a job or a state, in backend seconds (default 60)",
    )
    group.addoption(
        "--drmaa-exhaustive",
        dest="drmaa_exhaustive",
        action="store_true",
        default=None,
        help="run the long variants on every backend (all 256 exit codes on real clocks)",
    )
    group.addoption(
        "--drmaa-catalog",
        dest="drmaa_catalog",
        default=None,
        metavar="FILE",
        help="after collection, write the table of cases (spec sections, official test_drmaa "
        "cases, markers) into FILE, between its catalog markers if it has them",
    )
    group.addoption(
        "--drmaa-peer",
        dest="drmaa_peer",
        default=None,
        metavar="NAME",
        help="differential fuzzing: run every generated program on this backend too (e.g. "
        "sge beside sim-virtual) and fail on any divergence; one of the two must not be a "
        "simulator backend, since they share one simulated cluster",
    )
    parser.addini("drmaa_backend", "default for --drmaa-backend", default="sim")
    parser.addini("drmaa_deadline", "default for --drmaa-deadline", default="60")
    parser.addini("drmaa_spec_only", "default for --drmaa-spec-only", type="bool", default=False)


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    if value is None:
        value = config.getini(name) if name != "drmaa_exhaustive" else False
    return value


def backend_name(config: pytest.Config) -> str:
    return str(_option(config, "drmaa_backend") or "sim")


def _register_profiles_if_asked(options: Any) -> None:
    if getattr(options, "hypothesis_profile", None) in _PROFILES:
        from conformance.fuzz import profiles  # noqa: F401 - registers dev/ci/nightly


def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Register before conftest files load, so a project's own profile of the same name wins."""
    _register_profiles_if_asked(early_config.known_args_namespace)


@pytest.hookimpl(tryfirst=True)  # before hypothesis's own plugin loads the profile
def pytest_configure(config: pytest.Config) -> None:
    _register_profiles_if_asked(config.option)  # when loaded too late for the hook above
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    config.stash[_RESULTS_KEY] = {}


def pytest_unconfigure(config: pytest.Config) -> None:
    backend = config.stash.get(_BACKEND_KEY, None)
    if backend is not None:
        backend.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    name = backend_name(config)
    kind = name if name in BACKEND_NAMES else f"import path {name!r}"
    extras = []
    if _option(config, "drmaa_spec_only"):
        extras.append("spec-only")
    if config.getoption("drmaa_report"):
        extras.append(f"report -> {config.getoption('drmaa_report')}")
    return [f"drmaa-testkit: backend {kind}" + (f" ({', '.join(extras)})" if extras else "")]


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def drmaa_backend(pytestconfig: pytest.Config) -> Backend:
    """The backend chosen with --drmaa-backend, resolved once per run."""
    backend = pytestconfig.stash.get(_BACKEND_KEY, None)
    if backend is None:
        backend = resolve(backend_name(pytestconfig))
        pytestconfig.stash[_BACKEND_KEY] = backend
    return backend


@pytest.fixture(scope="session")
def drmaa_peer_backend(
    pytestconfig: pytest.Config, drmaa_backend: Backend
) -> Iterator[Backend | None]:
    """The --drmaa-peer backend for differential fuzzing, or None."""
    name = pytestconfig.getoption("drmaa_peer")
    if not name:
        yield None
        return
    peer = resolve(name)
    try:
        yield _checked_peer(peer, name, drmaa_backend)
    finally:
        peer.close()


def _checked_peer(peer: Backend, name: str, drmaa_backend: Backend) -> Backend:
    if peer.in_process and drmaa_backend.in_process:
        pytest.fail(
            f"--drmaa-peer={name} beside --drmaa-backend={drmaa_backend.name}: both would drive "
            "the one simulated cluster of this process; compare a simulator with sge or an "
            "import path",
            pytrace=False,
        )
    if peer.error:
        pytest.fail(peer.error, pytrace=False)
    return peer


@pytest.fixture
def drmaa(request: pytest.FixtureRequest, drmaa_backend: Backend):
    """The drmaa-compatible module under test, with a clean cluster around each case."""
    if drmaa_backend.error:
        # Never a silent skip: a backend that cannot be reached fails every case.
        pytest.fail(drmaa_backend.error, pytrace=False)
    _skip_not_applicable(request, drmaa_backend)
    module = drmaa_backend.module
    contacts: list[str] = []
    request.node.stash[_CONTACTS_KEY] = contacts
    _leave_session(module)
    drmaa_backend.reset()
    try:
        yield module
    finally:
        _cleanup(module, drmaa_backend, contacts, _deadline(request.config))


_CONTACTS_KEY = pytest.StashKey[list]()


@pytest.fixture
def jobs(request: pytest.FixtureRequest, drmaa, drmaa_backend: Backend) -> Kit:
    """Job helpers: templates, bounded waits on the backend's clock, threads."""
    return Kit(drmaa, drmaa_backend, _deadline(request.config), request.node.stash[_CONTACTS_KEY])


@pytest.fixture
def session(drmaa, jobs: Kit):
    """``drmaa.Session`` with a session initialized; exited after the case in any case."""
    jobs.init()
    yield drmaa.Session
    # the drmaa fixture's cleanup terminates leftover jobs and exits the session


@pytest.fixture
def drmaa_job_dir(drmaa_backend: Backend) -> Iterator[Path]:
    """A fresh directory the case's jobs may write in; removed after the case.

    Not ``tmp_path``: when the simulator runs jobs as another user than the test process
    (a root test run), pytest's private directories are out of their reach.
    """
    path = drmaa_backend.make_job_dir()
    try:
        yield Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pass_time(drmaa_backend: Backend):
    """``pass_time(seconds)``: sleep on real clocks, advance the virtual clock on sim-virtual."""
    return drmaa_backend.sleep


@pytest.fixture
def exhaustive(pytestconfig: pytest.Config, drmaa_backend: Backend) -> bool:
    """True when long variants should run: always on the virtual clock, else on request."""
    return bool(pytestconfig.getoption("drmaa_exhaustive")) or drmaa_backend.virtual


def _deadline(config: pytest.Config) -> float:
    return float(_option(config, "drmaa_deadline") or 60)


def _skip_not_applicable(request: pytest.FixtureRequest, backend: Backend) -> None:
    node = request.node
    ge = node.get_closest_marker("ge_specific")
    if ge is not None and _option(request.config, "drmaa_spec_only"):
        not_applicable(
            f"implementation-defined, checks Grid Engine's choice "
            f"({ge.kwargs.get('reason', '')}); --drmaa-spec-only"
        )
    rj = node.get_closest_marker("real_jobs")
    if rj is not None and not backend.real_jobs:
        not_applicable(
            f"needs jobs that are real processes "
            f"({rj.kwargs.get('reason', '')}); backend {backend.name} models jobs"
        )


def _session_error(module: Any):
    return (
        getattr(module, "NoActiveSessionException", None) or module.errors.NoActiveSessionException
    )


def _leave_session(module: Any) -> None:
    """Exit a session a previous case may have left (real backends keep one per process)."""
    try:
        module.Session.exit()
    except Exception:
        pass


def _cleanup(module: Any, backend: Backend, contacts: list[str], deadline: float) -> None:
    """Terminate every job the case may have left and exit every session it opened."""
    session = module.Session
    all_jobs = session.JOB_IDS_SESSION_ALL
    no_session = _session_error(module)
    timeout = int(min(deadline, 30))

    def sweep() -> None:
        try:
            session.control(all_jobs, module.JobControlAction.TERMINATE)
        except Exception:
            pass
        try:
            session.synchronize([all_jobs], timeout, True)
        except Exception:
            pass

    # the session the case left open, if any
    active = True
    try:
        current = session.contact
    except Exception:
        current = ""
    try:
        session.control(all_jobs, module.JobControlAction.TERMINATE)
    except no_session:
        active = False
    except Exception:
        pass
    if active:
        if current and current not in contacts:
            contacts.append(current)
        if not backend.is_simulator:
            sweep()
        _leave_session(module)
    if backend.is_simulator:
        # the simulator's reset kills whatever is left, whichever session owns it
        try:
            backend.reset()
        except Exception:
            pass
        return
    # sessions the case exited with jobs still in them: reconnect and sweep them too
    for contact in contacts:
        if active and contact == current:
            continue
        try:
            session.initialize(contact)
        except Exception:
            continue
        sweep()
        _leave_session(module)


# ---------------------------------------------------------------------------- report hooks
def _is_case(item: pytest.Item) -> bool:
    return item.get_closest_marker("drmaa_case") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    if call.excinfo is not None and call.excinfo.errisinstance(NotApplicable):
        rep.user_properties.append(_OUTCOME_PROPERTY)
    if _is_case(item):
        _record(item, rep)
    return rep


def _is_not_applicable(rep: pytest.TestReport) -> bool:
    return rep.skipped and _OUTCOME_PROPERTY in rep.user_properties


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    """``n/a``, not ``skipped``: a case that cannot run here is neither passed nor skipped."""
    if _is_not_applicable(report):
        return "n/a", "n", "N/A"
    return None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """With ``-rs``/``-ra``, the reasons for ``n/a``, as pytest lists those for skips."""
    chars = getattr(terminalreporter, "reportchars", "")
    reports = terminalreporter.stats.get("n/a", [])
    if not reports or not ({"s", "a"} & set(chars)):
        return
    reasons: dict[str, int] = {}
    for rep in reports:
        reason = _skip_reason(rep)
        reasons[reason] = reasons.get(reason, 0) + 1
    terminalreporter.write_sep("=", "not applicable")
    for reason, count in reasons.items():
        terminalreporter.write_line(f"N/A [{count}] {reason}")


def _record(item: pytest.Item, rep: pytest.TestReport) -> None:
    results = item.config.stash[_RESULTS_KEY]
    entry = results.get(item.nodeid)
    if entry is None:
        entry = report.case_metadata(item)
        entry["outcome"] = "pass"
        entry["message"] = ""
        entry["duration"] = 0.0
        results[item.nodeid] = entry
    entry["duration"] += rep.duration
    if rep.skipped:
        reason = _skip_reason(rep)
        entry["outcome"] = "n/a" if _is_not_applicable(rep) else "skip"
        entry["message"] = reason
    elif rep.failed:
        if rep.when == "call":
            if entry["outcome"] != "error":
                entry["outcome"] = "fail"
        else:
            entry["outcome"] = "error"
        if not entry["message"]:
            entry["message"] = _failure_message(rep)


def _skip_reason(rep: pytest.TestReport) -> str:
    longrepr = rep.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        message = str(longrepr[2])
    else:
        message = str(longrepr)
    # pytest prefixes the exception's name: "Skipped: ", "conformance.kit.NotApplicable: "
    for prefix in ("Skipped: ", f"{NotApplicable.__module__}.{NotApplicable.__qualname__}: "):
        message = message.removeprefix(prefix)
    return message


def _failure_message(rep: pytest.TestReport) -> str:
    crash = getattr(rep.longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        text = crash.message
    else:
        text = str(rep.longrepr)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "")[:300]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    out_dir = config.getoption("drmaa_report")
    if not out_dir:
        return
    if hasattr(config, "workerinput"):  # an xdist worker: the controller writes the report
        return
    results = config.stash.get(_RESULTS_KEY, {})
    if not results:
        return
    backend = config.stash.get(_BACKEND_KEY, None)
    name = backend.report_key() if backend else backend_name(config)
    run = {
        "backend": backend.name if backend else backend_name(config),
        "description": (backend.description or backend.error or "") if backend else "",
        "spec_only": bool(_option(config, "drmaa_spec_only")),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "host": os.uname().nodename,
        "cases": results,
    }
    try:
        report.write_run(out_dir, name, run)
        report.rebuild(out_dir)
    except OSError as exc:
        config.issue_config_time_warning(
            pytest.PytestWarning(
                f"drmaa-testkit: could not write the report into {out_dir}: {exc}"
            ),
            stacklevel=2,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Cases that take the DRM down run last: a library left unwell by the outage must not
    fail unrelated cases (on SGE 8.1.9, waits in a process that lived through one can miss
    job ends from then on). The sort is stable: the rest keep their order."""
    items.sort(key=lambda item: item.get_closest_marker("qmaster_outage") is not None)


def pytest_collection_finish(session: pytest.Session) -> None:
    path = session.config.getoption("drmaa_catalog")
    if not path:
        return
    cases = [report.case_metadata(item) for item in session.items if _is_case(item)]
    report.write_catalog(path, cases)
