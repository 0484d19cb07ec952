"""What each control action does to a job, as Grid Engine 8.1.9 answers it (measured).

Holding is a flag beside the job's phase: a running or suspended job can be held (it keeps
running, and jobStatus then says user_on_hold) and released. Suspending and resuming
apply to running jobs only. A job that has finished, even unreaped, is unknown to the
qmaster, whatever the action.
"""

from __future__ import annotations

from simulator.model.errors import DrmError, ErrorCode
from simulator.model.jobids import as_qmaster_prints
from simulator.model.jobs import Action, Job, State


def unknown_job_error(number: int, action: Action) -> DrmError:
    """The error for controlling a job the qmaster does not know (finished or never was)."""
    shown = as_qmaster_prints(number)
    if action in (Action.SUSPEND, Action.RESUME):
        message = f'invalid queue or job "{shown}"'
    elif action in (Action.HOLD, Action.RELEASE):
        if shown == 0:  # measured for HOLD ('-0'); RELEASE takes the same path
            return DrmError(ErrorCode.INTERNAL_ERROR, "You have to specify a username or job ids")
        message = f'denied: job "{shown}" does not exist'
    else:
        message = "There are no jobs registered"
    return DrmError(ErrorCode.INVALID_JOB, message)


def check_suspend_resume(job: Job, action: Action, user: str, as_array: bool = False) -> State:
    """The phase a live job moves to under SUSPEND/RESUME; raises if refused.

    ``as_array``: the action names the whole array job (a bare number), and the refusal
    names the job, not the task (sge_array_probe).
    """
    suspend = action is Action.SUSPEND
    code = ErrorCode.SUSPEND_INCONSISTENT_STATE if suspend else ErrorCode.RESUME_INCONSISTENT_STATE
    if job.state is State.QUEUED_ACTIVE:
        what = f"job {job.number}" if as_array else f"job-array task {job.number}.{job.task or 1}"
        raise DrmError(code, f"Modify operation can not be applied on {what} in pending/hold state")
    if suspend and job.state is State.USER_SUSPENDED:
        raise DrmError(code, f"{user} - job {job.number} is already suspended")
    if not suspend and job.state is State.RUNNING:
        raise DrmError(code, f"{user} - job {job.number} is already unsuspended")
    return State.USER_SUSPENDED if suspend else State.RUNNING
