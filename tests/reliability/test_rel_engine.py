"""SearchEngine.refresh keeps what the caller set; the TUI highlights under the engine lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from esfsearch.index import build_index, current_generation
from esfsearch.search import SearchEngine

REPO = Path(__file__).resolve().parents[2]


def test_refresh_to_a_new_generation_keeps_synonyms_and_snippet_settings(tiny_copy, tmp_path):
    corpus, ix, n = tiny_copy
    mine = tmp_path / "synonyms.txt"
    mine.write_text("xyzzyord = kompetensförsörjning\n", encoding="utf-8")
    engine = SearchEngine(ix, synonyms_file=str(mine))
    try:
        engine.snippet_width, engine.snippet_fragments = 60, 2
        before = engine.search("xyzzyord", limit=50)
        assert before.total > 0, "the user's synonym finds the records of the word it stands for"
        old_gen = engine.generation

        build_index([corpus], ix, rebuild=True)  # a rebuild elsewhere: a new generation
        assert current_generation(ix) != old_gen
        engine.refresh()

        assert engine.generation == current_generation(ix) != old_gen
        assert engine.synonyms_file == str(mine)
        assert "xyzzyord" in engine.synonyms
        assert (engine.snippet_width, engine.snippet_fragments) == (60, 2)
        after = engine.search("xyzzyord", limit=50)
        assert sorted(h.id for h in after.hits) == sorted(h.id for h in before.hits)
        assert engine.doc_count == n
    finally:
        engine.close()


def test_tui_highlights_under_the_engine_lock(full_index):
    pytest.importorskip("textual")
    from esfsearch.tui import EsfSearchApp

    app = EsfSearchApp(full_index, REPO / "corpus", "", show_timing=False)
    held: list[bool] = []

    async def run() -> str:
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            engine = app.engine
            real = engine.highlight

            def spy(record, query):  # calls the real method; records the lock state
                held.append(app.lock.locked())
                return real(record, query)

            engine.highlight = spy
            record = engine.search("kompetensförsörjning", limit=1).hits[0].record
            text = app.highlighted_text(record, "kompetensförsörjning")
            await app.workers.wait_for_complete()
            return text.plain

    plain = asyncio.run(run())
    assert held == [True]
    assert "kompetensförsörjning" in plain.lower()
