"""The project's C libdrmaa.so.1.0, what it does without a daemon: its exports, the fixed
answers, stat decoding, argument checks, calls without a session, and reaching no qmaster.

Loaded with ctypes into this process, which never opens a session; whatever depends on
fresh process state (drmaa_init) runs in a child process.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from ctypes import byref, c_char_p, c_int, c_long, c_size_t, c_uint, c_void_p
from pathlib import Path

import pytest

from simulator.native import LIBRARY_NAME, library_dir, library_path

ROOT = Path(__file__).resolve().parents[1]

#: The drmaa_* symbols Grid Engine 8.1.9's libdrmaa.so.1.0 exports (nm -D).
GE_API = sorted(
    """drmaa_allocate_job_template drmaa_control drmaa_delete_job_template drmaa_exit
    drmaa_get_DRMAA_implementation drmaa_get_DRM_system drmaa_get_attribute
    drmaa_get_attribute_names drmaa_get_contact drmaa_get_next_attr_name
    drmaa_get_next_attr_value drmaa_get_next_job_id drmaa_get_num_attr_names
    drmaa_get_num_attr_values drmaa_get_num_job_ids drmaa_get_vector_attribute
    drmaa_get_vector_attribute_names drmaa_init drmaa_job_ps drmaa_release_attr_names
    drmaa_release_attr_values drmaa_release_job_ids drmaa_run_bulk_jobs drmaa_run_job
    drmaa_set_attribute drmaa_set_vector_attribute drmaa_strerror drmaa_synchronize
    drmaa_version drmaa_wait drmaa_wcoredump drmaa_wexitstatus drmaa_wifaborted
    drmaa_wifexited drmaa_wifsignaled drmaa_wtermsig""".split()
)

#: The signals Grid Engine names; drmaa_wtermsig gives any other "SIGunknown signal".
KNOWN_SIGNALS = (
    "HUP INT QUIT ILL TRAP ABRT FPE KILL BUS SEGV PIPE ALRM TERM URG STOP TSTP CONT CHLD "
    "TTIN TTOU IO XCPU XFSZ USR1 USR2 WINCH"
).split()

INVALID = b"The input value for an argument is invalid."
NO_SESSION = b"No active session"
DIAG = 1024


@pytest.fixture(scope="module")
def lib() -> ctypes.CDLL:
    return ctypes.CDLL(library_path())


def diag_buffer(fill: bytes = b"untouched") -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer(fill, DIAG)


# -- the library as built ----------------------------------------------------------------


def test_the_library_is_built_beside_its_sources():
    path = library_path()
    assert os.path.isabs(path) and os.path.basename(path) == LIBRARY_NAME
    assert os.path.dirname(path) == library_dir()
    link = Path(library_dir(), "libdrmaa.so")  # a symlink; a copy when installed from a wheel
    assert link.resolve() == Path(path).resolve() or link.read_bytes() == Path(path).read_bytes()
    assert os.path.isfile(os.path.join(library_dir(), "drmaa.h"))


@pytest.mark.skipif(shutil.which("nm") is None, reason="needs binutils' nm")
def test_it_exports_exactly_grid_engines_drmaa_functions():
    """The 36 C functions, and besides them only the Java binding's native methods (which
    Grid Engine's libdrmaa exports too; tests/test_java_binding.py checks those)."""
    out = subprocess.run(
        ["nm", "-D", "--defined-only", library_path()],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    exported = sorted(line.split()[-1] for line in out.splitlines() if line.split()[1] in "TW")
    jni = "Java_com_sun_grid_drmaa_SessionImpl_native"
    assert [name for name in exported if not name.startswith(jni)] == GE_API


@pytest.mark.skipif(shutil.which("readelf") is None, reason="needs binutils' readelf")
def test_its_soname_is_grid_engines():
    out = subprocess.run(
        ["readelf", "-d", library_path()], capture_output=True, text=True, check=True
    ).stdout
    assert f"[{LIBRARY_NAME}]" in out


# -- fixed answers -----------------------------------------------------------------------


def test_version_is_1_0(lib):
    major, minor, diag = c_uint(7), c_uint(7), diag_buffer()
    assert lib.drmaa_version(byref(major), byref(minor), diag, DIAG) == 0
    assert (major.value, minor.value) == (1, 0)
    assert diag.value == b"untouched"


@pytest.mark.parametrize("function", ["drmaa_get_DRM_system", "drmaa_get_DRMAA_implementation"])
def test_drm_system_and_implementation_are_sge_8_1_9(lib, function):
    buf, diag = ctypes.create_string_buffer(1024), diag_buffer()
    assert getattr(lib, function)(buf, c_size_t(1024), diag, c_size_t(DIAG)) == 0
    assert buf.value == b"SGE 8.1.9"
    assert diag.value == b"untouched"
    small = ctypes.create_string_buffer(b"xxxxxxxx", 8)
    assert getattr(lib, function)(small, c_size_t(4), None, c_size_t(0)) == 0
    assert small.raw[:5] == b"SGE\0x"  # truncated, NUL-terminated, nothing written past


def test_contact_is_empty_without_a_session(lib):
    buf = ctypes.create_string_buffer(b"junk", 1024)
    assert lib.drmaa_get_contact(buf, c_size_t(1024), None, c_size_t(0)) == 0
    assert buf.value == b""


def test_strerror_has_grid_engines_text_for_every_code(lib):
    lib.drmaa_strerror.restype = c_char_p
    lib.drmaa_strerror.argtypes = [c_int]
    texts = [lib.drmaa_strerror(code) for code in range(26)]
    assert all(isinstance(text, bytes) and text for text in texts)
    assert len(set(texts)) == 26
    assert texts[18] == b"The job specified by the 'jobid' does not exist."  # drmaa_driver
    assert texts[23] == b"time-out condition"
    for code in (-1, 26, 1000):
        assert lib.drmaa_strerror(code) is None  # NULL, as Grid Engine's


# -- decoding stat -----------------------------------------------------------------------


def stat_of(exited=0, signaled=0, core=0, aborted=0, status=0, sig=0) -> int:
    """drmaa_wait's stat as docs/qmaster-protocol.md lays it out."""
    return exited | signaled << 1 | core << 2 | aborted << 3 | status << 4 | sig << 12


def decode(lib, stat: int) -> dict[str, object]:
    out = {}
    for name in ("wifexited", "wexitstatus", "wifsignaled", "wcoredump", "wifaborted"):
        value = c_int(-7)
        assert getattr(lib, f"drmaa_{name}")(byref(value), c_int(stat), None, c_size_t(0)) == 0
        out[name] = value.value
    buf = ctypes.create_string_buffer(b"junk", 32)
    assert lib.drmaa_wtermsig(buf, c_size_t(32), c_int(stat), None, c_size_t(0)) == 0
    out["wtermsig"] = buf.value.decode()
    return out


def flags(termsig="", **set_: int) -> dict[str, object]:
    """What decode() gives: every flag 0 but those named, and the signal's name."""
    out: dict[str, object] = dict.fromkeys(
        ("wifexited", "wexitstatus", "wifsignaled", "wcoredump", "wifaborted"), 0
    )
    out.update(set_)
    out["wtermsig"] = termsig
    return out


UNKNOWN = "SIGunknown signal"


@pytest.mark.parametrize(
    ("stat", "expected"),
    [
        (0, flags()),
        (stat_of(exited=1), flags(wifexited=1)),
        (stat_of(exited=1, status=3), flags(wifexited=1, wexitstatus=3)),
        (stat_of(exited=1, status=255), flags(wifexited=1, wexitstatus=255)),
        (stat_of(signaled=1, sig=9), flags("SIGKILL", wifsignaled=1)),
        (stat_of(signaled=1, core=1, sig=11), flags("SIGSEGV", wifsignaled=1, wcoredump=1)),
        (stat_of(aborted=1), flags(wifaborted=1)),
        (stat_of(signaled=1, sig=int(signal.SIGSYS)), flags(UNKNOWN, wifsignaled=1)),
        (stat_of(signaled=1, sig=64), flags(UNKNOWN, wifsignaled=1)),
        # bits above 19 mean nothing
        (stat_of(exited=1, status=2) | 0x7FF00000, flags(wifexited=1, wexitstatus=2)),
        (-1, flags(UNKNOWN, wifexited=1, wexitstatus=255, wifsignaled=1, wcoredump=1,
                   wifaborted=1)),
    ],
)  # fmt: skip
def test_stat_decoding(lib, stat, expected):
    assert decode(lib, stat) == expected


@pytest.mark.parametrize("name", KNOWN_SIGNALS)
def test_wtermsig_names_the_signals_grid_engine_knows(lib, name):
    number = int(signal.Signals[f"SIG{name}"])
    assert decode(lib, stat_of(signaled=1, sig=number))["wtermsig"] == f"SIG{name}"


def test_wtermsig_names_no_other_signal(lib):
    known = {int(signal.Signals[f"SIG{name}"]) for name in KNOWN_SIGNALS}
    for number in sorted(set(range(1, 256)) - known):
        assert decode(lib, stat_of(signaled=1, sig=number))["wtermsig"] == "SIGunknown signal"


def test_wtermsig_truncates_to_its_buffer(lib):
    buf = ctypes.create_string_buffer(b"xxxxxxxx", 8)
    stat = stat_of(signaled=1, sig=15)
    assert lib.drmaa_wtermsig(buf, c_size_t(4), c_int(stat), None, c_size_t(0)) == 0
    assert buf.raw[:5] == b"SIG\0x"


# -- argument checks ---------------------------------------------------------------------

# A stand-in for a template or list pointer: the library must refuse before touching it.
FAKE = ctypes.create_string_buffer(64)


def null_calls(lib) -> dict[str, object]:
    """Calls with a NULL where the library needs a pointer: each returns code 4."""
    vp, cp, sz = c_void_p, c_char_p, c_size_t
    out = ctypes.create_string_buffer(128)
    fake = ctypes.cast(FAKE, vp)
    return {
        "allocate_job_template": lambda d: lib.drmaa_allocate_job_template(None, d, sz(DIAG)),
        "delete_job_template": lambda d: lib.drmaa_delete_job_template(None, d, sz(DIAG)),
        "set_attribute(jt)": lambda d: lib.drmaa_set_attribute(
            None, cp(b"drmaa_wd"), cp(b"/"), d, sz(DIAG)),
        "set_attribute(name)": lambda d: lib.drmaa_set_attribute(
            fake, None, cp(b"/"), d, sz(DIAG)),
        "get_attribute(value)": lambda d: lib.drmaa_get_attribute(
            fake, cp(b"drmaa_wd"), None, sz(128), d, sz(DIAG)),
        "get_attribute(name)": lambda d: lib.drmaa_get_attribute(
            fake, None, out, sz(128), d, sz(DIAG)),
        "set_vector_attribute(values)": lambda d: lib.drmaa_set_vector_attribute(
            fake, cp(b"drmaa_v_argv"), None, d, sz(DIAG)),
        "get_vector_attribute(values)": lambda d: lib.drmaa_get_vector_attribute(
            fake, cp(b"drmaa_v_argv"), None, d, sz(DIAG)),
        "get_attribute_names": lambda d: lib.drmaa_get_attribute_names(None, d, sz(DIAG)),
        "get_vector_attribute_names": lambda d: lib.drmaa_get_vector_attribute_names(
            None, d, sz(DIAG)),
        "run_job(job_id)": lambda d: lib.drmaa_run_job(None, sz(128), fake, d, sz(DIAG)),
        "run_job(jt)": lambda d: lib.drmaa_run_job(out, sz(128), None, d, sz(DIAG)),
        "run_bulk_jobs(ids)": lambda d: lib.drmaa_run_bulk_jobs(
            None, fake, c_uint(1), c_uint(2), c_int(1), d, sz(DIAG)),
        "run_bulk_jobs(jt)": lambda d: lib.drmaa_run_bulk_jobs(
            byref(vp()), None, c_uint(1), c_uint(2), c_int(1), d, sz(DIAG)),
        "synchronize": lambda d: lib.drmaa_synchronize(None, c_long(0), c_int(1), d, sz(DIAG)),
        "job_ps": lambda d: lib.drmaa_job_ps(cp(b"1"), None, d, sz(DIAG)),
        "wifexited": lambda d: lib.drmaa_wifexited(None, c_int(1), d, sz(DIAG)),
        "wexitstatus": lambda d: lib.drmaa_wexitstatus(None, c_int(1), d, sz(DIAG)),
        "wifsignaled": lambda d: lib.drmaa_wifsignaled(None, c_int(1), d, sz(DIAG)),
        "wtermsig": lambda d: lib.drmaa_wtermsig(None, sz(32), c_int(1), d, sz(DIAG)),
        "wcoredump": lambda d: lib.drmaa_wcoredump(None, c_int(1), d, sz(DIAG)),
        "wifaborted": lambda d: lib.drmaa_wifaborted(None, c_int(1), d, sz(DIAG)),
        "version(major)": lambda d: lib.drmaa_version(None, byref(c_uint()), d, sz(DIAG)),
        "version(minor)": lambda d: lib.drmaa_version(byref(c_uint()), None, d, sz(DIAG)),
        "get_contact": lambda d: lib.drmaa_get_contact(None, sz(128), d, sz(DIAG)),
        "get_DRM_system": lambda d: lib.drmaa_get_DRM_system(None, sz(128), d, sz(DIAG)),
        "get_DRMAA_implementation": lambda d: lib.drmaa_get_DRMAA_implementation(
            None, sz(128), d, sz(DIAG)),
    }  # fmt: skip


NULL_CASES = list(null_calls(None))


@pytest.mark.parametrize("case", NULL_CASES)
def test_a_null_pointer_argument_is_code_4(lib, case):
    diag = diag_buffer()
    assert null_calls(lib)[case](diag) == 4
    assert diag.value == INVALID


@pytest.mark.parametrize("kind", ["attr_name", "attr_value", "job_id"])
def test_list_functions_refuse_null_and_release_accepts_it(lib, kind):
    value = ctypes.create_string_buffer(64)
    getter = getattr(lib, f"drmaa_get_next_{kind}")
    assert getter(None, value, c_size_t(64)) == 4
    assert getter(ctypes.cast(FAKE, c_void_p), None, c_size_t(64)) == 4
    plural = {"attr_name": "attr_names", "attr_value": "attr_values", "job_id": "job_ids"}[kind]
    size = c_int(-1)
    assert getattr(lib, f"drmaa_get_num_{plural}")(None, byref(size)) == 4
    assert getattr(lib, f"drmaa_get_num_{plural}")(ctypes.cast(FAKE, c_void_p), None) == 4
    getattr(lib, f"drmaa_release_{plural}")(None)  # no crash


# -- calls without a session --------------------------------------------------------------


def session_calls(lib) -> dict[str, object]:
    """Calls with well-formed arguments that need an open session."""
    vp, cp, sz = c_void_p, c_char_p, c_size_t
    out = ctypes.create_string_buffer(128)
    fake = ctypes.cast(FAKE, vp)
    ids = (c_char_p * 2)(b"1", None)
    argv = (c_char_p * 2)(b"x", None)
    return {
        "allocate_job_template": lambda d: lib.drmaa_allocate_job_template(
            byref(vp()), d, sz(DIAG)),
        "set_attribute": lambda d: lib.drmaa_set_attribute(
            fake, cp(b"drmaa_wd"), cp(b"/"), d, sz(DIAG)),
        "get_attribute": lambda d: lib.drmaa_get_attribute(
            fake, cp(b"drmaa_wd"), out, sz(128), d, sz(DIAG)),
        "set_vector_attribute": lambda d: lib.drmaa_set_vector_attribute(
            fake, cp(b"drmaa_v_argv"), argv, d, sz(DIAG)),
        "get_vector_attribute": lambda d: lib.drmaa_get_vector_attribute(
            fake, cp(b"drmaa_v_argv"), byref(vp()), d, sz(DIAG)),
        "run_job": lambda d: lib.drmaa_run_job(out, sz(128), fake, d, sz(DIAG)),
        "run_bulk_jobs": lambda d: lib.drmaa_run_bulk_jobs(
            byref(vp()), fake, c_uint(1), c_uint(3), c_int(1), d, sz(DIAG)),
        "control": lambda d: lib.drmaa_control(cp(b"1"), c_int(4), d, sz(DIAG)),
        "control(NULL id)": lambda d: lib.drmaa_control(None, c_int(4), d, sz(DIAG)),
        "synchronize": lambda d: lib.drmaa_synchronize(ids, c_long(0), c_int(1), d, sz(DIAG)),
        "wait": lambda d: lib.drmaa_wait(
            cp(b"DRMAA_JOB_IDS_SESSION_ANY"), out, sz(128), byref(c_int()), c_long(0),
            byref(vp()), d, sz(DIAG)),
        "wait(NULL outputs)": lambda d: lib.drmaa_wait(
            cp(b"1"), None, sz(0), None, c_long(0), None, d, sz(DIAG)),
        "job_ps": lambda d: lib.drmaa_job_ps(cp(b"1"), byref(c_int()), d, sz(DIAG)),
    }  # fmt: skip


SESSION_CASES = list(session_calls(None))


@pytest.mark.parametrize("case", SESSION_CASES)
def test_a_session_call_without_a_session_is_code_5(lib, case):
    diag = diag_buffer()
    assert session_calls(lib)[case](diag) == 5
    assert diag.value == NO_SESSION


def test_outputs_are_cleared_when_a_call_fails(lib):
    values = c_void_p(1234)
    lib.drmaa_get_vector_attribute(
        ctypes.cast(FAKE, c_void_p), c_char_p(b"drmaa_v_argv"), byref(values), None, c_size_t(0)
    )
    assert values.value is None
    jt = c_void_p(1234)
    assert lib.drmaa_allocate_job_template(byref(jt), None, c_size_t(0)) == 5
    assert jt.value is None


def test_exit_without_a_session_is_code_5_with_an_empty_message(lib):
    diag = diag_buffer()
    assert lib.drmaa_exit(diag, c_size_t(DIAG)) == 5
    assert diag.value == b""


def test_error_buffers_are_written_within_their_length(lib):
    assert lib.drmaa_job_ps(c_char_p(b"1"), byref(c_int()), None, c_size_t(DIAG)) == 5
    diag = diag_buffer()
    assert lib.drmaa_job_ps(c_char_p(b"1"), byref(c_int()), diag, c_size_t(0)) == 5
    assert diag.value == b"untouched"
    small = ctypes.create_string_buffer(b"xxxxxxxx", 8)
    assert lib.drmaa_job_ps(c_char_p(b"1"), byref(c_int()), small, c_size_t(5)) == 5
    assert small.raw[:6] == b"No a\0x"


# -- reaching no qmaster (fresh processes) -------------------------------------------------

PROBE = r"""
import ctypes, json, sys
from ctypes import byref, c_char_p, c_size_t, c_void_p
lib = ctypes.CDLL(sys.argv[1])
def diag():
    return ctypes.create_string_buffer(1024)
out = {}
d = diag()
out["init"] = [lib.drmaa_init(None, d, c_size_t(1024)), d.value.decode()]
contact = ctypes.create_string_buffer(b"junk", 1024)
lib.drmaa_get_contact(contact, c_size_t(1024), None, c_size_t(0))
out["contact"] = contact.value.decode()
d = diag()
out["job_ps"] = [lib.drmaa_job_ps(c_char_p(b"1"), byref(ctypes.c_int()), d, c_size_t(1024)),
                 d.value.decode()]
d = diag()
names = c_void_p()
out["attr_names"] = [lib.drmaa_get_attribute_names(byref(names), d, c_size_t(1024)),
                     d.value.decode()]
d = diag()
out["exit"] = [lib.drmaa_exit(d, c_size_t(1024)), d.value.decode()]
print(json.dumps(out))
"""


@pytest.fixture
def private_dir() -> Iterator[str]:
    """A short private directory for sockets (a socket path must fit in 108 bytes)."""
    path = tempfile.mkdtemp(prefix="dtk-lib-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def probe(env: dict[str, str]) -> dict[str, list]:
    full = {k: v for k, v in os.environ.items() if k not in ("DRMAA_TESTKIT_QMASTER",)}
    full.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, library_path()],
        capture_output=True, text=True, env=full, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_init_with_nobody_listening_is_code_2(private_dir):
    path = os.path.join(private_dir, "qmaster")
    out = probe({"DRMAA_TESTKIT_QMASTER": path})
    expected = f"cannot reach the simulated qmaster at {path}: No such file or directory"
    assert out["init"] == [2, expected]
    assert out["contact"] == ""
    assert out["job_ps"] == [5, "No active session"]
    assert out["attr_names"] == [2, expected]  # needs no session, but needs the daemon
    assert out["exit"] == [5, ""]


def test_init_with_a_dead_socket_is_code_2_connection_refused(private_dir):
    path = os.path.join(private_dir, "qmaster")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)  # bound, never listening: connecting is refused
    try:
        out = probe({"DRMAA_TESTKIT_QMASTER": path})
    finally:
        dead.close()
    assert out["init"] == [2, f"cannot reach the simulated qmaster at {path}: Connection refused"]
    assert out["exit"] == [5, ""]


