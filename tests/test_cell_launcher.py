"""The Grid Engine cell launcher's pure parts (no cell, no Docker engine needed)."""

from __future__ import annotations

import os

import pytest

from conformance import cell


def test_the_token_is_never_on_a_command_line(monkeypatch) -> None:
    """Any local user can read /proc/*/cmdline: the launcher passes the environment (which
    holds the switch's address and token) as the process's environment."""
    monkeypatch.setattr(cell, "_is_root", lambda: True)
    argv = cell._as_job_user(["pytest", "conformance"])
    assert argv[1:] == ["-u", cell.JOB_USER, "--", "pytest", "conformance"]
    assert argv[0].endswith("/runuser") and os.path.isabs(argv[0])  # whatever PATH it gets
    assert not any("=" in word for word in argv)


def test_env_without_a_value_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cell.main(["run", "--env", "FOO", "--", "true"])
    assert exit_info.value.code == 2
    assert "expected NAME=VALUE, not 'FOO'" in capsys.readouterr().err


def test_teardown_tries_every_clean_up_and_reports_each_failure(monkeypatch) -> None:
    """Three independent clean-ups: the first failing must not skip the others."""
    done: list[str] = []

    def broken(*_args) -> None:
        done.append("container")
        raise RuntimeError("engine gone")

    monkeypatch.setattr(cell, "remove_container", broken)
    monkeypatch.setattr(cell, "stop_engine", lambda state: done.append("engine"))

    def stop_native() -> None:
        done.append("native")
        raise OSError("stop-sge.sh failed")

    monkeypatch.setattr(cell, "stop_native", stop_native)

    class FakeState:
        def forget_container(self, container: str) -> None:
            done.append("forgotten")

        def update(self, **values: object) -> None:
            done.append("updated")

    started = cell.Cell(
        "docker", container="abc", started_container=True, started_engine=True,
        started_daemons=True,
    )  # fmt: skip
    failures = cell.teardown(started, object(), FakeState())  # type: ignore[arg-type]
    assert done == ["container", "engine", "native"]
    assert failures == [
        "could not remove the container: RuntimeError: engine gone",
        "could not stop the native cell: OSError: stop-sge.sh failed",
    ]


def test_the_job_venv_is_a_venv_or_nothing(tmp_path) -> None:
    """As root the launcher pip-installs into it: never into a system directory."""
    from pathlib import Path

    cell._check_venv_path(tmp_path / "new")  # to be made
    cell._check_venv_path(tmp_path)  # empty
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    cell._check_venv_path(tmp_path)  # a venv
    for bad in (Path("/usr"), Path("relative/venv")):
        with pytest.raises(cell.NoCell, match="DRMAA_TESTKIT_JOB_VENV"):
            cell._check_venv_path(bad)
