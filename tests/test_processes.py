"""Real-clock jobs: real processes, files, signals, environment, and nothing left behind."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from simulator import control
from tests.conftest import template


def _children() -> set[int]:
    """Pids of this process's children (running or zombie)."""
    me = str(os.getpid())
    kids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                kids.add(int(entry))
    return kids


def test_output_and_error_paths_and_exit_status(rsession, rdrmaa, job_dir):
    jt = template(
        rdrmaa,
        "/bin/sh",
        "-c",
        "echo out; echo err >&2; exit 7",
        outputPath=f":{job_dir}/o",
        errorPath=f"localhost:{job_dir}/e",
    )
    info = rsession.wait(rsession.runJob(jt), 30)
    assert (info.hasExited, info.exitStatus) == (True, 7)
    assert (job_dir / "o").read_text() == "out\n"
    assert (job_dir / "e").read_text() == "err\n"


def test_join_files_and_input_path(rsession, rdrmaa, job_dir):
    (job_dir / "in").write_text("hello\n")
    jt = template(
        rdrmaa,
        "/bin/sh",
        "-c",
        "cat; echo err >&2",
        inputPath=f":{job_dir}/in",
        outputPath=f":{job_dir}/out",
        joinFiles=True,
    )
    rsession.wait(rsession.runJob(jt), 30)
    assert (job_dir / "out").read_text() == "hello\nerr\n"


def test_bulk_index_placeholder_and_task_environment(rsession, rdrmaa, job_dir):
    jt = template(
        rdrmaa,
        "/bin/sh",
        "-c",
        'echo "$SGE_TASK_ID $JOB_ID"',
        outputPath=f":{job_dir}/t.$drmaa_incr_ph$",
    )
    ids = rsession.runBulkJobs(jt, 2, 6, 2)
    rsession.synchronize(ids, 30, True)
    number = ids[0].split(".")[0]
    for task in (2, 4, 6):
        assert (job_dir / f"t.{task}").read_text() == f"{task} {number}\n"


def test_environment_and_working_directory(rsession, rdrmaa, job_dir):
    jt = template(
        rdrmaa,
        "/bin/sh",
        "-c",
        'echo "$PIPPO"; pwd',
        jobEnvironment={"PIPPO": "aaaa"},
        workingDirectory=str(job_dir),
        outputPath=":$drmaa_wd_ph$/out",
    )
    rsession.wait(rsession.runJob(jt), 30)
    assert (job_dir / "out").read_text() == f"aaaa\n{job_dir}\n"


def test_signal_reported_by_name(rsession, rdrmaa):
    info = rsession.wait(rsession.runJob(template(rdrmaa, "/bin/sh", "-c", "kill -USR1 $$")), 30)
    assert (info.hasExited, info.hasSignal, info.terminatedSignal) == (False, True, "SIGUSR1")


def test_suspend_stops_and_resume_continues_the_process_group(rsession, rdrmaa, job_dir):
    marker = job_dir / "ticks"
    jt = template(rdrmaa, "/bin/sh", "-c", f"while :; do echo x >> {marker}; sleep 0.05; done")
    job = rsession.runJob(jt)
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    rsession.control(job, rdrmaa.JobControlAction.SUSPEND)
    time.sleep(0.2)
    frozen = marker.read_text()
    time.sleep(0.3)
    assert marker.read_text() == frozen
    rsession.control(job, rdrmaa.JobControlAction.RESUME)
    time.sleep(0.3)
    assert marker.read_text() != frozen
    rsession.control(job, rdrmaa.JobControlAction.TERMINATE)
    info = rsession.wait(job, 30)
    assert info.wasAborted and not info.hasExited


def test_missing_input_file_fails_the_job(rsession, rdrmaa, job_dir):
    jt = template(rdrmaa, "/bin/cat", inputPath=f":{job_dir}/missing")
    job = rsession.runJob(jt)
    rsession.synchronize([job], 30, False)
    assert rsession.jobStatus(job) == "failed"
    assert rsession.wait(job, 30).wasAborted


