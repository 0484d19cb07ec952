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
_HOME_PH = "$drmaa_hd_ph$"
_WD_PH = "$drmaa_wd_ph$"


def _path(value: str) -> str | None:
    """A path given to qsub (``-o``, ``-e``, ``-i``): ``[hostname:]file_path``."""
    if not value:
        return None
    _, sep, path = value.partition(":")
    return path if sep else value


def qmaster_path(path: str) -> str:
    """A DRMAA path as libdrmaa hands it to the qmaster (sge_placeholders_probe): the
    first ``$drmaa_incr_ph$`` becomes ``$TASK_ID``, a ``$drmaa_hd_ph$`` at the start
    ``$HOME/`` and a ``$drmaa_wd_ph$`` at the start ``./``; every other occurrence stays
    as it is. The execd then expands Grid Engine's own path variables (``$HOME``,
    ``$TASK_ID``...: see :func:`simulator.executors.launch.expand_path`)."""
    path = path.replace(_INCREMENT, "$TASK_ID", 1)
    if path.startswith(_HOME_PH):
        return "$HOME/" + path[len(_HOME_PH) :]
    if path.startswith(_WD_PH):
        return "./" + path[len(_WD_PH) :]
    return path


def _template_path(scalars: dict[str, str], name: str, bulk: bool) -> str | None:
    """A DRMAA path attribute, ``[hostname]:file_path``, as a local path in the qmaster's
    form (the host part is ignored on a one-node cell, as measured)."""
    value = scalars.get(name)
    if value is None:
        return None
    _, colon, path = value.partition(":")
    if not path and (colon or not value):  # '' and ':' alike (sge_input_path_probe)
        raise _denied("paths may not be empty strings")
    if not colon:
        raise DrmError(
            ErrorCode.INVALID_ARGUMENT, f"The \"{name}\" attribute must begin with a colon, ':'"
        )
    _check_increment(value, bulk)
    return qmaster_path(path)


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
        ``del os.environ['HOME']`` leaves the job without SGE_O_HOME). ``USER`` plays no
        part: SGE_O_LOGNAME follows ``LOGNAME`` alone."""
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
# qsub options taking a value, and those that stand alone (measured where it matters:
# sge_native_options_probe; -sync, -verify, -help and -t in runJob are accepted and
# ignored by libdrmaa).
_WITH_VALUE = frozenset(
    "-l -q -pe -P -A -p -R -r -m -M -S -v -ac -dc -sc -js -ckpt -c -binding -now -w -tc "
    "-hold_jid -hold_jid_ad -masterq -ar -a -dl -u -wd -N -o -e -i -j -b -shell -sync -t "
    "-jsv -pty -C".split()
)
_FLAGS = frozenset({"-cwd", "-V", "-h", "-clear", "-notify", "-soft", "-hard", "-verify", "-help"})
# What a -pe range's open end reads as (qstat shows `2-` as `2-9999999`).
PE_RANGE_MAX = 9999999


def _denied(message: str) -> DrmError:
    return DrmError(ErrorCode.DENIED_BY_DRM, message)


def _time_limit(name: str, text: str, fields: dict[str, Any]) -> float | None:
    """A run-time limit (``h_rt``/``s_rt``) as Grid Engine reads it (sge_bad_input_probe,
    sge_native_options_probe): seconds or ``[[h:]m:]s``; ``INFINITY`` or -1 means none,
    any other negative number kills the job at once; NaN and inf match no queue; anything
    else is not a time value."""
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
        fields["impossible"] = f"-l {name}={text}"
        return None
    if total == -1:
        return None
    return max(total, 0.0)


def _resources(text: str, fields: dict[str, Any]) -> None:
    for request in text.split(","):
        name, _, value = request.partition("=")
        if name not in _COMPLEXES:
            raise _denied(f'unknown resource "{name}"')
        if name in ("h_rt", "s_rt"):
            limit = _time_limit(name, value, fields)
            if name == "h_rt":
                fields["hard_runtime"] = limit
        elif name == "arch" and value not in (_ARCH, "*"):
            fields["impossible"] = f"-l arch={value}"


def _pe_range(text: str) -> tuple[int, int]:
    """A ``-pe`` slot range: ``N``, ``N-M``, ``N-`` (up to 9999999) or ``-M`` (from 1)."""
    low, dash, high = text.partition("-")
    try:
        first = int(low) if low else 1
        last = (int(high) if high else PE_RANGE_MAX) if dash else first
    except ValueError:
        raise _denied(f'invalid slot range "{text}"\n') from None
    if first < 1 or last < 1:
        raise _denied('"job" rejected: pe range must be greater than zero')
    return first, max(first, last)


def _priority(text: str) -> None:
    """``-p``: -1023..1024, and nothing above 0 without operator privileges (measured)."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not -1023 <= value <= 1024:
        raise _denied(f'invalid priority "{text}".  Must be an integer from -1023 to 1024\n')
    if value > 0:
        raise _denied("job rejected: positive submission priority requires operator privileges")


