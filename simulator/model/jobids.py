"""Grid Engine's naming rules: job ids (``N``, or ``N.T`` for task T) and job names."""

import os
import re

from simulator.model.errors import DrmError, ErrorCode
from simulator.model.jobs import JobSpec

# Grid Engine reads the job number like strtol(3): leading blanks, a sign, digits, and
# whatever follows ignored (' 42', '+42', '042', '42abc' all name job 42; measured).
_NUMBER = re.compile(r"\s*([+-]?[0-9]+)")
_SPACE = re.compile(r"\s")  # str.isspace()'s characters: both use Unicode's whitespace


def parse_job_id(job_id: str) -> tuple[int, int | None]:
    """Job number and task index (None for a plain job id), read as Grid Engine reads them.

    Raises INVALID_ARGUMENT, with Grid Engine's message, for what does not parse.
    """
    if "." in job_id:
        number, _, task = job_id.partition(".")
        if not number or not task:
            raise DrmError(
                ErrorCode.INVALID_ARGUMENT, f'Job id, "{job_id}", is not a valid bulk job id'
            )
        return _strtol(number, job_id), _strtol(task, job_id)
    return _strtol(job_id, job_id), None


_LONG_MAX = 2**63 - 1


def _strtol(text: str, job_id: str) -> int:
    match = _NUMBER.match(text)
    if match is None:
        raise DrmError(ErrorCode.INVALID_ARGUMENT, f'Job id, "{job_id}", is not a valid job id')
    digits = match.group(1)
    # strtol saturates at LONG_MIN/LONG_MAX (and Python refuses to read more than 4300
    # digits): a job id of thousands of digits names job LONG_MAX (sge_bad_input_probe).
    if len(digits.lstrip("+-").lstrip("0")) > 19:
        return -_LONG_MAX - 1 if digits.startswith("-") else _LONG_MAX
    return max(-_LONG_MAX - 1, min(_LONG_MAX, int(digits)))


def as_qmaster_prints(number: int) -> int:
    """A job number as the qmaster's messages show it: cut to 32 bits, printed signed
    (``-3`` stays ``-3``; a saturated LONG_MAX shows as ``-1``: measured)."""
    return ((number & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


def canonical(number: int, task: int | None) -> str:
    return str(number) if task is None else f"{number}.{task}"


def job_name(spec: JobSpec) -> str:
    """A job's name: the template's (or ``-N``), else its command's base name."""
    return os.path.basename(spec.command) if spec.name is None else spec.name


def check_job_name(spec: JobSpec) -> None:
    """Refuse a job name as the qmaster does (measured); the default is the command's."""
    name = job_name(spec)
    if not name:
        raise DrmError(
            ErrorCode.DENIED_BY_DRM, "job rejected cause there is no job_name in the request"
        )
    if "/" in name:
        raise DrmError(ErrorCode.DENIED_BY_DRM, "Slash ('/') not allowed in objectname")
    if _SPACE.search(name) or _SPACE.search(spec.command) or not name.isascii():
        # Grid Engine's client chokes on the qmaster's answer rather than refusing cleanly
        # (a blank, or a name that is not ASCII: 'é', b'\xff'; sge_bad_input_probe).
        raise DrmError(ErrorCode.INTERNAL_ERROR, "Error reading answer list from qmaster")
    if name[0].isdigit():
        raise DrmError(
            ErrorCode.DENIED_BY_DRM,
            f'denied: "{name}" is not a valid object name (cannot start with a digit)',
        )
