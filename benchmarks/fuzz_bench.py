"""Fuzzer speed: state-machine steps per second on sim-virtual (goal: >= 1,000).

    python benchmarks/fuzz_bench.py [--examples 300] [--steps 40]

A step is one rule: one drmaa call (or one per side in differential mode) judged by the
reference model. The baseline in the same run is the same number of bare simulator calls
(jobStatus on a live job), to show what the model and hypothesis cost on top.
"""

from __future__ import annotations

import argparse
import time

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.backends import resolve
from conformance.fuzz.machine import make_machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=40)
    options = parser.parse_args()

    backend = resolve("sim-virtual")
    machine = make_machine(backend)
    budget = settings(
        max_examples=options.examples,
        stateful_step_count=options.steps,
        deadline=None,
        database=None,
        derandomize=True,
    )
    start = time.perf_counter()
    run_state_machine_as_test(machine, settings=budget)
    elapsed = time.perf_counter() - start
    steps = machine.steps

    drmaa = backend.module
    backend.reset()
    drmaa.Session.initialize()
    jt = drmaa.Session.createJobTemplate()
    jt.remoteCommand = "/bin/sleep"
    jt.args = ["100000"]
    job = drmaa.Session.runJob(jt)
    start = time.perf_counter()
    for _ in range(steps):
        drmaa.Session.jobStatus(job)
    bare = time.perf_counter() - start
    drmaa.Session.exit()
    backend.reset()

    print(
        f"fuzzer on sim-virtual: {steps} steps in {elapsed:.2f} s = {steps / elapsed:,.0f} "
        f"steps/s (goal >= 1,000); the same number of bare jobStatus calls: "
        f"{steps / bare:,.0f} calls/s, so a step costs {elapsed / bare:.0f}x a bare call"
    )


if __name__ == "__main__":
    main()
