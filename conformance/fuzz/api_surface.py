"""Differential fuzzing of drmaa-python's API surface: the drop-in against the real binding.

Two implementations of ``import drmaa`` must agree for any arguments:

- ``dropin``: :mod:`simulator.drmaa`, Python all the way down: it reproduces the checks
  ctypes makes (``simulator/drmaa/_ctypes_rules.py``) and plays the C library in-process;
- ``binding``: drmaa-python 0.7.9's own ctypes code (the ``drmaa`` package) loaded over the
  project's C ``libdrmaa.so.1.0``, a client of a simulated qmaster daemon
  (:mod:`simulator.server`) started for the run.

Both run the same model underneath (``simulator/library``, ``simulator/model``), so every
difference in what they answer is a bug in a layer between the caller and the model: a
ctypes rule the drop-in gets wrong, C marshalling, a message cut or re-encoded differently.
The binding is the reference for the Python-level surface; Grid Engine's measured behaviour
(``docs/measurements/*.out``) for the library's answers.

:func:`make_machine` builds a hypothesis ``RuleBasedStateMachine`` that sends each generated
call to both sides and compares the outcomes: the value returned, or the exception's class
(its name, module and bases) and its arguments (``ctypes.ArgumentError`` texts included).
Job ids are compared exactly: both cells start empty and get the same calls, so they number
jobs alike. Contact strings are compared exactly too: both sides are this process (same pid
in the session name), and :meth:`Cells.reset` starts the two virtual clocks in the same
second, which seeds the name's random part.

Each call is run as the line of Python that it is, evaluated in each side's namespace
(``drmaa``, ``s`` for ``drmaa.Session``, ``jt1``...); a difference fails the run with the
program up to there, a script that ``python -m conformance.fuzz.api_surface FILE`` replays on
both sides, step by step.

Known differences that are not fixed are never tolerated silently: each is an entry of
:data:`KNOWN_DIFFERENCES`, the calls it covers are not made, and every call not made is
counted (:data:`NOT_MADE`, which the pytest entry point prints).

The pytest entry point is ``conformance/fuzz/fuzz_api_surface.py``.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import math
import os
import re
import shutil
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import CodeType, ModuleType
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

QMASTER_ENV = "DRMAA_TESTKIT_QMASTER"
#: The longest a call may take in real time: on virtual clocks every call returns at once,
#: so a call that takes this long is blocked for good (a wait the other side did not block).
CALL_LIMIT = 20.0
#: Bulk submissions of more tasks than this (and at most Grid Engine's 75000, above which
#: they are refused at once) are not made: they would only make the run slow.
BULK_TASKS_MAX = 64
MAX_ARRAY_TASKS = 75000
#: Calls the machine did not make, and why (known differences, calls that could block or
#: take long), over the process's runs: hypothesis's statistics do not cover
#: run_state_machine_as_test, so the pytest entry point prints these.
NOT_MADE: Counter[str] = Counter()

# Known differences: the calls they cover are not made (and each skip is counted). Each
# entry says which side is wrong and why it is not fixed here.
KNOWN_DIFFERENCES = {
    "deleted template": (
        "Any use of a deleted template but deleting it again. Grid Engine's library crashes "
        "on a write (SIGSEGV, sge_template_probe.out); ours refuses it with code 4 (a read: "
        "code 14), which drmaa-python raises as InvalidArgumentException; the drop-in raises "
        "InvalidJobTemplateException, which says more (docs/simulator.md, 'Deleted "
        "templates')."
    ),
}


# -- the two cells ---------------------------------------------------------------------------
@dataclass
class Cells:
    """The drop-in's in-process cell and the daemon the binding talks to, with the same
    settings; both virtual clocks."""

    dropin: ModuleType
    binding: ModuleType
    qmaster: Any  # simulator.server.QmasterControl
    settings: dict[str, Any]

    def reset(self) -> None:
        """Fresh, empty cells with no session open on either side, their virtual clocks
        started in the same second (the contact of a new session depends on it)."""
        from simulator import control

        for side in self.sides():
            with contextlib.suppress(Exception):
                side.run(compiled("s.exit()"))
            if side.run(compiled("s.contact")).text != "str:''":
                raise RuntimeError(f"[{side.name}] a session is still open after exit()")
        for _ in range(20):
            control.reset(**self.settings)
            self.qmaster.reset(**self.settings)
            if control.now() == self.qmaster.now():
                return
        raise RuntimeError("the two cells' virtual clocks never started in the same second")

    def advance(self, seconds: float) -> None:
        from simulator import control

        control.advance(seconds)
        self.qmaster.advance(seconds)

    def sides(self) -> list[Side]:
        return [Side("dropin", self.dropin, None), Side("binding", self.binding, self.qmaster.path)]


@contextlib.contextmanager
def cells(slots: int = 4) -> Iterator[Cells]:
    """Start a qmaster daemon (virtual clock), load the real binding over our C library,
    yield both cells; stop the daemon and remove every scratch directory afterwards.

    ``drmaa`` (the real package) is imported here, into this process for good: it must
    not have been imported with another library before. When run as root, jobs run as
    ``DRMAA_SIM_JOB_USER`` (default ``nobody``) with a scratch home that user owns."""
    from simulator import control, native, server

    job_user = control.harness_job_user()
    home = control.make_job_dir(job_user, prefix="drmaa-testkit-home-")
    settings: dict[str, Any] = {
        "clock": "virtual",
        "slots": slots,
        "dispatch_delay": 0.0,
        "job_user": job_user,
        "home": home,
    }
    saved = {name: os.environ.get(name) for name in (QMASTER_ENV, "DRMAA_LIBRARY_PATH")}
    pair = None
    try:
        library = native.library_path()
        with server.running(**settings) as qmaster:
            os.environ["DRMAA_LIBRARY_PATH"] = library
            os.environ[QMASTER_ENV] = qmaster.path  # read by the C library at drmaa_init
            binding = _import_binding(library)
            dropin = importlib.import_module("simulator.drmaa")
            pair = Cells(dropin, binding, qmaster, settings)
            try:
                pair.reset()
                yield pair
            finally:
                for side in pair.sides():  # leave no session open, on either side
                    with contextlib.suppress(Exception):
                        side.run(compiled("s.exit()"))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        control.shutdown()  # the next user of the in-process cell gets a fresh one
        shutil.rmtree(home, ignore_errors=True)


def _import_binding(library: str) -> ModuleType:
    module = importlib.import_module("drmaa")
    lib = getattr(getattr(module, "wrappers", None), "_lib", None)
    if lib is None:
        raise RuntimeError(
            f"`import drmaa` gave {getattr(module, '__file__', module)!r}, not drmaa-python "
            "(is the drop-in installed as drmaa?)"
        )
    if getattr(lib, "_name", None) != library:
        raise RuntimeError(
            f"drmaa was imported earlier with another library ({lib._name}): run the API "
            "surface fuzzer in a process of its own"
        )
    return module


# -- one side, and what a call gave ------------------------------------------------------------
@contextlib.contextmanager
def _qmaster_env(path: str | None) -> Iterator[None]:
    """The drop-in must not see the daemon (with ``DRMAA_TESTKIT_QMASTER`` set at
    ``initialize()`` it would use it too); the binding's C library needs it."""
    before = os.environ.get(QMASTER_ENV)
    if path is None:
        os.environ.pop(QMASTER_ENV, None)
    else:
        os.environ[QMASTER_ENV] = path
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(QMASTER_ENV, None)
        else:
            os.environ[QMASTER_ENV] = before


