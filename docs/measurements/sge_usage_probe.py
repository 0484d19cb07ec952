"""Probe JobInfo.resourceUsage of jobs that use CPU, memory and I/O: the full dict for a
CPU-bound shell loop (~2 s of CPU), a process that allocates ~200 MB (held 1 s and 3 s), a pipe that moves
200 MB, a job that writes 100 MB to a file, a job whose CPU is used by a child process, and an
idle `sleep 2` for comparison.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR):

    bash docs/measurements/run-probe.sh sge_usage_probe

Jobs run one at a time. Values differ from run to run (they are measurements); the keys and
the relations between them (cpu against ru_utime + ru_stime, maxvmem against the allocation,
ru_maxrss units, wallclock against start/end) are the point.
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import shutil
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")
SUB = f"{D}/usage"
LOOP = "i=0; while [ $i -lt 1500000 ]; do i=$((i+1)); done"
PY = "/usr/bin/python3"

shutil.rmtree(SUB, ignore_errors=True)
os.makedirs(SUB)
s = drmaa.Session()
s.initialize()


def run(label, remote, args):
    jt = s.createJobTemplate()
    jt.remoteCommand = remote
    jt.args = args
    jt.outputPath = f":{SUB}/out"
    jt.joinFiles = True
    jt.workingDirectory = SUB
    t0 = time.time()
    j = s.runJob(jt)
    s.deleteJobTemplate(jt)
    info = s.wait(j, 60)
    ru = info.resourceUsage
    print(f"--- {label}: hasExited={info.hasExited} exitStatus={info.exitStatus} "
          f"(runJob→wait {time.time() - t0:.1f}s); output {open(SUB + '/out').read()[-200:]!r}", flush=True)
    os.unlink(SUB + "/out")
    for k in sorted(ru):
        print(f"  {k} = {ru[k]}", flush=True)
    f = {k: float(v) for k, v in ru.items()}
    print(f"  derived: ru_utime+ru_stime = {f['ru_utime'] + f['ru_stime']:.4f}; cpu = {f['cpu']:.4f}; "
          f"end_time-start_time = {f['end_time'] - f['start_time']:.4f}; ru_wallclock = {f['ru_wallclock']:.4f}; "
          f"maxvmem/2**20 = {f['maxvmem'] / 2**20:.1f} MiB; ru_maxrss = {f['ru_maxrss']:.0f} "
          f"(/1024 = {f['ru_maxrss'] / 1024:.1f}); mem/cpu = {f['mem'] / f['cpu'] if f['cpu'] else float('nan'):.4f}",
          flush=True)
    return info


print(f"keys of a job's resourceUsage, in dict order, are printed sorted below; python3 at {PY}: "
      f"{os.access(PY, os.X_OK)}", flush=True)
run("idle: sleep 2", "/bin/sleep", ["2"])
run("CPU-bound shell loop (1.5 million iterations)", "/bin/sh", ["-c", LOOP])
run("CPU in a child process (sh -c loop &; wait)", "/bin/sh", ["-c", f"/bin/sh -c '{LOOP}' & wait"])
run("allocate 200 MB in python3 (bytearray, touched), sleep 1", PY,
    ["-c", "import time; b = bytearray(200_000_000); time.sleep(1); print(len(b))"])
run("allocate 200 MB in python3 (bytearray, touched), sleep 3", PY,
    ["-c", "import time; b = bytearray(200_000_000); time.sleep(3); print(len(b))"])
run("head -c 200000000 /dev/zero | tail > /dev/null", "/bin/sh",
    ["-c", "head -c 200000000 /dev/zero | tail > /dev/null; echo done"])
run("write 100 MB to a file (dd), then remove it", "/bin/sh",
    ["-c", f"dd if=/dev/zero of={SUB}/big bs=1M count=100 status=none; sync; rm -f {SUB}/big; echo done"])
s.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
s.exit()
shutil.rmtree(SUB, ignore_errors=True)
