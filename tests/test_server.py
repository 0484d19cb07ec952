"""The simulated qmaster daemon: sessions that outlive their processes, lost jobs across
processes, clients and daemons that die, and who may connect."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator import server
from simulator.model.errors import DrmError
from simulator.server.client import Client
from simulator.server.wire import MAX_FRAME, encode

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def qmaster(job_dir):
    """A daemon on a private socket; jobs run as the harness's job user, home in job_dir."""
    with server.running(
        clock="real", job_user=os.environ.get("DRMAA_SIM_JOB_USER"), home=str(job_dir)
    ) as control:
        yield control


def _drop_in(qmaster, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """A Python program run with the drop-in, its session in the daemon."""
    env = {**os.environ, server.ENV: qmaster.path}
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT, **kwargs,
    )  # fmt: skip


def test_a_saved_contact_rejoins_from_a_new_process_and_finds_the_lost_job(qmaster, tmp_path):
    state = str(tmp_path / "state.json")
    example = "examples/lost_job_across_processes.py"
    first = _drop_in(qmaster, example, "submit", state)
    assert first.returncode == 0, first.stderr
    time.sleep(3)  # the 1 s job ends while no process is attached to its session
    second = _drop_in(qmaster, example, "rejoin", state)
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    assert lines[0].startswith("job 1 is lost: code 18:")
    assert lines[1:] == ["job 2 is running", "job 2 finished: exit status 0"]


def test_the_same_story_through_drmaa_python_over_our_c_library(qmaster, tmp_path):
    """The real binding, unmodified, over libdrmaa: the two processes meet the same rules."""
    from simulator.native import library_path

    state = str(tmp_path / "state.json")
    env = {**os.environ, server.ENV: qmaster.path, "DRMAA_LIBRARY_PATH": library_path()}
    example = ["examples/lost_job_across_processes.py"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *example, *args], capture_output=True,
                              text=True, timeout=60, env=env, cwd=ROOT)  # fmt: skip

    first = run("submit", state)
    assert first.returncode == 0, first.stderr
    time.sleep(3)
    second = run("rejoin", state)
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    assert lines[0].startswith("job 1 is lost: code 18:")
    assert lines[1:] == ["job 2 is running", "job 2 finished: exit status 0"]


SUBMIT_AND_WAIT = """
import sys, drmaa
s = drmaa.Session(); s.initialize()
jt = s.createJobTemplate(); jt.remoteCommand = "/bin/sleep"; jt.args = [sys.argv[1]]
jt.outputPath = ":/dev/null"; jt.joinFiles = True
job = s.runJob(jt)
print(s.contact, job, flush=True)
s.wait(job)  # killed while blocked here
"""


