"""Read-only test data made once per test run, whatever the number of pytest-xdist workers.

Every xdist worker is a process with its own session, so a session fixture is made again by each
worker that uses it (the 1 500-record index of `big`: ~25 s of CPU each). `built_once` makes
it in a folder the workers of one run share, under a file lock: the first worker builds, the others
wait and then read. Only for data no test changes (tests copy an index before changing it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

COMPLETE = ".complete"


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `build(folder)` filled, built by one process of this run. A build that failed
    leaves no `.complete` marker, so the next worker that asks builds it again (and fails the same
    way, as a session fixture would)."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's temporary folder, shared by its workers
    folder = root / f"once-{name}"
    with FileLock(f"{folder}.lock"):
        if not (folder / COMPLETE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / COMPLETE).touch()
    return folder
