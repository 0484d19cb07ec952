"""The drmaa-python release whose public API this module mirrors."""

__version__ = "0.7.9"
VERSION = tuple(int(part) for part in __version__.split("."))
