"""Who submits the cell's jobs, and Grid Engine's rule about who may.

Grid Engine refuses jobs from users whose uid or primary gid is below the cell's ``min_uid``
/ ``min_gid`` (both 1000 by default): root's jobs never run. Measured on 8.1.9
(docs/measurements/sge_root_probe.out): ``runJob`` and ``runBulkJobs`` raise
DeniedByDrmException, whatever the template; initialize, jobStatus, wait, synchronize and
control work as usual.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from simulator.model.errors import DrmError, ErrorCode

#: Grid Engine's defaults for ``min_uid`` and ``min_gid`` (``qconf -sconf``).
MIN_UID = 1000
MIN_GID = 1000


@dataclass(frozen=True)
class Owner:
    """The user the cell's jobs belong to: the one the qmaster checks and names."""

    name: str
    uid: int
    gid: int

    @classmethod
    def caller(cls) -> Owner:
        """This process's user: the one a real Grid Engine client would submit as."""
        return cls(getpass.getuser(), os.getuid(), os.getgid())


def check_may_submit(owner: Owner, min_uid: int, min_gid: int) -> None:
    """Raise Grid Engine's refusal when ``owner`` is below the cell's limits."""
    if owner.uid < min_uid:
        raise DrmError(
            ErrorCode.DENIED_BY_DRM,
            f"job rejected: your user id {owner.uid} is lower than minimum user id "
            f"{min_uid} of cluster configuration",
        )
    if owner.gid < min_gid:
        raise DrmError(
            ErrorCode.DENIED_BY_DRM,
            f"job rejected: your group id {owner.gid} is lower than minimum group id "
            f"{min_gid} of cluster configuration",
        )
