"""Turning a job spec into a running process the way Grid Engine's execd does (measured).

A DRMAA job does not inherit the submitter's environment: it sees Grid Engine's own
variables plus ``jobEnvironment``, with a per-job ``TMPDIR`` put first in ``PATH``. Its
working directory defaults to the home directory; output and error it is not told where to
put go to ``<name>.o<id>`` and ``<name>.e<id>`` in the working directory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import stat
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

from simulator.executors.identity import JobUser, ThreadCredentials
from simulator.executors.processes import LaunchError, NotExecutable
from simulator.executors.tmpdirs import TmpDirs
from simulator.model.jobs import Job

_DEFAULT_PATH = "/usr/local/bin:/bin:/usr/bin"
_ARCH = "lx-amd64"
_QUEUE = "all.q"
# What the execd's own environment gives every job (provision-sge.sh starts it with LANG
# set; sge_job_env_probe): a template's jobEnvironment may set these.
_INHERITED = {"LANG": "C.UTF-8"}
# Output files are appended to, created if missing (with the umask applied), like "ab".
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC


def queue_tmpdir() -> str:
    """Where jobs' TMPDIRs go: all.q's ``tmpdir``, ``/tmp`` on Grid Engine (measured:
    sge_job_env_probe), whatever TMPDIR the submitter has. (A TMPDIR under the submitter's
    long one broke jobs whose Unix sockets live there: paths are limited to 107 bytes.)
    ``DRMAA_SIM_TMPDIR`` moves it, as a cell's queue configuration would."""
    configured = os.environ.get("DRMAA_SIM_TMPDIR")
    if configured:
        return configured
    return "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()


def job_name(job: Job) -> str:
    spec = job.spec
    return os.path.basename(spec.command) if spec.name is None else spec.name


# Grid Engine's path variables, as its execd expands them in the output, error and input
# paths and the working directory (sge_placeholders_probe): only these names, matched as a
# prefix; ``$$`` is one ``$``; anything else (``${JOB_ID}``, ``$FOO``, ``$SGE_TASK_ID``, a
# lone ``$``) stays as it is.
_PATH_VARIABLE = re.compile(r"\$(HOME|JOB_ID|TASK_ID|JOB_NAME|USER|HOSTNAME|\$)")


def expand_path(path: str, job: Job, user: str, home: str, host: str) -> str:
    """A path with Grid Engine's variables expanded for ``job``; ``$TASK_ID`` is 0 in a
    job that is not an array job (measured)."""
    if "$" not in path:
        return path
    values = {
        "HOME": home,
        "JOB_ID": str(job.number),
        "TASK_ID": str(job.task or 0),
        "JOB_NAME": job_name(job),
        "USER": user,
        "HOSTNAME": host,
        "$": "$",
    }
    return _PATH_VARIABLE.sub(lambda match: values[match.group(1)], path)


