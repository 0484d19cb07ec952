"""The API-surface fuzzer's machinery (conformance/fuzz/api_surface.py): arguments written as
code, and replays of programs on both sides: the drop-in and drmaa-python over our C library
and a daemon (in a child process: drmaa-python, once imported, stays loaded)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.fuzz.api_surface import Fresh, TemplateRef, c_int, c_long, code_of, describe

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "value",
    [None, True, -(2**63) - 1, 2**64, 1.5, -0.0, "a\x00b", "\udcff", "é", b"\xff\x00",
     [1, [b"x", ()]], (1,), {"k": None, 2: 1.5}],
)  # fmt: skip
def test_arguments_are_written_as_code_that_makes_them(value):
    assert eval(code_of(value)) == value


def test_special_arguments():
    assert math.isnan(eval(code_of(float("nan"))))
    assert eval(code_of([float("inf"), -float("inf")])) == [math.inf, -math.inf]
    assert code_of([TemplateRef("jt3", 1), Fresh("iter([])")]) == "[jt3, iter([])]"
    with pytest.raises(TypeError):
        code_of(object())


def test_c_values_as_ctypes_makes_them():
    assert [c_long(v) for v in (2**64 + 2, 2**63, -1, True, 1.5)] == [2, -(2**63), -1, 1, None]
    assert [c_int(v) for v in (2**32 + 1, 2**31, Fresh("ctypes.c_int(3)"))] == [1, -(2**31), 3]


def test_values_are_compared_by_type_and_content():
    assert describe(["1", 1]) == "list[str:'1', int:1]"
    assert describe({"a": b"b"}) == "dict{str:'a': bytes:b'b'}"
    assert describe(True) != describe(1)


def _replay(tmp_path: Path, program: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "program.py"
    script.write_text('"""a program"""\n' + program)
    return subprocess.run(
        [sys.executable, "-m", "conformance.fuzz.api_surface", str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# What the fuzzer found the drop-in answering differently from the binding, now alike.
FINDINGS = r"""
s.runJob(None)
s.runJob('x')
s.runBulkJobs('x', 1.5, 1, 1)
s.runBulkJobs(None, 1, 1, 1)
s.control(5, 'bogus')
s.synchronize(iter(['1']), 0)
s.initialize(ctypes.c_char_p(b'session=z'))
s.contact
s.exit()
s.initialize(b'session=\xff')
s.contact
s.exit()
s.initialize('session=' + 'x' * 1100)
s.contact
s.jobStatus(b'\xff')
s.jobStatus('a' + 'é' * 520)
s.wait('1', ctypes.c_long(0))
jt1 = s.createJobTemplate()
jt1.jobName = b'\xff'
jt1.jobName
jt1.jobName = ctypes.create_string_buffer(b'a' * 1022 + 'é'.encode())
jt1.jobName
jt1.args = ['x' * 1030, b'ok']
jt1.args
jt1.jobEnvironment = {'A': 'x' * 1030}
jt1.jobEnvironment
jt1.remoteCommand = '/bin/true'
jt1.jobName = 'ok'
s.runBulkJobs(jt1, ctypes.c_int(1), 2, type('P', (), {'_as_parameter_': 1})())
s.wait(type('P', (), {'_as_parameter_': None})(), 0)
s.wait('1.1', type('P', (), {'_as_parameter_': 3})())
"""


def test_the_findings_replay_alike_on_both_sides(tmp_path):
    done = _replay(tmp_path, FINDINGS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "steps whose outcomes differ: 0" in done.stdout


def test_a_template_outlives_the_session_it_was_made_in(tmp_path):
    """Templates belong to the process, in Grid Engine's library, our C library and the
    drop-in alike: one made before exit() is used in the next session, and deleted twice."""
    program = "\n".join([
        "s.initialize(None)", "jt1 = s.createJobTemplate()", "s.exit()",
        "advance(1)", "s.initialize(None)", "jt1.remoteCommand = '/bin/true'",
        "s.deleteJobTemplate(jt1)", "s.deleteJobTemplate(jt1)",
    ])  # fmt: skip
    done = _replay(tmp_path, program)
    assert "steps whose outcomes differ: 0" in done.stdout, done.stdout + done.stderr
