"""drmaa-testkit's own ``libdrmaa.so.1.0``: the DRMAA 1.0 C binding with Grid Engine 8.1.9's
symbols, a thin client of the simulated qmaster (``python -m simulator serve``).

The library is built by the package's build (``pip install .`` or ``pip install -e .``, see
setup.py). Point drmaa-python at it with ``DRMAA_LIBRARY_PATH=library_path()``, and at the
daemon with ``DRMAA_TESTKIT_QMASTER`` (docs/qmaster-protocol.md).
"""

from __future__ import annotations

import os

__all__ = ["LIBRARY_NAME", "library_dir", "library_path"]

#: The library's file name (and soname), as Grid Engine names its own.
LIBRARY_NAME = "libdrmaa.so.1.0"


def library_dir() -> str:
    """The directory holding the built library (and its headers and sources)."""
    return os.path.dirname(os.path.abspath(__file__))


def library_path() -> str:
    """The absolute path of the built ``libdrmaa.so.1.0``.

    Raises FileNotFoundError when it has not been built.
    """
    path = os.path.join(library_dir(), LIBRARY_NAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} has not been built: install the package with its build step "
            "(`pip install -e .` in the repository, or `pip install .`), which compiles "
            "simulator/native/*.c with gcc"
        )
    return path
