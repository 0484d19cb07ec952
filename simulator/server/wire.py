"""The daemon's framing (docs/qmaster-protocol.md): a frame is a u32 payload length and the
payload, a sequence of fields, each a u32 length and its bytes; a length of 0xFFFFFFFF is a
NULL string. All integers big-endian."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import BinaryIO

#: The largest payload either side accepts.
MAX_FRAME = 16 * 1024 * 1024
_NULL = 0xFFFFFFFF
_U32 = struct.Struct(">I")

Field = bytes | None


class ProtocolError(Exception):
    """The peer broke the framing (or went away mid-frame)."""


def encode(fields: Iterable[Field]) -> bytes:
    """One frame holding ``fields``."""
    parts = [b""]
    pack = _U32.pack
    for field in fields:
        if field is None:
            parts.append(pack(_NULL))
        else:
            parts.append(pack(len(field)))
            parts.append(field)
    payload = b"".join(parts)
    return pack(len(payload)) + payload


def read_frame(stream: BinaryIO) -> list[Field] | None:
    """The next frame's fields, or None at a clean end of stream (between frames)."""
    header = stream.read(4)
    if not header:
        return None
    if len(header) < 4:
        raise ProtocolError("the connection ended inside a frame header")
    (length,) = _U32.unpack(header)
    if length > MAX_FRAME:
        raise ProtocolError(f"a frame of {length} bytes is over the limit of {MAX_FRAME}")
    payload = stream.read(length)
    if len(payload) < length:
        raise ProtocolError("the connection ended inside a frame")
    return decode_payload(payload)


def decode_payload(payload: bytes) -> list[Field]:
    fields: list[Field] = []
    offset, end = 0, len(payload)
    unpack = _U32.unpack_from
    while offset < end:
        if offset + 4 > end:
            raise ProtocolError("a field header runs past the end of its frame")
        (size,) = unpack(payload, offset)
        offset += 4
        if size == _NULL:
            fields.append(None)
            continue
        if offset + size > end:
            raise ProtocolError("a field runs past the end of its frame")
        fields.append(payload[offset : offset + size])
        offset += size
    return fields


def text(field: Field) -> str | None:
    """A field as text; bytes that are not UTF-8 survive as surrogates (as file names do)."""
    return None if field is None else field.decode("utf-8", "surrogateescape")


def data(value: str | None) -> Field:
    return None if value is None else value.encode("utf-8", "surrogateescape")
