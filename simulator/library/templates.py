"""Job templates as the library keeps them: the attribute names Grid Engine supports, the
values it checks when they are set, everything as strings (measured:
docs/measurements/sge_template_probe.out)."""

from __future__ import annotations

from simulator.model.errors import DrmError, ErrorCode

SUBMISSION_STATE_ACTIVE = "drmaa_active"
SUBMISSION_STATE_HOLD = "drmaa_hold"


class DeletedTemplate(DrmError):
    """Use of a deleted template, which would crash Grid Engine's library."""


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
VECTOR_ATTRIBUTES = ["drmaa_v_argv", "drmaa_v_env", "drmaa_v_email"]

# Values the library checks when they are set; everything else is taken as it comes and
# judged (if at all) at submission.
_CHOICES = {
    "drmaa_js_state": (SUBMISSION_STATE_ACTIVE, SUBMISSION_STATE_HOLD),
    "drmaa_join_files": ("y", "n"),
}
_UNSET = "The value for the job attribute is invalid."


def _choice_error(name: str, choices: tuple[str, str]) -> DrmError:
    return DrmError(
        ErrorCode.INVALID_ATTRIBUTE_VALUE,
        f'attribute "{name}" must be either "{choices[0]}" or "{choices[1]}"\n',
    )


class TemplateStore:
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

    def set(self, name: str | None, value: str | None) -> None:
        self.check_alive()
        if name not in SCALAR_ATTRIBUTES or value is None:
            raise DrmError(ErrorCode.INVALID_ARGUMENT, "")
        choices = _CHOICES.get(name)
        if choices is not None and value not in choices:
            raise _choice_error(name, choices)
        self.scalars[name] = value
        self.spec_cache = None

    def get(self, name: str | None) -> str:
        try:
            return self.scalars[name or ""]
        except KeyError:
            raise DrmError(ErrorCode.INVALID_ATTRIBUTE_VALUE, _UNSET) from None

    def set_vector(self, name: str | None, values: list[str]) -> None:
        self.check_alive()
        if name not in VECTOR_ATTRIBUTES:
            # Unlike a scalar's (empty text), measured through the C API: drmaa_driver.
            raise DrmError(
                ErrorCode.INVALID_ARGUMENT, "The input value for an argument is invalid."
            )
        self.vectors[name] = list(values)
        self.spec_cache = None

    def get_vector(self, name: str | None) -> list[str]:
        try:
            return list(self.vectors[name or ""])
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
            raise DeletedTemplate(
                ErrorCode.INVALID_ARGUMENT,
                "the job template was deleted (libdrmaa would crash here)",
            )
