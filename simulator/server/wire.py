"""The daemon's framing (docs/qmaster-protocol.md): a frame is a u32 payload length and the
payload, a sequence of fields, each a u32 length and its bytes; a length of 0xFFFFFFFF is a
NULL string. All integers big-endian."""

from __future__ import annotations

import socket
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


class FrameReader:
    """Reads frames from a socket with as few system calls as it can: one ``recv`` per
    frame when the peer sent it whole (as every client here does)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray(65536)
        self._view = memoryview(self._buffer)
        self._start = 0  # unread bytes are _buffer[_start:_end]
        self._end = 0

    def read(self) -> list[Field] | None:
        """The next frame's fields, or None at a clean end of stream (between frames)."""
        if not self._fill(4):
            if self._end == self._start:
                return None
            raise ProtocolError("the connection ended inside a frame header")
        (length,) = _U32.unpack_from(self._buffer, self._start)
        if length > MAX_FRAME:
            raise ProtocolError(f"a frame of {length} bytes is over the limit of {MAX_FRAME}")
        if not self._fill(4 + length):
            raise ProtocolError("the connection ended inside a frame")
        start = self._start + 4
        payload = bytes(self._view[start : start + length])
        self._start = start + length
        return decode_payload(payload)

    def _fill(self, size: int) -> bool:
        """Have ``size`` unread bytes; False if the stream ends first."""
        while self._end - self._start < size:
            if self._start and self._start == self._end:
                self._start = self._end = 0
            if len(self._buffer) - self._start < size:  # make room: compact, then grow
                unread = self._end - self._start
                self._buffer[:unread] = self._buffer[self._start : self._end]
                self._start, self._end = 0, unread
                if len(self._buffer) < size:
                    self._view.release()  # a bytearray with a view open cannot grow
                    self._buffer.extend(bytes(size - len(self._buffer)))
                    self._view = memoryview(self._buffer)
            received = self._sock.recv_into(self._view[self._end :])
            if received == 0:
                return False
            self._end += received
        return True


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
