"""Atomic builds: an `esfsearch index` killed (SIGKILL, SIGINT) at any point leaves the previous index
readable and complete, and the next `esfsearch index` succeeds and cleans up after the dead one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from relhelp import cli_cmd, copy_index, live_keys, no_traceback, run_cli

from esfsearch.index import build_index
from esfsearch.search import SearchEngine

pytestmark = pytest.mark.slow


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        cli_cmd(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


def _wait_for(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def _assert_intact(ix: Path, expected: int, query_total: int) -> None:
    with SearchEngine(ix) as engine:
        assert engine.doc_count == expected
        assert engine.count("") == expected
        assert engine.search("kompetensutveckling").total == query_total


@pytest.fixture(scope="module")
def big_state(big):
    corpus, ix, n = big
    with SearchEngine(ix) as engine:
        total = engine.search("kompetensutveckling").total
    assert total > 0
    return corpus, ix, n, total


# name -> (signal, seconds after start, or a point of the commit where the build signals itself).
# The commit is a short window at the end of a build: a signal sent from outside "while it commits"
# may arrive after the process has begun to exit (then nothing is interrupted and the test would
# pass or fail by chance), so at those points the build process sends the signal to itself.
KILL_POINTS = {
    "SIGKILL 0.3 s (starting)": (signal.SIGKILL, 0.3),
    "SIGKILL 1 s (reading)": (signal.SIGKILL, 1.0),
    "SIGKILL 2 s": (signal.SIGKILL, 2.0),
    "SIGKILL 4 s (indexing)": (signal.SIGKILL, 4.0),
    "SIGKILL 7 s (indexing)": (signal.SIGKILL, 7.0),
    "SIGKILL during commit": (signal.SIGKILL, "whoosh"),
    "SIGKILL while writing columns": (signal.SIGKILL, "columns"),
    "SIGINT 2 s": (signal.SIGINT, 2.0),
    "SIGINT during commit": (signal.SIGINT, "whoosh"),
    "SIGINT while writing columns": (signal.SIGINT, "columns"),
}

# `esfsearch …` (the console script's main) in a process that signals itself at a point of the commit:
# after Whoosh has written the new segment's files but before its table of contents ("whoosh"), or
# after the first segment's columnar files ("columns").
SELF_SIGNAL = textwrap.dedent("""
    import os, sys
    point, signum = sys.argv[1], int(sys.argv[2])
    del sys.argv[1:3]
    if point == "whoosh":
        from whoosh.writing import SegmentWriter as owner
        name = "_finalize_segment"
    else:
        from esfsearch.columns import SegmentArrays as owner
        name = "close"
    real = getattr(owner, name)
    def then_signal(*args, **kw):
        result = real(*args, **kw)
        os.kill(os.getpid(), signum)
        return result
    setattr(owner, name, then_signal)
    from esfsearch.cli import main
    main()
