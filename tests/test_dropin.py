"""The drop-in: ``python -m simulator``, :func:`simulator.installed`, the pytest fixture."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import textwrap

import simulator

pytest_plugins = ["pytester"]

SCRIPT = textwrap.dedent(
    """
    import sys, drmaa
    from drmaa.const import JobControlAction
    with drmaa.Session() as s:
        jt = s.createJobTemplate()
        jt.remoteCommand = "/bin/sleep"
        jt.args = ["3600"]
        info = s.wait(s.runJob(jt))
    print(drmaa.__name__, info.resourceUsage["ru_wallclock"], sys.argv[1:])
    """
)


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_script_runs_against_simulator_on_virtual_clock(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    done = _run("--clock", "virtual", str(script), "a", "--b")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "simulator.drmaa 3600.0000 ['a', '--b']"


def test_module_form_passes_exit_code(tmp_path):
    (tmp_path / "mymod.py").write_text(
        "import drmaa, sys\nsys.exit(drmaa.Session().drmsInfo == 'SGE 8.1.9' and 3)\n"
    )
    done = _run("-m", "mymod", cwd=tmp_path)
    assert done.returncode == 3, done.stderr


def test_job_user_and_home_options(tmp_path):
    script = tmp_path / "who.py"
    script.write_text(
        "import os\nfrom simulator import control\n"
        "print(control.cluster().owner.name, os.environ['DRMAA_SIM_HOME'])\n"
    )
    user = os.environ.get("DRMAA_SIM_JOB_USER") or getpass.getuser()
    done = _run("--job-user", user, "--home=rel", "--clock", "virtual", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [user, str(tmp_path / "rel")]


def test_usage_errors():
    assert _run().returncode == 2
    assert "unrecognized option" in _run("--bogus").stderr
    assert _run("--clock", "sideways", "x.py").returncode == 2


def test_installed_restores_previous_module():
    before = sys.modules.get("drmaa")
    with simulator.installed() as fake:
        import drmaa
        import drmaa.errors

        assert drmaa is fake
        assert drmaa.errors.InvalidJobException is fake.InvalidJobException
    assert sys.modules.get("drmaa") is before


def test_pytest_fixture(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.simulator(clock="virtual", slots=1)
        def test_uses_drmaa(simulated_drmaa):
            import drmaa
            assert drmaa is simulated_drmaa
            s = drmaa.Session()
            s.initialize()   # left open on purpose: the fixture must clean up
            jt = s.createJobTemplate()
            jt.remoteCommand = "sleep"
            jt.args = ["10"]
            a, b = s.runJob(jt), s.runJob(jt)
            assert s.jobStatus(b) == "queued_active"

        def test_next_test_starts_clean(simulated_drmaa):
            simulated_drmaa.Session.initialize()
            simulated_drmaa.Session.exit()
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2)
