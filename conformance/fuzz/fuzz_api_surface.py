"""The API-surface fuzzer as a pytest test (not collected with the conformance cases or the
project's tests: name the file).

    pytest conformance/fuzz/fuzz_api_surface.py --hypothesis-profile=ci
    pytest conformance/fuzz/fuzz_api_surface.py --hypothesis-profile=nightly

It needs no ``--drmaa-backend``: it always compares the in-process drop-in
(``simulator.drmaa``) with drmaa-python over the project's C libdrmaa and a simulated qmaster
daemon, which it starts and stops itself. drmaa-python is imported into the test process
for good, so run it in a pytest process of its own, apart from ``--drmaa-backend=sge`` or
``binding-sim`` runs. A failure prints the shrunk program as a script;
``python -m conformance.fuzz.api_surface FILE`` replays it on both sides. With ``-s`` the test
prints how many calls it did not make, and why (the known differences among them).
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.fuzz import profiles as _profiles  # noqa: F401 - registers dev/ci/nightly
from conformance.fuzz.api_surface import NOT_MADE, cells, make_machine


def test_api_surface() -> None:
    NOT_MADE.clear()
    try:
        with cells() as pair:
            run_state_machine_as_test(make_machine(pair), settings=settings(settings.default))
    finally:  # shown with -s (or -rP): what the run left out, known differences first
        for why, count in sorted(NOT_MADE.items()):
            print(f"calls not made: {count:6d}  {why}")
