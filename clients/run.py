#!/usr/bin/env python3
"""The clients tier: real third-party DRMAA clients from PyPI, on the simulator's real clock.

    python clients/run.py [CLIENT ...] [--timeout S] [--cache DIR] [--python PY] [--keep]
                          [--submit-as-root] [--verbose]

For each client (all by default: snakemake, gridmap, ruffus, jug-schedule, dask-drmaa) it
makes or updates a venv under the cache directory (``.clients/`` in the checkout, reused
while the client's pinned requirements.txt, the base interpreter and the project's
pyproject.toml/setup.py are unchanged), with the pinned requirements and the project
installed editable; checks, under the simulator, that the client imports; runs its small
workload with ``python -m simulator`` in a scratch directory, with a timeout; checks what
the jobs produced; and prints one line per client::

    snakemake: ok (4 jobs, 12.3 s)
    gridmap: FAILED: why

then ``clients: N passed, N failed``. It exits 1 if any client failed: a client that cannot
be installed or imported fails too, with the reason. Nothing is skipped.

Who runs what. Grid Engine runs a job as the user who submitted it, and refuses root's
jobs; clients rely on the first (snakemake's job scripts sit in a 0700 directory of the
submitter's). So, run as root, the runner runs each client as the unprivileged job user
(``DRMAA_SIM_JOB_USER``, default ``nobody``), which then submits and runs its jobs as
itself, with ``DRMAA_SIM_JOB_USER`` set to that user. ``--submit-as-root`` instead runs the
client as root, its jobs as the job user (the simulator's root mode; no real cell does
this). Run as anyone else, the runner runs clients as itself.

Everything a client or its jobs write goes to a scratch directory (its ``HOME``, which is
also ``DRMAA_SIM_HOME``; its ``TMPDIR``; its working directory), owned by the job user and
removed afterwards. A process of the client's or its jobs' still alive once the client has
exited fails the client, and is killed by its pid. Logs: ``<cache>/logs/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON_VERSION = (3, 11)
# Bump to rebuild every client venv (when what the runner installs changes).
VENV_LAYOUT = "1"
MARKER = "DRMAA_TESTKIT_CLIENT_RUN"


class Failed(Exception):
    """A client failed; the message says why."""


# --- who the clients and their jobs run as ---------------------------------------------


@dataclass
class Identity:
    name: str
    uid: int
    gid: int
    groups: list[int]
    switch: bool  # run the client as this user (we are root)
    job_user_env: str | None  # DRMAA_SIM_JOB_USER for the client, if any

    def popen(self, always: bool = False) -> dict:
        """Popen arguments that run a process as this user: when clients run as it, or
        (``always``) whenever we are root."""
        if not (self.switch or (always and os.geteuid() == 0)):
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": self.groups}


def identity(submit_as_root: bool) -> Identity:
    if os.geteuid() == 0:
        name = os.environ.get("DRMAA_SIM_JOB_USER") or "nobody"
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise SystemExit(f"run.py: the job user {name!r} does not exist") from None
        if entry.pw_uid == 0:
            raise SystemExit("run.py: DRMAA_SIM_JOB_USER must name an unprivileged user")
        groups = os.getgrouplist(name, entry.pw_gid)
        return Identity(name, entry.pw_uid, entry.pw_gid, groups, not submit_as_root, name)
    if submit_as_root:
        raise SystemExit("run.py: --submit-as-root needs root")
    entry = pwd.getpwuid(os.geteuid())
    groups = os.getgroups()
    return Identity(
        entry.pw_name,
        entry.pw_uid,
        os.getegid(),
        groups,
        False,
        os.environ.get("DRMAA_SIM_JOB_USER") or None,
    )


# --- venvs ---------------------------------------------------------------------------


def _run_logged(argv: list[str], log: Path, **kwargs) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        done = subprocess.run(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs
        )
    if done.returncode != 0:
        raise Failed(f"`{' '.join(argv[-4:])}` exited with {done.returncode}: {_tail(log)}")


def _tail(log: Path, lines: int = 1) -> str:
    """The last meaningful lines of a log (pip's index warnings left out)."""
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    keep = [
        line.strip()
        for line in text
        if line.strip()
        and not line.startswith(("WARNING: Location", "  DEPRECATION", "DEPRECATION", "$ "))
    ]
    return " | ".join(keep[-lines:]) or "(empty log)"


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def python_version(python: str, ident: Identity | None = None) -> tuple[int, int] | None:
    """The (major, minor) of ``python`` if it runs (as ``ident``, when given) and has venv."""
    probe = "import sys, venv, ensurepip; print(*sys.version_info[:2])"
    try:
        done = subprocess.run(
            [python, "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            **(ident.popen(always=True) if ident else {}),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    major, minor = done.stdout.split()
    return int(major), int(minor)


def base_python(requested: str | None, ident: Identity) -> str:
    """A Python 3.11 with venv that the job user can run: the jobs of gridmap, snakemake,
    jug and dask run the client venv's interpreter on the cluster."""
    candidates = (
        [requested]
        if requested
        else [
            os.environ.get("DRMAA_TESTKIT_CLIENTS_PYTHON"),
            sys.executable,
            "/usr/bin/python3.11",
            shutil.which("python3.11"),
            "/usr/bin/python3",
            shutil.which("python3"),
        ]
    )
    tried = []
    for candidate in candidates:
        if not candidate or candidate in tried:
            continue
        tried.append(candidate)
        real = os.path.realpath(candidate)
        if python_version(real, ident) == PYTHON_VERSION:
            return real
    wanted = ".".join(map(str, PYTHON_VERSION))
    raise Failed(
        f"no Python {wanted} with venv that the job user {ident.name} can run "
        f"(tried {', '.join(tried)}): name one with --python"
    )


_project_lock = threading.Lock()


def ensure_venv(name: str, base: str, cache: Path, logs: Path) -> str:
    """Make or update the client's venv; returns what was done."""
    venv = cache / name
    requirements = HERE / name / "requirements.txt"
    log = logs / f"{name}-setup.log"
    # The requirements themselves: editing a comment rebuilds nothing.
    pins = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    # A venv does not move: its own path is part of the key, as the checkout's is of the
    # editable install's.
    deps_key = _digest(VENV_LAYOUT, str(venv), base, "\n".join(pin for pin in pins if pin))
    project_key = _digest(
        str(ROOT), (ROOT / "pyproject.toml").read_bytes(), (ROOT / "setup.py").read_bytes()
    )
    deps_stamp = venv / ".clients-deps"
    project_stamp = venv / ".clients-project"
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    done = []
    if not deps_stamp.is_file() or deps_stamp.read_text() != deps_key:
        log.write_text("")
        if venv.exists():
            if not (venv / "pyvenv.cfg").is_file():
                raise Failed(f"{venv} exists and is not a venv: refusing to replace it")
            shutil.rmtree(venv)
        _run_logged([base, "-m", "venv", str(venv)], log)
        _run_logged([*pip, "install", "-r", str(requirements)], log)
        deps_stamp.write_text(deps_key)
        project_stamp.unlink(missing_ok=True)
        done.append("made with its requirements")
    if not project_stamp.is_file() or project_stamp.read_text() != project_key:
        # One at a time: an editable install compiles the project's C library in place.
        with _project_lock:
            _run_logged([*pip, "install", "--no-deps", "-e", str(ROOT)], log)
        project_stamp.write_text(project_key)
        done.append("project installed")
    return ", ".join(done) or "reused"


# --- running a client ----------------------------------------------------------------


@dataclass
class Run:
    """One client's run: its venv, scratch directories, environment and output."""

    client: Client
    venv: Path
    scratch: Path
    ident: Identity
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    output: str = ""
    returncode: int | None = None

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    @property
    def home(self) -> Path:
        return self.scratch / "home"

    @property
    def work(self) -> Path:
        return self.scratch / "work"

    def simulator(self, *program: str) -> list[str]:
        return [self.python, "-m", "simulator", *program]

    def result(self) -> object:
        """The JSON after the last ``RESULT `` line of the output."""
        lines = [line for line in self.output.splitlines() if line.startswith("RESULT ")]
        if not lines:
            raise Failed(f"no RESULT line (exit status {self.returncode}): {self.last_words()}")
        return json.loads(lines[-1][len("RESULT ") :])

    def last_words(self) -> str:
        return _tail(self.log, 2)

    def exited_ok(self) -> None:
        if self.returncode != 0:
            raise Failed(f"exit status {self.returncode}: {self.last_words()}")


def make_scratch(ident: Identity) -> Path:
    # Short, in /tmp: the simulator puts its jobs' TMPDIRs under the client's TMPDIR
    # (<TMPDIR>/drmaa-testkit-<pid>-<random>/<job>.<task>.all.q, where Grid Engine has
    # /tmp/<job>.<task>.all.q), and a job that makes a Unix socket there (the
    # multiprocessing forkserver of dask's nanny: pymp-*/listener-*) must stay within the
    # 107 bytes of sun_path.
    scratch = Path(tempfile.mkdtemp(prefix="dtk-", dir="/tmp"))
    for sub in ("home", "work", "tmp"):
        (scratch / sub).mkdir()
    if os.geteuid() == 0:
        for path in (scratch, scratch / "home", scratch / "work", scratch / "tmp"):
            os.chown(path, ident.uid, ident.gid)
    return scratch


def client_env(run: Run) -> dict[str, str]:
    env = {
        "PATH": f"{run.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": str(run.venv),
        "HOME": str(run.home),
        "USER": run.ident.name,
        "LOGNAME": run.ident.name,
        "LANG": "C.UTF-8",
        "TMPDIR": str(run.scratch / "tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        MARKER: str(run.scratch),
    }
    for name, value in os.environ.items():
        if name.startswith("DRMAA_SIM_"):
            env[name] = value
    env["DRMAA_SIM_HOME"] = str(run.home)
    if run.ident.job_user_env:
        env["DRMAA_SIM_JOB_USER"] = run.ident.job_user_env
    env.update(run.client.env)
    return env


def _process_tree_members(run: Run) -> dict[int, str]:
    """Processes of this run still alive: the client's, its jobs' and their children's,
    known by the marker or home in their environment, or a working directory in scratch."""
    found = {}
    marks = {f"{MARKER}={run.scratch}".encode(), f"HOME={run.home}".encode()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = set(f.read().split(b"\0"))
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if marks & environ or cwd == str(run.scratch) or cwd.startswith(f"{run.scratch}/"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                command = "?"
            found[int(entry)] = command[:120]
    return found


def sweep(run: Run) -> str | None:
    """Wait a moment for the run's processes to go; kill, by pid, any that stay."""
    deadline = time.monotonic() + 3
    left = _process_tree_members(run)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _process_tree_members(run)
    if not left:
        return None
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while _process_tree_members(run) and time.monotonic() < deadline:
        time.sleep(0.1)
    listed = "; ".join(f"{pid} {command}" for pid, command in sorted(left.items())[:5])
    return f"left {len(left)} process(es) behind (killed): {listed}"


def spawn(run: Run, argv: list[str], timeout: float, out) -> int | None:
    """Run argv as the client's user in its work dir; None if it timed out (then killed)."""
    out.write(f"$ {' '.join(argv)}\n")
    out.flush()
    proc = subprocess.Popen(
        argv,
        cwd=run.work,
        env=run.env,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **run.ident.popen(),
    )
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            try:
                proc.wait(5)
                break
            except subprocess.TimeoutExpired:
                continue
        return None
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
        raise


IMPORT_CHECK = (
    "import importlib, sys, simulator\n"
    "simulator.install()\n"
    "for name in sys.argv[1:]:\n"
    "    importlib.import_module(name)\n"
)


def run_client(
    client: Client, venv: Path, ident: Identity, logs: Path, timeout: float, keep: bool
) -> tuple[int, float]:
    """Run one client's workload and check it; returns (jobs, seconds) or raises Failed."""
    scratch = make_scratch(ident)
    log = logs / f"{client.name}.log"
    run = Run(client, venv, scratch, ident, log)
    run.env = client_env(run)
    failure: str | None = None
    jobs, seconds = 0, 0.0
    try:
        for name in client.files:
            target = run.work / Path(name).name
            shutil.copy(HERE / client.name / name, target)
            if os.geteuid() == 0:
                os.chown(target, ident.uid, ident.gid)
        if client.setup:
            client.setup(run)
        with log.open("w") as out:
            imports = [run.python, "-c", IMPORT_CHECK, *client.imports]
            try:
                status = spawn(run, imports, 120, out)
            except PermissionError as error:
                raise Failed(
                    f"the job user {ident.name} cannot run {run.python} ({error}): the "
                    "checkout and its cache must be readable by that user (chmod o+rX along "
                    "the path), or use --cache"
                ) from None
        if status != 0:
            reason = f"cannot import {', '.join(client.imports)}: {_tail(log)}"
            probe = ["test", "-r", str(ROOT / "simulator" / "__init__.py")]
            if subprocess.run(probe, **ident.popen()).returncode != 0:
                reason += (
                    f" (the job user {ident.name} cannot read {ROOT}: make the checkout "
                    "readable by that user, chmod o+rX along the path)"
                )
            raise Failed(reason)
        with log.open("a") as out:
            started = time.monotonic()
            run.returncode = spawn(run, client.argv(run), timeout, out)
            seconds = time.monotonic() - started
        run.output = log.read_text(errors="replace")
        if run.returncode is None:
            raise Failed(f"timed out after {timeout:g} s: {run.last_words()}")
        jobs = client.check(run)
    except Failed as error:
        failure = str(error)
    except (ValueError, TypeError, KeyError, IndexError, OSError) as error:
        # A RESULT of the wrong shape, a file that is not there: the client's fault too.
        failure = f"unexpected output ({type(error).__name__}: {error}): {run.last_words()}"
    finally:
        leftover = sweep(run)
        if keep:
            print(f"{client.name}: scratch kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if leftover:
        failure = f"{failure}; {leftover}" if failure else leftover
    if failure:
        raise Failed(failure)
    return jobs, seconds


# --- the clients -----------------------------------------------------------------------


@dataclass
class Client:
    name: str
    imports: tuple[str, ...]
    files: tuple[str, ...]
    argv: Callable[[Run], list[str]]
    check: Callable[[Run], int]
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Run], None] | None = None


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def _job_ids(ids: list, expected: int, what: str) -> None:
    _expect(all(ids), f"{what}: a job ran outside the cell (no JOB_ID): {ids}")
    _expect(len(set(ids)) == expected, f"{what}: expected {expected} distinct jobs, got {ids}")


def snakemake_argv(run: Run) -> list[str]:
    return run.simulator(
        "-m",
        "snakemake",
        "--snakefile",
        "Snakefile",
        "--executor",
        "drmaa",
        "--jobs",
        "4",
        "--drmaa-args=-pe smp {threads}",
        # Absolute: the plugin hands the path to DRMAA as it is, and a relative output path
        # is relative to the job's working directory (its HOME here, as on Grid Engine),
        # not the invocation directory its --help promises.
        "--drmaa-log-dir",
        str(run.work / "drmaa-logs"),
        "--seconds-between-status-checks",
        "1",
        "--nocolor",
    )


def snakemake_check(run: Run) -> int:
    run.exited_ok()
    rows = {}
    for name in ("squares/1.txt", "squares/2.txt", "squares/3.txt", "total.txt"):
        path = run.work / name
        _expect(path.is_file(), f"{name} is missing: {run.last_words()}")
        rows[name] = path.read_text().split()
    values = [int(rows[f"squares/{n}.txt"][0]) for n in (1, 2, 3)]
    _expect(values == [1, 4, 9], f"squares: {rows}")
    _expect(rows["total.txt"][:1] == ["14"], f"total.txt: {rows['total.txt']}")
    _job_ids([row[1] if len(row) > 2 else None for row in rows.values()], 4, "snakemake")
    slots = {name: row[2] for name, row in rows.items()}
    _expect(
        slots["total.txt"] == "2",
        f"the threads: 2 rule ran with NSLOTS={slots['total.txt']} (-pe smp 2 not applied)",
    )
    submitted = run.output.count("Submitted DRMAA job")
    _expect(submitted == 4, f"{submitted} DRMAA submissions, expected 4")
    # Grid Engine names a job's files in an output directory <job name>.o<id> / .e<id>.
    logs = sorted(path.name for path in (run.work / "drmaa-logs").iterdir())
    found = sorted(re.sub(r"^.*\.([oe])(\d+)$", r"\1 \2", name) for name in logs)
    ids = sorted(row[1] for row in rows.values())
    _expect(
        found == sorted(f"{kind} {job}" for kind in "eo" for job in ids),
        f"--drmaa-log-dir: expected a .o and a .e file per job {ids}, found {logs}",
    )
    return submitted


def gridmap_check(run: Run) -> int:
    run.exited_ok()
    results = run.result()
    _expect([r[0] for r in results] == [1, 4, 9, 16], f"results: {results}")
    _job_ids([r[1] for r in results], 4, "gridmap")
    _expect(all(r[2] == "2" for r in results), f"num_slots=2 not applied: {results}")
    return len(results)


def ruffus_check(run: Run) -> int:
    run.exited_ok()
    results = run.result()
    _expect([int(r[0]) for r in results] == [1, 4, 9], f"results: {results}")
    _job_ids([r[1] if len(r) > 2 else None for r in results], 3, "ruffus")
    _expect(all(r[2] == "2" for r in results), f"-pe smp 2 not applied: {results}")
    return len(results)


def jug_setup(run: Run) -> None:
    config = run.home / ".config" / "jug"
    config.mkdir(parents=True)
    shutil.copy(HERE / "jug-schedule" / "jug_user_commands.py", config)
    if os.geteuid() == 0:
        for path in (run.home / ".config", config, config / "jug_user_commands.py"):
            os.chown(path, run.ident.uid, run.ident.gid)


def jug_argv(run: Run) -> list[str]:
    return run.simulator(
        "-m",
        "jug.jug",
        "schedule",
        "--script",
        str(run.venv / "bin" / "jug"),
        "--cycle-time",
        "1",
        "--verbose",
        "info",
        "jugfile.py",
    )


def jug_check(run: Run) -> int:
    run.exited_ok()
    submitted = sum(int(n) for n in re.findall(r"Starting (\d+) jobs on target", run.output))
    with run.log.open("a") as out:
        argv = [run.python, "results.py", "jugfile.py", "jugfile.jugdata"]
        run.returncode = spawn(run, argv, 60, out)
    run.output = run.log.read_text(errors="replace")
    run.exited_ok()
    results = run.result()
    squares, total = results["squares"], results["total"]
    _expect([value for value, _ in squares] == [1, 4, 9, 16], f"squares: {squares}")
    _expect(total[0] == 30, f"total: {total}")
    _expect(all(where[0] for _, where in [*squares, total]), f"ran outside the cell: {results}")
    _expect(all(where[1] == "2" for _, where in squares), f"cpu=2 not applied: {squares}")
    _expect(submitted >= 2, f"{submitted} jobs submitted")
    return submitted


def dask_check(run: Run) -> int:
    run.exited_ok()
    result = run.result()
    workers, values = result["workers"], result["values"]
    _expect(result["total"] == 55, f"total: {result['total']}")
    _expect(len(set(workers)) == 2, f"workers: {workers}")
    _expect(all(job in workers for _, job, _ in values), f"ran outside the workers: {values}")
    _expect(all(slots == "2" for _, _, slots in values), f"-pe smp 2 not applied: {values}")
    return len(workers)


CLIENTS = {
    client.name: client
    for client in (
        Client(
            "snakemake",
            ("snakemake", "snakemake_executor_plugin_drmaa"),
            ("Snakefile",),
            snakemake_argv,
            snakemake_check,
        ),
        Client(
            "gridmap",
            ("gridmap",),
            ("workload.py",),
            lambda run: run.simulator("workload.py"),
            gridmap_check,
            # gridmap's own settings: no error mails (they would go to an SMTP server named
            # after this host) and no plots.
            env={"SEND_ERROR_MAIL": "False", "CREATE_PLOTS": "False"},
        ),
        Client(
            "ruffus",
            ("ruffus", "ruffus.drmaa_wrapper", "gevent"),
            ("workload.py",),
            lambda run: run.simulator("workload.py"),
            ruffus_check,
        ),
        Client(
            "jug-schedule",
            ("jug", "jug_schedule.schedule"),
            ("jugfile.py", "results.py"),
            jug_argv,
            jug_check,
            setup=jug_setup,
        ),
        Client(
            "dask-drmaa",
            ("dask", "distributed", "dask_drmaa"),
            ("workload.py",),
            lambda run: run.simulator("workload.py"),
            dask_check,
        ),
    )
}


# --- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python clients/run.py",
        description="Run real DRMAA clients from PyPI on the simulator (real clock).",
    )
    parser.add_argument("clients", nargs="*", metavar="CLIENT", help=", ".join(CLIENTS))
    parser.add_argument("--timeout", type=float, default=300, help="per client, seconds")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("DRMAA_TESTKIT_CLIENTS_CACHE") or ROOT / ".clients"),
        help="where the venvs and logs go (default: .clients/ in the checkout)",
    )
    parser.add_argument("--python", help="the base interpreter of the venvs (Python 3.11)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    parser.add_argument(
        "--submit-as-root",
        action="store_true",
        help="root only: run the clients as root and their jobs as the job user",
    )
    parser.add_argument("--verbose", action="store_true", help="print each client's log")
    options = parser.parse_args(argv)
    unknown = [name for name in options.clients if name not in CLIENTS]
    if unknown:
        parser.error(f"unknown client(s) {', '.join(unknown)}; known: {', '.join(CLIENTS)}")
    names = options.clients or list(CLIENTS)
    os.umask(0o022)  # the venvs must be readable by the job user
    ident = identity(options.submit_as_root)
    cache = options.cache.resolve()
    logs = cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    submitter = ident.name if ident.switch else pwd.getpwuid(os.geteuid()).pw_name
    print(
        f"clients tier: {', '.join(names)}; clients run as {submitter}, jobs as {ident.name}; "
        f"venvs in {cache}",
        file=sys.stderr,
    )

    failures: dict[str, str] = {}
    ready: list[str] = []
    started = time.monotonic()
    try:
        base = base_python(options.python, ident)
    except Failed as error:
        failures = dict.fromkeys(names, str(error))
    else:

        def setup(name: str) -> tuple[str, str | None, str, float]:
            t0 = time.monotonic()
            try:
                return name, None, ensure_venv(name, base, cache, logs), time.monotonic() - t0
            except Failed as error:
                return name, f"cannot install: {error}", "", time.monotonic() - t0

        with ThreadPoolExecutor(max_workers=3) as pool:
            for name, error, what, seconds in pool.map(setup, names):
                if error:
                    failures[name] = error
                else:
                    ready.append(name)
                print(f"  venv {name}: {error or what} ({seconds:.1f} s)", file=sys.stderr)
    setup_seconds = time.monotonic() - started

    lines = []
    for name in names:
        if name in failures:
            line = f"{name}: FAILED: {failures[name]}"
        else:
            try:
                jobs, seconds = run_client(
                    CLIENTS[name], cache / name, ident, logs, options.timeout, options.keep
                )
                line = f"{name}: ok ({jobs} jobs, {seconds:.1f} s)"
            except Failed as error:
                failures[name] = str(error)
                line = f"{name}: FAILED: {error} (log: {logs / (name + '.log')})"
        if options.verbose and (logs / f"{name}.log").is_file():
            print((logs / f"{name}.log").read_text(errors="replace"), file=sys.stderr)
        print(line, flush=True)
        lines.append(line)
    total = time.monotonic() - started
    print(
        f"(venvs {setup_seconds:.1f} s, total {total:.1f} s)",
        file=sys.stderr,
    )
    print(f"clients: {len(names) - len(failures)} passed, {len(failures)} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