def test_a_socket_directory_others_may_write_in_is_refused(private_dir):
    os.chmod(private_dir, 0o777)
    path = os.path.join(private_dir, "qmaster")
    code, message = probe({"DRMAA_TESTKIT_QMASTER": path})["init"]
    assert code == 2
    assert message.startswith(f"not connecting to the simulated qmaster at {path}:")
    assert f"its directory {private_dir} must belong to uid {os.getuid()}" in message


def test_the_default_socket_is_under_xdg_runtime_dir(private_dir):
    out = probe({"DRMAA_TESTKIT_QMASTER": "", "XDG_RUNTIME_DIR": private_dir})
    path = os.path.join(private_dir, "drmaa-testkit", "qmaster")
    assert out["init"] == [
        2,
        f"cannot reach the simulated qmaster at {path}: No such file or directory",
    ]


def test_a_socket_path_too_long_for_a_unix_socket_is_code_2(private_dir):
    path = os.path.join(private_dir, "x" * 120, "qmaster")
    code, message = probe({"DRMAA_TESTKIT_QMASTER": path})["init"]
    assert (code, message) == (
        2,
        f"cannot reach the simulated qmaster at {path}: File name too long",
    )


# -- a fake qmaster that misbehaves ----------------------------------------------------------


def frame(*fields: bytes) -> bytes:
    payload = b"".join(struct.pack(">I", len(field)) + field for field in fields)
    return struct.pack(">I", len(payload)) + payload


