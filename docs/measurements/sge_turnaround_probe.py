"""Measure job turnaround through a DRMAA library: runJob + wait of /bin/true, one at a time.

Run as an unprivileged user with the environment of docker/sge-env.sh, on a cell with the
fast scheduler of docker/provision-sge.sh (schedule_interval 0:0:1, flush_*_sec 1).
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import statistics
import time

import drmaa

N = 20
s = drmaa.Session()
t0 = time.perf_counter()
s.initialize()
print(f"initialize: {time.perf_counter() - t0:.3f}s")
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/true"
jt.outputPath = ":/dev/null"
jt.joinFiles = True

submit, total = [], []
for _ in range(N):
    t0 = time.perf_counter()
    j = s.runJob(jt)
    t1 = time.perf_counter()
    s.wait(j, 60)
    t2 = time.perf_counter()
    submit.append(t1 - t0)
    total.append(t2 - t0)
print(f"runJob alone over {N}: median {statistics.median(submit) * 1000:.1f} ms, "
      f"max {max(submit) * 1000:.1f} ms")
print(f"runJob+wait of /bin/true over {N}: median {statistics.median(total):.3f}s, "
      f"min {min(total):.3f}s, max {max(total):.3f}s")
print("all (s):", [round(x, 3) for x in total])

for n in (20,):
    t0 = time.perf_counter()
    ids = s.runBulkJobs(jt, 1, n, 1)
    s.synchronize(ids, 300, True)
    print(f"bulk of {n} /bin/true tasks, runBulkJobs+synchronize: {time.perf_counter() - t0:.2f}s")
t0 = time.perf_counter()
ids = [s.runJob(jt) for _ in range(20)]
s.synchronize(ids, 300, True)
print(f"20 single /bin/true jobs submitted at once, then synchronize: {time.perf_counter() - t0:.2f}s")
s.deleteJobTemplate(jt)
t0 = time.perf_counter()
s.exit()
print(f"exit: {time.perf_counter() - t0:.3f}s")
