"""Who jobs run as: Grid Engine's min_uid/min_gid refusal, and jobs of a root simulator run
as an unprivileged user with that user's rights only (docs/measurements/sge_root_probe.out,
sge_file_access_probe.out)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import simulator.drmaa as sim_drmaa
from simulator import control
from simulator.executors.identity import JobUser
from tests.conftest import template

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="runs jobs as another user: needs root")
JOB_USER = os.environ.get("DRMAA_SIM_JOB_USER") or "nobody"


@pytest.fixture(params=["real", "virtual"])
def limited(request):
    """A session on a cell whose limits are above this process's uid and gid."""

    def make(min_uid: int = 0, min_gid: int = 0) -> type:
        control.reset(clock=request.param, min_uid=min_uid, min_gid=min_gid)
        sim_drmaa.Session.initialize()
        return sim_drmaa.Session

    yield make
    sim_drmaa.Session.exit()
    control.reset()


def test_a_user_below_min_uid_is_refused_at_submission(limited):
    session = limited(min_uid=10**6)
    owner = control.cluster().owner
    jt = template(sim_drmaa, "/bin/true")
    for submit in (lambda: session.runJob(jt), lambda: session.runBulkJobs(jt, 1, 2, 1)):
        with pytest.raises(sim_drmaa.DeniedByDrmException) as info:
            submit()
        assert str(info.value) == (
            f"code 17: job rejected: your user id {owner.uid} is lower than minimum user id "
            "1000000 of cluster configuration"
        )
    # Everything else answers as usual (measured as root).
    with pytest.raises(sim_drmaa.InvalidJobException):
        session.jobStatus("99999999")
    with pytest.raises(sim_drmaa.InvalidJobException):
        session.wait(session.JOB_IDS_SESSION_ANY, 0)
    session.synchronize([session.JOB_IDS_SESSION_ALL], 0, True)
    session.control(session.JOB_IDS_SESSION_ALL, sim_drmaa.JobControlAction.TERMINATE)


def test_a_primary_group_below_min_gid_is_refused(limited):
    session = limited(min_gid=10**6)
    owner = control.cluster().owner
    with pytest.raises(sim_drmaa.DeniedByDrmException) as info:
        session.runJob(template(sim_drmaa, "/bin/true"))
    assert str(info.value) == (
        f"code 17: job rejected: your group id {owner.gid} is lower than minimum group id "
        "1000000 of cluster configuration"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="checks a caller that is not root")
def test_only_root_may_run_jobs_as_another_user():
    other = "root"
    with pytest.raises(PermissionError, match="only root can run jobs as another user"):
        control.reset(clock="real", job_user=other)


@as_root
@pytest.mark.parametrize("clock", ["real", "virtual"])
def test_root_is_refused_like_on_grid_engine(clock, monkeypatch):
    monkeypatch.delenv("DRMAA_SIM_JOB_USER", raising=False)
    with pytest.warns(UserWarning, match="refuses uid 0's jobs"):
        control.reset(clock=clock)
    sim_drmaa.Session.initialize()
    try:
        with pytest.raises(sim_drmaa.DeniedByDrmException) as info:
            sim_drmaa.Session.runJob(template(sim_drmaa, "/bin/true"))
        assert str(info.value) == (
            "code 17: job rejected: your user id 0 is lower than minimum user id 1000 of "
            "cluster configuration"
        )
    finally:
        sim_drmaa.Session.exit()
        control.reset(job_user=JOB_USER)


