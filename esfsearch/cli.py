"""The `esfsearch` command line: a thin layer over esfsearch.search and esfsearch.index.

Exit codes: 0 results, 1 no results, 2 usage or query error, 3 index problem.
Heavy modules (Whoosh, Textual) are imported inside the commands that need them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterable, List, Optional

import typer

from .cli_options import (
    APP_SETTINGS, AreaOpt, CorpusOpt, CountyOpt, CsvOpt, EndBeforeOpt, FacetsOpt, FundOpt, IdsOpt, IndexOpt,
    JsonOpt, LimitOpt, MaxBudgetOpt, MaxSupportOpt, MinBudgetOpt, MinSupportOpt, MunicipalityOpt,
    NoContactsOpt, NoSnippetsOpt, OwnerOpt, PageOpt, PeriodOpt, PhaseOpt, RegionOpt, SortOpt,
    StartFromOpt, YearOpt,
)
from .present import plural

EXIT_OK, EXIT_NONE, EXIT_USAGE, EXIT_INDEX = 0, 1, 2, 3

app = typer.Typer(
    name="esfsearch",
    help="Swedish-aware search over ESF, ESF+ and ERUF project descriptions.\n\n"
         "Run without arguments on a terminal to open the search UI.",
    no_args_is_help=False,
    **APP_SETTINGS,
)


# ---------------------------------------------------------------- output helpers

def _console(stderr: bool = False):
    from rich.console import Console

    # Messages on stderr are never hard-wrapped: scripts and logs read them line by line.
    return Console(stderr=stderr, highlight=False, soft_wrap=stderr)


def err(message: str) -> None:
    """Errors and notices go to stderr, never mixed into data on stdout."""
    _console(stderr=True).print(message, markup=False)


def fail(message: str, code: int) -> None:
    err(f"esfsearch: {message}")
    raise typer.Exit(code)


def _paths(index: Optional[Path], corpus: Optional[Path]) -> tuple[Path, Path]:
    from .index import default_corpus_dir, default_index_dir

    return (index or default_index_dir()), (corpus or default_corpus_dir())


def _progress(quiet: bool):
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=_console(stderr=True), transient=True)
    tasks: dict[str, int] = {}

    def update(what: str, done: int, total: int) -> None:
        if what not in tasks:
            tasks[what] = progress.add_task(what, total=total)
        progress.update(tasks[what], completed=done, total=total)

    return progress, update


def _build(index: Path, corpus: list[Path], rebuild: bool, quiet: bool, lock_timeout: float = 10.0):
    from .index import build_index

    progress, update = _progress(quiet)
    if progress is None:
        return build_index(corpus, index, rebuild=rebuild, lock_timeout=lock_timeout)
    with progress:
        return build_index(corpus, index, rebuild=rebuild, progress=update, lock_timeout=lock_timeout)


def open_engine(index: Optional[Path], corpus: Optional[Path], quiet: bool = False, check_stale: bool = True):
    """Open the index, building it from the corpus on first use; index problems exit 3."""
    from .index import IndexProblem, SchemaMismatch, index_exists
    from .search import SearchEngine

    index_dir, corpus_dir = _paths(index, corpus)
    try:
        if not index_exists(index_dir):
            if not corpus_dir.exists():
                fail(f"no index in {index_dir} and no corpus in {corpus_dir} to build one from "
                     "(set --corpus or ESFSEARCH_CORPUS)", EXIT_INDEX)
            err(f"No index yet: building {index_dir} from {corpus_dir} (first use) …")
            summary = _build(index_dir, [corpus_dir], rebuild=False, quiet=quiet)
            err(f"Indexed {summary.records} records in {summary.seconds:.1f} s.")
        try:
            engine = SearchEngine(index_dir)
        except SchemaMismatch as exc:
            if not (exc.older and exc.corpus and all(p.exists() for p in exc.corpus)):
                raise
            sources = ", ".join(str(p) for p in exc.corpus)
            err(f"The index was built by an older esfsearch (schema {exc.built}): rebuilding it from {sources} …")
            summary = _build(index_dir, exc.corpus, rebuild=True, quiet=quiet)
            err(f"Indexed {summary.records} records in {summary.seconds:.1f} s.")
            engine = SearchEngine(index_dir)
    except IndexProblem as exc:
        fail(str(exc), EXIT_INDEX)
    if check_stale and engine.is_stale():
        err("Note: the corpus changed since the index was built; run `esfsearch index` to update it.")
    return engine


def _money(value: Optional[int]) -> str:
    return f"{value:,}".replace(",", " ") + " kr" if value is not None else ""


def _period(record) -> str:
    if record.start_date and record.end_date:
        return f"{record.start_date.isoformat()} – {record.end_date.isoformat()}"
    if record.start_date:
        return f"från {record.start_date.isoformat()}"
    return record.programme_period or ""


def _rich_snippet(snippet) -> "object":
    from rich.text import Text

    text = Text()
    if snippet is None:
        return text
    for part, matched in snippet.segments:
        text.append(part, style="bold yellow" if matched else None)
    return text


# ---------------------------------------------------------------- query

def _option_filters(**values) -> list:
    from .querylang import make_filter, plain_amount

    mapping = {
        "region": "region", "owner": "owner", "fund": "fund", "county": "county", "municipality": "kommun",
        "period": "period", "phase": "phase", "area": "programområde",
    }
    filters = []
    for option, field in mapping.items():
        for value in values.get(option) or []:
            filters.append(make_filter(field, value))
    if values.get("year"):
        filters.append(make_filter("year", values["year"]))
    ranges = {"budget": ("min_budget", "max_budget"), "support": ("min_support", "max_support")}
    for field, (lo_name, hi_name) in ranges.items():
        lo, hi = values.get(lo_name), values.get(hi_name)
        if lo is not None or hi is not None:     # each bound an amount of its own: '5 mkr', '500 000 kr'
            lo, hi = (plain_amount(field, str(v)) if v is not None else "" for v in (lo, hi))
            filters.append(make_filter(field, f"{lo}..{hi}"))
    if values.get("start_from"):
        filters.append(make_filter("start", ">=" + values["start_from"]))
    if values.get("end_before"):
        filters.append(make_filter("end", "<=" + values["end_before"]))
    return filters


@app.command()
def query(
    text: List[str] = typer.Argument(None, help='Query text: words, "phrases", AND/OR/NOT, prefix*, fuzzy~, '
                                               'and filters such as region:"Övre Norrland", fond:esf+, år:2018..2020, '
                                               'stöd:>5 mkr, start:>=2016-01-01. Empty or *:*: every project.'),
    region: List[str] = RegionOpt,
    owner: List[str] = OwnerOpt,
    fund: List[str] = FundOpt,
    county: List[str] = CountyOpt,
    municipality: List[str] = MunicipalityOpt,
    period: List[str] = PeriodOpt,
    phase: List[str] = PhaseOpt,
    area: List[str] = AreaOpt,
    year: Optional[str] = YearOpt,
    min_budget: Optional[str] = MinBudgetOpt,
    max_budget: Optional[str] = MaxBudgetOpt,
    min_support: Optional[str] = MinSupportOpt,
    max_support: Optional[str] = MaxSupportOpt,
    start_from: Optional[str] = StartFromOpt,
    end_before: Optional[str] = EndBeforeOpt,
    sort: str = SortOpt,
    limit: int = LimitOpt,
    page: int = PageOpt,
    all_hits: bool = typer.Option(False, "--all", help="Every hit, streamed (with --json, --csv or --ids)"),
    facets: bool = FacetsOpt,
    as_json: bool = JsonOpt,
    as_csv: bool = CsvOpt,
    excel: bool = typer.Option(False, "--excel", help="CSV for Excel: semicolons, UTF-8 with BOM (implies --csv)"),
    xlsx: Optional[Path] = typer.Option(None, "--xlsx", metavar="FILE",
                                        help="Write every hit to an Excel workbook (typed cells, autofilter)"),
    force: bool = typer.Option(False, "--force", help="Let --xlsx replace an existing file"),
    ids: bool = IdsOpt,
    no_snippets: bool = NoSnippetsOpt,
    no_contacts: bool = NoContactsOpt,
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No notices or progress on stderr"),
) -> None:
    """Search the projects; best matches first."""
    from .querylang import QueryError

    as_csv = as_csv or excel
    if sum([as_json, as_csv, ids, xlsx is not None]) > 1:
        fail("choose one of --json, --csv (--excel), --ids and --xlsx", EXIT_USAGE)
    if xlsx is not None and xlsx.exists() and not force:
        fail(f"{xlsx} exists; add --force to replace it", EXIT_USAGE)
    from .querylang import join_query_args

    q = join_query_args(text or [])
    try:
        filters = _option_filters(region=region, owner=owner, fund=fund, county=county, municipality=municipality,
                                  period=period, phase=phase, area=area, year=year, min_budget=min_budget,
                                  max_budget=max_budget, min_support=min_support, max_support=max_support,
                                  start_from=start_from, end_before=end_before)
    except QueryError as exc:
        query_failed(exc)
    engine = open_engine(index, corpus, quiet=quiet)
    try:
        if xlsx is not None:
            count = _export_xlsx(engine, q, filters, sort, xlsx, force, not no_contacts, not no_snippets)
            raise typer.Exit(EXIT_OK if count else EXIT_NONE)
        if all_hits:
            info = engine.understand(q, filters)
            if not quiet:
                say_understood(info)
            count = _export_all(engine, q, filters, sort, as_json, as_csv, ids, not no_contacts, not no_snippets,
                                info, excel)
            raise typer.Exit(EXIT_OK if count else EXIT_NONE)
        result = engine.search(q, filters=filters, sort=sort, limit=limit, page=page, facets=facets,
                               snippets=not no_snippets)
    except QueryError as exc:
        query_failed(exc)
    finally:
        engine.close()
    if not quiet:
        say_understood(result.info)
    if result.timed_out:
        err("Note: the query took too long and was cut off; the hits may be incomplete.")
    past_end = result.total > 0 and not result.hits
    if past_end:
        pages = -(-result.total // result.limit)
        err(f"esfsearch: page {result.page} is past the end: {_matches(result.total)}, "
            f"{plural(pages, 'page', 'pages')} of {result.limit}")
    elif (as_json or as_csv or ids) and not quiet and len(result.hits) < result.total:
        first = (result.page - 1) * result.limit + 1
        shown = f"{len(result.hits)}" if first == 1 else f"{first}–{first + len(result.hits) - 1}"
        err(f"showing {shown} of {result.total}; --all for every hit")
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(contacts=not no_contacts), ensure_ascii=False, indent=2) + "\n")
    elif as_csv:
        _write_csv(result.hits, not no_contacts, excel=excel)
    elif ids:
        for hit in result.hits:
            sys.stdout.write(hit.id + "\n")
    elif not past_end:
        _print_result(result)
    raise typer.Exit(EXIT_OK if result.hits else EXIT_NONE)


def say_understood(info) -> None:
    """The query as it was understood, one line on stderr ('Searched: … · region = Övre Norrland')."""
    from .present import understood_line
    from .understood import understood

    err(understood_line(understood(info)))


def query_failed(exc) -> None:
    """A query error, worded for the user: a filter value no project has exits 1 (nothing can match);
    anything else the user must fix exits 2."""
    from .present import query_error_text

    fail(query_error_text(exc), EXIT_NONE if getattr(exc, "kind", None) == "unknown_value" else EXIT_USAGE)


def _matches(n: int) -> str:
    return plural(n, "project matches", "projects match")


def _write_csv(hits: Iterable, contacts: bool, full: bool = False, excel: bool = False) -> int:
    from .export import columns_for, write_csv

    return write_csv(hits, sys.stdout, columns_for(full, contacts), excel=excel)


def _export_xlsx(engine, q: str, filters, sort: str, path: Path, force: bool, contacts: bool,
                 snippets: bool) -> int:
    """Every hit (as --all) to a workbook; an existing file only with --force."""
    from .export import ExportExists, export_file

    try:
        count = export_file(engine.iter_hits(q, filters=filters, sort=sort, snippets=snippets), path,
                            force=force, contacts=contacts)
    except ExportExists as exc:
        fail(f"{exc.path} exists; add --force to replace it", EXIT_USAGE)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE)
    err(f"Wrote {count} project{'s' if count != 1 else ''} to {path}")
    return count


def _export_all(engine, q: str, filters, sort: str, as_json: bool, as_csv: bool, ids: bool,
                contacts: bool, snippets: bool, info=None, excel: bool = False) -> int:
    """Stream every hit with all record fields, without holding the result set in memory."""
    if not (as_json or as_csv or ids):
        fail("--all needs --json, --csv, --ids or --xlsx FILE", EXIT_USAGE)
    hits = engine.iter_hits(q, filters=filters, sort=sort, snippets=snippets)
    if ids:
        count = 0
        for hit in hits:
            sys.stdout.write(hit.id + "\n")
            count += 1
        return count
    if as_csv:
        return _write_csv(hits, contacts, full=True, excel=excel)
    count = 0
    from .understood import understood

    query = {"typed": q, **understood(info)}     # the same `query` object as without --all
    sys.stdout.write('{"query": ' + json.dumps(query, ensure_ascii=False) + ', "hits": [\n')
    for hit in hits:
        if count:
            sys.stdout.write(",\n")
        sys.stdout.write(json.dumps(hit.to_dict(contacts=contacts, full=True), ensure_ascii=False))
        count += 1
    sys.stdout.write(f'\n], "total": {count}}}\n')
    return count


def _print_result(result) -> None:
    """Query and record text is printed as Text, never read as Rich markup ('[/x]' in a title)."""
    from rich.table import Table
    from rich.text import Text

    console = _console()
    if not result.total:
        console.print(Text.assemble("No projects match ", (result.query or "(everything)", "bold"), "."))
        if result.suggestion:
            console.print(Text.assemble("Did you mean: ", (result.suggestion, "bold"), " ?"))
        return
    first = (result.page - 1) * result.limit + 1
    shown = f"{first}" if len(result.hits) == 1 else f"{first}–{first + len(result.hits) - 1}"
    console.print(f"{_matches(result.total)}; showing {shown} ({result.seconds * 1000:.0f} ms)", markup=False)
    table = Table(show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Project", ratio=3)
    table.add_column("Owner · region · fund · period · EU support", ratio=2)

    for n, hit in enumerate(result.hits, first):
        r = hit.record
        cell = Text()
        cell.append(r.title, style="bold")
        cell.append(f"  {r.short_id}", style="dim")
        if hit.snippet:
            cell.append("\n")
            cell.append_text(_rich_snippet(hit.snippet))
        details = [r.owner, r.region, " ".join(x for x in (r.fund, r.programme_period) if x), _period(r),
                   _money(r.eu_support)]
        table.add_row(str(n), cell, Text("\n".join(d for d in details if d)))
    console.print(table)
    for name, counts in result.facets.items():
        values = ", ".join(f"{v} ({c})" for v, c in counts[:8])
        console.print(Text.assemble((name, "bold"), ": ", values))


# ---------------------------------------------------------------- index / parse

@app.command("index")
def index_cmd(
    paths: List[Path] = typer.Argument(None, help="Corpus folders or files [default: the corpus]"),
    rebuild: bool = typer.Option(False, "--rebuild", help="Build a new index from scratch (the old one stays "
                                                          "usable until the new one is complete)"),
    index: Optional[Path] = IndexOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary"),
    as_json: bool = typer.Option(False, "--json", help="The summary as JSON"),
    wait: float = typer.Option(10.0, "--wait", help="Seconds to wait for another build to finish"),
) -> None:
    """Build or update the index: new files added, changed ones re-indexed, deleted ones removed."""
    from .index import IndexProblem

    index_dir, corpus_dir = _paths(index, None)
    corpus = list(paths) if paths else [corpus_dir]
    missing = [p for p in corpus if not p.exists()]
    if missing:
        fail(f"no such file or directory: {missing[0]}", EXIT_USAGE)
    try:
        summary = _build(index_dir, corpus, rebuild, quiet or as_json, lock_timeout=wait)
    except IndexProblem as exc:
        fail(str(exc), EXIT_INDEX)
    except KeyboardInterrupt:
        fail("interrupted; the previous index is unchanged and still usable", 130)
    if as_json:
        data = summary.to_dict()
        data["saved_searches"] = _saved_search_news(index_dir, summary)
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif not quiet:
        _print_summary(summary, index_dir)
        from .saved import report_new_matches

        for line in report_new_matches(index_dir, summary):
            err(line)
    raise typer.Exit(EXIT_OK)


def _print_summary(summary, index_dir: Path) -> None:
    console = _console(stderr=True)
    what = "Rebuilt" if summary.rebuilt else "Updated"
    console.print(f"{what} {index_dir}: {summary.records} records "
                  f"(added {summary.added}, updated {summary.updated}, removed {summary.removed}, "
                  f"unchanged {summary.unchanged}) in {summary.seconds:.1f} s", markup=False)
    if summary.skipped:
        console.print(f"Skipped {len(summary.skipped)}:", markup=False)
        for path, reason in summary.skipped:
            console.print(f"  {path}: {reason}", markup=False)
    if summary.ignored:
        console.print(f"Not project texts, left out: {', '.join(p for p, _ in summary.ignored)}", markup=False)
    if summary.conflicts:
        from .export import conflict_text

        ids = list(dict.fromkeys(c["id"] for c in summary.conflicts))
        console.print(f"Sources disagree for {len(ids)} project{'s' if len(ids) != 1 else ''} "
                      "(the first value is shown; `esfsearch show ID` lists them):", markup=False)
        for record_id in ids:
            console.print(f"  {record_id}: {conflict_text([c for c in summary.conflicts if c['id'] == record_id])}",
                          markup=False)


def _saved_search_news(index_dir: Path, summary) -> list:
    """Per saved search, the records this index run added or changed that it now matches."""
    from .saved import new_matches

    return new_matches(index_dir, summary)


@app.command()
def parse(
    paths: List[Path] = typer.Argument(..., help="Files or folders to read"),
    no_contacts: bool = NoContactsOpt,
) -> None:
    """Show how files are read: the records as JSON on stdout, unreadable files on stderr."""
    from .ingest import ingest

    report = ingest(paths)
    records = [r.to_dict(contacts=not no_contacts) for r in report.records]
    sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    for f in report.files:
        if f.format_info and f.records:     # a web page or document: what was read from it
            err(f"read {f.path}: {f.format_info} -> {len(f.records)} record(s), layout {f.layout}")
    for path, reason in report.problems:
        err(f"skipped {path}: {reason}")
    for path, reason in report.ignored:
        err(f"left out {path}: {reason}")
    if report.problems:
        raise typer.Exit(EXIT_NONE if records else EXIT_USAGE)
    raise typer.Exit(EXIT_OK if records else EXIT_NONE)


# ---------------------------------------------------------------- show / similar / stats

@app.command()
def show(
    record_id: str = typer.Argument(..., metavar="ID", help="Project id (diarienummer / ärende-id)"),
    query_text: Optional[str] = typer.Option(None, "--query", help="Highlight this query's matches"),
    as_json: bool = JsonOpt,
    no_contacts: bool = NoContactsOpt,
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
) -> None:
    """Show one project with every field."""
    from .querylang import QueryError

    engine = open_engine(index, corpus)
    try:
        hits = engine.get(record_id)
        if not hits:
            fail(f"no project with id {record_id!r}", EXIT_NONE)
        highlights = [engine.highlight(h.record, query_text) for h in hits] if query_text else [None] * len(hits)
    except QueryError as exc:
        from .present import query_error_text

        fail(query_error_text(exc), EXIT_USAGE)
    finally:
        engine.close()
    if as_json:
        out = []
        for hit, hl in zip(hits, highlights):
            d = hit.record.to_dict(contacts=not no_contacts)
            if hl is not None:
                d["highlighted"] = hl.marked()
            out.append(d)
        sys.stdout.write(json.dumps(out[0] if len(out) == 1 else out, ensure_ascii=False, indent=2) + "\n")
        raise typer.Exit(EXIT_OK)
    for hit, hl in zip(hits, highlights):
        _print_record(hit.record, hl, contacts=not no_contacts)


FIELD_LABELS = [
    ("id", "Id"), ("owner", "Projektägare"), ("owner_org_number", "Org.nr"), ("region", "Region"),
    ("county", "Län"), ("municipalities", "Kommuner"), ("fund", "Fond"), ("programme_period", "Programperiod"),
    ("programme_area", "Programområde"), ("specific_objective", "Specifikt mål"),
    ("thematic_objective", "Tematiskt mål"), ("priority_axis", "Insatsområde"),
    ("intervention_type", "Interventionstyp"), ("phase", "Fas"), ("start_date", "Start"), ("end_date", "Slut"),
    ("total_budget", "Total budget"), ("eu_support", "Beviljat stöd"), ("cofinancing_rate", "Medfinansieringsgrad"),
    ("planned_participants", "Planerade deltagare"), ("nuts2", "NUTS-2"), ("cci", "CCI"),
    ("contact_name", "Kontaktperson"), ("contact_email", "E-post"), ("contact_phone", "Telefon"),
    ("layout", "Källformat"), ("source_path", "Källfil"), ("sources", "Källfiler"),
]


def format_field(name: str, value) -> str:
    if value is None or value == [] or value == "":
        return ""
    if name in ("total_budget", "eu_support"):
        return _money(value)
    if name == "cofinancing_rate":
        return f"{value:g} %"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _print_record(record, highlighted, contacts: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    console.print(Text(record.title or "", style="bold"))
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    data = record.to_dict(contacts=contacts)
    from .export import conflict_text, short_path

    merged = len(record.sources) > 1
    if merged:
        table.add_column(style="dim")   # which source file each field came from
    for name, label in FIELD_LABELS:
        if name == ("source_path" if merged else "sources"):
            continue
        if name in data and format_field(name, data[name]):
            origin = record.origins.get(name)
            row = [label, Text(format_field(name, data[name]))]
            table.add_row(*(row + [short_path(origin) if origin else ""] if merged else row))
    for conflict in record.conflicts:
        table.add_row("Avvikelse", Text(conflict_text([conflict])), *([""] if merged else []), style="yellow")
    console.print(table)
    console.print()
    if highlighted is not None:
        console.print(_rich_snippet(highlighted))
    else:
        console.print(record.full_text, markup=False)


@app.command()
def similar(
    record_id: str = typer.Argument(..., metavar="ID", help="Project id"),
    limit: int = typer.Option(10, "--limit", "-n", help="How many"),
    as_json: bool = JsonOpt,
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
) -> None:
    """Projects most like the given one (more-like-this on its words)."""
    from .querylang import QueryError

    engine = open_engine(index, corpus)
    try:
        result = engine.similar(record_id, limit=limit)
    except QueryError as exc:
        fail(str(exc), EXIT_NONE)
    finally:
        engine.close()
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_result(result)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


@app.command()
def stats(
    as_json: bool = JsonOpt,
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
) -> None:
    """What is in the index: records per layout and fund, size, last build, stale or not."""
    engine = open_engine(index, corpus, check_stale=False)
    try:
        data = engine.stats()
    finally:
        engine.close()
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    console = _console()
    console.print(f"Index        {data['index']} ({data['generation']})", markup=False)
    console.print(f"Records      {data['records']} from {data['files']} files ({data['skipped']} skipped)", markup=False)
    console.print(f"Layouts      {', '.join(f'{k} {v}' for k, v in data['layouts'].items())}", markup=False)
    console.print(f"Funds        {', '.join(f'{k} {v}' for k, v in data['funds'].items())}", markup=False)
    console.print(f"Size         {data['size_bytes'] / 1e6:.1f} MB", markup=False)
    console.print(f"Built        {data['built_at']}", markup=False)
    console.print(f"Stale        {'yes: run `esfsearch index`' if data['stale'] else 'no'}", markup=False)


@app.command()
def analyze(
    text: List[str] = typer.Argument(None, help="Text to analyse"),
    query_text: Optional[str] = typer.Option(None, "--query", help="Explain how this query is searched: its "
                                             "concepts, compound splits and expansion terms with their weights"),
    as_json: bool = JsonOpt,
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
) -> None:
    """Show the index terms the Swedish analyzer makes of a text (exact, compound parts, folded),
    or with --query how a query is understood and widened."""
    if query_text is not None:
        from .querylang import QueryError

        engine = open_engine(index, corpus)
        try:
            data = engine.explain(query_text)
        except QueryError as exc:
            fail(str(exc), EXIT_USAGE)
        finally:
            engine.close()
        if as_json:
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
            return
        sys.stdout.write(f"concepts  {' | '.join(data['concepts']) or '-'}"
                         f"  (each a ranking step of up to {data['concept_step']:g})\n")
        for split in data["compound_splits"]:
            sys.stdout.write(f"split     {split['word']} -> {' + '.join(split['parts'])} ({split['source']})\n")
        if data["expansions"]:
            sys.stdout.write("expanded  " + ", ".join(f"{e['term']} {e['weight']:.3f}" for e in data["expansions"])
                             + "  (below every direct match)\n")
        else:
            sys.stdout.write("expanded  -\n")
        return
    if not text:
        fail("give a text to analyse, or --query TEXT", EXIT_USAGE)
    from .analysis import analyze as run

    joined = " ".join(text)
    data = {mode: run(joined, mode) for mode in ("exact", "parts", "folded")}
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    for mode, terms in data.items():
        sys.stdout.write(f"{mode:<7} {' '.join(terms)}\n")


@app.command()
def tui(
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
    query_text: str = typer.Option("", "--query", help="Start with this query"),
) -> None:
    """Open the terminal search UI."""
    from .tui import run_tui

    index_dir, corpus_dir = _paths(index, corpus)
    run_tui(index_dir, corpus_dir, query_text)


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(tui, index=None, corpus=None, query_text="")
        else:
            typer.echo(ctx.get_help())


def _register_optional() -> None:
    """Command groups that live in their own modules (saved searches, evaluation)."""
    import importlib

    for module, attr, name in (("esfsearch.cli_saved", "saved_app", "saved"),
                               ("esfsearch.cli_eval", "eval_command", "eval")):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        obj = getattr(mod, attr)
        if isinstance(obj, typer.Typer):
            app.add_typer(obj, name=name)
        else:
            app.command(name)(obj)


_register_optional()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err("esfsearch: interrupted")
        sys.exit(130)
    except BrokenPipeError:
        # `esfsearch query … | head`: the reader went away; not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
