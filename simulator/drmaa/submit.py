"""From a JobTemplate to the cluster's JobSpec, with Grid Engine's reading of each attribute."""

from __future__ import annotations

import os
import shlex
from typing import Any

from simulator.drmaa import _ctypes_rules as ct
from simulator.drmaa.const import SUBMISSION_STATE_HOLD
from simulator.drmaa.template import JobTemplate
from simulator.model.errors import DrmError, ErrorCode
from simulator.model.jobs import JobSpec


def _path(value: str) -> str | None:
    """A DRMAA path attribute, ``[hostname]:file_path``, as a local path."""
    if not value:
        return None
    _, sep, path = value.partition(":")
    return path if sep else value


def _native(text: str, fields: dict[str, Any]) -> None:
    """The qsub options of ``nativeSpecification`` that change how the job runs.

    Options that only matter to a real scheduler (``-l``, ``-q``, ``-pe``, ``-P``...) are
    accepted and ignored; an option qsub doesn't know is refused, as Grid Engine does.
    """
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise DrmError(ErrorCode.DENIED_BY_DRM, str(error)) from None
    with_value = {
        "-l",
        "-q",
        "-pe",
        "-P",
        "-A",
        "-p",
        "-R",
        "-r",
        "-m",
        "-M",
        "-S",
        "-v",
        "-ac",
        "-dc",
        "-sc",
        "-js",
        "-ckpt",
        "-c",
        "-binding",
        "-now",
        "-notify",
        "-w",
        "-soft",
        "-hard",
        "-tc",
        "-hold_jid",
        "-hold_jid_ad",
        "-masterq",
        "-ar",
        "-a",
        "-dl",
        "-u",
        "-wd",
        "-N",
        "-o",
        "-e",
        "-i",
        "-j",
        "-b",
        "-shell",
    }
    flags = {"-cwd", "-V", "-h", "-clear", "-notify", "-soft", "-hard"}
    i = 0
    while i < len(words):
        word = words[i]
        if word in flags:
            if word == "-cwd":
                fields["workdir"] = os.getcwd()
            elif word == "-V":
                fields["env"] = {**os.environ, **fields["env"]}
            elif word == "-h":
                fields["hold"] = True
            i += 1
            continue
        if word not in with_value or i + 1 >= len(words):
            raise DrmError(ErrorCode.DENIED_BY_DRM, f'ERROR! invalid option argument "{word}"')
        value = words[i + 1]
        if word == "-N":
            fields["name"] = value
        elif word == "-wd":
            fields["workdir"] = value
        elif word == "-o":
            fields["output_path"] = _path(value)
        elif word == "-e":
            fields["error_path"] = _path(value)
        elif word == "-i":
            fields["input_path"] = _path(value)
        elif word == "-j":
            fields["join_files"] = value.lower().startswith("y")
        elif word == "-v":
            for pair in value.split(","):
                key, _, val = pair.partition("=")
                fields["env"][key] = val if _ else os.environ.get(key, "")
        i += 2


def job_spec(template: object, position: int = 3) -> JobSpec:
    """Read a template the way Grid Engine's libdrmaa does at submission."""
    if not isinstance(template, JobTemplate):
        ct.c_string(template, position)  # ctypes refuses anything but a template
        raise DrmError(ErrorCode.INVALID_ARGUMENT)
    store = template._store()
    if store.deleted:
        raise DrmError(ErrorCode.INVALID_ARGUMENT)
    scalars, vectors = store.scalars, store.vectors
    command = scalars.get("drmaa_remote_command", "")
    if not command:
        raise DrmError(ErrorCode.DENIED_BY_DRM, "job rejected: no command given")
    env = dict(pair.split("=", 1) for pair in vectors.get("drmaa_v_env", ()) if "=" in pair)
    fields: dict[str, Any] = {
        "command": command,
        "args": tuple(vectors.get("drmaa_v_argv", ())),
        "env": env,
        "workdir": scalars.get("drmaa_wd") or None,
        "input_path": _path(scalars.get("drmaa_input_path", "")),
        "output_path": _path(scalars.get("drmaa_output_path", "")),
        "error_path": _path(scalars.get("drmaa_error_path", "")),
        "join_files": scalars.get("drmaa_join_files") == "y",
        "hold": scalars.get("drmaa_js_state") == SUBMISSION_STATE_HOLD,
        "name": scalars.get("drmaa_job_name") or None,
        "native": scalars.get("drmaa_native_specification", ""),
    }
    if fields["native"]:
        _native(fields["native"], fields)
    return JobSpec(**fields)
