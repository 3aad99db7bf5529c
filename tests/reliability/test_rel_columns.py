"""The columnar files (columns.py) are part of a generation: damaged or missing ones are detected,
queries then run on the Whoosh path with the reason carried as data, and the next update repairs
them. A build writes them before the generation becomes live."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from esfsearch.columns import COLUMNS, DATA, MANIFEST
from esfsearch.index import build_index, current_generation
from esfsearch.search import SearchEngine

# filter values the tiny corpus has (a value no record has is now a QueryError, not 0 hits)
QUERIES = (
    "utveckling",
    "innova* fond:eruf",
    "innova* fond:esf",
    "kompetens region:norrland",
    "",
    '"hållbar utveckling"',
    'projekt region:"övre norrland"',
)


def _segment_dirs(ix: Path) -> list[Path]:
    return sorted(p for p in (current_generation(ix) / COLUMNS).iterdir() if p.is_dir())


def delete_file(ix):
    (_segment_dirs(ix)[0] / DATA).unlink()


def truncate_file(ix):
    path = _segment_dirs(ix)[0] / DATA
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def manifest_points_outside(ix):
    path = _segment_dirs(ix)[0] / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["arrays"]["body.ids"][2] = 10**9
    path.write_text(json.dumps(manifest), encoding="utf-8")


def positions_point_outside(ix):
    path = _segment_dirs(ix)[0] / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["arrays"]["body.pos"][0] += 10**9
    path.write_text(json.dumps(manifest), encoding="utf-8")


def positions_missing(ix):
    path = _segment_dirs(ix)[0] / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["arrays"]["title.pos"], manifest["arrays"]["title.pcnt"]
    path.write_text(json.dumps(manifest), encoding="utf-8")


def delete_manifest(ix):
    (_segment_dirs(ix)[0] / MANIFEST).unlink()


def garble_manifest(ix):
    (_segment_dirs(ix)[0] / MANIFEST).write_text('{"version": 1, "files"', encoding="utf-8")


def delete_columns(ix):
    import shutil

    shutil.rmtree(current_generation(ix) / COLUMNS)


DAMAGE = [
    delete_file,
    truncate_file,
    manifest_points_outside,
    positions_point_outside,
    positions_missing,
    delete_manifest,
    garble_manifest,
    delete_columns,
]


def _answers(engine: SearchEngine) -> list:
    out = []
    for text in QUERIES:
        r = engine.search(text, facets=True, snippets=False)
        out.append((r.total, [(h.key, round(h.score, 6)) for h in r.hits], r.facets))
    return out


def test_build_writes_columns_for_every_segment(tiny):
    _corpus, ix, _n = tiny
    with SearchEngine(ix, exec_mode="fast") as engine:
        segments = len(engine._searcher.reader().leaf_readers())
        engine.search("utveckling")
        assert engine.last_path == "fast" and engine.fast_unavailable is None
    assert len(_segment_dirs(ix)) == segments
    assert all((d / MANIFEST).is_file() for d in _segment_dirs(ix))
    assert not list((current_generation(ix) / COLUMNS).glob(".tmp-*"))


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_damaged_columns_fall_back_to_whoosh_and_update_repairs(tiny_copy, damage):
    corpus, ix, _n = tiny_copy
    with SearchEngine(ix, exec_mode="whoosh") as engine:
        expected = _answers(engine)
    damage(ix)
    with SearchEngine(ix, exec_mode="fast") as engine:
        assert _answers(engine) == expected
        assert engine.last_path == "whoosh"
        assert engine.fast_unavailable  # the reason, as data
    build_index([corpus], ix)  # nothing changed in the corpus: only the repair
    with SearchEngine(ix, exec_mode="fast") as engine:
        assert _answers(engine) == expected
        assert engine.last_path == "fast" and engine.fast_unavailable is None


def test_incremental_update_writes_only_the_new_segment(tiny, tmp_path):
    # A private copy of the tiny corpus and its own index: the shared corpus is read by other tests
    # at the same time (other workers), so it is never changed, not even for a moment.
    corpus, _ix, _n = tiny
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    ix = tmp_path / "ix"
    build_index([work], ix)
    before = {d.name: d.stat().st_mtime_ns for d in _segment_dirs(ix)}
    victim = sorted((work / "seeds").rglob("*.txt"))[0]
    victim.write_text(victim.read_text(encoding="utf-8") + "\nEn ny mening om vätgas.\n", encoding="utf-8")
    build_index([work], ix)
    _check_incremental(ix, before)


def _check_incremental(ix: Path, before: dict) -> None:
    after = {d.name: d.stat().st_mtime_ns for d in _segment_dirs(ix)}
    assert len(after) >= 1 and set(after) != set(before) or after != before
    with SearchEngine(ix, exec_mode="fast") as fast, SearchEngine(ix, exec_mode="whoosh") as slow:
        assert _answers(fast) == _answers(slow)
        assert fast.search("vätgas").total == slow.search("vätgas").total >= 1
        assert fast.last_path == "fast"
    for name, mtime in before.items():  # surviving segments kept their files
        if name in after:
            assert after[name] == mtime
