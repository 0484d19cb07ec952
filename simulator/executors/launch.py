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
HOME_PLACEHOLDER = "$drmaa_hd_ph$"
WD_PLACEHOLDER = "$drmaa_wd_ph$"
INDEX_PLACEHOLDER = "$drmaa_incr_ph$"
# Output files are appended to, created if missing (with the umask applied), like "ab".
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC


def job_name(job: Job) -> str:
    return job.spec.name or os.path.basename(job.spec.command)


def _expand(path: str, job: Job, home: str, wd: str) -> str:
    return (
        path.replace(HOME_PLACEHOLDER, home)
        .replace(WD_PLACEHOLDER, wd)
        .replace(INDEX_PLACEHOLDER, str(job.task or ""))
    )


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
        self.tmpdirs = TmpDirs(tmp_root or tempfile.gettempdir(), owner)
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

    def environment(self, job: Job, wd: str, paths: dict[str, str]) -> dict[str, str]:
        """Grid Engine's variables for the job, then what the template asked for."""
        name, tmp = job_name(job), self.tmpdir(job)
        first, last, step = (str(n) for n in job.spec.task_range or ("undefined",) * 3)
        env = {
            "HOME": self.home,
            "USER": self.user,
            "LOGNAME": self.user,
            "SHELL": "/bin/sh",
            "PWD": wd,
            "TMPDIR": tmp,
            "TMP": tmp,
            "PATH": _DEFAULT_PATH,
            "TERM": "",
            "HOSTNAME": self.host,
            "JOB_ID": str(job.number),
            "JOB_NAME": name,
            "REQUEST": name,
            "REQNAME": name,
            "QUEUE": _QUEUE,
            "NSLOTS": "1",
            "NHOSTS": "1",
            "NQUEUES": "1",
            "RESTARTED": "0",
            "ENVIRONMENT": "BATCH",
            "ARC": _ARCH,
            "SGE_ARCH": _ARCH,
            "SGE_CWD_PATH": wd,
            "SGE_TASK_ID": "undefined" if job.task is None else str(job.task),
            "SGE_TASK_FIRST": first,
            "SGE_TASK_LAST": last,
            "SGE_TASK_STEPSIZE": step,
            **paths,
            **job.spec.origin,
        }
        env.update(job.spec.env)
        env["PATH"] = f"{tmp}:{env['PATH']}"  # Grid Engine puts the job's TMPDIR first
        return env

    def __call__(self, job: Job) -> subprocess.Popen:
        with self._acting():  # what the job may reach is decided by its user's rights
            ready = self._prepare(job)
        try:
            self.tmpdirs.create(self.tmpdir_name(job))
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
        wd = _expand(spec.workdir, job, home, home) if spec.workdir else home
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
            env = self.environment(job, wd, paths)
            executable = _resolve(spec.command, env["PATH"], wd)
        except BaseException:
            for fd in opened:
                os.close(fd)
            raise
        argv = [spec.command, *spec.args]
        return _Prepared(argv, executable, wd, env, (stdin, stdout, stderr), opened)

    def finished(self, job: Job) -> None:
        """The job's process is gone: remove its TMPDIR, as the execd does."""
        self.tmpdirs.remove(self.tmpdir_name(job))

    def close(self) -> None:
        """No job is left to start or finish: let go of what was kept for the next one."""
        self.tmpdirs.close()

    def _open(
        self, opened: list[int], path: str | None, job: Job, wd: str, output: bool, default: str
    ) -> tuple[int, str]:
        """Open a job's input (read) or output (append, created) file as Grid Engine does."""
        target = _expand(path, job, self.home, wd) if path else default
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
