"""Grid Engine's own Java DRMAA binding over the project's libdrmaa.

Debian's libdrmaa1.0-java (``/usr/share/java/drmaa.jar``) declares its native methods in
``com.sun.grid.drmaa.SessionImpl`` and loads them with ``System.loadLibrary("drmaa")``:
Grid Engine's ``libdrmaa.so`` exports them, and so does ours when it is built with a JDK's
jni.h (simulator/native/jni.c, setup.py). tests/java/DrmaaSmoke.java drives the binding
through the org.ggf.drmaa API against a simulated qmaster; this test compiles it, runs it
and checks every line it prints.

Missing Java pieces fail these tests (saying what to install); they never skip.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from simulator import server
from simulator.native import library_dir, library_path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "java" / "DrmaaSmoke.java"
JAR = Path("/usr/share/java/drmaa.jar")
INSTALL = "apt-get install -y libdrmaa1.0-java default-jdk-headless"
SESSION_CLASS = "com.sun.grid.drmaa.SessionImpl"
#: For javac and javap: no /tmp/hsperfdata_<user> file (java itself gets -XX:-UsePerfData).
NO_PERF_DATA = "-J-XX:-UsePerfData"

EXPECTED = [
    "init: ok",
    "contact: session=<host>.<pid>.<n>",
    "drm system: SGE 8.1.9",
    "implementation: SGE 8.1.9",
    "version: 1.0",
    "template: remote command /bin/sleep, args [1], job name null",
    "template: attribute names include drmaa_remote_command and drmaa_v_argv: true",
    'submitted: /bin/sleep 1 and /bin/sh -c "exit 3"',
    "wait /bin/sleep 1: exited, status 0, same id true",
    "wait /bin/sleep 1: resource usage has ru_wallclock true",
    'wait /bin/sh -c "exit 3": exited, status 3',
    "bulk 1..3: tasks 1,2,3",
    "bulk 1..3: synchronized",
    'wait /bin/sh -c "kill -TERM $$": signaled, SIGTERM',
    "terminated /bin/sleep 60: aborted",
    "submitted: /bin/sleep 1 and /bin/sleep 6",
    "exit: ok",
    "slept 3 s",
    "init with the saved contact: same contact true",
    "/bin/sleep 1: lost, InvalidJobException: The job specified by the 'jobid' does not exist.",
    "/bin/sleep 6: running true",
    "wait /bin/sleep 6: exited, status 0",
    "init twice: AlreadyActiveSessionException: "
    "Initialization failed due to existing DRMAA session.",
    "wait on an unknown job: InvalidJobException: The job specified by the 'jobid' does not exist.",
    'bad attribute value: DeniedByDrmException: unknown resource "no_such_resource"',
    "template: job environment {NAME=value}",
    "template: non-ASCII job name read back the same true",
    "deleted template: InvalidJobTemplateException",
    "exit: ok",
    "template after exit: NoActiveSessionException: No active session",
    "exit twice: NoActiveSessionException",
    "done",
]


def require_java(*tools: str) -> None:
    """Fail (never skip) when the binding's jar or a JDK tool is missing."""
    missing = [f"{JAR} (libdrmaa1.0-java)"] if not JAR.is_file() else []
    missing += [f"{tool} (a JDK)" for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}; install them: {INSTALL}")


def native_methods() -> list[str]:
    """The JNI names of the jar's SessionImpl native methods, read with javap."""
    out = subprocess.run(
        ["javap", NO_PERF_DATA, "-classpath", str(JAR), "-p", SESSION_CLASS],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    names = re.findall(r"\bnative\b[^(]*\b(\w+)\(", out)
    prefix = "Java_" + SESSION_CLASS.replace(".", "_") + "_"
    return sorted(prefix + name for name in names)


def require_jni_part() -> None:
    """Fail when our library was built without simulator/native/jni.c."""
    if not hasattr(ctypes.CDLL(library_path()), "Java_com_sun_grid_drmaa_SessionImpl_nativeInit"):
        pytest.fail(
            f"{library_path()} was built without the Java binding's native methods "
            f"(jni.c): no JDK's jni.h was found when it was built. {INSTALL}, then rebuild "
            "(pip install -e . in the repository)"
        )


def test_the_library_exports_every_native_method_of_the_jar():
    require_java("javap")
    require_jni_part()
    methods = native_methods()
    assert len(methods) == 16  # what Grid Engine's own libdrmaa.so exports for them
    library = ctypes.CDLL(library_path())
    assert [name for name in methods if not hasattr(library, name)] == []


def test_the_jar_loads_libdrmaa_so_by_that_name():
    # SessionImpl's static initializer calls System.loadLibrary("drmaa"), which looks for
    # libdrmaa.so on java.library.path: the build makes it beside libdrmaa.so.1.0.
    link = Path(library_dir(), "libdrmaa.so")
    assert (
        link.resolve() == Path(library_path()).resolve()
        or link.read_bytes() == Path(library_path()).read_bytes()
    )


def compile_program(into: Path) -> Path:
    """DrmaaSmoke.java compiled against the jar, into ``into``/classes."""
    classes = into / "classes"
    done = subprocess.run(
        ["javac", NO_PERF_DATA, "-cp", str(JAR), "-d", str(classes), str(SOURCE)],
        capture_output=True, text=True, timeout=300, cwd=into,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return classes


def test_grid_engines_java_binding_runs_over_our_library(tmp_path: Path, job_dir: Path):
    require_java("javac", "java")
    require_jni_part()
    classes = compile_program(tmp_path)
    user = os.environ.get("DRMAA_SIM_JOB_USER")  # set by conftest when running as root
    with server.running(clock="real", job_user=user, home=str(job_dir)) as qmaster:
        argv = [
            "java",
            "-Xcheck:jni",  # the JVM checks every JNI call the library makes
            "-XX:-UsePerfData",
            "-cp",
            f"{classes}{os.pathsep}{JAR}",
            f"-Djava.library.path={library_dir()}",
            "DrmaaSmoke",
        ]
        env = {**os.environ, "DRMAA_TESTKIT_QMASTER": qmaster.path}
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path
        )
    report = f"--- stdout:\n{done.stdout}--- stderr:\n{done.stderr}"
    assert done.returncode == 0, report
    assert done.stdout.splitlines() == EXPECTED, report
    # -Xcheck:jni's complaints ("WARNING in native method: ...", "FATAL ERROR in ...")
    assert "in native method" not in done.stderr, report
