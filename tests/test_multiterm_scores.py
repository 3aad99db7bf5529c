"""Prefix, wildcard and fuzzy terms score the same whatever the index's segments: each is expanded
once over the whole index's term dictionary and scored as the sum of its expansions' BM25F scores
(times its boost), on both execution paths (querylang.ExpandedTerms, fastpath.Executor._multiterm).
Whoosh's own MultiTerm.matcher scored segment by segment (one expansion: a Term; more than two in a
small segment: every match 1.0), so a record's score depended on how the index was built.

The data is test_tie_order's: one generated corpus built as one rebuild, and as a rebuild without
some folders followed by an update that adds them (a second, smaller segment)."""

from __future__ import annotations

import pytest
from test_tie_order import two_builds  # noqa: F401 - the fixture, built once per run

from esfsearch.querylang import ExpandedTerms, expand_multiterms
from esfsearch.search import SearchEngine

# prefixes (with many expansions, with few, with a word, a filter, an exclusion), a wildcard, fuzzy terms
QUERIES = [
    "innova*",
    "kompetens*",
    "utv*",
    "sol*",
    "ut*",
    "innov?tion",
    "kompetensforsörjning~1",
    "innovation~2",
    "digital* fond:esf",
    "utv* NOT skola",
    "sol* energi",
]
TOLERANCE = 1e-6


def _scores(ix, mode: str) -> dict[str, dict[bytes, float]]:
    """Every hit's score of each query, by record key."""
    out = {}
    with SearchEngine(ix, exec_mode=mode) as engine:
        for text in QUERIES:
            result = engine.search(text, snippets=False, limit=2000)
            assert engine.last_path == mode
            assert len(result.hits) == result.total + result.related
            out[text] = {h.key: h.score for h in result.hits}
    return out


@pytest.mark.slow
def test_the_same_scores_per_record_whatever_the_segments_on_both_paths(two_builds):  # noqa: F811
    one, two = two_builds
    with SearchEngine(one) as a, SearchEngine(two) as b:
        # the builds really are segmented differently
        assert len(list(a._searcher.reader().leaf_readers())) != len(
            list(b._searcher.reader().leaf_readers())
        )
    answers = {(ix.name, mode): _scores(ix, mode) for ix in (one, two) for mode in ("fast", "whoosh")}
    reference = answers["one", "fast"]
    for text in QUERIES:
        assert reference[text], text  # every query finds something
    # ranked by relevance, not tied (every hit of a small segment's prefix scored 1.0 per field: 3
    # distinct scores among the 203 hits of 'innova*' before)
    for text, scores in reference.items():
        assert len({round(s, 6) for s in scores.values()}) >= len(scores) / 2, text
    for key, got in answers.items():
        for text in QUERIES:
            assert got[text].keys() == reference[text].keys(), (key, text)
            worst = max(abs(got[text][k] - s) for k, s in reference[text].items())
            assert worst <= TOLERANCE, (key, text, worst)


@pytest.mark.slow
def test_a_prefix_is_the_sum_of_its_expansions_times_its_boost(two_builds):  # noqa: F811
    """A prefix's score is the score of the Or of its expansions' Terms (one expansion included: the
    boost applies to it too), on a multi-segment index, on both paths."""
    from whoosh import query as Q

    _one, two = two_builds
    reader_q = Q.Prefix("body", "innova", boost=1.5)
    for mode in ("fast", "whoosh"):
        with SearchEngine(two, exec_mode=mode) as engine:
            reader = engine._searcher.reader()
            expanded = expand_multiterms(reader_q, reader)
            assert isinstance(expanded, ExpandedTerms) and len(expanded.subqueries) > 2
            words = sorted(set(reader.expand_prefix("body", "innova")))
            assert [t.text for t in expanded.subqueries] == words
            # the sum, term by term, of each expansion's own score (Whoosh's Term matchers)
            want: dict[int, float] = {}
            for word in words:
                results = engine._searcher.search(Q.Term("body", word), limit=None)
                for hit in results:
                    want[hit.docnum] = want.get(hit.docnum, 0.0) + hit.score
            got = engine._fast_ranking(reader_q, [], "relevance", None)
            if got is None:  # the Whoosh path
                results, _timed_out = engine._run(reader_q, limit=None)
                got_scores = {hit.docnum: hit.score for hit in results}
            else:
                got_scores = {int(d): float(s) for d, s in zip(got[0], got[1], strict=True)}
            assert got_scores.keys() == want.keys()
            for doc, score in want.items():
                assert got_scores[doc] == pytest.approx(score * 1.5, abs=TOLERANCE)
            # one expansion: the Term's score times the boost (Whoosh's MultiTerm ignored the boost)
            solo = next(w for w in reversed(words) if list(reader.expand_prefix("body", w)) == [w])
            single = Q.Prefix("body", solo.decode("utf-8") if isinstance(solo, bytes) else solo, boost=2.0)
            one_word = engine._fast_ranking(single, [], "relevance", None)
            if one_word is None:
                results, _timed_out = engine._run(single, limit=None)
                one_scores = {hit.docnum: hit.score for hit in results}
            else:
                one_scores = {int(d): float(s) for d, s in zip(one_word[0], one_word[1], strict=True)}
            term = {h.docnum: h.score for h in engine._searcher.search(Q.Term("body", solo), limit=None)}
            assert term and one_scores.keys() == term.keys()
            for doc, score in term.items():
                assert one_scores[doc] == pytest.approx(2.0 * score, abs=TOLERANCE)
