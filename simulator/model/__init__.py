"""The simulated Grid Engine's state: cluster, sessions, jobs, scheduler, clocks.

Plain Python with no knowledge of any DRMAA binding: the Python API layer
(:mod:`simulator.drmaa`) and any future front (a C ABI) translate to and from it.
Errors are raised as :class:`DrmError` carrying a DRMAA 1.0 error code.
"""

from simulator.model.cluster import ALL_JOBS, ANY_JOB, Cluster, Connection, SessionRecord
from simulator.model.errors import DrmError, ErrorCode
from simulator.model.jobs import Action, Job, JobSpec, Outcome, State

__all__ = [
    "ALL_JOBS",
    "ANY_JOB",
    "Action",
    "Cluster",
    "Connection",
    "DrmError",
    "ErrorCode",
    "Job",
    "JobSpec",
    "Outcome",
    "SessionRecord",
    "State",
]
