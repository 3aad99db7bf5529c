"""Equal scores in a stable order (issue 15): records of equal score, or equal sort value, are listed
in the order of their record keys on both execution paths, so two builds of one corpus that number
the documents differently (a rebuild, and a build that added some folders in a later update) give
the same pages, ids in order."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from once import built_once

from esfsearch.fastpath import sorted_by_column, top_by_score
from esfsearch.index import build_index
from esfsearch.search import SCORE_TIE, SearchEngine

ROOT = Path(__file__).resolve().parents[1]
# The folders the second build adds in an update, after the others (a second, smaller segment). A
# prefix, wildcard or fuzzy term is expanded once over the whole index and scored as the sum of its
# expansions' BM25F scores on both paths, so its scores do not depend on the segments (Whoosh's own
# per-segment rule scored 'kompetens*' 7.7 for a record in one build and 3.0 in the other:
# tests/test_multiterm_scores.py, on these two builds).
LATER = ("esfplus", "json", "markdown")
# (query, search options): prefixes (ranked by their expansions' scores), a NOT (every hit 1.0),
# words, a filter alone (newest first), and the sorts by a field: equal values are common
QUERIES = [
    ("innova*", {}),
    ("innova*", {"page": 3}),
    ("utv*", {"page": 2, "limit": 25}),
    ("NOT skola", {"page": 4}),
    ("fond:esf", {"limit": 50}),
    ("kompetensutveckling", {}),
    ("", {}),
    ("", {"sort": "budget", "page": 2}),
    ("utv*", {"sort": "start"}),
    ("projekt", {"sort": "end", "page": 3}),
    ("unga", {"sort": "start-asc", "limit": 30}),
    ("innova* fond:esf", {"page": 2}),
]


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path]:
    """(one rebuild, a rebuild without LATER and then an update adding them) of one generated corpus,
    built once per run (tests/once.py) whichever workers run these tests; read, never changed."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.corpus import generate

    def build(root: Path) -> None:
        corpus = root / "c"
        generate(300, corpus, seed=5)
        build_index([corpus], root / "one", rebuild=True, procs=1)
        aside = root / "aside"
        aside.mkdir()
        for name in LATER:
            (corpus / name).rename(aside / name)
        build_index([corpus], root / "two", rebuild=True, procs=1)
        for name in LATER:
            (aside / name).rename(corpus / name)
        build_index([corpus], root / "two", procs=1)

    root = built_once(tmp_path_factory, "ties", build)
    return root / "one", root / "two"


def _pages(ix: Path, mode: str) -> tuple[dict, list[bytes]]:
    """Each query's (total, page ids, rounded scores), and the record keys by document number."""
    with SearchEngine(ix, exec_mode=mode) as engine:
        out = {}
        for text, options in QUERIES:
            result = engine.search(text, snippets=False, **options)
            assert engine.last_path == mode
            out[text, tuple(sorted(options.items()))] = (
                result.total,
                [h.key for h in result.hits],
                [round(h.score, 6) for h in result.hits],
            )
        return out, engine._record_keys()


@pytest.mark.slow
def test_two_builds_give_the_same_pages_on_both_paths(two_builds):
    one, two = two_builds
    answers = {}
    for ix in (one, two):
        for mode in ("fast", "whoosh"):
            answers[ix, mode], keys = _pages(ix, mode)
        answers[ix, "keys"] = keys
    # the builds number the records differently, and the records are the same
    assert answers[one, "keys"] != answers[two, "keys"]
    assert sorted(answers[one, "keys"]) == sorted(answers[two, "keys"])
    reference = answers[one, "fast"]
    assert all(len(ids) == min(total, 10) or ids for total, ids, _s in reference.values())
    tied = [q for q, (_t, _ids, scores) in reference.items() if len(set(scores)) < len(scores)]
    assert len(tied) >= len(QUERIES) // 2  # the pages really hold ties
    for ix in (one, two):
        for mode in ("fast", "whoosh"):
            assert answers[ix, mode] == reference, (ix.name, mode)


@pytest.mark.slow
def test_similar_projects_in_the_same_order_on_both_builds_and_paths(two_builds):
    """`similar` lists equal scores by record key too (it listed them by document number: one of these
    40 sources got another page from the second build)."""
    answers = {}
    for ix in two_builds:
        for mode in ("fast", "whoosh"):
            with SearchEngine(ix, exec_mode=mode) as engine:
                sources = [h.id for h in engine.search("", snippets=False, limit=40).hits]
                pages = [engine.similar(source) for source in sources]
                answers[ix, mode] = [
                    ([h.key for h in p.hits], [round(h.score, 6) for h in p.hits]) for p in pages
                ]
    reference = answers[two_builds[0], "fast"]
    assert sum(len(set(scores)) < len(scores) for _ids, scores in reference) >= 2  # ties on the pages
    assert all(len(ids) == 10 for ids, _scores in reference)
    for key, got in answers.items():
        assert got == reference, key


