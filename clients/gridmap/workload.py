"""gridmap's grid_map of a function over four inputs, two slots each (gridmap asks for them
with ``-pe smp 2``), on the simulated cell: every call runs as a cluster job that fetches its
input from, and sends its result back to, this process over ZeroMQ.

Prints ``RESULT <json>``: per input, the value and the job id and slot count it ran with.
"""

import json
import os

import gridmap.job
from gridmap import grid_map

# gridmap's JobMonitor listens on the first address of getaddrinfo(getfqdn()) that is not
# 127.0.0.1, if any. These machines may send nothing to non-loopback addresses: name the
# loopback address as the host, so that it listens, and its jobs call back, on 127.0.0.1.
gridmap.job.getfqdn = lambda: "127.0.0.1"


def square(x):
    return x * x, os.environ.get("JOB_ID"), os.environ.get("NSLOTS")


if __name__ == "__main__":
    results = grid_map(
        square,
        [1, 2, 3, 4],
        num_slots=2,
        temp_dir=os.path.join(os.getcwd(), "gridmap-logs"),
        require_cluster=True,
    )
    print("RESULT " + json.dumps([list(r) for r in results]), flush=True)
