"""The conformance suite's wall time on sim-virtual, through the real binding and our C
library (binding-sim-virtual), and against real Grid Engine.

    python benchmarks/conformance_bench.py [--sge]

Runs ``pytest conformance`` on ``sim-virtual`` (goal: under 10 s) and on
``binding-sim-virtual`` (drmaa-python over our libdrmaa and a qmaster daemon; goal: at most
3x sim-virtual's time) and, with ``--sge``, the same suite on real Grid Engine through
``python -m conformance.cell run`` (a cell found or started as ``tox -e sge`` does), then
prints the ratios (goal: both simulated runs at least 50x faster).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    summary = [line for line in done.stdout.splitlines() if re.search(r" (passed|failed)", line)]
    return elapsed, (summary[-1] if summary else f"exit {done.returncode}").strip("= ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sge", action="store_true", help="also run it on real Grid Engine")
    options = parser.parse_args()
    pytest = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider"]
    virtual, outcome = timed([*pytest, "--drmaa-backend=sim-virtual"])
    print(f"sim-virtual: {virtual:.1f} s wall ({outcome}) (goal < 10 s)")
    binding, outcome = timed([*pytest, "--drmaa-backend=binding-sim-virtual"])
    print(
        f"binding-sim-virtual: {binding:.1f} s wall ({outcome}), "
        f"{binding / virtual:.2f}x sim-virtual (goal <= 3x)"
    )
    if options.sge:
        launcher = [sys.executable, "-m", "conformance.cell", "run", "--"]
        sge, outcome = timed([*launcher, "python", *pytest[1:], "--drmaa-backend=sge"])
        print(f"sge: {sge:.1f} s wall, cell set-up included ({outcome})")
        print(f"sim-virtual is {sge / virtual:.0f}x faster than sge (goal >= 50x)")
        print(f"binding-sim-virtual is {sge / binding:.0f}x faster than sge (goal >= 50x)")


if __name__ == "__main__":
    main()
