"""The small value types drmaa-python exposes from its helpers module."""

from collections import namedtuple


class Version(namedtuple("Version", "major minor")):
    """The DRMAA version a library implements; prints as ``1.0``."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"