@as_root
def test_a_cell_that_accepts_root_does_not_warn(monkeypatch):
    import warnings

    monkeypatch.delenv("DRMAA_SIM_JOB_USER", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        control.reset(clock="virtual", min_uid=0, min_gid=0)
    control.reset(job_user=JOB_USER)


def test_settings_that_mean_nothing_are_refused():
    for bad in ({"slots": 0}, {"slots": -1}, {"slots": 1.5}, {"clock": ""}, {"clock": "fast"},
                {"dispatch_delay": -1}, {"dispatch_delay": float("nan")},
                {"home": "relative"}, {"job_user": "no-such-user-here"}):  # fmt: skip
        with pytest.raises(ValueError):
            control.reset(**bad)
    control.reset()


# -- a root simulator running jobs as an unprivileged user ------------------------------
@pytest.fixture
def as_job_user(job_dir: Path):
    """A session on a cell of a root process whose jobs run as JOB_USER."""
    control.reset(clock="real", job_user=JOB_USER, home=str(job_dir))
    sim_drmaa.Session.initialize()
    yield sim_drmaa.Session
    sim_drmaa.Session.exit()
    control.reset()


def _finish(session, jt):
    return session.wait(session.runJob(jt), 30)


@as_root
def test_jobs_run_as_the_job_user_with_its_identity(as_job_user, job_dir):
    user = JobUser.named(JOB_USER)
    out = job_dir / "who"
    jt = template(
        sim_drmaa, "/bin/sh", "-c",
        'id -u; id -g; id -G; echo "$USER $LOGNAME $HOME"; pwd; stat -c %u "$TMPDIR"',
        outputPath=f":{out}", joinFiles=True,
    )  # fmt: skip
    assert _finish(as_job_user, jt).exitStatus == 0
    uid, gid, groups, names, wd, tmp_owner = out.read_text().splitlines()
    assert (int(uid), int(gid)) == (user.uid, user.gid)
    assert {int(g) for g in groups.split()} == set(user.groups)
    assert names == f"{user.name} {user.name} {job_dir}"
    assert wd == str(job_dir) and int(tmp_owner) == user.uid
    assert out.stat().st_uid == user.uid  # created by the job's user


@as_root
def test_a_root_only_file_is_never_written_by_a_job(as_job_user, job_dir, tmp_path):
    """What GE's st_output_file_failure does with /etc/passwd, on a canary of root's."""
    canary = tmp_path / "canary"  # root's, mode 0644, in root's private directory
    canary.write_text("root's\n")
    (job_dir / "link").symlink_to(canary)
    for attrs in (
        {"outputPath": f":{canary}", "joinFiles": True},
        {"outputPath": ":/dev/null", "errorPath": f":{canary}"},
        {"outputPath": f":{job_dir}/link", "joinFiles": True},  # through a symlink
    ):
        info = _finish(as_job_user, template(sim_drmaa, "/bin/echo", "overwritten", **attrs))
        assert info.wasAborted and not info.hasExited
    assert canary.read_text() == "root's\n"


@as_root
def test_what_the_job_user_may_not_reach_fails_the_job(as_job_user, job_dir, tmp_path):
    secret = tmp_path / "secret"  # root's private directory: 0700
    secret.write_text("x")
    secret.chmod(0o600)
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    for jt in (
        template(sim_drmaa, "/bin/cat", inputPath=f":{secret}", outputPath=":/dev/null"),
        template(sim_drmaa, "/bin/true", workingDirectory=str(tmp_path)),
        template(sim_drmaa, str(script), outputPath=":/dev/null"),
    ):
        info = _finish(as_job_user, jt)
        assert info.wasAborted and not info.hasExited


@as_root
def test_a_file_only_root_may_execute_exits_127(as_job_user, job_dir):
    script = job_dir / "rootonly.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o744)  # executable by its owner, root; readable by all
    os.chown(script, 0, 0)
    info = _finish(as_job_user, template(sim_drmaa, str(script), outputPath=":/dev/null"))
    assert info.hasExited and info.exitStatus == 127


@as_root
def test_links_and_files_planted_in_a_shared_directory_are_not_followed(as_job_user, job_dir):
    """Another user's symlink or file in a sticky world-writable directory (as /tmp): what
    Linux's protected_symlinks / protected_regular refuse, refused whatever the host's
    setting; the job user's own link there is followed, as Grid Engine does."""
    shared = job_dir / "shared"
    shared.mkdir()
    os.chown(shared, 0, 0)
    shared.chmod(0o1777)
    victim = job_dir / "victim"  # the job user's own file
    victim.write_text("mine\n")
    user = JobUser.named(JOB_USER)
    os.chown(victim, user.uid, user.gid)
    stranger = 54321
    (shared / "planted-link").symlink_to(victim)
    os.lchown(shared / "planted-link", stranger, stranger)
    (shared / "planted-file").write_text("theirs\n")
    os.chown(shared / "planted-file", stranger, stranger)
    for name in ("planted-link", "planted-file"):
        jt = template(sim_drmaa, "/bin/echo", "x", outputPath=f":{shared / name}", joinFiles=True)
        info = _finish(as_job_user, jt)
        assert info.wasAborted and not info.hasExited
    assert victim.read_text() == "mine\n"
    assert (shared / "planted-file").read_text() == "theirs\n"
    (shared / "own-link").symlink_to(victim)
    os.lchown(shared / "own-link", user.uid, user.gid)
    jt = template(sim_drmaa, "/bin/echo", "x", outputPath=f":{shared / 'own-link'}")
    assert _finish(as_job_user, jt).exitStatus == 0
    assert victim.read_text() == "mine\nx\n"
