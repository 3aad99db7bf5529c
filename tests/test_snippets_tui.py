"""Snippets and the TUI's result list (issue 15): the snippet code tokenises stretches of a text with
analysis.tokenise_lower, the same words as the whole text's; the TUI shows a result's first cards at
once and the rest after that screen is drawn, ending with the same list."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rich.text import Text
from textual.geometry import Size

from esfsearch.analysis import _tokenise, tokenise_lower
from esfsearch.tui import EsfSearchApp, facet_headings, first_screenful

REPO = Path(__file__).resolve().parent.parent

SEEDS = sorted((REPO / "corpus" / "seeds").glob("*.txt"))
TRICKY = (
    "ESF-stöd och ESF+-medel, t.ex. 2014-2020: män/kvinnor.\tMännen (och)utrikesfött\nfolk 3.5 m.fl. bl.a."
)


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


def test_first_screenful_counts_rows_of_wrapped_lines():
    cards = [Text("title\nmeta\n" + "x" * 95), Text("a\nb"), Text("c")]
    assert first_screenful(cards, Size(40, 6)) == 1  # 1 + 1 + 3 rows and a divider
    assert first_screenful(cards, Size(40, 7)) == 2
    assert first_screenful(cards, Size(40, 99)) == 3
    assert first_screenful(cards, Size(0, 0)) == 3  # not laid out yet: all


def test_results_show_a_screenful_first_then_the_same_whole_list(shipped_index):
    async def run() -> None:
        app = EsfSearchApp(shipped_index, REPO / "corpus", "", show_timing=False)
        counts: list[tuple[int, int]] = []
        show = app._show_result

        def spy(seq, result) -> None:
            show(seq, result)
            counts.append((app.query_one("#results").option_count, app.query_one("#facets").option_count))

        app._show_result = spy  # type: ignore[method-assign]
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(20):
                await pilot.pause(0.05)
                await app.workers.wait_for_complete()
                if counts:
                    break
            await pilot.pause(0.1)
            results, facets = app.query_one("#results"), app.query_one("#facets")
            ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
            more = ["more"] if len(app.hits) < app.result.total else []
            assert ids == [str(n) for n in range(len(app.hits))] + more
            assert 0 < counts[0][0] < results.option_count  # a screenful first, the rest after
            r = app.result
            assert facets.option_count == sum(
                1 + len(r.facets[name]) for name, _ in facet_headings() if r.facets.get(name)
            )
            assert counts[0][1] < facets.option_count
            assert results.highlighted == 0

    asyncio.run(run())
