"""Getting a Grid Engine cell for the ``sge`` backend, and the launcher that runs against it.

::

    python -m conformance.cell run [--via auto|existing|docker|native] -- COMMAND...
    python -m conformance.cell status
    python -m conformance.cell stop

``run`` gets a cell, runs COMMAND against it with the environment a DRMAA client needs,
returns COMMAND's exit status, and then tears down what it started (``--keep`` keeps it
for the next run). ``tox -e sge`` is ``run --via auto -- python -m pytest conformance
--drmaa-backend=sge``.

Where the cell comes from (``--via auto`` tries them in this order):

``existing``
    a running cell: ``$SGE_ROOT/$SGE_CELL`` (default ``/var/lib/gridengine/default``)
    whose qmaster answers ``qstat``, with a queue instance that can run jobs, and that
    runs a ``/bin/true`` job. COMMAND runs on this machine.
``docker``
    a Docker engine reachable through the ``docker`` SDK (``DOCKER_HOST``, the default
    socket, or the engine of ``docker/dockerd.sh``): the image of ``docker/Dockerfile`` is
    built if missing (base ``debian:bookworm``, or one made by
    ``docker/make-base-image.sh`` when that cannot be pulled), a container is started on
    the host network with its own ports (default 16444/16445), and COMMAND runs inside
    it (``exec``) as the job user, with this checkout mounted read-only over the
    project's copy in the image. The project's own engine is started only when asked
    (``--via docker`` or ``--provision docker``).
``native``
    ``docker/provision-sge.sh`` on this machine (root, Debian 12, apt): only when asked
    (``--via native``, ``--provision native`` or ``DRMAA_TESTKIT_PROVISION=native``).

Environment that has to exist when the test process starts (``LD_PRELOAD`` of jemalloc,
``DRMAA_LIBRARY_PATH``, ``SGE_ROOT``, ``SGE_CELL``, the ports) comes from
``docker/sge-env.sh``, sourced right before COMMAND. Grid Engine refuses jobs from users
below ``min_uid`` (1000), so when this runs as root COMMAND runs as the job user
(``sgeuser``): on this machine with a venv that user can read (``/opt/drmaa-testkit-venv``,
made on first use, this checkout installed editable); in the container with the image's.

Nothing here imports pytest, drmaa or docker at import time.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.qmaster_switch import ENV as SWITCH_ENV
from conformance.qmaster_switch import QmasterSwitch

# ---------------------------------------------------------------------------- constants
DEFAULT_SGE_ROOT = "/var/lib/gridengine"
DEFAULT_SGE_CELL = "default"
DEFAULT_PORTS = (6444, 6445)
#: Ports of the container's cell: on the host network, beside a native cell on 6444/6445.
DOCKER_PORTS = (16444, 16445)
JOB_USER = os.environ.get("SGE_JOB_USER", "sgeuser")
#: A venv the job user can read, for running COMMAND on this machine as that user.
JOB_VENV = Path(os.environ.get("DRMAA_TESTKIT_JOB_VENV", "/opt/drmaa-testkit-venv"))

IMAGE_REPO = "drmaa-testkit/sge"
LOCAL_BASE_IMAGE = "drmaa-testkit/bookworm-base"
UPSTREAM_BASE_IMAGE = "debian:bookworm"
CONTAINER_HOSTNAME = "sgehead"
LABEL = "drmaa-testkit.cell"
#: The first line of the common/settings.sh that docker/provision-sge.sh writes.
PROVISIONED_MARK = "# written by drmaa-testkit's docker/provision-sge.sh"
#: Where things live inside the image (see docker/Dockerfile).
IMAGE_PROJECT = "/opt/drmaa-testkit"
IMAGE_SHARE = "/usr/local/share/drmaa-testkit"
IMAGE_PATH = "/opt/drmaa-venv/bin:/usr/local/bin:/usr/bin:/bin"
#: The socket of docker/dockerd.sh's engine.
PROJECT_DOCKER_DIR = Path(
    os.environ.get("DRMAA_TESTKIT_DOCKER_DIR", "/var/lib/drmaa-testkit-docker")
)
PROJECT_DOCKER_SOCK = PROJECT_DOCKER_DIR / "docker.sock"

HEALTH_TIMEOUT = 180.0
CHECK_JOB_TIMEOUT = 60
#: Exit status of ``run`` when no cell could be had.
EXIT_NO_CELL = 3

#: Variables passed from the caller's environment to COMMAND (everything else is reset:
#: the job user cannot use root's interpreter, and jobs should not see the caller's env).
PASS_ENV = (
    "TERM",
    "LANG",
    "LC_ALL",
    "CI",
    "PYTEST_ADDOPTS",
    "PY_COLORS",
    "FORCE_COLOR",
    "NO_COLOR",
    "COLUMNS",
    "HYPOTHESIS_PROFILE",
    "TZ",
)
PASS_ENV_PREFIXES = ("DRMAA_TESTKIT_",)

#: Files that make up the image; their digest is the image tag (the code itself is
#: mounted at run time, so editing it does not need a rebuild).
IMAGE_INPUTS = (
    "docker/Dockerfile",
    "docker/entrypoint.sh",
    "docker/provision-sge.sh",
    "docker/stop-sge.sh",
    "docker/sge-env.sh",
    "pyproject.toml",
    "setup.py",
)
#: What the build context holds (docker/Dockerfile COPYs only these).
CONTEXT_FILES = ("pyproject.toml", "setup.py", "README.md")
CONTEXT_DIRS = ("simulator", "conformance", "docker")


class NoCell(Exception):
    """No cell could be had; the message says what was tried and how to get one."""


# ---------------------------------------------------------------------------- logging
_T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[cell {time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Timings:
    """Wall time of each phase, printed at the end of ``run``."""

    phases: list[tuple[str, float]] = field(default_factory=list)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.phases.append((name, time.monotonic() - start))

    def summary(self) -> str:
        return ", ".join(f"{name} {secs:.1f}s" for name, secs in self.phases)


# ---------------------------------------------------------------------------- the cell
@dataclass
class Cell:
    """A cell that runs jobs, and how COMMAND reaches it."""

    kind: str  # existing | docker | native
    sge_root: str = DEFAULT_SGE_ROOT
    sge_cell: str = DEFAULT_SGE_CELL
    qmaster_port: int = DEFAULT_PORTS[0]
    execd_port: int = DEFAULT_PORTS[1]
    description: str = ""
    #: docker: the container's id and the engine's address.
    container: str | None = None
    docker_url: str | None = None
    #: Made by docker/provision-sge.sh on this machine: ours to stop and restart.
    ours: bool = False
    #: What this process started (and so tears down unless --keep).
    started_container: bool = False
    started_engine: bool = False
    started_daemons: bool = False

    def sge_env(self) -> dict[str, str]:
        return {
            "SGE_ROOT": self.sge_root,
            "SGE_CELL": self.sge_cell,
            "SGE_QMASTER_PORT": str(self.qmaster_port),
            "SGE_EXECD_PORT": str(self.execd_port),
        }


def repo_root() -> Path:
    """This checkout: DRMAA_TESTKIT_ROOT, else the directory above this package."""
    env = os.environ.get("DRMAA_TESTKIT_ROOT")
    root = Path(env) if env else Path(__file__).resolve().parent.parent
    if not (root / "docker" / "provision-sge.sh").is_file():
        raise NoCell(
            f"cannot find the drmaa-testkit checkout (looked in {root}; the project must be "
            "installed editable, e.g. `pip install -e .`, or DRMAA_TESTKIT_ROOT set)"
        )
    return root


def _settings_text(common: Path) -> str:
    """A cell's settings.sh (where provision-sge.sh records ports), or '' if unreadable."""
    try:
        return (common / "settings.sh").read_text()
    except OSError:
        return ""


