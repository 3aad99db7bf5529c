"""The Textual UI: pilot tests of the main flows and SVG snapshots of the main screens.

One index is built per module from the shipped corpus (in a temporary directory; `source_path`
stays relative because the build runs from the repository root, which keeps snapshots stable).
"""

from __future__ import annotations

import asyncio
import csv
import functools
import html
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("textual")

from rich.console import Console  # noqa: E402
from rich.text import Text  # noqa: E402
from stringtable import foreign  # noqa: E402
from textual.content import Content  # noqa: E402
from textual.worker import WorkerCancelled  # noqa: E402

from esfsearch.export import export_file  # noqa: E402
from esfsearch.fields import REGISTRY  # noqa: E402
from esfsearch.tui import (  # noqa: E402
    HELP,
    ConfirmScreen,
    DetailScreen,
    EsfSearchApp,
    ExportScreen,
    HelpScreen,
    SimilarScreen,
    hit_card,
    year_bars,
)

REPO = Path(__file__).resolve().parent.parent


def sync(coro_fn):
    """Run an async pilot test with asyncio (no pytest-asyncio plugin needed)."""

    @functools.wraps(coro_fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(coro_fn(*args, **kwargs))

    return wrapper


SIZE = (100, 30)


@pytest.fixture
def index_dir(shipped_index) -> Path:
    return shipped_index  # built from the repository root: `source_path` is relative


def make_app(index_dir: Path, query: str = "", **kw) -> EsfSearchApp:
    return EsfSearchApp(index_dir, REPO / "corpus", query, **kw)


def plain(widget) -> str:
    """The text a Static shows, without styles."""
    content = widget.content
    if isinstance(content, Text):
        return content.plain
    if isinstance(content, str):
        return Content.from_markup(content).plain
    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(content)
    return console.export_text()


async def settle(app, pilot) -> None:
    """Let debounce timers fire and workers finish, then let the UI apply their results."""
    for _ in range(3):
        await pilot.pause(0.05)
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # superseded by a newer search: wait again
            continue
        await pilot.pause()


async def search(app, pilot, text: str) -> None:
    search_box = app.query_one("#search")
    search_box.focus()
    search_box.value = ""
    if text:
        await pilot.press(*text)
    await pilot.pause(0.2)  # past the debounce
    await settle(app, pilot)


def titles(app) -> list[str]:
    return [h.record.title for h in app.hits]


# ---------------------------------------------------------------- pure helpers


def test_year_bars_wide_and_narrow() -> None:
    wide = year_bars({2015: 10, 2017: 5}, 80).plain.splitlines()
    assert wide[1].split()[:3] == ["15", "16", "17"]
    assert "peak 2015: 10" in wide[1]
    assert "█" in wide[0]
    narrow = year_bars(dict.fromkeys(range(2000, 2030), 1), 30).plain
    assert "\n" not in narrow and "2000–2029" in narrow
    assert "no dated" in year_bars({}, 80).plain


@sync
async def test_type_query_lists_hits_with_highlighted_snippets(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "kompetensförsörjning")
        assert app.query_one("#search").value == "kompetensförsörjning"  # s/e/q went into the box
        assert "Stärkt utvecklingskraft" in titles(app)
        status = plain(app.query_one("#status"))
        assert f"{app.result.total} projects match" in status and " ms" in status
        card = hit_card(app.hits[0], 1)
        matched = [card.plain[s.start : s.end] for s in card.spans if "reverse" in str(s.style)]
        assert any(w.lower().startswith("kompetensförsörjning") for w in matched)
        options = app.query_one("#results")
        assert "Stärkt utvecklingskraft" in str(options.get_option_at_index(0).prompt)
        # the start-year picture counts every hit
        assert sum(app.year_counts.values()) == sum(1 for h in app.hits if h.record.start_date)


@sync
async def test_empty_state_shows_newest_projects(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.result.total == 255
        starts = [h.record.start_date for h in app.hits if h.record.start_date]
        assert starts == sorted(starts, reverse=True)
        assert "newest first" in plain(app.query_one("#status"))
        # more pages load when the cursor reaches the end of the list
        results = app.query_one("#results")
        results.focus()
        before = len(app.hits)
        results.highlighted = results.option_count - 1
        await settle(app, pilot)
        assert len(app.hits) == 2 * before


@sync
async def test_facet_toggle_narrows_and_clears(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        total = app.result.total
        facets = app.query_one("#facets")
        facets.focus()
        index = next(
            i
            for i in range(facets.option_count)
            if (facets.get_option_at_index(i).id or "").startswith("region\tSkåne-Blekinge")
        )
        facets.highlighted = index
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.facet_filters == {"region": "Skåne-Blekinge"}
        counts = dict(app.result.facets["region"])
        assert app.hits and all(h.record.region == "Skåne-Blekinge" for h in app.hits)
        assert app.result.total == counts["Skåne-Blekinge"] < total
        assert "region: Skåne-Blekinge" in plain(app.query_one("#filters"))
        # fund counts follow the region filter
        assert sum(c for _, c in app.result.facets["fund"]) == app.result.total
        await pilot.press("x")
        await settle(app, pilot)
        assert app.facet_filters == {} and app.result.total == total


@sync
async def test_detail_view_similar_and_back(index_dir: Path) -> None:
    app = make_app(index_dir, "kompetensförsörjning")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # from the search box to the list
        await pilot.press("enter")  # open the first hit
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        record = app.hits[0].record
        fields = plain(screen.query_one("#detail-fields"))
        for value in (record.id, record.owner, record.region, "2021-02-01", "400 000 kr"):
            assert value in fields
        assert record.source_path in plain(screen.query_one("#detail-source"))
        text = screen.query_one("#detail-text").content
        marked = [text.plain[s.start : s.end] for s in text.spans if "reverse" in str(s.style)]
        assert "kompetensförsörjningsbehov" in marked
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, SimilarScreen)
        similar = app.screen.result
        assert similar.hits and record.id not in [h.id for h in similar.hits]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen) and app.screen.record.id == similar.hits[0].id
        await pilot.press("escape", "escape", "escape")
        await pilot.pause()
        assert len(app.screen_stack) == 1
        await pilot.press("s")  # similar straight from the list
        await settle(app, pilot)
        assert isinstance(app.screen, SimilarScreen) and app.screen.source.id == record.id


@sync
async def test_no_result_offers_suggestion(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "kompetensförsörjnig")
        assert app.result.total == 0 and app.hits == []
        assert "did you mean kompetensförsörjning" in plain(app.query_one("#status"))
        await pilot.press("enter")  # to the list, whose first entry runs the suggestion
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.query_one("#search").value == "kompetensförsörjning"
        assert "Stärkt utvecklingskraft" in titles(app)


@sync
async def test_bad_query_shows_error_not_crash(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "skola foo:bar")
        assert app.error and "unknown field" in app.error
        assert "Query error" in plain(app.query_one("#status"))
        assert app.hits == []
        await search(app, pilot, "skola år:20x")
        assert "år" in app.error
        await search(app, pilot, "skola")
        assert app.error is None and app.hits


@sync
async def test_sort_cycles(index_dir: Path) -> None:
    app = make_app(index_dir, "projekt")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one("#results").focus()
        await pilot.press("o")
        await settle(app, pilot)
        assert app.sort == "start" and "newest start" in app.sub_title
        starts = [h.record.start_date for h in app.hits if h.record.start_date]
        assert starts == sorted(starts, reverse=True)
        await pilot.press("o")
        await settle(app, pilot)
        amounts = [h.record.eu_support or 0 for h in app.hits]
        assert app.sort == "amount" and amounts == sorted(amounts, reverse=True)


async def _export(app, pilot, path: Path | None) -> None:
    """Press e on the result list and accept the dialog (with this file name, if given)."""
    app.query_one("#results").focus()  # in the search box, e is just a letter
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(app.screen, ExportScreen)
    if path is not None:
        app.screen.query_one("#export-path").value = str(path)
    await pilot.press("enter")
    await settle(app, pilot)


@sync
async def test_export_all_hits(index_dir: Path, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    app = make_app(index_dir, "kompetensförsörjning")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for name in ("hits.csv", "hits.json", "hits.xlsx"):
            await _export(app, pilot, tmp_path / name)
        raw = (tmp_path / "hits.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel CSV: UTF-8 with a BOM, semicolons
        rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
        data = json.loads((tmp_path / "hits.json").read_text(encoding="utf-8"))
        sheet = openpyxl.load_workbook(tmp_path / "hits.xlsx").active
        assert len(rows) == len(data) == sheet.max_row - 1 == app.result.total
        assert "Stärkt utvecklingskraft" in {r["title"] for r in rows}
        assert app.last_export == ((tmp_path / "hits.xlsx").resolve(), app.result.total)


@sync
async def test_export_offers_a_name_and_asks_before_overwriting(index_dir: Path, tmp_path: Path) -> None:
    app = make_app(index_dir, "kompetensförsörjning", export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one("#results").focus()
        await pilot.press("e")
        await pilot.pause()
        offered = Path(app.screen.query_one("#export-path").value)
        assert offered.parent == tmp_path and offered.name.startswith("esfsearch-kompetensf")
        assert offered.suffix == ".xlsx"
        await pilot.press("enter")
        await settle(app, pilot)
        assert offered.exists() and app.last_export == (offered.resolve(), app.result.total)
        target = tmp_path / "mine.csv"
        target.write_text("keep me", encoding="utf-8")
        app.last_export = None
        await _export(app, pilot, target)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: the file stays as it was
        await settle(app, pilot)
        assert target.read_text(encoding="utf-8") == "keep me" and app.last_export is None
        await _export(app, pilot, target)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert target.read_text(encoding="utf-8-sig").startswith("id;title")
        assert app.last_export == (target.resolve(), app.result.total)


def test_export_file_empty_and_no_overwrite(tmp_path: Path) -> None:
    assert export_file([], tmp_path / "none.csv") == 0
    assert (tmp_path / "none.csv").read_text(encoding="utf-8-sig").startswith("id;title")
    with pytest.raises(FileExistsError):
        export_file([], tmp_path / "none.csv")
    assert export_file([], tmp_path / "none.csv", force=True) == 0


@sync
async def test_down_and_up_move_between_search_box_and_results(index_dir: Path) -> None:
    app = make_app(index_dir, "kompetensförsörjning")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        search_box, results = app.query_one("#search"), app.query_one("#results")
        search_box.focus()
        await pilot.press("down")
        await pilot.pause()
        assert results.has_focus and results.highlighted == 0
        await pilot.press("down")
        await pilot.pause()
        assert results.highlighted > 0
        await pilot.press("up")
        await pilot.pause()
        assert results.has_focus and results.highlighted == 0
        await pilot.press("up")
        await pilot.pause()
        assert search_box.has_focus


def test_help_lists_every_key() -> None:
    keys = {
        "/": "/",
        "o": "o",
        "s": "s",
        "e": "e",
        "x": "x",
        "f": "f",
        "b": "b",
        "question_mark": "?",
        "q": "q",
        "escape": "esc",
    }
    for binding in EsfSearchApp.BINDINGS:
        for key in binding.key.split(","):
            assert f"  {keys[key]} " in HELP, key
    for words in ("↓", "↑", "toggle", "tab", "enter", "ctrl+p"):
        assert words in HELP


async def open_help(app, pilot) -> None:
    """The help screen, opened the way a user does: ? from the results."""
    await settle(app, pilot)
    app.query_one("#results").focus()
    await pilot.press("question_mark")
    await pilot.pause()


@sync
async def test_help_screen(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_help(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "region:Sydsverige" in plain(app.screen.query_one("#help-text"))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@sync
async def test_index_missing_builds_from_corpus(tmp_path: Path) -> None:
    app = EsfSearchApp(tmp_path / "newix", REPO / "corpus", "kompetensförsörjning")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.index_state == "missing" and app.engine is None
        assert app.query_one("#main").current == "setup-pane"
        assert "no index" in plain(app.query_one("#setup-msg")).lower()
        await pilot.press("b")
        for _ in range(200):  # the build takes a few seconds
            await pilot.pause(0.1)
            if app.engine is not None and app.result is not None:
                break
        await settle(app, pilot)
        assert app.index_state == "ok" and app.query_one("#main").current == "results-pane"
        assert "Stärkt utvecklingskraft" in titles(app)


@sync
async def test_index_missing_without_corpus(tmp_path: Path) -> None:
    app = EsfSearchApp(tmp_path / "newix", tmp_path / "nocorpus", "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "No corpus" in plain(app.query_one("#setup-msg"))
        assert app.query_one("#build").disabled
        await pilot.press("b")
        await pilot.pause()
        assert app.engine is None and app.index_state == "missing"


# ---------------------------------------------------------------- snapshots


async def _ready(pilot) -> None:
    """Results, facets and the start-year row all up to date for the latest search."""
    app = pilot.app
    for _ in range(300):
        await settle(app, pilot)
        if (
            app.result is not None
            and app.shown_seq == app.search_seq
            and app._timer is None
            and app.timeline_at >= app.shown_at > 0
        ):
            break
    await pilot.pause()


async def _ready_on_list(pilot) -> None:
    await _ready(pilot)
    pilot.app.query_one("#results").focus()
    await pilot.pause()


def test_snapshot_results(index_dir: Path, snap_compare) -> None:
    app = make_app(index_dir, "kompetensförsörjning", show_timing=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready)


def test_snapshot_detail(index_dir: Path, snap_compare) -> None:
    app = make_app(index_dir, "kompetensförsörjning", show_timing=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready, press=["enter", "enter"])


def test_snapshot_help(index_dir: Path, snap_compare) -> None:
    app = make_app(index_dir, "", show_timing=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready_on_list, press=["question_mark"])


# ---------------------------------------------------------------- in Swedish (LANG=sv_SE.UTF-8)


def screen_text(app) -> str:
    """Every text on the screen as drawn (the screenshot's text, spaces as spaces)."""
    svg = app.export_screenshot()
    return html.unescape(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))).replace("\xa0", " ")


def without_field_names(text: str) -> str:
    """The help less the query language's field names ('län/lan/county'): the same in either language."""
    for f in REGISTRY:
        text = text.replace("/".join(f.names), "")
    return text


@pytest.fixture
def swedish(monkeypatch):
    """The user's locale is Swedish (as conftest's LC_ALL would win over LANG, it goes)."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")


@sync
async def test_the_main_screens_in_swedish(index_dir: Path, swedish) -> None:
    app = make_app(index_dir, "kompetensförsörjning")
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        # search screen and results
        assert app.query_one("#search").placeholder.startswith("Sök projekt — ord")
        assert plain(app.query_one("#understood")).startswith("Sökte: kompetensförsörjning")
        status = plain(app.query_one("#status"))
        assert f"{app.result.total} projekt matchar" in status and "sortering: relevans" in status
        assert app.query_one("#facets").border_title == "Filter"
        headings = [
            str(o.prompt) for o in app.query_one("#facets").options if o.disabled
        ]  # the facet headings
        assert headings[:2] == ["Region", "Fond"] and "Programområde" in headings
        assert "Inga filter — välj värden" in plain(app.query_one("#filters"))
        assert app.sub_title == "sortering: relevans"
        footer = {b.description for _key, b in app._bindings if b.show}
        assert {"Sök", "Sortera", "Liknande", "Exportera", "Rensa filter", "Hjälp", "Avsluta"} <= footer
        text = screen_text(app)
        assert "Starter" in text and foreign(text, "sv") == [], text
        # detail
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        fields = plain(app.screen.query_one("#detail-fields"))
        for label in ("Projektägare", "Fond", "Programperiod", "Beviljat stöd (kr)", "Källfil"):
            assert label in fields
        assert plain(app.screen.query_one("#detail-source")).startswith("källa: ")
        text = screen_text(app)
        assert "Projektbeskrivning" in text and "Tillbaka" in text and foreign(text, "sv") == [], text
        # help
        await pilot.press("escape")
        await pilot.pause()
        app.query_one("#results").focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = plain(app.screen.query_one("#help-text"))
        for words in (
            "Tangenter",
            "Frågespråk",
            "Fält",
            "slå på/av",
            "stöd/stod/support/beviljat (beviljat stöd (kr))",
        ):
            assert words in help_text
        assert foreign(without_field_names(help_text), "sv") == [], help_text
        # export dialog and a notification
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "Exportera alla" in screen_text(app) and foreign(screen_text(app), "sv") == []


@sync
async def test_the_help_screen_in_english_has_no_swedish_wording(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_help(app, pilot)
        help_text = plain(app.screen.query_one("#help-text"))
        assert "Query language" in help_text and foreign(without_field_names(help_text), "en") == [], (
            help_text
        )


@sync
async def test_setup_screen_in_swedish(tmp_path: Path, swedish) -> None:
    app = EsfSearchApp(tmp_path / "newix", tmp_path / "nocorpus", "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Det finns inget index" in plain(app.query_one("#setup-msg"))
        assert "Ingen korpus i" in plain(app.query_one("#setup-msg"))
        assert str(app.query_one("#build").label) == "Bygg indexet"
        assert foreign(screen_text(app), "sv") == []


def test_snapshot_results_in_swedish(index_dir: Path, snap_compare, swedish) -> None:
    app = make_app(index_dir, "kompetensförsörjning", show_timing=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready)


def test_snapshot_detail_in_swedish(index_dir: Path, snap_compare, swedish) -> None:
    app = make_app(index_dir, "kompetensförsörjning", show_timing=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready, press=["enter", "enter"])


@sync
async def test_footer_keeps_its_keys_when_the_focus_moves(index_dir: Path) -> None:
    """Moving between the box and the list shows and hides the letter keys; the key widgets stay."""
    app = make_app(index_dir, "skola")
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)

        def shown() -> list[str]:
            return [w.key for w in app.screen.query("FooterKey") if w.display]

        in_box = shown()
        assert "slash" in in_box and "o" not in in_box  # the box types letters

        async def focus(selector: str, keys: set[str]) -> None:
            app.query_one(selector).focus()
            for _ in range(100):  # new keys: the footer is made again after the next refresh
                await pilot.pause(0.02)
                if keys <= set(shown()):
                    return

        await focus("#results", {"o", "s", "e", "x", "q"})
        await pilot.pause(0.2)
        widgets = list(app.screen.query("FooterKey"))
        assert {"o", "s", "e", "x", "q"} <= set(shown())
        await focus("#search", set(in_box))
        assert shown() == in_box
        await focus("#results", {"o", "s", "e", "x", "q"})
        assert list(app.screen.query("FooterKey")) == widgets  # shown again, not made again
