"""drmaa-python 0.7.9's exception classes: same names, bases, and error-code mapping.

As in the binding, code 24 (no usage information) surfaces as a bare ``Exception`` and
code 25 as ``StopIteration``; messages read ``code N: <library text>``.
"""

from simulator.model.errors import DrmError


class DrmaaException(Exception):
    """A common ancestor to all DRMAA Error classes."""

    def __reduce__(self) -> tuple[object, tuple[str, tuple[object, ...]]]:
        # The classes say they live in drmaa.errors (below), which another process may
        # not be able to import: pickle by this module's name instead.
        return _rebuild, (type(self).__name__, self.args)


class AlreadyActiveSessionException(DrmaaException):
    pass


class AuthorizationException(DrmaaException):
    pass


class ConflictingAttributeValuesException(DrmaaException, AttributeError):
    pass


class DefaultContactStringException(DrmaaException):
    pass


class DeniedByDrmException(DrmaaException):
    pass


class DrmCommunicationException(DrmaaException):
    pass


class DrmsExitException(DrmaaException):
    pass


class DrmsInitException(DrmaaException):
    pass


class ExitTimeoutException(DrmaaException):
    pass


class HoldInconsistentStateException(DrmaaException):
    pass


class IllegalStateException(DrmaaException):
    pass


class InternalException(DrmaaException):
    pass


class InvalidAttributeFormatException(DrmaaException, AttributeError):
    pass


class InvalidContactStringException(DrmaaException):
    pass


class InvalidJobException(DrmaaException):
    pass


class InvalidJobTemplateException(DrmaaException):
    pass


class NoActiveSessionException(DrmaaException):
    pass


class NoDefaultContactStringSelectedException(DrmaaException):
    pass


class ReleaseInconsistentStateException(DrmaaException):
    pass


class ResumeInconsistentStateException(DrmaaException):
    pass


class SuspendInconsistentStateException(DrmaaException):
    pass


class TryLaterException(DrmaaException):
    pass


class UnsupportedAttributeException(DrmaaException, AttributeError):
    pass


class InvalidArgumentException(DrmaaException, AttributeError):
    pass


class InvalidAttributeValueException(DrmaaException, AttributeError):
    pass


class OutOfMemoryException(DrmaaException, MemoryError):
    pass


def _rebuild(name: str, args: tuple[object, ...]) -> BaseException:
    exception: BaseException = globals()[name](*args)
    return exception


# They print as the binding's do (tracebacks, reprs of the class, pytest's messages):
# drmaa.errors.InvalidJobException, not simulator.drmaa.errors.InvalidJobException.
for _class in [DrmaaException, *DrmaaException.__subclasses__()]:
    _class.__module__ = "drmaa.errors"
del _class

# Index i holds the class for error code i + 1, as in the binding.
_ERRORS: list[type[BaseException]] = [
    InternalException,
    DrmCommunicationException,
    AuthorizationException,
    InvalidArgumentException,
    NoActiveSessionException,
    OutOfMemoryException,
    InvalidContactStringException,
    DefaultContactStringException,
    NoDefaultContactStringSelectedException,
    DrmsInitException,
    AlreadyActiveSessionException,
    DrmsExitException,
    InvalidAttributeFormatException,
    InvalidAttributeValueException,
    ConflictingAttributeValuesException,
    TryLaterException,
    DeniedByDrmException,
    InvalidJobException,
    ResumeInconsistentStateException,
    SuspendInconsistentStateException,
    HoldInconsistentStateException,
    ReleaseInconsistentStateException,
    ExitTimeoutException,
    Exception,
    StopIteration,
]


def exception_for(code: int, message: str) -> BaseException:
    """The exception the binding raises for a library error ``code`` with ``message``."""
    text = f"code {code}: {message}"
    if 1 <= code <= len(_ERRORS):
        return _ERRORS[code - 1](text)
    return DrmaaException(text)


def translate(error: DrmError) -> BaseException:
    """The binding's exception for an error the simulated cluster raised."""
    return exception_for(int(error.code), error.message)
