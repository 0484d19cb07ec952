"""Memory the simulator keeps after jobs are reaped, printed as figures (nothing asserted).

    python benchmarks/memory_bench.py [--jobs 1000000] [--arrays 1000]

1. sequential: N jobs on the virtual clock, each ``runJob`` then ``wait`` by id, in one
   session (issue 13's goal: RSS at the end within 1.5x of the start). The baseline is
   the RSS after a warm-up of 10,000 jobs in the same run.
2. arrays: A array jobs of 100 tasks, every task waited for by its id: an array job's
   bookkeeping must go with its last task.

Reaped jobs must leave nothing behind; what does is printed per job.
"""

from __future__ import annotations

import argparse
import gc
import time

import _harness

import simulator.drmaa as drmaa
from simulator import control

Session = drmaa.Session
WARM_UP = 10_000


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _template() -> drmaa.JobTemplate:
    jt = Session.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    return jt


def _run_sequential(jt: drmaa.JobTemplate, count: int) -> None:
    for _ in range(count):
        Session.wait(Session.runJob(jt), Session.TIMEOUT_WAIT_FOREVER)


def _run_arrays(jt: drmaa.JobTemplate, count: int) -> None:
    for _ in range(count):
        for task in Session.runBulkJobs(jt, 1, 100, 1):
            Session.wait(task, Session.TIMEOUT_WAIT_FOREVER)


def measure(what: str, run, jt: drmaa.JobTemplate, count: int, jobs_per: int) -> None:
    run(jt, WARM_UP // jobs_per)
    gc.collect()
    start = rss_kib()
    began = time.perf_counter()
    run(jt, count)
    elapsed = time.perf_counter() - began
    gc.collect()
    end = rss_kib()
    jobs = count * jobs_per
    print(
        f"{what}: {jobs:,} jobs in {elapsed:.1f} s; RSS {start / 1024:.1f} -> "
        f"{end / 1024:.1f} MiB (ratio {end / start:.2f}; "
        f"{(end - start) * 1024 / jobs:.1f} B kept per job)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--arrays", type=int, default=1_000)
    options = parser.parse_args()
    _harness.configure()
    control.reset(clock="virtual")
    Session.initialize()
    try:
        jt = _template()
        measure("sequential, wait by id", _run_sequential, jt, options.jobs, 1)
        measure("array tasks, wait by id", _run_arrays, jt, options.arrays, 100)
    finally:
        Session.exit()
        control.reset()


if __name__ == "__main__":
    main()
