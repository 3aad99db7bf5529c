"""The terminal search UI (Textual): live search, facets, detail view, similar projects, export.

    esfsearch tui [--index DIR] [--corpus DIR] [--query TEXT]

One SearchEngine is opened for the app's lifetime. It is not thread-safe, so every call that touches
the searcher runs in a thread worker under one lock; search workers are exclusive (a new keystroke
cancels the wait for an older result) and results that arrive late are dropped by sequence number.
Textual is imported here only: the CLI imports this module inside its `tui` command.

Every text is in the current language (esfsearch.i18n): worded where it is shown, with the class-level
texts (key bindings, help) marked N_ and translated when an app or screen is made.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.geometry import Size
from textual.markup import escape as escape_markup
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Footer, Header, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from .export import ExportExists, export_file
from .fields import DEFAULT_FACETS
from .fields import FACETS as FACET_FIELDS
from .i18n import N_, _, ngettext
from .index import IndexProblem, build_index, index_exists
from .presentation import (
    field_help,
    hit_details,
    number,
    problem_text,
    projects,
    query_error_text,
    record_rows,
    understood_line,
)
from .querylang import QueryError, make_filter
from .records import ProjectRecord
from .search import Hit, SearchEngine, SearchResult
from .understood import understood

DEBOUNCE = 0.15  # seconds of quiet typing before a search runs
PAGE = 15  # hits fetched per page (snippets cost most); more load at the end of the list
SORTS = ("relevance", "start", "amount")
SORT_LABEL = {"relevance": N_("relevance"), "start": N_("newest start"), "amount": N_("largest EU support")}
MATCH_STYLE = "bold reverse"
# Textual's own binding shown in the footer, worded here like ours.
TEXTUAL_TEXTS = (N_("palette"), N_("Quit"))


def facet_headings() -> list[tuple[str, str]]:
    """(facet, heading) for each facet of the filter panel, in the current language."""
    return [(name, FACET_FIELDS[name].heading(facet=True)) for name in DEFAULT_FACETS]


def translate_bindings(node: DOMNode) -> None:
    """Key bindings are class attributes, made before the language is known: an app, screen or widget
    calls this when it is made, and its footer shows the descriptions in the current language. (Textual
    keeps a node's bindings in `_bindings`, a copy of the class's, made in its __init__.)"""
    bindings = node._bindings.key_to_bindings
    for key, items in bindings.items():
        bindings[key] = [replace(b, description=_(b.description)) if b.description else b for b in items]


# ---------------------------------------------------------------- formatting (plain functions, testable)


def snippet_text(segments: Iterable[tuple[str, bool]]) -> Text:
    text = Text()
    for part, matched in segments:
        text.append(part, style=MATCH_STYLE if matched else None)
    return text


def hit_card(hit: Hit, number: int | None = None) -> Text:
    """Title line, owner · region · period · amount line, snippet (matched words highlighted)."""
    r = hit.record
    card = Text()
    if number is not None:
        card.append(f"{number}. ", style="dim")
    card.append(r.title or _("(untitled)"), style="bold")
    card.append(f"  {r.short_id}", style="dim")
    meta = " · ".join(hit_details(r))
    if meta:
        card.append("\n" + meta, style="italic")
    if hit.snippet is not None and hit.snippet.text.strip():
        card.append("\n")
        card.append_text(snippet_text(hit.snippet.segments))
    elif r.summary:
        summary = " ".join(r.summary.split())
        card.append("\n" + (summary[:160] + " …" if len(summary) > 160 else summary))
    return card


def first_screenful(cards: list[Text], size: Size) -> int:
    """How many cards fill a list of this size: each line of a card takes at least its length over
    the width in rows (a divider follows each card). All of them when the list has no size yet."""
    if not size.width or not size.height:
        return len(cards)
    rows = 0
    for n, card in enumerate(cards, 1):
        rows += 1 + sum(-(-max(1, len(line)) // size.width) for line in card.plain.split("\n"))
        if rows >= size.height:
            return n
    return len(cards)


def _clip(value: str, room: int) -> str:
    return value if len(value) <= room else value[: room - 1] + "…"


BLOCKS = " ▁▂▃▄▅▆▇█"


def year_bars(counts: dict[int, int], width: int) -> Text:
    """Projects per start year as a bar row with year labels (two lines), or one line if narrow."""
    if not counts:
        return Text(_("Start years: no dated projects"), style="dim")
    lo, hi = min(counts), max(counts)
    years = list(range(lo, hi + 1))
    peak = max(counts.values())
    top = max(counts, key=lambda y: (counts[y], -y))

    def bar(year: int) -> str:
        n = counts.get(year, 0)
        if n == 0:
            return " "
        return BLOCKS[max(1, round(n / peak * 8))]

    summary = " " + _("{first}–{last} · peak {year}: {n}").format(first=lo, last=hi, year=top, n=peak)
    label = _("Starts") + " "
    text = Text()
    if len(label) + 3 * len(years) <= width:
        text.append(label, style="dim")
        text.append("".join(bar(y) * 2 + " " for y in years), style="bold")
        text.append("\n" + " " * len(label))
        text.append("".join(f"{y % 100:02d} " for y in years), style="dim")
        if len(label) + 3 * len(years) + len(summary) <= width:
            text.append(summary, style="dim")
    else:
        text.append(label, style="dim")
        text.append("".join(bar(y) for y in years), style="bold")
        text.append(summary, style="dim")
    return text


def record_table(record: ProjectRecord) -> Table:
    """Every field; for a project merged from several files, the file each value came from."""
    merged = len(record.sources) > 1
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    if merged:
        table.add_column(style="dim")
    for row in record_rows(record):
        origin = [row.origin] if merged else []
        table.add_row(
            row.label, Text(row.text, style="yellow" if row.conflict else ""), *origin
        )  # never markup
    return table


def more_text(n: int) -> str:
    """The last line of a list that has more hits to load."""
    return _("… {n} more: move down to load, e exports all").format(n=n)


def export_name(query: str, folder: Path, today: date | None = None) -> Path:
    """The file name the export dialog offers: the query and the date, as a workbook."""
    words = re.sub(r"[^\w]+", "-", query.lower()).strip("-")[:40].strip("-") or "alla"
    return folder / f"esfsearch-{words}-{(today or date.today()).isoformat()}.xlsx"


def default_export_dir() -> Path:
    """The user's download folder when there is one, else the current folder."""
    try:
        from platformdirs import user_downloads_dir

        downloads = Path(user_downloads_dir())
        if downloads.is_dir():
            return downloads
    except Exception:  # no such folder on this system
        pass
    return Path.cwd()


