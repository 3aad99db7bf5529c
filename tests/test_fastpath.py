"""Identical answers: every query of the benchmark's mix (on a generated corpus) and of the judged
set (on the shipped corpus) gives the same totals, facet counts, pages and scores on the
vectorised path (fastpath.py) as on Whoosh's matchers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from samepath import differences, outcome, phrase_mix, whoosh_reference  # noqa: E402

from bench.run import query_mix  # noqa: E402
from esfsearch.ingest import ingest  # noqa: E402
from esfsearch.search import SearchEngine  # noqa: E402

VARIANTS = ({}, {"sort": "budget"}, {"sort": "start-asc", "limit": 5, "page": 3})
EXTRA = [
    "innova*",
    "sol*",
    "ut*",
    '"digital kompetens"',
    'kompetens region:"övre norrland"',
    "x -fond:esf",
    "unga år:2016..2018",
    "budget:>5m",
    "stöd:1m..3m",
    "kompetensforsörjning~1",
    "NOT skola",
    "skola AND NOT arbete",
    "",
    "*",
    "integration -region:stockholm",
    "fond:eruf",
    "innov?tion",
    "start:2017 kommun:Umeå",
    "deltagare:>100 unga",
    "medfinansiering:>=50 energi",
    "fas:avslutat",
    '"små och medelstora företag"',
    '"hållbar utveckling" region:"övre norrland"',
    'projekt -"hållbar utveckling"',
    'NOT "digital kompetens"',
    '"utveckling utveckling"',
    '"kompetens kompetens kompetens"',
    '"inom ramen för projektet"',
    "hållbar utveckling i regionen",
]


def _compare(engines: tuple[SearchEngine, SearchEngine], text: str, **kwargs) -> list[str]:
    fast, slow = engines
    a = outcome(fast, text, **kwargs)
    found = differences(a, outcome(slow, text, **kwargs))
    if found:  # judge the page against Whoosh's complete ranking (see whoosh_reference)
        found = differences(a, whoosh_reference(slow, text, **kwargs))
    return [f"{text!r} {kwargs}: {d}" for d in found]


@pytest.fixture(scope="module")
def generated(big) -> tuple[Path, Path]:
    """The session's generated corpus (tests/conftest.py `big`), indexed in two commits: several
    segments, one with deleted documents. Read, never changed."""
    corpus, ix, _n = big
    return corpus, ix


@pytest.fixture(scope="module")
def generated_records(generated) -> list:
    """The generated corpus's records, read once for the module (the query mixes are drawn from them)."""
    return ingest([generated[0]]).records


def _variant(n: int) -> dict:
    """The n-th query's sort variant beside its default (relevance) run: the two variants take
    turns, so each is compared on half the queries instead of every query running all three."""
    return VARIANTS[1 + n % 2]


@pytest.fixture(scope="module")
def shipped(shipped_index) -> Path:
    """The session's index of the shipped corpus (tests/conftest.py): read, never changed."""
    return shipped_index


def _engines(ix: Path) -> tuple[SearchEngine, SearchEngine]:
    return SearchEngine(ix, exec_mode="fast"), SearchEngine(ix, exec_mode="whoosh")


