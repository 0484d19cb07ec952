"""drmaa-testkit's conformance suite: a pytest plugin that runs one set of DRMAA cases.

The cases (``conformance/cases``) are written once against the drmaa-python API and run
unchanged on every backend chosen with ``--drmaa-backend``:

``sim``
    the simulator (``simulator.drmaa``) on the real clock (the default);
``sim-virtual``
    the simulator on its virtual clock: jobs are modelled, waits advance time instantly;
``binding-sim`` / ``binding-sim-virtual``
    the real ``drmaa`` package (drmaa-python) over the project's C ``libdrmaa``, talking to
    a simulated qmaster daemon started for the run: a binding validated without a cluster;
``sge``
    the real ``drmaa`` package on Grid Engine's ``libdrmaa``, against a running cell;
any import path
    any other drmaa-compatible module, e.g. ``--drmaa-backend=mypkg.drmaa``.

See ``docs/conformance.md`` for the list of cases, what they cite and how to read the
report written by ``--drmaa-report=DIR``.
"""

__all__ = ["BACKEND_NAMES"]

#: The backend names the plugin knows; anything else is taken as an import path.
BACKEND_NAMES = ("sim", "sim-virtual", "binding-sim", "binding-sim-virtual", "sge")
