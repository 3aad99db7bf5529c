"""The cold one-shot query's opening path and the one-file update (issue 15): the stale check from
the recorded directories' times, and the corpus scan's view of changed, added and removed files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import esfsearch.index as I
from esfsearch.index import build_index, current_generation, is_stale, read_meta

TEXTS = {
    "kiruna.md": "# Gruvskolan i Kiruna\n\nUtbildning för gruvarbetare och maskinförare i Kiruna.\n",
    "ystad.md": "# Språkstöd i Ystad\n\nSpråkstöd och arbetsmarknadsutbildning för nyanlända i Ystad.\n",
}


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path]:
    """(corpus with a subdirectory, index built from it, not stale)."""
    corpus = tmp_path / "corpus"
    (corpus / "norr").mkdir(parents=True)
    (corpus / "kiruna.md").write_text(TEXTS["kiruna.md"], encoding="utf-8")
    (corpus / "norr" / "ystad.md").write_text(TEXTS["ystad.md"], encoding="utf-8")
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    assert not is_stale(ix)
    time.sleep(0.02)  # past the file system clock's tick: a change now gets another mtime
    return corpus, ix


def test_stale_check_does_not_walk_the_corpus(built, monkeypatch):
    _corpus, ix = built

    def no_walk(*args, **kwargs):
        raise AssertionError("the stale check walked the corpus")

    monkeypatch.setattr(I, "corpus_fingerprint", no_walk)
    monkeypatch.setattr(os, "walk", no_walk)
    assert not is_stale(ix)


@pytest.mark.parametrize(
    "change",
    ["add", "add_in_subdir", "remove", "replace_by_rename", "new_subdir", "remove_subdir"],
)
def test_stale_check_notices_files_and_directories_that_come_and_go(built, change):
    corpus, ix = built
    if change == "add":
        (corpus / "umea.md").write_text("# Kompetenslyft Umeå\n\nVård.\n", encoding="utf-8")
    elif change == "add_in_subdir":
        (corpus / "norr" / "umea.md").write_text("# Kompetenslyft Umeå\n\nVård.\n", encoding="utf-8")
    elif change == "remove":
        (corpus / "kiruna.md").unlink()
    elif change == "replace_by_rename":  # how most editors save a file
        tmp = corpus / "norr" / ".ystad.md.swp"
        tmp.write_text(TEXTS["ystad.md"] + "Ny mening.\n", encoding="utf-8")
        os.replace(tmp, corpus / "norr" / "ystad.md")
    elif change == "new_subdir":
        (corpus / "syd").mkdir()
    else:
        (corpus / "norr" / "ystad.md").unlink()
        (corpus / "norr").rmdir()
    assert is_stale(ix)
    build_index([corpus], ix)  # the update records the corpus as it is now
    assert not is_stale(ix)


def test_stale_check_notices_a_corpus_that_was_missing_at_build_time(tmp_path):
    corpus, other = tmp_path / "corpus", tmp_path / "later"
    corpus.mkdir()
    (corpus / "kiruna.md").write_text(TEXTS["kiruna.md"], encoding="utf-8")
    ix = tmp_path / "ix"
    build_index([corpus, other], ix)
    assert not is_stale(ix)
    other.mkdir()
    (other / "ystad.md").write_text(TEXTS["ystad.md"], encoding="utf-8")
    assert is_stale(ix)


def test_stale_check_survives_damaged_metadata(built):
    _corpus, ix = built
    gen = current_generation(ix)
    assert gen is not None
    meta = dict(read_meta(gen))
    for damaged in ({"fingerprint": ["x"]}, {"corpus": [3]}, {"fingerprint": {"/nonexistent/x": 1}}):
        (gen / "meta.json").write_text(json.dumps(dict(meta, **damaged)), encoding="utf-8")
        assert is_stale(ix) is True


def test_numpy_is_imported_without_its_docstring_modules_and_works():
    """`cli.stand_ins` stands in for numpy's two docstring modules: numpy and the vectorised path
    work, and any name of the stand-in imports the real module in its place."""
    code = """
import sys
from esfsearch.cli import stand_ins
stand_ins()
import numpy as np
from esfsearch.fastpath import top_by_score
docs = sys.modules['numpy._core._add_newdocs']
assert type(docs).__name__ == '_StandIn', type(docs)
docs_, scores = top_by_score(np.array([True, False, True]), np.array([1.0, 5.0, 2.0]), 2)
print(list(map(int, docs_)), float(np.arange(4).sum()))
assert docs.add_newdoc  # a name of the real module: imported now, in the stand-in's place
assert type(sys.modules['numpy._core._add_newdocs']).__name__ == 'module'
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[2,", "0]", "6.0"]


def test_no_stand_ins_once_numpy_is_imported():
    code = """
import sys, numpy
from esfsearch.cli import stand_ins
stand_ins()
assert type(sys.modules['numpy._core._add_newdocs']).__name__ == 'module'
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_whoosh_stand_ins_call_the_real_functions(tmp_path):
    """The stand-ins' functions (`urlretrieve`, `variations`) call the real modules' and leave
    them in the stand-ins' place; Whoosh's Variations query works."""
    source = tmp_path / "a.txt"
    source.write_text("hej", encoding="utf-8")
    code = f"""
import sys
from esfsearch.cli import stand_ins
stand_ins()
import whoosh.query, urllib.request
assert type(sys.modules['whoosh.lang.morph_en']).__name__ == '_StandIn'
urllib.request.urlretrieve({source.as_uri()!r}, {str(tmp_path / "b.txt")!r})
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage
ix = RamStorage().create_index(Schema(body=TEXT))
with ix.writer() as w:
    w.add_document(body='rendering')
with ix.searcher() as s:
    print(len(s.search(whoosh.query.Variations('body', 'render'))))
print(sorted(type(sys.modules[m]).__name__ for m in ('urllib.request', 'whoosh.lang.morph_en')))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["1", "['module', 'module']"]
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "hej"


def test_an_update_records_the_directories_its_scan_listed(built, monkeypatch):
    """The incremental update takes the corpus fingerprint from its own scan (no second walk): the
    same directories and mtimes as a walk finds, hidden ones left out."""
    corpus, ix = built
    (corpus / ".git").mkdir()
    (corpus / "syd").mkdir()
    (corpus / "syd" / "umea.md").write_text("# Kompetenslyft Umeå\n\nVård.\n", encoding="utf-8")
    walked = I.corpus_fingerprint([corpus])

    def no_walk(*args, **kwargs):
        raise AssertionError("the update walked the corpus again")

    monkeypatch.setattr(I, "corpus_fingerprint", no_walk)
    summary = build_index([corpus], ix)
    assert (summary.rebuilt, summary.files_added) == (False, 1)
    gen = current_generation(ix)
    assert gen is not None
    assert read_meta(gen)["fingerprint"] == walked
    assert len(walked) == 3 and not any(".git" in path for path in walked)
    assert not is_stale(ix)
