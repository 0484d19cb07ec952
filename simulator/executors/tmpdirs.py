"""Jobs' TMPDIRs (``<root>/<job>.<task>.all.q``), made before a job starts and removed after.

Grid Engine names a job's TMPDIR ``<job>.<task>.<queue>`` in the queue's ``tmpdir``
(``/tmp``). Job numbers start at 1 in every simulator, so two simulators on one host (pytest
workers, or a real cell beside one) would make, share and delete the same directories, and
another local user could plant a directory or symlink by that predictable name, first in
the job's ``PATH``. So each simulator keeps its TMPDIRs in a private root of its own: made
with a random name by ``mkdtemp`` (exclusively, mode 0700; 0711 when jobs run as another
user, who must reach their TMPDIR but list nothing), holding Grid Engine's basenames. The
root goes when the simulator shuts down; the root of a simulator that was killed is swept
by the next one to start, as its name carries the pid.

On ext4 a directory's inode allocation gets slower the more directories were removed shortly
before (measured here: a mkdir/rmdir pair cost 80-210 us, a rename pair 23 us; see
benchmarks/tmpdir_bench.py). So an ended job's TMPDIR, if it is empty and kept its
permissions, is not removed but renamed into a spare directory inside the root, and the
next job's TMPDIR is a spare, found still empty, renamed into place. The job sees what Grid
Engine gives it: a fresh, empty directory of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
import threading

#: Spare directories kept at most: as many as jobs may end between two clean-ups.
SPARES = 64
#: A private root's name: this prefix, the simulator's pid, a dash, mkdtemp's random part.
ROOT_PREFIX = "drmaa-testkit-"
_POOL = ".spares"
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_swept: set[str] = set()  # parents swept by this process: killed simulators are rare


class TmpDirs:
    """Creates and removes TMPDIRs in a private root under ``parent``; :meth:`close`
    removes the root. With ``owner`` (uid, gid), TMPDIRs belong to that user."""

    def __init__(self, parent: str, owner: tuple[int, int] | None = None) -> None:
        if parent not in _swept:
            _swept.add(parent)
            sweep_dead_roots(parent)
        self.root = tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-", dir=parent)
        if owner is not None:
            os.chmod(self.root, 0o711)
        self._owner = owner
        # Directory operations relative to an open descriptor skip the path walk each time.
        self._root_fd = os.open(self.root, _DIRECTORY)
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
            return  # a re-queued job's, not yet removed
        if self._owner is not None:
            os.chown(name, *self._owner, dir_fd=self._root_fd, follow_symlinks=False)
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
        """Remove the root, spares and all (once no job is left to remove)."""
        with self._lock:
            if self._closed:
                return
            self._pool, self._spares = None, []
            self._closed = True
        shutil.rmtree(self.root, ignore_errors=True)
        os.close(self._root_fd)
        self._root_fd = -1

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
            st = os.stat(name, dir_fd=self._root_fd, follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or stat.S_IMODE(st.st_mode) != self._mode:
                return False  # the job changed its permissions: a new one is made instead
            if self._owner is not None and (st.st_uid, st.st_gid) != self._owner:
                return False
            if not _empty(self.path(name)):
                return False
            with self._lock:
                if self._closed:
                    return False
                if self._pool is None:
                    os.mkdir(_POOL, 0o700, dir_fd=self._root_fd)
                    self._pool = self.path(_POOL)
                self._serial += 1
                spare = str(self._serial)
                os.rename(name, os.path.join(self._pool, spare), src_dir_fd=self._root_fd)
                self._spares.append(spare)
        except OSError:
            return False
        return True


def sweep_dead_roots(parent: str) -> None:
    """Clean up after simulators that were killed before they could (``kill -9``, a CI
    time-out): their roots' names carry their pid, and no process has that pid now. Their
    jobs may still run, orphaned: those are killed first, found by the TMPDIR in their
    environment, which points into the dead root."""
    uid = os.getuid()
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(ROOT_PREFIX) :].partition("-")[0]
        if not entry.name.startswith(ROOT_PREFIX) or not pid.isdigit():
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            kill_orphaned_jobs(entry.path)
            shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            pass  # alive (someone else's), or gone already


def kill_orphaned_jobs(root: str) -> int:
    """SIGKILL every process whose TMPDIR lies in ``root`` (the jobs of a simulator that
    died, and whatever they started); how many there were. Only processes whose
    environment this process may read are seen: its own user's, or anybody's for root."""
    marker = b"\0TMPDIR=" + os.fsencode(root) + b"/"
    killed = 0
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                if marker not in b"\0" + environ.read():
                    continue
            os.kill(int(name), signal.SIGKILL)
            killed += 1
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return killed


def _empty(path: str) -> bool:
    """Whether ``path`` is an empty directory (False if it is not there at all)."""
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False
