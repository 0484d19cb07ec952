"""Probe submission failures of a DRMAA library: runJob with bad templates, jobs that
cannot start, runBulkJobs index ranges.

Run as an unprivileged user with the environment of docker/sge-env.sh (jobs write into
$PROBE_DIR). The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import os
import time

import drmaa

D = os.environ.get("PROBE_DIR", "/tmp/sgeprobe")


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


def trace(s, job, limit=20.0):
    """jobStatus every 0.1 s until done/failed/exception or `limit` s: the distinct states."""
    seen, t0 = [], time.time()
    while time.time() - t0 < limit:
        try:
            st = s.jobStatus(job)
        except Exception as e:
            st = f"{type(e).__name__}: {e}"
        if not seen or seen[-1][1] != st:
            seen.append((round(time.time() - t0, 1), st))
        if st in ("done", "failed") or st.startswith(("Invalid", "NoActive")):
            break
        time.sleep(0.1)
    return seen


def submit_and_follow(s, name, **attrs):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", "cat; echo out; echo err >&2"]
    jt.outputPath = f":{D}/{name}.o"
    jt.errorPath = f":{D}/{name}.e"
    try:
        for k, v in attrs.items():
            setattr(jt, k, v)
        job = s.runJob(jt)
    except Exception as e:
        print(f"{name}: runJob {type(e).__name__}: {e}", flush=True)
        return None
    finally:
        s.deleteJobTemplate(jt)
    print(f"{name}: runJob OK -> {job!r}", flush=True)
    print(f"{name}: states {trace(s, job)}", flush=True)
    t0 = time.time()
    probe(f"{name}: wait", lambda: s.wait(job, 15))
    print(f"{name}: wait took {time.time() - t0:.1f}s", flush=True)
    probe(f"{name}: jobStatus after wait", lambda: s.jobStatus(job))
    if not s_done(s, job):
        probe(f"{name}: terminate (clean-up)", lambda: s.control(job, drmaa.JobControlAction.TERMINATE))
        probe(f"{name}: wait after terminate", lambda: s.wait(job, 15))
    return job


def s_done(s, job):
    try:
        s.jobStatus(job)
        return False
    except drmaa.errors.InvalidJobException:
        return True


s = drmaa.Session()
s.initialize()

print("--- job ids of consecutive submissions (do rejected submissions use up ids?)")
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/true"
jt.outputPath = ":/dev/null"
jt.joinFiles = True
a = s.runJob(jt)
jt.jobName = "bad/slash"
probe("rejected submission", lambda: s.runJob(jt))
jt.jobName = "ok"
b = s.runJob(jt)
print(f"ids around a rejected submission: {a} then {b}", flush=True)
s.synchronize([a, b], 30, True)
s.deleteJobTemplate(jt)

print("--- runJob with an incomplete template")
jt = s.createJobTemplate()
probe("runJob with nothing set", lambda: s.runJob(jt))
jt.args = ["x"]
probe("runJob with args but no remoteCommand", lambda: s.runJob(jt))
jt.remoteCommand = ""
probe("runJob with remoteCommand ''", lambda: s.runJob(jt))
s.deleteJobTemplate(jt)

print("--- jobs that cannot start or cannot open their files")
submit_and_follow(s, "missing_command", remoteCommand="/no/such/command", args=[])
submit_and_follow(s, "relative_missing_command", remoteCommand="no_such_command_xyz", args=[])
submit_and_follow(s, "not_executable", remoteCommand="/etc/hostname", args=[])
submit_and_follow(s, "missing_input", inputPath=":/no/such/input/file")
submit_and_follow(s, "output_missing_dir", outputPath=":/no/such/dir/out")
submit_and_follow(s, "error_missing_dir", errorPath=":/no/such/dir/err")
submit_and_follow(s, "output_not_writable", outputPath=":/var/lib/gridengine/out")
submit_and_follow(s, "error_not_writable", errorPath=":/var/lib/gridengine/err")
submit_and_follow(s, "missing_workdir", workingDirectory="/no/such/workdir")
submit_and_follow(s, "relative_workdir", workingDirectory="relative/dir")
submit_and_follow(s, "input_ok", inputPath=":/etc/hostname")
submit_and_follow(s, "start_time_garbage", startTime="garbage")
submit_and_follow(s, "start_time_past", startTime="00:00")
submit_and_follow(s, "job_name_slash", jobName="bad/slash")
submit_and_follow(s, "job_name_space", jobName="has space")
submit_and_follow(s, "job_name_digit", jobName="1abc")
submit_and_follow(s, "native_bogus_option", nativeSpecification="-bogus")
submit_and_follow(s, "native_unknown_resource", nativeSpecification="-l nosuchresource=1")
submit_and_follow(s, "native_unknown_queue", nativeSpecification="-q nosuchqueue")
submit_and_follow(s, "native_hard_runtime", nativeSpecification="-l h_rt=1",
                  args=["-c", "sleep 30"])

print("--- a job that can never be scheduled (st_submit_no_run_wait)")
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/true"
jt.outputPath = ":/dev/null"
jt.joinFiles = True
for spec in ["-l arch=no-such-arch", "-w n -l arch=no-such-arch"]:
  jt.nativeSpecification = spec
  print(f"nativeSpecification {spec!r}", flush=True)
  try:
    never = s.runJob(jt)
    print("never runJob OK", flush=True)
    time.sleep(3)
    probe("never: jobStatus after 3s", lambda: s.jobStatus(never))
    probe("never: wait 2s", lambda: s.wait(never, 2))
    probe("never: terminate", lambda: s.control(never, drmaa.JobControlAction.TERMINATE))
    probe("never: wait after terminate", lambda: s.wait(never, 15))
  except Exception as e:
    print(f"never: runJob {type(e).__name__}: {e}", flush=True)

print("--- runBulkJobs index ranges")
jt.nativeSpecification = ""
for b, e, st in [(1, 5, 2), (1, 3, 1), (3, 1, 1), (1, 5, 0), (5, 1, -1), (1, 5, -1), (0, 2, 1),
                 (-1, 2, 1), (-3, -1, 1), (2, 2, 1), (1, 2, 5), (1, 10, 3)]:
    ids = None
    try:
        ids = s.runBulkJobs(jt, b, e, st)
        print(f"runBulkJobs({b}, {e}, {st}): OK -> {ids!r}", flush=True)
    except Exception as ex:
        print(f"runBulkJobs({b}, {e}, {st}): {type(ex).__name__}: {ex}", flush=True)
    if ids:
        probe(f"  synchronize those", lambda: s.synchronize(ids, 30, True))
probe("runBulkJobs(1, 2, 1.5)", lambda: s.runBulkJobs(jt, 1, 2, 1.5))
probe("runBulkJobs('1', '2', '1')", lambda: s.runBulkJobs(jt, "1", "2", "1"))

print("--- bulk task ids in use")
ids = s.runBulkJobs(jt, 1, 5, 2)
probe("jobStatus of task N.2 (not in 1..5:2)", lambda: s.jobStatus(ids[0].split(".")[0] + ".2"))
probe("jobStatus of task N.7 (beyond end)", lambda: s.jobStatus(ids[0].split(".")[0] + ".7"))
probe("jobStatus of bare N (array job)", lambda: s.jobStatus(ids[0].split(".")[0]))
probe("wait bare N (array job)", lambda: s.wait(ids[0].split(".")[0], 10))
probe("wait N.2 (not a task)", lambda: s.wait(ids[0].split(".")[0] + ".2", 5))
probe("wait N.1", lambda: s.wait(ids[0], 30))
probe("synchronize rest", lambda: s.synchronize(ids[1:], 30, True))
s.deleteJobTemplate(jt)
s.exit()
