"""The project's C libdrmaa.so.1.0 against the simulated qmaster daemon, end to end.

Each test starts its own daemon (``python -m simulator serve``) on a socket in a private
temporary directory and stops it afterwards. Client programs run in child processes:
unmodified drmaa-python loaded with ``DRMAA_LIBRARY_PATH``, or ctypes for what drmaa-python
does not reach (list functions, NULL outputs, templates of ended sessions).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.native import library_path

ROOT = Path(__file__).resolve().parents[1]


# -- a daemon per test --------------------------------------------------------------------


def request(path: str, *fields: bytes) -> list[bytes | None]:
    """One request on a connection of its own, framed as docs/qmaster-protocol.md says."""
    payload = b"".join(struct.pack(">I", len(field)) + field for field in fields)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        sock.sendall(struct.pack(">I", len(payload)) + payload)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the daemon closed the connection")
            data += chunk
    reply: list[bytes | None] = []
    offset = 4
    while offset < len(data):
        (size,) = struct.unpack_from(">I", data, offset)
        offset += 4
        if size == 0xFFFFFFFF:
            reply.append(None)
        else:
            reply.append(data[offset : offset + size])
            offset += size
    return reply


@dataclass
class Qmaster:
    path: str
    process: subprocess.Popen
    log: str


def start_daemon(scratch: str, home: str, *options: str) -> Qmaster:
    path = os.path.join(scratch, "qmaster")
    log = os.path.join(scratch, "daemon.log")
    argv = [sys.executable, "-m", "simulator", "serve", "--socket", path, "--home", home]
    user = os.environ.get("DRMAA_SIM_JOB_USER")  # set by conftest when running as root
    if user:
        argv += ["--job-user", user]
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*argv, *options], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    qmaster = Qmaster(path, process, log)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the daemon exited: {Path(log).read_text()}")
        try:
            if request(path, b"ctl.ping")[0] == b"0":
                return qmaster
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_daemon(qmaster)
            raise RuntimeError("the daemon did not answer within 30 s")
        time.sleep(0.02)


def stop_daemon(qmaster: Qmaster) -> None:
    if qmaster.process.poll() is None:
        qmaster.process.terminate()
        try:
            qmaster.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            qmaster.process.kill()
            qmaster.process.wait()


@pytest.fixture
def scratch() -> Iterator[str]:
    """A short private directory for the socket (its path must fit in 108 bytes)."""
    path = tempfile.mkdtemp(prefix="dtk-qm-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def qmaster(scratch, job_dir) -> Iterator[Qmaster]:
    """A daemon on the real clock; jobs run as the harness's job user, home in job_dir."""
    daemon = start_daemon(scratch, str(job_dir))
    try:
        yield daemon
    finally:
        stop_daemon(daemon)


@pytest.fixture
def virtual_qmaster(scratch, job_dir) -> Iterator[Qmaster]:
    """A daemon on a virtual clock: its jobs run no processes, so it may be killed."""
    daemon = start_daemon(scratch, str(job_dir), "--clock", "virtual")
    try:
        yield daemon
    finally:
        stop_daemon(daemon)


def run_client(qmaster: Qmaster, script: str, *args: str, cwd: Path | None = None) -> dict:
    """Run a client program against the daemon; its last line of output, as JSON."""
    env = {
        **os.environ,
        "DRMAA_TESTKIT_QMASTER": qmaster.path,
        "DRMAA_LIBRARY_PATH": library_path(),
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), library_path(), *args],
        capture_output=True, text=True, env=env, timeout=120, cwd=cwd or ROOT,
    )  # fmt: skip
    assert done.returncode == 0, f"{done.stderr}\n--- daemon:\n{Path(qmaster.log).read_text()}"
    return json.loads(done.stdout.splitlines()[-1])


# -- drmaa-python, unmodified ---------------------------------------------------------------

