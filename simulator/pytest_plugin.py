"""pytest glue for the simulator: the ``simulated_drmaa`` fixture.

    def test_my_workflow(simulated_drmaa):
        run_my_pipeline()          # its ``import drmaa`` gets the simulator

The fixture gives each test a fresh, empty cluster (real clock unless the test is marked
``@pytest.mark.simulator(clock="virtual", slots=2)``), installs the drop-in as ``drmaa``,
and afterwards exits a session the test left open and restores what ``drmaa`` was.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from simulator import control
from simulator.dropin import install, uninstall


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "simulator(clock='real', slots=8): configure the simulated_drmaa cluster"
    )


@pytest.fixture
def simulated_drmaa(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """The simulated ``drmaa`` module, installed as ``drmaa`` for this test."""
    marker = request.node.get_closest_marker("simulator")
    settings = dict(marker.kwargs) if marker else {}
    control.reset(**settings)
    module = install()
    try:
        yield module
    finally:
        uninstall()
        control.reset()
