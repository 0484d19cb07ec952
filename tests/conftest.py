"""Fixtures for the project's own tests of the simulator.

Nothing a test's jobs write may land outside temporary directories, and no job may run as
root: for the whole run, jobs get a scratch home directory (``DRMAA_SIM_HOME``, inherited by
the simulators of child processes too), and when the tests run as root, jobs run as an
unprivileged user (``DRMAA_SIM_JOB_USER``, default ``nobody``). Tests hand their jobs a
``job_dir`` to write in, owned by that user.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import simulator.drmaa as sim_drmaa
from simulator import control
from simulator.executors.launch import queue_tmpdir
from simulator.executors.tmpdirs import ROOT_PREFIX


def pytest_configure(config: pytest.Config) -> None:
    user = control.harness_job_user()
    if user is not None:
        os.environ.setdefault("DRMAA_SIM_JOB_USER", user)
    home = control.make_job_dir(user, prefix="drmaa-testkit-home-")
    config.stash[_HOME] = (home, os.environ.get("DRMAA_SIM_HOME"))
    os.environ["DRMAA_SIM_HOME"] = home


def pytest_unconfigure(config: pytest.Config) -> None:
    home, before = config.stash[_HOME]
    control.shutdown()
    shutil.rmtree(home, ignore_errors=True)
    if before is None:
        os.environ.pop("DRMAA_SIM_HOME", None)
    else:
        os.environ["DRMAA_SIM_HOME"] = before


_HOME = pytest.StashKey[tuple[str, "str | None"]]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run leaves nothing behind: once the last cell is shut down, no simulator thread
    runs on, no job's TMPDIR root of this process is left, and the scratch home holds no
    more than the jobs wrote there (it goes with the run). A leak fails the run."""
    control.shutdown()
    leaks = [
        f"thread {thread.name} still runs"
        for thread in threading.enumerate()
        if thread.name.startswith(("simulator-", "qmaster-"))
    ]
    parent = queue_tmpdir()
    prefix = f"{ROOT_PREFIX}{os.getpid()}-"
    leaks += [
        f"TMPDIR root {os.path.join(parent, name)} left behind"
        for name in os.listdir(parent)
        if name.startswith(prefix)
    ]
    if leaks and exitstatus == 0:
        print("\nthe tests left behind: " + "; ".join(leaks))
        session.exitstatus = 1


@pytest.fixture
def job_dir() -> Iterator[Path]:
    """A fresh directory the test's jobs may write in (their user's); removed after."""
    path = control.make_job_dir(os.environ.get("DRMAA_SIM_JOB_USER"))
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


def _fresh(clock: str, slots: int = 8) -> Iterator[ModuleType]:
    control.reset(clock=clock, slots=slots)
    try:
        yield sim_drmaa
    finally:
        try:
            sim_drmaa.Session.exit()
        except sim_drmaa.NoActiveSessionException:
            pass
        control.reset(clock="real")


@pytest.fixture
def vdrmaa() -> Iterator[ModuleType]:
    """The simulated drmaa on a fresh cluster with a virtual clock; no session open."""
    yield from _fresh("virtual")


@pytest.fixture
def rdrmaa() -> Iterator[ModuleType]:
    """The simulated drmaa on a fresh cluster running real processes; no session open."""
    yield from _fresh("real")


@pytest.fixture
def vsession(vdrmaa: ModuleType) -> Iterator[type]:
    """An initialized session on the virtual clock."""
    vdrmaa.Session.initialize()
    yield vdrmaa.Session


@pytest.fixture
def rsession(rdrmaa: ModuleType) -> Iterator[type]:
    """An initialized session running real processes."""
    rdrmaa.Session.initialize()
    yield rdrmaa.Session


def template(drmaa: ModuleType, command: str, *args: str, **attributes: object):
    jt = drmaa.Session.createJobTemplate()
    jt.remoteCommand = command
    jt.args = list(args)
    for name, value in attributes.items():
        setattr(jt, name, value)
    return jt
