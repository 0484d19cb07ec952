"""The simulated qmaster: one cell, served to client processes over a Unix socket.

Each connection is served by a thread of its own, one request at a time, so a client's
blocked ``wait`` occupies its connection's thread and nothing else. Sessions belong to the
cell, not to a connection: a client opens one with ``init`` on its *anchor* connection and
may then use any connection with the session's token. When the anchor closes without
``exit`` (the client process died), the session ends as with ``exit``: Grid Engine's qmaster
forgets a client that is gone, and jobs that end while nobody is attached are lost.

Nothing is persisted: a daemon that stops takes its cell with it (running jobs are killed
and reaped, as the in-process cell does at interpreter exit), and a new one starts empty,
where a saved contact string names an empty session, as an unknown one does on Grid Engine.
See docs/qmaster-protocol.md.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import stat
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator import control
from simulator.library import calls
from simulator.library.submission import Submitter
from simulator.library.templates import SCALAR_ATTRIBUTES, VECTOR_ATTRIBUTES, TemplateStore
from simulator.model import Connection, DrmError, ErrorCode
from simulator.server.wire import Field, FrameReader, ProtocolError, data, encode, text

ENV = "DRMAA_TESTKIT_QMASTER"


def default_socket_path() -> str:
    """Where the qmaster listens unless told otherwise (``DRMAA_TESTKIT_QMASTER``)."""
    given = os.environ.get(ENV)
    if given:
        return given
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "drmaa-testkit", "qmaster")
    return f"/tmp/drmaa-testkit-{os.getuid()}/qmaster"


class BadRequest(Exception):
    """A request of the wrong shape: a field missing, or a number that does not parse."""


class Refused(Exception):
    """A request the daemon answers with an error code instead of carrying it out."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ClientSession:
    """A session some client opened: the cell's connection, and the client's process."""

    conn: Connection
    anchor: object  # the handler whose connection ends the session if it closes
    pid: int  # the client process: its job templates are its, whatever session it has


@dataclass
class Template:
    """A job template a client process made: Grid Engine's library keeps templates per
    process, so one outlives the session it was made in."""

    pid: int
    store: TemplateStore = field(default_factory=TemplateStore)


Handler = Callable[[list[Field]], list[Field]]


