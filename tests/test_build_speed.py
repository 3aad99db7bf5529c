"""The build's faster analysis gives the words and terms of the reference path: `_group_words` (a text's
words by position, without character offsets) groups exactly `_tokenise`'s words, and the analyzers'
`term_positions` (UTF-8 terms, memoised encoded) is what their token streams index."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from esfsearch import analysis
from esfsearch.analysis import SwedishAnalyzer
from esfsearch.schema import VALUE_SEP, ValueAnalyzer, WordsAnalyzer

SEEDS = Path(__file__).resolve().parent.parent / "corpus" / "seeds"

ODD = [
    "",
    "bl.a. T.ex. ESF-stöd 2014-2020 c++ a+ x.y.z: e-post: a.b@c.se m.fl. o.s.v.",
    "..a- a+-b+ -x- /y/ 12.5% 3:e +46 70-123 45 67",
    "İstanbul ΣΟΦΙΑ σοφία Straße",  # lower() changes the length / Greek capital sigma: the slow path
    "Cafe\u0301 ide\u0301 miljön\nÖvre Norrland\n\nkompetensförsörjning",
]


def _reference(text: str) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for pos, (word, _start, _end) in enumerate(analysis._tokenise(text)):
        grouped.setdefault(word, []).append(pos)
    return grouped


def test_group_words_are_tokenise_words_on_seed_texts():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    assert texts
    for text in texts + ODD:
        assert analysis._group_words(text) == _reference(text), text[:60]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aåäöÅÄÖbeé-/.:+ 19İΣσ\n_x")), max_size=40))
def test_group_words_are_tokenise_words_on_any_text(text):
    assert analysis._group_words(text) == _reference(text)


def _from_stream(analyzer, value: str) -> dict[bytes, list[int]]:
    out: dict[bytes, list[int]] = {}
    for token in analyzer(value, positions=True):
        out.setdefault(token.text.encode("utf-8"), []).append(token.pos)
    return {term: sorted(positions) for term, positions in out.items()}


def test_term_positions_are_the_token_stream_encoded():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))][:2] + ODD
    for mode in ("exact", "parts", "folded", "plain"):
        analyzer = SwedishAnalyzer(mode)
        for text in texts:
            # twice: the second answer comes from the memoised, encoded forms
            for _ in range(2):
                assert analyzer.term_positions(text) == _from_stream(analyzer, text), (mode, text[:60])
    value = f"Övre Norrland{VALUE_SEP}  {VALUE_SEP}Stockholm{VALUE_SEP}övre  norrland"
    for other in (ValueAnalyzer(), ValueAnalyzer(normalise=False), WordsAnalyzer()):
        assert other.term_positions(value) == _from_stream(other, value)