DRMAA_PYTHON = """
import json, sys, drmaa, drmaa.wrappers
assert drmaa.wrappers._lib._name == sys.argv[1], drmaa.wrappers._lib._name
out = {}
s = drmaa.Session()
s.initialize()
out["contact"] = s.contact
out["info"] = [s.drmsInfo, s.drmaaImplementation, str(s.version)]
try:
    s.initialize()
except drmaa.AlreadyActiveSessionException as e:
    out["init_twice"] = str(e)
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["1"]
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.jobEnvironment = {"A": "1", "B": "x=y"}
out["template"] = [jt.remoteCommand, jt.args, jt.outputPath, jt.joinFiles, jt.jobEnvironment]
out["attribute_names"] = jt.attributeNames
job = s.runJob(jt)
out["status"] = s.jobStatus(job)
info = s.wait(job, drmaa.Session.TIMEOUT_WAIT_FOREVER)
out["info_job"] = [info.jobId == job, info.hasExited, info.exitStatus, info.hasSignal,
                   info.terminatedSignal, info.wasAborted, info.hasCoreDump]
out["usage_keys"] = sorted(info.resourceUsage)
jobs = s.runBulkJobs(jt, 1, 3, 1)
out["bulk"] = [len(jobs), len(set(jobs))]
s.control(jobs[0], drmaa.JobControlAction.TERMINATE)
s.synchronize(jobs, 60, False)
ends = [s.wait(j, 10) for j in jobs]
out["bulk_ends"] = [[e.hasExited, e.wasAborted] for e in ends]
try:
    s.jobStatus("99999")
except drmaa.InvalidJobException as e:
    out["unknown_job"] = str(e)
try:
    s.runBulkJobs(jt, 3, 1, 1)
except drmaa.InvalidArgumentException as e:
    out["bad_range"] = str(e)
s.deleteJobTemplate(jt)
s.exit()
out["contact_after"] = s.contact
try:
    s.exit()
except drmaa.NoActiveSessionException as e:
    out["exit_twice"] = str(e)
print(json.dumps(out))
"""


def test_drmaa_python_runs_jobs_through_the_library(qmaster, job_dir):
    out = run_client(qmaster, DRMAA_PYTHON, cwd=job_dir)
    assert out["contact"].startswith("session=")
    assert out["info"] == ["SGE 8.1.9", "SGE 8.1.9", "1.0"]
    assert out["init_twice"] == "code 11: Initialization failed due to existing DRMAA session."
    assert out["template"] == [
        "/bin/sleep", ["1"], ":/dev/null", True, {"A": "1", "B": "x=y"}
    ]  # fmt: skip
    assert "drmaa_remote_command" in out["attribute_names"]
    assert out["status"] in ("queued_active", "running")
    assert out["info_job"] == [True, True, 0, False, "", False, False]
    assert {"exit_status", "start_time", "end_time", "ru_wallclock"} <= set(out["usage_keys"])
    assert out["bulk"] == [3, 3]
    assert out["bulk_ends"][0] == [False, True]  # terminated: aborted
    assert out["bulk_ends"][1:] == [[True, False], [True, False]]
    assert out["unknown_job"] == "code 18: The job specified by the 'jobid' does not exist."
    assert out["bad_range"].startswith("code 4: ")
    assert out["contact_after"] == ""
    assert out["exit_twice"] == "code 5: "


ENDINGS = """
import json, drmaa
s = drmaa.Session()
s.initialize()
def run(command):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", command]
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    info = s.wait(s.runJob(jt), 60)
    s.deleteJobTemplate(jt)
    return [info.hasExited, info.exitStatus, info.hasSignal, info.terminatedSignal]
out = {"exit3": run("exit 3"), "term": run("kill -TERM $$"), "sys": run("kill -SYS $$")}
s.exit()
print(json.dumps(out))
"""


