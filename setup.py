"""Build step for the project's C library, simulator/native/libdrmaa.so.1.0.

Everything else about the package is in pyproject.toml. ``build_py`` is extended to run
gcc on simulator/native/*.c: into the build directory for wheels, in place (next to the
sources) for editable installs. A compiler failure fails the install with gcc's output.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import CompileError

PACKAGE = "simulator.native"
SOURCES = ["wire.c", "libdrmaa.c"]
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


def build_library(source_dir: Path, target_dir: Path) -> list[Path]:
    """Compile the library from ``source_dir`` into ``target_dir``; returns what it made."""
    target_dir.mkdir(parents=True, exist_ok=True)
    library = target_dir / LIBRARY
    compiler = shlex.split(os.environ.get("CC", "gcc"))
    command = [
        *compiler,
        *CFLAGS,
        *LDFLAGS,
        "-o",
        str(library),
        *(str(source_dir / name) for name in SOURCES),
    ]
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