@dataclass(frozen=True)
class Code:
    """One step: a line of Python, an expression (its value is the outcome) or a statement."""

    text: str
    compiled: CodeType
    is_expression: bool


_COMPILED: dict[str, Code] = {}


def compiled(text: str) -> Code:
    code = _COMPILED.get(text)
    if code is None:
        try:
            code = Code(text, compile(text, "<step>", "eval"), True)
        except SyntaxError:
            code = Code(text, compile(text, "<step>", "exec"), False)
        if len(_COMPILED) > 20000:
            _COMPILED.clear()
        _COMPILED[text] = code
    return code


@dataclass(frozen=True)
class Outcome:
    """A call's result, as compared: the value described, or the exception's class and args."""

    ok: bool
    text: str
    value: Any = field(default=None, compare=False)

    def __str__(self) -> str:
        return ("-> " if self.ok else "raised ") + self.text


class Side:
    """One implementation of ``drmaa``, with the namespace its program runs in."""

    def __init__(self, name: str, module: ModuleType, qmaster_path: str | None) -> None:
        self.name = name
        self.qmaster_path = qmaster_path
        self.ns: dict[str, Any] = {"drmaa": module, "s": module.Session, "ctypes": ctypes}

    def run(self, code: Code, limit: float | None = None) -> Outcome:
        """Run one step; with ``limit``, in a thread of its own that must end within
        ``limit`` seconds (else FuzzFailure: the call is blocked)."""
        if limit is None:
            return self._run(code)
        box: list[Outcome] = []
        worker = threading.Thread(target=lambda: box.append(self._run(code)), daemon=True)
        worker.start()
        worker.join(limit)
        if not box:
            raise FuzzFailure(
                f"[{self.name}] {code.text} did not return within {limit} s of real time "
                "(on a virtual clock): blocked for good"
            )
        return box[0]

    def _run(self, code: Code) -> Outcome:
        with _qmaster_env(self.qmaster_path):
            try:
                if code.is_expression:
                    value = eval(code.compiled, self.ns)
                else:
                    exec(code.compiled, self.ns)
                    value = None
            except Exception as error:
                return Outcome(False, describe_exception(error), error)
        return Outcome(True, describe(value), value)


def describe_exception(error: BaseException) -> str:
    cls = type(error)
    bases = "<".join(c.__name__ for c in cls.__mro__[1:-1])
    return f"{cls.__module__}.{cls.__qualname__}({bases}) {error.args!r}"


