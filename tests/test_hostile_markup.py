"""No user or record text is ever read as Rich or Textual markup (issue 13): queries, titles, owners,
snippets and file names with `[/x]`, `[bold]`, `[link=…]` in them are shown as typed, in the CLI and
the TUI; queries of only symbols get a message. A small corpus with such records is indexed in a
temporary directory.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esfsearch.cli import app
from esfsearch.index import build_index

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
runner = CliRunner()

TITLE = "[bold]Klammerprojekt[/bold] för [/x] och [link=https://evil.example]länkar[/link]"
OWNER = "[red]Hakparentes AB[/red] [/qqzz]"
TEXT_MARKUP = (
    "Projektet [/x] testar [bold]klammerord[/bold] och [link=https://evil.example]länkar[/link] i texten."
)
MARKUP_QUERIES = [
    "[/x]",
    "[bold]",
    "[link=https://evil.example]",
    "zzqqq [/qqzz]",
    "zzqq [red]",
    "klammerord [/x]",
    "[bold]klammerord[/bold]",
    "[/]",
    "[@click=app.quit]x[/]",
    "\\[/x]",
]
SYMBOL_QUERIES = ["(((", ")))", "*", "~", "🚀", "[", "]", "[]", "()", "^^", "?", "-"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus [/x]"
    (corpus / "json [bold]").mkdir(parents=True)
    data = json.loads(
        (CORPUS / "projektbanken-eruf-2014-2020" / "projects.json").read_text(encoding="utf-8")
    )[:12]
    data[0].update({"projektnamn": TITLE, "stödmottagare": OWNER, "projektbeskrivning": TEXT_MARKUP})
    data[1]["projektnamn"] = "Vanligt projekt [/] med klammerord"
    (corpus / "json [bold]" / "projects [red].json").write_text(
        json.dumps(data, ensure_ascii=False), encoding="utf-8"
    )
    ix = root / "ix"
    build_index([corpus], ix)
    return ix, corpus


def run(ix: Path, *args):
    result = runner.invoke(app, [args[0], "--index", str(ix), *args[1:]])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "MarkupError" not in result.output
    return result


@pytest.mark.parametrize("q", MARKUP_QUERIES)
def test_markup_in_queries_is_text(hostile, q):
    ix, _corpus = hostile
    for extra in ([], ["--facets"], ["--json"], ["--csv"], ["--ids"]):
        result = run(ix, "query", *extra, "--", q)
        assert result.exit_code in (0, 1, 2), result.output
    result = run(ix, "query", "--", q)
    if result.exit_code == 1 and "No projects match" in result.stdout:
        assert f"No projects match {q}." in result.stdout.replace("\n", "")


def test_markup_in_records_is_shown_as_written(hostile):
    ix, _corpus = hostile
    result = run(ix, "query", "klammerord", "--facets")
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    for piece in (
        "[bold]Klammerprojekt[/bold]",
        "[/x]",
        "[red]Hakparentes",
        "[/qqzz]",
        "Vanligt projekt [/]",
    ):
        assert piece in flat, piece
    record_id = json.loads(run(ix, "query", "klammerprojekt", "--json").stdout)["hits"][0]["id"]
    shown = run(ix, "show", record_id)
    assert shown.exit_code == 0
    flat = " ".join(shown.stdout.split())
    assert TITLE in flat and "[red]Hakparentes AB[/red] [/qqzz]" in flat and "projects [red].json" in flat
    highlighted = run(ix, "show", record_id, "--query", "klammerord [/x]")
    assert highlighted.exit_code == 0 and "[link=https://evil.example]länkar[/link]" in highlighted.stdout
    assert run(ix, "similar", record_id).exit_code in (0, 1)


def test_markup_in_filter_values_is_text(hostile):
    ix, _corpus = hostile
    result = run(ix, "query", "ägare:[red]Hakparentes")
    assert result.exit_code in (0, 1)
    result = run(ix, "query", "--owner", "[/qqzz]")
    assert result.exit_code in (0, 1)
    wrong = run(ix, "query", "--region", "[bold]Övre Norland[/bold]")
    assert wrong.exit_code == 1 and "[bold]Övre Norland[/bold]" in wrong.stderr


@pytest.mark.parametrize("q", SYMBOL_QUERIES)
def test_symbol_only_queries(hostile, q):
    ix, _corpus = hostile
    result = run(ix, "query", "--", q)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("esfsearch: nothing to search for")


# ---------------------------------------------------------------- the TUI


def _tui_run(coro):
    pytest.importorskip("textual")
    return asyncio.run(coro)


async def _settle(app, pilot):
    from textual.worker import WorkerCancelled

    for _ in range(4):
        await pilot.pause(0.05)
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()


async def _type(app, pilot, text: str):
    box = app.query_one("#search")
    box.focus()
    box.value = text
    await pilot.pause(0.25)
    await _settle(app, pilot)


def test_tui_shows_markup_as_text(hostile):
    from esfsearch.tui import EsfSearchApp

    ix, corpus = hostile

    async def scenario():
        app = EsfSearchApp(ix, corpus, "", show_timing=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await _settle(app, pilot)
            for q in MARKUP_QUERIES:
                await _type(app, pilot, q)
                assert app.is_running
            await _type(app, pilot, "klammerord")
            assert any(h.record.title == TITLE for h in app.hits)
            understood = app.query_one("#understood").render()
            assert "Searched: klammerord" in str(understood)
            prompts = [
                str(app.query_one("#results").get_option_at_index(i).prompt)
                for i in range(app.query_one("#results").option_count)
            ]
            assert any(TITLE in p for p in prompts)
            app.query_one("#results").focus()
            await pilot.press("enter")
            await _settle(app, pilot)
            assert app.screen.__class__.__name__ == "DetailScreen"
            assert TITLE in str(app.screen.query_one("#detail-title").render())
            await pilot.press("escape")
            await _settle(app, pilot)
            for q in SYMBOL_QUERIES[:5]:
                await _type(app, pilot, q)
                assert app.error and "nothing to search for" in app.error
            await _type(app, pilot, "bredband region:Övre Norland")
            assert app.error and "did you mean" in app.error
            assert app.is_running

    _tui_run(scenario())
