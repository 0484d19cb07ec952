"""The lifecycle fuzzer as a pytest test (not collected with the conformance cases).

    pytest conformance/fuzz/fuzz_lifecycle.py --drmaa-backend=sim-virtual --hypothesis-profile=ci
    pytest conformance/fuzz/fuzz_lifecycle.py --drmaa-backend=sim-virtual --drmaa-peer=sge

Rules of a hypothesis state machine cannot take fixtures, so the machine class is built
here from the backend fixtures and run with ``run_state_machine_as_test``. A failure prints
the shrunk program as a runnable ``import drmaa`` script; hypothesis's example database
(``.hypothesis/``) keeps it for the next run.
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.fuzz.machine import make_machine
from conformance.fuzz.profiles import settings_for


def test_session_lifecycle(drmaa_backend, drmaa_peer_backend) -> None:
    if drmaa_backend.error:
        pytest.fail(drmaa_backend.error, pytrace=False)
    machine = make_machine(drmaa_backend, peer=drmaa_peer_backend)
    slowest = drmaa_backend if drmaa_peer_backend is None else drmaa_peer_backend
    run_state_machine_as_test(machine, settings=settings_for(slowest))
