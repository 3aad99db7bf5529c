"""Readers keep answering from a consistent snapshot while a build runs; one writer at a time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from relhelp import cli_cmd, no_traceback, run_cli

from esfsearch.index import build_index
from esfsearch.search import SearchEngine


def _reader_loop(
    ix: Path, stop: threading.Event, seen: list, errors: list, reuse: bool, opened: list
) -> None:
    """Search the index until stopped; each answer goes to `seen`, and (when its snapshot was opened,
    which reader) to `opened`."""
    engine = SearchEngine(ix) if reuse else None
    try:
        while not stop.is_set():
            try:
                at = time.monotonic()
                if reuse:
                    engine.refresh()
                    e = engine
                else:
                    e = SearchEngine(ix)
                try:
                    total = e.count("")
                    hits = e.search("kompetensutveckling", limit=3).total
                    seen.append((e.doc_count, total, hits))
                    opened.append((at, reuse, seen[-1]))
                finally:
                    if not reuse:
                        e.close()
            except Exception as exc:  # noqa: BLE001 - any error is the failure we look for
                errors.append(repr(exc))
    finally:
        if engine is not None:
            engine.close()


def _with_readers(ix: Path, action) -> tuple[list, list, list]:
    """(answers seen, errors, the answers of snapshots opened after `action` returned): the readers
    run until each has answered from a snapshot opened after it (not for a fixed time: a loaded
    machine can take longer than any sleep)."""
    stop = threading.Event()
    seen: list = []
    errors: list = []
    opened: list = []
    threads = [
        threading.Thread(target=_reader_loop, args=(ix, stop, seen, errors, reuse, opened))
        for reuse in (True, False)
    ]
    for t in threads:
        t.start()
    after: list = []
    try:
        action()
        done = time.monotonic()
        deadline = done + 60
        while time.monotonic() < deadline and not errors:
            after = [(reuse, answer) for at, reuse, answer in list(opened) if at > done]
            if {reuse for reuse, _answer in after} == {True, False}:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    return seen, errors, [answer for _reuse, answer in after]


@pytest.mark.parametrize("rebuild", [True, False], ids=["rebuild", "incremental"])
def test_readers_during_build_see_old_or_new(rebuild, tiny, tmp_path):
    corpus, _ix, n = tiny
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    ix = tmp_path / "ix"
    build_index([work], ix)
    with SearchEngine(ix) as e:
        old = (n, n, e.search("kompetensutveckling", limit=3).total)
    seeds = sorted((work / "seeds").iterdir())
    seeds[0].unlink()
    for i in range(40):
        (work / f"ny-{i}.md").write_text(
            f"# Kompetensutveckling {i}\n\nKompetensutveckling i Gävle, del {i}.", encoding="utf-8"
        )

    def build():
        args = ["index", "-q", "--index", str(ix), str(work)] + (["--rebuild"] if rebuild else [])
        proc = subprocess.run(cli_cmd(*args), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr

    seen, errors, after = _with_readers(ix, build)
    assert errors == []
    with SearchEngine(ix) as e:
        new = (n + 39, n + 39, e.search("kompetensutveckling", limit=3).total)
    assert new != old
    assert len(seen) > 10
    assert set(seen) <= {old, new}, set(seen) - {old, new}
    assert after and set(after) == {new}  # both readers, once the build is done, see the new index


def _hold_lock(ix: Path) -> subprocess.Popen:
    script = (
        "import sys, time; from pathlib import Path; from esfsearch.index import write_lock\n"
        "with write_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(ix)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_build_waits_then_fails_exit_3(tiny_copy):
    corpus, ix, n = tiny_copy
    holder = _hold_lock(ix)
    try:
        started = time.monotonic()
        proc = run_cli("index", "--wait", "1.5", "--index", str(ix), str(corpus))
        waited = time.monotonic() - started
        assert proc.returncode == 3
        # the message names the holder: the pid of the process that took the lock
        message = " ".join(proc.stderr.split())
        assert "another esfsearch process is writing the index" in message
        assert f"pid {holder.pid}" in message
        assert no_traceback(proc.stderr)
        assert waited >= 1.5
    finally:
        holder.kill()
        holder.wait()
    # the lock dies with its process: no stale lock blocks the next build
    proc = run_cli("index", "--wait", "1", "--json", "--index", str(ix), str(corpus))
    assert proc.returncode == 0, proc.stderr
    with SearchEngine(ix) as e:
        assert e.doc_count == n


def test_two_real_builds_at_once(big, tmp_path):
    """A real rebuild holds the lock; a second `esfsearch index --wait 1` gives up with exit 3."""
    corpus, base, n = big
    ix = tmp_path / "ix"
    shutil.copytree(base, ix)
    first = subprocess.Popen(
        cli_cmd("index", "--rebuild", "-q", "--index", str(ix), str(corpus)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while (ix / ".lock").read_text().strip() != str(first.pid):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = run_cli("index", "--wait", "1", "--index", str(ix), str(corpus))
        assert second.returncode == 3 and "waited 1 s" in " ".join(second.stderr.split())
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    with SearchEngine(ix) as e:
        assert e.doc_count == n


def test_leftover_building_dirs_removed(tiny_copy):
    corpus, ix, n = tiny_copy
    dead = ix / ".building-20200101T000000000000Z-999999"
    reused_pid = ix / f".building-20200101T000000000001Z-{os.getpid()}"  # pid of a live, unrelated process
    for d in (dead, reused_pid):
        d.mkdir()
        (d / "MAIN_x.seg").write_bytes(b"half")
    (ix / "CURRENT.tmp").write_text("gen-half")
    summary = build_index([corpus], ix)  # incremental, nothing changed
    assert summary.records == n and summary.added == 0
    assert not dead.exists() and not reused_pid.exists() and not (ix / "CURRENT.tmp").exists()
