"""The qmaster switch the cell launcher serves to the outage cases (no cell needed)."""

from __future__ import annotations

import re

import pytest

from conformance.qmaster_switch import QmasterSwitch, remote_switch


def _switch(calls: list[str], fail: str | None = None) -> QmasterSwitch:
    def action(name: str):
        def run() -> None:
            calls.append(name)
            if name == fail:
                raise RuntimeError(f"{name} broke:\nwhat the script printed")

        return run

    return QmasterSwitch(stop=action("stop"), start=action("start"))


def test_a_client_stops_and_starts_the_qmaster() -> None:
    calls: list[str] = []
    with _switch(calls) as switch:
        set_up = remote_switch(switch.address)
        set_up(False)
        set_up(True)
    assert calls == ["stop", "start"]


def test_a_qmaster_left_down_is_started_when_the_switch_closes() -> None:
    calls: list[str] = []
    with _switch(calls) as switch:
        remote_switch(switch.address)(False)
    assert calls == ["stop", "start"]


def test_a_failed_action_reaches_the_client() -> None:
    calls: list[str] = []
    with (
        _switch(calls, fail="stop") as switch,
        pytest.raises(RuntimeError, match=re.escape("stop failed: stop broke: | what the script")),
    ):
        remote_switch(switch.address)(False)
    assert calls == ["stop", "start"]  # a stop that failed half-way may have left it down


def test_a_wrong_token_is_refused() -> None:
    calls: list[str] = []
    with _switch(calls) as switch, pytest.raises(RuntimeError, match="bad token"):
        host, port, _ = switch.address.rsplit(":", 2)
        remote_switch(f"{host}:{port}:{'0' * 32}")(False)
    assert calls == []


def test_a_malformed_address_is_refused() -> None:
    with pytest.raises(ValueError, match="host:port:token"):
        remote_switch("localhost")


def test_a_silent_client_holds_up_nobody() -> None:
    """A client that connects and says nothing (or too much) does not stall the others."""
    import socket
    import time

    calls: list[str] = []
    with _switch(calls) as switch:
        host, port, _ = switch.address.rsplit(":", 2)
        silent = socket.create_connection((host, int(port)))
        flood = socket.create_connection((host, int(port)))
        flood.sendall(b"x" * 100_000)  # no end of line: answered, not read for ever
        started = time.monotonic()
        remote_switch(switch.address)(False)
        assert time.monotonic() - started < 2
        assert flood.makefile("rb").readline() == b"error: bad token or request\n"
        silent.close()
        flood.close()
    assert calls == ["stop", "start"]