def _read_settings(common: Path) -> dict[str, str]:
    """``VAR=value`` pairs of a cell's settings.sh."""
    text = _settings_text(common)
    return {m.group(1): m.group(2) for m in re.finditer(r"^(SGE_\w+)=([^;\s]*)", text, re.M)}


def _cell_location(
    qmaster_port: int | None = None, execd_port: int | None = None
) -> tuple[str, str, int, int]:
    """SGE_ROOT, SGE_CELL and ports, found as docker/sge-env.sh finds them.

    Explicit ports win; then the cell's settings.sh (as in sge-env.sh, so that the
    environment COMMAND gets agrees); then SGE_QMASTER_PORT/SGE_EXECD_PORT; then 6444/6445.
    """
    root = os.environ.get("SGE_ROOT") or DEFAULT_SGE_ROOT
    cell = os.environ.get("SGE_CELL") or DEFAULT_SGE_CELL
    settings = _read_settings(Path(root, cell, "common"))

    def port(name: str, given: int | None, default: int) -> int:
        if given:
            return given
        value = settings.get(name) or os.environ.get(name)
        return int(value) if value and value.isdigit() else default

    return (
        root,
        cell,
        port("SGE_QMASTER_PORT", qmaster_port, DEFAULT_PORTS[0]),
        port("SGE_EXECD_PORT", execd_port, DEFAULT_PORTS[1]),
    )


# ---------------------------------------------------------------------------- the job user
def _is_root() -> bool:
    return os.geteuid() == 0


def _job_user_home(user: str) -> str:
    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:
        return "/tmp"


def _as_job_user(argv: Sequence[str]) -> list[str]:
    """argv that runs ``argv`` as the job user when we are root (runuser keeps the
    environment it is given, setting HOME, USER and LOGNAME to the job user's).

    The environment is passed as the process's environment, never on a command line:
    any local user can read command lines in /proc, and it may hold the qmaster switch's
    token.
    """
    if _is_root():
        # Found with this process's PATH: the environment handed over need not have sbin.
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return [runuser, "-u", JOB_USER, "--", *argv]
    return list(argv)


#: What the job user's short probes (test -r, test -x) run with.
_PROBE_ENV = {"PATH": "/usr/bin:/bin"}


def _client_env(cell: Cell, path: str) -> dict[str, str]:
    """A small, fixed environment for Grid Engine's client commands (qstat, qsub)."""
    home = _job_user_home(JOB_USER) if _is_root() else os.environ.get("HOME", "/tmp")
    return {"PATH": path, "HOME": home, "LANG": "C.UTF-8", **cell.sge_env()}


def _check_job(cell: Cell) -> str | None:
    """Submit ``/bin/true`` with ``qsub -sync y`` as the job user; a problem, or None."""
    if _is_root():
        try:
            pwd.getpwnam(JOB_USER)
        except KeyError:
            return f"no job user {JOB_USER!r} on this machine (root's jobs are refused)"
    qsub = shutil.which("qsub") or "/usr/bin/qsub"
    argv = _as_job_user([qsub, *"-sync y -b y -j y -o /dev/null -N cell-check /bin/true".split()])
    env = _client_env(cell, "/usr/local/bin:/usr/bin:/bin")
    try:
        out = subprocess.run(
            argv, capture_output=True, text=True, timeout=CHECK_JOB_TIMEOUT, cwd="/", env=env
        )
    except subprocess.TimeoutExpired:
        return f"a /bin/true job did not finish within {CHECK_JOB_TIMEOUT} s"
    text = (out.stdout + out.stderr).strip()
    if out.returncode != 0 or "exited with exit code 0" not in text:
        return f"a /bin/true job failed: {text or f'exit status {out.returncode}'}"
    return None


# ---------------------------------------------------------------------------- existing cell
_BAD_QUEUE_STATES = set("auEdsSDC")