def test_exit_statuses_and_signals_come_through_stat(qmaster, job_dir):
    out = run_client(qmaster, ENDINGS, cwd=job_dir)
    assert out["exit3"] == [True, 3, False, ""]
    assert out["term"] == [False, 0, True, "SIGTERM"]
    assert out["sys"] == [False, 0, True, "SIGunknown signal"]


THREADS = """
import json, threading, time, drmaa, drmaa.errors
s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["30"]
jt.outputPath = ":/dev/null"
out = {}
def wait(job, key):
    try:
        out[key] = s.wait(job, drmaa.Session.TIMEOUT_WAIT_FOREVER).wasAborted
    except drmaa.errors.DrmaaException as e:
        out[key] = type(e).__name__
job = s.runJob(jt)
waiter = threading.Thread(target=wait, args=(job, "terminated"))
waiter.start()
time.sleep(0.5)  # blocked in drmaa_wait
start = time.monotonic()
states = {s.jobStatus(job) for _ in range(200)}
out["job_ps_while_waiting"] = [sorted(states), time.monotonic() - start < 5]
s.control(job, drmaa.JobControlAction.TERMINATE)
waiter.join(20)
out["waiter_done"] = not waiter.is_alive()
job = s.runJob(jt)
waiter = threading.Thread(target=wait, args=(job, "exited_under"))
waiter.start()
time.sleep(0.5)
s.exit()  # while another thread waits
waiter.join(20)
out["waiter_after_exit_done"] = not waiter.is_alive()
print(json.dumps(out))
"""


def test_calls_go_on_while_another_thread_waits_and_exit_ends_the_wait(qmaster, job_dir):
    out = run_client(qmaster, THREADS, cwd=job_dir)
    assert out["job_ps_while_waiting"] == [["running"], True]
    assert out["terminated"] is True and out["waiter_done"]
    assert out["waiter_after_exit_done"]
    assert isinstance(out["exited_under"], str)  # the daemon's error for a wait cut short


FORK = """
import json, os, drmaa
s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["1"]
jt.outputPath = ":/dev/null"
job = s.runJob(jt)
parent_contact = s.contact
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    child = {"contact": s.contact}
    try:
        s.jobStatus(job)
    except drmaa.NoActiveSessionException as e:
        child["job_ps"] = str(e)
    s.initialize()
    child["new_contact"] = s.contact != parent_contact and s.contact.startswith("session=")
    s.exit()
    os.write(write, json.dumps(child).encode())
    os._exit(0)
os.close(write)
_, status = os.waitpid(pid, 0)
child = json.loads(os.read(read, 65536))
out = {"child": child, "child_status": status}
out["parent"] = [s.contact == parent_contact, s.wait(job, 60).hasExited]
s.exit()
print(json.dumps(out))
"""


def test_a_forked_child_has_no_session_and_the_parents_goes_on(qmaster, job_dir):
    out = run_client(qmaster, FORK, cwd=job_dir)
    assert out["child_status"] == 0
    assert out["child"] == {
        "contact": "",
        "job_ps": "code 5: No active session",
        "new_contact": True,
    }
    assert out["parent"] == [True, True]


# -- the C API through ctypes -----------------------------------------------------------------

