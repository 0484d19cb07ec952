"""Our C libdrmaa over the simulated qmaster daemon: per-call cost and the daemon's memory.

    python benchmarks/library_bench.py [--calls N] [--jobs N]

Prints, in one run:
- the median cost of one ``drmaa_job_ps`` through the C library (ctypes straight to the C
  function), of ``jobStatus`` through drmaa-python over it, and of the in-process drop-in's
  ``jobStatus``, for N calls each on a held job (goal: the C call's median <= 50 us);
- the daemon's resident memory per finished, unreaped job, for N such jobs.

Each part runs in a child process: a process loads one ``drmaa``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CALLS = r"""
import ctypes, json, os, statistics, sys, time
calls = int(sys.argv[1])

def median_us(call):
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000

if sys.argv[2] == "drop-in":
    import simulator.drmaa as drmaa
else:
    import drmaa
s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["3600"]
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
job = s.runJob(jt)
result = {"jobStatus": median_us(lambda: s.jobStatus(job))}
if sys.argv[2] == "library":
    lib = ctypes.CDLL(os.environ["DRMAA_LIBRARY_PATH"])
    state, diag, raw = ctypes.c_int(), ctypes.create_string_buffer(1024), job.encode()
    ps = lib.drmaa_job_ps
    result["drmaa_job_ps"] = median_us(lambda: ps(raw, ctypes.byref(state), diag, 1024))
s.control(job, drmaa.JobControlAction.TERMINATE)
s.exit()
print(json.dumps(result))
"""

FILL = r"""
import drmaa, sys
jobs = int(sys.argv[1])
s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/true"
ids = []
while len(ids) < jobs:
    ids += s.runBulkJobs(jt, 1, min(50000, jobs - len(ids)), 1)
s.synchronize([s.JOB_IDS_SESSION_ALL], -1, False)  # all finished, none reaped
print(s.contact, flush=True)
sys.stdin.readline()  # the session stays open (and the jobs unreaped) until told
s.exit()
"""


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=100_000)
    options = parser.parse_args()

    from simulator import server
    from simulator.control import harness_job_user
    from simulator.native import library_path

    user = harness_job_user()
    env = {**os.environ, "DRMAA_SIM_CLOCK": "virtual"}
    if user:
        env["DRMAA_SIM_JOB_USER"] = user
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "calls.py"
        script.write_text(CALLS)
        inproc = subprocess.run(
            [sys.executable, str(script), str(options.calls), "drop-in"],
            capture_output=True, text=True, check=True, env=env, cwd=ROOT,
        )  # fmt: skip
        with server.running(clock="virtual", job_user=user) as qmaster:
            lib_env = {**env, server.ENV: qmaster.path, "DRMAA_LIBRARY_PATH": library_path()}
            through = subprocess.run(
                [sys.executable, str(script), str(options.calls), "library"],
                capture_output=True, text=True, check=True, env=lib_env, cwd=ROOT,
            )  # fmt: skip
            drop_in = json.loads(inproc.stdout)
            library = json.loads(through.stdout)
            print(
                f"per call, median of {options.calls}: drmaa_job_ps through the C library "
                f"{library['drmaa_job_ps']:.1f} us (goal <= 50 us); jobStatus through "
                f"drmaa-python over it {library['jobStatus']:.1f} us; the in-process drop-in's "
                f"jobStatus {drop_in['jobStatus']:.1f} us "
                f"(the library costs {library['jobStatus'] / drop_in['jobStatus']:.1f}x)"
            )

            pid = qmaster.ping()
            before = _rss_kib(pid)
            fill = Path(scratch) / "fill.py"
            fill.write_text(FILL)
            holder = subprocess.Popen(
                [sys.executable, str(fill), str(options.jobs)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=lib_env, cwd=ROOT,
            )  # fmt: skip
            assert holder.stdout is not None
            holder.stdout.readline()
            after = _rss_kib(pid)
            holder.communicate("\n", timeout=600)
            per_job = (after - before) * 1024 / options.jobs
            print(
                f"daemon memory: {before / 1024:.1f} MiB idle, {after / 1024:.1f} MiB holding "
                f"{options.jobs:,} finished, unreaped jobs: {per_job:.0f} bytes per job"
            )


if __name__ == "__main__":
    main()