def find_existing(qmaster_port: int | None = None, execd_port: int | None = None) -> Cell:
    """A running cell on this machine that runs jobs; raises NoCell saying why not."""
    root, cell_name, qport, eport = _cell_location(qmaster_port, execd_port)
    where = f"{root}/{cell_name} (qmaster port {qport})"
    if not Path(root, cell_name, "common", "act_qmaster").is_file():
        raise NoCell(f"no cell at {root}/{cell_name} (no common/act_qmaster)")
    qstat = shutil.which("qstat") or "/usr/bin/qstat"
    if not os.access(qstat, os.X_OK):
        raise NoCell(f"cell {where}: Grid Engine's client commands (qstat) are missing")
    cell = Cell("existing", root, cell_name, qport, eport)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", **cell.sge_env()}
    try:
        out = subprocess.run(
            [qstat, "-f"], capture_output=True, text=True, timeout=20, env=env, cwd="/"
        )
    except subprocess.TimeoutExpired:
        raise NoCell(f"cell {where}: the qmaster did not answer `qstat -f` within 20 s") from None
    if out.returncode != 0:
        raise NoCell(f"cell {where}: the qmaster does not answer: {out.stderr.strip()}")
    usable, seen = _usable_queues(out.stdout)
    if not usable:
        raise NoCell(
            f"cell {where}: the qmaster answers but no queue instance can run jobs "
            f"({', '.join(seen) or 'no queue instances'})"
        )
    problem = _check_job(cell)
    if problem:
        raise NoCell(f"cell {where}: the qmaster answers but {problem}")
    master = Path(root, cell_name, "common", "act_qmaster").read_text().strip()
    cell.ours = _settings_text(Path(root, cell_name, "common")).startswith(PROVISIONED_MARK)
    cell.description = (
        f"running cell {root}/{cell_name}, qmaster {master}:{qport}, queues {', '.join(usable)}"
    )
    return cell


def _usable_queues(qstat_f: str) -> tuple[list[str], list[str]]:
    """Queue instances of ``qstat -f`` able to run jobs, and all of them with their states."""
    usable, seen = [], []
    for line in qstat_f.splitlines():
        fields = line.split()
        if len(fields) < 5 or "@" not in fields[0] or "/" not in fields[2]:
            continue
        states = fields[5] if len(fields) > 5 else ""
        seen.append(f"{fields[0]} {states or 'ok'}")
        if not set(states) & _BAD_QUEUE_STATES:
            usable.append(fields[0])
    return usable, seen


# ---------------------------------------------------------------------------- native provisioning
def provision_native(qmaster_port: int | None, execd_port: int | None) -> Cell:
    """Run docker/provision-sge.sh here (idempotent), then use the cell like an existing one."""
    if not _is_root():
        raise NoCell("native provisioning needs root (it installs packages and starts daemons)")
    if not shutil.which("apt-get"):
        raise NoCell("native provisioning needs Debian 12 (apt-get): not found")
    root, cell_name, qport, eport = _cell_location(qmaster_port, execd_port)
    running = _qmaster_answers(Cell("native", root, cell_name, qport, eport))
    script = repo_root() / "docker" / "provision-sge.sh"
    log(f"provisioning a native cell: bash {script} (ports {qport}/{eport})")
    env = {**os.environ, "SGE_QMASTER_PORT": str(qport), "SGE_EXECD_PORT": str(eport)}
    rc = subprocess.call(["bash", str(script)], env=env, stdout=sys.stderr)
    if rc != 0:
        raise NoCell(f"docker/provision-sge.sh failed (exit status {rc}); see its output above")
    cell = find_existing(qport, eport)
    cell.kind = "native"
    cell.started_daemons = not running
    cell.description = "provisioned " + cell.description
    return cell


def _qmaster_answers(cell: Cell) -> bool:
    qstat = shutil.which("qstat")
    if not qstat:
        return False
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **cell.sge_env()}
    try:
        return (
            subprocess.run(
                [qstat, "-f"], capture_output=True, timeout=20, env=env, cwd="/"
            ).returncode
            == 0
        )
    except (subprocess.TimeoutExpired, OSError):
        return False


def stop_native() -> None:
    subprocess.call(["bash", str(repo_root() / "docker" / "stop-sge.sh")], stdout=sys.stderr)


# ---------------------------------------------------------------------------- the qmaster switch
def _checked(argv: Sequence[str], run: Callable[[Sequence[str]], tuple[int, str]]) -> None:
    code, output = run(argv)
    if code != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise RuntimeError(f"{shlex.join(argv)} exited {code}:\n{tail}")


def qmaster_switch(cell: Cell, container: Any) -> QmasterSwitch | None:
    """The switch for the fault-tolerance cases, for a cell this launcher can restart:
    one in a container it runs, or one ``docker/provision-sge.sh`` made on this machine
    (never somebody else's cell, which a restart would reconfigure).

    Stopping runs ``stop-sge.sh qmaster``; starting runs ``provision-sge.sh configure``,
    which starts the qmaster, restarts an execd that outlived it, and checks a job runs.
    """
    if container is not None:
        share = IMAGE_SHARE

        def run(argv: Sequence[str]) -> tuple[int, str]:
            code, output = container.exec_run(list(argv), user="root")
            return code, output.decode("utf-8", "replace")

    elif cell.ours and _is_root():
        share = str(repo_root() / "docker")
        env = {
            **os.environ,
            "SGE_QMASTER_PORT": str(cell.qmaster_port),
            "SGE_EXECD_PORT": str(cell.execd_port),
        }

        def run(argv: Sequence[str]) -> tuple[int, str]:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd="/")
            return done.returncode, done.stdout + done.stderr

    else:
        return None

    def logged(what: str, argv: Sequence[str]) -> Callable[[], None]:
        # Logged with its duration: a case that fails after an outage asks how long it was.
        def action() -> None:
            started = time.monotonic()
            _checked(argv, run)
            log(f"qmaster switch: {what} in {time.monotonic() - started:.1f}s")

        return action

    return QmasterSwitch(
        stop=logged("stopped the qmaster", ["bash", f"{share}/stop-sge.sh", "qmaster"]),
        start=logged("restarted the cell", ["bash", f"{share}/provision-sge.sh", "configure"]),
    )


