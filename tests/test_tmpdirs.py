"""Jobs' TMPDIRs: in a private root per simulator, always fresh and empty for the job,
recycled only when nothing can tell."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from simulator.executors import tmpdirs as tmpdirs_module
from simulator.executors.tmpdirs import ROOT_PREFIX, SPARES, TmpDirs


@pytest.fixture
def tmpdirs(tmp_path: Path):
    dirs = TmpDirs(str(tmp_path))
    yield dirs
    dirs.close()


@pytest.fixture
def root(tmpdirs: TmpDirs) -> Path:
    return Path(tmpdirs.root)


def _pool(root: Path) -> Path:
    return root / ".spares"


def test_each_simulator_has_a_private_root_of_its_own(tmp_path):
    one, two = TmpDirs(str(tmp_path)), TmpDirs(str(tmp_path))
    try:
        assert one.root != two.root
        for dirs in (one, two):
            path = Path(dirs.root)
            assert path.parent == tmp_path
            assert path.name.startswith(f"{ROOT_PREFIX}{os.getpid()}-")
            assert stat.S_IMODE(path.stat().st_mode) == 0o700
            dirs.create("1.1.all.q")  # Grid Engine's basename, in each root
            assert (path / "1.1.all.q").is_dir()
        one.remove("1.1.all.q")
        assert (Path(two.root) / "1.1.all.q").is_dir()  # the other's is left alone
    finally:
        one.close()
        two.close()
    assert list(tmp_path.iterdir()) == []


def test_an_empty_tmpdir_is_recycled_for_the_next_job(tmpdirs, root):
    tmpdirs.create("1.1.all.q")
    first = (root / "1.1.all.q").stat().st_ino
    tmpdirs.remove("1.1.all.q")
    assert not (root / "1.1.all.q").exists()
    tmpdirs.create("2.1.all.q")
    assert (root / "2.1.all.q").stat().st_ino == first
    assert list((root / "2.1.all.q").iterdir()) == []


def test_a_tmpdir_with_leftovers_is_removed_not_recycled(tmpdirs, root):
    tmpdirs.create("1.1.all.q")
    (root / "1.1.all.q" / "sub").mkdir()
    (root / "1.1.all.q" / "sub" / "file").write_text("x")
    tmpdirs.remove("1.1.all.q")
    assert not (root / "1.1.all.q").exists()
    assert not _pool(root).exists()  # nothing was kept


def test_a_tmpdir_whose_permissions_changed_is_not_recycled(tmpdirs, root):
    tmpdirs.create("1.1.all.q")
    mode = (root / "1.1.all.q").stat().st_mode
    (root / "1.1.all.q").chmod(0o700)
    tmpdirs.remove("1.1.all.q")
    tmpdirs.create("2.1.all.q")
    assert (root / "2.1.all.q").stat().st_mode == mode


def test_a_spare_written_to_after_its_job_is_not_handed_out(tmpdirs, root):
    tmpdirs.create("1.1.all.q")
    tmpdirs.remove("1.1.all.q")
    (spare,) = _pool(root).iterdir()
    (spare / "late").write_text("from a process that escaped its job")
    tmpdirs.create("2.1.all.q")
    assert list((root / "2.1.all.q").iterdir()) == []
    assert list(_pool(root).iterdir()) == []  # the spoilt spare is gone


def test_an_existing_tmpdir_is_left_as_it_is(tmpdirs, root):
    (root / "1.1.all.q").mkdir()  # a re-queued job's, say
    (root / "1.1.all.q" / "kept").write_text("x")
    tmpdirs.create("2.1.all.q")
    tmpdirs.remove("2.1.all.q")  # one spare now
    tmpdirs.create("1.1.all.q")
    assert (root / "1.1.all.q" / "kept").read_text() == "x"
    assert len(list(_pool(root).iterdir())) == 1  # the spare is kept for the next job
    tmpdirs.create("3.1.all.q")
    assert list(_pool(root).iterdir()) == []


def test_spares_are_bounded_and_the_root_goes_on_close(tmp_path):
    dirs = TmpDirs(str(tmp_path))
    root = Path(dirs.root)
    names = [f"{n}.1.all.q" for n in range(SPARES + 5)]
    for name in names:
        dirs.create(name)
    for name in names:
        dirs.remove(name)
    assert len(list(_pool(root).iterdir())) == SPARES
    assert os.listdir(root) == [".spares"]
    dirs.close()
    assert os.listdir(tmp_path) == []


def test_roots_of_killed_simulators_are_swept(tmp_path, monkeypatch):
    monkeypatch.setattr(tmpdirs_module, "_swept", set())
    ended = subprocess.Popen(["true"])
    ended.wait()  # its pid now names no process, like a simulator that was killed
    stale = tmp_path / f"{ROOT_PREFIX}{ended.pid}-abc"
    (stale / "7.1.all.q").mkdir(parents=True)
    alive = tmp_path / f"{ROOT_PREFIX}{os.getppid()}-def"
    alive.mkdir()
    unrelated = tmp_path / f"{ROOT_PREFIX}notapid"
    unrelated.mkdir()
    dirs = TmpDirs(str(tmp_path))
    assert not stale.exists() and alive.exists() and unrelated.exists()
    dirs.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving TMPDIRs to another user needs root")
def test_tmpdirs_of_another_users_jobs_are_theirs_and_reachable(tmp_path):
    dirs = TmpDirs(str(tmp_path), owner=(65534, 65534))
    try:
        assert stat.S_IMODE(os.stat(dirs.root).st_mode) == 0o711  # enter, list nothing
        dirs.create("1.1.all.q")
        st = (Path(dirs.root) / "1.1.all.q").stat()
        assert (st.st_uid, st.st_gid) == (65534, 65534)
        dirs.remove("1.1.all.q")
        dirs.create("2.1.all.q")  # a recycled one keeps its owner
        st = (Path(dirs.root) / "2.1.all.q").stat()
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    finally:
        dirs.close()


KILLED_SIMULATOR = """
import os, sys, time
from simulator import control
import simulator.drmaa as drmaa
control.reset(clock="real", home=sys.argv[1])
s = drmaa.Session(); s.initialize()
jt = s.createJobTemplate(); jt.remoteCommand = "/bin/sh"
jt.args = ["-c", f"sleep 300 & echo $! > {sys.argv[1]}/child; echo $$ > {sys.argv[1]}/pid; wait"]
jt.outputPath = ":/dev/null"; jt.joinFiles = True
s.runJob(jt)
while not os.path.exists(os.path.join(sys.argv[1], "pid")):
    time.sleep(0.01)
