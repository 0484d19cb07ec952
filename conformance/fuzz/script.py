"""The program a state machine ran, written as a plain ``import drmaa`` script.

Every step is recorded as the line of drmaa code it ran and the outcome the reference
model expected; a failure prints the whole (shrunk) program, runnable as it is against the
real ``drmaa`` or, with ``python -m simulator [--clock virtual]``, against the simulator.
"""

from __future__ import annotations

HEADER = '''\
"""Reproduction found by drmaa-testkit's lifecycle fuzzer.

Run: python repro.py                                  (the drmaa package: real libdrmaa)
     python -m simulator [--clock virtual] repro.py   (the simulator)
"""
import time

import drmaa

s = drmaa.Session


def template(command, *args, hold=False):
    jt = s.createJobTemplate()
    jt.remoteCommand = command
    jt.args = list(args)
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    if hold:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    return jt


def pass_time(seconds):
    """Advance the simulator's virtual clock if that is what runs us; else sleep."""
    if drmaa.__name__ == "simulator.drmaa":
        from simulator import control

        if control.cluster().clock.virtual:
            control.advance(seconds)
            return
    time.sleep(seconds)


def step(code, expected):
    """Run one call, print what it gave beside what the reference model expected."""
    try:
        result = eval(code)
        outcome = "ok"
    except Exception as error:
        result, outcome = None, type(error).__name__
        print(f"{code}\\n    -> {outcome}: {error}   (expected: {expected})")
        return None
    print(f"{code}\\n    -> {result!r}   (expected: {expected})")
    return result

'''


class Script:
    """Collects the steps of one run."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, code: str, expected: str, target: str | None = None) -> None:
        assign = f"{target} = " if target else ""
        self.lines.append(f"{assign}step({code!r}, {expected!r})")

    def raw(self, line: str) -> None:
        self.lines.append(line)

    def text(self, failure: str | None = None) -> str:
        body = "\n".join(self.lines)
        tail = f"\n# ^ the last step failed: {failure}\n" if failure else "\n"
        return HEADER + body + tail