def ensure_job_venv(repo: Path) -> Path:
    """A venv the job user can run, with this checkout installed editable; its bin dir.

    Root's interpreter (pyenv under /root, a tox env) is not readable by the job user, so
    COMMAND gets its own: Debian's python3 (or this interpreter), ``pip install -e`` of
    this checkout and ``drmaa==0.7.9``. Re-installed when what the install builds from
    changes (pyproject.toml, setup.py, the C library's sources).
    """
    stamp = JOB_VENV / ".drmaa-testkit-installed"
    inputs = [
        repo / "pyproject.toml",
        repo / "setup.py",
        *sorted(repo.glob("simulator/native/*.[ch]")),
    ]
    digest = hashlib.sha256(str(repo).encode())
    for path in inputs:
        digest.update(path.read_bytes())
    want = digest.hexdigest()
    if stamp.is_file() and stamp.read_text().strip() == want:
        return JOB_VENV / "bin"
    probe = subprocess.run(
        _as_job_user(["test", "-r", str(repo / "pyproject.toml")]),
        env=_PROBE_ENV,
        capture_output=True,
    )
    if probe.returncode != 0:
        raise NoCell(
            f"the job user {JOB_USER!r} cannot read this checkout ({repo}): make it readable "
            "(chmod o+rX along the path), or use the docker path"
        )
    _check_venv_path(JOB_VENV)
    base = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    log(f"making {JOB_VENV} for {JOB_USER} ({base}, pip install -e {repo} drmaa==0.7.9)")
    if not (JOB_VENV / "pyvenv.cfg").exists():
        subprocess.run([base, "-m", "venv", str(JOB_VENV)], check=True, stdout=sys.stderr)
    subprocess.run(
        [
            str(JOB_VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "-e",
            str(repo),
            "drmaa==0.7.9",
        ],
        check=True,
        stdout=sys.stderr,
    )
    subprocess.run(["chmod", "-R", "a+rX", str(JOB_VENV)], check=True)
    stamp.write_text(want + "\n")
    return JOB_VENV / "bin"


def _check_venv_path(path: Path) -> None:
    """Refuse to pip-install (and chmod -R) as root anywhere but in a venv of ours: a path
    that does not exist yet, an empty directory, or a venv (it has pyvenv.cfg)."""
    if not path.is_absolute():
        raise NoCell(f"DRMAA_TESTKIT_JOB_VENV must be an absolute path, not {str(path)!r}")
    if path.exists() and any(path.iterdir()) and not (path / "pyvenv.cfg").is_file():
        raise NoCell(
            f"DRMAA_TESTKIT_JOB_VENV={path} is neither a venv nor empty: refusing to install "
            "into it as root"
        )


def _command_env(extra: dict[str, str], home: str, user: str, path: str) -> dict[str, str]:
    """COMMAND's environment before sge-env.sh: fixed, plus what the caller may pass."""
    env = {
        "PATH": path,
        "HOME": home,
        "USER": user,
        "LOGNAME": user,
        "LANG": "C.UTF-8",
        # The job user cannot write a root-owned checkout: no bytecode, no pytest cache.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name, value in os.environ.items():
        if name in PASS_ENV or name.startswith(PASS_ENV_PREFIXES):
            env[name] = value
    env["PYTEST_ADDOPTS"] = " ".join(
        x for x in (env.get("PYTEST_ADDOPTS", ""), "-p no:cacheprovider") if x
    )
    env.update(extra)
    return env


#: Sources sge-env.sh (which needs the SGE_* variables already set), then runs COMMAND.
_RUN_SCRIPT = '. "$0" && cd "$CELL_CWD" && exec "$@"'


def run_here(cell: Cell, command: Sequence[str], extra_env: dict[str, str]) -> int:
    """Run COMMAND on this machine against ``cell``, as the job user when we are root."""
    repo = repo_root()
    cwd = os.getcwd()
    if _is_root():
        bindir = ensure_job_venv(repo)
        home, user = _job_user_home(JOB_USER), JOB_USER
        path = f"{bindir}:/usr/local/bin:/usr/bin:/bin"
        if not _user_can_enter(cwd):
            log(f"{JOB_USER} cannot enter {cwd}: running in {repo}")
            cwd = str(repo)
    else:
        home = os.environ.get("HOME", "/tmp")
        user = pwd.getpwuid(os.getuid()).pw_name
        path = os.environ.get("PATH", "/usr/bin:/bin")
    env = _command_env(extra_env, home, user, path)
    env.update(cell.sge_env())
    env["CELL_CWD"] = cwd
    argv = _as_job_user(["bash", "-c", _RUN_SCRIPT, str(repo / "docker" / "sge-env.sh"), *command])
    log(f"running as {user}: {shlex.join(command)}")
    proc = subprocess.Popen(argv, cwd="/", env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        return proc.wait()


def _user_can_enter(path: str) -> bool:
    probe = ["test", "-x", path, "-a", "-r", path]
    return subprocess.run(_as_job_user(probe), env=_PROBE_ENV).returncode == 0


# ---------------------------------------------------------------------------- docker
def _docker_module() -> Any:
    missing = NoCell("the `docker` Python SDK is not installed (pip install 'drmaa-testkit[sge]')")
    try:
        import docker  # only the docker path needs the SDK
    except ImportError:
        raise missing from None
    # Without the SDK, `import docker` run from the checkout finds its docker/ directory (a
    # namespace package) instead of failing.
    if not hasattr(docker, "from_env"):
        raise missing
    return docker


def docker_client(start_engine: bool, state: State) -> tuple[Any, bool]:
    """A client of a reachable engine, and whether we started that engine.

    DOCKER_HOST (or the default socket) first, then docker/dockerd.sh's socket; with
    ``start_engine``, as root, ``docker/dockerd.sh start`` when none answers.
    """
    docker = _docker_module()
    tried = []
    candidates: list[str | None] = [None]  # None: docker.from_env()
    if not os.environ.get("DOCKER_HOST"):
        candidates.append(f"unix://{PROJECT_DOCKER_SOCK}")
    for url in candidates:
        try:
            if url is None:
                client = docker.from_env(version="auto", timeout=300)
            else:
                client = docker.DockerClient(base_url=url, version="auto", timeout=300)
            client.ping()
            return client, False
        except Exception as exc:
            where = url or os.environ.get("DOCKER_HOST") or "the default socket"
            tried.append(f"{where}: {type(exc).__name__}: {_short(exc)}")
    if not start_engine:
        raise NoCell("no Docker engine answers (" + "; ".join(tried) + ")")
    if not _is_root():
        raise NoCell("no Docker engine answers, and starting one needs root: " + "; ".join(tried))
    log("no Docker engine answers: starting docker/dockerd.sh's")
    state.update(engine_started=True)  # recorded first: `stop` must find it after a crash
    rc = subprocess.call(["bash", str(repo_root() / "docker" / "dockerd.sh"), "start"])
    if rc != 0:
        raise NoCell(f"docker/dockerd.sh start failed (exit status {rc})")
    client = docker.DockerClient(
        base_url=f"unix://{PROJECT_DOCKER_SOCK}", version="auto", timeout=300
    )
    client.ping()
    return client, True


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _image_exists(client: Any, name: str) -> bool:
    docker = _docker_module()
    try:
        client.images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def ensure_base_image(client: Any, requested: str | None) -> str:
    """The BASE of the build: as asked, else debian:bookworm (local or pulled), else a
    local one from docker/make-base-image.sh (no registry reachable)."""
    if requested and requested != LOCAL_BASE_IMAGE:
        if not _image_exists(client, requested):
            log(f"pulling {requested}")
            client.images.pull(requested)
        return requested
    if not requested:
        for name in (UPSTREAM_BASE_IMAGE, LOCAL_BASE_IMAGE):
            if _image_exists(client, name):
                return name
        try:
            log(f"pulling {UPSTREAM_BASE_IMAGE}")
            client.images.pull(UPSTREAM_BASE_IMAGE)
            return UPSTREAM_BASE_IMAGE
        except Exception as exc:
            log(
                f"cannot pull {UPSTREAM_BASE_IMAGE} ({_short(exc, 100)}): making {LOCAL_BASE_IMAGE}"
            )
    elif _image_exists(client, LOCAL_BASE_IMAGE):
        return LOCAL_BASE_IMAGE
    if not _is_root():
        raise NoCell(
            f"{UPSTREAM_BASE_IMAGE} cannot be pulled, and making {LOCAL_BASE_IMAGE} "
            "(debootstrap) needs root: run `sudo bash docker/make-base-image.sh`"
        )
    env = {**os.environ, "DOCKER_HOST": _docker_host_of(client)}
    rc = subprocess.call(
        ["bash", str(repo_root() / "docker" / "make-base-image.sh"), LOCAL_BASE_IMAGE], env=env
    )
    if rc != 0:
        raise NoCell(f"docker/make-base-image.sh failed (exit status {rc})")
    return LOCAL_BASE_IMAGE


def _docker_host_of(client: Any) -> str:
    """The DOCKER_HOST value for the docker CLI that reaches the same engine."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    adapter = client.api.adapters.get("http+docker://")
    path = getattr(adapter, "socket_path", None)
    return f"unix://{path}" if path else "unix:///var/run/docker.sock"


def image_tag(repo: Path, base: str) -> str:
    digest = hashlib.sha256(base.encode())
    for name in IMAGE_INPUTS:
        digest.update(name.encode() + b"\0" + (repo / name).read_bytes())
    return f"{IMAGE_REPO}:{digest.hexdigest()[:12]}"


def _ca_bundle() -> Path | None:
    """This host's CA bundle, for pip inside the build (HTTPS may go through a proxy with
    its own CA). DRMAA_TESTKIT_BUILD_CA= (empty) turns it off."""
    explicit = os.environ.get("DRMAA_TESTKIT_BUILD_CA")
    if explicit is not None:
        return Path(explicit) if explicit else None
    for name in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    default = Path("/etc/ssl/certs/ca-certificates.crt")
    return default if default.is_file() else None


def build_context(repo: Path) -> io.BytesIO:
    """A tar of just what docker/Dockerfile COPYs (no .venv, .git, caches)."""
    buf = io.BytesIO()

    def add(tar: tarfile.TarFile, path: Path, arcname: str) -> None:
        info = tar.gettarinfo(str(path), arcname)
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = 0
        if info.isfile():
            with path.open("rb") as f:
                tar.addfile(info, f)

    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in CONTEXT_FILES:
            add(tar, repo / name, name)
        for top in CONTEXT_DIRS:
            for path in sorted((repo / top).rglob("*")):
                rel = path.relative_to(repo)
                if "__pycache__" in rel.parts or path.suffix == ".pyc" or path.is_symlink():
                    continue
                if ".so" in path.suffixes:  # built here: the image builds its own
                    continue
                if path.is_file():
                    add(tar, path, str(rel))
        ca = _ca_bundle()
        if ca is not None:
            add(tar, ca, "docker/build-ca.crt")
    buf.seek(0)
    return buf


def ensure_image(
    client: Any, repo: Path, base_request: str | None, rebuild: bool, timings: Timings
) -> str:
    with timings.phase("base image"):
        base = ensure_base_image(client, base_request)
    tag = image_tag(repo, base)
    if not rebuild and _image_exists(client, tag):
        log(f"image {tag} exists (base {base})")
        return tag
    log(f"building {tag} from docker/Dockerfile (BASE={base}, network host)")
    with timings.phase("image build"):
        stream = client.api.build(
            fileobj=build_context(repo),
            custom_context=True,
            dockerfile="docker/Dockerfile",
            tag=tag,
            buildargs={"BASE": base},
            network_mode="host",
            rm=True,
            forcerm=True,
            decode=True,
            labels={LABEL: "image"},
            nocache=False,
        )
        last: list[str] = []
        for chunk in stream:
            if "error" in chunk:
                tail = "".join(last[-15:])
                raise NoCell(f"docker build failed: {chunk['error'].strip()}\n{tail}")
            text = chunk.get("stream", "")
            if text:
                last.append(text)
                if text.startswith("Step "):
                    log("  " + text.strip()[:110])
    client.images.get(tag).tag(IMAGE_REPO, "latest")
    return tag


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def container_name(qmaster_port: int) -> str:
    return f"drmaa-testkit-sge-{qmaster_port}"


def _health(container: Any) -> tuple[bool, str]:
    result = container.exec_run(["bash", f"{IMAGE_SHARE}/entrypoint.sh", "health"])
    return result.exit_code == 0, result.output.decode(errors="replace").strip()


def _mountable(repo: Path) -> bool:
    """The job user inside the container (another uid) can read the mounted checkout."""
    for parent in [repo, *repo.parents]:
        if not os.stat(parent).st_mode & 0o001:
            return False
    return bool(os.stat(repo / "pyproject.toml").st_mode & 0o004)


def start_container(
    client: Any, image: str, ports: tuple[int, int], mount: Path | None, state: State
) -> tuple[Any, bool]:
    """A healthy container of ``image`` on the host network; (container, started by us)."""
    docker = _docker_module()
    name = container_name(ports[0])
    try:
        old = client.containers.get(name)
    except docker.errors.NotFound:
        old = None
    if old is not None:
        ok = old.status == "running" and old.image.tags and image in old.image.tags
        if ok and _health(old)[0]:
            log(f"reusing running container {name} ({old.short_id})")
            return old, False
        log(f"removing stale container {name} ({old.status})")
        old.remove(force=True)
    busy = [p for p in ports if _port_in_use(p)]
    if busy:
        raise NoCell(
            f"port(s) {', '.join(map(str, busy))} already in use on this machine (the container "
            "shares the host network): choose others with --qmaster-port/--execd-port"
        )
    volumes = {str(mount): {"bind": IMAGE_PROJECT, "mode": "ro"}} if mount else {}
    mounted = f", {mount} mounted read-only at {IMAGE_PROJECT}" if mount else ""
    log(f"starting {name}: network host, host name {CONTAINER_HOSTNAME}, ports {ports}{mounted}")
    container = client.containers.run(
        image,
        detach=True,
        name=name,
        hostname=CONTAINER_HOSTNAME,
        extra_hosts={CONTAINER_HOSTNAME: "127.0.0.1"},
        network_mode="host",  # never the default bridge (see docs/sge-cell.md)
        init=True,
        labels={LABEL: "cell"},
        volumes=volumes,
        environment={"SGE_QMASTER_PORT": str(ports[0]), "SGE_EXECD_PORT": str(ports[1])},
    )
    state.add_container(container.id)
    try:
        wait_healthy(container)
    except NoCell:
        remove_container(client, container.id)
        state.forget_container(container.id)
        raise
    return container, True


def wait_healthy(container: Any, timeout: float = HEALTH_TIMEOUT) -> None:
    """Until the image's health check (which submits a job) passes."""
    deadline = time.monotonic() + timeout
    message = ""
    while time.monotonic() < deadline:
        container.reload()
        if container.status != "running":
            logs = container.logs(tail=40).decode(errors="replace")
            raise NoCell(f"the container stopped ({container.status}) while starting:\n{logs}")
        ok, message = _health(container)
        if ok:
            return
        time.sleep(0.5)
    logs = container.logs(tail=40).decode(errors="replace")
    raise NoCell(f"the container was not healthy after {timeout:.0f} s ({message}):\n{logs}")


def from_docker(
    args: argparse.Namespace, state: State, timings: Timings, start_engine: bool
) -> tuple[Cell, Any]:
    repo = repo_root()
    with timings.phase("engine"):
        client, started_engine = docker_client(start_engine, state)
    try:
        image = ensure_image(client, repo, args.base_image, args.rebuild, timings)
        ports = (args.qmaster_port or DOCKER_PORTS[0], args.execd_port or DOCKER_PORTS[1])
        mount = repo if args.mount else None
        if mount and not _mountable(repo):
            log(
                f"{repo} is not world-readable: the container's job user cannot read it; "
                "using the code baked into the image instead"
            )
            mount = None
        with timings.phase("container start + first job"):
            container, started = start_container(client, image, ports, mount, state)
    except BaseException:
        if started_engine:  # leave nothing behind when the docker path fails
            stop_engine(state)
        raise
    cell = Cell(
        "docker",
        DEFAULT_SGE_ROOT,
        DEFAULT_SGE_CELL,
        ports[0],
        ports[1],
        description=f"container {container.name} ({container.short_id}, image {image}), "
        f"host {CONTAINER_HOSTNAME}, ports {ports[0]}/{ports[1]}",
        container=container.id,
        docker_url=_docker_host_of(client),
        started_container=started,
        started_engine=started_engine,
    )
    return cell, container


def run_in_container(
    client: Any, container: Any, command: Sequence[str], extra_env: dict[str, str], mounted: bool
) -> int:
    """COMMAND inside the container, as the job user, output streamed; its exit status."""
    repo = repo_root()
    cwd = IMAGE_PROJECT
    here = Path(os.getcwd()).resolve()
    if mounted and (here == repo or repo in here.parents):
        cwd = str(Path(IMAGE_PROJECT, here.relative_to(repo)))
    home = f"/home/{JOB_USER}"
    env = _command_env(extra_env, home, JOB_USER, IMAGE_PATH)
    env["CELL_CWD"] = cwd
    tty = sys.stdout.isatty()
    argv = ["bash", "-c", _RUN_SCRIPT, f"{IMAGE_SHARE}/sge-env.sh", *command]
    log(f"running in {container.name} as {JOB_USER} (cwd {cwd}): {shlex.join(command)}")
    exec_id = client.api.exec_create(
        container.id, argv, user=JOB_USER, environment=env, workdir="/", tty=tty
    )["Id"]
    out = sys.stdout.buffer
    for chunk in client.api.exec_start(exec_id, stream=True, tty=tty):
        out.write(chunk)
        out.flush()
    code = client.api.exec_inspect(exec_id).get("ExitCode")
    return 1 if code is None else int(code)


def stop_engine(state: State) -> None:
    log("stopping the Docker engine this run started (docker/dockerd.sh stop)")
    subprocess.call(["bash", str(repo_root() / "docker" / "dockerd.sh"), "stop"])
    state.update(engine_started=False)


def remove_container(client: Any, container_id: str) -> None:
    docker = _docker_module()
    try:
        container = client.containers.get(container_id)
    except docker.errors.NotFound:
        return
    log(f"stopping container {container.name} ({container.short_id})")
    with contextlib.suppress(Exception):
        container.stop(timeout=30)  # the entrypoint stops both daemons (~10 s)
    container.remove(force=True)


# ---------------------------------------------------------------------------- state (for `stop`)
class State:
    """What `run` started and kept (or left behind by a crash), for `stop`."""

    def __init__(self) -> None:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        self.path = Path(base) / "drmaa-testkit" / "cell.json"
        try:
            self.data: dict[str, Any] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=2) + "\n")

    def update(self, **values: Any) -> None:
        self.data.update(values)
        self.save()

    def add_container(self, container_id: str) -> None:
        ids = self.data.setdefault("containers", [])
        if container_id not in ids:
            ids.append(container_id)
        self.save()

    def forget_container(self, container_id: str) -> None:
        ids = self.data.get("containers", [])
        if container_id in ids:
            ids.remove(container_id)
        self.save()