C_API = r"""
import ctypes, json, os, sys, time
from ctypes import byref, c_char_p, c_int, c_long, c_size_t, c_uint, c_void_p
lib = ctypes.CDLL(sys.argv[1])
out = {}
def diag():
    return ctypes.create_string_buffer(1024)
def call(name, *args):
    d = diag()
    code = getattr(lib, "drmaa_" + name)(*args, d, c_size_t(1024))
    return [code, d.value.decode()]
def strings(kind, values, size=1024):
    plural = {"attr_name": "attr_names", "attr_value": "attr_values", "job_id": "job_ids"}[kind]
    count = c_int(-1)
    assert getattr(lib, "drmaa_get_num_" + plural)(values, byref(count)) == 0
    buf = ctypes.create_string_buffer(size)
    got = []
    while getattr(lib, "drmaa_get_next_" + kind)(values, buf, c_size_t(size)) == 0:
        got.append(buf.value.decode())
    again = getattr(lib, "drmaa_get_next_" + kind)(values, buf, c_size_t(size))
    getattr(lib, "drmaa_release_" + plural)(values)
    return [count.value, got, again]

out["init"] = call("init", None)
out["init_again"] = call("init", None)
jt = c_void_p()
out["allocate"] = call("allocate_job_template", byref(jt))
out["set"] = call("set_attribute", jt, c_char_p(b"drmaa_remote_command"), c_char_p(b"/bin/true"))
value = ctypes.create_string_buffer(b"xxxxxxxx", 8)
d = diag()
out["get_truncated"] = [lib.drmaa_get_attribute(jt, c_char_p(b"drmaa_remote_command"), value,
                                                c_size_t(5), d, c_size_t(1024)),
                        value.raw[:6].decode()]
out["set_null_value"] = call("set_attribute", jt, c_char_p(b"drmaa_job_name"), None)
argv = (c_char_p * 4)(b"a", b"bb", b"ccc", None)
out["set_vector"] = call("set_vector_attribute", jt, c_char_p(b"drmaa_v_argv"), argv)
values = c_void_p()
out["get_vector"] = call("get_vector_attribute", jt, c_char_p(b"drmaa_v_argv"), byref(values))
out["vector"] = strings("attr_value", values, size=2)
names = c_void_p()
out["attr_names"] = call("get_attribute_names", byref(names))
out["names"] = strings("attr_name", names)
names = c_void_p()
out["vector_attr_names"] = call("get_vector_attribute_names", byref(names))
out["vector_names"] = strings("attr_name", names)
ids = c_void_p()
out["bulk"] = call("run_bulk_jobs", byref(ids), jt, c_uint(1), c_uint(5), c_int(2))
out["bulk_ids"] = strings("job_id", ids)
ids = c_void_p(1)
out["bulk_negative"] = call("run_bulk_jobs", byref(ids), jt, c_uint(0xFFFFFFFF), c_uint(2),
                            c_int(1))
out["bulk_negative_ids"] = ids.value
job = ctypes.create_string_buffer(128)
out["run"] = call("run_job", job, c_size_t(128), jt)
state = c_int(-1)
out["job_ps_null"] = call("job_ps", None, byref(state))
out["control_null"] = call("control", None, c_int(4))
out["control_bad_action"] = call("control", c_char_p(job.value), c_int(99))
sync = (c_char_p * 2)(b"DRMAA_JOB_IDS_SESSION_ALL", None)
out["sync"] = call("synchronize", sync, c_long(60), c_int(0))
out["job_ps"] = [call("job_ps", c_char_p(job.value), byref(state)), state.value]
stat, rusage = c_int(-1), c_void_p()
jid = ctypes.create_string_buffer(128)
out["wait"] = call("wait", c_char_p(job.value), jid, c_size_t(128), byref(stat), c_long(10),
                   byref(rusage))
out["wait_outputs"] = [jid.value.decode() == job.value.decode(), stat.value]
usage = strings("attr_value", rusage)
out["usage"] = [usage[0], len(usage[1]), all("=" in u for u in usage[1]), usage[2]]
out["wait_null_outputs"] = call("wait", c_char_p(b"DRMAA_JOB_IDS_SESSION_ANY"), None,
                                c_size_t(0), None, c_long(10), None)

# round trips on pooled connections: no new connection per call
def sockets():
    return sum(os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
               for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}"))
before = sockets()
n = 2000
start = time.perf_counter()
for _ in range(n):
    lib.drmaa_job_ps(c_char_p(job.value), byref(state), None, c_size_t(0))
out["job_ps_us"] = (time.perf_counter() - start) / n * 1e6
out["sockets"] = [before, sockets()]

out["delete"] = call("delete_job_template", jt)
old = c_void_p()
out["allocate_old"] = call("allocate_job_template", byref(old))
out["exit"] = call("exit")
out["contact_after_exit"] = call("get_contact", ctypes.create_string_buffer(64), c_size_t(64))
out["set_without_session"] = call("set_attribute", old, c_char_p(b"drmaa_wd"), c_char_p(b"/"))
out["init2"] = call("init", None)
out["old_template_in_new_session"] = call("set_attribute", old, c_char_p(b"drmaa_wd"),
                                          c_char_p(b"/"))
out["delete_old"] = call("delete_job_template", old)
out["delete_old_again"] = call("delete_job_template", old)
out["get_deleted"] = call("get_attribute", old, c_char_p(b"drmaa_wd"),
                          ctypes.create_string_buffer(64), c_size_t(64))
out["set_deleted"] = call("set_attribute", old, c_char_p(b"drmaa_wd"), c_char_p(b"/"))
gone = c_void_p()
out["allocate_gone"] = call("allocate_job_template", byref(gone))
out["exit2"] = call("exit")
out["delete_after_exit"] = call("delete_job_template", gone)
print(json.dumps(out))
"""


