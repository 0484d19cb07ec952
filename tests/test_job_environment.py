"""What a job's environment holds, and what jobEnvironment may change in it.

Measured: docs/measurements/sge_job_env_probe.out.
"""

from __future__ import annotations

from tests.conftest import template

PROTECTED = (
    "HOME USER LOGNAME SHELL TMPDIR TMP JOB_ID JOB_NAME SGE_TASK_ID NSLOTS QUEUE HOSTNAME "
    "SGE_O_HOME SGE_O_PATH SGE_O_WORKDIR SGE_STDOUT_PATH"
).split()


def _env(rsession, rdrmaa, job_dir, name="env", **attrs):
    out = job_dir / name
    jt = template(rdrmaa, "/usr/bin/env", outputPath=f":{out}", **attrs)
    assert rsession.wait(rsession.runJob(jt), 30).exitStatus == 0
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


def test_grid_engine_variables_cannot_be_overridden(rsession, rdrmaa, job_dir):
    plain = _env(rsession, rdrmaa, job_dir, "plain")
    asked = {name: "OVERRIDE" for name in [*PROTECTED, "PATH", "PWD"]}
    seen = _env(rsession, rdrmaa, job_dir, "asked", jobEnvironment=asked)
    for name in PROTECTED:
        if name in ("JOB_ID", "TMPDIR", "TMP", "SGE_STDOUT_PATH"):
            assert seen[name] != "OVERRIDE", name
        else:
            assert seen[name] == plain[name], name
    assert seen["PATH"] == f"{seen['TMPDIR']}:OVERRIDE"
    assert seen["PWD"] == "OVERRIDE"


def test_bulk_task_variables_cannot_be_overridden(rsession, rdrmaa, job_dir):
    asked = {"SGE_TASK_ID": "OVERRIDE", "SGE_TASK_FIRST": "X", "SGE_TASK_LAST": "Y"}
    jt = template(rdrmaa, "/bin/sh", "-c", 'echo "$SGE_TASK_ID $SGE_TASK_FIRST $SGE_TASK_LAST"')
    jt.jobEnvironment, jt.outputPath = asked, f":{job_dir}/t.$TASK_ID"
    rsession.synchronize(rsession.runBulkJobs(jt, 1, 2, 1), 30, True)
    assert (job_dir / "t.1").read_text() == "1 1 2\n"
    assert (job_dir / "t.2").read_text() == "2 1 2\n"


def test_measured_variables_a_simulated_cell_gives(rsession, rdrmaa, job_dir):
    env = _env(rsession, rdrmaa, job_dir)
    assert env["LANG"] == "C.UTF-8"
    assert env["SGE_ACCOUNT"] == "sge"
    assert env["SGE_CELL"] == "default"
    assert env["JOB_SCRIPT"] == "/usr/bin/env"
    assert env["PWD"] == env["HOME"]  # no working directory: where the job starts
    assert env["TERM"] == ""


def test_job_environment_may_set_lang(rsession, rdrmaa, job_dir):
    assert _env(rsession, rdrmaa, job_dir, jobEnvironment={"LANG": "C"})["LANG"] == "C"


def test_user_in_the_submitters_environment_changes_nothing(rsession, rdrmaa, job_dir, monkeypatch):
    monkeypatch.setenv("USER", "fakeuser")
    monkeypatch.setenv("LOGNAME", "fakelogname")
    env = _env(rsession, rdrmaa, job_dir)
    assert env["SGE_O_LOGNAME"] == "fakelogname"
    assert "fakeuser" not in env.values()


def test_pwd_is_the_working_directory_as_given(rsession, rdrmaa, job_dir):
    env = _env(rsession, rdrmaa, job_dir, workingDirectory=f"{job_dir}/")
    assert env["PWD"] == f"{job_dir}/"