# ---------------------------------------------------------------------------- getting a cell
HOW_TO_GET_A_CELL = """\
How to get a Grid Engine cell for the sge backend (any one of):
  * a Docker engine: `sudo bash docker/dockerd.sh start` (installs Debian's docker.io if
    needed; host network only), then re-run; or let this start it:
    `python -m conformance.cell run --via docker -- ...` / DRMAA_TESTKIT_PROVISION=docker
  * this machine (root, Debian 12): `python -m conformance.cell run --via native -- ...`,
    or DRMAA_TESTKIT_PROVISION=native tox -e sge (runs docker/provision-sge.sh)
  * a cell you already run: set SGE_ROOT/SGE_CELL (its common/settings.sh gives the ports)
See docs/sge-cell.md."""


def get_cell(args: argparse.Namespace, state: State, timings: Timings) -> tuple[Cell, Any]:
    """A cell by ``args.via``; (cell, docker container or None). Raises NoCell."""
    allowed = {p.strip() for p in (args.provision or "").split(",") if p.strip()}
    tried: list[str] = []
    order = ["existing", "docker", "native"] if args.via == "auto" else [args.via]
    for via in order:
        if via == "native" and args.via == "auto" and "native" not in allowed:
            tried.append("native: not asked for (--provision native / DRMAA_TESTKIT_PROVISION)")
            continue
        try:
            if via == "existing":
                with timings.phase("find existing cell"):
                    return find_existing(args.qmaster_port, args.execd_port), None
            if via == "docker":
                start_engine = args.via == "docker" or "docker" in allowed
                return from_docker(args, state, timings, start_engine)
            if via == "native":
                with timings.phase("native provisioning"):
                    return provision_native(args.qmaster_port, args.execd_port), None
        except NoCell as exc:
            if args.via != "auto":
                raise
            tried.append(f"{via}: {exc}")
            log(f"no {via} cell: {_short(exc, 300)}")
    raise NoCell("no Grid Engine cell available. Tried:\n  - " + "\n  - ".join(tried))


