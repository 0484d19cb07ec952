"""Build step for the project's C library, simulator/native/libdrmaa.so.1.0.

Everything else about the package is in pyproject.toml. ``build_py`` is extended to run
gcc on simulator/native/*.c: into the build directory for wheels, in place (next to the
sources) for editable installs. A compiler failure fails the install with gcc's output.

jni.c, the native methods of Grid Engine's Java binding (drmaa.jar), is compiled in when a
JDK's jni.h is found ($JAVA_HOME/include, else the first /usr/lib/jvm/*/include having
it); without one the library is built without it. The build prints which.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import CompileError

PACKAGE = "simulator.native"
SOURCES = ["wire.c", "libdrmaa.c"]
JNI_SOURCE = "jni.c"
LIBRARY = "libdrmaa.so.1.0"
LINK = "libdrmaa.so"
CFLAGS = [
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-O2",
    "-fPIC",
    "-pthread",
    "-fvisibility=hidden",
]
LDFLAGS = ["-shared", f"-Wl,-soname,{LIBRARY}", "-Wl,-z,defs"]


def jni_include() -> Path | None:
    """The include directory of a JDK with jni.h: $JAVA_HOME's, else the first of
    /usr/lib/jvm/*/include; None when there is none."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"], "include"))
    candidates += [Path(path) for path in sorted(glob.glob("/usr/lib/jvm/*/include"))]
    return next((path for path in candidates if (path / "jni.h").is_file()), None)


def build_library(source_dir: Path, target_dir: Path) -> list[Path]:
    """Compile the library from ``source_dir`` into ``target_dir``; returns what it made."""
    target_dir.mkdir(parents=True, exist_ok=True)
    library = target_dir / LIBRARY
    compiler = shlex.split(os.environ.get("CC", "gcc"))
    sources = [str(source_dir / name) for name in SOURCES]
    include = jni_include()
    if include is None:
        print(
            f"building {LIBRARY} without the Java binding's native methods: no jni.h "
            "(set JAVA_HOME to a JDK, or apt-get install default-jdk-headless)"
        )
        jni_flags = []
    else:
        print(f"building {LIBRARY} with the Java binding's native methods (jni.h in {include})")
        jni_flags = [f"-I{include}", f"-I{include / 'linux'}"]
        sources.append(str(source_dir / JNI_SOURCE))
    command = [*compiler, *CFLAGS, *jni_flags, *LDFLAGS, "-o", str(library), *sources]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise CompileError(f"cannot run {compiler[0]} to build {LIBRARY}: {error}") from error
    if result.returncode != 0:
        raise CompileError(
            f"building {LIBRARY} failed:\n$ {shlex.join(command)}\n{result.stdout}{result.stderr}"
        )
    link = target_dir / LINK
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(LIBRARY)
    return [library, link]


class BuildPyWithLibrary(build_py):
    """build_py, then the C library (in place for editable installs)."""

    def run(self) -> None:
        super().run()
        source_dir = Path(self.get_package_dir(PACKAGE)).resolve()
        build_library(source_dir, self._library_dir())

    def _library_dir(self) -> Path:
        if self.editable_mode:
            return Path(self.get_package_dir(PACKAGE)).resolve()
        return Path(self.build_lib, *PACKAGE.split("."))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            target = self._library_dir()
            outputs += [str(target / LIBRARY), str(target / LINK)]
        return outputs


setup(cmdclass={"build_py": BuildPyWithLibrary})
