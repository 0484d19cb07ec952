"""Our C libdrmaa.so.1.0 against Grid Engine's, at the C ABI: conformance/native/'s driver.

The driver (``conformance/native/drmaa_driver.c``) dlopen()s a libdrmaa, runs a fixed
sequence of DRMAA calls and prints one normalised line per call. What Grid Engine 8.1.9's
library printed on a real cell is ``drmaa_driver.expected``; here the driver runs against
our library and a simulated qmaster daemon, and must print the very same lines.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from simulator import server

NATIVE = Path(__file__).resolve().parent.parent / "conformance" / "native"
SOURCE = NATIVE / "drmaa_driver.c"
EXPECTED = NATIVE / "drmaa_driver.expected"


def _our_library() -> str:
    from simulator.native import library_path

    try:
        return library_path()
    except FileNotFoundError as e:
        pytest.fail(f"our libdrmaa.so.1.0 is not built, so the C driver cannot run: {e}")


def _build_driver(tmp_path: Path) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc is needed to build conformance/native/drmaa_driver.c (and our library)")
    binary = tmp_path / "drmaa_driver"
    argv = [gcc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(binary),
            str(SOURCE), "-ldl"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"building the driver failed:\n{' '.join(argv)}\n{done.stderr}")
    return binary


_OVERFLOW = re.compile(r'^(truncate .*\(len (\d+)\): rc=\d+ bytes=")(.*)\\0(#*)"$')


def _within_bounds(line: str) -> str:
    """Grid Engine's line for a copy into a too-short buffer, as a copy that stays inside
    the buffer prints it.

    Given LEN bytes, Grid Engine's library copies LEN characters and puts the NUL one byte
    past the buffer (measured: "SGE 8\\0" into 5 bytes). Ours does not write out of bounds,
    on purpose: it copies LEN - 1 characters and the NUL. The driver's buffers are large
    enough to show the difference safely.
    """
    match = _OVERFLOW.match(line)
    if match is None:
        return line
    head, length, text, pad = match.groups()
    chars = re.findall(r"\\.|.", text)  # an escaped character counts as one
    if len(chars) != int(length):
        return line  # the text fitted: no overflow
    return f'{head}{"".join(chars[:-1])}\\0{pad}#"'


def test_c_driver_prints_what_grid_engine_printed(tmp_path: Path, job_dir: Path):
    """Every step of the driver gets the same codes, texts and values from our library as
    from Grid Engine's (conformance/native/README.md)."""
    library = _our_library()
    driver = _build_driver(tmp_path)
    expected = [_within_bounds(line) for line in EXPECTED.read_text().splitlines()]

    user = os.environ.get("DRMAA_SIM_JOB_USER")  # set by tests/conftest.py when run as root
    # Like the measured cell: 4 slots, and jobs start about a second after submission.
    with server.running(
        clock="real", slots=4, dispatch_delay=1, job_user=user, home=str(job_dir)
    ) as qmaster:
        env = {**os.environ, server.ENV: qmaster.path}
        try:
            done = subprocess.run(
                [str(driver), library],
                capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
            )  # fmt: skip
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            pytest.fail(f"the driver did not finish within 300 s; it printed:\n{out}")

    actual = done.stdout.splitlines()
    if actual != expected or done.returncode != 0:
        diff = "\n".join(
            difflib.unified_diff(
                expected,
                actual,
                fromfile="drmaa_driver.expected (Grid Engine 8.1.9)",
                tofile="drmaa_driver on our libdrmaa.so.1.0",
                lineterm="",
            )
        )
        pytest.fail(
            f"the driver's output differs from Grid Engine's (exit status "
            f"{done.returncode}):\n{diff}\n--- stderr ---\n{done.stderr}",
            pytrace=False,
        )
