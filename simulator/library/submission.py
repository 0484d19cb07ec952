"""From a job template to the cluster's JobSpec, with Grid Engine's reading of each attribute.

What is recorded of the submitter (its environment and working directory: the ``SGE_O_*``
variables, ``-cwd``, ``-V``, ``-v NAME``) comes from a :class:`Submitter`: this process, or
the client process a daemon submits for.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import shlex
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.library.templates import SUBMISSION_STATE_HOLD, TemplateStore
from simulator.model.errors import DrmError, ErrorCode
from simulator.model.jobs import JobSpec

_INCREMENT = "$drmaa_incr_ph$"


def _path(value: str) -> str | None:
    """A path given to qsub (``-o``, ``-e``, ``-i``): ``[hostname:]file_path``."""
    if not value:
        return None
    _, sep, path = value.partition(":")
    return path if sep else value


def _template_path(scalars: dict[str, str], name: str, bulk: bool) -> str | None:
    """A DRMAA path attribute, ``[hostname]:file_path``, as a local path (the host part is
    ignored on a one-node cell, as measured)."""
    value = scalars.get(name)
    if value is None:
        return None
    if ":" not in value:
        raise DrmError(
            ErrorCode.INVALID_ARGUMENT, f"The \"{name}\" attribute must begin with a colon, ':'"
        )
    _check_increment(value, bulk)
    return value.partition(":")[2]


def _check_increment(value: str, bulk: bool) -> None:
    if not bulk and _INCREMENT in value:
        raise _denied(
            'increment placeholder "$drmaa_incr_ph$" is only allowed in pathes for bulk jobs\n'
        )


_HOST = socket.gethostname().split(".")[0]
_ORIGIN_SOURCES = (
    ("SGE_O_HOME", "HOME"),
    ("SGE_O_LOGNAME", "LOGNAME"),
    ("SGE_O_PATH", "PATH"),
    ("SGE_O_SHELL", "SHELL"),
)


@dataclass(frozen=True)
class Submitter:
    """The submitting process as Grid Engine's library sees it at one submission."""

    cwd: str
    environ: Mapping[str, str]

    @classmethod
    def this_process(cls) -> Submitter:
        return cls(os.getcwd(), os.environ)

    def origin(self) -> tuple[tuple[str, str], ...]:
        """The job's SGE_O_* variables: read anew at every submission, as libdrmaa reads
        its environment; a variable the submitter lacks is left out (sge_job_env_probe:
        ``del os.environ['HOME']`` leaves the job without SGE_O_HOME)."""
        env = self.environ
        origin = [("SGE_O_HOST", _HOST), ("SGE_O_WORKDIR", self.cwd)]
        for name, source in _ORIGIN_SOURCES:
            value = env.get(source)
            if value is not None:
                origin.append((name, value))
        return tuple(origin)


# Grid Engine's default complex attributes: what ``-l`` may request on a fresh cell.
_COMPLEXES = frozenset(
    "arch calendar cpu display_win_gui h_core h_cpu h_data h_fsize h_rss h_rt h_stack h_vmem "
    "hostname load_avg load_long load_medium load_short m_core m_socket m_thread m_topology "
    "m_topology_inuse mem_free mem_total mem_used min_cpu_interval np_load_avg np_load_long "
    "np_load_medium np_load_short num_proc qname rerun s_core s_cpu s_data s_fsize s_rss s_rt "
    "s_stack s_vmem seq_no slots swap_free swap_rate swap_rsvd swap_total swap_used tmpdir "
    "virtual_free virtual_total virtual_used".split()
)
_QUEUES = frozenset({"all.q"})
_ARCH = "lx-amd64"
# qsub options taking a value, and those that stand alone.
_WITH_VALUE = frozenset(
    "-l -q -pe -P -A -p -R -r -m -M -S -v -ac -dc -sc -js -ckpt -c -binding -now -w -tc "
    "-hold_jid -hold_jid_ad -masterq -ar -a -dl -u -wd -N -o -e -i -j -b -shell".split()
)
_FLAGS = frozenset({"-cwd", "-V", "-h", "-clear", "-notify", "-soft", "-hard"})