# ---------------------------------------------------------------- widgets


class ResultList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", N_("Down"), show=False),
        Binding("k", "cursor_up", N_("Up"), show=False),
    ]

    def action_cursor_up(self) -> None:
        """↑ on the first hit of the main list goes back up to the search box."""
        if self.id == "results" and (self.highlighted is None or self.highlighted == 0):
            self.app.query_one("#search", Input).focus()
            return
        super().action_cursor_up()


class SearchInput(Input):
    BINDINGS = [Binding("down", "to_results", N_("To the results"), show=False)]

    def action_to_results(self) -> None:
        """↓ in the search box moves into the results (when there are any)."""
        results = self.app.query_one("#results", ResultList)
        if results.option_count:
            results.focus()
            if results.highlighted is None:
                results.highlighted = 0


class FacetList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", N_("Down"), show=False),
        Binding("k", "cursor_up", N_("Up"), show=False),
    ]

    def on_resize(self) -> None:
        """Facet values are clipped to the list's width: once the list is laid out (or its width
        changes) they are clipped again, whether the search result came before or after layout."""
        if isinstance(self.app, EsfSearchApp):
            self.app.facets_resized()


class KeyFooter(Footer):
    """Textual's footer, its key widgets kept. Textual's rebuilds them all whenever the focus moves
    (Enter moves it from the search box, which types letters and so hides the letter keys, to the
    results, which shows them again): a new layout and drawing of the screen, several times, the
    largest part of the UI thread's work for an Enter. Here a key that comes and goes is shown or
    hidden; the widgets are made again only for a key they do not have."""

    _made: frozenset = frozenset()  # (binding, enabled, tooltip) the key widgets were made for

    def _shown(self, screen: Screen) -> frozenset:
        palette = self.app.COMMAND_PALETTE_BINDING
        return frozenset(
            (binding, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == palette
        )

    def compose(self) -> ComposeResult:
        self._made = self._shown(self.screen) if self._bindings_ready else frozenset()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if self._bindings_ready and self.is_attached and screen is self.screen and screen.app.app_focus:
            shown = self._shown(screen)
            if shown <= self._made:
                keys = {binding.key for binding, _enabled, _tooltip in shown}
                for widget in self.query("FooterKey"):
                    widget.display = getattr(widget, "key", None) in keys
                return
            self._made = shown  # made again after the next refresh (compose records what it made)
        super().bindings_changed(screen)


class Timeline(Static):
    def on_resize(self) -> None:
        if isinstance(self.app, EsfSearchApp):
            self.app.timeline_resized()


# ---------------------------------------------------------------- screens

HELP = N_("""\
[b]Keys[/b]
  /       search box                  ?        this help
  ↓       from the search box to the results; ↑ on the first hit goes back
  ↑ ↓ j k move in a list              enter    open project / run search
  esc     back, or between box and list
  tab     next pane (search, filters, results)   shift+tab  previous pane
  enter   on a filter value: toggle it (● marks the active one)
  x       clear the facet filters     f        show/hide the filters panel
  s       similar projects            e        export all hits (.xlsx, .csv, .json)
  o       sort: relevance/start/amount
  b       build the index (if none)   ctrl+p   command palette
  q       quit (ctrl+q while typing)
  In a project: esc/backspace/q back, s similar, j k scroll.
  Export dialog: enter writes, esc cancels; replacing a file asks first (y/n).

[b]Query language[/b] (the same as `esfsearch query`)
  kompetensförsörjning   inflections, compounds (…sbehov, …en)
  kompetensforsorjning   without å/ä/ö works too
  "psykisk ohälsa"       phrase
  unga AND arbete   unga OR ungdomar   NOT skola   integr*   digi~
  region:Sydsverige fond:Socialfonden år:2016..2018 stöd:>5 mkr -fas:förstudie

[b]Fields[/b]
""")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", N_("Close"))]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        fields = escape_markup(field_help()).replace("; ", "\n  ")
        with VerticalScroll(id="help-box"):
            yield Static(_(HELP) + "  " + fields, id="help-text", markup=True)
            yield Static("[dim]" + _("esc closes") + "[/dim]", markup=True)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class ExportScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, total: int, default: str) -> None:
        super().__init__()
        self.total, self.default = total, default
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Static(
                ngettext(
                    "Export the {n} hit to this file:", "Export all {n} hits to this file:", self.total
                ).format(n=self.total),
                markup=False,
            )
            yield Input(self.default, id="export-path")
            yield Static(
                "[dim]"
                + _(".xlsx Excel workbook · .csv Excel CSV (semicolons) · .json\nenter writes · esc cancels")
                + "[/dim]",
                markup=True,
            )

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = not self.app.is_headless

    @on(Input.Submitted, "#export-path")
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or self.default)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or the first button says yes, n/esc or the second no."""

    BINDINGS = [Binding("y", "answer(True)", N_("Yes")), Binding("n,escape", "answer(False)", N_("No"))]

    def __init__(self, question: str, yes: str = N_("Overwrite"), no: str = N_("Cancel")) -> None:
        super().__init__()
        self.question, self.yes, self.no = question, _(yes), _(no)
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class DetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,backspace,q", "app.pop_screen", N_("Back")),
        Binding("s", "similar", N_("Similar")),
        Binding("j", "scroll_down", N_("Down"), show=False),
        Binding("k", "scroll_up", N_("Up"), show=False),
    ]

    def __init__(self, record: ProjectRecord, query: str) -> None:
        super().__init__()
        self.record, self.query_text = record, query
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        app: EsfSearchApp = self.app  # type: ignore[assignment]
        r = self.record
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(Text(r.title or _("(untitled)"), style="bold"), id="detail-title")
            yield Static(record_table(r), id="detail-fields")
            source = _("source: {path}").format(path=r.source_path)
            yield Static(Text(source, style="dim"), id="detail-source")
            yield Static(Text.assemble((_("Project description"), "bold underline")), classes="heading")
            yield Static(app.highlighted_text(r, self.query_text), id="detail-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#detail").focus()

    def action_scroll_down(self) -> None:
        self.query_one("#detail", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#detail", VerticalScroll).scroll_up()

    def action_similar(self) -> None:
        self.app.find_similar(self.record)  # type: ignore[attr-defined]


class SimilarScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,backspace,q", "app.pop_screen", N_("Back")),
        Binding("s", "similar", N_("Similar to this")),
    ]

    def __init__(self, source: ProjectRecord, result: SearchResult) -> None:
        super().__init__()
        self.source, self.result = source, result
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            Text.assemble(
                (_("Similar to") + " ", "dim"),
                (self.source.title, "bold"),
                (f"  {self.source.id}", "dim"),
                (f"  ({projects(self.result.total)})", "dim"),
            ),
            id="similar-title",
        )
        options: list = []
        for n, hit in enumerate(self.result.hits, 1):
            options += [Option(hit_card(hit, n), id=str(n - 1)), None]
        if not options:
            options = [Option(_("No similar projects found."), disabled=True)]
        yield ResultList(*options, id="similar-list")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ResultList).focus()

    @on(OptionList.OptionSelected, "#similar-list")
    def open(self, event: OptionList.OptionSelected) -> None:
        hit = self.result.hits[int(event.option.id or 0)]
        self.app.push_screen(DetailScreen(hit.record, ""))

    def action_similar(self) -> None:
        option = self.query_one(ResultList).highlighted_option
        if option is not None and option.id is not None:
            self.app.find_similar(self.result.hits[int(option.id)].record)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the app


class EsfSearchApp(App[None]):
    TITLE = "esfsearch"
    CSS_PATH = "tui.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    BINDINGS = [
        Binding("/", "focus_search", N_("Search")),
        Binding("o", "cycle_sort", N_("Sort")),
        Binding("s", "similar", N_("Similar")),
        Binding("e", "export", N_("Export")),
        Binding("x", "clear_filters", N_("Clear filters")),
        Binding("f", "toggle_facets", N_("Facets"), show=False),
        Binding("b", "build", N_("Build index"), show=False),
        Binding("question_mark", "help", N_("Help")),
        Binding("q", "quit", N_("Quit")),
        Binding("escape", "escape", N_("Back"), show=False),
    ]

    def __init__(
        self,
        index_dir: Path,
        corpus_dir: Path,
        query: str = "",
        *,
        show_timing: bool = True,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.export_dir = export_dir
        self.index_dir, self.corpus_dir = Path(index_dir), Path(corpus_dir)
        self.initial_query = query
        self.show_timing = show_timing
        self.engine: SearchEngine | None = None
        self.lock = threading.Lock()
        self.sort = "relevance"
        self.facet_filters: dict[str, str] = {}  # facet name -> value (one value per facet)
        self.result: SearchResult | None = None
        self.hits: list[Hit] = []
        self.year_counts: dict[int, int] = {}
        self.error: str | None = None
        self.search_seq = 0  # bumped for every search started
        self.shown_seq = 0  # the search whose result is on screen
        self._timer: Timer | None = None
        self._focus_results = False  # Enter started a search: focus the results when it is shown
        self._prepared = False  # the engine's read-ahead has been started
        self._loading_more = False
        self._rest: dict[str | None, list] = {}  # options still to add to a list (_set_options)
        self.index_state = "ok"  # ok | missing | broken | building
        self.shown_at = self.timeline_at = 0.0
        self._facets_width = self._timeline_width = 0  # the widths facets and timeline were drawn for
        self.last_export: tuple[Path, int] | None = None

    # -- layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchInput(
            self.initial_query,
            placeholder=_('Search projects — words, "phrases", region:… år:… (? for help)'),
            id="search",
        )
        yield Static("", id="understood", markup=False)
        yield Static("", id="status")
        yield Static("", id="filters")
        with ContentSwitcher(initial="results-pane", id="main"):
            with Horizontal(id="results-pane"):
                yield FacetList(id="facets")
                with Vertical(id="right"):
                    yield ResultList(id="results")
                    yield Timeline("", id="timeline")
            with Vertical(id="setup-pane"):
                yield Static("", id="setup-msg")
                yield Button(_("Build the index"), id="build", variant="primary")
                yield ProgressBar(id="build-progress", show_eta=False)
                yield Static("", id="build-what")
        yield KeyFooter()

    def on_mount(self) -> None:
        search = self.query_one("#search", Input)
        search.cursor_blink = not self.is_headless
        self.query_one("#facets").border_title = _("Filters")
        self._update_subtitle()
        self.open_engine()

    def on_unmount(self) -> None:
        if self.engine is not None:
            with self.lock:
                self.engine.close()

    # -- index
    def ready_engine(self) -> SearchEngine:
        """The open engine: the workers that use it start only once it is open."""
        assert self.engine is not None
        return self.engine

    def open_engine(self) -> None:
        if not index_exists(self.index_dir):
            self._setup(_("There is no index in {index} yet.").format(index=self.index_dir), missing=True)
            return
        try:
            self.engine = SearchEngine(self.index_dir)
        except IndexProblem as exc:
            self._setup(
                _("The index cannot be used: {problem}").format(problem=problem_text(exc)), missing=False
            )
            return
        self._engine_ready()

    def _engine_ready(self) -> None:
        assert self.engine is not None
        self.engine.snippet_width = 150
        self.index_state = "ok"
        self._prepared = False
        self.query_one("#main", ContentSwitcher).current = "results-pane"
        self.query_one("#search", Input).focus()
        self.run_search()
        self._stale_worker()

    @work(thread=True, exclusive=True, group="stale")
    def _stale_worker(self) -> None:
        """Reads the corpus folder only (not the searcher), so it needs no lock."""
        if self.engine is not None and self.engine.is_stale():
            self.call_from_thread(
                self.notify,
                _("The corpus changed since the index was built; run `esfsearch index` to update it."),
                title=_("Index out of date"),
                severity="warning",
            )

    def _setup(self, message: str, missing: bool) -> None:
        self.index_state = "missing" if missing else "broken"
        has_corpus = self.corpus_dir.exists()
        if has_corpus:
            hint = (
                _("Press b (or the button) to build it from the corpus in {corpus}.")
                if missing
                else _("Press b (or the button) to rebuild it from the corpus in {corpus}.")
            )
        else:
            hint = _("No corpus in {corpus} either: start with --corpus DIR or set ESFSEARCH_CORPUS.")
        hint = hint.format(corpus=self.corpus_dir)
        self.query_one("#setup-msg", Static).update(Text(f"{message}\n{hint}"))
        button = self.query_one("#build", Button)
        button.label = _("Build the index") if missing else _("Rebuild the index")
        button.disabled = not has_corpus
        self.query_one("#build-progress").display = False
        self.query_one("#main", ContentSwitcher).current = "setup-pane"
        self.query_one("#status", Static).update(Text(_("No index"), style="bold"))
        if has_corpus:
            button.focus()

    @on(Button.Pressed, "#build")
    def _build_pressed(self) -> None:
        self.action_build()

    def action_build(self) -> None:
        if self.index_state not in ("missing", "broken") or not self.corpus_dir.exists():
            return
        rebuild = self.index_state == "broken"
        self.index_state = "building"
        self.query_one("#build", Button).disabled = True
        bar = self.query_one("#build-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#build-what", Static).update(_("Starting …"))
        self.build_worker(rebuild)

    @work(thread=True, exclusive=True, group="build")
    def build_worker(self, rebuild: bool) -> None:
        def progress(what: str, done: int, total: int) -> None:
            self.call_from_thread(self._build_progress, what, done, total)

        try:
            summary = build_index([self.corpus_dir], self.index_dir, rebuild=rebuild, progress=progress)
            engine = SearchEngine(self.index_dir)
        except (IndexProblem, OSError) as exc:
            self.call_from_thread(self._build_failed, problem_text(exc))
            return
        self.call_from_thread(self._build_done, engine, summary.records, summary.seconds)

    def _build_progress(self, what: str, done: int, total: int) -> None:
        self.query_one("#build-progress", ProgressBar).update(total=max(total, 1), progress=done)
        self.query_one("#build-what", Static).update(Text(f"{_(what)} {done}/{total}"))

    def _build_failed(self, message: str) -> None:
        failed = _("Building the index failed: {problem}").format(problem=message)
        self._setup(failed, missing=not index_exists(self.index_dir))
        self.notify(message, title=_("Index build failed"), severity="error", markup=False)

    def _build_done(self, engine: SearchEngine, records: int, seconds: float) -> None:
        self.engine = engine
        self.notify(
            _("Indexed {projects} in {seconds} s.").format(
                projects=projects(records), seconds=number(seconds)
            ),
            title=_("Index ready"),
        )
        self._engine_ready()

    # -- searching
    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self._focus_results = False  # typing on after Enter: stay in the box
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self.run_search)

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        pending = self._timer is not None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        shown = self.result.query if self.result is not None else None
        if pending or self.error is not None or shown != event.value:
            # The move to the results waits for them: moving the focus restyles the screen and
            # rebuilds the footer's keys, UI-thread work that would slow the search down.
            self._focus_results = True
            self.run_search()
            return
        results = self.query_one("#results", ResultList)
        if self.hits or results.option_count:
            results.focus()

    def _enter_results(self) -> None:
        """Enter's move from the search box to the results, once its search is shown."""
        if self._focus_results:
            self._focus_results = False
            results = self.query_one("#results", ResultList)
            if results.option_count and self.query_one("#search", Input).has_focus:
                results.focus()

    @property
    def query_text(self) -> str:
        return self.query_one("#search", Input).value

    def filters(self) -> list:
        return [make_filter(name, value) for name, value in self.facet_filters.items()]

    def run_search(self) -> None:
        self._timer = None
        if self.engine is None:
            return
        self.search_seq += 1
        self._search_worker(self.search_seq, self.query_text, self.filters(), self.sort)

    @work(thread=True, exclusive=True, group="search")
    def _search_worker(self, seq: int, text: str, filters: list, sort: str) -> None:
        worker = get_current_worker()
        with self.lock:
            if worker.is_cancelled or seq != self.search_seq:
                return
            try:
                result = self.ready_engine().search(
                    text, filters=filters, sort=sort, limit=PAGE, facets=(*DEFAULT_FACETS, "year")
                )
            except QueryError as exc:
                self.call_from_thread(self._show_error, seq, query_error_text(exc))
                return
            except Exception as exc:  # a searcher problem must not kill the UI
                self.call_from_thread(self._show_error, seq, f"{type(exc).__name__}: {exc}")
                return
        if not worker.is_cancelled:
            self.call_from_thread(self._show_result, seq, result)

    def _show_error(self, seq: int, message: str) -> None:
        if seq != self.search_seq:
            return
        self.shown_seq = seq
        self.error = message
        self.result, self.hits = None, []
        self.query_one("#understood", Static).update("")
        self.query_one("#status", Static).update(
            Text.assemble((_("Query error:") + " ", "bold red"), message)
        )
        results = self.query_one("#results", ResultList)
        error = Option(Text(_("Fix the query to see results.") + f"\n{message}", style="red"), disabled=True)
        self._set_options(results, [error], 1)
        self.query_one("#timeline", Static).update("")
        self._enter_results()

    def _show_result(self, seq: int, result: SearchResult) -> None:
        if seq != self.search_seq:
            return
        self.shown_seq = seq
        self.error = None
        self.result = result
        self.hits = list(result.hits)
        self.query_one("#understood", Static).update(Text(understood_line(understood(result.info))))
        self._render_status()
        self._render_filters()
        self._render_results()
        self._render_facets()
        self.year_counts = {int(y): n for y, n in result.facets.get("year", []) if y.isdigit()}
        self._render_timeline()
        self.shown_at = self.timeline_at = time.perf_counter()  # for bench/tui_latency.py
        self._enter_results()
        if not self._prepared:
            self._prepared = True
            self._prepare_worker()

    @work(thread=True, exclusive=True, group="prepare")
    def _prepare_worker(self) -> None:
        """The engine's read-ahead (SearchEngine.prepare), once the first result is on screen."""
        try:
            with self.lock:
                self.ready_engine().prepare()
        except Exception:  # only a head start: a query that needs the data reads it (and reports)
            pass

    def _render_status(self) -> None:
        r = self.result
        if r is None:
            return
        status = Text()
        words = bool(r.info and r.info.text.strip() and r.info.text.strip() != "*")
        if r.total == 0:
            status.append(_("No projects match"), style="bold")
        else:
            status.append(projects(r.total), style="bold")
            searched = words or self.facet_filters or (r.info and r.info.filters)
            status.append(" " + (ngettext("matches", "match", r.total) if searched else _("in the index")))
        if self.show_timing:
            status.append(f" · {r.seconds * 1000:.0f} ms", style="dim")
        order = _(SORT_LABEL[self.sort]) if (words or self.sort != "relevance") else _("newest first")
        status.append(" · " + _("sort: {order}").format(order=order), style="dim")
        if r.timed_out:
            status.append(" · " + _("cut off after the time limit"), style="yellow")
        if r.suggestion:
            status.append(" · " + _("did you mean") + " ", style="bold")
            status.append(r.suggestion, style="bold underline")
            status.append("?", style="bold")
        self.query_one("#status", Static).update(status)

    def _render_filters(self) -> None:
        parts: list[str] = []
        typed = [
            f.describe()
            for f in (self.result.info.filters if self.result and self.result.info else [])
            if not any(f.name == n and f.value == v for n, v in self.facet_filters.items())
        ]
        for name, value in self.facet_filters.items():
            safe = escape_markup(value)
            parts.append(f"[reverse] {name}: {safe} [@click=app.remove_filter('{name}')]✕[/][/reverse]")
        for t in typed:
            parts.append(f"[dim]{_('typed')}[/dim] {escape_markup(t)}")
        widget = self.query_one("#filters", Static)
        if parts:
            widget.update(
                _("Filters:")
                + " "
                + "  ".join(parts)
                + ("  [dim]" + _("(x clears)") + "[/dim]" if self.facet_filters else "")
            )
        else:
            widget.update(
                "[dim]"
                + _("No filters — pick values in the Filters panel, or type region:… fond:… år:…")
                + "[/dim]"
            )

    def _render_results(self) -> None:
        results = self.query_one("#results", ResultList)
        r = self.result
        assert r is not None
        options: list = []
        cards = [hit_card(hit, n + 1) for n, hit in enumerate(self.hits)]
        for n, card in enumerate(cards):
            options += [Option(card, id=str(n)), None]
        if not options:
            if r.suggestion:
                options.append(
                    Option(
                        Text.assemble(_("Search for") + " ", (r.suggestion, "bold"), " " + _("instead")),
                        id="suggestion",
                    )
                )
            options.append(
                Option(
                    Text(
                        _("No projects match. Try fewer words, other spellings, or clear the filters (x)."),
                        style="dim",
                    ),
                    disabled=True,
                )
            )
        elif len(self.hits) < r.total:
            options.append(
                Option(
                    Text(more_text(r.total - len(self.hits)), style="dim"),
                    id="more",
                )
            )
        first = 2 * first_screenful(cards, results.scrollable_content_region.size)
        self._set_options(results, options, len(options) if first >= 2 * len(cards) else first)
        if self.hits or r.suggestion:
            results.highlighted = 0

    def _set_options(
        self, widget: OptionList, options: list, first: int, highlight: int | None = None
    ) -> None:
        """An option list wraps every option it is given to know its height, the largest part of
        showing a result: it gets the `first` options (a screenful) now and the rest once that screen
        is drawn, the same list a moment later. `highlight`: the option to highlight then."""
        widget.set_options(options[:first])
        rest = self._rest[widget.id] = options[first:]
        if highlight is not None and highlight < widget.option_count:
            widget.highlighted = highlight
        if rest:
            self.call_after_refresh(self._add_rest, widget, rest, highlight)

    def _add_rest(self, widget: OptionList, rest: list, highlight: int | None) -> None:
        if self._rest.get(widget.id) is rest:  # not replaced by newer options meanwhile
            self._rest[widget.id] = []
            shown = widget.option_count
            widget.add_options(rest)
            if highlight is not None and highlight >= shown:
                widget.highlighted = min(highlight, widget.option_count - 1)

    def facets_resized(self) -> None:
        width = self.query_one("#facets", FacetList).scrollable_content_region.width
        if self.result is not None and width and width != self._facets_width:
            self._render_facets()

    def timeline_resized(self) -> None:
        width = self.query_one("#timeline", Static).size.width
        if self.timeline_at and width and width != self._timeline_width:
            self._render_timeline()

    def _render_facets(self) -> None:
        facets = self.query_one("#facets", FacetList)
        before = facets.highlighted
        r = self.result
        self._facets_width = facets.scrollable_content_region.width
        room = max(8, (self._facets_width or 30) - 8)
        options: list = []
        for name, label in facet_headings():
            counts = (r.facets.get(name) if r else None) or []
            active = self.facet_filters.get(name)
            if not counts and active is None:
                continue
            options.append(Option(Text(label, style="bold underline"), disabled=True))
            values = list(counts)
            if active is not None and active not in {v for v, _ in values}:
                values.insert(0, (active, 0))
            for value, count in values:
                chosen = value == active
                line = Text("● " if chosen else "  ", no_wrap=True, overflow="ellipsis")
                line.append(f"{count:>4} ", style="dim")
                line.append(_clip(value, room), style="bold" if chosen else None)
                options.append(Option(line, id=f"{name}\t{value}"))
        height = facets.scrollable_content_region.height
        first = height + 1 if height else len(options)  # a facet value takes one line
        self._set_options(
            facets, options, first, min(before, len(options) - 1) if before is not None and options else None
        )

    def _render_timeline(self) -> None:
        widget = self.query_one("#timeline", Static)
        self._timeline_width = widget.size.width
        widget.update(year_bars(self.year_counts, max(self._timeline_width, 40)))

    # -- results list
    @on(OptionList.OptionHighlighted, "#results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id == "more":
            self.load_more()

    @on(OptionList.OptionSelected, "#results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id
        if oid == "suggestion" and self.result and self.result.suggestion:
            self.query_one("#search", Input).value = self.result.suggestion
            if self._timer is not None:
                self._timer.stop()
            self.run_search()
        elif oid == "more":
            self.load_more()
        elif oid is not None:
            self.open_detail(self.hits[int(oid)])

    def load_more(self) -> None:
        r = self.result
        if r is None or self._loading_more or len(self.hits) >= r.total or self.engine is None:
            return
        self._loading_more = True
        self._more_worker(self.shown_seq, r.query, self.filters(), self.sort, len(self.hits) // PAGE + 1)

    @work(thread=True, exclusive=True, group="more")
    def _more_worker(self, seq: int, text: str, filters: list, sort: str, page: int) -> None:
        try:
            with self.lock:
                result = self.ready_engine().search(text, filters=filters, sort=sort, limit=PAGE, page=page)
        except QueryError:
            result = None
        self.call_from_thread(self._show_more, seq, result)

    def _show_more(self, seq: int, result: SearchResult | None) -> None:
        self._loading_more = False
        if result is None or seq != self.search_seq or self.result is None:
            return
        if not result.hits:  # the total was an over-estimate: stop offering more
            self.result.total = len(self.hits)
        results = self.query_one("#results", ResultList)
        keep = results.highlighted
        start = len(self.hits)
        self.hits.extend(result.hits)
        options: list = []
        for n, hit in enumerate(result.hits, start):
            options += [Option(hit_card(hit, n + 1), id=str(n)), None]
        if len(self.hits) < self.result.total:
            options.append(
                Option(
                    Text(more_text(self.result.total - len(self.hits)), style="dim"),
                    id="more",
                )
            )
        results.remove_option("more")
        results.add_options(options)
        if keep is not None:
            results.highlighted = min(keep, results.option_count - 1)

    def current_hit(self) -> Hit | None:
        """The highlighted hit in the main result list."""
        option = self.query_one("#results", ResultList).highlighted_option
        if option is None or option.id is None or not option.id.isdigit():
            return None
        return self.hits[int(option.id)]

    def open_detail(self, hit: Hit) -> None:
        self.push_screen(DetailScreen(hit.record, self.query_text))

    def highlighted_text(self, record: ProjectRecord, query: str) -> Text:
        text = record.full_text or record.summary or ""
        if not query.strip() or self.engine is None:
            return Text(text)
        try:
            with self.lock:  # highlighting reads the searcher (term statistics), which workers share
                snippet = self.engine.highlight(record, query)
        except QueryError:
            return Text(text)
        return snippet_text(snippet.segments)

    # -- facets
    @on(OptionList.OptionSelected, "#facets")
    def _facet_selected(self, event: OptionList.OptionSelected) -> None:
        if not event.option.id:
            return
        name, value = event.option.id.split("\t", 1)
        self.toggle_facet(name, value)

    def toggle_facet(self, name: str, value: str) -> None:
        if self.facet_filters.get(name) == value:
            del self.facet_filters[name]
        else:
            try:
                make_filter(name, value)
            except QueryError as exc:
                self.notify(query_error_text(exc), severity="error", markup=False)
                return
            self.facet_filters[name] = value
        self.run_search()

    def action_remove_filter(self, name: str) -> None:
        if self.facet_filters.pop(name, None) is not None:
            self.run_search()

    def action_clear_filters(self) -> None:
        if self.facet_filters:
            self.facet_filters.clear()
            self.run_search()

    def action_toggle_facets(self) -> None:
        facets = self.query_one("#facets")
        facets.display = not facets.display

    # -- actions
    def action_focus_search(self) -> None:
        if self.screen is not self.screen_stack[0]:
            self.pop_screen()
        self.query_one("#search", Input).focus()

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            if self.hits:
                self.query_one("#results").focus()
        else:
            search.focus()

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._update_subtitle()
        self.run_search()

    def _update_subtitle(self) -> None:
        self.sub_title = _("sort: {order}").format(order=_(SORT_LABEL[self.sort]))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_similar(self) -> None:
        hit = self.current_hit()
        if hit is None:
            self.notify(_("Select a project first."), severity="warning")
            return
        self.find_similar(hit.record)

    def find_similar(self, record: ProjectRecord) -> None:
        if self.engine is not None:
            self._similar_worker(record)

    @work(thread=True, exclusive=True, group="similar")
    def _similar_worker(self, record: ProjectRecord) -> None:
        try:
            with self.lock:
                result = self.ready_engine().similar(record.id, limit=20)
        except QueryError as exc:
            self.call_from_thread(self.notify, query_error_text(exc), severity="error", markup=False)
            return
        self.call_from_thread(self.push_screen, SimilarScreen(record, result))

    def action_export(self) -> None:
        if self.result is None or self.engine is None:
            self.notify(_("Nothing to export."), severity="warning")
            return
        total = self.result.total
        query, filters, sort = self.result.query, self.filters(), self.sort
        offered = export_name(query, self.export_dir or default_export_dir())

        def chosen(name: str | None) -> None:
            if not name:
                return
            path = Path(name).expanduser()
            if not path.exists():
                self._export_worker(path, query, filters, sort, False)
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._export_worker(path, query, filters, sort, True)
                else:
                    self.notify(
                        _("Not exported: {path} is unchanged.").format(path=path),
                        title=_("Export"),
                        markup=False,
                    )

            question = ngettext(
                "{path} exists. Replace it with the {n} hit?",
                "{path} exists. Replace it with the {n} hits?",
                total,
            ).format(path=path, n=total)
            self.push_screen(ConfirmScreen(question), confirmed)

        self.push_screen(ExportScreen(total, str(offered)), chosen)

    @work(thread=True, exclusive=True, group="export")
    def _export_worker(self, path: Path, text: str, filters: list, sort: str, force: bool) -> None:
        try:
            with self.lock:
                count = export_file(
                    self.ready_engine().iter_hits(text, filters=filters, sort=sort, snippets=False),
                    path,
                    force=force,
                )
        except ExportExists as exc:
            self.call_from_thread(
                self.notify,
                _("Not exported: {path} exists.").format(path=exc.path),
                severity="warning",
                markup=False,
            )
            return
        except (OSError, QueryError) as exc:
            failed = _("Export failed: {problem}").format(problem=exc)
            self.call_from_thread(self.notify, failed, severity="error", markup=False)
            return
        self.last_export = (path.resolve(), count)
        done = _("Exported {projects} to {path}").format(projects=projects(count), path=path.resolve())
        self.call_from_thread(self.notify, done, title=_("Export"), markup=False)

    MAIN_ONLY = {"cycle_sort", "export", "clear_filters", "toggle_facets", "similar", "escape"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Main-screen actions stay out of the other screens' footers; b only when it can help."""
        if action in self.MAIN_ONLY and len(self.screen_stack) > 1:
            return False
        if action == "build":
            return self.index_state in ("missing", "broken")
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(_("Search"), _("Focus the search box (/)"), self.action_focus_search)
        yield SystemCommand(
            _("Sort: next order"), _("Relevance → start date → amount (o)"), self.action_cycle_sort
        )
        yield SystemCommand(_("Clear filters"), _("Remove the facet filters (x)"), self.action_clear_filters)
        yield SystemCommand(
            _("Similar projects"), _("More like the selected project (s)"), self.action_similar
        )
        yield SystemCommand(
            _("Export results"), _("Write all hits to Excel, CSV or JSON (e)"), self.action_export
        )
        yield SystemCommand(
            _("Show/hide facets"), _("Toggle the filter panel (f)"), self.action_toggle_facets
        )
        yield SystemCommand(_("Help"), _("Keys and query language (?)"), self.action_help)
        if self.index_state in ("missing", "broken"):
            yield SystemCommand(
                _("Build index"),
                _("Index the corpus in {corpus} (b)").format(corpus=self.corpus_dir),
                self.action_build,
            )


def run_tui(index_dir: Path, corpus_dir: Path, query: str = "") -> None:
    EsfSearchApp(index_dir, corpus_dir, query).run()
