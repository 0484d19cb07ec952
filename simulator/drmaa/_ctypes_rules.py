"""What the real binding's arguments and answers go through in ctypes, reproduced without a
C library.

drmaa-python hands arguments to libdrmaa through ctypes, which converts them one by one, in
order, before the library runs: it refuses wrong types with ``ctypes.ArgumentError`` (a
float timeout, an int job id), accepts ctypes objects of the right type (a ``c_char_p``, a
char array, a ``c_long`` timeout) and silently wraps integers that overflow a C
``int``/``long``. The library gets ``char *`` bytes as they are, up to their first NUL.
What comes back is read into the binding's fixed buffers and decoded as UTF-8. Code that
passes on the simulator must not crash on a real cluster, so the simulator does all of it
alike: the same exceptions, with the same texts, at the same point.

The simulated library takes text as ``str``: bytes that are not UTF-8 travel as surrogates
(``surrogateescape``), as they do to the simulated qmaster daemon, and come back as the
same bytes.
"""

from __future__ import annotations

import ctypes
from typing import Any

from simulator.drmaa.const import ATTR_BUFFER, ENCODING, ERROR_STRING_BUFFER
from simulator.drmaa.errors import exception_for
from simulator.model.errors import DrmError, ErrorCode

#: The buffer drmaa-python reads a job id into (runJob, wait); others are ATTR_BUFFER.
JOB_ID_BUFFER = 128

_LIBRARY_CODEC = ("utf-8", "surrogateescape")


def _argument_error(position: int, error: Exception) -> ctypes.ArgumentError:
    """ctypes' own wording: ``argument 3: TypeError: wrong type``."""
    return ctypes.ArgumentError(f"argument {position}: {type(error).__name__}: {error}")


def c_string(value: object, position: int) -> bytes | None:
    """A ``char *`` argument, as ctypes converts it: None (NULL), bytes, or a ctypes object
    it takes for one (``c_char_p``, a char array, an object with ``_as_parameter_``...);
    anything else is refused. The library reads it up to its first NUL byte, so that is
    all it gets (sge_bad_input_probe: a NUL in an attribute, a job id or a contact string
    cuts it there, without an error)."""
    if value is None:
        return None
    if not isinstance(value, bytes):
        try:
            ctypes.c_char_p.from_param(value)  # ctypes' rule itself
        except Exception as error:
            raise _argument_error(position, error) from None
        value = _unwrapped(value)
        if value is None:
            return None
        if not isinstance(value, bytes):  # what the ctypes object points to
            # from_param accepted it above, so it is a ctypes object cast takes
            value = ctypes.cast(value, ctypes.c_char_p).value  # type: ignore[arg-type]
            if value is None:
                return None
    nul = value.find(b"\0")
    return value if nul < 0 else value[:nul]


def _unwrapped(value: Any) -> Any:
    """What ctypes passes for an object it accepted: it follows ``_as_parameter_``."""
    while not isinstance(value, _C_DATA) and hasattr(value, "_as_parameter_"):
        value = value._as_parameter_
    return value


_C_DATA = (ctypes._SimpleCData, ctypes.Array, ctypes._Pointer)


def c_integer(value: object, position: int, bits: int = 64) -> int:
    """A C ``long`` (64 bits) or ``int`` (32) argument, as ctypes converts it: ints and
    bools wrapped to the type's width, or an object of exactly that ctypes type."""
    c_type = ctypes.c_long if bits == 64 else ctypes.c_int
    if not isinstance(value, int):
        try:
            c_type.from_param(value)  # ctypes' rule itself
        except Exception as error:
            raise _argument_error(position, error) from None
        value = _unwrapped(value)
        if isinstance(value, ctypes._SimpleCData):
            value = value.value
    assert isinstance(value, int)
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def c_int(value: object, position: int) -> int:
    return c_integer(value, position, 32)


def encode_id(job_id: object) -> object:
    """The binding encodes ``str`` job ids and passes anything else on as it is."""
    return job_id.encode(ENCODING) if isinstance(job_id, str) else job_id


def to_library(raw: bytes) -> str:
    """``char *`` bytes as the simulated library takes them (see the module's docstring)."""
    return raw.decode(*_LIBRARY_CODEC)


def library_id(value: object, position: int) -> str | None:
    """A job id (or contact) argument as the library gets it: the binding encodes a str,
    ctypes converts the rest; None is NULL."""
    raw = c_string(encode_id(value), position)
    return None if raw is None else to_library(raw)


def string_vector(values: Any) -> list[str]:
    """The binding's ``string_vector``: sized with ``len()`` first, then str and bytes kept,
    anything else through ``str()``, each encoded; each element as the library reads it
    (up to its first NUL). What the binding cannot encode (a lone surrogate) raises its
    UnicodeEncodeError.

    Note that a plain string is a sequence of characters here, as in the binding.
    """
    len(values)  # the binding's TypeError for what has no length (an iterator)
    return [c_text(value if isinstance(value, str | bytes) else str(value)) for value in values]


def c_text(value: str | bytes) -> str:
    """A string the binding encodes (str) or passes (bytes) to the library, as the library
    reads it: up to its first NUL."""
    raw = value if isinstance(value, bytes) else value.encode(ENCODING)
    nul = raw.find(b"\0")
    return to_library(raw if nul < 0 else raw[:nul])


def read_back_bytes(text: str, size: int = ATTR_BUFFER) -> bytes:
    """What the library copies of ``text`` into a binding's buffer of ``size`` bytes: at
    most ``size - 1`` bytes, up to the first NUL (the buffer's ``.value``)."""
    raw = text.encode(*_LIBRARY_CODEC)[: size - 1]
    nul = raw.find(b"\0")
    return raw if nul < 0 else raw[:nul]


def read_back(text: str, size: int = ATTR_BUFFER) -> str:
    """A string the binding reads from the library: its buffer's bytes, ``.decode()``-d as
    UTF-8, a UnicodeDecodeError when they are not (a value set as non-UTF-8 bytes, a
    character cut by the buffer's end)."""
    return read_back_bytes(text, size).decode()


def library_error(error: DrmError) -> BaseException:
    """The binding's exception for a library error: ``code N: message``, the message as
    the binding reads it from its 1024-byte error buffer (cut; the UnicodeDecodeError of
    its ``.decode()`` when it is not UTF-8, e.g. when it quotes such a job id)."""
    try:
        message = read_back(error.message or "", ERROR_STRING_BUFFER)
    except UnicodeDecodeError as undecodable:
        return undecodable
    return exception_for(int(error.code), message)


def library_failure(error: Exception) -> BaseException:
    """The binding's exception for a failure inside the library (a bug of the simulated
    cell): a C library answers an error code, never a Python exception; ours, from the
    daemon, InternalException ``code 1: <type>: <message>``."""
    return library_error(DrmError(ErrorCode.INTERNAL_ERROR, f"{type(error).__name__}: {error}"))
