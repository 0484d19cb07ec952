"""dask-drmaa: a DRMAACluster starts two dask workers as one array job of two tasks, each
asking for two slots (``-pe smp 2``), on the simulated cell; a distributed Client maps a
function over six inputs on them and sums the results.

The scheduler and the workers listen on 127.0.0.1 only. Prints ``RESULT <json>``: the
total, the workers' names (dask-drmaa names each worker after its JOB_ID.SGE_TASK_ID),
and per input the job and slot count it ran in.
"""

import json
import os
import time

from dask_drmaa import DRMAACluster
from distributed import Client

WORKERS = 2


def square(x):
    job = f"{os.environ.get('JOB_ID')}.{os.environ.get('SGE_TASK_ID')}"
    return x * x, job, os.environ.get("NSLOTS")


if __name__ == "__main__":
    template = {
        "nativeSpecification": "-pe smp 2",
        "args": ["--host", "127.0.0.1", "--nthreads", "2"],
    }
    with DRMAACluster(
        template=template, ip="127.0.0.1", hostname="127.0.0.1", dashboard_address=None
    ) as cluster:
        cluster.start_workers(WORKERS)
        with Client(cluster) as client:
            deadline = time.monotonic() + 60
            while len(client.scheduler_info()["workers"]) < WORKERS:
                if time.monotonic() > deadline:
                    raise SystemExit(f"fewer than {WORKERS} workers after 60 s")
                time.sleep(0.1)
            names = sorted(w["name"] for w in client.scheduler_info()["workers"].values())
            futures = client.map(square, range(6))
            values = client.gather(futures)
            total = client.submit(sum, [v for v, _, _ in values]).result()
    print("RESULT " + json.dumps({"total": total, "workers": names, "values": values}), flush=True)