def describe(value: Any) -> str:
    """A value as compared: its type and content, containers element by element (in their
    order), namedtuples (JobInfo, Version) field by field, job templates by type only."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        fields = ", ".join(f"{name}={describe(getattr(value, name))}" for name in value._fields)
        return f"{type(value).__name__}({fields}) str={str(value)!r}"
    if isinstance(value, dict):
        items = ", ".join(f"{describe(k)}: {describe(v)}" for k, v in value.items())
        return f"dict{{{items}}}"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}[{', '.join(describe(v) for v in value)}]"
    if type(value).__name__ == "JobTemplate":
        return "<JobTemplate>"
    return f"{type(value).__name__}:{value!r}"


class FuzzFailure(AssertionError):
    """The two sides answered one call differently (or one of them blocked)."""


# -- how arguments are written ---------------------------------------------------------------
@dataclass(frozen=True)
class Fresh:
    """An argument written as the code that makes it, made anew for each side: an iterator
    (the first side would use it up), a ctypes object, a bytearray."""

    code: str

    def __repr__(self) -> str:
        return self.code


@dataclass(frozen=True)
class TemplateRef:
    """A job template of the program (``jt3``), made in session ``epoch``."""

    name: str
    epoch: int | None

    def __repr__(self) -> str:
        return self.name


def code_of(value: Any) -> str:
    """``value`` as Python source that evaluates to an equal value."""
    if isinstance(value, Fresh | TemplateRef):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "-float('inf')"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(code_of(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(code_of(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{code_of(k)}: {code_of(v)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, bool | int | str | bytes):
        return repr(value)
    raise TypeError(f"no code for {value!r}")


# -- what the program is made of ---------------------------------------------------------------
# NUL bytes (the library reads up to the first), lone surrogates (unencodable), non-ASCII,
# and texts longer than the binding's 1024-byte buffers, one cut inside a character.
SPECIAL_TEXTS = ["", " ", "x", "é", "日本", "a\x00b", "\x00", "\x00x", "\udcff", "x\udcff",
                 "\n", "=", "a=b", "1", "0", "-1", "y", "n", "$drmaa_incr_ph$", "$drmaa_hd_ph$",
                 "$drmaa_wd_ph$", "x" * 1030, "é" * 520, "a" * 1021 + "é",
                 "a" * 1022 + "é"]  # fmt: skip
TEXTS = st.one_of(st.sampled_from(SPECIAL_TEXTS), st.text(max_size=6))
BYTES = st.one_of(
    st.sampled_from([b"", b"x", b"\xff", b"a\x00b", b"\xc3", b"\xc3\xa9", b"/bin/true"]),
    st.binary(max_size=4),
)
BIG_INTS = [2**31 - 1, 2**31, 2**32, -(2**31), 2**63, 2**64, 2**64 + 1, -(2**63) - 1, 10**30]
INTS = st.one_of(st.integers(-3, 8), st.sampled_from(BIG_INTS))
FLOATS = st.sampled_from([0.0, -0.0, 1.5, -2.5, float("nan"), float("inf"), -float("inf"), 1e300])
#: An object ctypes passes as what its _as_parameter_ is.
AS_PARAMETER = "type('Param', (), {'_as_parameter_': %r})()"
CTYPES = st.sampled_from(
    [Fresh("ctypes.c_char_p(b'1')"), Fresh("ctypes.c_char_p(b'/bin/true')"),
     Fresh("ctypes.c_char_p(None)"), Fresh("ctypes.create_string_buffer(b'x\\xffy', 8)"),
     Fresh(AS_PARAMETER % b"1"), Fresh(AS_PARAMETER % 3), Fresh("ctypes.c_int(3)"),
     Fresh("ctypes.c_long(2)")]
)  # fmt: skip
BYTEARRAYS = st.sampled_from([Fresh("bytearray(b'x')"), Fresh("bytearray()")])
#: Scalars whose str() is the same on both sides (no object addresses).
PLAIN = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXTS, BYTES)
SCALARS = st.one_of(PLAIN, CTYPES, BYTEARRAYS)
HASHABLE = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXTS, BYTES)
CONTAINERS = st.one_of(
    st.lists(st.one_of(PLAIN, BYTEARRAYS), max_size=4),
    st.tuples(PLAIN, PLAIN),
    st.dictionaries(HASHABLE, PLAIN, max_size=3),
    st.lists(TEXTS, max_size=3).map(lambda v: Fresh(f"iter({code_of(v)})")),
)
VALUES = st.one_of(SCALARS, CONTAINERS)

COMMANDS = [
    ("/bin/sleep", ["0"]),
    ("/bin/sleep", ["3"]),
    ("/bin/sleep", ["100000"]),
    ("/bin/true", []),
    ("/bin/false", []),
    ("/bin/sh", ["-c", "exit 3"]),
    ("/bin/sh", ["-c", "sleep 2; exit 42"]),
    ("/bin/sh", ["-c", "exit 255"]),
    ("/bin/sh", ["-c", "kill -9 $$"]),
    ("/bin/sh", ["-c", "sleep 1; kill -TERM $$"]),
]

#: Values with a meaning to some attribute, beside VALUES.
MEANINGFUL: dict[str, list[Any]] = {
    "remoteCommand": ["/bin/sleep", "/bin/true", "/bin/sh", "sleep", "no/such/cmd", "a b"],
    "jobSubmissionState": ["drmaa_hold", "drmaa_active", "DRMAA_HOLD"],
    "workingDirectory": ["/tmp", "$drmaa_hd_ph$", "$drmaa_wd_ph$/x", "relative", "/no/such"],
    "jobCategory": ["", "x"],
    "nativeSpecification": [
        "", "-N x", "-N 1x", "-l h_rt=5", "-l h_rt=0", "-l h_rt=NaN", "-hold_jid 1", "-w v",
        "-bogus", "-pe smp 2", "-pe smp 99", "-q nope", "-l arch=foo", "-b y", "-N a -N b",
        "-l h_rt=abc", "-p 5",
    ],
    "blockEmail": [True, False, "1", "0"],
    "startTime": [
        "12:00", "00:00", "23:59:59", "2030/01/01 00:00", "12:00 +01:00", "12:00 -12:00",
        "12:00 +25:00", "99:99", "garbage", "1:2:3:4",
    ],
    "jobName": ["x", "1x", "a/b", "a b", "é", "job_$drmaa_incr_ph$"],
    "inputPath": [":/dev/null", "/dev/null", ":$drmaa_incr_ph$", "host:/tmp/x", ":/no/such"],
    "outputPath": [":/dev/null", "/dev/null", ":$drmaa_incr_ph$", ":$drmaa_hd_ph$/o", ":"],
    "errorPath": [":/dev/null", "/dev/null", ":$drmaa_wd_ph$/e"],
    "joinFiles": [True, False, "y", "n"],
    "transferFiles": ["i", "o", "eio", "", "x"],
    "deadlineTime": ["12:00", ""],
    "email": [["a@b"], [], ["a@b", "c@d"], "a@b"],
    "args": [["1"], ["-c", "exit 3"], [], ["a", 1, None, b"x"], ["inf"]],
    "jobEnvironment": [{"A": "1"}, {}, {"A": "x=y"}, {"A\x00B": "v"}, {b"K": b"V"}, {1: 2}],
}  # fmt: skip
#: The attributes whose values drmaa-python converts with its IntConverter (bytes(value)):
#: an int N there is N NUL bytes, so ints above a few thousand are not generated.
INT_CONVERTED = ["hardWallclockTimeLimit", "softWallclockTimeLimit",
                 "hardRunDurationLimit", "softRunDurationLimit"]  # fmt: skip
ATTRIBUTES = [*MEANINGFUL, *INT_CONVERTED]
SMALL_INT_VALUES = st.one_of(
    st.integers(-3, 2000), st.sampled_from([2**62, 2**63, 2**70, -(2**70)])
)


def attribute_values(name: str) -> st.SearchStrategy[Any]:
    if name in INT_CONVERTED:
        safe = st.one_of(st.none(), st.booleans(), FLOATS, TEXTS, BYTES, CTYPES, BYTEARRAYS)
        return st.one_of(SMALL_INT_VALUES, safe, st.lists(st.integers(0, 300), max_size=3))
    return st.one_of(st.sampled_from(MEANINGFUL[name]), VALUES)


ATTRIBUTE_AND_VALUE = st.sampled_from(ATTRIBUTES).flatmap(
    lambda name: st.tuples(st.just(name), attribute_values(name))
)

#: Ids that may or may not name a job, all with a str() that is the same on both sides
#: (they go into lists too, which the binding turns into text with str()).
PLAIN_JUNK_IDS = st.sampled_from(
    ["", "abc", "1.", "-3", "0", "1.0", "1.-1", "1.1.1", " 1", "1 ", "+1", "\uff11", "0x1",
     "9" * 30, "9" * 1100, "1." + "9" * 40, "-0", "é", "é" * 520, "\udcff", b"\xff", b"1",
     "\x001", "1\n", "DRMAA_JOB_IDS_SESSION_ANY", "DRMAA_JOB_IDS_SESSION_ALL",
     b"DRMAA_JOB_IDS_SESSION_ANY", b"DRMAA_JOB_IDS_SESSION_ALL", None, 1, True, 1.0,
     Fresh("bytearray(b'1')")]
)  # fmt: skip
#: ...and objects ctypes takes as a char * (their str() holds their address).
JUNK_IDS = st.one_of(
    PLAIN_JUNK_IDS,
    st.sampled_from([Fresh("ctypes.c_char_p(b'1')"), Fresh("ctypes.create_string_buffer(b'2')"),
                     Fresh(AS_PARAMETER % b"1"), Fresh(AS_PARAMETER % None)]),
)  # fmt: skip
ACTIONS = st.one_of(
    st.sampled_from(["suspend", "resume", "hold", "release", "terminate"]),
    st.sampled_from(["", "HOLD", "kill", "hold\x00", b"hold", None, 0, 4, True, ["hold"], 1.5]),
)
TIMEOUTS = st.one_of(
    st.integers(-3, 5),
    st.sampled_from([3600, 2**63, 2**64, 2**64 + 2, -(2**63), 2**65 - 3, 2**64 - 1]),
    st.sampled_from([None, 1.5, 0.0, float("nan"), "1", b"1", True, False]),
    st.sampled_from([Fresh("ctypes.c_long(2)"), Fresh("ctypes.c_int(1)"), Fresh(AS_PARAMETER % 2)]),
)
BULK_BOUNDS = st.one_of(
    st.integers(-2, 6),
    st.sampled_from([0, 2**31 - 1, 2**31, 2**32 + 1, -(2**31), 75000, 75001, 10**9, 2**40]),
    st.sampled_from([None, 1.0, "1", True, Fresh("ctypes.c_int(2)")]),
    st.sampled_from([Fresh("ctypes.c_long(1)"), Fresh(AS_PARAMETER % 1)]),
)
CONTACTS = st.sampled_from(
    [None, "", "session=", "session=x", "session=localhost.1.1", " session=x",
     "session=\x00x", "\x00bogus", "session=" + "x" * 1100, "session=" + "é" * 520,
     "session=é", b"session=\xff", b"session=y", "\udcff", b"", 5, 1.5,
     Fresh("ctypes.c_char_p(b'session=z')")]
)  # fmt: skip
JUNK_TEMPLATES: st.SearchStrategy[Any] = st.sampled_from([None, "jt", 5, b"x", [], 1.5])

# What the program made so far (the machine's bundles), and arguments drawn from them.
TEMPLATES = Bundle("templates")
JOBS = Bundle("jobs")
#: Ids of jobs submitted (rules that take them run only once there are some), ids derived
#: from them, and ids that may name a job or not.
REAL_IDS = st.one_of(
    JOBS,
    JOBS,
    JOBS,
    JOBS.map(lambda j: j.split(".")[0]),  # the bare number of an array job
    JOBS.map(lambda j: j + "\x00junk"),
)
ANY_IDS = st.one_of(st.integers(1, 12).map(str), JUNK_IDS)
LISTED_IDS = st.one_of(st.integers(1, 12).map(str), PLAIN_JUNK_IDS)
ID_LISTS = st.one_of(
    st.lists(st.one_of(REAL_IDS, LISTED_IDS), max_size=4),
    st.lists(REAL_IDS, max_size=3).map(lambda v: [b"DRMAA_JOB_IDS_SESSION_ALL", *v]),
    st.lists(REAL_IDS, max_size=3).map(tuple),
    st.lists(REAL_IDS, max_size=3).map(lambda v: Fresh(f"iter({code_of(v)})")),
)
JUNK_ID_LISTS = st.one_of(
    st.lists(LISTED_IDS, max_size=3),
    st.sampled_from([[b"DRMAA_JOB_IDS_SESSION_ALL"], [b"DRMAA_JOB_IDS_SESSION_ANY"]]),
    st.sampled_from([b"DRMAA_JOB_IDS_SESSION_ALL", "12", None, 5, {"1": 2}, "\udcff", ()]),
)
#: Bulk bounds: mostly a small range, else anything.
BULK_RANGES = st.one_of(
    st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 3)),
    st.tuples(BULK_BOUNDS, BULK_BOUNDS, BULK_BOUNDS),
)


#: drmaa-python's module-level names: constants, classes' constants, and helper functions.
CONSTANTS = [
    "ATTR_BUFFER", "BLOCK_EMAIL", "CONTACT_BUFFER", "DEADLINE_TIME", "DRM_SYSTEM_BUFFER",
    "DRMAA_IMPLEMENTATION_BUFFER", "DURATION_HLIMIT", "DURATION_SLIMIT", "ERROR_PATH",
    "ERROR_STRING_BUFFER", "INPUT_PATH", "JOB_CATEGORY", "JOB_IDS_SESSION_ALL",
    "JOB_IDS_SESSION_ANY", "JOB_NAME", "JOBNAME_BUFFER", "JOIN_FILES", "JS_STATE",
    "NATIVE_SPECIFICATION", "NO_MORE_ELEMENTS", "OUTPUT_PATH", "PLACEHOLDER_HD",
    "PLACEHOLDER_INCR", "PLACEHOLDER_WD", "REMOTE_COMMAND", "SIGNAL_BUFFER", "START_TIME",
    "SUBMISSION_STATE_ACTIVE", "SUBMISSION_STATE_HOLD", "TIMEOUT_NO_WAIT",
    "TIMEOUT_WAIT_FOREVER", "TRANSFER_FILES", "V_ARGV", "V_EMAIL", "V_ENV", "WCT_HLIMIT",
    "WCT_SLIMIT", "WD", "JobState.UNDETERMINED", "JobState.QUEUED_ACTIVE",
    "JobState.SYSTEM_ON_HOLD", "JobState.USER_ON_HOLD", "JobState.USER_SYSTEM_ON_HOLD",
    "JobState.RUNNING", "JobState.SYSTEM_SUSPENDED", "JobState.USER_SUSPENDED",
    "JobState.USER_SYSTEM_SUSPENDED", "JobState.DONE", "JobState.FAILED",
    "JobControlAction.SUSPEND", "JobControlAction.RESUME", "JobControlAction.HOLD",
    "JobControlAction.RELEASE", "JobControlAction.TERMINATE", "JobSubmissionState.HOLD_STATE",
    "JobSubmissionState.ACTIVE_STATE", "JobTemplate.HOME_DIRECTORY",
    "JobTemplate.WORKING_DIRECTORY", "JobTemplate.PARAMETRIC_INDEX",
    "Session.TIMEOUT_WAIT_FOREVER", "Session.TIMEOUT_NO_WAIT", "Session.JOB_IDS_SESSION_ANY",
    "Session.JOB_IDS_SESSION_ALL", "JobInfo._fields", "errors.DrmaaException.__mro__",
    "[c.__name__ for c in drmaa.errors.InvalidArgumentException.__mro__]",
]  # fmt: skip
HELPERS = ["status_to_string", "job_state", "string_to_control_action",
           "control_action_to_string", "submission_state"]  # fmt: skip
HELPER_ARGS = st.one_of(
    st.sampled_from([0x00, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x22, 0x23, 0x30, 0x40, 0x50]),
    st.sampled_from(["suspend", "resume", "hold", "release", "terminate", "running"]),
    st.integers(-6, 6),
    PLAIN,
)


def c_long(value: Any) -> int | None:
    """The C ``long`` ctypes makes of a timeout (None when ctypes refuses it)."""
    if isinstance(value, Fresh):
        match = re.fullmatch(r"ctypes\.c_(?:long|int)\((-?\d+)\)", value.code)
        return int(match.group(1)) if match else None
    if not isinstance(value, int):
        return None
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def c_int(value: Any) -> int | None:
    wide = c_long(value)
    if wide is None:
        return None
    wide &= 0xFFFFFFFF
    return wide - (1 << 32) if wide >> 31 else wide


def bulk_task_count(begin: Any, end: Any, step: Any) -> int | None:
    """How many tasks ``runBulkJobs`` with these bounds would make; None if it refuses them."""
    first, last, incr = (c_int(v) for v in (begin, end, step))
    if first is None or last is None or incr is None:
        return None
    if not (1 <= first <= last and incr >= 1):
        return None
    return len(range(first, last + 1, incr))


# -- the machine ---------------------------------------------------------------------------------
SCRIPT_HEADER = '''\
"""Reproduction found by drmaa-testkit's API-surface fuzzer (conformance/fuzz/api_surface.py).