def test_the_c_api_end_to_end(qmaster, job_dir):
    out = run_client(qmaster, C_API, cwd=job_dir)
    ok = [0, ""]
    assert out["init"] == ok
    assert out["init_again"] == [11, "Initialization failed due to existing DRMAA session."]
    assert out["allocate"] == ok and out["set"] == ok
    assert out["get_truncated"] == [0, "/bin\0x"]
    assert out["set_null_value"][0] in (0, 4, 14)  # forwarded; the daemon decides
    assert out["set_vector"] == ok and out["get_vector"] == ok
    assert out["vector"] == [3, ["a", "b", "c"], 25]  # truncated to the 2-byte buffer
    assert out["attr_names"] == ok
    count, names, end = out["names"]
    assert count == len(names) and end == 25 and "drmaa_remote_command" in names
    assert out["vector_attr_names"] == ok
    assert out["vector_names"] == [3, ["drmaa_v_argv", "drmaa_v_env", "drmaa_v_email"], 25]
    assert out["bulk"] == ok
    count, ids, end = out["bulk_ids"]
    assert count == 3 and end == 25 and [i.split(".")[1] for i in ids] == ["1", "3", "5"]
    assert out["bulk_negative"][0] == 4 and out["bulk_negative_ids"] is None
    assert out["run"] == ok
    assert out["job_ps_null"] == [4, "The input value for an argument is invalid."]
    assert out["control_null"][0] == 4
    assert out["control_bad_action"][0] == 4
    assert out["sync"] == ok
    assert out["job_ps"] == [ok, 0x30]
    assert out["wait"] == ok
    assert out["wait_outputs"] == [True, 1]  # exited, status 0
    assert out["usage"][0] == out["usage"][1] > 0 and out["usage"][2:] == [True, 25]
    assert out["wait_null_outputs"] == ok
    assert out["sockets"][1] <= out["sockets"][0] + 1
    assert out["job_ps_us"] < 1000, out["job_ps_us"]
    print(f"drmaa_job_ps round trip: {out['job_ps_us']:.1f} us")
    assert out["delete"] == ok and out["allocate_old"] == ok and out["exit"] == ok
    assert out["contact_after_exit"] == ok
    assert out["set_without_session"] == [5, "No active session"]
    assert out["init2"] == ok
    # Templates belong to the process, as in Grid Engine's library: one outlives its session.
    assert out["old_template_in_new_session"] == ok
    assert out["delete_old"] == ok
    # A second delete does nothing (Grid Engine survives it, measured); other calls on a
    # deleted template are refused instead of reading freed memory.
    assert out["delete_old_again"] == ok
    assert out["get_deleted"] == [14, "The value for the job attribute is invalid."]
    assert out["set_deleted"] == [4, "the job template was deleted (libdrmaa would crash here)"]
    assert out["allocate_gone"] == ok and out["exit2"] == ok
    assert out["delete_after_exit"] == ok


