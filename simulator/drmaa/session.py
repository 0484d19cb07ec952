"""Session and JobInfo: drmaa-python 0.7.9's surface over the simulated cluster.

As with the C library, there is one DRMAA session per process: every ``Session`` object
and every static method speaks for it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any, TypeVar

from simulator.drmaa import _ctypes_rules as ct
from simulator.drmaa import _process, cells
from simulator.drmaa.const import (
    JOB_IDS_SESSION_ALL,
    JOB_IDS_SESSION_ANY,
    SIGNAL_BUFFER,
    TIMEOUT_NO_WAIT,
    TIMEOUT_WAIT_FOREVER,
    JobControlAction,
    JobState,
    JobSubmissionState,
    status_to_string,
    string_to_control_action,
)
from simulator.drmaa.errors import exception_for
from simulator.drmaa.helpers import Version
from simulator.drmaa.template import (
    JobTemplate,
    check_alive,
    template_argument,
    template_store,
)
from simulator.library import calls
from simulator.library.submission import Submitter
from simulator.model import DrmError, ErrorCode

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

T = TypeVar("T")


def _call(operation: Callable[..., T], *args: Any) -> T:
    """Run a cluster operation, raising what the binding would for its errors."""
    try:
        return operation(*args)
    except DrmError as error:
        raise ct.library_error(error) from None
    except Exception as error:  # a bug inside the cell: what the library would answer
        raise ct.library_failure(error) from error


def _job_info(finished: calls.Finished) -> JobInfo:
    """drmaa_wait's answers, each read as the binding reads it (into its buffers)."""
    usage = [ct.read_back(f"{name}={value}") for name, value in finished.usage.items()]
    return JobInfo(
        ct.read_back(finished.job_id, ct.JOB_ID_BUFFER),
        finished.exited,
        finished.signaled,
        ct.read_back(finished.signal_name, SIGNAL_BUFFER),
        finished.core_dumped,
        finished.aborted,
        finished.exit_status,
        dict(pair.split("=", 1) for pair in usage),
    )


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
    session = _process.current
    contact = session.handle.contact if session is not None and session.handle.open else ""
    return ct.read_back(contact)


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
        contact = ct.library_id(contactString, 1) or None  # NULL or "": a new session
        with _process.lock:
            session = _process.current
            if session is not None and session.handle.open:
                raise exception_for(
                    ErrorCode.ALREADY_ACTIVE_SESSION,
                    "Initialization failed due to existing DRMAA session.",
                )
            cell = cells.choose()
            _process.current = _process.Current(cell, _call(cell.connect, contact))

    @staticmethod
    def exit() -> None:
        """Leave the session; its jobs go on (and are lost if they end before a reconnect)."""
        with _process.lock:
            session = _process.current
            if session is None or not session.handle.open:
                raise exception_for(ErrorCode.NO_ACTIVE_SESSION, "")
            _process.current = None
            _call(session.cell.disconnect, session.handle)

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
        store = template_store(template_argument(jobTemplate, 3))
        session = _process.active()
        check_alive(store)
        job_id = _call(session.cell.run_job, session.handle, store, Submitter.this_process())
        return ct.read_back(job_id, ct.JOB_ID_BUFFER)

    @staticmethod
    def runBulkJobs(
        jobTemplate: JobTemplate, beginIndex: int, endIndex: int, step: int
    ) -> list[str]:
        """Submit an array job; returns one id per task, e.g. ``['42.1', '42.2']``."""
        # ctypes converts the arguments in order, the template first
        template = template_argument(jobTemplate, 2)
        begin, end, incr = ct.c_int(beginIndex, 3), ct.c_int(endIndex, 4), ct.c_int(step, 5)
        store = template_store(template)
        session = _process.active()
        check_alive(store)
        submitter = Submitter.this_process()
        run = session.cell.run_bulk_jobs
        job_ids = _call(run, session.handle, store, begin, end, incr, submitter)
        return [ct.read_back(job_id) for job_id in job_ids]

    @staticmethod
    def control(jobId: str, operation: str) -> None:
        """Suspend, resume, hold, release or terminate a job (or JOB_IDS_SESSION_ALL)."""
        # The binding encodes the id and looks the action up before ctypes sees either.
        raw = ct.encode_id(jobId)
        action = string_to_control_action(operation)
        job_id = ct.library_id(raw, 1)
        session = _process.active()
        _call(session.cell.control, session.handle, job_id, action)

    @staticmethod
    def synchronize(jobIds: Any, timeout: int = -1, dispose: bool = False) -> None:
        """Wait until every listed job has finished; ``dispose`` reaps them too."""
        disposing = bool(dispose)  # the binding's first step
        ids: list[str | None] = list(ct.string_vector(jobIds))
        wait_for = ct.c_integer(timeout, 2)
        session = _process.active()
        _call(session.cell.synchronize, session.handle, ids, wait_for, disposing)

    @staticmethod
    def wait(jobId: str, timeout: int = -1) -> JobInfo:
        """Wait for a job (or JOB_IDS_SESSION_ANY) to finish; reaps it and returns its info."""
        job_id = ct.library_id(jobId, 1)
        wait_for = ct.c_integer(timeout, 5)
        session = _process.active()
        return _job_info(_call(session.cell.wait, session.handle, job_id, wait_for))

    @staticmethod
    def jobStatus(jobId: str) -> str:
        """The job's state, one of the JobState strings."""
        job_id = ct.library_id(jobId, 1)
        session = _process.active()
        return status_to_string(_call(session.cell.job_ps, session.handle, job_id))

    def __enter__(self) -> Session:
        self.initialize(self.contactString)
        return self

    def __exit__(self, *_: object) -> None:
        self.exit()
