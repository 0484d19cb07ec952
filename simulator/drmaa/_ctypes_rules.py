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
    """A ``char *`` argument: bytes or None (NULL); anything else is refused. The library
    reads it up to its first NUL byte, so that is all it gets (sge_bad_input_probe: a
    NUL in an attribute, a job id or a contact string cuts it there, without an error)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        nul = value.find(b"\0")
        return value if nul < 0 else value[:nul]
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
    """The binding's ``string_vector``: str and bytes kept, anything else through ``str()``;
    each element as the library reads it (up to its first NUL).

    Note that a plain string is a sequence of characters here, as in the binding.
    """
    return [c_text(value if isinstance(value, str | bytes) else str(value)) for value in values]


def c_text(value: str | bytes) -> str:
    """A string the binding encodes and hands to the library, as the library reads it:
    up to its first NUL. What the binding cannot encode (a lone surrogate) raises its
    UnicodeEncodeError. Bytes that are not in the locale's encoding raise
    UnicodeDecodeError here, at once; the binding passes them on and fails only when the
    value is read back (a deliberate difference, see docs/simulator.md)."""
    raw = value if isinstance(value, bytes) else value.encode(ENCODING)
    nul = raw.find(b"\0")
    return (raw if nul < 0 else raw[:nul]).decode(ENCODING)