def _denied(message: str) -> DrmError:
    return DrmError(ErrorCode.DENIED_BY_DRM, message)


def _time_limit(name: str, text: str, no_wait: bool, fields: dict[str, Any]) -> float | None:
    """A run-time limit (``h_rt``/``s_rt``) as Grid Engine reads it (sge_bad_input_probe):
    seconds or ``[[h:]m:]s``; ``INFINITY`` or a negative number means none; NaN and inf
    match no queue; anything else is not a time value."""
    if not text:
        raise _denied(f'denied: missing value for resource "{name}"')
    if text.upper() == "INFINITY":
        return None
    parts = text.split(":")
    try:
        if len(parts) > 3:
            raise ValueError
        numbers = [float(part or 0) for part in parts]
    except ValueError:
        raise _denied(f'attribute "{name}" is not a time value') from None
    total = 0.0
    for number in numbers:
        total = total * 60 + number
    if math.isnan(total) or math.isinf(total):
        if not no_wait:
            raise _denied("error: no suitable queues")
        fields["unschedulable"] = True
        return None
    return total if total >= 0 else None


def _resources(text: str, fields: dict[str, Any], no_wait: bool) -> None:
    for request in text.split(","):
        name, _, value = request.partition("=")
        if name not in _COMPLEXES:
            raise _denied(f'unknown resource "{name}"')
        if name in ("h_rt", "s_rt"):
            limit = _time_limit(name, value, no_wait, fields)
            if name == "h_rt":
                fields["hard_runtime"] = limit
        elif name == "arch" and value not in (_ARCH, "*"):
            if not no_wait:
                raise _denied("error: no suitable queues")
            fields["unschedulable"] = True


def _native(text: str, fields: dict[str, Any], submitter: Submitter) -> None:
    """The qsub options of ``nativeSpecification``, as far as a one-queue cell cares.

    Options only a real scheduler acts on (``-pe``, ``-P``, ``-p``...) are accepted and
    ignored; unknown options, resources and queues are refused as Grid Engine refuses them.
    """
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise _denied(str(error)) from None
    no_wait = any(pair == ("-w", "n") for pair in itertools.pairwise(words))
    i = 0
    while i < len(words):
        word = words[i]
        if word in _FLAGS:
            if word == "-cwd":
                fields["workdir"] = submitter.cwd
            elif word == "-V":
                fields["env"] = {**submitter.environ, **fields["env"]}
            elif word == "-h":
                fields["hold"] = True
            i += 1
            continue
        if word not in _WITH_VALUE or i + 1 >= len(words):
            raise _denied(f'invalid option argument "{word}"\n')
        value = words[i + 1]
        if word == "-l":
            _resources(value, fields, no_wait)
        elif word == "-q" and value not in _QUEUES:
            raise _denied(f'Job was rejected because job requests unknown queue "{value}"')
        elif word == "-N":
            fields["name"] = value
        elif word == "-wd":
            fields["workdir"] = value
        elif word in ("-o", "-e", "-i"):
            fields[{"-o": "output_path", "-e": "error_path", "-i": "input_path"}[word]] = _path(
                value
            )
        elif word == "-j":
            fields["join_files"] = value.lower().startswith("y")
        elif word == "-v":
            for pair in value.split(","):
                key, has_value, val = pair.partition("=")
                fields["env"][key] = val if has_value else submitter.environ.get(key, "")
        i += 2


# DRMAA's partial timestamp: [[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]
_START = re.compile(
    r"(?:(?:(?:(?P<year>\d{2}|\d{4})/)?(?P<month>\d{2})/)?(?P<day>\d{2})\s+)?"
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<sign>[+-])(?P<zh>\d{2}):(?P<zm>\d{2}))?"
)