def _native(text: str, fields: dict[str, Any], submitter: Submitter, given: set[str]) -> None:
    """The qsub options of ``nativeSpecification`` (or a script's ``#$`` lines), as a
    one-queue cell acts on them (sge_native_options_probe, sge_native_pe_probe).

    A template attribute beats the switch that means the same (``given`` names the fields
    the template set: ``-N``, ``-o``, ``-e``, ``-i``, ``-j``, ``-v`` per variable, ``-cwd``
    against workingDirectory); the switch is still checked. Unknown options are refused
    with Grid Engine's message.
    """
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise _denied(str(error)) from None
    i = 0
    while i < len(words):
        word = words[i]
        if word in _FLAGS:
            if word == "-cwd":
                if "workdir" not in given:
                    fields["workdir"] = submitter.cwd
            elif word == "-V":
                exported = dict(submitter.environ)
                exported.update(fields["env"])
                fields["env"] = exported
            elif word == "-h":
                fields["hold"] = True
            i += 1
            continue
        if word not in _WITH_VALUE:
            raise _denied(f'invalid option argument "{word}"\n')
        if i + 1 >= len(words):
            raise _denied(f"{word} option must have argument\n")
        value = words[i + 1]
        i += 2
        if word == "-l":
            _resources(value, fields)
        elif word == "-q" and value not in _QUEUES:
            raise _denied(f'Job was rejected because job requests unknown queue "{value}"')
        elif word == "-pe":
            if i >= len(words):
                raise _denied("-pe option must have range as 2nd argument\n")
            fields["pe"], fields["pe_range"] = value, _pe_range(words[i])
            i += 1
        elif word == "-p":
            _priority(value)
        elif word == "-N":
            if "/" in value:
                raise _denied("argument to -N option must not contain / \n")
            if "name" not in given:
                fields["name"] = value
        elif word == "-wd":
            if "workdir" not in given:
                fields["workdir"] = value
        elif word in ("-o", "-e", "-i"):
            key = {"-o": "output_path", "-e": "error_path", "-i": "input_path"}[word]
            if key not in given:
                fields[key] = _path(value)
        elif word == "-j":
            if "join_files" not in given:
                fields["join_files"] = value.lower().startswith("y")
        elif word == "-v":
            for pair in value.split(","):
                key, has_value, val = pair.partition("=")
                if key not in given_env(given):
                    fields["env"][key] = val if has_value else submitter.environ.get(key, "")
        elif word == "-w":
            fields["validation"] = value
        elif word == "-now":
            fields["immediate"] = value.lower().startswith("y")
        elif word == "-b":
            fields["binary"] = not value.lower().startswith("n")
        elif word == "-hold_jid":
            fields["hold_jid"] = tuple(item for item in value.split(",") if item)


def given_env(given: set[str]) -> frozenset[str]:
    """The variables the template's jobEnvironment set (kept in ``given`` as ``env:NAME``)."""
    return frozenset(item[4:] for item in given if item.startswith("env:"))


