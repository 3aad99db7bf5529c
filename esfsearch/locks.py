"""One lock for every writer: the index directory's and the saved-searches file's.

The lock is a kernel lock on a file beside what it protects, so it dies with the process that holds
it: a killed writer leaves no stale lock behind. On POSIX it is a `lockf` record lock, which a child
process does not inherit: a Whoosh writer's worker processes left running after their parent was
killed cannot keep it (and, being per process, a second lock of the same file in the process that
holds it does not wait). The holder writes its pid into the file, so a caller that gives up can say who
holds it. The platform modules are imported when a lock is taken, never at package import.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

POLL = 0.1   # seconds between attempts while waiting


class LockError(Exception):
    """The lock could not be taken (raised only while taking it, never from the locked block)."""


class LockUnavailable(LockError):
    """The lock file cannot be created or opened (permissions, a file where a folder should be)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot create the lock file {path}: {reason}")
        self.path, self.reason = path, reason


class LockTimeout(LockError):
    """Another process held the lock for longer than the caller would wait."""

    def __init__(self, path: Path, waited: float, holder: int | None) -> None:
        who = f"pid {holder}" if holder else "another process"
        super().__init__(f"{path} is locked by {who} (waited {waited:.0f} s)")
        self.path, self.waited, self.holder = path, waited, holder


def _try_lock(fh: IO[str]) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    if sys.platform == "win32":   # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.lockf(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        import errno

        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _unlock(fh: IO[str]) -> None:
    if sys.platform == "win32":   # pragma: no cover
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.lockf(fh.fileno(), fcntl.LOCK_UN)


def holder_pid(path: Path) -> int | None:
    """The pid the current (or last) holder wrote into the lock file, if it is readable."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@contextmanager
def file_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock file `path` (created if missing) for the block. `timeout`: seconds to wait for
    another holder before LockTimeout; None waits as long as it takes. LockUnavailable if the file
    cannot be created."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise LockUnavailable(path, exc.strerror or str(exc)) from exc
    started = time.monotonic()
    try:
        while not _try_lock(fh):
            waited = time.monotonic() - started
            if timeout is not None and waited >= timeout:
                raise LockTimeout(path, waited, holder_pid(path))
            time.sleep(POLL)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        try:
            yield
        finally:
            _unlock(fh)
    finally:
        fh.close()
