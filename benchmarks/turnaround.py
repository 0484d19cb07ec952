"""runJob+wait turnaround of /bin/true through whatever ``drmaa`` is importable (median).

    python benchmarks/turnaround.py [--jobs 20]

Run it where a cell is (``python -m conformance.cell run -- python benchmarks/turnaround.py``)
or on the simulator (``python -m simulator benchmarks/turnaround.py``). The baseline in the
same run is ``subprocess.run(['/bin/true'])``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

#: Set by benchmarks/sge_cell_bench.py: when the launcher was started (time.time()).
T0_ENV = "DRMAA_TESTKIT_BENCH_T0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    options = parser.parse_args()
    import drmaa  # here, so that the benchmark scripts can import T0_ENV without libdrmaa

    local = []
    for _ in range(options.jobs):
        start = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        local.append(time.perf_counter() - start)

    turnaround = []
    with drmaa.Session() as session:
        jt = session.createJobTemplate()
        jt.remoteCommand = "/bin/true"
        jt.outputPath = ":/dev/null"
        jt.joinFiles = True
        for _ in range(options.jobs):
            start = time.perf_counter()
            info = session.wait(session.runJob(jt), drmaa.Session.TIMEOUT_WAIT_FOREVER)
            turnaround.append(time.perf_counter() - start)
            assert info.exitStatus == 0, info
            if T0_ENV in os.environ and len(turnaround) == 1:
                since = time.time() - float(os.environ[T0_ENV])
                print(f"first DRMAA job finished {since:.1f} s after the launcher started")
        drms = session.drmsInfo

    median, base = statistics.median(turnaround), statistics.median(local)
    print(
        f"turnaround on {drms} ({drmaa.__name__}): runJob+wait of /bin/true, median of "
        f"{options.jobs}: {median:.3f} s (min {min(turnaround):.3f}, max {max(turnaround):.3f}); "
        f"subprocess.run: {base * 1000:.2f} ms, ratio {median / base:.0f}x"
    )


if __name__ == "__main__":
    main()