def teardown(cell: Cell, client: Any, state: State) -> list[str]:
    """Undo what this run started: each clean-up is tried whatever the others did, and
    every one that failed is reported (and returned)."""
    steps: list[tuple[str, Callable[[], None]]] = []
    if cell.started_container and cell.container and client is not None:
        container = cell.container

        def remove() -> None:
            remove_container(client, container)
            state.forget_container(container)

        steps.append(("remove the container", remove))
    if cell.started_engine:
        steps.append(("stop the Docker engine", lambda: stop_engine(state)))
    if cell.started_daemons:

        def stop() -> None:
            log("stopping the native cell this run started (docker/stop-sge.sh)")
            stop_native()
            state.update(native_started=False)

        steps.append(("stop the native cell", stop))
    failures = []
    for what, step in steps:
        try:
            step()
        except Exception as exc:
            failures.append(f"could not {what}: {type(exc).__name__}: {_short(exc)}")
            log(f"teardown: could not {what}: {exc}")
    return failures


# ---------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("usage: python -m conformance.cell run [options] -- COMMAND...", file=sys.stderr)
        return 2
    extra_env = dict(args.env)
    state, timings = State(), Timings()
    client = None
    try:
        cell, container = get_cell(args, state, timings)
    except NoCell as exc:
        print(f"drmaa-testkit: {exc}\n\n{HOW_TO_GET_A_CELL}", file=sys.stderr)
        return EXIT_NO_CELL
    log(f"cell: {cell.description}")
    if cell.started_daemons:
        state.update(native_started=True)
    code = 1
    try:
        if container is None and _is_root():
            with timings.phase("job venv"):
                ensure_job_venv(repo_root())
        switch = qmaster_switch(cell, container)
        if switch is not None:
            extra_env.setdefault(SWITCH_ENV, switch.address)
        with timings.phase("command"), switch or contextlib.nullcontext():
            if container is not None:
                client = container.client
                mounted = any(
                    m.get("Destination") == IMAGE_PROJECT for m in container.attrs.get("Mounts", [])
                )
                code = run_in_container(client, container, command, extra_env, mounted)
            else:
                code = run_here(cell, command, extra_env)
    except KeyboardInterrupt:
        code = 130
    except (NoCell, subprocess.CalledProcessError) as exc:
        print(f"drmaa-testkit: {exc}", file=sys.stderr)
        code = EXIT_NO_CELL
    finally:
        if args.keep:
            log("--keep: leaving the cell running (`python -m conformance.cell stop` ends it)")
        else:
            with timings.phase("teardown"):
                failures = teardown(cell, client, state)
            if failures and code == 0:
                print(f"drmaa-testkit: teardown failed: {'; '.join(failures)}", file=sys.stderr)
                code = 1
        log(f"exit status {code}; timings: {timings.summary()}")
    return code


