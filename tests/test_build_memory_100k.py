"""A large build's memory bound (issue 15, 100 000 records): each forked writer process finishes a
segment every `fast_writing.SEGMENT_DOCS` documents, so its flush holds at most that many. Here the
bound is made small so that the shipped corpus is written in several segments a process; the index
must answer as a one-process build's does. Memory figures are measured in bench/ (peak_rss.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from esfsearch import analysis, fast_writing
from esfsearch.columns import COLUMNS, check_segment, leaf_readers, required_arrays, segment_id
from esfsearch.index import build_index, current_generation, open_whoosh
from esfsearch.search import SearchEngine

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUERIES = ["kompetensförsörjning", "utbildning", '"övre norrland"', "innova*", "arbetsmarknad -skola"]


def _segments(root: Path) -> list[tuple[str, int]]:
    """(segment id, documents) of the live generation, each with complete columnar files."""
    gen = current_generation(root)
    ix = open_whoosh(gen)
    try:
        with ix.reader() as reader:
            segs = [(segment_id(s), s.doc_count_all()) for s, _offset in leaf_readers(reader)]
            for sid, ndocs in segs:
                check_segment(gen / COLUMNS / sid, ndocs, required_arrays(ix.schema))
            return segs
    finally:
        ix.close()


def _answers(root: Path) -> dict[str, tuple[int, list[tuple[str, float]]]]:
    """Each query's total and top 50 in order, with scores: records of equal score are listed in
    record-key order (search.SCORE_TIE), whichever writer process took them (ordered by document
    number, a top 50 of 110 `innova*` hits, most with equal scores, differed one run in two)."""
    with SearchEngine(root) as engine:
        out = {}
        for q in QUERIES:
            result = engine.search(q, limit=50, snippets=False)
            out[q] = (result.total, [(h.key, round(h.score, 4)) for h in result.hits])
        return out


@pytest.mark.slow
def test_writer_processes_write_bounded_segments_that_answer_the_same(shipped_index, tmp_path, monkeypatch):
    # The one-process build of the same files: the run's shared index of the shipped corpus
    # (tests/conftest.py: fewer than 5000 records, built by one process), read only. Both read the
    # repository's corpus in place (only read): records without an id are keyed by their file's path.
    monkeypatch.setattr(fast_writing, "SEGMENT_DOCS", 40)
    summary = build_index([CORPUS], tmp_path / "two", rebuild=True, procs=2)
    segs = _segments(tmp_path / "two")
    assert summary.records == sum(n for _sid, n in segs) > 200
    assert len(segs) >= 3  # more segments than processes, none empty
    assert all(n > 0 for _sid, n in segs)
    # each segment's documents are bounded by SEGMENT_DOCS plus one job file of the parent's (100)
    assert max(n for _sid, n in segs) < 40 + 100
    assert _answers(tmp_path / "two") == _answers(shipped_index)
    gen = current_generation(tmp_path / "two")
    assert (gen / analysis.SUBWORD_TABLE).exists() and not list(gen.glob(".subwords-*.part"))


def test_a_build_below_the_bound_keeps_one_segment_a_process(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    build_index([corpus], tmp_path / "ix", rebuild=True, procs=2)
    assert 1 <= len(_segments(tmp_path / "ix")) <= 2
