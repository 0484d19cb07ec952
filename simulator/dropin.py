"""Putting the simulated ``drmaa`` in place of the real one, and taking it away again."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

_SUBMODULES = ("const", "errors", "helpers", "session", "version")
_saved: list[dict[str, ModuleType | None]] = []


def _names() -> list[str]:
    return ["drmaa", *(f"drmaa.{name}" for name in _SUBMODULES)]


def install() -> ModuleType:
    """Make ``import drmaa`` (and ``drmaa.const`` etc.) return the simulator's modules.

    Code that imported the real ``drmaa`` earlier keeps its reference: install first.
    Calls nest; each :func:`uninstall` restores what the matching install replaced.
    """
    import simulator.drmaa as fake

    saved = {name: sys.modules.get(name) for name in _names()}
    saved.update(
        {name: module for name, module in sys.modules.items() if name.startswith("drmaa.")}
    )
    _saved.append(saved)
    for name in list(sys.modules):
        if name == "drmaa" or name.startswith("drmaa."):
            del sys.modules[name]
    sys.modules["drmaa"] = fake
    for name in _SUBMODULES:
        sys.modules[f"drmaa.{name}"] = sys.modules[f"simulator.drmaa.{name}"]
    return fake


def uninstall() -> None:
    """Undo the latest :func:`install`, putting back whatever ``drmaa`` was there."""
    if not _saved:
        raise RuntimeError("the simulated drmaa is not installed")
    saved = _saved.pop()
    for name in list(sys.modules):
        if name == "drmaa" or name.startswith("drmaa."):
            del sys.modules[name]
    for name, module in saved.items():
        if module is not None:
            sys.modules[name] = module


@contextmanager
def installed() -> Iterator[ModuleType]:
    """``with simulator.installed() as drmaa:`` — the drop-in, for the block's duration."""
    module = install()
    try:
        yield module
    finally:
        uninstall()
