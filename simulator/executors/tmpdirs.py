"""Jobs' TMPDIRs (``<tmp>/<job>.<task>.all.q``), made before a job starts and removed after.

On ext4 a directory's inode allocation gets slower the more directories were removed shortly
before (measured here: a mkdir/rmdir pair cost 80-210 us, a rename pair 23 us; see
benchmarks/tmpdir_bench.py). So an ended job's TMPDIR, if it is empty and kept its
permissions, is not removed but renamed into a private spare directory, and the next job's
TMPDIR is a spare, found still empty, renamed into place. The job sees what Grid Engine
gives it: a fresh, empty directory at the same path. The spares go when the simulator shuts
down (or, if it was killed, when the next one makes its own).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading

#: Spare directories kept at most: as many as jobs may end between two clean-ups.
SPARES = 64
_SPARE_PREFIX = ".drmaa-testkit-spare-tmpdirs-"
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class TmpDirs:
    """Creates and removes TMPDIRs in ``root``; :meth:`close` removes what it kept."""

    def __init__(self, root: str) -> None:
        self.root = root
        # Directory operations relative to an open descriptor skip the path walk each time.
        self._root_fd = os.open(root, _DIRECTORY)
        self._lock = threading.Lock()  # creation (cluster) and removal (reaper) threads
        self._pool: str | None = None  # the spare directory, made at the first recycling
        self._spares: list[str] = []  # names in the pool
        self._serial = 0
        self._closed = False
        self._mode: int | None = None  # permission bits of a new TMPDIR (umask applied)

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def create(self, name: str) -> None:
        """Make TMPDIR ``name``: a spare renamed into place, or a new directory."""
        with self._lock:
            while self._spares:
                spare = self._spares.pop()
                path = os.path.join(self._pool or "", spare)
                # Still empty: nothing (an escaped process of an ended job, say) has written
                # in it since. (Not its mtime: that need not tick in between.)
                if not _empty(path):
                    shutil.rmtree(path, ignore_errors=True)
                    continue
                try:
                    os.rename(path, name, dst_dir_fd=self._root_fd)
                except OSError:  # there is a full one by that name already: leave it be
                    self._spares.append(spare)
                return
        try:
            os.mkdir(name, dir_fd=self._root_fd)
        except FileExistsError:
            return
        if self._mode is None:
            self._mode = stat.S_IMODE(os.stat(name, dir_fd=self._root_fd).st_mode)

    def remove(self, name: str) -> None:
        """Remove TMPDIR ``name`` after its job, keeping it as a spare if it is fit."""
        if self._recycle(name):
            return
        try:
            os.rmdir(name, dir_fd=self._root_fd)
        except FileNotFoundError:
            pass
        except OSError:
            shutil.rmtree(self.path(name), ignore_errors=True)

    def close(self) -> None:
        """Remove the spares (once no job is left to remove); running jobs' TMPDIRs stay."""
        with self._lock:
            pool, self._pool, self._spares = self._pool, None, []
            self._closed = True
        if pool is not None:
            shutil.rmtree(pool, ignore_errors=True)

    def __del__(self) -> None:
        fd = getattr(self, "_root_fd", -1)
        if fd >= 0:
            os.close(fd)

    def _recycle(self, name: str) -> bool:
        """Move an empty TMPDIR with the usual permissions to the spares; False when the
        job left something in it, or there are spares enough."""
        if self._mode is None or len(self._spares) >= SPARES or self._closed:
            return False
        try:
            st = os.stat(name, dir_fd=self._root_fd)
            if not stat.S_ISDIR(st.st_mode) or stat.S_IMODE(st.st_mode) != self._mode:
                return False  # the job changed its permissions: a new one is made instead
            if not _empty(self.path(name)):
                return False
            with self._lock:
                if self._closed:
                    return False
                if self._pool is None:
                    _sweep_dead_pools(self.root)
                    prefix = f"{_SPARE_PREFIX}{os.getpid()}-"
                    self._pool = tempfile.mkdtemp(prefix=prefix, dir=self.root)
                self._serial += 1
                spare = str(self._serial)
                os.rename(name, os.path.join(self._pool, spare), src_dir_fd=self._root_fd)
                self._spares.append(spare)
        except OSError:
            return False
        return True


def _sweep_dead_pools(root: str) -> None:
    """Remove the spares of simulators that were killed before they could (``kill -9``, a
    CI time-out): their pool names carry their pid."""
    uid = os.getuid()
    with os.scandir(root) as entries:
        for entry in entries:
            pid = entry.name[len(_SPARE_PREFIX) :].partition("-")[0]
            if not entry.name.startswith(_SPARE_PREFIX) or not pid.isdigit():
                continue
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(entry.path, ignore_errors=True)
            except OSError:
                pass  # alive (someone else's), or gone already


def _empty(path: str) -> bool:
    """Whether ``path`` is an empty directory (False if it is not there at all)."""
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False
