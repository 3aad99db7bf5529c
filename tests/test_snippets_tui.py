"""Snippets and the TUI's result list (issue 15): the snippet code tokenises stretches of a text with
analysis.tokenise_lower, the same words as the whole text's; the TUI shows a result's first cards at
once and the rest after that screen is drawn, ending with the same list."""

from __future__ import annotations

from pathlib import Path

import pytest

from esfsearch.analysis import _tokenise, tokenise_lower

SEEDS = sorted((Path(__file__).resolve().parent.parent / "corpus" / "seeds").glob("*.txt"))
TRICKY = "ESF-stöd och ESF+-medel, t.ex. 2014-2020: män/kvinnor.\tMännen (och)utrikesfött\nfolk 3.5 m.fl. bl.a."


def _boundaries(low: str) -> list[int]:
    return [0, *(i for i, c in enumerate(low) if c in " \t\n"), len(low)]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_tokenise_lower_is_the_whole_texts_words(path):
    text = path.read_text(encoding="utf-8") + "\n" + TRICKY
    low = text.lower()
    assert len(low) == len(text)
    words = _tokenise(text)
    assert tokenise_lower(low) == words
    cuts = _boundaries(low)
    for a, b in zip(cuts[::7], cuts[5::7], strict=False):  # stretches between whitespace
        assert tokenise_lower(low, a, b) == [w for w in words if a <= w[1] and w[2] <= b]
