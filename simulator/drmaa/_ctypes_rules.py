"""The argument checks the real binding gets from ctypes, reproduced without a C library.

drmaa-python hands arguments to libdrmaa through ctypes, which refuses wrong types with
``ctypes.ArgumentError`` before the library sees them (a float timeout, an int job id) and
silently wraps integers that overflow a C ``int``/``long``. Code that passes on the
simulator must not crash on a real cluster, so the simulator refuses exactly what ctypes
refuses, with the same exception and text.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable

from simulator.drmaa.const import ENCODING


def _wrong_type(position: int) -> ctypes.ArgumentError:
    return ctypes.ArgumentError(f"argument {position}: TypeError: wrong type")


def c_string(value: object, position: int) -> bytes | None:
    """A ``char *`` argument: bytes or None (NULL); anything else is refused."""
    if value is None or isinstance(value, bytes):
        return value
    raise _wrong_type(position)


def c_integer(value: object, position: int, bits: int = 64) -> int:
    """A C ``int``/``long`` argument: ints and bools, wrapped to the C type's width."""
    if not isinstance(value, int):
        raise _wrong_type(position)
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def c_int(value: object, position: int) -> int:
    return c_integer(value, position, 32)


def encode_id(job_id: object) -> object:
    """The binding encodes ``str`` job ids and passes anything else on as it is."""
    return job_id.encode(ENCODING) if isinstance(job_id, str) else job_id


def string_vector(values: Iterable[object]) -> list[str]:
    """The binding's ``string_vector``: str and bytes kept, anything else through ``str()``.

    Note that a plain string is a sequence of characters here, as in the binding.
    """
    out = []
    for value in values:
        if isinstance(value, bytes):
            out.append(value.decode(ENCODING))
        else:
            out.append(value if isinstance(value, str) else str(value))
    return out
