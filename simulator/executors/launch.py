"""Turning a job spec into a running process the way Grid Engine's execd would.

Grid Engine does not hand the submitter's environment to a DRMAA job: the job sees a small
environment of its own plus ``jobEnvironment``. Its working directory defaults to the home
directory, and output it is not told where to put lands in ``$HOME/<name>.o<id>``.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from contextlib import ExitStack
from typing import IO

from simulator.executors.processes import LaunchError, NotExecutable
from simulator.model.jobs import Job

_DEFAULT_PATH = "/usr/local/bin:/bin:/usr/bin"
HOME_PLACEHOLDER = "$drmaa_hd_ph$"
WD_PLACEHOLDER = "$drmaa_wd_ph$"
INDEX_PLACEHOLDER = "$drmaa_incr_ph$"


def _home() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return os.path.expanduser("~")


def job_name(job: Job) -> str:
    return job.spec.name or os.path.basename(job.spec.command)


def workdir(job: Job, home: str) -> str:
    wd = job.spec.workdir
    if not wd:
        return home
    return wd.replace(HOME_PLACEHOLDER, home).replace(INDEX_PLACEHOLDER, str(job.task or ""))


def expand_path(path: str, job: Job, home: str, wd: str) -> str:
    """Expand the DRMAA placeholders of an input/output/error path for this job."""
    return (
        path.replace(HOME_PLACEHOLDER, home)
        .replace(WD_PLACEHOLDER, wd)
        .replace(INDEX_PLACEHOLDER, str(job.task or ""))
    )


def environment(job: Job, home: str, wd: str, user: str) -> dict[str, str]:
    """The job's environment: Grid Engine's basics, then what the template asked for."""
    env = {
        "HOME": home,
        "USER": user,
        "LOGNAME": user,
        "PATH": _DEFAULT_PATH,
        "SHELL": "/bin/sh",
        "PWD": wd,
        "JOB_ID": str(job.number),
        "JOB_NAME": job_name(job),
        "SGE_TASK_ID": "undefined" if job.task is None else str(job.task),
        "ENVIRONMENT": "BATCH",
        "REQUEST": job_name(job),
    }
    env.update(job.spec.env)
    return env


def _resolve(command: str, path: str, wd: str) -> str:
    """The file a command names, looked up in the job's PATH when it has no slash."""
    if "/" in command:
        candidates = [command if os.path.isabs(command) else os.path.join(wd, command)]
    else:
        candidates = [os.path.join(d or ".", command) for d in path.split(os.pathsep)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            if not os.access(candidate, os.X_OK):
                raise NotExecutable(candidate)
            return candidate
    raise LaunchError(f"command not found: {command}")


class Launcher:
    """Starts job processes: own session and process group, files opened as Grid Engine does."""

    def __init__(self, home: str | None = None) -> None:
        self.home = home or _home()
        self.user = pwd.getpwuid(os.getuid()).pw_name

    def __call__(self, job: Job) -> subprocess.Popen:
        spec, home = job.spec, self.home
        wd = workdir(job, home)
        if not os.path.isabs(wd) or not os.path.isdir(wd):
            raise LaunchError(f"no such working directory: {wd}")  # relative ones too
        env = environment(job, home, wd, self.user)
        executable = _resolve(spec.command, env["PATH"], wd)
        suffix = "" if job.task is None else f".{job.task}"
        out_default = os.path.join(home, f"{job_name(job)}.o{job.number}{suffix}")
        err_default = os.path.join(home, f"{job_name(job)}.e{job.number}{suffix}")
        with ExitStack() as files:
            stdin: IO[bytes] | int = subprocess.DEVNULL
            if spec.input_path:
                stdin = self._open(files, spec.input_path, job, wd, "rb", os.devnull)
            stdout = self._open(files, spec.output_path, job, wd, "ab", out_default)
            if spec.join_files:
                stderr: IO[bytes] | int = stdout
            else:
                stderr = self._open(files, spec.error_path, job, wd, "ab", err_default)
            try:
                return subprocess.Popen(
                    [spec.command, *spec.args],
                    executable=executable,
                    stdin=stdin,
                    stdout=stdout,
                    stderr=stderr,
                    cwd=wd,
                    env=env,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as error:
                raise LaunchError(str(error)) from error

    def _open(
        self, files: ExitStack, path: str | None, job: Job, wd: str, mode: str, default: str
    ) -> IO[bytes]:
        target = expand_path(path, job, self.home, wd) if path else default
        if not os.path.isabs(target):
            target = os.path.join(wd, target)
        if os.path.isdir(target) and "a" in mode:
            # A directory as output path: Grid Engine puts the default file name in it.
            target = os.path.join(target, os.path.basename(default))
        try:
            return files.enter_context(open(target, mode))
        except OSError as error:
            raise LaunchError(str(error)) from error