@pytest.mark.slow
def test_a_tie_at_the_page_end_is_ordered_over_all_its_records(two_builds):
    """The page after a tie's first part continues in key order (every hit of `NOT skola` is tied)."""
    one, _two = two_builds
    for mode in ("fast", "whoosh"):
        with SearchEngine(one, exec_mode=mode) as engine:
            every = [h.key for h in engine.search("NOT skola", snippets=False, limit=1000).hits]
            assert every == sorted(every)
            pages = [engine.search("NOT skola", snippets=False, limit=7, page=p).hits for p in (1, 2, 3)]
            assert [h.key for page in pages for h in page] == every[:21]
            exported = [h.key for h in engine.iter_hits("NOT skola")]
            assert exported == every


def test_near_ties_are_ties_and_chain():
    """Scores within SCORE_TIE of the next are one tie, ordered by rank (not by score or number)."""
    scores = np.array([5.0, 2.0, 2.0 + 0.6 * SCORE_TIE, 2.0 + 1.2 * SCORE_TIE, 2.0 - 3 * SCORE_TIE, 1.0])
    match = np.ones(len(scores), dtype=bool)
    ranks = np.array([5, 2, 0, 3, 4, 1])  # key order: 2, 5, 1, 3, 4, 0
    asked = []

    def rank_of(docs):
        asked.append(docs.tolist())
        return ranks[docs]

    for k in (None, 1, 2, 3, 4, 5):
        docs, got = top_by_score(match, scores, k, rank_of, SCORE_TIE)
        assert docs.tolist() == [0, 2, 1, 3, 4, 5][:k]
        assert got.tolist() == scores[docs].tolist()
    asked.clear()
    top_by_score(match, scores, 1, rank_of, SCORE_TIE)
    assert not asked  # no tie among the first k: no key is read
    top_by_score(match, scores, 2, rank_of, SCORE_TIE)
    assert asked == [[3, 2, 1]]  # only the tied records' keys
    # exact equality only without a tolerance, document numbers without ranks
    assert top_by_score(match, scores, None)[0].tolist() == [0, 3, 2, 1, 4, 5]
    assert top_by_score(match, scores, None, None, SCORE_TIE)[0].tolist() == [0, 1, 2, 3, 4, 5]


def test_equal_sort_values_in_rank_order():
    raw = np.array([3, 1, 3, 2, 3], dtype=np.uint64)
    match = np.array([True, True, True, True, False])
    ranks = np.array([2, 0, 1, 3, 4])
    assert sorted_by_column(match, raw, False, None, lambda docs: ranks[docs]).tolist() == [1, 3, 2, 0]
    assert sorted_by_column(match, raw, True, 2, lambda docs: ranks[docs]).tolist() == [2, 0]
    assert sorted_by_column(match, raw, True, 1, lambda docs: ranks[docs]).tolist() == [2]
    assert sorted_by_column(match, raw, False, 1, lambda docs: 1 / 0).tolist() == [1]  # no tie: no key
    assert sorted_by_column(match, raw, True, None).tolist() == [0, 2, 3, 1]


def test_record_keys_are_the_index_keys(tmp_path):
    """_record_keys gives each live document its stored key, also after an update re-indexed a
    file (its old document deleted: the key is in two segments)."""
    corpus = tmp_path / "c"
    shutil.copytree(ROOT / "corpus" / "seeds", corpus)
    build_index([corpus], tmp_path / "ix", rebuild=True, procs=1)
    changed = sorted(corpus.iterdir())[0]
    changed.write_bytes(changed.read_bytes() + "\nProjektet har även en ny insats för unga.\n".encode())
    build_index([corpus], tmp_path / "ix", procs=1)
    with SearchEngine(tmp_path / "ix", exec_mode="whoosh") as engine:
        reader = engine._searcher.reader()
        assert reader.has_deletions()
        keys = engine._record_keys()
        live = list(reader.all_doc_ids())
        assert len(live) == 5
        for docnum in live:
            assert keys[docnum].decode() == engine._searcher.stored_fields(docnum)["key"]
    with SearchEngine(tmp_path / "ix", exec_mode="fast") as engine:
        fx = engine._fast().fx
        assert [fx.record_keys()[d].decode() for d in live] == [
            engine._searcher.stored_fields(d)["key"] for d in live
        ]
        ranks = fx.key_ranks()
        assert sorted(live, key=lambda d: ranks[d]) == sorted(live, key=lambda d: keys[d])


def test_ties_ordered_from_columns_without_keys_as_from_the_stored_keys(two_builds, monkeypatch):
    """Columns written before the key postings were kept (no `key.terms`): the engine reads the tied
    records' keys from their stored fields, and the pages are the same."""
    from esfsearch.columns import SegmentColumns

    one, _two = two_builds
    with_keys, _ = _pages(one, "fast")
    real_has = SegmentColumns.has
    monkeypatch.setattr(
        SegmentColumns, "has", lambda self, name: name != "key.terms" and real_has(self, name)
    )
    without, _ = _pages(one, "fast")
    assert without == with_keys
