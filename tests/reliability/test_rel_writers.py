"""A build large enough to fork Whoosh's writer processes (>= 5000 records): killing only the parent
(`kill -9 <pid>`, as the OOM killer or a user would) leaves no esfsearch process and no held lock,
and Ctrl-C stops every process without a traceback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from once import built_once
from relhelp import SEED_DIR, cli_cmd, copy_index, no_traceback

from esfsearch.index import IndexProblem, _estimated_records, write_lock
from esfsearch.ingest import iter_files
from esfsearch.search import SearchEngine

pytestmark = pytest.mark.slow

N = 5000


@pytest.fixture(scope="module")
def corpus5k(tmp_path_factory) -> Path:
    """The generated corpus, made once per run (tests/once.py) whichever workers run these tests."""
    from bench.corpus import generate

    def make(folder: Path) -> None:
        counts = generate(N, folder / "c", seed=3)
        assert sum(counts.values()) == N

    out = built_once(tmp_path_factory, "writers5k", make) / "c"
    assert _estimated_records(list(iter_files([out]))) >= 5000, "too small to fork writer processes"
    return out


def _start(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        cli_cmd(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        **kw,
    )


def _stat(pid: str) -> tuple[str, int] | None:
    """(state, parent pid) of a process from /proc, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            rest = fh.read().rsplit(")", 1)[1].split()
        return rest[0], int(rest[1])
    except (OSError, IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(d)
            if st and st[1] == pid and st[0] != "Z":
                out.append(int(d))
    return out


def _processes_naming(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line names `marker` (the test's index folder)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as fh:
                cmd = fh.read().decode("utf-8", "replace")
        except OSError:
            continue
        st = _stat(d)
        if marker in cmd and st and st[0] != "Z":
            found.append(int(d))
    return found


def _wait_for(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return bool(pred())


def _lock_is_free(ix: Path) -> bool:
    try:
        with write_lock(ix, timeout=0):
            return True
    except IndexProblem:
        return False


linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


@linux_only
@pytest.mark.parametrize("when", ["1 s", "3 s", "6 s", "writers running"])
def test_kill_9_of_the_parent_leaves_no_process_and_no_lock(when, corpus5k, tmp_path):
    ix = tmp_path / "ix"
    proc = _start("index", "--rebuild", "-q", "--index", str(ix), str(corpus5k))
    if when == "writers running":  # whatever the machine's speed: once the writers are forked
        assert _wait_for(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None, 600)
    else:
        time.sleep(float(when.split()[0]))
    assert proc.poll() is None, "the build finished before the kill point"
    writers = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # only the parent
    proc.communicate(timeout=60)
    assert _wait_for(lambda: not _processes_naming(str(ix)), 5), (
        f"processes outlived the killed build: {_processes_naming(str(ix))} (writers were {writers})"
    )
    assert _lock_is_free(ix), "the write lock is still held after the build was killed"
    if when == "writers running":
        assert writers, "the build forked no writer processes"
    # The next build starts at once (--wait 0: it would fail on a held lock) and clears the dead
    # one's leftovers. A whole 5000-record build takes minutes on a busy CI machine; seeing it write
    # its own generation is enough here (test_rel_kill completes builds after kills).
    dead = set(ix.glob(".building-*"))
    again = _start(
        "index", "--wait", "0", "--rebuild", "-q", "--index", str(ix), str(corpus5k), start_new_session=True
    )
    assert _wait_for(lambda: again.poll() is not None or (set(ix.glob(".building-*")) - dead), 600)
    if again.poll() is None:
        assert not dead & set(ix.glob(".building-*")), "the dead build's leftovers were not removed"
        os.killpg(again.pid, signal.SIGKILL)
    _out, err = again.communicate(timeout=60)
    assert "another esfsearch process" not in err, err
    assert again.returncode in (0, -signal.SIGKILL), err
    assert _wait_for(lambda: not _processes_naming(str(ix)), 5)


@linux_only
def test_ctrl_c_stops_every_process_without_a_traceback(corpus5k, tmp_path):
    """Ctrl-C in a terminal signals the whole process group: the parent and its writers."""
    ix = tmp_path / "ix"
    proc = _start("index", "--rebuild", "--index", str(ix), str(corpus5k), start_new_session=True)
    assert _wait_for(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None, 600)
    assert proc.poll() is None, "the build finished before the writers were forked"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    # a child that dies of an exception prints "Process <name>-<n>:" (multiprocessing) before its traceback
    assert no_traceback(err) and not re.search(r"^Process [\w-]+:", err, re.MULTILINE), err
    assert "interrupted; the previous index is unchanged" in err
    assert _wait_for(lambda: not _processes_naming(str(ix)), 5), _processes_naming(str(ix))
    assert _lock_is_free(ix)
    assert not list(ix.glob(".building-*")), "an interrupted build removes its half-built generation"


def test_busy_lock_names_the_pid_that_holds_it(tmp_path):
    ix = tmp_path / "ix"
    corpus = tmp_path / "c"
    corpus.mkdir()
    seed = sorted(SEED_DIR.glob("*.txt"))[0]
    (corpus / seed.name).write_bytes(seed.read_bytes())
    with write_lock(ix):
        holder = _start("index", "--wait", "0", "-q", "--index", str(ix), str(corpus))
        _out, err = holder.communicate(timeout=120)
    assert holder.returncode != 0
    assert f"pid {os.getpid()}" in err and no_traceback(err), err


def test_a_writer_process_that_dies_fails_the_build_and_keeps_the_previous_index(
    full_index, tmp_path, monkeypatch
):
    """A writer process that ends without handing over its segments (killed by the OOM killer, a
    crash) would leave its records out of a build that still commits: the build counts what was
    written against what was sent and fails instead, leaving the previous index live. The previous
    index: a copy of the shared index of the same corpus (tests/conftest.py `shipped_index`)."""
    from whoosh.multiproc import SubWriterTask

    from esfsearch.index import IndexProblem, build_index

    corpus = Path(__file__).resolve().parents[2] / "corpus"
    ix = copy_index(full_index, tmp_path / "ix")
    with SearchEngine(ix) as engine:
        before = engine.doc_count
    assert before > 0

    def die(self, *args, **kwargs):  # in the forked writer process only
        os._exit(1)

    monkeypatch.setattr(SubWriterTask, "_process_file", die)
    with pytest.raises(IndexProblem) as failed:
        build_index([corpus], ix, rebuild=True, procs=2)
    assert failed.value.args[0].values["sent"] == before
    assert failed.value.args[0].values["written"] < before
    assert not list(ix.glob(".building-*"))
    monkeypatch.undo()
    with SearchEngine(ix) as engine:
        assert engine.doc_count == before