@pytest.mark.slow
def test_benchmark_mix_same_answers(generated, generated_records):
    """All 200 queries on the relevance order (facets on a fifth and on the mix's facet queries);
    every fifth query on a sort variant too, the two variants taking turns (`_variant`)."""
    _corpus, ix = generated
    engines = _engines(ix)
    assert len(engines[0]._searcher.reader().leaf_readers()) > 1  # several segments
    assert engines[0]._searcher.reader().has_deletions()
    queries = query_mix(generated_records, 200, seed=1)
    problems, fast = [], 0
    for n, q in enumerate(queries):
        problems += _compare(engines, q["text"], facets=q["facets"] or n % 5 == 0)
        fast += engines[0].last_path == "fast"
        if n % 5 == 0:  # 40 queries on a sort variant too, 20 on each (was 20 queries on both)
            problems += _compare(engines, q["text"], **_variant(n // 5))
    assert engines[0].fast_unavailable is None
    assert not problems, "\n".join(problems[:20])
    assert fast >= 0.9 * len(queries)  # the common shapes do run vectorised


@pytest.mark.slow
def test_extra_shapes_same_answers(generated):
    """Each shape on the relevance order with facets, and on one of the two sort variants (they take
    turns: `_variant`); a variant changes only the page's order, the scoring is the relevance run's."""
    _corpus, ix = generated
    engines = _engines(ix)
    problems = []
    for n, text in enumerate(EXTRA):
        for kwargs in ({"facets": True}, _variant(n)):
            problems += _compare(engines, text, **kwargs)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.slow
def test_phrases_and_proximity_same_answers(generated, generated_records, shipped):
    """Phrases (stopwords inside, 3-4 words, a repeated word, title words, with filters, negated) and
    the proximity clause, on both corpora: verified from the columnar positions on the fast path,
    by Whoosh's span matchers on the other."""
    problems, fast, matched, total = [], 0, 0, 0
    for records, ix in ((generated_records, generated[1]), (ingest([ROOT / "corpus"]).records, shipped)):
        engines = _engines(ix)
        queries = phrase_mix(records, seed=2)
        assert len(queries) >= 40
        for n, text in enumerate(queries):
            for kwargs in ({"facets": n % 3 == 0},) + (VARIANTS[1:] if n % 4 == 0 else ()):
                problems += _compare(engines, text, **kwargs)
                fast += engines[0].last_path == "fast"
                matched += bool(engines[0].search(text, snippets=False).total)
                total += 1
        assert engines[0].fast_unavailable is None
    assert not problems, "\n".join(problems[:20])
    assert fast == total  # no phrase falls back to Whoosh
    assert matched >= 0.8 * total  # the mix mostly finds records, so positions are really compared


def test_columnar_positions_are_whoosh_positions(generated):
    """Every positioned field's columnar positions, for a spread of terms, are what Whoosh's
    postings decode to (columns._decode_batch reads many values with one pickle.loads)."""
    import numpy as np

    from esfsearch.columns import COLUMNS, SegmentColumns, segment_id
    from esfsearch.index import current_generation

    _corpus, ix = generated
    engine = SearchEngine(ix, exec_mode="whoosh")
    checked = 0
    for segreader, _offset in engine._searcher.reader().leaf_readers():
        cols = SegmentColumns(
            current_generation(ix) / COLUMNS / segment_id(segreader), segreader.doc_count_all()
        )
        for field in ("title", "body", "folded", "region"):
            terms, offs = cols.array(f"{field}.terms"), cols.array(f"{field}.offs")
            counts, ptoffs, pos = (cols.array(f"{field}.{k}") for k in ("pcnt", "ptoffs", "pos"))
            ids = cols.array(f"{field}.ids")
            for i in range(0, len(terms), max(1, len(terms) // 150)):
                runs, start = {}, int(ptoffs[i])
                for j in range(int(offs[i]), int(offs[i + 1])):
                    n = int(counts[j])
                    runs[int(ids[j])] = pos[start : start + n].tolist()
                    start += n
                assert start == ptoffs[i + 1]
                m = segreader.postings(field, bytes(terms[i]))  # deleted documents left out
                while m.is_active():
                    assert runs[m.id()] == m.value_as("positions")
                    checked += 1
                    m.next()
    assert checked > 1000 and np.dtype(pos.dtype).itemsize <= 4


@pytest.mark.slow
def test_judged_queries_same_answers(shipped):
    """Every judged query on the relevance order with facets, and on one of the two sort variants
    (they take turns: `_variant`, 45 queries each)."""
    engines = _engines(shipped)
    problems = []
    for n, q in enumerate(json.loads((ROOT / "eval" / "queries.json").read_text(encoding="utf-8"))):
        for kwargs in ({"facets": True}, _variant(n)):
            problems += _compare(engines, q["text"], **kwargs)
    assert engines[0].fast_unavailable is None
    assert not problems, "\n".join(problems[:20])


def test_count_and_iter_hits_agree(generated):
    _corpus, ix = generated
    fast, slow = _engines(ix)
    for text in ("utveckling", "innova* fond:esf", 'region:"övre norrland"', "", "budget:>1m projekt"):
        assert fast.count(text) == slow.count(text)
        for sort in ("relevance", "end"):
            a = [(h.key, round(h.score, 6)) for h in fast.iter_hits(text, sort=sort)]
            b = [(h.key, round(h.score, 6)) for h in slow.iter_hits(text, sort=sort)]
            assert [k for k, _ in a] == [k for k, _ in b] or sorted(a) == sorted(b)
            assert sorted(s for _, s in a) == sorted(s for _, s in b)
    assert fast.stats()["funds"] == slow.stats()["funds"]
    for hit in fast.search("utveckling", limit=3).hits:
        a, b = fast.similar(hit.id), slow.similar(hit.id)
        same = [
            {
                "total": r.total,
                "facets": {},
                "ids": [h.key for h in r.hits],
                "scores": [h.score for h in r.hits],
            }
            for r in (a, b)
        ]
        assert not differences(*same)


def test_a_search_reuses_only_its_own_subtrees(shipped):
    """The executor keeps one search's subtree and term results (Executor.begin): an engine that ran
    other queries first answers exactly as a new one, its kept arrays cannot be changed by a caller,
    and the snippets (a query's words remembered over its hits) are make_snippet's own."""
    from esfsearch.snippets import make_snippet

    texts = [
        "kompetensförsörjning",
        'digital kompetens region:"övre norrland"',
        "innova*",
        '"hållbar utveckling"',
    ]
    used = SearchEngine(shipped, exec_mode="fast")
    for text in texts[::-1]:
        used.search(text, facets=True)
    for text in texts:
        fresh = SearchEngine(shipped, exec_mode="fast")
        assert not differences(outcome(used, text, facets=True), outcome(fresh, text, facets=True)), text
        fresh.close()
        assert used.last_path == "fast"
    kept = used._executor._nodes.values()
    assert kept and all(not m.flags.writeable for _q, m, _s in kept)
    result = used.search("kompetensförsörjning utveckling", limit=10)
    for hit in result.hits:
        plain = make_snippet(
            hit.record.full_text or hit.record.title,
            result.info.stems,
            result.info.folded_stems,
            width=used.snippet_width,
            fragments=used.snippet_fragments,
        )
        assert hit.snippet is not None and hit.snippet.segments == plain.segments
    used.close()