Replay it on both sides (the drop-in, and drmaa-python over libdrmaa.so.1.0 and a daemon),
each on a fresh virtual-clock cell, step by step:

    python -m conformance.fuzz.api_surface THIS_FILE

Every line below is run as it is with `drmaa` the module under test and `s` its Session.
"""
'''


def not_made(why: str) -> None:
    NOT_MADE[why] += 1
    event(f"call not made: {why}")


def make_machine(pair: Cells) -> type[RuleBasedStateMachine]:
    """The state machine class, driving ``pair``'s two sides."""

    class ApiSurfaceMachine(RuleBasedStateMachine):
        templates = TEMPLATES
        jobs = JOBS

        def __init__(self) -> None:
            super().__init__()
            pair.reset()
            self.sides = pair.sides()
            self.lines: list[str] = []
            self.counter = 0
            self.epoch: int | None = None  # the open session (None: none)
            self.epochs = 0
            self.live_templates: list[str] = []
            self.contacts: list[str] = []  # of the sessions opened so far

        # -- plumbing ---------------------------------------------------------------------
        def both(self, text: str, blocking: bool = False) -> Outcome:
            """Run one line on both sides; their outcomes must be the same."""
            code = compiled(text)
            outcomes = [side.run(code, CALL_LIMIT if blocking else None) for side in self.sides]
            self.lines.append(text)
            dropin, binding = outcomes
            if dropin != binding:
                raise FuzzFailure(
                    f"the two sides differ on {text}\n"
                    f"  dropin:  {dropin}\n  binding: {binding}\n\n"
                    f"--- the program, as a script ---\n{self.script()}"
                )
            return dropin

        def script(self) -> str:
            return SCRIPT_HEADER + "\n".join(self.lines) + "\n"

        def skip(self, difference: str) -> None:
            assert difference in KNOWN_DIFFERENCES
            not_made(f"known difference: {difference}")

        def _name(self, prefix: str) -> str:
            self.counter += 1
            return f"{prefix}{self.counter}"

        def teardown(self) -> None:
            for side in self.sides:
                with contextlib.suppress(Exception):
                    side.run(compiled("s.exit()"))
                for name in self.live_templates:  # after exit(), this only frees memory
                    with contextlib.suppress(Exception):
                        side.run(compiled(f"{name}.delete()"))

        # -- sessions ---------------------------------------------------------------------
        @initialize(target=jobs, job=st.sampled_from(COMMANDS), tasks=st.integers(1, 3))
        def start(self, job: tuple[str, list[str]], tasks: int) -> Any:
            """Every program starts with a session, a job and an array job."""
            self.init_session(None)
            jt = self.create_template()
            if not isinstance(jt, TemplateRef):
                return multiple()
            self.make_runnable(jt, job, False)
            first = self.both(f"s.runJob({jt.name})")
            array = self.both(f"s.runBulkJobs({jt.name}, 1, {tasks}, 1)")
            ids = ([first.value] if first.ok else []) + (array.value if array.ok else [])
            return multiple(*ids)

        @rule(contact=st.one_of(CONTACTS, CONTACTS, st.just(None)))
        def init_session(self, contact: Any) -> None:
            if not self.both(f"s.initialize({code_of(contact)})").ok:
                return
            self.epochs += 1
            self.epoch = self.epochs
            found = self.both("s.contact")
            if found.ok and found.value not in self.contacts:
                self.contacts.append(found.value)

        @precondition(lambda self: self.contacts)
        @rule(data=st.data(), tail=st.sampled_from(["", "\x00junk", "x"]))
        def rejoin(self, data: st.DataObject, tail: str) -> None:
            contact = data.draw(st.sampled_from(self.contacts), label="contact")
            self.init_session(contact + tail)

        @rule()
        def exit(self) -> None:
            if self.both("s.exit()").ok:
                self.epoch = None

        @rule()
        def session_strings(self) -> None:
            for attribute in ("contact", "drmsInfo", "drmaaImplementation", "version"):
                self.both(f"s.{attribute}")
            self.both("str(s.version)")
            self.both(f"s({code_of('session=x')}).contactString")

        @rule(name=st.sampled_from(CONSTANTS))
        def constant(self, name: str) -> None:
            self.both(name if name.startswith("[") else f"drmaa.{name}")

        @rule(helper=st.sampled_from(HELPERS), argument=HELPER_ARGS)
        def module_helper(self, helper: str, argument: Any) -> None:
            self.both(f"drmaa.{helper}({code_of(argument)})")

        @invariant()
        def same_contact(self) -> None:
            code = compiled("s.contact")
            dropin, binding = (side.run(code) for side in self.sides)
            if dropin != binding:
                raise FuzzFailure(
                    f"the contact differs: dropin {dropin}, binding {binding}\n\n{self.script()}"
                )

        # -- templates --------------------------------------------------------------------
        @rule(target=templates)
        def create_template(self) -> Any:
            name = self._name("jt")
            if not self.both(f"{name} = s.createJobTemplate()").ok:
                return multiple()
            self.live_templates.append(name)
            return TemplateRef(name, self.epoch)

        @rule(target=templates, values=st.lists(ATTRIBUTE_AND_VALUE, max_size=3))
        def construct_template(self, values: list[tuple[str, Any]]) -> Any:
            name = self._name("jt")
            kwargs = ", ".join(f"{attr}={code_of(value)}" for attr, value in dict(values).items())
            if not self.both(f"{name} = drmaa.JobTemplate({kwargs})").ok:
                return multiple()
            self.live_templates.append(name)
            return TemplateRef(name, self.epoch)

        @rule(jt=consumes(templates))
        def delete_template(self, jt: TemplateRef) -> None:
            # After this, jt is freed memory in the C library: it leaves the program
            # (KNOWN_DIFFERENCES["deleted template"]).
            self.live_templates.remove(jt.name)
            self.both(f"s.deleteJobTemplate({jt.name})")

        @rule(junk=st.one_of(JUNK_TEMPLATES, SCALARS))
        def delete_junk(self, junk: Any) -> None:
            self.both(f"s.deleteJobTemplate({code_of(junk)})")

        @rule(jt=templates, attribute_value=ATTRIBUTE_AND_VALUE)
        def set_attribute(self, jt: TemplateRef, attribute_value: tuple[str, Any]) -> None:
            attribute, value = attribute_value
            self.both(f"{jt.name}.{attribute} = {code_of(value)}")

        @rule(jt=templates, attribute=st.sampled_from(ATTRIBUTES))
        def get_attribute(self, jt: TemplateRef, attribute: str) -> None:
            self.both(f"{jt.name}.{attribute}")

        @rule(jt=templates)
        def attribute_names(self, jt: TemplateRef) -> None:
            self.both(f"{jt.name}.attributeNames")

        @rule(target=templates, job=st.sampled_from(COMMANDS), hold=st.booleans())
        def create_job_template(self, job: tuple[str, list[str]], hold: bool) -> Any:
            ref = self.create_template()
            if isinstance(ref, TemplateRef):
                self.make_runnable(ref, job, hold)
            return ref

        @rule(jt=templates, job=st.sampled_from(COMMANDS), hold=st.booleans())
        def make_runnable(self, jt: TemplateRef, job: tuple[str, list[str]], hold: bool) -> None:
            """A template that can be submitted: command, args, no output files."""
            command, args = job
            self.both(f"{jt.name}.remoteCommand = {command!r}")
            self.both(f"{jt.name}.args = {args!r}")
            self.both(f"{jt.name}.outputPath = ':/dev/null'")
            self.both(f"{jt.name}.joinFiles = True")
            state = "drmaa.JobSubmissionState.HOLD_STATE" if hold else "'drmaa_active'"
            self.both(f"{jt.name}.jobSubmissionState = {state}")

        # -- submission -------------------------------------------------------------------
        @rule(target=jobs, jt=templates)
        def run_job(self, jt: Any) -> Any:
            outcome = self.both(f"s.runJob({code_of(jt)})")
            return outcome.value if outcome.ok else multiple()

        @rule(target=jobs, jt=templates, bounds=BULK_RANGES)
        def run_bulk_jobs(self, jt: Any, bounds: tuple[Any, Any, Any]) -> Any:
            return self._run_bulk_jobs(jt, *bounds)

        @rule(junk=JUNK_TEMPLATES, bounds=st.none() | BULK_RANGES)
        def run_junk(self, junk: Any, bounds: tuple[Any, Any, Any] | None) -> None:
            if bounds is None:
                self.both(f"s.runJob({code_of(junk)})")
            else:
                self._run_bulk_jobs(junk, *bounds)

        def _run_bulk_jobs(self, jt: Any, begin: Any, end: Any, step: Any) -> Any:
            tasks = bulk_task_count(begin, end, step)
            if tasks is not None and BULK_TASKS_MAX < tasks <= MAX_ARRAY_TASKS:
                not_made("a bulk submission of many tasks (slow)")
                return multiple()
            args = ", ".join(code_of(v) for v in (jt, begin, end, step))
            outcome = self.both(f"s.runBulkJobs({args})")
            return multiple(*outcome.value) if outcome.ok else multiple()

        # -- jobs -------------------------------------------------------------------------
        @rule(job=REAL_IDS)
        def job_status(self, job: Any) -> None:
            self.both(f"s.jobStatus({code_of(job)})")

        @rule(job=ANY_IDS)
        def job_status_any(self, job: Any) -> None:
            self.job_status(job)

        @rule(job=REAL_IDS, action=ACTIONS)
        def control(self, job: Any, action: Any) -> None:
            self.both(f"s.control({code_of(job)}, {code_of(action)})")

        @rule(job=ANY_IDS, action=ACTIONS)
        def control_any(self, job: Any, action: Any) -> None:
            self.control(job, action)

        def _may_block_forever(self) -> bool:
            """Whether a wait with no time-out could block for good: on the virtual clock
            a wait moves time on to the next job end, but a held or suspended job never
            ends, nor does a job queued behind them, nor one of endless length ('sleep
            inf'). Only a cell where every live job runs, for a finite time, is safe.
            (Read from the drop-in's cell: the daemon's is the same, or the program has
            failed already.)"""
            from simulator import control

            live = getattr(control.cluster(), "_live", None)
            if live is None:
                return True
            for job in list(live.values()):
                if getattr(job.state, "name", "") != "RUNNING":
                    return True
                if not math.isfinite(control.default_job_model(job.spec, job.task).duration):
                    return True
            return False

        def _forever_guard(self, timeout: Any) -> bool:
            if c_long(timeout) == -1 and self._may_block_forever():
                not_made("a wait without time-out (a job might never end)")
                return True
            return False

        @rule(job=REAL_IDS, timeout=TIMEOUTS)
        def wait(self, job: Any, timeout: Any) -> None:
            if self._forever_guard(timeout):
                return
            self.both(f"s.wait({code_of(job)}, {code_of(timeout)})", blocking=True)

        @rule(job=ANY_IDS, timeout=TIMEOUTS)
        def wait_any(self, job: Any, timeout: Any) -> None:
            self.wait(job, timeout)

        @rule(ids=ID_LISTS, timeout=TIMEOUTS, dispose=st.one_of(st.booleans(), PLAIN))
        def synchronize(self, ids: Any, timeout: Any, dispose: Any) -> None:
            if self._forever_guard(timeout):
                return
            args = f"{code_of(ids)}, {code_of(timeout)}, {code_of(dispose)}"
            self.both(f"s.synchronize({args})", blocking=True)

        @rule(ids=JUNK_ID_LISTS, timeout=TIMEOUTS, dispose=st.booleans())
        def synchronize_any(self, ids: Any, timeout: Any, dispose: Any) -> None:
            self.synchronize(ids, timeout, dispose)

        @rule(seconds=st.sampled_from([0, 1, 2, 5, 100]))
        def let_time_pass(self, seconds: int) -> None:
            pair.advance(seconds)
            self.lines.append(f"advance({seconds})")

    ApiSurfaceMachine.__name__ = "ApiSurfaceMachine"
    return ApiSurfaceMachine


