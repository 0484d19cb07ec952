"""Grid Engine's naming rules: job ids (``N``, or ``N.T`` for task T) and job names."""

import os
import re

from simulator.model.errors import DrmError, ErrorCode
from simulator.model.jobs import JobSpec

_JOB_ID = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def check_job_id(job_id: str) -> str:
    """Return ``job_id`` if it parses; else the INVALID_ARGUMENT Grid Engine raises for it."""
    if _JOB_ID.fullmatch(job_id) is None:
        raise DrmError(ErrorCode.INVALID_ARGUMENT, f'Job id, "{job_id}", is not a valid job id')
    return job_id


def check_job_name(spec: JobSpec) -> None:
    """Refuse a job name as the qmaster does (measured); the default is the command's."""
    name = spec.name or os.path.basename(spec.command)
    if not name:
        raise DrmError(
            ErrorCode.DENIED_BY_DRM, "job rejected cause there is no job_name in the request"
        )
    if "/" in name:
        raise DrmError(ErrorCode.DENIED_BY_DRM, "Slash ('/') not allowed in objectname")
    if any(c.isspace() for c in name):
        # Grid Engine's client chokes on the qmaster's answer rather than refusing cleanly.
        raise DrmError(ErrorCode.INTERNAL_ERROR, "Error reading answer list from qmaster")
    if name[0].isdigit():
        raise DrmError(
            ErrorCode.DENIED_BY_DRM,
            f'denied: "{name}" is not a valid object name (cannot start with a digit)',
        )
