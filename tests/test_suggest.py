"""'Did you mean': SearchEngine.suggest offers the word Whoosh's spelling corrector offers, without
comparing the query word with every word of the index (bench/README.md, TUI latency)."""

from __future__ import annotations

import random
from pathlib import Path

from whoosh.reading import IndexReader
from whoosh.spelling import ReaderCorrector

from esfsearch.compounds import default_splitter
from esfsearch.querylang import QueryInfo
from esfsearch.search import SearchEngine

LETTERS = "abcdefghijklmnopqrstuvwxyzåäö"


class EveryWord:
    """A reader whose terms_within is Whoosh's own over every word (as on an index of several
    segments): Damerau-Levenshtein, a swap of neighbours one edit. A single segment's reader uses a
    Levenshtein automaton instead, which counts a swap as two."""

    def __init__(self, reader) -> None:
        self._reader = reader

    def __getattr__(self, name: str):
        return getattr(self._reader, name)

    def terms_within(self, fieldname, text, maxdist, prefix=0):
        return IndexReader.terms_within(self, fieldname, text, maxdist, prefix)


def whoosh_choice(engine: SearchEngine, word: str) -> str | None:
    reader = EveryWord(engine._searcher.reader())
    found = ReaderCorrector(reader, "spell", reader.schema["spell"]).suggest(word, limit=1, maxdist=2)
    return found[0] if found else None


def mangled(words: list[str], n: int, seed: int) -> list[str]:
    """Typing mistakes: one to three letters inserted, dropped, changed or swapped."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        w = list(rng.choice(words))
        for _ in range(rng.choice((1, 2, 2, 3))):
            i = rng.randrange(len(w))
            op = rng.choice("idst")
            if op == "i":
                w.insert(i, rng.choice(LETTERS))
            elif op == "d" and len(w) > 2:
                del w[i]
            elif op == "s":
                w[i] = rng.choice(LETTERS)
            elif op == "t" and i + 1 < len(w):
                w[i], w[i + 1] = w[i + 1], w[i]
        out.append("".join(w))
    return out


def test_suggest_picks_what_whoosh_picks(shipped_index: Path) -> None:
    with SearchEngine(shipped_index) as engine:
        vocabulary = [t.decode() for t in engine._searcher.lexicon("spell")]
        words = [w for w in vocabulary if w.isalpha() and len(w) >= 4]
        typed = mangled(words, 8, seed=15) + ["kompetensförsörjnig", "bredbnd", "utvecklnigsresultta", "xq"]
        typed = [w for w in typed if engine._searcher.frequency("spell", w) == 0]
        assert len(typed) >= 8
        expected = {word: whoosh_choice(engine, word) for word in typed}
        for vectorised in (True, False):  # numpy's filter, and a small vocabulary's without numpy
            engine._spelling_words(vectorised)
            assert {word: engine._near_word(word) for word in typed} == expected


def test_suggest_replaces_only_unknown_words(shipped_index: Path) -> None:
    with SearchEngine(shipped_index) as engine:
        assert engine.suggest(QueryInfo(text="", words=["kompetensförsörjnig"])) == "kompetensförsörjning"
        assert engine.suggest(QueryInfo(text="", words=["unga", "bredbnd"])) == "unga bredband"
        # a swap is one edit, as in Whoosh's corrector over several segments
        assert engine.suggest(QueryInfo(text="", words=["utvecklnigsresultta"])) == "utvecklingsresultat"
        assert engine.suggest(QueryInfo(text="", words=["unga"])) is None  # nothing to correct
        assert engine.suggest(QueryInfo(text="", words=["zzqqxxvvkk"])) is None  # nothing near
        assert engine.suggest(QueryInfo(text="", words=["a" * 41])) is None  # no real word
        assert engine.search("kompetensförsörjnig").suggestion == "kompetensförsörjning"


def test_prepare_reads_ahead(shipped_index: Path, monkeypatch) -> None:
    from esfsearch import expansion, querylang

    monkeypatch.setattr(querylang, "_PARSER", None)  # as in a new process
    expansion.associations.cache_clear()
    with SearchEngine(shipped_index) as engine:
        engine.prepare()
        assert default_splitter.cache_info().currsize == 1
        # what the first word query of a session builds once (the TUI's first query starts with
        # the empty one, which needs none of it)
        assert querylang._PARSER is not None
        assert expansion.associations.cache_info().currsize == 1
        vocabulary = engine._spelling_words()
        assert engine._spelling_words() is vocabulary  # read once per searcher
        assert "kompetensförsörjning" in vocabulary[0]
        assert engine.search("kompetensförsörjnig").suggestion == "kompetensförsörjning"
