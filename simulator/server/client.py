"""A Python client of the simulated qmaster: requests, and the control panel for tests.

:class:`Client` sends requests over one connection; :class:`QmasterControl` drives the
cell the way :mod:`simulator.control` drives the in-process one (reset, virtual time,
outages), for test code whose jobs go through the daemon.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable

from simulator.model.errors import DrmError, ErrorCode
from simulator.server.wire import Field, ProtocolError, encode, read_frame, text


class Client:
    """One connection to the daemon; one request at a time (a lock sees to it)."""

    def __init__(self, path: str) -> None:
        self.path = path
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except OSError as error:
            sock.close()
            raise DrmError(
                ErrorCode.DRM_COMMUNICATION_FAILURE,
                f"cannot reach the simulated qmaster at {path}: {error.strerror}",
            ) from None
        self._sock = sock
        self._stream = sock.makefile("rb")
        self._lock = threading.Lock()

    def request(self, *fields: Field | str) -> list[Field]:
        """Send one request; its results, or the DrmError its code and message name."""
        frame = encode(f.encode() if isinstance(f, str) else f for f in fields)
        with self._lock:
            try:
                self._sock.sendall(frame)
                reply = read_frame(self._stream)
            except (OSError, ProtocolError):
                reply = None
        if reply is None or len(reply) < 2:
            raise DrmError(
                ErrorCode.DRM_COMMUNICATION_FAILURE,
                f"lost the connection to the simulated qmaster at {self.path}",
            )
        code = int(reply[0] or b"1")
        if code:
            raise DrmError(ErrorCode(code), text(reply[1]) or "")
        return reply[2:]

    def close(self) -> None:
        self._stream.close()
        self._sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class QmasterControl:
    """The daemon's control operations: what :mod:`simulator.control` offers in-process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._client = Client(path)

    def reset(self, **settings: object) -> None:
        """A new, empty cell (``clock``, ``slots``, ``dispatch_delay``, ``job_user``,
        ``home``, ``min_uid``, ``min_gid``); every session of the old one is gone."""
        pairs: Iterable[str] = (f"{k}={v}" for k, v in settings.items() if v is not None)
        self._client.request("ctl.reset", *pairs)

    def advance(self, seconds: float) -> None:
        self._client.request("ctl.advance", repr(float(seconds)))

    def now(self) -> float:
        return float(self._client.request("ctl.now")[0] or b"0")

    def set_reachable(self, reachable: bool) -> None:
        self._client.request("ctl.set_reachable", "1" if reachable else "0")

    def ping(self) -> int:
        """The daemon's pid (and proof that it answers)."""
        return int(self._client.request("ctl.ping")[0] or b"0")

    def stop(self) -> None:
        """Stop the daemon: its jobs are killed and reaped."""
        self._client.request("ctl.stop")

    def close(self) -> None:
        self._client.close()
