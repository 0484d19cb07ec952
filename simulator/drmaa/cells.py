"""Where the drop-in's calls go: the cell in this process, or a simulated qmaster daemon.

A session opened while ``DRMAA_TESTKIT_QMASTER`` names a daemon's socket talks to that
daemon (docs/qmaster-protocol.md), as our C ``libdrmaa`` does: its jobs and its session
then outlive this process, and another process can rejoin it with the contact string.
Otherwise everything happens here, in :mod:`simulator.control`'s cluster.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from simulator import control
from simulator.library import calls
from simulator.library.submission import Submitter
from simulator.library.templates import DeletedTemplate, TemplateStore
from simulator.model.accounting import signal_name
from simulator.model.errors import ErrorCode

if TYPE_CHECKING:
    from simulator.server.client import Client

QMASTER_ENV = "DRMAA_TESTKIT_QMASTER"


class Handle(Protocol):
    """A session as the process holds it."""

    @property
    def open(self) -> bool: ...
    @property
    def contact(self) -> str: ...


class Template(Protocol):
    """A job template as the library keeps it (here, or in the daemon)."""

    def set(self, name: str | None, value: str | None) -> None: ...
    def get(self, name: str | None) -> str: ...
    def set_vector(self, name: str | None, values: list[str]) -> None: ...
    def get_vector(self, name: str | None) -> list[str]: ...
    def delete(self) -> None: ...
    def check_alive(self) -> None: ...


class Cell(Protocol):
    def connect(self, contact: str | None) -> Handle: ...
    def disconnect(self, handle: Handle) -> None: ...
    def new_template(self, handle: Handle) -> Template: ...
    def run_job(self, handle: Handle, store: Template, submitter: Submitter) -> str: ...
    def run_bulk_jobs(
        self, handle: Handle, store: Template, begin: int, end: int, step: int, sub: Submitter
    ) -> list[str]: ...
    def control(self, handle: Handle, job: str | None, action: int) -> None: ...
    def synchronize(
        self, handle: Handle, jobs: Sequence[str | None], timeout: int, dispose: bool
    ) -> None: ...
    def wait(self, handle: Handle, job: str | None, timeout: int) -> calls.Finished: ...
    def job_ps(self, handle: Handle, job: str | None) -> int: ...


def choose() -> Cell:
    """The cell a session opened now talks to."""
    path = os.environ.get(QMASTER_ENV)
    return RemoteCell.at(path) if path else IN_PROCESS


class InProcessCell:
    """The process-wide simulated cluster of :mod:`simulator.control`."""

    def connect(self, contact: str | None) -> Handle:
        return calls.connect(control.cluster(), contact)

    def disconnect(self, handle: Handle) -> None:
        control.cluster().disconnect(handle)  # type: ignore[arg-type]

    def new_template(self, handle: Handle) -> Template:
        return TemplateStore()

    def run_job(self, handle: Handle, store: Template, submitter: Submitter) -> str:
        return calls.run_job(control.cluster(), handle, store, submitter)  # type: ignore[arg-type]

    def run_bulk_jobs(
        self, handle: Handle, store: Template, begin: int, end: int, step: int, sub: Submitter
    ) -> list[str]:
        cluster = control.cluster()
        return calls.run_bulk_jobs(cluster, handle, store, begin, end, step, sub)  # type: ignore[arg-type]

    def control(self, handle: Handle, job: str | None, action: int) -> None:
        calls.control(control.cluster(), handle, job, action)  # type: ignore[arg-type]

    def synchronize(
        self, handle: Handle, jobs: Sequence[str | None], timeout: int, dispose: bool
    ) -> None:
        calls.synchronize(control.cluster(), handle, jobs, timeout, dispose)  # type: ignore[arg-type]

    def wait(self, handle: Handle, job: str | None, timeout: int) -> calls.Finished:
        return calls.wait(control.cluster(), handle, job, timeout)  # type: ignore[arg-type]

    def job_ps(self, handle: Handle, job: str | None) -> int:
        return calls.job_ps(control.cluster(), handle, job)  # type: ignore[arg-type]


IN_PROCESS = InProcessCell()


@dataclass
class RemoteHandle:
    """A session held in a daemon: its token, and the anchor connection that keeps it."""

    token: str
    contact: str
    anchor: Client
    open: bool = True


class RemoteTemplate:
    """A job template held in the daemon."""

    def __init__(self, cell: RemoteCell, handle: RemoteHandle, number: str) -> None:
        self._cell, self._handle, self._number = cell, handle, number
        self.deleted = False

    def _request(self, op: str, *fields: str | None) -> list[str | None]:
        return self._cell.request(op, self._handle.token, self._number, *fields)

    def set(self, name: str | None, value: str | None) -> None:
        self.check_alive()
        self._request("jt.set", name, value)

    def get(self, name: str | None) -> str:
        return self._request("jt.get", name)[0] or ""

    def set_vector(self, name: str | None, values: list[str]) -> None:
        self.check_alive()
        self._request("jt.set_vector", name, *values)

    def get_vector(self, name: str | None) -> list[str]:
        return [value or "" for value in self._request("jt.get_vector", name)]

    def delete(self) -> None:
        if not self.deleted and self._handle.open:
            self._request("jt.delete")
        self.deleted = True

    def check_alive(self) -> None:
        if self.deleted:
            raise DeletedTemplate(
                ErrorCode.INVALID_ARGUMENT,
                "the job template was deleted (libdrmaa would crash here)",
            )

    @property
    def number(self) -> str:
        return self._number


class RemoteCell:
    """A simulated qmaster daemon, reached over its socket with a pool of connections."""

    _cells: ClassVar[dict[str, RemoteCell]] = {}
    _cells_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def at(cls, path: str) -> RemoteCell:
        with cls._cells_lock:
            cell = cls._cells.get(path)
            if cell is None:
                cell = cls._cells[path] = cls(path)
            return cell

    def __init__(self, path: str) -> None:
        self.path = path
        self._idle: list[Client] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _client(self) -> Iterator[Client]:
        from simulator.server.client import Client

        with self._lock:
            client = self._idle.pop() if self._idle else None
        if client is None:
            client = Client(self.path)
        try:
            yield client
        except BaseException:
            client.close()  # its state is unknown (a Ctrl-C mid-request): not pooled
            raise
        with self._lock:
            self._idle.append(client)

    def request(self, op: str, *fields: str | None) -> list[str | None]:
        from simulator.server.wire import data, text

        with self._client() as client:
            reply = client.request(op, *(data(f) for f in fields))
        return [text(field) for field in reply]

    def connect(self, contact: str | None) -> Handle:
        from simulator.server.client import Client
        from simulator.server.wire import data, text

        anchor = Client(self.path)
        try:
            token, given = anchor.request("init", data(contact), str(os.getpid()))
        except BaseException:
            anchor.close()
            raise
        return RemoteHandle(text(token) or "", text(given) or "", anchor)

    def disconnect(self, handle: Handle) -> None:
        assert isinstance(handle, RemoteHandle)
        handle.open = False
        try:
            self.request("exit", handle.token)
        finally:
            handle.anchor.close()

    def new_template(self, handle: Handle) -> Template:
        assert isinstance(handle, RemoteHandle)
        (number,) = self.request("jt.new", handle.token)
        return RemoteTemplate(self, handle, number or "")

    def _submission(self, submitter: Submitter) -> list[str | None]:
        return [submitter.cwd, *(f"{k}={v}" for k, v in submitter.environ.items())]

    def run_job(self, handle: Handle, store: Template, submitter: Submitter) -> str:
        assert isinstance(handle, RemoteHandle) and isinstance(store, RemoteTemplate)
        fields = [handle.token, store.number, *self._submission(submitter)]
        return self.request("run", *fields)[0] or ""

    def run_bulk_jobs(
        self, handle: Handle, store: Template, begin: int, end: int, step: int, sub: Submitter
    ) -> list[str]:
        assert isinstance(handle, RemoteHandle) and isinstance(store, RemoteTemplate)
        bounds = (str(begin), str(end), str(step))
        fields = [handle.token, store.number, *bounds, *self._submission(sub)]
        return [job or "" for job in self.request("run_bulk", *fields)]

    def control(self, handle: Handle, job: str | None, action: int) -> None:
        assert isinstance(handle, RemoteHandle)
        self.request("control", handle.token, job, str(action))

    def synchronize(
        self, handle: Handle, jobs: Sequence[str | None], timeout: int, dispose: bool
    ) -> None:
        assert isinstance(handle, RemoteHandle)
        self.request("sync", handle.token, str(timeout), "1" if dispose else "0", *jobs)

    def wait(self, handle: Handle, job: str | None, timeout: int) -> calls.Finished:
        assert isinstance(handle, RemoteHandle)
        reply = self.request("wait", handle.token, job, str(timeout))
        stat = int(reply[1] or "0")
        usage = dict((pair or "").split("=", 1) for pair in reply[2:])
        signal = stat >> 12 & 0xFF
        return calls.Finished(
            job_id=reply[0] or "",
            exited=bool(stat & 1),
            exit_status=stat >> 4 & 0xFF,
            signaled=bool(stat & 2),
            signal=signal,
            signal_name=signal_name(signal) if stat & 2 else "",
            core_dumped=bool(stat & 4),
            aborted=bool(stat & 8),
            usage=usage,
        )

    def job_ps(self, handle: Handle, job: str | None) -> int:
        assert isinstance(handle, RemoteHandle)
        return int(self.request("job_ps", handle.token, job)[0] or "0")
