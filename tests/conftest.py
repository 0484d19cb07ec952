"""Fixtures for the project's own tests of the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

import simulator.drmaa as sim_drmaa
from simulator import control


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