def _script(path: str, fields: dict[str, Any], submitter: Submitter, given: set[str]) -> None:
    """``-b n``: libdrmaa reads the command as a script and sends it along (Grid Engine
    runs the spooled copy); its ``#$`` lines are qsub options, beaten by the template and
    by nativeSpecification. A binary (it holds a NUL byte) is refused as measured."""
    full = path if os.path.isabs(path) else os.path.join(submitter.cwd, path)
    try:
        with open(full, "rb") as f:
            content = f.read()
    except OSError as error:  # measured: sge_reconnect_tasks_probe
        raise _denied(f"error opening {path}: {error.strerror}\n") from None
    if b"\0" in content:
        raise _denied("Script length does not match declared length")
    fields["script"] = content
    directives = [
        line[2:].decode(errors="replace") for line in content.splitlines() if line.startswith(b"#$")
    ]
    if directives:
        _native(" ".join(directives), fields, submitter, given)


def _wants_script(words: list[str]) -> bool:
    return any(a == "-b" and b.lower().startswith("n") for a, b in itertools.pairwise(words))


# DRMAA's partial timestamp: [[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]; Grid Engine's
# library also takes one digit for hh, mm or ss ('1:2' is 01:02: sge_input_path_probe).
_START = re.compile(
    r"(?:(?:(?:(?P<year>\d{2}|\d{4})/)?(?P<month>\d{2})/)?(?P<day>\d{2})\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2}))?"
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
    # a start time; the whole environment, with -V or -v; the script, with -b n).
    origin = submitter.origin()
    key = (origin, tasks)
    cached = store.spec_cache
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[return-value]
    spec = _read(store.scalars, store.vectors, tasks, submitter, dict(origin))
    native = store.scalars.get("drmaa_native_specification", "")
    if "drmaa_start_time" not in store.scalars and not any(o in native for o in _UNCACHED):
        store.spec_cache = (key, spec)
    return spec


# Native options whose reading depends on more than the template and SGE_O_*.
_UNCACHED = ("-V", "-v", "-b", "-cwd", "-hold_jid")


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
    workdir = scalars.get("drmaa_wd") or None  # '' is no working directory (measured)
    if workdir:
        _check_increment(workdir, bulk)
        if _WD_PH in workdir:
            raise _denied(
                'working directory placeholder "$drmaa_wd_ph$" is not allowed in the working '
                "directory path"
            )
        workdir = qmaster_path(workdir)
    # An argument is cut at its first newline (sge_input_path_probe: qmaster's job_args).
    args = tuple(arg.split("\n", 1)[0] for arg in vectors.get("drmaa_v_argv", ()))
    fields: dict[str, Any] = {
        "command": command,
        "args": args,
        "env": env,
        "workdir": workdir,
        "input_path": _template_path(scalars, "drmaa_input_path", bulk),
        "output_path": _template_path(scalars, "drmaa_output_path", bulk),
        "error_path": _template_path(scalars, "drmaa_error_path", bulk),
        "join_files": scalars.get("drmaa_join_files") == "y",
        "hold": scalars.get("drmaa_js_state") == SUBMISSION_STATE_HOLD,
        "name": scalars.get("drmaa_job_name"),  # '' is a name, and refused (measured)
        "native": scalars.get("drmaa_native_specification", ""),
        "task_range": tasks,
        "origin": origin,
    }
    native = fields["native"]
    if native:
        # What the template sets beats the matching switch (sge_native_options_probe).
        given = {
            field
            for field, attribute in _TEMPLATE_FIELDS
            if scalars.get(attribute) not in (None, "")
        }
        given.update(f"env:{name}" for name in env)
        try:
            words = shlex.split(native)
        except ValueError as error:
            raise _denied(str(error)) from None
        if _wants_script(words):  # the script's own #$ lines first: the switches beat them
            _script(command, fields, submitter, given)
        _native(native, fields, submitter, given)
    if "drmaa_job_category" in scalars:  # '' too: a fresh cell defines none (measured)
        raise _denied("Unknown job category")
    start = start_time(scalars.get("drmaa_start_time", ""))
    fields["start_at"] = None if start is None else start.timestamp()
    return JobSpec(**fields)


# JobSpec fields a template attribute sets, and which attribute.
_TEMPLATE_FIELDS = (
    ("name", "drmaa_job_name"),
    ("workdir", "drmaa_wd"),
    ("output_path", "drmaa_output_path"),
    ("error_path", "drmaa_error_path"),
    ("input_path", "drmaa_input_path"),
    ("join_files", "drmaa_join_files"),
)