def test_a_client_killed_mid_call_ends_its_session_and_the_daemon_goes_on(qmaster, tmp_path):
    script = tmp_path / "blocked.py"
    script.write_text(SUBMIT_AND_WAIT)
    env = {**os.environ, server.ENV: qmaster.path}
    child = subprocess.Popen(
        [sys.executable, "-m", "simulator", str(script), "2"],
        stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    contact, job = child.stdout.readline().split()  # type: ignore[union-attr]
    time.sleep(0.3)  # now blocked in wait
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()  # type: ignore[union-attr]
    time.sleep(2.5)  # the job ends with nobody attached: lost
    rejoin = (
        "import drmaa, sys\ns = drmaa.Session(); s.initialize(sys.argv[1])\n"
        "try:\n    s.jobStatus(sys.argv[2]); print('known')\n"
        "except drmaa.InvalidJobException: print('lost')\ns.exit()\n"
    )
    (tmp_path / "rejoin.py").write_text(rejoin)
    done = _drop_in(qmaster, str(tmp_path / "rejoin.py"), contact, job)
    assert (done.returncode, done.stdout.strip()) == (0, "lost"), done.stderr
    assert qmaster.ping() > 0


def test_two_processes_share_one_session(qmaster, tmp_path):
    """Grid Engine lets several clients attach to one session: the jobs stay while one
    of them is attached, whoever submitted them."""
    script = tmp_path / "two.py"
    script.write_text(
        "import drmaa, sys\ns = drmaa.Session()\ns.initialize(sys.argv[1] if len(sys.argv) > 1 "
        "else None)\njt = s.createJobTemplate(); jt.remoteCommand = '/bin/sleep'\n"
        "jt.args = ['1']; jt.outputPath = ':/dev/null'; jt.joinFiles = True\n"
        "print(s.contact, s.runJob(jt), flush=True)\nsys.stdin.readline()\ns.exit()\n"
    )
    env = {**os.environ, server.ENV: qmaster.path}
    first = subprocess.Popen(
        [sys.executable, "-m", "simulator", str(script)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    contact, job_a = first.stdout.readline().split()  # type: ignore[union-attr]
    second = subprocess.Popen(
        [sys.executable, "-m", "simulator", str(script), contact],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    same, job_b = second.stdout.readline().split()  # type: ignore[union-attr]
    assert same == contact and job_b != job_a
    first.communicate("\n", timeout=30)  # the first one leaves; the second stays
    time.sleep(1.5)  # both jobs end while the second is attached
    waiter = tmp_path / "waiter.py"
    waiter.write_text(
        "import drmaa, sys\ns = drmaa.Session(); s.initialize(sys.argv[1])\n"
        "print(sorted(s.wait(j).exitStatus for j in sys.argv[2:]))\ns.exit()\n"
    )
    seen = _drop_in(qmaster, str(waiter), contact, job_a, job_b)
    second.communicate("\n", timeout=30)
    assert (seen.returncode, seen.stdout.strip()) == (0, "[0, 0]"), seen.stderr


def test_a_killed_daemon_gives_communication_errors_not_hangs(job_dir, tmp_path):
    with server.running(clock="virtual") as qmaster:
        client = Client(qmaster.path)
        pid = qmaster.ping()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        with pytest.raises(DrmError) as info:
            client.request("ctl.now")
        assert info.value.code == 2 and "lost the connection" in info.value.message
        client.close()
        with pytest.raises(DrmError) as info:
            Client(qmaster.path)
        assert info.value.code == 2 and "cannot reach the simulated qmaster" in info.value.message


def test_the_socket_is_private(qmaster):
    path = Path(qmaster.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_shared_socket_directory_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "serve", "--socket", str(shared / "q"),
         "--clock", "virtual"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode != 0
    assert "must belong to uid" in done.stderr and "writable by nobody else" in done.stderr


def test_a_live_daemon_is_not_taken_over(qmaster):
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "serve", "--socket", qmaster.path],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode != 0 and "already serves" in done.stderr
    assert qmaster.ping() > 0


def test_requests_larger_than_the_read_buffer(qmaster):
    """A job template of a few hundred kilobytes (a large environment, a long argument)."""
    from simulator.model.errors import DrmError as Error

    with Client(qmaster.path) as client:
        big = "x" * 300_000
        with pytest.raises(Error) as info:
            client.request("jt.set", "no-token", "1", "drmaa_job_name", big)
        assert info.value.code == 5  # answered: the frame was read whole
        assert client.request("ctl.ping")[0]  # and the connection is still in step


def test_bad_frames_close_the_connection_not_the_daemon(qmaster):
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.connect(qmaster.path)
    raw.sendall((MAX_FRAME + 1).to_bytes(4, "big"))
    assert raw.recv(16) == b""  # closed, unanswered
    raw.close()
    with Client(qmaster.path) as client:
        with pytest.raises(DrmError, match="unknown operation"):
            client.request("no-such-op")
        with pytest.raises(DrmError, match="malformed"):
            client.request("job_ps")  # no token
        with pytest.raises(DrmError) as info:
            client.request("job_ps", "not-a-token", "1")
        assert info.value.code == 5
    assert encode([b"a", None]) == b"\0\0\0\x09" + b"\0\0\0\x01a" + b"\xff\xff\xff\xff"


@pytest.mark.skipif(os.geteuid() != 0, reason="connects as another user: needs root")
def test_another_user_is_turned_away(qmaster):
    probe = (
        "import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
        "try:\n    s.connect(sys.argv[1])\nexcept OSError as e:\n    print('refused', e.errno)\n"
        "else:\n    try:\n        s.sendall(b'\\0\\0\\0\\x0c\\0\\0\\0\\x08ctl.ping')\n"
        "        print('answer', s.recv(100) or 'none')\n"
        "    except OSError:\n        print('answer none')\n"
    )

    def as_nobody() -> str:
        done = subprocess.run(
            ["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c", probe, qmaster.path],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return done.stdout.strip() or done.stderr

    # The socket is 0600 in a 0700 directory: the kernel turns others away...
    assert as_nobody().startswith("refused 13")
    # ...and were they let through, the daemon would answer them nothing (SO_PEERCRED).
    path = Path(qmaster.path)
    path.parent.chmod(0o711)
    path.chmod(0o666)
    assert as_nobody() == "answer none"
    assert qmaster.ping() > 0


def test_only_malformed_requests_are_code_4(qmaster):
    """A request of the wrong shape is code 4; a failure inside the cell is not passed off
    as one (it is code 1, the daemon's own fault)."""
    with Client(qmaster.path) as client:
        for fields in (("ctl.advance", "soon"), ("ctl.set_reachable", "2"), ("job_ps",)):
            with pytest.raises(DrmError) as info:
                client.request(*fields)
            assert info.value.code == 4 and "malformed" in info.value.message
        with pytest.raises(DrmError) as info:
            client.request("ctl.reset", "slots=0")  # the cell refuses it: still the caller's
        assert info.value.code == 4 and "slots must be a positive integer" in info.value.message
        qmaster.reset(clock="real", job_user=os.environ.get("DRMAA_SIM_JOB_USER"))
