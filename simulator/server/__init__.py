"""The simulated qmaster daemon: the cell as a server, for clients in any process.

- ``python -m simulator serve [--socket PATH] [--clock ...]``: run one (:func:`serve`);
- :func:`running`: a context manager that starts one in a child process and stops it, for
  test code; it yields a :class:`~simulator.server.client.QmasterControl`;
- clients: our C ``libdrmaa.so.1.0`` (``python -m simulator libdrmaa`` prints its path),
  with ``DRMAA_TESTKIT_QMASTER`` naming the socket.

The protocol: docs/qmaster-protocol.md.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

from simulator.server.client import QmasterControl
from simulator.server.daemon import ENV, Daemon, default_socket_path

__all__ = ["ENV", "QmasterControl", "default_socket_path", "running", "serve"]


def serve(path: str | None = None, **settings: object) -> None:
    """Serve a new cell on ``path`` until SIGTERM, SIGINT or a ``ctl.stop`` request.

    ``settings`` are :func:`simulator.control.reset`'s (clock, slots, job_user...).
    """
    from simulator import control

    control.reset(**settings)  # type: ignore[arg-type]
    daemon = Daemon(path or default_socket_path())
    daemon.bind()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: daemon.stop())
    print(f"simulated qmaster serving {daemon.path} (pid {os.getpid()})", flush=True)
    daemon.serve_forever()


@contextlib.contextmanager
def running(
    path: str | None = None, startup_timeout: float = 30.0, **settings: object
) -> Iterator[QmasterControl]:
    """Start a daemon in a child process, yield its control panel, stop it afterwards.

    Without ``path`` the socket goes in a new private temporary directory. ``settings``
    are passed as ``serve``'s options (``clock="virtual"``, ``slots=2``...).
    """
    scratch = None
    if path is None:
        scratch = tempfile.mkdtemp(prefix="drmaa-testkit-qmaster-")
        path = os.path.join(scratch, "qmaster")
    argv = [sys.executable, "-m", "simulator", "serve", "--socket", path]
    for name, value in settings.items():
        if value is not None:
            argv += [f"--{name.replace('_', '-')}", str(value)]
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    qmaster = None
    try:
        qmaster = _connect(path, child, startup_timeout)
        yield qmaster
    finally:
        if qmaster is not None:
            try:
                qmaster.stop()
            except Exception:
                pass  # it may be gone already: the terminate below makes sure
            qmaster.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if scratch is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(scratch)


def _connect(path: str, child: subprocess.Popen, timeout: float) -> QmasterControl:
    from simulator.model.errors import DrmError

    deadline = time.monotonic() + timeout
    while True:
        if child.poll() is not None:
            raise RuntimeError(f"the qmaster daemon exited with status {child.returncode}")
        try:
            qmaster = QmasterControl(path)
            qmaster.ping()
            return qmaster
        except DrmError:
            if time.monotonic() > deadline:
                child.kill()
                raise RuntimeError(f"no qmaster answered on {path} within {timeout} s") from None
            time.sleep(0.02)