class Daemon:
    """Serves the process-wide simulated cell (:mod:`simulator.control`) on ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._sessions: dict[str, ClientSession] = {}
        self._templates: dict[int, Template] = {}
        self._template_numbers = itertools.count(1)
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._ops: dict[bytes, Callable[[list[Field], object], list[Field]]] = {
            b"init": self._init,
            b"exit": self._exit,
            b"jt.new": self._jt_new,
            b"jt.delete": self._jt_delete,
            b"jt.set": self._jt_set,
            b"jt.get": self._jt_get,
            b"jt.set_vector": self._jt_set_vector,
            b"jt.get_vector": self._jt_get_vector,
            b"attr_names": lambda args, _: [data(name) for name in SCALAR_ATTRIBUTES],
            b"vector_attr_names": lambda args, _: [data(name) for name in VECTOR_ATTRIBUTES],
            b"run": self._run,
            b"run_bulk": self._run_bulk,
            b"control": self._control,
            b"sync": self._sync,
            b"wait": self._wait,
            b"job_ps": self._job_ps,
            b"ctl.reset": self._ctl_reset,
            b"ctl.advance": lambda args, _: _done(control.advance, _float(args, 0)),
            b"ctl.now": lambda args, _: [repr(control.now()).encode()],
            b"ctl.set_reachable": lambda args, _: _done(control.set_reachable, _flag(args, 0)),
            b"ctl.ping": lambda args, _: [str(os.getpid()).encode()],
            b"ctl.stop": self._ctl_stop,
        }

    # -- life cycle ----------------------------------------------------------------------
    def bind(self) -> None:
        """Make the socket (in a private directory), refusing to take over a live one."""
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700, exist_ok=True)
        _check_private(directory)
        if os.path.exists(self.path):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(self.path)
            except OSError:
                os.unlink(self.path)  # a dead daemon's
            else:
                raise RuntimeError(f"a qmaster already serves {self.path}")
            finally:
                probe.close()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(self.path)
        finally:
            os.umask(old)
        listener.listen(128)
        self._listener = listener

    def serve_forever(self) -> None:
        """Accept clients until :meth:`stop`; then shut the cell down."""
        listener = self._listener
        assert listener is not None
        try:
            while not self._stopping.is_set():
                try:
                    client, _ = listener.accept()
                except OSError:
                    if self._stopping.is_set():
                        break
                    raise
                if not self._same_user(client):
                    client.close()
                    continue
                threading.Thread(
                    target=self._serve_client, args=(client,), name="qmaster-client", daemon=True
                ).start()
        finally:
            self._close()

    def stop(self) -> None:
        """Stop accepting; :meth:`serve_forever` returns once the cell is shut down."""
        self._stopping.set()
        listener = self._listener
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        control.shutdown()

    @staticmethod
    def _same_user(client: socket.socket) -> bool:
        creds = client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        return uid == os.getuid()

    # -- one client connection -----------------------------------------------------------
    def _serve_client(self, client: socket.socket) -> None:
        handler = object()  # this connection, as an anchor
        reader = FrameReader(client)
        try:
            while True:
                try:
                    request = reader.read()
                except (ProtocolError, OSError):
                    break
                if request is None:
                    break
                reply = self._answer(request, handler)
                try:
                    client.sendall(encode(reply))
                except OSError:
                    break
        finally:
            client.close()
            self._anchor_closed(handler)

    def _answer(self, request: list[Field], handler: object) -> list[Field]:
        op = request[0] if request else None
        run = self._ops.get(op or b"")
        if run is None:
            return _error(ErrorCode.INVALID_ARGUMENT, f"unknown operation {op!r}")
        del request[0]
        try:
            return [b"0", b"", *run(request, handler)]
        except DrmError as error:
            return _error(error.code, error.message)
        except Refused as refused:
            return _error(refused.code, refused.message)
        except BadRequest as error:
            return _error(ErrorCode.INVALID_ARGUMENT, f"malformed {op!r} request: {error}")
        except Exception as error:  # never lose the thread (or the client) to a bug
            print(f"qmaster: {op!r} failed: {error!r}", file=sys.stderr, flush=True)
            return _error(ErrorCode.INTERNAL_ERROR, f"{type(error).__name__}: {error}")

    def _anchor_closed(self, handler: object) -> None:
        with self._lock:
            gone = [t for t, s in self._sessions.items() if s.anchor is handler]
            sessions = [self._sessions.pop(token) for token in gone]
        for session in sessions:
            if session.conn.open:
                try:
                    control.cluster().disconnect(session.conn)
                except DrmError:
                    pass
        if sessions:
            self._forget_templates_of_dead_processes()

    def _forget_templates_of_dead_processes(self) -> None:
        """Templates live as long as the process that made them (the C library cannot say
        when that is: a process may leave its session and make another later)."""
        with self._lock:
            owners = {template.pid for template in self._templates.values()}
            dead = {pid for pid in owners if not _alive(pid)}
            if dead:
                self._templates = {n: t for n, t in self._templates.items() if t.pid not in dead}

    # -- sessions ------------------------------------------------------------------------
    def _session(self, args: list[Field]) -> ClientSession:
        # A plain dict read is atomic: no lock on every request's way.
        session = self._sessions.get(text(_arg(args, 0)) or "")
        if session is None or not session.conn.open:
            raise DrmError(ErrorCode.NO_ACTIVE_SESSION, "No active session")
        return session

    def _init(self, args: list[Field], handler: object) -> list[Field]:
        contact, pid = text(_arg(args, 0)), _int(_arg(args, 1))
        conn = calls.connect(control.cluster(), contact, pid)
        token = secrets.token_hex(12)
        with self._lock:
            self._sessions[token] = ClientSession(conn, handler, pid)
        return [token.encode(), data(conn.contact)]

    def _exit(self, args: list[Field], handler: object) -> list[Field]:
        token = text(_arg(args, 0)) or ""
        with self._lock:
            session = self._sessions.pop(token, None)
        if session is None:
            raise DrmError(ErrorCode.NO_ACTIVE_SESSION, "")
        control.cluster().disconnect(session.conn)
        return []

    # -- templates -----------------------------------------------------------------------
    def _template(self, args: list[Field]) -> TemplateStore:
        """The template the second argument names, of the process whose session the first
        argument is."""
        session = self._session(args)
        template = self._templates.get(_int(_arg(args, 1)))
        if template is None or template.pid != session.pid:
            raise Refused(ErrorCode.INVALID_ARGUMENT, "no such job template in this process")
        return template.store

    def _jt_new(self, args: list[Field], _: object) -> list[Field]:
        session = self._session(args)
        number = next(self._template_numbers)
        if number % 1024 == 0:
            self._forget_templates_of_dead_processes()
        self._templates[number] = Template(session.pid)
        return [str(number).encode()]

    def _jt_delete(self, args: list[Field], _: object) -> list[Field]:
        self._template(args).delete()
        del self._templates[_int(_arg(args, 1))]
        return []

    def _jt_set(self, args: list[Field], _: object) -> list[Field]:
        self._template(args).set(text(_arg(args, 2)), text(_arg(args, 3)))
        return []

    def _jt_get(self, args: list[Field], _: object) -> list[Field]:
        return [data(self._template(args).get(text(_arg(args, 2))))]

    def _jt_set_vector(self, args: list[Field], _: object) -> list[Field]:
        values = [text(value) or "" for value in args[3:]]
        self._template(args).set_vector(text(_arg(args, 2)), values)
        return []

    def _jt_get_vector(self, args: list[Field], _: object) -> list[Field]:
        return [data(value) for value in self._template(args).get_vector(text(_arg(args, 2)))]

    # -- jobs ----------------------------------------------------------------------------
    def _run(self, args: list[Field], _: object) -> list[Field]:
        session, store = self._session(args), self._template(args)
        submitter = _submitter(_arg(args, 2), args[3:])
        return [data(calls.run_job(control.cluster(), session.conn, store, submitter))]

    def _run_bulk(self, args: list[Field], _: object) -> list[Field]:
        session, store = self._session(args), self._template(args)
        begin, end, step = (_int(_arg(args, i)) for i in (2, 3, 4))
        submitter = _submitter(_arg(args, 5), args[6:])
        cluster = control.cluster()
        ids = calls.run_bulk_jobs(cluster, session.conn, store, begin, end, step, submitter)
        return [data(job) for job in ids]

    def _control(self, args: list[Field], _: object) -> list[Field]:
        session = self._session(args)
        calls.control(control.cluster(), session.conn, text(_arg(args, 1)), _int(_arg(args, 2)))
        return []

    def _sync(self, args: list[Field], _: object) -> list[Field]:
        session = self._session(args)
        timeout, dispose = _int(_arg(args, 1)), _flag(args, 2)
        jobs = [text(job) for job in args[3:]]
        calls.synchronize(control.cluster(), session.conn, jobs, timeout, dispose)
        return []

    def _wait(self, args: list[Field], _: object) -> list[Field]:
        session = self._session(args)
        done = calls.wait(control.cluster(), session.conn, text(_arg(args, 1)), _int(_arg(args, 2)))
        usage = [f"{name}={value}".encode() for name, value in done.usage.items()]
        return [data(done.job_id), str(done.stat).encode(), *usage]

    def _job_ps(self, args: list[Field], _: object) -> list[Field]:
        session = self._session(args)
        return [str(calls.job_ps(control.cluster(), session.conn, text(_arg(args, 1)))).encode()]

    # -- control, for tests --------------------------------------------------------------
    def _ctl_reset(self, args: list[Field], _: object) -> list[Field]:
        settings: dict[str, object] = {}
        for arg in args:
            name, _sep, value = (text(arg) or "").partition("=")
            settings[name] = _setting(name, value)
        with self._lock:
            self._sessions.clear()  # the old cell's sessions end with it
            self._templates.clear()
        try:
            control.reset(**settings)  # type: ignore[arg-type]
        except ValueError as error:
            raise Refused(ErrorCode.INVALID_ARGUMENT, str(error)) from None
        return []

    def _ctl_stop(self, args: list[Field], _: object) -> list[Field]:
        threading.Timer(0.05, self.stop).start()  # after this reply has gone out
        return []


_SETTINGS: dict[str, Callable[[str], object]] = {
    "clock": str,
    "slots": int,
    "dispatch_delay": float,
    "job_user": str,
    "home": str,
    "min_uid": int,
    "min_gid": int,
}


def _setting(name: str, value: str) -> object:
    convert = _SETTINGS.get(name)
    if convert is None:
        raise Refused(ErrorCode.INVALID_ARGUMENT, f"ctl.reset knows no setting {name!r}")
    try:
        return convert(value)
    except ValueError:
        raise BadRequest(f"{name}={value!r}") from None


def _submitter(cwd: Field, environ: list[Field]) -> Submitter:
    env = {}
    for pair in environ:
        name, sep, value = (text(pair) or "").partition("=")
        if sep:
            env[name] = value
    return Submitter(text(cwd) or "/", env)


def _error(code: int, message: str) -> list[Field]:
    return [str(int(code)).encode(), data(message)]


def _done(action: Callable[[Any], None], argument: Any) -> list[Field]:
    """Run an action that answers nothing but success."""
    action(argument)
    return []


def _arg(args: list[Field], index: int) -> Field:
    if index >= len(args):
        raise BadRequest(f"argument {index + 1} is missing")
    return args[index]


def _int(field: Field) -> int:
    """A decimal field; BadRequest (code 4) for NULL or anything else."""
    try:
        return int(field)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadRequest(f"expected a number, got {field!r}") from None


def _flag(args: list[Field], index: int) -> bool:
    value = _arg(args, index)
    if value not in (b"0", b"1"):
        raise BadRequest(f"expected 0 or 1, got {value!r}")
    return value == b"1"


def _float(args: list[Field], index: int) -> float:
    try:
        return float(text(_arg(args, index)) or "")
    except ValueError:
        raise BadRequest(f"expected a number, got {_arg(args, index)!r}") from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # somebody's: alive
    return True


def _check_private(directory: str) -> None:
    """The socket's directory must be this user's alone: anyone who can write there could
    put a socket of theirs in its place."""
    st = os.stat(directory)
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(
            f"the qmaster's socket directory {directory} must belong to uid {os.getuid()} "
            "and be writable by nobody else (use a private directory, e.g. mode 0700)"
        )
