"""What Grid Engine's libdrmaa does between its C API and the qmaster.

Argument checks, job templates and their reading at submission, job-id constants, timeouts,
and what ``drmaa_wait`` hands back: the same for every front. The drmaa-python-compatible
drop-in (:mod:`simulator.drmaa`) calls it in-process; the simulated qmaster daemon
(:mod:`simulator.server`) calls it for clients of the C library. Per-process state (which
session a process has open) stays with each front. Errors are the model's ``DrmError``.
"""
