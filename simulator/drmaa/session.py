"""Session and JobInfo: drmaa-python 0.7.9's surface over the simulated cluster.

As with the C library, there is one DRMAA session per process: every ``Session`` object
and every static method speaks for it.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable
from typing import Any, TypeVar

from simulator import control
from simulator.drmaa import _ctypes_rules as ct
from simulator.drmaa.const import (
    ENCODING,
    JOB_IDS_SESSION_ALL,
    JOB_IDS_SESSION_ANY,
    TIMEOUT_NO_WAIT,
    TIMEOUT_WAIT_FOREVER,
    JobControlAction,
    JobState,
    JobSubmissionState,
    status_to_string,
    string_to_control_action,
)
from simulator.drmaa.errors import exception_for, translate
from simulator.drmaa.helpers import Version
from simulator.drmaa.submit import job_spec
from simulator.drmaa.template import JobTemplate
from simulator.model import ALL_JOBS, ANY_JOB, Action, Connection, DrmError, ErrorCode
from simulator.model.accounting import NOT_STARTED_KEYS, USAGE_KEYS, signal_name, usage_record

__all__ = [
    "JobControlAction",
    "JobInfo",
    "JobState",
    "JobSubmissionState",
    "JobTemplate",
    "Session",
]

JobInfo = namedtuple(
    "JobInfo",
    "jobId hasExited hasSignal terminatedSignal hasCoreDump wasAborted exitStatus resourceUsage",
)

DRM_SYSTEM = "SGE 8.1.9"
DRMAA_IMPLEMENTATION = "SGE 8.1.9"
DRMAA_VERSION = Version(1, 0)

_state_lock = threading.Lock()
_current: Connection | None = None
T = TypeVar("T")


def _call(operation: Callable[..., T], *args: Any) -> T:
    """Run a cluster operation, raising what the binding would for its errors."""
    try:
        return operation(*args)
    except DrmError as error:
        raise translate(error) from None


def _active_record() -> Connection:
    record = _current
    if record is None or not record.open:
        raise exception_for(ErrorCode.NO_ACTIVE_SESSION, "No active session")
    return record


def _job_id(value: object, position: int = 1) -> str:
    """A job id as the library receives it: a str, or one of the session constants."""
    raw = ct.c_string(ct.encode_id(value), position)
    if raw is None:
        raise exception_for(
            ErrorCode.INVALID_ARGUMENT, "The input value for an argument is invalid."
        )
    if raw == JOB_IDS_SESSION_ANY:
        return ANY_JOB
    if raw == JOB_IDS_SESSION_ALL:
        return ALL_JOBS
    return raw.decode(ENCODING)


def _job_info(job: Any) -> JobInfo:
    outcome = job.outcome
    if not job.ran:
        # The job never ran (terminated while queued): reaped, but Grid Engine has no usage.
        raise exception_for(
            ErrorCode.NO_RUSAGE, "no usage information was returned for the completed job"
        )
    has_signal = bool(outcome.signal) and not outcome.aborted
    return JobInfo(
        job.id,
        outcome.exited,
        has_signal,
        signal_name(outcome.signal) if has_signal else "",
        bool(outcome.core_dump) if not outcome.exited else False,
        outcome.aborted,
        outcome.exit_status if outcome.exited else 0,
        _usage_text(job),
    )


# The binding shows usage values as '%.4f' strings; most are zero.
_ZEROS = dict.fromkeys(USAGE_KEYS, "0.0000")
_ZEROS_NOT_STARTED = dict.fromkeys(NOT_STARTED_KEYS, "0.0000")


def _usage_text(job: Any) -> dict[str, str]:
    text = dict(_ZEROS if job.outcome.started else _ZEROS_NOT_STARTED)
    for key, value in usage_record(job).items():
        text[key] = f"{value:.4f}"
    return text


class _SessionString:
    """A read-only string the library answers before and after initialize()."""

    def __init__(self, answer: Callable[[], str]) -> None:
        self._answer = answer

    def __get__(self, instance: object, owner: type) -> str:
        return self._answer()


class _SessionVersion:
    def __get__(self, instance: object, owner: type) -> Version:
        return DRMAA_VERSION


def _contact() -> str:
    record = _current
    return record.contact if record is not None and record.open else ""


class Session:
    """The DRMAA session: the entry point for talking to the (simulated) DRM."""

    TIMEOUT_WAIT_FOREVER = TIMEOUT_WAIT_FOREVER
    TIMEOUT_NO_WAIT = TIMEOUT_NO_WAIT
    JOB_IDS_SESSION_ANY = JOB_IDS_SESSION_ANY
    JOB_IDS_SESSION_ALL = JOB_IDS_SESSION_ALL

    contact = _SessionString(_contact)
    drmsInfo = _SessionString(lambda: DRM_SYSTEM)
    drmaaImplementation = _SessionString(lambda: DRMAA_IMPLEMENTATION)
    version = _SessionVersion()

    def __init__(self, contactString: str | None = None) -> None:
        self.contactString = contactString

    @staticmethod
    def initialize(contactString: str | None = None) -> None:
        """Open the process's DRMAA session, or rejoin the one ``contactString`` names."""
        global _current
        if isinstance(contactString, str):
            contactString = contactString.encode(ENCODING)
        raw = ct.c_string(contactString, 1)
        with _state_lock:
            if _current is not None and _current.open:
                raise exception_for(
                    ErrorCode.ALREADY_ACTIVE_SESSION,
                    "Initialization failed due to existing DRMAA session.",
                )
            contact = raw.decode(ENCODING) if raw else None
            _current = _call(control.cluster().connect, contact)

    @staticmethod
    def exit() -> None:
        """Leave the session; its jobs go on (and are lost if they end before a reconnect)."""
        global _current
        with _state_lock:
            record = _current
            if record is None or not record.open:
                raise exception_for(ErrorCode.NO_ACTIVE_SESSION, "")
            _current = None
            _call(control.cluster().disconnect, record)

    @staticmethod
    def createJobTemplate() -> JobTemplate:
        """Allocate a job template; delete it with deleteJobTemplate() when done."""
        return JobTemplate()

    @staticmethod
    def deleteJobTemplate(jobTemplate: JobTemplate) -> None:
        jobTemplate.delete()

    @staticmethod
    def runJob(jobTemplate: JobTemplate) -> str:
        """Submit one job; returns its id, e.g. ``'42'``."""
        record = _active_record()
        spec = _call(job_spec, jobTemplate)
        return _call(control.cluster().submit, record, spec)[0]

    @staticmethod
    def runBulkJobs(
        jobTemplate: JobTemplate, beginIndex: int, endIndex: int, step: int
    ) -> list[str]:
        """Submit an array job; returns one id per task, e.g. ``['42.1', '42.2']``."""
        begin, end, incr = ct.c_int(beginIndex, 3), ct.c_int(endIndex, 4), ct.c_int(step, 5)
        record = _active_record()
        if begin > end or incr < 1 or (begin < 1 and end >= 1) or begin == 0:
            raise exception_for(
                ErrorCode.INVALID_ARGUMENT, "The input value for an argument is invalid."
            )
        if end < 1:  # passed on to the qmaster, whose range parser chokes on the sign
            spec_text = f"{begin}-{end}:{incr}"
            raise exception_for(
                ErrorCode.DENIED_BY_DRM,
                f'Range specifier "{spec_text}" has unknown trailer "{spec_text[1:]}"\n',
            )
        spec = _call(job_spec, jobTemplate, 2, (begin, end, incr))
        return _call(control.cluster().submit, record, spec, range(begin, end + 1, incr))

    @staticmethod
    def control(jobId: str, operation: str) -> None:
        """Suspend, resume, hold, release or terminate a job (or JOB_IDS_SESSION_ALL)."""
        job_id = _job_id(jobId)
        action = Action(string_to_control_action(operation))
        record = _active_record()
        _call(control.cluster().control, record, job_id, action)

    @staticmethod
    def synchronize(jobIds: Any, timeout: int = -1, dispose: bool = False) -> None:
        """Wait until every listed job has finished; ``dispose`` reaps them too."""
        ids = [_job_id(i) for i in ct.string_vector(jobIds)]
        wait_for = ct.c_integer(timeout, 2)
        record = _active_record()
        _call(control.cluster().synchronize, record, ids, _seconds(wait_for), bool(dispose))

    @staticmethod
    def wait(jobId: str, timeout: int = -1) -> JobInfo:
        """Wait for a job (or JOB_IDS_SESSION_ANY) to finish; reaps it and returns its info."""
        job_id = _job_id(jobId)
        wait_for = ct.c_integer(timeout, 5)
        record = _active_record()
        job = _call(control.cluster().wait, record, job_id, _seconds(wait_for))
        return _job_info(job)

    @staticmethod
    def jobStatus(jobId: str) -> str:
        """The job's state, one of the JobState strings."""
        job_id = _job_id(jobId)
        record = _active_record()
        return status_to_string(int(_call(control.cluster().status, record, job_id)))

    def __enter__(self) -> Session:
        self.initialize(self.contactString)
        return self

    def __exit__(self, *_: object) -> bool:
        self.exit()
        return False


def _seconds(timeout: int) -> float:
    """DRMAA timeouts: -1 waits forever, other negative values are refused."""
    if timeout < TIMEOUT_WAIT_FOREVER:
        raise exception_for(ErrorCode.INVALID_ARGUMENT, "Negative timeout values are not allowed.")
    return float(timeout)
