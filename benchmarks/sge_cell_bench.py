"""Real Grid Engine cells: time to the first finished DRMAA job, and job turnaround.

    python benchmarks/sge_cell_bench.py [--via native docker] [--fresh] [--rebuild]

For each way of getting a cell, runs ``python -m conformance.cell run --via WAY`` with
``benchmarks/turnaround.py`` as the command and prints: how long after the launcher
started the first DRMAA job (``runJob`` + ``wait`` of ``/bin/true``) had finished, the
launcher's phase timings (native: provisioning, which ends with a health-check job, and the
job user's venv; docker: engine, base image, image build, container start + first job) and
the turnaround (median of 20, goal <= 1.2 s).

Without options the cells start from what this machine already has (packages installed, an
image built): a warm start. ``--fresh`` first takes the machine back to a fresh host of its
kind, for the cells this run starts: native, Grid Engine's packages purged and its spool,
cell directory and the job user's venv removed; docker, the project's images removed and
the engine stopped, so its start, the base image and the build are included (installing the
engine, Debian's docker.io, is not undone).
``--rebuild`` rebuilds the image only. Run as root on Debian 12, on a machine whose cells
may be thrown away: ``--fresh`` stops and purges any Grid Engine there.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.turnaround import T0_ENV  # noqa: E402
from conformance import cell  # noqa: E402

PACKAGES = [
    "gridengine-master",
    "gridengine-exec",
    "gridengine-client",
    "gridengine-common",
    "gridengine-drmaa1.0",
]


def fresh_native() -> None:
    """A host that never had Grid Engine: no daemons, packages, spool, cell or job venv."""
    subprocess.run(["bash", str(ROOT / "docker" / "stop-sge.sh")], capture_output=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "purge", "-y", "-qq", *PACKAGES], env=env, capture_output=True)
    for path in ("/var/lib/gridengine", "/var/spool/gridengine", str(cell.JOB_VENV)):
        shutil.rmtree(path, ignore_errors=True)
    print("[native] fresh: stopped and purged Grid Engine, removed its spool and the job venv")


def fresh_docker() -> None:
    """No cell container, none of the project's images (base included), engine stopped."""
    subprocess.run(
        [sys.executable, "-m", "conformance.cell", "stop"], cwd=ROOT, capture_output=True
    )
    dockerd = ["bash", str(ROOT / "docker" / "dockerd.sh")]
    subprocess.run([*dockerd, "start"], capture_output=True, check=True)
    docker = ["docker", "-H", f"unix://{cell.PROJECT_DOCKER_SOCK}"]
    listing = subprocess.run(
        [*docker, "images", "--format", "{{.Repository}}:{{.Tag}}",
         "--filter", "reference=drmaa-testkit/*"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    # By name, cell images before the base they are built on.
    images = sorted(set(listing.stdout.split()), reverse=True)
    for image in images:
        subprocess.run([*docker, "rmi", "-f", image], capture_output=True, check=True)
    subprocess.run([*dockerd, "stop"], capture_output=True, check=True)
    print(f"[docker] fresh: removed {len(images)} project image(s), stopped the engine")


def run(way: str, rebuild: bool) -> None:
    extra = ["--rebuild"] if rebuild and way == "docker" else []
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cell", "run", "--via", way, *extra, "--",
         "python", "benchmarks/turnaround.py", "--jobs", "20"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, T0_ENV: repr(start)},
    )  # fmt: skip
    elapsed = time.time() - start
    output = done.stdout + done.stderr
    print(f"[{way}] exit {done.returncode}, {elapsed:.1f} s in all")
    for line in output.splitlines():
        if line.startswith(("first DRMAA job", "turnaround")) or "timings:" in line:
            line = re.sub(r"^\[cell\s+[\d.]+s\] ", "", line.strip())
            goal = " (goal <= 1.2 s)" if line.startswith("turnaround") else ""
            print(f"[{way}] {line}{goal}")
    if done.returncode != 0:
        print(output[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--via", nargs="+", default=["native", "docker"])
    parser.add_argument("--fresh", action="store_true", help="start from a fresh host (see above)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the image")
    options = parser.parse_args()
    for way in options.via:
        if options.fresh:
            (fresh_native if way == "native" else fresh_docker)()
        run(way, options.rebuild)


if __name__ == "__main__":
    main()
