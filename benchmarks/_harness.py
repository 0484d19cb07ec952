"""What every benchmark of the simulator does first: like the project's tests, run jobs as
an unprivileged user when it runs as root (the simulated cell refuses root's jobs, as Grid
Engine does), with a scratch home directory that is removed at exit. Child processes
(``python -m simulator ...``) inherit both through the environment."""

from __future__ import annotations

import atexit
import os
import shutil

from simulator import control


def configure() -> str | None:
    """Set ``DRMAA_SIM_JOB_USER`` (when root) and ``DRMAA_SIM_HOME``; the job user or None."""
    user = control.harness_job_user()
    if user is not None:
        os.environ.setdefault("DRMAA_SIM_JOB_USER", user)
    if not os.environ.get("DRMAA_SIM_HOME"):
        home = control.make_job_dir(user, prefix="drmaa-testkit-bench-home-")
        os.environ["DRMAA_SIM_HOME"] = home
        atexit.register(shutil.rmtree, home, True)
    return user
