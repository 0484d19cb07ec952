"""A switch that takes a Grid Engine cell's qmaster down and brings it back.

The fault-tolerance case needs a qmaster outage, but stopping a qmaster takes root (or the
Docker engine) while the suite runs as the unprivileged job user. So the cell launcher,
which is root, serves this switch on a loopback TCP port guarded by a random token, and
hands its address to the suite in ``DRMAA_TESTKIT_QMASTER_SWITCH=host:port:token``
(loopback reaches it from a host-network container too). The ``sge`` backend's outage
hook is :func:`remote_switch` on that address.

Protocol: one line ``TOKEN stop`` or ``TOKEN start`` per connection (at most
:data:`MAX_REQUEST` bytes, read within :data:`REQUEST_TIMEOUT` seconds); the answer is one
line, ``ok`` or ``error: WHY`` (its lines joined by `` | ``), once the qmaster is down (or
back and running jobs). Each connection is served by a thread of its own, so a slow or
silent client holds up nobody; the actions themselves run one at a time.
"""

from __future__ import annotations

import hmac
import secrets
import socket
import threading
from collections.abc import Callable

ENV = "DRMAA_TESTKIT_QMASTER_SWITCH"
#: How long a client waits for the answer: a restart includes the cell's health-check job.
ANSWER_TIMEOUT = 300.0
#: The longest request line read, and how long a client may take to send it.
MAX_REQUEST = 256
REQUEST_TIMEOUT = 10.0


class QmasterSwitch:
    """Serves ``stop``/``start`` requests on 127.0.0.1 while used as a context manager.

    On exit, a qmaster a client left down (a case that crashed mid-outage) is started
    again, so the cell outlives any case.
    """

    def __init__(self, stop: Callable[[], None], start: Callable[[], None]) -> None:
        self._actions = {"stop": stop, "start": start}
        self._token = secrets.token_hex(16)
        self._lock = threading.Lock()  # one action at a time
        self._down = False
        self._server = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, name="qmaster-switch", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.getsockname()[:2]
        return f"{host}:{port}:{self._token}"

    def __enter__(self) -> QmasterSwitch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() in _serve
        except OSError:
            pass
        self._server.close()
        self._thread.join(timeout=5)
        with self._lock:
            if self._down:
                self._actions["start"]()
                self._down = False

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:  # closed by __exit__
                return
            threading.Thread(
                target=self._serve_one, args=(conn,), name="qmaster-switch-client", daemon=True
            ).start()

    def _serve_one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(REQUEST_TIMEOUT)
            try:
                line = conn.makefile("rb").readline(MAX_REQUEST + 1)
            except OSError:
                return
            if len(line) > MAX_REQUEST or not line.endswith(b"\n"):
                answer = "error: bad token or request"
            else:
                try:
                    request = line.decode("ascii").split()
                except UnicodeDecodeError:
                    request = []
                # One line, whatever the action printed: the client reads one.
                answer = " | ".join(self._handle(request).splitlines())
            try:
                conn.sendall(answer.encode("utf-8", "replace") + b"\n")
            except OSError:
                pass

    def _handle(self, request: list[str]) -> str:
        if len(request) != 2 or not hmac.compare_digest(request[0], self._token):
            return "error: bad token or request"
        action = self._actions.get(request[1])
        if action is None:
            return f"error: unknown action {request[1]!r} (stop or start)"
        with self._lock:
            if request[1] == "stop":
                self._down = True  # even if stopping fails half-way
            try:
                action()
            except Exception as exc:  # reported to the case, which fails with it
                return f"error: {request[1]} failed: {exc}"
            if request[1] == "start":
                self._down = False
        return "ok"


def remote_switch(address: str) -> Callable[[bool], None]:
    """``set_up(up)``: bring the qmaster behind ``address`` up (True) or down (False)."""
    try:
        host, port, token = address.rsplit(":", 2)
        port_number = int(port)
    except ValueError:
        raise ValueError(f"{ENV} must be host:port:token, not {address!r}") from None

    def set_up(up: bool) -> None:
        action = "start" if up else "stop"
        with socket.create_connection((host, port_number), timeout=10) as conn:
            conn.settimeout(ANSWER_TIMEOUT)
            conn.sendall(f"{token} {action}\n".encode())
            answer = conn.makefile("r", encoding="utf-8").readline().strip()
        if answer != "ok":
            raise RuntimeError(f"qmaster switch at {host}:{port}: {answer or 'no answer'}")

    return set_up
