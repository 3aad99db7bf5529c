"""One lock for every writer: the index directory's and the saved-searches file's.

The lock is an flock on a file beside what it protects, so it dies with the process that holds it: a
killed writer leaves no stale lock. flock belongs to the open file, which a forked child shares, so a
child forked while a lock is held (Whoosh's writer processes) lets go of its copy at once, dies with
the parent that forked it (Linux PR_SET_PDEATHSIG) and leaves Ctrl-C to that parent: no orphan can
keep the lock. The holder writes its pid into the file, so a caller that gives up can say who holds
it. The platform modules are imported when a lock is taken, never at package import.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .i18n import N_, Message

POLL = 0.1  # seconds between attempts while waiting
_PR_SET_PDEATHSIG = 1

# Descriptors of the locks this process holds -> pid of the process that took them.
_HELD: dict[int, int] = {}
_HELD_GUARD = threading.Lock()


class LockError(Exception):
    """The lock could not be taken (raised only while taking it, never from the locked block)."""


class LockUnavailable(LockError):
    """The lock file cannot be created or opened (permissions, a file where a folder should be)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot create the lock file {path}: {reason}")
        self.path, self.reason = path, reason


class LockTimeout(LockError):
    """Another process held the lock for longer than the caller would wait; `holder` says who."""

    def __init__(self, path: Path, waited: float, holder: str) -> None:
        super().__init__(f"{path} is held by {holder} (waited {waited:.0f} s)")
        self.path, self.waited, self.holder = path, waited, holder


def _after_fork_in_child() -> None:
    """Runs in every child forked by this process (os.register_at_fork). A child forked while a lock
    is held is one of the writer's helper processes: it closes its copy of the lock, dies with the
    parent that forked it, and leaves Ctrl-C to that parent, which stops and reports; no child prints
    a traceback."""
    if not _HELD:
        return
    parents = set(_HELD.values())
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() not in parents:  # the parent died before prctl took effect
        os._exit(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _processes_with_open(path: Path) -> list[int]:
    """Pids of other processes that have `path` open (Linux /proc; empty elsewhere)."""
    try:
        target = os.path.realpath(path)
        procs = [d for d in os.listdir("/proc") if d.isdigit() and int(d) != os.getpid()]
    except OSError:
        return []
    found = []
    for d in procs:
        try:
            fds = os.listdir(f"/proc/{d}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{d}/fd/{fd}") == target:
                    found.append(int(d))
                    break
            except OSError:
                continue
    return sorted(found)


def describe_holder(path: Path) -> str:
    """'pid N' of the process that last took the lock (it writes its pid into the file); when that
    process is gone, the processes that still hold the file open (Linux) and how to stop them."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return Message(N_("unknown pid"))
    if not text.isdigit():
        return Message(N_("unknown pid"))
    pid = int(text)
    if pid_alive(pid):
        return f"pid {pid}"
    holders = _processes_with_open(path)
    if holders:
        return Message(
            N_("pid {pid} is gone, but its processes {holders} still hold the lock; stop them (kill {kill})"),
            pid=pid,
            holders=", ".join(map(str, holders)),
            kill=" ".join(map(str, holders)),
        )
    return f"pid {pid}"


def _try_lock(fh: IO[str]) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import errno
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _unlock(fh: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


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
                raise LockTimeout(path, waited, describe_holder(path))
            time.sleep(POLL)
        with _HELD_GUARD:
            _HELD[fh.fileno()] = os.getpid()
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield
        finally:
            with _HELD_GUARD:
                _HELD.pop(fh.fileno(), None)
            _unlock(fh)
    finally:
        fh.close()