print("ready", flush=True)
time.sleep(300)
"""


def test_jobs_of_a_killed_simulator_die_when_the_next_one_starts(job_dir, monkeypatch):
    """kill -9 of a simulator leaves its jobs running, orphaned: the next simulator to make
    a root in the same place kills them (found by their TMPDIR) and removes the root."""
    import sys
    import time

    script = job_dir / "sim.py"
    script.write_text(KILLED_SIMULATOR)
    env = {**os.environ, "DRMAA_SIM_TMPDIR": str(job_dir)}
    simulator = subprocess.Popen(
        [sys.executable, str(script), str(job_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert simulator.stdout is not None and simulator.stdout.readline() == "ready\n"
    job, child = int((job_dir / "pid").read_text()), int((job_dir / "child").read_text())
    simulator.kill()
    simulator.wait()
    simulator.stdout.close()
    os.kill(job, 0)  # still running, orphaned
    (dead_root,) = [p for p in job_dir.iterdir() if p.name.startswith(ROOT_PREFIX)]
    monkeypatch.setattr(tmpdirs_module, "_swept", set())
    TmpDirs(str(job_dir)).close()
    for pid, what in ((job, "the orphaned job"), (child, "the job's own child")):
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"{what} survived the sweep")
    assert not dead_root.exists()


def test_a_planted_tmpdir_is_never_the_jobs(job_dir, monkeypatch):
    """Another local user plants '<tmp>/1.1.all.q' (Grid Engine's name for job 1's TMPDIR)
    with a 'sleep' in it: TMPDIR comes first in a job's PATH, so a job running 'sleep' would
    run theirs. The job's TMPDIR is in the simulator's own private root instead."""
    import simulator.drmaa as drmaa
    from simulator import control

    shared = job_dir / "tmp"  # stands for /tmp: world-writable, sticky
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / "1.1.all.q"
    planted.mkdir()
    marker = job_dir / "planted-ran"
    (planted / "sleep").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (planted / "sleep").chmod(0o755)
    (shared / "2.1.all.q").symlink_to(planted)  # and a symlink, for job 2
    monkeypatch.setenv("DRMAA_SIM_TMPDIR", str(shared))
    control.reset(clock="real", home=str(job_dir))
    session = drmaa.Session
    session.initialize()
    try:
        jt = session.createJobTemplate()
        jt.remoteCommand, jt.args = "sleep", ["0"]  # found through PATH
        jt.outputPath, jt.joinFiles = ":/dev/null", True
        for _ in range(2):
            assert session.wait(session.runJob(jt), 30).exitStatus == 0
    finally:
        session.exit()
        control.reset()
    assert not marker.exists(), "the planted 'sleep' ran"
    assert sorted(p.name for p in planted.iterdir()) == ["sleep"]  # untouched