# -- a daemon that goes away ------------------------------------------------------------------

OUTAGE = r"""
import ctypes, json, sys, threading, time
from ctypes import byref, c_char_p, c_int, c_long, c_size_t, c_void_p
lib = ctypes.CDLL(sys.argv[1])
def call(name, *args):
    d = ctypes.create_string_buffer(1024)
    code = getattr(lib, "drmaa_" + name)(*args, d, c_size_t(1024))
    return [code, d.value.decode()]
out = {"init": call("init", None)}
jt = c_void_p()
call("allocate_job_template", byref(jt))
call("set_attribute", jt, c_char_p(b"drmaa_remote_command"), c_char_p(b"/bin/sleep"))
argv = (c_char_p * 2)(b"100", None)
call("set_vector_attribute", jt, c_char_p(b"drmaa_v_argv"), argv)
call("set_attribute", jt, c_char_p(b"drmaa_js_state"), c_char_p(b"drmaa_hold"))  # waits for good
job = ctypes.create_string_buffer(128)
out["run"] = call("run_job", job, c_size_t(128), jt)
def wait():
    out["wait"] = call("wait", c_char_p(job.value), None, c_size_t(0), None, c_long(-1), None)
waiter = threading.Thread(target=wait)
waiter.start()
time.sleep(0.5)
print("waiting", flush=True)
sys.stdin.readline()  # the daemon is killed meanwhile
waiter.join(20)
out["job_ps"] = call("job_ps", c_char_p(job.value), byref(c_int()))
out["exit"] = call("exit")
out["exit_again"] = call("exit")
out["init_down"] = call("init", None)
print("down", flush=True)
sys.stdin.readline()  # a new daemon is up
out["init_up"] = call("init", None)
names = c_void_p()
out["attr_names"] = call("get_attribute_names", byref(names))
lib.drmaa_release_attr_names(names)
out["allocate"] = call("allocate_job_template", byref(jt))
out["exit_up"] = call("exit")
print(json.dumps(out), flush=True)
"""


def test_a_daemon_that_dies_mid_call_is_code_2_and_a_new_one_is_found(
    virtual_qmaster, scratch, job_dir
):
    path = virtual_qmaster.path
    env = {**os.environ, "DRMAA_TESTKIT_QMASTER": path}
    client = subprocess.Popen(
        [sys.executable, "-c", OUTAGE, library_path()],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=job_dir,
    )  # fmt: skip
    second = None
    try:
        assert client.stdout.readline() == "waiting\n"  # type: ignore[union-attr]
        virtual_qmaster.process.send_signal(signal.SIGKILL)  # its jobs are virtual
        virtual_qmaster.process.wait()
        client.stdin.write("\n")  # type: ignore[union-attr]
        client.stdin.flush()  # type: ignore[union-attr]
        assert client.stdout.readline() == "down\n"  # type: ignore[union-attr]
        os.unlink(path)
        second = start_daemon(scratch, str(job_dir), "--clock", "virtual")
        stdout, stderr = client.communicate("\n", timeout=60)
        assert client.returncode == 0, stderr
    finally:
        if client.poll() is None:
            client.kill()
            client.communicate()
        if second is not None:
            stop_daemon(second)
    out = json.loads(stdout.splitlines()[-1])
    assert out["init"] == [0, ""] and out["run"][0] == 0
    lost = f"lost the connection to the simulated qmaster at {path}"
    assert out["wait"] == [2, lost]
    assert out["job_ps"] == [2, f"cannot reach the simulated qmaster at {path}: Connection refused"]
    assert out["exit"] == [2, lost]
    assert out["exit_again"] == [5, ""]
    assert out["init_down"][0] == 2
    assert out["init_up"] == [0, ""]
    assert out["attr_names"] == [0, ""]
    assert out["allocate"] == [0, ""]
    assert out["exit_up"] == [0, ""]
