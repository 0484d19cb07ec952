"""The user a job's process runs as, and acting as that user while its files are opened.

Normally jobs run as the simulator's own user, and opening a job's files in the simulator
gives them exactly the job's rights. A simulator run by root may be told to run jobs as
another, unprivileged user (Grid Engine itself refuses root's jobs). Then the files must
still be opened with that user's rights, never root's: Grid Engine's shepherd opens them
after it has become the job's user, so a job cannot write a file its user could not.

The simulator opens them itself (no helper process per job: that would cost a second exec),
in the calling thread only, acting as the job's user through the thread's own file-system
credentials: ``setfsuid``/``setfsgid`` and the supplementary groups, set with the raw
system calls (the C library's wrappers change every thread of the process). While the
file-system uid is not 0, the kernel also drops the thread's file capabilities
(capabilities(7)), so permission checks are the job user's, ACLs and all.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import pwd
from collections.abc import Iterator
from dataclasses import dataclass

# setgroups(2) by number: the C library's setgroups() would change every thread's groups.
_SYS_SETGROUPS = {"x86_64": 116, "aarch64": 159}


@dataclass(frozen=True)
class JobUser:
    """A user jobs run as: name, ids, supplementary groups and home directory."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str

    @classmethod
    def named(cls, name: str) -> JobUser:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise ValueError(f"no such user to run jobs as: {name!r}") from None
        groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, groups, entry.pw_dir)

    @classmethod
    def caller(cls) -> JobUser:
        """This process's own user (jobs run as it, with no switching)."""
        entry = pwd.getpwuid(os.getuid())
        return cls(entry.pw_name, os.getuid(), os.getgid(), tuple(os.getgroups()), entry.pw_dir)

    @property
    def is_other(self) -> bool:
        """Whether running jobs as this user means switching from the process's own."""
        return self.uid != os.geteuid() or self.gid != os.getegid()


class ThreadCredentials:
    """Switches the calling thread's file-system identity to a job user and back."""

    def __init__(self, user: JobUser) -> None:
        if os.geteuid() != 0:
            raise PermissionError(
                f"only root can run jobs as another user ({user.name}); this process runs "
                f"as uid {os.geteuid()}"
            )
        number = _SYS_SETGROUPS.get(platform.machine())
        if number is None:
            raise OSError(f"running jobs as another user is not supported on {platform.machine()}")
        self._user = user
        self._setgroups_number = number
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._setfsuid = libc.setfsuid
        self._setfsgid = libc.setfsgid
        self._syscall = libc.syscall
        self._groups = (ctypes.c_uint * max(1, len(user.groups)))(*user.groups)

    @contextlib.contextmanager
    def acting(self) -> Iterator[None]:
        """Within the block, this thread's file operations are the job user's."""
        user = self._user
        saved_groups = os.getgroups()  # the calling thread's own
        saved_gid = self._setfsgid(user.gid)
        self._set_groups(len(user.groups), self._groups)
        saved_uid = self._setfsuid(user.uid)  # last: it drops the thread's capabilities
        try:
            yield
        finally:
            self._setfsuid(saved_uid)  # first: it brings the capabilities back
            saved = (ctypes.c_uint * max(1, len(saved_groups)))(*saved_groups)
            self._set_groups(len(saved_groups), saved)
            self._setfsgid(saved_gid)

    def _set_groups(self, count: int, groups: ctypes.Array) -> None:
        if self._syscall(self._setgroups_number, count, groups) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setgroups: {os.strerror(error)}")
