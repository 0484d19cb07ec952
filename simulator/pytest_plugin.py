"""pytest glue for the simulator: the ``simulated_drmaa`` fixture.

    def test_my_workflow(simulated_drmaa):
        run_my_pipeline()          # its ``import drmaa`` gets the simulator

The fixture gives each test a fresh, empty cluster (real clock unless the test is marked
``@pytest.mark.simulator(clock="virtual", slots=2)``; the marker takes every argument of
``simulator.control.reset``, ``job_user=`` and ``home=`` among them), installs the drop-in as
``drmaa``, and afterwards exits a session the test left open and restores what ``drmaa``
was. Like Grid Engine, the cluster refuses root's jobs: a suite that runs as root names the
user its jobs run as (``job_user=``, or ``DRMAA_SIM_JOB_USER``).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from simulator import control
from simulator.dropin import install, uninstall


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "simulator(clock='real', slots=8, job_user=None, home=None, ...): configure the "
        "simulated_drmaa cluster (any argument of simulator.control.reset)",
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
