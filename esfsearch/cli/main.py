"""The `esfsearch` command line: a thin layer over esfsearch.search and esfsearch.index.

Exit codes: 0 results, 1 no results, 2 usage or query error, 3 index problem.
Heavy modules (Whoosh, Textual) are imported inside the commands that need them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ..i18n import LANGUAGES, N_, _, ngettext, set_language
from ..presentation import conflict_text, matches, number, problem_text, projects, query_error_text, worded
from . import saved
from .engine import build, open_engine, paths
from .eval import HELP as EVAL_HELP
from .eval import eval_command
from .help import App
from .options import (
    APP_SETTINGS,
    CorpusOpt,
    CsvOpt,
    FacetsOpt,
    IdsOpt,
    IndexOpt,
    JsonOpt,
    LimitOpt,
    NoContactsOpt,
    NoSnippetsOpt,
    PageOpt,
    SortOpt,
    join_query_args,
    with_filter_options,
)
from .output import (
    EXIT_INDEX,
    EXIT_INTERRUPTED,
    EXIT_NONE,
    EXIT_OK,
    EXIT_USAGE,
    done,
    err,
    export_all,
    export_xlsx,
    fail,
    print_record,
    print_result,
    query_failed,
    say,
    say_understood,
    write_hits,
    write_json,
)

if TYPE_CHECKING:
    from ..index import BuildSummary
    from ..querylang import Filter

app = App(
    name="esfsearch",
    help=N_(
        "Swedish-aware search over ESF, ESF+ and ERUF project descriptions.\n\n"
        "Run without arguments on a terminal to open the search UI."
    ),
    no_args_is_help=False,
    **APP_SETTINGS,
)


# ---------------------------------------------------------------- query


@app.command(help=N_("Search the projects; best matches first."))
@with_filter_options
def query(
    text: list[str] = typer.Argument(
        None,
        help=N_(
            'Query text: words, "phrases", AND/OR/NOT, prefix*, fuzzy~, '
            'and filters such as region:"Övre Norrland", fond:esf+, år:2018..2020, '
            "stöd:>5 mkr, start:>=2016-01-01. Empty or *:*: every project."
        ),
    ),
    filters: list[Filter] = [],  # noqa: B006 - with_filter_options puts the filter options here
    sort: str = SortOpt,
    limit: int = LimitOpt,
    page: int = PageOpt,
    all_hits: bool = typer.Option(
        False, "--all", help=N_("Every hit, streamed (with --json, --csv or --ids)")
    ),
    facets: bool = FacetsOpt,
    as_json: bool = JsonOpt,
    as_csv: bool = CsvOpt,
    excel: bool = typer.Option(
        False, "--excel", help=N_("CSV for Excel: semicolons, UTF-8 with BOM (implies --csv)")
    ),
    xlsx: Path | None = typer.Option(
        None,
        "--xlsx",
        metavar="FILE",
        help=N_("Write every hit to an Excel workbook (typed cells, autofilter)"),
    ),
    force: bool = typer.Option(False, "--force", help=N_("Let --xlsx replace an existing file")),
    ids: bool = IdsOpt,
    no_snippets: bool = NoSnippetsOpt,
    no_contacts: bool = NoContactsOpt,
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help=N_("No notices or progress on stderr")),
) -> None:
    from ..querylang import QueryError

    as_csv = as_csv or excel
    if sum([as_json, as_csv, ids, xlsx is not None]) > 1:
        fail(_("choose one of --json, --csv (--excel), --ids and --xlsx"), EXIT_USAGE)
    if xlsx is not None and xlsx.exists() and not force:
        fail(_("{path} exists; add --force to replace it").format(path=xlsx), EXIT_USAGE)
    q = join_query_args(text or [])
    engine = open_engine(index, corpus, quiet=quiet)
    try:
        if xlsx is not None:
            count = export_xlsx(engine, q, filters, sort, xlsx, force, not no_contacts, not no_snippets)
            raise typer.Exit(EXIT_OK if count else EXIT_NONE)
        if all_hits:
            info = engine.understand(q, filters)
            if not quiet:
                say_understood(info)
            count = export_all(
                engine, q, filters, sort, as_json, as_csv, ids, not no_contacts, not no_snippets, info, excel
            )
            raise typer.Exit(EXIT_OK if count else EXIT_NONE)
        result = engine.search(
            q, filters=filters, sort=sort, limit=limit, page=page, facets=facets, snippets=not no_snippets
        )
    except QueryError as exc:
        query_failed(exc, contacts=not no_contacts)
    finally:
        engine.close()
    if not quiet:
        say_understood(result.info)
    if result.timed_out:
        err(_("Note: the query took too long and was cut off; the hits may be incomplete."))
    past_end = result.total > 0 and not result.hits
    if past_end:
        pages = -(-result.total // result.limit)
        err(
            "esfsearch: "
            + _("page {page} is past the end: {matches}, {pages} of {limit}").format(
                page=result.page,
                matches=matches(result.total),
                pages=ngettext("{n} page", "{n} pages", pages).format(n=pages),
                limit=result.limit,
            )
        )
    elif (as_json or as_csv or ids) and not quiet and len(result.hits) < result.total:
        first = (result.page - 1) * result.limit + 1
        shown = f"{len(result.hits)}" if first == 1 else f"{first}–{first + len(result.hits) - 1}"
        err(_("showing {shown} of {total}; --all for every hit").format(shown=shown, total=result.total))
    if as_json or as_csv or ids or not past_end:
        write_hits(result, as_json, as_csv, ids, contacts=not no_contacts, excel=excel)
    done()  # the engine is closed, the page written: nothing is left for the interpreter to tidy
    raise typer.Exit(EXIT_OK if result.hits else EXIT_NONE)


# ---------------------------------------------------------------- index / parse


@app.command(
    "index",
    help=N_("Build or update the index: new files added, changed ones re-indexed, deleted ones removed."),
)
def index_cmd(
    sources: list[Path] = typer.Argument(
        None, metavar="PATHS", help=N_("Corpus folders or files [default: the corpus]")
    ),
    rebuild: bool = typer.Option(
        False,
        "--rebuild",
        help=N_("Build a new index from scratch (the old one stays usable until the new one is complete)"),
    ),
    index: Path | None = IndexOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help=N_("No progress bar or summary")),
    as_json: bool = typer.Option(False, "--json", help=N_("The summary as JSON")),
    wait: float = typer.Option(10.0, "--wait", help=N_("Seconds to wait for another build to finish")),
) -> None:
    from ..index import IndexProblem

    index_dir, corpus_dir = paths(index, None)
    corpus = list(sources) if sources else [corpus_dir]
    missing = [p for p in corpus if not p.exists()]
    if missing:
        fail(_("no such file or directory: {path}").format(path=missing[0]), EXIT_USAGE)
    try:
        summary = build(index_dir, corpus, rebuild, quiet or as_json, lock_timeout=wait)
    except IndexProblem as exc:
        fail(problem_text(exc), EXIT_INDEX)
    except KeyboardInterrupt:
        fail(_("interrupted; the previous index is unchanged and still usable"), EXIT_INTERRUPTED)
    if as_json:
        write_json({**summary.to_dict(), "saved_searches": saved.saved_search_news(index_dir, summary)})
    elif not quiet:
        _print_summary(summary, index_dir)
        for line in saved.report_new_matches(index_dir, summary):
            err(line)
    done()  # the build has committed, closed its files and let go of its lock
    raise typer.Exit(EXIT_OK)


def _print_summary(summary: BuildSummary, index_dir: Path) -> None:
    what = _("Rebuilt {index}: {records}") if summary.rebuilt else _("Updated {index}: {records}")
    counts = _("(added {added}, updated {updated}, removed {removed}, unchanged {unchanged}) in {seconds} s")
    err(
        what.format(
            index=index_dir,
            records=ngettext("{n} record", "{n} records", summary.records).format(n=summary.records),
        )
        + " "
        + counts.format(
            added=summary.added,
            updated=summary.updated,
            removed=summary.removed,
            unchanged=summary.unchanged,
            seconds=number(summary.seconds),
        )
    )
    if summary.skipped:
        err(_("Skipped {n}:").format(n=len(summary.skipped)))
        for path, reason in summary.skipped:
            err(f"  {worded(path)}: {worded(reason)}")
    if summary.ignored:
        left_out = ", ".join(worded(p) for p, _reason in summary.ignored)
        err(_("Not project texts, left out: {paths}").format(paths=left_out))
    if summary.conflicts:
        ids = list(dict.fromkeys(c["id"] for c in summary.conflicts))
        err(
            _(
                "Sources disagree for {projects} (the first value is shown; `esfsearch show ID` lists them):"
            ).format(projects=projects(len(ids)))
        )
        for record_id in ids:
            err(f"  {record_id}: {conflict_text([c for c in summary.conflicts if c['id'] == record_id])}")


@app.command(help=N_("Show how files are read: the records as JSON on stdout, unreadable files on stderr."))
def parse(
    files: list[Path] = typer.Argument(..., metavar="PATHS", help=N_("Files or folders to read")),
    no_contacts: bool = NoContactsOpt,
) -> None:
    from ..ingest import ingest

    report = ingest(files)
    records = [r.to_dict(contacts=not no_contacts) for r in report.records]
    write_json(records)
    for f in report.files:
        if f.format_info and f.records:  # a web page or document: what was read from it
            count = ngettext("{n} record", "{n} records", len(f.records)).format(n=len(f.records))
            err(
                _("read {path}: {info} -> {records}, layout {layout}").format(
                    path=f.path, info=worded(f.format_info), records=count, layout=f.layout
                )
            )
    for path, reason in report.problems:
        err(_("skipped {path}: {reason}").format(path=worded(path), reason=worded(reason)))
    for path, reason in report.ignored:
        err(_("left out {path}: {reason}").format(path=worded(path), reason=worded(reason)))
    if report.problems:
        raise typer.Exit(EXIT_NONE if records else EXIT_USAGE)
    raise typer.Exit(EXIT_OK if records else EXIT_NONE)


# ---------------------------------------------------------------- show / similar / stats


@app.command(help=N_("Show one project with every field."))
def show(
    record_id: str = typer.Argument(..., metavar="ID", help=N_("Project id (diarienummer / ärende-id)")),
    query_text: str | None = typer.Option(None, "--query", help=N_("Highlight this query's matches")),
    as_json: bool = JsonOpt,
    no_contacts: bool = NoContactsOpt,
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    from ..querylang import QueryError

    engine = open_engine(index, corpus)
    try:
        hits = engine.get(record_id)
        if not hits:
            fail(_("no project with id {id}").format(id=repr(record_id)), EXIT_NONE)
        highlights = (
            [engine.highlight(h.record, query_text) for h in hits] if query_text else [None] * len(hits)
        )
    except QueryError as exc:
        fail(query_error_text(exc), EXIT_USAGE)
    finally:
        engine.close()
    if as_json:
        out = []
        for hit, hl in zip(hits, highlights, strict=True):
            d = hit.record.to_dict(contacts=not no_contacts)
            if hl is not None:
                d["highlighted"] = hl.marked()
            out.append(d)
        write_json(out[0] if len(out) == 1 else out)
        raise typer.Exit(EXIT_OK)
    for hit, hl in zip(hits, highlights, strict=True):
        print_record(hit.record, hl, contacts=not no_contacts)


@app.command(help=N_("Projects most like the given one (more-like-this on its words)."))
def similar(
    record_id: str = typer.Argument(..., metavar="ID", help=N_("Project id")),
    limit: int = typer.Option(10, "--limit", "-n", help=N_("How many")),
    as_json: bool = JsonOpt,
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    from ..querylang import QueryError

    engine = open_engine(index, corpus)
    try:
        result = engine.similar(record_id, limit=limit)
    except QueryError as exc:
        fail(query_error_text(exc), EXIT_NONE)
    finally:
        engine.close()
    if as_json:
        write_json(result.to_dict())
    else:
        print_result(result)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


@app.command(help=N_("What is in the index: records per layout and fund, size, last build, stale or not."))
def stats(
    as_json: bool = JsonOpt,
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    engine = open_engine(index, corpus, check_stale=False)
    try:
        data = engine.stats()
    finally:
        engine.close()
    if as_json:
        write_json(data)
        return
    files = ngettext("{n} file", "{n} files", data["files"]).format(n=data["files"])
    rows = [
        (_("Index"), f"{data['index']} ({data['generation']})"),
        (
            _("Records"),
            _("{records} from {files} ({skipped} skipped)").format(
                records=data["records"], files=files, skipped=data["skipped"]
            ),
        ),
        (_("Layouts"), ", ".join(f"{k} {v}" for k, v in data["layouts"].items())),
        (_("Funds"), ", ".join(f"{k} {v}" for k, v in data["funds"].items())),
        (_("Size"), number(data["size_bytes"] / 1e6) + " MB"),
        (_("Built"), data["built_at"]),
        (_("Stale"), _("yes: run `esfsearch index`") if data["stale"] else _("no")),
    ]
    width = max(13, *(len(label) + 2 for label, _value in rows))
    for label, value in rows:
        say(f"{label:<{width}}{value}")


@app.command(
    help=N_(
        "Show the index terms the Swedish analyzer makes of a text (exact, compound parts, folded), "
        "or with --query how a query is understood and widened."
    )
)
def analyze(
    text: list[str] = typer.Argument(None, help=N_("Text to analyse")),
    query_text: str | None = typer.Option(
        None,
        "--query",
        help=N_(
            "Explain how this query is searched: its "
            "concepts, compound splits and expansion terms with their weights"
        ),
    ),
    as_json: bool = JsonOpt,
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    if query_text is not None:
        _explain(query_text, as_json, index, corpus)
        return
    if not text:
        fail(_("give a text to analyse, or --query TEXT"), EXIT_USAGE)
    from ..analysis import analyze as run

    joined = " ".join(text)
    data = {mode: run(joined, mode) for mode in ("exact", "parts", "folded")}
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    labels = {mode: _(ANALYZE_MODES[mode]) for mode in data}
    width = max(map(len, labels.values())) + 1
    for mode, terms in data.items():
        sys.stdout.write(f"{labels[mode]:<{width}} {' '.join(terms)}\n")


# The analyzer's modes (`analyze`, and the keys of its --json) and their labels in its text output.
ANALYZE_MODES = {"exact": N_("exact"), "parts": N_("parts"), "folded": N_("folded")}


def _explain(query_text: str, as_json: bool, index: Path | None, corpus: Path | None) -> None:
    """`analyze --query`: the query's concepts, compound splits and expansion terms."""
    from ..querylang import QueryError

    engine = open_engine(index, corpus)
    try:
        data = engine.explain(query_text)
    except QueryError as exc:
        fail(query_error_text(exc), EXIT_USAGE)
    finally:
        engine.close()
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    labels = {"concepts": _("concepts"), "split": _("split"), "expanded": _("expanded")}
    width = max(map(len, labels.values())) + 1
    step = _("(each a ranking step of up to {weight})").format(weight=f"{data['concept_step']:g}")
    sys.stdout.write(f"{labels['concepts']:<{width}} {' | '.join(data['concepts']) or '-'}  {step}\n")
    for split in data["compound_splits"]:
        parts = " + ".join(split["parts"])
        sys.stdout.write(f"{labels['split']:<{width}} {split['word']} -> {parts} ({split['source']})\n")
    if data["expansions"]:
        sys.stdout.write(
            f"{labels['expanded']:<{width}} "
            + ", ".join(f"{e['term']} {e['weight']:.3f}" for e in data["expansions"])
            + "  "
            + _("(below every direct match)")
            + "\n"
        )
    else:
        sys.stdout.write(f"{labels['expanded']:<{width}} -\n")


