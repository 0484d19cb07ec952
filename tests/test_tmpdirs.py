"""Jobs' TMPDIRs: always fresh and empty for the job, recycled only when nothing can tell."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from simulator.executors.tmpdirs import SPARES, TmpDirs


@pytest.fixture
def tmpdirs(tmp_path: Path):
    dirs = TmpDirs(str(tmp_path))
    yield dirs
    dirs.close()


def _spare_pools(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith(".drmaa-testkit-spare")]


def test_an_empty_tmpdir_is_recycled_for_the_next_job(tmpdirs, tmp_path):
    tmpdirs.create("1.1.all.q")
    first = (tmp_path / "1.1.all.q").stat().st_ino
    tmpdirs.remove("1.1.all.q")
    assert not (tmp_path / "1.1.all.q").exists()
    tmpdirs.create("2.1.all.q")
    assert (tmp_path / "2.1.all.q").stat().st_ino == first
    assert list((tmp_path / "2.1.all.q").iterdir()) == []


def test_a_tmpdir_with_leftovers_is_removed_not_recycled(tmpdirs, tmp_path):
    tmpdirs.create("1.1.all.q")
    (tmp_path / "1.1.all.q" / "sub").mkdir()
    (tmp_path / "1.1.all.q" / "sub" / "file").write_text("x")
    tmpdirs.remove("1.1.all.q")
    assert not (tmp_path / "1.1.all.q").exists()
    assert _spare_pools(tmp_path) == []  # nothing was kept


def test_a_tmpdir_whose_permissions_changed_is_not_recycled(tmpdirs, tmp_path):
    tmpdirs.create("1.1.all.q")
    mode = (tmp_path / "1.1.all.q").stat().st_mode
    (tmp_path / "1.1.all.q").chmod(0o700)
    tmpdirs.remove("1.1.all.q")
    tmpdirs.create("2.1.all.q")
    assert (tmp_path / "2.1.all.q").stat().st_mode == mode


def test_a_spare_written_to_after_its_job_is_not_handed_out(tmpdirs, tmp_path):
    tmpdirs.create("1.1.all.q")
    tmpdirs.remove("1.1.all.q")
    (pool,) = _spare_pools(tmp_path)
    (spare,) = pool.iterdir()
    (spare / "late").write_text("from a process that escaped its job")
    tmpdirs.create("2.1.all.q")
    assert list((tmp_path / "2.1.all.q").iterdir()) == []
    assert list(pool.iterdir()) == []  # the spoilt spare is gone


def test_an_existing_tmpdir_is_left_as_it_is(tmpdirs, tmp_path):
    (tmp_path / "1.1.all.q").mkdir()
    (tmp_path / "1.1.all.q" / "kept").write_text("x")
    tmpdirs.create("2.1.all.q")
    tmpdirs.remove("2.1.all.q")  # one spare now
    tmpdirs.create("1.1.all.q")
    assert (tmp_path / "1.1.all.q" / "kept").read_text() == "x"
    (pool,) = _spare_pools(tmp_path)
    assert len(list(pool.iterdir())) == 1  # the spare is kept for the next job
    tmpdirs.create("3.1.all.q")
    assert list(pool.iterdir()) == []


def test_spares_are_bounded_and_removed_on_close(tmp_path):
    dirs = TmpDirs(str(tmp_path))
    names = [f"{n}.1.all.q" for n in range(SPARES + 5)]
    for name in names:
        dirs.create(name)
    for name in names:
        dirs.remove(name)
    (pool,) = _spare_pools(tmp_path)
    assert len(list(pool.iterdir())) == SPARES
    assert os.listdir(tmp_path) == [pool.name]
    dirs.close()
    assert os.listdir(tmp_path) == []
    dirs.create("last.1.all.q")
    dirs.remove("last.1.all.q")  # after close: removed, nothing kept
    assert os.listdir(tmp_path) == []


def test_spares_of_a_killed_simulator_are_swept(tmp_path):
    ended = subprocess.Popen(["true"])
    ended.wait()  # its pid now names no process, like a simulator that was killed
    stale = tmp_path / f".drmaa-testkit-spare-tmpdirs-{ended.pid}-abc"
    (stale / "1").mkdir(parents=True)
    alive = tmp_path / f".drmaa-testkit-spare-tmpdirs-{os.getppid()}-def"
    alive.mkdir()
    dirs = TmpDirs(str(tmp_path))
    dirs.create("1.1.all.q")
    dirs.remove("1.1.all.q")  # the first spare: the pool is made, the dead one swept
    assert not stale.exists() and alive.exists()
    dirs.close()
