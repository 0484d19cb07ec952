"""JobTemplate: drmaa-python's attribute descriptors over a simulated libdrmaa template.

Two layers, as in the real stack: the descriptors convert Python values the way the binding
does (booleans to ``y``/``n`` or ``1``/``0``, vectors through ``string_vector``), and
:class:`_TemplateStore` plays the C library, which knows which attribute names Grid Engine
supports and which values it accepts.
"""

from __future__ import annotations

from typing import Any

from simulator.drmaa import _ctypes_rules as ct
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
    SUBMISSION_STATE_ACTIVE,
    SUBMISSION_STATE_HOLD,
    TRANSFER_FILES,
    V_ARGV,
    V_EMAIL,
    V_ENV,
    WCT_HLIMIT,
    WCT_SLIMIT,
    WD,
)
from simulator.model.errors import DrmError, ErrorCode

# What Grid Engine 8.1.9's libdrmaa lists for drmaa_get_attribute_names and
# drmaa_get_vector_attribute_names, in its order (measured: docs/measurements).
SCALAR_ATTRIBUTES = [
    "drmaa_remote_command",
    "drmaa_js_state",
    "drmaa_wd",
    "drmaa_job_name",
    "drmaa_input_path",
    "drmaa_output_path",
    "drmaa_error_path",
    "drmaa_join_files",
    "drmaa_job_category",
    "drmaa_native_specification",
    "drmaa_block_email",
    "drmaa_start_time",
    "drmaa_submit_as_euid",
]
VECTOR_ATTRIBUTES = [name.decode() for name in (V_ARGV, V_ENV, V_EMAIL)]

# Values the library checks when they are set; everything else is taken as it comes and
# judged (if at all) at submission.
_CHOICES = {
    JS_STATE.decode(): (SUBMISSION_STATE_ACTIVE, SUBMISSION_STATE_HOLD),
    JOIN_FILES.decode(): ("y", "n"),
}
_UNSET = "The value for the job attribute is invalid."


def _choice_error(name: str, choices: tuple[str, str]) -> DrmError:
    return DrmError(
        ErrorCode.INVALID_ATTRIBUTE_VALUE,
        f'attribute "{name}" must be either "{choices[0]}" or "{choices[1]}"\n',
    )


class _TemplateStore:
    """The library's side of a job template: names checked, values kept as strings.

    Grid Engine refuses to set a name it does not support (INVALID_ARGUMENT, empty
    message) and answers INVALID_ATTRIBUTE_VALUE for any name it holds no value for.
    """

    __slots__ = ("deleted", "scalars", "spec_cache", "vectors")

    def __init__(self) -> None:
        self.scalars: dict[str, str] = {}
        self.vectors: dict[str, list[str]] = {}
        self.deleted = False
        # The last submission's reading of this template, reused while nothing changes.
        self.spec_cache: tuple[object, object] | None = None

    def set(self, name: bytes | None, value: bytes | None) -> None:
        self.check_alive()
        key = (name or b"").decode(ENCODING)
        if key not in SCALAR_ATTRIBUTES or value is None:
            raise DrmError(ErrorCode.INVALID_ARGUMENT, "")
        text = value.decode(ENCODING)
        choices = _CHOICES.get(key)
        if choices is not None and text not in choices:
            raise _choice_error(key, choices)
        self.scalars[key] = text
        self.spec_cache = None

    def get(self, name: bytes) -> str:
        try:
            return self.scalars[name.decode(ENCODING)]
        except KeyError:
            raise DrmError(ErrorCode.INVALID_ATTRIBUTE_VALUE, _UNSET) from None

    def set_vector(self, name: bytes, values: list[str]) -> None:
        self.check_alive()
        key = name.decode(ENCODING)
        if key not in VECTOR_ATTRIBUTES:
            raise DrmError(ErrorCode.INVALID_ARGUMENT, "")
        self.vectors[key] = list(values)
        self.spec_cache = None

    def get_vector(self, name: bytes) -> list[str]:
        try:
            return list(self.vectors[name.decode(ENCODING)])
        except KeyError:
            raise DrmError(ErrorCode.INVALID_ATTRIBUTE_VALUE, _UNSET) from None

    def delete(self) -> None:
        # Grid Engine frees the template and reads of it then find nothing; deleting
        # twice is accepted.
        self.deleted = True
        self.scalars.clear()
        self.vectors.clear()

    def check_alive(self) -> None:
        # On Grid Engine, writing to or submitting a deleted template is a use-after-free
        # that crashes the process (measured: SIGSEGV). Fail loudly instead.
        if self.deleted:
            from simulator.drmaa.errors import InvalidJobTemplateException

            raise InvalidJobTemplateException(
                "the job template was deleted (libdrmaa would crash here)"
            )


def _library_call(call: Any, *args: Any) -> Any:
    """A template call as the library makes it: only within an active session (measured)."""
    from simulator.drmaa.errors import translate
    from simulator.drmaa.session import _active_record

    _active_record()
    try:
        return call(*args)
    except DrmError as error:
        raise translate(error) from None


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
        _library_call(instance._store().set, self.name, raw)

    def __get__(self, instance: JobTemplate | None, owner: type) -> Any:
        if instance is None:
            return self
        text = _library_call(instance._store().get, self.name)
        if self.converter:
            return self.converter.from_drmaa(text.encode(ENCODING))
        return text


class VectorAttribute:
    """A list-valued template attribute (``args``, ``email``)."""

    def __init__(self, name: bytes) -> None:
        self.name = name

    def __set__(self, instance: JobTemplate, value: Any) -> None:
        _library_call(instance._store().set_vector, self.name, ct.string_vector(value))

    def __get__(self, instance: JobTemplate | None, owner: type) -> Any:
        if instance is None:
            return self
        return _library_call(instance._store().get_vector, self.name)


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
        _library_call(instance._store().set_vector, self.name, pairs)

    def __get__(self, instance: JobTemplate | None, owner: type) -> Any:
        if instance is None:
            return self
        pairs = _library_call(instance._store().get_vector, self.name)
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
        from simulator.drmaa.session import _active_record

        _active_record()
        self._template = _TemplateStore()
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

    def _store(self) -> _TemplateStore:
        return self._template

    def delete(self) -> None:
        """Deallocate the template; writing to or submitting it afterwards is an error."""
        self._template.delete()

    def __enter__(self) -> JobTemplate:
        return self

    def __exit__(self, *_: object) -> bool:
        self.delete()
        return False