# -- replaying a script --------------------------------------------------------------------------
def replay(lines: list[str], pair: Cells, out: Callable[[str], None] = print) -> int:
    """Run a program on both sides, fresh cells, printing each step's outcomes; the number
    of steps whose outcomes differ."""
    pair.reset()
    sides = pair.sides()
    differences = 0
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        advance = re.fullmatch(r"advance\((\d+(?:\.\d*)?)\)", text)
        if advance:
            pair.advance(float(advance.group(1)))
            out(text)
            continue
        code = compiled(text)
        dropin, binding = (side.run(code, CALL_LIMIT) for side in sides)
        if dropin == binding:
            out(f"{text}\n    both     {dropin}")
        else:
            differences += 1
            out(f"{text}\n    dropin   {dropin}\n    binding  {binding}   <-- differs")
    for side in sides:
        with contextlib.suppress(Exception):
            side.run(compiled("s.exit()"))
    return differences


def _program(path: str) -> list[str]:
    with open(path, encoding="utf-8") as file:
        text = file.read()
    if text.startswith('"""'):  # the header's docstring
        text = text[text.index('"""', 3) + 3 :]
    return text.splitlines()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m conformance.fuzz.api_surface SCRIPT", file=sys.stderr)
        return 2
    with cells() as pair:
        differences = replay(_program(args[0]), pair)
    print(f"steps whose outcomes differ: {differences}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