@app.command(help=N_("Open the terminal search UI."))
def tui(
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
    query_text: str = typer.Option("", "--query", help=N_("Start with this query")),
) -> None:
    from ..tui import run_tui  # the one import of the UI: only this command starts it

    index_dir, corpus_dir = paths(index, corpus)
    run_tui(index_dir, corpus_dir, query_text)


def _choose_language(ctx: typer.Context, lang: str | None) -> str | None:
    """--lang, taken first (it is eager), so that `esfsearch --lang sv --help` is Swedish too."""
    if lang is not None and lang.lower() not in LANGUAGES:
        fail(_("--lang must be sv or en, not {value}").format(value=repr(lang)), EXIT_USAGE)
    set_language(lang.lower() if lang is not None else None)  # None: the environment decides
    ctx.call_on_close(lambda: set_language(None))  # a process that runs the app again starts afresh
    return lang


@app.callback(invoke_without_command=True)
def _default(
    ctx: typer.Context,
    lang: str | None = typer.Option(
        None,
        "--lang",
        metavar="sv|en",
        is_eager=True,
        callback=_choose_language,
        help=N_(
            "Language of messages and labels: sv (Swedish) or en (English) "
            "[default: $ESFSEARCH_LANG, else Swedish when LANGUAGE/LC_ALL/LC_MESSAGES/LANG is sv_*, else English]"
        ),
    ),
) -> None:
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(tui, index=None, corpus=None, query_text="")
        else:
            typer.echo(ctx.get_help())


app.add_typer(saved.saved_app, name="saved")
app.command("eval", help=EVAL_HELP)(eval_command)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err("esfsearch: " + _("interrupted"))
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        _reader_gone()


def _reader_gone() -> NoReturn:
    """`esfsearch query … | head`: the reader went away; not an error."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def finish(code: object) -> NoReturn:
    """End the process without the interpreter's teardown (freeing every module and object: ~30 ms
    of a one-shot query), its output flushed first. Only for a command that called `output.done()`."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        _reader_gone()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
