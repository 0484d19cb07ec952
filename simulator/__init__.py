"""drmaa-testkit's simulated Grid Engine.

- :mod:`simulator.drmaa`: a drop-in for the ``drmaa`` package, backed by the simulation;
- :func:`installed`: make ``import drmaa`` give that drop-in, for a ``with`` block;
- :mod:`simulator.control`: the cluster behind it (clock, slots, virtual time, faults);
- ``python -m simulator SCRIPT | -m MODULE``: run a program with the drop-in installed.
"""

from simulator.dropin import install, installed, uninstall

__all__ = ["install", "installed", "uninstall"]