def start_time(text: str) -> datetime | None:
    """Read a DRMAA start time; the parts left out are the next such moment's: a bare
    ``hh:mm`` already past today means tomorrow (Grid Engine held a job for ``00:00``
    until the next midnight).

    A time-zone offset is read as Grid Engine 8.1.9's library reads it (measured:
    sge_bad_input_probe), which is not what DRMAA means: ``-UU:uu`` sets the hour to UU
    and adds uu minutes, ``+UU:uu`` sets it to -UU and takes uu minutes away, on the day
    chosen before. An hour or minute that ends up out of range is refused; where it ends
    up negative Grid Engine's library overflows a buffer and the process dies (SIGABRT):
    the simulator refuses those too, with the same message.
    """
    if not text:
        return None
    match = _START.fullmatch(text.strip())
    if match is None:
        raise _denied("Error parsing DRMAA date string")
    parts = match.groupdict()
    now = datetime.now().astimezone()
    year = int(parts["year"]) if parts["year"] else now.year
    if year < 100:
        year += 2000
    try:
        when = datetime(
            year,
            int(parts["month"] or now.month),
            int(parts["day"] or now.day),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            tzinfo=now.tzinfo,
        )
    except ValueError:
        raise _denied("Error parsing DRMAA date string") from None
    if not parts["day"] and when < now:
        when += timedelta(days=1)
    if parts["sign"]:
        sign = -1 if parts["sign"] == "+" else 1
        hour = sign * int(parts["zh"])
        minute = when.minute + sign * int(parts["zm"])
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise _denied("invalid format for job start time")
        when = when.replace(hour=hour, minute=minute)
    return when


def job_spec(
    store: TemplateStore, submitter: Submitter, tasks: tuple[int, int, int] | None = None
) -> JobSpec:
    """Read a template the way Grid Engine's libdrmaa does at submission; ``tasks`` is a
    bulk job's (first, last, step)."""
    store.check_alive()
    # Submitting one template many times is common: its reading only changes with its
    # attributes, what is recorded of the submitter and the task range (and the hour, with
    # a start time; the whole environment, with -V or -v).
    origin = submitter.origin()
    key = (origin, tasks)
    cached = store.spec_cache
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[return-value]
    spec = _read(store.scalars, store.vectors, tasks, submitter, dict(origin))
    native = store.scalars.get("drmaa_native_specification", "")
    if "drmaa_start_time" not in store.scalars and "-V" not in native and "-v" not in native:
        store.spec_cache = (key, spec)
    return spec


def _read(
    scalars: dict[str, str],
    vectors: dict[str, list[str]],
    tasks: tuple[int, int, int] | None,
    submitter: Submitter,
    origin: dict[str, str],
) -> JobSpec:
    if "drmaa_remote_command" not in scalars:
        raise _denied('job template must have "drmaa_remote_command" attribute set')
    command = scalars["drmaa_remote_command"]
    bulk = tasks is not None
    # A value is cut at its first "=" (so NAME=a=b arrives as NAME=a: measured).
    env = {}
    for pair in vectors.get("drmaa_v_env", ()):
        name, _, value = pair.partition("=")
        env[name] = value.split("=", 1)[0]
    workdir = scalars.get("drmaa_wd") or None
    if workdir:
        _check_increment(workdir, bulk)
        if "$drmaa_wd_ph$" in workdir:
            raise _denied(
                'working directory placeholder "$drmaa_wd_ph$" is not allowed in the working '
                "directory path"
            )
    fields: dict[str, Any] = {
        "command": command,
        "args": tuple(vectors.get("drmaa_v_argv", ())),
        "env": env,
        "workdir": workdir,
        "input_path": _template_path(scalars, "drmaa_input_path", bulk),
        "output_path": _template_path(scalars, "drmaa_output_path", bulk),
        "error_path": _template_path(scalars, "drmaa_error_path", bulk),
        "join_files": scalars.get("drmaa_join_files") == "y",
        "hold": scalars.get("drmaa_js_state") == SUBMISSION_STATE_HOLD,
        "name": scalars.get("drmaa_job_name") or None,
        "native": scalars.get("drmaa_native_specification", ""),
        "task_range": tasks,
        "origin": origin,
    }
    if fields["native"]:
        _native(fields["native"], fields, submitter)
    if scalars.get("drmaa_job_category"):
        raise _denied("Unknown job category")  # a fresh cell defines none (qtask is empty)
    start = start_time(scalars.get("drmaa_start_time", ""))
    fields["start_at"] = None if start is None else start.timestamp()
    return JobSpec(**fields)