def test_directory_as_output_path_gets_the_default_file_name(rsession, rdrmaa, job_dir):
    jt = template(rdrmaa, "/bin/echo", "hi", outputPath=f":{job_dir}/", joinFiles=True)
    job = rsession.runJob(jt)
    assert rsession.wait(job, 30).exitStatus == 0
    assert (job_dir / f"echo.o{job}").read_text() == "hi\n"


def test_directory_as_input_path_fails_the_job(rsession, rdrmaa, job_dir):
    job = rsession.runJob(template(rdrmaa, "/bin/cat", inputPath=f":{job_dir}"))
    assert rsession.wait(job, 30).wasAborted


def _heard_to_end(session, job: str) -> None:
    """The job's end is heard of with nobody waiting for it, and it can be reaped."""
    deadline = time.monotonic() + 30
    while session.jobStatus(job) != "done":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert session.wait(job, 0).exitStatus == 0


def test_timed_out_wait_leaves_the_job_to_end_unwatched(rsession, rdrmaa):
    # The timed-out wait watched the process itself; its end must still be heard of.
    job = rsession.runJob(template(rdrmaa, "/bin/sleep", "2"))
    with pytest.raises(rdrmaa.ExitTimeoutException):
        rsession.wait(job, 1)
    _heard_to_end(rsession, job)


