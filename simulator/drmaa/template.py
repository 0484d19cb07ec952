"""JobTemplate: drmaa-python's attribute descriptors over a simulated libdrmaa template.

Two layers, as in the real stack: the descriptors convert Python values the way the binding
does (booleans to ``y``/``n`` or ``1``/``0``, vectors through ``string_vector``), and the
library's :class:`~simulator.library.templates.TemplateStore` plays the C library, which
knows which attribute names Grid Engine supports and which values it accepts.
"""

from __future__ import annotations

import ctypes
from typing import Any

from simulator.drmaa import _ctypes_rules as ct
from simulator.drmaa import _process
from simulator.drmaa.cells import Template
from simulator.drmaa.const import (
    BLOCK_EMAIL,
    DEADLINE_TIME,
    DURATION_HLIMIT,
    DURATION_SLIMIT,
    ENCODING,
    ERROR_PATH,
    INPUT_PATH,
    JOB_CATEGORY,
    JOB_NAME,
    JOIN_FILES,
    JS_STATE,
    NATIVE_SPECIFICATION,
    OUTPUT_PATH,
    REMOTE_COMMAND,
    START_TIME,
    TRANSFER_FILES,
    V_ARGV,
    V_EMAIL,
    V_ENV,
    WCT_HLIMIT,
    WCT_SLIMIT,
    WD,
)
from simulator.drmaa.errors import InvalidJobTemplateException, translate
from simulator.library.templates import SCALAR_ATTRIBUTES, DeletedTemplate
from simulator.model.errors import DrmError, ErrorCode


def _library_call(call: Any, *args: Any) -> Any:
    """A template call as the library makes it: only within an active session (measured)."""
    _process.active()
    return _translated(call, *args)