""")


def _start_self_signalling(point: str, sig: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SELF_SIGNAL, point, str(int(sig)), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


@pytest.fixture(scope="module")
def tiny_state(tiny):
    corpus, ix, n = tiny
    with SearchEngine(ix) as engine:
        total = engine.search("kompetensutveckling").total
    return corpus, ix, n, total


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_rebuild_leaves_previous_index(point, request, tmp_path):
    # A point in time needs a build that lasts (the big corpus); a commit point is reached by the
    # build itself, whatever the corpus's size (the tiny one: seconds instead of a minute).
    sig, when = KILL_POINTS[point]
    corpus, base, n, total = request.getfixturevalue("tiny_state" if isinstance(when, str) else "big_state")
    ix = copy_index(base, tmp_path / "ix")
    args = ("index", "--rebuild", "-q", "--index", str(ix), str(corpus))
    if isinstance(when, str):
        proc = _start_self_signalling(when, sig, *args)
        out, err = proc.communicate(timeout=600)
    else:
        proc = _start(*args)
        time.sleep(when)
        if when >= 1:  # past start-up: on a loaded machine the process may still be importing
            _wait_for(lambda: bool(list(ix.glob(".building-*"))) or proc.poll() is not None, 300)
        assert proc.poll() is None, "the build finished before the kill point; use a bigger corpus"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130, err
        assert no_traceback(err) and "interrupted" in err
        assert not list(ix.glob(".building-*")), "an interrupted build removes its half-built generation"
    _assert_intact(ix, n, total)  # the old index, complete and answering

    again = run_cli("index", "--index", str(ix), "--json", str(corpus))
    assert again.returncode == 0, again.stderr
    assert not list(ix.glob(".building-*")), "leftovers of the killed build are removed by the next one"
    _assert_intact(ix, n, total)


def test_kill_at_the_swap_and_after_incremental_commit(tiny, tmp_path):
    """Precise points: after the new generation is complete but before CURRENT names it, and after an
    incremental commit but before meta.json is rewritten (the process kills itself there)."""
    corpus, base, n = tiny
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    ix = tmp_path / "ix"
    build_index([work], ix)
    before = live_keys(ix)
    script = textwrap.dedent("""
        import os, signal, sys
        from pathlib import Path
        import esfsearch.index as I
        target = sys.argv[1]
        real_write = I.write_atomic
        def write(path, text):
            if target == "swap" and path.name == "CURRENT":
                os.kill(os.getpid(), signal.SIGKILL)
            if target == "meta" and path.name == "meta.json" and not path.parent.name.startswith("."):
                os.kill(os.getpid(), signal.SIGKILL)
            real_write(path, text)
        I.write_atomic = write
        I.build_index([Path(sys.argv[2])], Path(sys.argv[3]), rebuild=sys.argv[1] == "swap")
    """)
    proc = subprocess.run([sys.executable, "-c", script, "swap", str(work), str(ix)], timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert live_keys(ix) == before

    # an incremental update: two new files, one changed, one removed
    (work / "new1.txt").write_text(
        "Nytt projekt i Kiruna\n\nUtbildning för gruvarbetare i Kiruna.", encoding="utf-8"
    )
    (work / "new2.md").write_text("# Projekt Ystad\n\nSpråkstöd för nyanlända i Ystad.", encoding="utf-8")
    seed = sorted((work / "seeds").iterdir())
    seed[1].unlink()
    with open(seed[0], "a", encoding="utf-8") as fh:
        fh.write("\nEtt tillägg om Hässleholm.\n")
    proc = subprocess.run([sys.executable, "-c", script, "meta", str(work), str(ix)], timeout=120)
    assert proc.returncode == -signal.SIGKILL
    mid = live_keys(ix)
    assert len(mid) == n + 2 - 1  # the commit is complete: the new set, not a mix

    summary = build_index([work], ix)  # the re-run must not double the new files
    after = live_keys(ix)
    assert len(after) == summary.records == n + 1
    assert after == mid
    with SearchEngine(ix) as engine:
        assert engine.search("Kiruna").total == 1 and engine.search("Ystad").total == 1
        assert engine.search("Hässleholm").total >= 1


# The incremental update the kill tests interrupt: a generated corpus of INCR_N records, then
# INCR_EXTRA new records (some stating an id the corpus has: merged, issue 18), INCR_DELETED text
# files removed and INCR_CHANGED changed. The update is killed at a point it reaches itself (below),
# not after a fixed time, so the corpus need not be large enough to outlast a timer on a fast machine.
INCR_N, INCR_EXTRA, INCR_DELETED, INCR_CHANGED = 600, 100, 50, 100

# `esfsearch index …` that kills itself (SIGKILL) at a point of the update: "reading", once the scan
# has read INCR_READ changed files; "indexing", as it makes the INCR_INDEXED-th changed project's
# document (the update's writer open, documents deleted and added, nothing committed).
INCR_READ, INCR_INDEXED = 20, 100
KILLED_UPDATE = textwrap.dedent("""
    import os, signal, sys
    import esfsearch.index as I
    point, after = sys.argv[1], int(sys.argv[2])
    del sys.argv[1:3]
    seen = 0
    def counted():
        global seen
        seen += 1
        if seen == after:
            os.kill(os.getpid(), signal.SIGKILL)
    if point == "reading":
        real_scan = I._scan_iter
        def scan(*args, **kw):
            for item in real_scan(*args, **kw):
                counted()
                yield item
        I._scan_iter = scan
    else:
        real_document = I._project_document
        def document(*args, **kw):
            counted()
            return real_document(*args, **kw)
        I._project_document = document
    from esfsearch.cli import main
    main()
