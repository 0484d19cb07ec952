"""What a job's TMPDIR costs: a new directory per job against a recycled one, in the same run.

    python benchmarks/tmpdir_bench.py [--jobs 2000] [--root /tmp]

Each job's TMPDIR is made before it starts and removed after it ends. This times both ways
over the same job names, in alternating blocks: ``mkdir`` + ``rmdir`` (what the simulator
did before), and ``TmpDirs.create`` + ``TmpDirs.remove`` (an empty TMPDIR kept as a spare and
renamed into place for the next job). Only the making lies on the path to a job's start; the
removal happens in the reaper thread. On ext4 a ``mkdir`` slows down the more directories
were removed shortly before, so the first figure depends on what the file system just did.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from simulator.executors.tmpdirs import TmpDirs

BLOCK = 100


def _fresh(root: int, names: list[str]) -> tuple[float, float]:
    make = remove = 0.0
    for name in names:
        start = time.perf_counter()
        os.mkdir(name, dir_fd=root)
        made = time.perf_counter()
        os.rmdir(name, dir_fd=root)
        make, remove = make + made - start, remove + time.perf_counter() - made
    return make, remove


def _recycled(dirs: TmpDirs, names: list[str]) -> tuple[float, float]:
    make = remove = 0.0
    for name in names:
        start = time.perf_counter()
        dirs.create(name)
        made = time.perf_counter()
        dirs.remove(name)
        make, remove = make + made - start, remove + time.perf_counter() - made
    return make, remove


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--root", default=tempfile.gettempdir())
    options = parser.parse_args()

    root = os.open(options.root, os.O_RDONLY | os.O_DIRECTORY)
    dirs = TmpDirs(options.root)
    fresh: list[tuple[float, float]] = []
    recycled: list[tuple[float, float]] = []
    try:
        for first in range(0, options.jobs, BLOCK):
            names = [f"bench{os.getpid()}-{n}.1.all.q" for n in range(first, first + BLOCK)]
            fresh.append(_fresh(root, names))
            recycled.append(_recycled(dirs, names))
    finally:
        dirs.close()
        os.close(root)

    def per_job(times: list[tuple[float, float]], i: int) -> float:
        return statistics.median(t[i] for t in times) / BLOCK * 1e6

    print(f"{options.jobs} TMPDIRs in {options.root}, median of {len(fresh)} blocks, us per job:")
    for label, times in (("mkdir + rmdir", fresh), ("recycled spare", recycled)):
        print(f"  {label:15s} make {per_job(times, 0):6.1f}  remove {per_job(times, 1):6.1f}")
    print(f"making a TMPDIR, new / recycled: {per_job(fresh, 0) / per_job(recycled, 0):.1f}x")


if __name__ == "__main__":
    main()
