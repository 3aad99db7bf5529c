"""The warm query's shortcuts give exactly what the long way gave: snippets located from the query
stems' occurrences mark the same words as tokenising the whole text; a compound's terms added in place
and BM25F's length part worked out per field give the same arrays, bit for bit, as whole-index arrays
per term and the length part per posting."""

from __future__ import annotations

import json

import numpy as np
import pytest

from esfsearch import snippets
from esfsearch.analysis import default_stemmer, fold
from esfsearch.fastpath import Executor
from esfsearch.records import ProjectRecord
from esfsearch.search import SearchEngine

QUERIES = [
    "kompetensförsörjning",
    "kompetensforsorjning",  # accent-less: folded stems
    "integration nyanlända",
    "män kvinnor",  # a stem override whose stem is not a prefix of the word
    "jämställt",
    "utrikesfödda",
    '"hållbar utveckling"',
    "esf-stöd 2014-2020",
    "t.ex digitalisering",
    "sol*",
    "arbetsmarknad region:Sydsverige",
    "skola AND NOT arbete",
    "innovation",
    "ung",
]
TRICKY = [
    "ESF-stöd och ESF+-medel, t.ex. 2014-2020: män/kvinnor. Männen och utrikesfött folk.",
    "Kompetensförsörjningsbehov\tKOMPETENSFORSORJNING\nkompetens-\nförsörjning",
    "İstanbul Σίσυφος kompetensförsörjning",  # lower case changes offsets: the whole-text way
    "",
    "   ",
    "abc" * 40,
]


@pytest.fixture(scope="module")
def engine(shipped_index):
    with SearchEngine(shipped_index, exec_mode="fast") as eng:
        yield eng


def _texts(engine: SearchEngine) -> list[str]:
    reader = engine._searcher.reader()
    out = []
    for docnum in reader.all_doc_ids():
        record = ProjectRecord.from_dict(json.loads(engine._searcher.stored_fields(docnum)["record"]))
        out.append((record.full_text or record.title)[: snippets.SNIPPET_SCAN_CHARS])
    return out + TRICKY


def test_snippet_spans_as_tokenising_the_whole_text(engine):
    texts = _texts(engine)
    checked = 0
    for text in QUERIES:
        info = engine.understand(text)
        stems, folded = info.stems, info.folded_stems
        test = snippets._matcher(frozenset(stems), frozenset(folded))
        known: dict[str, bool] = {}
        for body in texts:
            expected = snippets._match_spans_all(body, test, {})
            assert snippets.match_spans(body, stems, folded, known) == expected, (text, body[:80])
            checked += bool(expected)
    assert checked > 100  # the queries do mark words in many texts


def test_snippet_spans_of_overrides_and_folded_forms():
    text = "Männen och kvinnorna; utrikesfött. Kompetensforsorjningen!"
    spans = snippets.match_spans(text, {"man", "utrikesföd"}, set())
    assert [text[s:e] for s, e in spans] == ["Männen", "utrikesfött"]
    spans = snippets.match_spans(text, {"kompetensförsörj"}, {"kompetensforsorj"})
    assert [text[s:e] for s, e in spans] == ["Kompetensforsorjningen"]


def test_fold_text_is_fold(engine):
    for body in _texts(engine)[:200]:
        assert snippets._fold_text(body) == fold(body)
        assert snippets._fold_text(body.lower()) == fold(body.lower())


def test_snippet_window_is_the_densest():
    """The window count by bisection picks what counting every later span picked."""
    text = " ".join(["alfa beta"] * 5 + ["gamma"] * 60 + ["alfa"] * 3 + ["delta"] * 30 + ["alfa alfa beta"])
    stems = {default_stemmer()(w) for w in ("alfa", "beta")}
    snip = snippets.make_snippet(text, stems, set(), width=60, fragments=2)
    assert snip.matched_words == ["alfa", "beta"]
    assert snip.text.startswith("alfa beta alfa beta")
    assert "gamma alfa alfa alfa delta" in snip.text  # the second densest place


def _dense_compound(self, q, scored, union):
    """Executor._compound as it was: every child's whole-index arrays, summed."""
    subs = q.subqueries
    if not subs:
        return self._empty(scored)
    if len(subs) == 1:
        return self._eval(subs[0], scored)
    match, scores = self._eval(subs[0], scored)
    match = match.copy()
    scores = scores.copy() if scored else None
    for sub in subs[1:]:
        m, s = self._eval(sub, scored)
        match = match | m if union else match & m
        if scored:
            scores += s
    if scored and not union:
        scores[~match] = 0.0
    if scored and q.boost != 1.0:
        scores *= q.boost
    return match, scores


def _bm25_per_posting(self, field, df, ids, weights):
    """Executor._bm25 as it was: the length part worked out for each posting."""
    fx = self.fx
    tf = weights.astype(np.float64)
    if not fx.schema[field].scorable:
        return tf
    idf, K1, B, avgfl = fx.idf(df), fx.K1, fx.B(field), fx.avgfl(field)
    fl = fx.lengths(field)[ids]
    return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))


def test_compound_sums_and_scores_bit_for_bit(engine, monkeypatch):
    """Term children added in place and the per-field length part give the arrays, bit for bit,
    of whole-index arrays per child and the length part per posting."""
    trees = []
    for text in QUERIES:
        direct, filters, info = engine._parse(text, None)
        if direct is not None:
            trees.append(engine._expanded(direct, filters, info))
    ex = engine._fast()
    assert ex is not None
    got = []
    for q in trees:
        for scored in (True, False):
            ex.begin()
            got.append(ex.run(q, scored))
    monkeypatch.setattr(Executor, "_compound", _dense_compound)
    monkeypatch.setattr(Executor, "_bm25", _bm25_per_posting)
    i = 0
    for q in trees:
        for scored in (True, False):
            ex.begin()
            match, scores = ex.run(q, scored)
            assert np.array_equal(match, got[i][0])
            if scored:
                assert scores.tobytes() == got[i][1].tobytes()
            i += 1