def test_interrupted_wait_leaves_the_job_to_end_unwatched(rsession, rdrmaa):
    # Ctrl-C while wait() watches the job's process: the job's end must still be heard of.
    job = rsession.runJob(template(rdrmaa, "/bin/sleep", "1"))
    timer = threading.Timer(0.2, signal.pthread_kill, (threading.get_ident(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        rsession.wait(job, 30)
    _heard_to_end(rsession, job)


def test_tmpdir_is_removed_soon_after_the_job_ends(rsession, rdrmaa, job_dir):
    out = job_dir / "tmpdir"
    jt = template(rdrmaa, "/bin/sh", "-c", f'echo "$TMPDIR" > {out}; test -d "$TMPDIR"')
    assert rsession.wait(rsession.runJob(jt), 30).exitStatus == 0
    tmpdir = out.read_text().strip()
    deadline = time.monotonic() + 5  # removed in batches, off the waiter's path
    while os.path.exists(tmpdir):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_wait_wakes_promptly_when_process_ends(rsession, rdrmaa):
    job = rsession.runJob(template(rdrmaa, "/bin/sleep", "0.3"))
    start = time.monotonic()
    rsession.wait(job, 30)
    assert time.monotonic() - start < 2


def test_no_child_left_after_shutdown(rdrmaa):
    from simulator import control

    before = _children()
    rdrmaa.Session.initialize()
    jt = template(rdrmaa, "/bin/sh", "-c", "sleep 60 & sleep 60")
    jobs = [rdrmaa.Session.runJob(jt) for _ in range(3)]
    rdrmaa.Session.exit()  # jobs outlive the session, as on Grid Engine
    assert _children() - before
    control.reset(clock="real")
    assert _children() - before == set()
    assert jobs


def test_job_end_kills_background_children(rsession, rdrmaa, job_dir):
    pidfile = job_dir / "pid"
    jt = template(rdrmaa, "/bin/sh", "-c", f"sleep 60 & echo $! > {pidfile}")
    rsession.wait(rsession.runJob(jt), 30)
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the job's background child outlived the job")


def test_interpreter_exit_kills_and_reaps_running_jobs(job_dir):
    """A program that leaves jobs running (with or without exit()) leaves no process behind."""
    import subprocess
    import sys
    import textwrap

    script = job_dir / "leave.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import time, drmaa
            s = drmaa.Session()
            s.initialize()
            jt = s.createJobTemplate()
            jt.remoteCommand = "/bin/sh"
            jt.outputPath = ":/dev/null"
            for i in range(3):
                jt.args = ["-c", "echo $$ > {job_dir}/pid." + str(i) + "; exec sleep 100"]
                s.runJob(jt)
            while len(list(__import__("pathlib").Path("{job_dir}").glob("pid.*"))) < 3:
                time.sleep(0.01)
            if __import__("sys").argv[1] == "exit":
                s.exit()
            """
        )
    )
    for how in ("exit", "no-exit"):
        for old in job_dir.glob("pid.*"):
            old.unlink()
        done = subprocess.run(
            [sys.executable, "-m", "simulator", str(script), how], timeout=60, capture_output=True
        )
        assert done.returncode == 0, done.stderr
        for pidfile in job_dir.glob("pid.*"):
            pid = int(pidfile.read_text())
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)


def test_submitter_variables_follow_its_environment(rsession, rdrmaa, job_dir, monkeypatch):
    """SGE_O_* are read at each submission, also of the same template (sge_job_env_probe):
    a changed HOME or PATH shows, an unset HOME leaves SGE_O_HOME out."""
    out = job_dir / "origin"
    jt = template(
        rdrmaa, "/bin/sh", "-c",
        'echo "${SGE_O_HOME-unset} ${SGE_O_PATH-unset} $SGE_O_WORKDIR"',
        outputPath=f":{out}", joinFiles=True,
    )  # fmt: skip
    seen = []
    for change in (
        lambda: None,
        lambda: monkeypatch.setenv("HOME", "/changed/home"),
        lambda: monkeypatch.setenv("PATH", "/changed/bin:" + os.environ["PATH"]),
        lambda: monkeypatch.chdir(job_dir),
        lambda: monkeypatch.delenv("HOME"),
    ):
        change()
        rsession.wait(rsession.runJob(jt), 30)
        seen.append(out.read_text().splitlines()[-1].split())
    homes, paths, workdirs = zip(*seen, strict=True)
    assert homes[1:] == ("/changed/home",) * 3 + ("unset",)
    assert not paths[1].startswith("/changed/bin:") and paths[2].startswith("/changed/bin:")
    assert workdirs[2] != str(job_dir) and workdirs[3] == str(job_dir)


def test_timers_take_no_thread_each(rsession, rdrmaa):
    """Run-time limits and start times wait in the reaper's timer heap, not one thread
    each: 200 jobs with -l h_rt=3600 and 20 with a start time add no thread, and none
    is left once the cell is reset."""
    before = threading.active_count()
    limited = template(rdrmaa, "/bin/true", nativeSpecification="-l h_rt=3600")
    later = template(rdrmaa, "/bin/true", startTime="23:59")
    jobs = [rsession.runJob(limited) for _ in range(200)]
    held = [rsession.runJob(later) for _ in range(20)]
    assert threading.active_count() <= before + 1
    rsession.synchronize(jobs, 30, True)
    assert [rsession.jobStatus(job) for job in held] == ["system_on_hold"] * 20
    control.reset()
    assert threading.active_count() <= before


def test_busy_job_reports_cpu_and_memory(rsession, rdrmaa):
    # sge_usage_probe: cpu = acct_cpu = ru_utime + ru_stime; maxvmem (bytes) and mem (GB s)
    # once the job has run long enough to be sampled.
    busy = "t=$(($(date +%s) + 2)); while [ $(date +%s) -lt $t ]; do :; done"
    info = rsession.wait(rsession.runJob(template(rdrmaa, "/bin/sh", "-c", busy)), 30)
    usage = {k: float(v) for k, v in info.resourceUsage.items()}
    assert usage["cpu"] > 0.5 and usage["acct_cpu"] == usage["cpu"]
    assert abs(usage["cpu"] - usage["ru_utime"] - usage["ru_stime"]) < 0.01
    assert usage["ru_maxrss"] > 0
    assert usage["maxvmem"] == usage["acct_maxvmem"] == usage["ru_maxrss"] * 1024
    assert usage["mem"] == pytest.approx(usage["cpu"] * usage["maxvmem"] / 2**30, abs=1e-4)


def test_short_job_is_never_sampled(rsession, rdrmaa):
    info = rsession.wait(rsession.runJob(template(rdrmaa, "/bin/true")), 30)
    usage = info.resourceUsage
    assert float(usage["ru_maxrss"]) > 0
    assert usage["maxvmem"] == usage["mem"] == "0.0000"


ESCAPES = {
    "setsid": "setsid sleep 30 & echo $! > {pidfile}; sleep 1",
    "nohup": '(trap "" HUP; nohup sleep 30 > /dev/null 2>&1 & echo $! > {pidfile}); sleep 1',
    "double_fork": 'sh -c "sleep 30 & echo \\$! > {pidfile}" & sleep 1',
    "background": "sleep 30 & echo $! > {pidfile}; sleep 1",
    "setsid_tree": 'setsid sh -c "sleep 30 & echo \\$! > {pidfile}; wait" & sleep 1',
}


def _gone(pid: int) -> bool:
    """No such process (not even a zombie: the simulator reaped it)."""
    return not os.path.exists(f"/proc/{pid}")


def _subreaper() -> int:
    import ctypes

    value = ctypes.c_int()
    ctypes.CDLL(None).prctl(37, ctypes.byref(value), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
    return value.value


@pytest.mark.parametrize("how", sorted(ESCAPES))
def test_escaped_children_die_with_their_job(rsession, rdrmaa, job_dir, how):
    # sge_escaped_children_probe: Grid Engine kills them when the job ends by itself.
    pidfile = job_dir / "pid"
    jt = template(rdrmaa, "/bin/sh", "-c", ESCAPES[how].format(pidfile=pidfile))
    info = rsession.wait(rsession.runJob(jt), 30)
    assert info.hasExited and info.exitStatus == 0
    pid = int(pidfile.read_text())
    assert _gone(pid)
    assert _subreaper() == 0  # no job runs: orphans of other code go to init again


@pytest.mark.parametrize("how", ["setsid", "double_fork"])
def test_escaped_children_die_when_their_job_is_terminated(rsession, rdrmaa, job_dir, how):
    pidfile = job_dir / "pid"
    script = ESCAPES[how].format(pidfile=pidfile).replace("sleep 1", "sleep 60")
    job = rsession.runJob(template(rdrmaa, "/bin/sh", "-c", script))
    deadline = time.monotonic() + 10
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pid = int(pidfile.read_text())
    assert not _gone(pid)
    assert _subreaper() == 1  # while a job runs
    rsession.control(job, rdrmaa.JobControlAction.TERMINATE)
    assert rsession.wait(job, 30).wasAborted
    assert _gone(pid)


def test_other_code_keeps_its_children(rsession, rdrmaa):
    import subprocess

    mine = subprocess.Popen(["/bin/sleep", "0.2"])
    job = rsession.runJob(template(rdrmaa, "/bin/sh", "-c", "setsid sleep 30 & sleep 0.1"))
    rsession.wait(job, 30)
    assert mine.wait(5) == 0  # not reaped behind its back


TERMINATED = """
import os, sys, time
from simulator import control
import simulator.drmaa as drmaa
control.reset(clock="real", home=sys.argv[1])
s = drmaa.Session(); s.initialize()
jt = s.createJobTemplate(); jt.remoteCommand = "/bin/sh"
jt.args = ["-c", f"echo $$ $TMPDIR > {sys.argv[1]}/job; exec sleep 300"]
jt.outputPath = ":/dev/null"; jt.joinFiles = True
s.runJob(jt)
while not os.path.exists(os.path.join(sys.argv[1], "job")):
    time.sleep(0.01)
print("ready", flush=True)
time.sleep(300)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_simulator_takes_its_jobs_and_tmpdirs_with_it(job_dir, sig):
    """SIGTERM (a CI time-out, docker stop) and SIGHUP: no atexit handler runs for them, so
    the simulator catches them to kill its jobs and remove their TMPDIRs, then dies of the
    signal as it would have."""
    import subprocess
    import sys

    script = job_dir / "sim.py"
    script.write_text(TERMINATED)
    simulator = subprocess.Popen(
        [sys.executable, str(script), str(job_dir)], stdout=subprocess.PIPE, text=True
    )
    assert simulator.stdout is not None and simulator.stdout.readline() == "ready\n"
    pid, tmpdir = (job_dir / "job").read_text().split()
    simulator.send_signal(sig)
    assert simulator.wait(30) == -sig  # it died of the signal
    simulator.stdout.close()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)
    assert not os.path.exists(tmpdir)
