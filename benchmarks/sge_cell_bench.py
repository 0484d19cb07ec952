"""Real Grid Engine cells: time to the first finished DRMAA job, and job turnaround.

    python benchmarks/sge_cell_bench.py [--via native docker] [--rebuild]

For each way of getting a cell, runs ``python -m conformance.cell run --via WAY`` with
``benchmarks/turnaround.py`` as the command and prints the launcher's phase timings (for
native: provisioning, which ends with a health-check job; for docker: engine, base image,
image build, container start + first job) and the turnaround (median of 20, goal <= 1.2 s).
``--rebuild`` builds the image even if it exists, so the build is included; without it an
image already built is reused and its build time is excluded. Run as root on Debian 12.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(way: str, rebuild: bool) -> None:
    extra = ["--rebuild"] if rebuild and way == "docker" else []
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cell", "run", "--via", way, *extra, "--",
         "python", "benchmarks/turnaround.py", "--jobs", "20"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    output = done.stdout + done.stderr
    phases = [line.strip() for line in output.splitlines() if re.search(r"\d+\.\d+s", line)]
    turnaround = [line for line in output.splitlines() if line.startswith("turnaround")]
    print(f"[{way}] exit {done.returncode}, {elapsed:.1f} s in all")
    for line in phases[-3:]:
        print(f"[{way}] phases: {line}")
    for line in turnaround:
        print(f"[{way}] {line} (goal <= 1.2 s)")
    if done.returncode != 0:
        print(output[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--via", nargs="+", default=["native", "docker"])
    parser.add_argument("--rebuild", action="store_true", help="include the image build")
    options = parser.parse_args()
    for way in options.via:
        run(way, options.rebuild)


if __name__ == "__main__":
    main()
