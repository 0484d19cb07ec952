"""The process's one DRMAA session, as the C library keeps it: which cell it lives in
(:mod:`simulator.drmaa.cells`) and the handle to it. Session and templates both need it."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from simulator.drmaa.cells import Cell, Handle
from simulator.drmaa.errors import exception_for
from simulator.model import ErrorCode


@dataclass(frozen=True)
class Current:
    cell: Cell
    handle: Handle


lock = threading.Lock()
current: Current | None = None


def active() -> Current:
    """The open session; NoActiveSessionException (code 5) when there is none."""
    session = current
    if session is None or not session.handle.open:
        raise exception_for(ErrorCode.NO_ACTIVE_SESSION, "No active session")
    return session
