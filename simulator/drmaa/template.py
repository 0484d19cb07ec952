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
from simulator.drmaa.errors import InvalidJobTemplateException
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
        raise ct.library_error(error) from None
    except Exception as error:  # a bug inside the cell: what the library would answer
        raise ct.library_failure(error) from error


def template_argument(template: object, position: int) -> JobTemplate | None:
    """A template pointer argument as ctypes checks it: a ``JobTemplate``, or None (NULL);
    ctypes refuses anything else."""
    if template is None or isinstance(template, JobTemplate):
        return template
    raise ctypes.ArgumentError(
        f"argument {position}: TypeError: expected LP_drmaa_job_template_s instance "
        f"instead of {type(template).__name__}"
    )


def template_store(template: JobTemplate | None) -> Template:
    """The library's template behind a checked template argument. The library refuses
    NULL (code 4) before it looks for a session, as Grid Engine's drmaa_run_job and
    drmaa_run_bulk_jobs do."""
    if template is None:
        raise ct.library_error(DrmError(ErrorCode.INVALID_ARGUMENT))
    return template._store()


def check_alive(store: Template) -> None:
    """A deleted template is refused (on Grid Engine, using one crashes the process)."""
    _translated(store.check_alive)


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

    ``bytes(10)`` is ten NUL bytes, so an int reaches the library as an empty string (the
    ``char *`` ends at the first NUL); a str raises ``TypeError``. The attributes that use
    it are unsupported on Grid Engine.
    """

    @staticmethod
    def to_drmaa(value: Any) -> bytes:
        return bytes(value)

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
        value = None if raw is None else ct.to_library(raw)
        _library_call(instance._store().set, self.name.decode(ENCODING), value)

    def __get__(self, instance: JobTemplate | None, owner: type) -> Any:
        if instance is None:
            return self
        text = _library_call(instance._store().get, self.name.decode(ENCODING))
        if self.converter:  # it gets the buffer's bytes
            return self.converter.from_drmaa(ct.read_back_bytes(text))
        return ct.read_back(text)


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
        values = _library_call(instance._store().get_vector, self.name.decode(ENCODING))
        return [ct.read_back(value) for value in values]


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
        # As the binding does it: every pair read first, then split, then made a dict.
        split = [ct.read_back(pair).split("=", 1) for pair in pairs]
        return dict(split)


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

    def __exit__(self, *_: object) -> None:
        self.delete()