""")
INCREMENTAL_KILL_POINTS = {"reading": INCR_READ, "indexing": INCR_INDEXED}


@pytest.fixture(scope="module")
def incremental_setup(tmp_path_factory):
    """A generated corpus with its own index, plus the changes an update will apply."""
    from bench.corpus import generate

    base = tmp_path_factory.mktemp("incr")
    pristine = base / "pristine"
    assert sum(generate(INCR_N, pristine, seed=1).values()) == INCR_N
    work = base / "work"
    shutil.copytree(pristine, work)
    ix = base / "ix"
    build_index([work], ix)
    extra = base / "extra"
    generate(INCR_EXTRA, extra, seed=2)
    return pristine, work, ix, extra


def _apply_changes(work: Path, extra: Path) -> None:
    shutil.copytree(extra, work / "extra")
    texts = sorted(work.rglob("*.txt"))
    for p in texts[:INCR_DELETED]:
        p.unlink()
    for p in texts[INCR_DELETED : INCR_DELETED + INCR_CHANGED]:
        with open(p, "a", encoding="utf-8") as fh:
            fh.write("\nTillägg: projektet har förlängts.\n")


def _projects_in(corpus: Path) -> int:
    """Projects the corpus holds: records stating the same id are one project."""
    from esfsearch.ingest import ingest
    from esfsearch.merge import project_key

    return len({project_key(r) or ("own", n) for n, r in enumerate(ingest([corpus]).records)})


# Both cases change the one corpus copy their index was built from (its files' paths are the index's
# keys): one worker runs them, one after the other (`--dist loadgroup`, pyproject.toml).
@pytest.mark.xdist_group("rel-kill-incremental")
@pytest.mark.parametrize("point", INCREMENTAL_KILL_POINTS)
def test_killed_incremental_update_old_or_new_never_mixed(point, incremental_setup, tmp_path):
    pristine, work, base_ix, extra = incremental_setup
    shutil.rmtree(work)
    shutil.copytree(pristine, work)  # copy2 keeps mtimes: unchanged files stay unchanged
    ix = copy_index(base_ix, tmp_path / "ix")
    old = live_keys(ix)
    _apply_changes(work, extra)
    after = str(INCREMENTAL_KILL_POINTS[point])
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_UPDATE, point, after, "index", "-q", "--index", str(ix), str(work)],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert proc.returncode == -signal.SIGKILL, "the update ended before the kill point: " + proc.stderr
    seen = live_keys(ix)
    # the next run brings it to the new state, whatever the kill left
    again = run_cli("index", "--index", str(ix), "--json", str(work))
    assert again.returncode == 0, again.stderr
    new = live_keys(ix)
    assert seen in (old, new), "a reader saw a half-applied update"
    assert seen == old  # killed before its commit: the old index, whole
    # records of the extra corpus that state an id the base corpus has merge with it (issue 18)
    most = INCR_N - INCR_DELETED + INCR_EXTRA
    assert len(new) == _projects_in(work) and most - INCR_EXTRA // 5 <= len(new) <= most
    if point == "indexing":  # a from-scratch build agrees with the incrementally updated index
        fresh = build_index([work], tmp_path / "fresh", rebuild=True)
        assert live_keys(tmp_path / "fresh").keys() == new.keys() and fresh.records == len(new)
