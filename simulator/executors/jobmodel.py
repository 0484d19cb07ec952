"""What a job does on the virtual clock: how long it lasts and how it ends.

A job model is any callable ``model(spec, task) -> Behaviour``. The default one understands
a small command vocabulary, so ordinary test jobs need no model at all:

=====================================  ===========================================
command                                behaviour
=====================================  ===========================================
``sleep N`` (``/bin/sleep N``)         lasts N seconds (fractions allowed), exit 0
``true`` / ``false``                   exit 0 / exit 1 at once
``sh -c 'SCRIPT'`` (also ``bash``)     the script's ``;``/``&&``-separated steps:
                                       ``sleep N`` adds N seconds, ``exit N`` ends
                                       with N, ``true``/``false``/``:`` as above,
                                       ``kill -9 $$`` / ``kill -TERM $$`` /
                                       ``kill -s TERM $$`` ends by that signal
anything else                          exit 0 at once
=====================================  ===========================================

Virtual jobs run no process, so they write no output files.
"""

from __future__ import annotations

import os
import shlex
import signal
from collections.abc import Callable
from dataclasses import dataclass

from simulator.model.jobs import JobSpec


@dataclass(frozen=True, slots=True)
class Behaviour:
    """A modelled job: its run time in seconds and how it ends."""

    duration: float = 0.0
    exit_status: int = 0
    signal: int = 0  # ends by this signal instead of exiting, when non-zero


JobModel = Callable[[JobSpec, "int | None"], Behaviour]

_SHELLS = {"sh", "bash", "dash", "zsh", "ksh"}
_INSTANT = Behaviour()


def default_job_model(spec: JobSpec, task: int | None = None) -> Behaviour:
    """The documented command vocabulary; unknown commands finish at once with exit 0."""
    name = os.path.basename(spec.command)
    args = spec.args
    if name in _SHELLS and len(args) >= 2 and args[0] == "-c":
        return _script(args[1])
    return _steps([[name, *args]])


def _script(text: str) -> Behaviour:
    try:
        words = shlex.split(text.replace(";", " ; ").replace("&&", " && "))
    except ValueError:
        return _INSTANT
    steps: list[list[str]] = [[]]
    for word in words:
        if word in (";", "&&"):
            steps.append([])
        else:
            steps[-1].append(word)
    return _steps(steps)


def _steps(steps: list[list[str]]) -> Behaviour:
    duration = 0.0
    for step in steps:
        if not step:
            continue
        verb, rest = os.path.basename(step[0]), step[1:]
        if verb == "sleep":
            duration += _seconds(rest)
        elif verb == "exit":
            return Behaviour(duration, _int(rest[0]) & 0xFF if rest else 0)
        elif verb == "false":
            return Behaviour(duration, 1)
        elif verb == "kill" and rest and rest[-1] == "$$":
            sig = _signal(rest[:-1])
            if sig not in _IGNORED:  # by default: the job goes on
                return Behaviour(duration, 0, sig)
    return Behaviour(duration)


def _seconds(words: list[str]) -> float:
    total = 0.0
    for word in words:
        try:
            total += max(0.0, float(word))
        except ValueError:
            continue
    return total


def _int(word: str) -> int:
    try:
        return int(word)
    except ValueError:
        return 0


_IGNORED = frozenset({signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGCONT})


def _signal(words: list[str]) -> int:
    """The signal ``kill`` sends: ``-9``, ``-KILL``, ``-SIGKILL``, ``-s KILL``,
    ``-RTMIN+3``, ``-RTMAX-1``; TERM by default, as kill's."""
    if not words:
        return int(signal.SIGTERM)
    name = words[-1].lstrip("-").upper().removeprefix("SIG")
    if name.isdigit():
        return int(name)
    for base, low in (("RTMIN", signal.SIGRTMIN), ("RTMAX", signal.SIGRTMAX)):
        if name.startswith(base):
            offset = name[len(base) :] or "0"
            try:
                return int(low) + int(offset)
            except ValueError:
                return int(signal.SIGTERM)
    return int(getattr(signal.Signals, "SIG" + name, signal.SIGTERM))
