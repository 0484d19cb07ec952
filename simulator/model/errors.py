"""DRMAA 1.0 error codes and the one exception type the model raises.

The codes are the C binding's (GFD.133), so every front maps them the same way.
"""

from enum import IntEnum


class ErrorCode(IntEnum):
    SUCCESS = 0
    INTERNAL_ERROR = 1
    DRM_COMMUNICATION_FAILURE = 2
    AUTH_FAILURE = 3
    INVALID_ARGUMENT = 4
    NO_ACTIVE_SESSION = 5
    NO_MEMORY = 6
    INVALID_CONTACT_STRING = 7
    DEFAULT_CONTACT_STRING_ERROR = 8
    NO_DEFAULT_CONTACT_STRING_SELECTED = 9
    DRMS_INIT_FAILED = 10
    ALREADY_ACTIVE_SESSION = 11
    DRMS_EXIT_ERROR = 12
    INVALID_ATTRIBUTE_FORMAT = 13
    INVALID_ATTRIBUTE_VALUE = 14
    CONFLICTING_ATTRIBUTE_VALUES = 15
    TRY_LATER = 16
    DENIED_BY_DRM = 17
    INVALID_JOB = 18
    RESUME_INCONSISTENT_STATE = 19
    SUSPEND_INCONSISTENT_STATE = 20
    HOLD_INCONSISTENT_STATE = 21
    RELEASE_INCONSISTENT_STATE = 22
    EXIT_TIMEOUT = 23
    NO_RUSAGE = 24
    NO_MORE_ELEMENTS = 25


# The error strings Grid Engine 8.1.9's libdrmaa puts in its error buffer, where measured.
MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.INVALID_ARGUMENT: "The input value for an argument is invalid.",
    ErrorCode.NO_ACTIVE_SESSION: "No active session",
    ErrorCode.ALREADY_ACTIVE_SESSION: "Initialization failed due to existing DRMAA session.",
    ErrorCode.INVALID_JOB: "The job specified by the 'jobid' does not exist.",
    ErrorCode.EXIT_TIMEOUT: "time-out condition",
    ErrorCode.NO_RUSAGE: "no usage information was returned for the completed job",
}


class DrmError(Exception):
    """A failed DRM operation: a DRMAA error code and Grid Engine's message for it."""

    def __init__(self, code: ErrorCode, message: str | None = None) -> None:
        self.code = ErrorCode(code)
        self.message = MESSAGES.get(self.code, "") if message is None else message
        super().__init__(f"code {int(self.code)}: {self.message}")