def _resolve(command: str, path: str, wd: str) -> str:
    """The file a command names, looked up in the job's PATH when it has no slash."""
    if "/" in command:
        candidates = [command if os.path.isabs(command) else os.path.join(wd, command)]
    else:
        candidates = [os.path.join(d or ".", command) for d in path.split(os.pathsep)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            # effective_ids: the calling thread's file-system identity (the job user's).
            if not os.access(candidate, os.X_OK, effective_ids=True):
                raise NotExecutable(candidate)
            return candidate
    raise LaunchError(f"command not found: {command}")


def _check_shared_directory(path: str, uid: int, output: bool) -> None:
    """Refuse what Linux refuses in sticky world-writable directories such as /tmp when
    ``fs.protected_symlinks`` and ``fs.protected_regular`` are on (systemd's defaults): to
    follow a symlink there that is neither the job user's nor the directory owner's, or to
    open for writing an existing file there that is neither's. Another local user could
    otherwise plant ``/tmp/x.out`` as a link to the job user's files; Grid Engine's shepherd
    opens the path as the job user and the kernel stops it. Checked here too, for hosts
    where those switches are off; the last path component only."""
    try:
        st = os.lstat(path)
    except OSError:
        return  # nothing there yet (or unreachable: open says so)
    is_link = stat.S_ISLNK(st.st_mode)
    if st.st_uid == uid or not (is_link or (output and stat.S_ISREG(st.st_mode))):
        return
    parent = os.stat(os.path.dirname(path) or ".")
    shared = parent.st_mode & (stat.S_ISVTX | stat.S_IWOTH) == stat.S_ISVTX | stat.S_IWOTH
    if shared and st.st_uid != parent.st_uid:
        what = "a symlink" if is_link else "a file"
        raise PermissionError(
            errno.EACCES, f"{what} of another user in a shared directory is not followed", path
        )


def _write(path: str, content: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.write(fd, content)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


class _Prepared(NamedTuple):
    """A job ready to start: what Popen takes, and the descriptors to close after it."""

    argv: list[str]
    executable: str
    wd: str
    env: dict[str, str]
    stdio: tuple[int, int, int]
    opened: list[int]


class Launcher:
    """Starts job processes: own session and process group, files opened as Grid Engine does.

    Jobs run as ``user`` (default: this process's user); another user needs root, and then
    everything the job's rights decide (its working directory, its files, its command) is
    looked at and opened acting as that user (:mod:`simulator.executors.identity`).
    """

    def __init__(
        self, home: str | None = None, tmp_root: str | None = None, user: JobUser | None = None
    ) -> None:
        self.job_user = user or JobUser.caller()
        self.home = home or self.job_user.home
        self.user = self.job_user.name
        self.host = socket.gethostname().split(".")[0]
        self._acting: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext
        self._popen_identity: dict[str, Any] = {}
        owner = None
        if self.job_user.is_other:
            self._acting = ThreadCredentials(self.job_user).acting
            u = self.job_user
            self._popen_identity = {"user": u.uid, "group": u.gid, "extra_groups": u.groups}
            owner = (u.uid, u.gid)
        self.tmpdirs = TmpDirs(tmp_root or queue_tmpdir(), owner)
        # Every job without an input path reads this; Popen would open /dev/null anew each time.
        self._devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)

    def __del__(self) -> None:
        fd = getattr(self, "_devnull", None)
        if fd is not None:
            os.close(fd)

    @staticmethod
    def tmpdir_name(job: Job) -> str:
        return f"{job.number}.{job.task or 1}.{_QUEUE}"

    def tmpdir(self, job: Job) -> str:
        return self.tmpdirs.path(self.tmpdir_name(job))

    def environment(self, job: Job, wd: str, paths: dict[str, str], script: str) -> dict[str, str]:
        """What the template asked for, under Grid Engine's own variables: a job cannot
        set those (sge_job_env_probe), except PATH, which gets the job's TMPDIR put first,
        and PWD. Without a working directory of its own, PWD is where the shepherd runs
        the job (here: the home directory); with one, the directory as the template gave
        it, unexpanded (a shell then finds its real place by itself: measured)."""
        spec = job.spec
        name, tmp = job_name(job), self.tmpdir(job)
        first, last, step = (str(n) for n in spec.task_range or ("undefined",) * 3)
        asked = spec.env
        env = {**_INHERITED, **asked} if asked else dict(_INHERITED)
        env.update(
            HOME=self.home,
            USER=self.user,
            LOGNAME=self.user,
            SHELL="/bin/sh",
            TMPDIR=tmp,
            TMP=tmp,
            PATH=f"{tmp}:{asked.get('PATH', _DEFAULT_PATH)}",
            TERM="",
            HOSTNAME=self.host,
            JOB_ID=str(job.number),
            JOB_NAME=name,
            JOB_SCRIPT=script,
            REQUEST=name,
            REQNAME=name,
            QUEUE=_QUEUE,
            NSLOTS=str(job.slots or 1),
            NHOSTS="1",
            NQUEUES="1",
            RESTARTED="0",
            ENVIRONMENT="BATCH",
            ARC=_ARCH,
            SGE_ARCH=_ARCH,
            SGE_ACCOUNT="sge",
            SGE_CELL="default",
            SGE_CWD_PATH=wd,
            SGE_TASK_ID="undefined" if job.task is None else str(job.task),
            SGE_TASK_FIRST=first,
            SGE_TASK_LAST=last,
            SGE_TASK_STEPSIZE=step,
        )
        env.update(paths)
        env.update(spec.origin)
        if spec.pe is not None:
            env["PE"] = spec.pe
            env["PE_HOSTFILE"] = self._side_file(job, ".pe_hostfile")
        if "PWD" not in asked:
            env["PWD"] = spec.workdir or self.home
        return env

    def _side_file(self, job: Job, suffix: str) -> str:
        """A file of the job's beside its TMPDIR: a parallel job's host file, a ``-b n``
        job's script (Grid Engine keeps them in the execd's spool directory)."""
        return os.path.join(self.tmpdirs.root, self.tmpdir_name(job) + suffix)

    def _write_side_files(self, job: Job) -> None:
        """Written by the simulator itself (the job may read them, not change them): the
        host file (``<host> <slots> all.q@<host> UNDEFINED``: measured) and the script."""
        spec = job.spec
        if spec.pe is not None:
            text = f"{self.host} {job.slots} {_QUEUE}@{self.host} UNDEFINED\n"
            _write(self._side_file(job, ".pe_hostfile"), text.encode(), 0o644)
        if spec.script is not None:
            _write(self._side_file(job, ".script"), spec.script, 0o755)

    def __call__(self, job: Job) -> subprocess.Popen:
        with self._acting():  # what the job may reach is decided by its user's rights
            ready = self._prepare(job)
        try:
            self.tmpdirs.create(self.tmpdir_name(job))
            if job.spec.pe is not None or job.spec.script is not None:
                self._write_side_files(job)
            try:
                return subprocess.Popen(
                    ready.argv,
                    executable=ready.executable,
                    stdin=ready.stdio[0],
                    stdout=ready.stdio[1],
                    stderr=ready.stdio[2],
                    cwd=ready.wd,
                    env=ready.env,
                    start_new_session=True,
                    close_fds=True,
                    **self._popen_identity,
                )
            except OSError as error:
                self.finished(job)
                raise LaunchError(str(error)) from error
        finally:
            for fd in ready.opened:
                os.close(fd)

    def _prepare(self, job: Job) -> _Prepared:
        """Everything the job's process needs, its standard files opened."""
        spec, home = job.spec, self.home
        wd = self._expand(spec.workdir, job) if spec.workdir else home
        # Entering it needs search permission (checked here: Popen enters it before it
        # switches to the job's user).
        if not os.path.isabs(wd) or not os.path.isdir(wd):
            raise LaunchError(f"no such working directory: {wd}")  # relative ones too
        if not os.access(wd, os.X_OK, effective_ids=True):
            raise LaunchError(f"cannot enter the working directory: {wd}")
        suffix = "" if job.task is None else f".{job.task}"
        name = job_name(job)
        out_default = os.path.join(wd, f"{name}.o{job.number}{suffix}")
        err_default = os.path.join(wd, f"{name}.e{job.number}{suffix}")
        opened: list[int] = []  # raw descriptors: a file object per job costs more than it gives
        try:
            stdin, in_path = self._devnull, os.devnull
            if spec.input_path:
                stdin, in_path = self._open(opened, spec.input_path, job, wd, False, os.devnull)
            stdout, out_path = self._open(opened, spec.output_path, job, wd, True, out_default)
            if spec.join_files:
                stderr, err_path = stdout, out_path
            else:
                stderr, err_path = self._open(opened, spec.error_path, job, wd, True, err_default)
            paths = {
                "SGE_STDIN_PATH": in_path,
                "SGE_STDOUT_PATH": out_path,
                "SGE_STDERR_PATH": err_path,
            }
            shell: list[str] = []
            if spec.script is None:
                command = spec.command
                env = self.environment(job, wd, paths, command)
                executable = _resolve(command, env["PATH"], wd)
            else:  # -b n: the spooled copy of the script runs (a shell's, without #!)
                command = self._side_file(job, ".script")
                env = self.environment(job, wd, paths, command)
                executable = command
                if not spec.script.startswith(b"#!"):
                    executable, shell = "/bin/sh", ["/bin/sh"]
        except BaseException:
            for fd in opened:
                os.close(fd)
            raise
        argv = [*shell, command, *spec.args]
        return _Prepared(argv, executable, wd, env, (stdin, stdout, stderr), opened)

    def _expand(self, path: str, job: Job) -> str:
        return expand_path(path, job, self.user, self.home, self.host)

    def finished(self, job: Job) -> None:
        """The job's process is gone: remove its TMPDIR, as the execd does."""
        name = self.tmpdir_name(job)
        self.tmpdirs.remove(name)
        spec = job.spec
        if spec.pe is not None or spec.script is not None:
            for suffix in (".pe_hostfile", ".script"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.tmpdirs.root, name + suffix))

    def close(self) -> None:
        """No job is left to start or finish: let go of what was kept for the next one."""
        self.tmpdirs.close()

    def _open(
        self, opened: list[int], path: str | None, job: Job, wd: str, output: bool, default: str
    ) -> tuple[int, str]:
        """Open a job's input (read) or output (append, created) file as Grid Engine does."""
        target = self._expand(path, job) if path else default
        if not os.path.isabs(target):
            target = os.path.join(wd, target)
        try:
            _check_shared_directory(target, self.job_user.uid, output)
            if output:
                try:
                    fd = os.open(target, _APPEND, 0o666)
                except IsADirectoryError:
                    # A directory as output path: Grid Engine puts the default file name in it.
                    target = os.path.join(target, os.path.basename(default))
                    fd = os.open(target, _APPEND, 0o666)
            else:
                fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
                if stat.S_ISDIR(os.fstat(fd).st_mode):
                    os.close(fd)
                    raise IsADirectoryError(errno.EISDIR, "Is a directory", target)
        except OSError as error:
            raise LaunchError(str(error)) from error
        opened.append(fd)
        return fd, target
