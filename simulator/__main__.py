"""``python -m simulator [--clock real|virtual] [--slots N] [--job-user NAME] [--home DIR]
(SCRIPT | -m MODULE) [ARGS...]``

Runs a program exactly as ``python SCRIPT`` or ``python -m MODULE`` would, except that
``import drmaa`` gives the simulated Grid Engine. ``python -m simulator -m pytest tests/``
runs a test suite against it.

``python -m simulator serve [--socket PATH] [options]`` runs the cell as a daemon instead
(a simulated qmaster, for clients in other processes and languages), and
``python -m simulator libdrmaa`` prints the path of the project's C ``libdrmaa.so.1.0``,
which talks to that daemon (``DRMAA_LIBRARY_PATH=$(python -m simulator libdrmaa)``).
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

USAGE = (
    "python -m simulator [--clock real|virtual] [--slots N] [--dispatch-delay S] "
    "[--job-user NAME] [--home DIR] (SCRIPT | -m MODULE) [ARGS...]"
)
_OPTIONS = ("--clock", "--slots", "--dispatch-delay", "--job-user", "--home")


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        usage=USAGE,
        description="Run a Python program with the simulated Grid Engine installed as drmaa.",
    )
    parser.add_argument("--clock", choices=("real", "virtual"), help="default: real")
    parser.add_argument("--slots", type=int, help="jobs that run at once (default: 8)")
    parser.add_argument(
        "--dispatch-delay",
        type=float,
        metavar="S",
        help="seconds from submission to start, like a scheduler interval (default: 0)",
    )
    parser.add_argument(
        "--job-user",
        metavar="NAME",
        help="run jobs as this unprivileged user (root only; like Grid Engine, the simulated "
        "cell refuses root's own jobs)",
    )
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="the jobs' home directory, where output not told where to go lands "
        "(default: the job user's)",
    )
    # Our options come first; from the script (or -m MODULE) on, words belong to the program.
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in _OPTIONS:
            i += 2
        elif word.startswith(tuple(f"{option}=" for option in _OPTIONS)) or word in (
            "-h",
            "--help",
        ):
            i += 1
        else:
            break
    options = parser.parse_args(argv[:i])
    program = argv[i:]
    if not program or program == ["-m"] or (program[0].startswith("-") and program[0] != "-m"):
        parser.error(
            "a SCRIPT or -m MODULE is required"
            if not program or program == ["-m"]
            else f"unrecognized option {program[0]!r}"
        )
    return options, program


def _serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m simulator serve",
        description="Run the simulated Grid Engine cell as a daemon (a simulated qmaster) "
        "on a Unix socket, until SIGTERM or SIGINT.",
    )
    parser.add_argument(
        "--socket",
        metavar="PATH",
        help="where to listen (default: $DRMAA_TESTKIT_QMASTER, else "
        "$XDG_RUNTIME_DIR/drmaa-testkit/qmaster or /tmp/drmaa-testkit-<uid>/qmaster)",
    )
    parser.add_argument("--clock", choices=("real", "virtual"), help="default: real")
    parser.add_argument("--slots", type=int, help="jobs that run at once (default: 8)")
    parser.add_argument("--dispatch-delay", type=float, metavar="S")
    parser.add_argument("--job-user", metavar="NAME", help="run jobs as this user (root only)")
    parser.add_argument("--home", metavar="DIR", help="the jobs' home directory")
    parser.add_argument("--min-uid", type=int, help="refuse jobs of lower uids (default 1000)")
    parser.add_argument("--min-gid", type=int, help="refuse jobs of lower gids (default 1000)")
    options = parser.parse_args(argv)
    from simulator.server import serve

    settings = {
        name: value
        for name, value in vars(options).items()
        if name != "socket" and value is not None
    }
    try:
        serve(options.socket, **settings)
    except (ValueError, PermissionError, RuntimeError) as error:
        sys.exit(f"python -m simulator serve: error: {error}")


def _libdrmaa(argv: list[str]) -> None:
    if argv:
        sys.exit("usage: python -m simulator libdrmaa   (prints the C library's path)")
    from simulator.native import library_path

    try:
        print(library_path())
    except FileNotFoundError as error:
        sys.exit(f"python -m simulator libdrmaa: {error}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return _serve(argv[1:])
    if argv[:1] == ["libdrmaa"]:
        return _libdrmaa(argv[1:])
    options, program = _parse(argv)
    if options.clock:
        os.environ["DRMAA_SIM_CLOCK"] = options.clock
    if options.slots is not None:
        if options.slots < 1:
            sys.exit("python -m simulator: error: --slots must be at least 1")
        os.environ["DRMAA_SIM_SLOTS"] = str(options.slots)
    if options.dispatch_delay is not None:
        if not options.dispatch_delay >= 0:
            sys.exit("python -m simulator: error: --dispatch-delay must be >= 0")
        os.environ["DRMAA_SIM_DISPATCH_DELAY"] = str(options.dispatch_delay)
    if options.job_user:
        os.environ["DRMAA_SIM_JOB_USER"] = options.job_user
    if options.home:
        os.environ["DRMAA_SIM_HOME"] = os.path.abspath(options.home)

    from simulator.dropin import install

    install()
    if program[0] == "-m":
        sys.argv = [program[1], *program[2:]]
        runpy.run_module(program[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = program
        sys.path.insert(0, os.path.dirname(os.path.abspath(program[0])))
        runpy.run_path(program[0], run_name="__main__")


if __name__ == "__main__":
    main()