def serve_replies(listener: socket.socket, replies: list[bytes | None]) -> None:
    """Answer one request per connection with the next reply (None: hang up instead)."""
    for reply in replies:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(30)
            data = b""
            while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            if reply is not None:
                conn.sendall(reply)


INITS = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
out = []
for _ in range(int(sys.argv[2])):
    d = ctypes.create_string_buffer(1024)
    out.append([lib.drmaa_init(None, d, ctypes.c_size_t(1024)), d.value.decode()])
print(json.dumps(out))
"""


def test_replies_the_library_cannot_read_are_code_2(private_dir):
    path = os.path.join(private_dir, "qmaster")
    replies = [
        struct.pack(">I", 16 * 1024 * 1024 + 1),  # a frame over the limit
        struct.pack(">I", 4) + struct.pack(">I", 9),  # a field running past its frame
        frame(b"x", b""),  # a code that is no number
        frame(b"0", b"", b"token"),  # init's reply without its contact
        None,  # hangs up without a reply
        frame(b"7", b"the fake refuses"),  # a code and its message: passed on
    ]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    listener.settimeout(30)
    server = threading.Thread(target=serve_replies, args=(listener, replies), daemon=True)
    server.start()
    try:
        env = {**os.environ, "DRMAA_TESTKIT_QMASTER": path}
        done = subprocess.run(
            [sys.executable, "-c", INITS, library_path(), str(len(replies))],
            capture_output=True, text=True, env=env, timeout=60, cwd=ROOT,
        )  # fmt: skip
    finally:
        server.join(30)
        listener.close()
    assert done.returncode == 0, done.stderr
    unreadable = f"the simulated qmaster at {path} sent a reply this library cannot read"
    assert json.loads(done.stdout) == [
        [2, f"the simulated qmaster at {path} sent a frame of 16777217 bytes, over the "
            "protocol's limit of 16 MiB"],
        [2, unreadable],
        [2, unreadable],
        [2, unreadable],
        [2, f"lost the connection to the simulated qmaster at {path}"],
        [7, "the fake refuses"],
    ]  # fmt: skip
