"""The library's calls, from C-level arguments to the cluster and back.

Arguments arrive as the C library gets them: job ids as ``char *`` text (None for NULL),
timeouts as C ``long`` values, actions and bulk bounds as C ``int`` values. What comes back
is what the C API hands out: job ids, state numbers, and for ``drmaa_wait`` a
:class:`Finished` with the ``stat`` flags and the usage strings. Every refusal is Grid
Engine's code and text (measured: docs/measurements/).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.library.submission import Submitter, job_spec
from simulator.library.templates import TemplateStore
from simulator.model import ALL_JOBS, ANY_JOB, Action, Cluster, Connection, DrmError, ErrorCode
from simulator.model.accounting import NOT_STARTED_KEYS, USAGE_KEYS, signal_name, usage_record
from simulator.model.jobs import Job

#: The C API's job-id constants, and the timeouts it names.
JOB_IDS_SESSION_ANY = "DRMAA_JOB_IDS_SESSION_ANY"
JOB_IDS_SESSION_ALL = "DRMAA_JOB_IDS_SESSION_ALL"
TIMEOUT_WAIT_FOREVER = -1

_INVALID = "The input value for an argument is invalid."


def invalid_argument(message: str = _INVALID) -> DrmError:
    return DrmError(ErrorCode.INVALID_ARGUMENT, message)


def job_id(value: str | None) -> str:
    """A job id as the library takes it: NULL refused, the session constants named."""
    if value is None:
        raise invalid_argument()
    if value == JOB_IDS_SESSION_ANY:
        return ANY_JOB
    if value == JOB_IDS_SESSION_ALL:
        return ALL_JOBS
    return value


def timeout_seconds(timeout: int) -> float:
    """DRMAA timeouts: -1 waits forever, other negative values are refused."""
    if timeout < TIMEOUT_WAIT_FOREVER:
        raise invalid_argument("Negative timeout values are not allowed.")
    return float(timeout)


def connect(cluster: Cluster, contact: str | None, pid: int | None = None) -> Connection:
    """``drmaa_init``: a new session (``contact`` empty or NULL) or the one it names."""
    return cluster.connect(contact or None, pid=pid)


def run_job(cluster: Cluster, conn: Connection, store: TemplateStore, submitter: Submitter) -> str:
    return cluster.submit(conn, job_spec(store, submitter))[0]


def run_bulk_jobs(
    cluster: Cluster,
    conn: Connection,
    store: TemplateStore,
    begin: int,
    end: int,
    step: int,
    submitter: Submitter,
) -> list[str]:
    """``drmaa_run_bulk_jobs`` with the bounds as the C ints the caller passed."""
    if begin > end or step < 1 or (begin < 1 and end >= 1) or begin == 0:
        raise invalid_argument()
    if end < 1:  # passed on to the qmaster, whose range parser chokes on the sign
        text = f"{begin}-{end}:{step}"
        raise DrmError(
            ErrorCode.DENIED_BY_DRM, f'Range specifier "{text}" has unknown trailer "{text[1:]}"\n'
        )
    spec = job_spec(store, submitter, (begin, end, step))
    return cluster.submit(conn, spec, range(begin, end + 1, step))


def control(cluster: Cluster, conn: Connection, job: str | None, action: int) -> None:
    try:
        act = Action(action)
    except ValueError:
        raise invalid_argument() from None
    cluster.control(conn, job_id(job), act)


def synchronize(
    cluster: Cluster, conn: Connection, jobs: Sequence[str | None], timeout: int, dispose: bool
) -> None:
    ids = [job_id(job) for job in jobs]
    cluster.synchronize(conn, ids, timeout_seconds(timeout), dispose)


def job_ps(cluster: Cluster, conn: Connection, job: str | None) -> int:
    return int(cluster.status(conn, job_id(job)))


@dataclass(frozen=True)
class Finished:
    """What ``drmaa_wait`` hands back for a reaped job."""

    job_id: str
    exited: bool
    exit_status: int
    signaled: bool
    signal: int  # the signal number when signaled, else 0
    signal_name: str  # as drmaa_wtermsig names it ('' when not signaled)
    core_dumped: bool
    aborted: bool
    usage: dict[str, str]  # as drmaa_wait's rusage: '%.4f' strings

    @property
    def stat(self) -> int:
        """The ``stat`` of the daemon's protocol (docs/qmaster-protocol.md)."""
        return (
            self.exited
            | self.signaled << 1
            | self.core_dumped << 2
            | self.aborted << 3
            | (self.exit_status & 0xFF) << 4
            | (self.signal & 0xFF) << 12
        )


def wait(cluster: Cluster, conn: Connection, job: str | None, timeout: int) -> Finished:
    """``drmaa_wait``: reap the job (or any, for JOB_IDS_SESSION_ANY) once it finished.

    A job that never ran (terminated while queued) is reaped all the same, but Grid Engine
    has no usage for it: code 24.
    """
    ended = cluster.wait(conn, job_id(job), timeout_seconds(timeout))
    return finished(ended)


def finished(job: Job) -> Finished:
    outcome = job.outcome
    if not job.ran or outcome is None:
        raise DrmError(
            ErrorCode.NO_RUSAGE, "no usage information was returned for the completed job"
        )
    signaled = bool(outcome.signal) and not outcome.aborted
    return Finished(
        job_id=job.id,
        exited=outcome.exited,
        exit_status=outcome.exit_status if outcome.exited else 0,
        signaled=signaled,
        signal=outcome.signal if signaled else 0,
        signal_name=signal_name(outcome.signal) if signaled else "",
        core_dumped=bool(outcome.core_dump) and not outcome.exited,
        aborted=outcome.aborted,
        usage=_usage_text(job),
    )


# The library shows usage values as '%.4f' strings; most are zero.
_ZEROS = dict.fromkeys(USAGE_KEYS, "0.0000")
_ZEROS_NOT_STARTED = dict.fromkeys(NOT_STARTED_KEYS, "0.0000")


def _usage_text(job: Job) -> dict[str, str]:
    assert job.outcome is not None
    text = dict(_ZEROS if job.outcome.started else _ZEROS_NOT_STARTED)
    for key, value in usage_record(job).items():
        text[key] = f"{value:.4f}"
    return text
