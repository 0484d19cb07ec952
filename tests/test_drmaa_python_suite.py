"""drmaa-python 0.7.9's own test suite, unmodified, against the drop-in.

Its tests are nose-style (``nose.tools.eq_``, module-level ``setup``), so they run under
pynose, the maintained nose fork. The sdist comes from PyPI at test time: a missing
network fails this test rather than skipping it.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

SDIST = "drmaa-0.7.9.tar.gz"


@pytest.fixture(scope="session")
def binding_tests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            str(where),
            "drmaa==0.7.9",
        ],
        check=True,
        timeout=300,
    )
    with tarfile.open(where / SDIST) as archive:
        archive.extractall(where, filter="data")
    return where / "drmaa-0.7.9" / "test"


def test_binding_suite_passes_unmodified(binding_tests: Path, tmp_path: Path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "--dispatch-delay",
            "1",
            "-m",
            "nose",
            "-v",
            str(binding_tests),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    report = done.stderr
    assert "Ran 19 tests" in report, report
    assert done.returncode == 0, report
    assert report.rstrip().endswith("OK"), report


def test_binding_suite_passes_over_our_c_library(binding_tests: Path, tmp_path: Path):
    """The same suite through the real binding's ctypes code, over the project's C
    libdrmaa and a simulated qmaster daemon: what a binding's CI can run without a cell."""
    import os

    from simulator import server
    from simulator.native import library_path

    home = os.environ["DRMAA_SIM_HOME"]  # tests/conftest.py's scratch home: jobs write there
    user = os.environ.get("DRMAA_SIM_JOB_USER")
    with server.running(clock="real", dispatch_delay=1, job_user=user, home=home) as qmaster:
        env = {**os.environ, server.ENV: qmaster.path, "DRMAA_LIBRARY_PATH": library_path()}
        done = subprocess.run(
            [sys.executable, "-m", "nose", "-v", str(binding_tests)],
            capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env,
        )  # fmt: skip
    report = done.stderr
    assert "Ran 19 tests" in report, report
    assert done.returncode == 0, report
    assert report.rstrip().endswith("OK"), report