def cmd_status(args: argparse.Namespace) -> int:
    state = State()
    found = 0
    try:
        cell = find_existing(args.qmaster_port, args.execd_port)
        print(f"existing: {cell.description}")
        found += 1
    except NoCell as exc:
        print(f"existing: none ({exc})")
    try:
        client, _ = docker_client(False, state)
        containers = client.containers.list(all=True, filters={"label": LABEL})
        print(f"docker: engine at {_docker_host_of(client)}, {len(containers)} cell container(s)")
        for c in containers:
            ok = _health(c)[0] if c.status == "running" else False
            print(f"docker: {c.name} {c.short_id} {c.status}{' healthy' if ok else ''}")
            found += ok
    except NoCell as exc:
        print(f"docker: {exc}")
    if state.data:
        print(f"state ({state.path}): {json.dumps(state.data)}")
    return 0 if found else 1


def cmd_stop(args: argparse.Namespace) -> int:
    """Tear down what `run --keep` (or a crashed run) left: containers, engine, daemons."""
    state = State()
    rc = 0
    with contextlib.suppress(NoCell):
        client, _ = docker_client(False, state)
        for c in client.containers.list(all=True, filters={"label": LABEL}):
            remove_container(client, c.id)
    state.data.pop("containers", None)
    if state.data.get("engine_started") or args.engine:
        log("stopping the project's Docker engine (docker/dockerd.sh stop)")
        rc |= subprocess.call(["bash", str(repo_root() / "docker" / "dockerd.sh"), "stop"])
        state.data["engine_started"] = False
    if state.data.get("native_started"):
        log("stopping the native cell a run started (docker/stop-sge.sh)")
        stop_native()
        state.data["native_started"] = False
    state.save()
    return rc