def _translated(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except DeletedTemplate as error:
        raise InvalidJobTemplateException(error.message) from None
    except DrmError as error:
        raise translate(error) from None


def template_store(template: object, position: int) -> Template:
    """The library's template behind a ``JobTemplate`` argument, checked as ctypes checks a
    template pointer (NULL is the library's code 4; anything else ctypes refuses)."""
    if template is None:
        raise translate(DrmError(ErrorCode.INVALID_ARGUMENT))
    if not isinstance(template, JobTemplate):
        raise ctypes.ArgumentError(
            f"argument {position}: TypeError: expected LP_drmaa_job_template_s instance "
            f"instead of {type(template).__name__}"
        )
    store = template._store()
    _translated(store.check_alive)
    return store


class BoolConverter:
    """Booleans as the library spells them (``y``/``n`` by default)."""

    def __init__(self, true: str = "y", false: str = "n") -> None:
        self.true = true.encode(ENCODING)
        self.false = false.encode(ENCODING)

    def to_drmaa(self, value: object) -> bytes:
        return self.true if value else self.false

    def from_drmaa(self, value: bytes) -> bool:
        return value == self.true


class IntConverter:
    """The binding's integer converter, kept as it behaves under Python 3.

    ``bytes(10)`` is ten NUL bytes, so an int reaches the library as an empty string; a
    str raises ``TypeError``. The attributes that use it are unsupported on Grid Engine.
    """

    @staticmethod
    def to_drmaa(value: Any) -> bytes:
        return bytes(value).split(b"\0", 1)[0]

    @staticmethod
    def from_drmaa(value: bytes) -> int:
        return int(value)


class Attribute:
    """A scalar template attribute, converted like drmaa-python's ``Attribute``."""

    def __init__(self, name: bytes, type_converter: Any = None) -> None:
        self.name = name
        self.converter = type_converter

    def __set__(self, instance: JobTemplate, value: Any) -> None:
        if self.converter:
            raw = self.converter.to_drmaa(value)
        elif isinstance(value, str):
            raw = value.encode(ENCODING)
        else:
            raw = value
        raw = ct.c_string(raw, 3)
        value = None if raw is None else raw.decode(ENCODING)
        _library_call(instance._store().set, self.name.decode(ENCODING), value)

    def __get__(self, instance: JobTemplate | None, owner: type) -> Any:
        if instance is None:
            return self
        text = _library_call(instance._store().get, self.name.decode(ENCODING))
        if self.converter:
            return self.converter.from_drmaa(text.encode(ENCODING))
        return text


class VectorAttribute:
    """A list-valued template attribute (``args``, ``email``)."""

    def __init__(self, name: bytes) -> None:
        self.name = name

    def __set__(self, instance: JobTemplate, value: Any) -> None:
        name = self.name.decode(ENCODING)
        _library_call(instance._store().set_vector, name, ct.string_vector(value))

    def __get__(self, instance: JobTemplate | None, owner: type) -> Any:
        if instance is None:
            return self
        return _library_call(instance._store().get_vector, self.name.decode(ENCODING))


class DictAttribute:
    """The environment, a dict kept by the library as ``NAME=value`` strings."""

    def __init__(self, name: bytes) -> None:
        self.name = name

    def __set__(self, instance: JobTemplate, value: Any) -> None:
        pairs = []
        for key, val in value.items():
            key = key.decode(ENCODING) if isinstance(key, bytes) else key
            val = val.decode(ENCODING) if isinstance(val, bytes) else val
            pairs.append(ct.c_text(f"{key}={val}"))
        _library_call(instance._store().set_vector, self.name.decode(ENCODING), pairs)

    def __get__(self, instance: JobTemplate | None, owner: type) -> Any:
        if instance is None:
            return self
        pairs = _library_call(instance._store().get_vector, self.name.decode(ENCODING))
        return dict(pair.split("=", 1) for pair in pairs)


class JobTemplate:
    """A job to be submitted to the DRM."""

    HOME_DIRECTORY = "$drmaa_hd_ph$"
    WORKING_DIRECTORY = "$drmaa_wd_ph$"
    PARAMETRIC_INDEX = "$drmaa_incr_ph$"

    remoteCommand = Attribute(REMOTE_COMMAND)
    jobSubmissionState = Attribute(JS_STATE)
    workingDirectory = Attribute(WD)
    jobCategory = Attribute(JOB_CATEGORY)
    nativeSpecification = Attribute(NATIVE_SPECIFICATION)
    blockEmail = Attribute(BLOCK_EMAIL, type_converter=BoolConverter(true="1", false="0"))
    startTime = Attribute(START_TIME)
    jobName = Attribute(JOB_NAME)
    inputPath = Attribute(INPUT_PATH)
    outputPath = Attribute(OUTPUT_PATH)
    errorPath = Attribute(ERROR_PATH)
    joinFiles = Attribute(JOIN_FILES, type_converter=BoolConverter())
    transferFiles = Attribute(TRANSFER_FILES)
    deadlineTime = Attribute(DEADLINE_TIME)
    hardWallclockTimeLimit = Attribute(WCT_HLIMIT, IntConverter)
    softWallclockTimeLimit = Attribute(WCT_SLIMIT, IntConverter)
    hardRunDurationLimit = Attribute(DURATION_HLIMIT, IntConverter)
    softRunDurationLimit = Attribute(DURATION_SLIMIT, IntConverter)

    email = VectorAttribute(V_EMAIL)
    args = VectorAttribute(V_ARGV)
    jobEnvironment = DictAttribute(V_ENV)

    def __init__(self, **kwargs: Any) -> None:
        """Allocate a template (a session must be active); keywords set attributes."""
        session = _process.active()
        self._template = _translated(session.cell.new_template, session.handle)
        try:
            for name, value in kwargs.items():
                setattr(self, name, value)
        except BaseException:
            self.delete()
            raise

    @property
    def attributeNames(self) -> list[str]:
        """The names of the scalar attributes the library supports."""
        return list(SCALAR_ATTRIBUTES)

    def _store(self) -> Template:
        return self._template

    def delete(self) -> None:
        """Deallocate the template; writing to or submitting it afterwards is an error."""
        self._template.delete()

    def __enter__(self) -> JobTemplate:
        return self

    def __exit__(self, *_: object) -> bool:
        self.delete()
        return False