def _env_item(text: str) -> tuple[str, str]:
    """``--env NAME=VALUE``: refused with a usage error when it is not one."""
    name, sep, value = text.partition("=")
    if not sep or not name or "\0" in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {text!r}")
    return name, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.cell",
        description="Get a Grid Engine cell for the sge backend and run a command against it.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=HOW_TO_GET_A_CELL,
    )
    sub = parser.add_subparsers(dest="action", required=True)

    def ports(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--qmaster-port",
            type=int,
            default=None,
            help="qmaster port (existing/native: the cell's settings.sh, else "
            f"{DEFAULT_PORTS[0]}; docker: {DOCKER_PORTS[0]})",
        )
        p.add_argument(
            "--execd-port",
            type=int,
            default=None,
            help=f"execd port (default {DEFAULT_PORTS[1]}, docker {DOCKER_PORTS[1]})",
        )

    run = sub.add_parser("run", help="get a cell, run COMMAND against it, tear down")
    run.add_argument(
        "--via",
        choices=("auto", "existing", "docker", "native"),
        default=os.environ.get("DRMAA_TESTKIT_VIA", "auto"),
        help="where the cell comes from (default auto: existing, then docker, "
        "then native if --provision allows it)",
    )
    run.add_argument(
        "--provision",
        default=os.environ.get("DRMAA_TESTKIT_PROVISION", ""),
        help="what auto may set up: 'docker' (start docker/dockerd.sh's engine), "
        "'native' (run docker/provision-sge.sh), or both comma-separated; "
        "default $DRMAA_TESTKIT_PROVISION",
    )
    ports(run)
    run.add_argument(
        "--base-image",
        default=os.environ.get("DRMAA_TESTKIT_BASE_IMAGE"),
        help=f"BASE of the image (default: {UPSTREAM_BASE_IMAGE} if present or "
        f"pullable, else {LOCAL_BASE_IMAGE} made by docker/make-base-image.sh)",
    )
    run.add_argument("--rebuild", action="store_true", help="build the image even if it exists")
    run.add_argument(
        "--no-mount",
        dest="mount",
        action="store_false",
        help="docker: use the code baked into the image, not this checkout",
    )
    run.add_argument(
        "--keep", action="store_true", help="leave what was started running (end it with `stop`)"
    )
    run.add_argument(
        "--env",
        action="append",
        default=[],
        type=_env_item,
        metavar="NAME=VALUE",
        help="extra environment for COMMAND (repeatable)",
    )
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND...")
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="say which cells answer (starts nothing)")
    ports(status)
    status.set_defaults(func=cmd_status)

    stop = sub.add_parser("stop", help="tear down what `run --keep` or a crashed run left")
    stop.add_argument(
        "--engine",
        action="store_true",
        help="also stop docker/dockerd.sh's engine even if no run started it",
    )
    stop.set_defaults(func=cmd_stop)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
