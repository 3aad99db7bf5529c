"""`esfsearch saved …`: saved searches — follow a topic and see what is new since last time.

A thin layer over esfsearch.saved: the store gives data and errors with data; the wording for the
terminal is here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ..i18n import N_, _, speaking
from ..presentation import matches, money, new_matches, problem_text, query_error_text, short_stamp, worded
from .engine import open_engine, paths
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
from .output import EXIT_NONE, EXIT_OK, EXIT_USAGE, console, err, fail, write_hits, write_json

if TYPE_CHECKING:
    from ..querylang import Filter
    from ..saved import NewMatches, SavedSearch, SavedSearches

saved_app = App(
    name="saved",
    help=N_(
        "Saved searches: follow a topic and see which projects are new or changed since last time.\n\n"
        "\b\n"
        "  esfsearch saved add kompetens 'kompetensförsörjning region:\"Övre Norrland\"'\n"
        "  esfsearch saved new            # what each saved search has not shown you yet\n"
        "  esfsearch saved run kompetens  # the search, like `esfsearch query`; marks its hits as seen"
    ),
    no_args_is_help=True,
    **APP_SETTINGS,
)


def _store() -> SavedSearches:
    from ..saved import SavedSearches

    return SavedSearches()


def _fail_saved(exc: Exception) -> NoReturn:
    """SavedSearchNotFound exits 1 (like an unknown id in `esfsearch show`); other problems exit 2."""
    from ..saved import SavedSearchExists, SavedSearchNotFound

    if isinstance(exc, SavedSearchNotFound):
        hint = "" if exc.saved else " " + _("(add one with `esfsearch saved add NAME QUERY`)")
        fail(f"{problem_text(exc)}{hint}", EXIT_NONE)
    if isinstance(exc, SavedSearchExists):
        fail(
            _("{problem}; use --replace to overwrite it, or another name").format(problem=problem_text(exc)),
            EXIT_USAGE,
        )
    fail(problem_text(exc), EXIT_USAGE)


def _get(name: str) -> SavedSearch:
    from ..saved import SavedSearchError

    try:
        return _store().get(name)
    except SavedSearchError as exc:
        _fail_saved(exc)


def _filters_of(search: SavedSearch) -> list[Filter]:
    from ..querylang import QueryError

    try:
        return search.parsed_filters()
    except QueryError as exc:
        fail(
            _("saved search {name} no longer parses: {problem}; ").format(
                name=repr(search.name), problem=query_error_text(exc)
            )
            + _("save it again with `esfsearch saved add {name} … --replace`").format(name=search.name),
            EXIT_USAGE,
        )


# ---------------------------------------------------------------- add


@saved_app.command(
    "add", help=N_("Save a search. What it matches now counts as seen: `saved new` shows what comes later.")
)
@with_filter_options
def add(
    name: str = typer.Argument(..., help=N_("A name for the search, e.g. kompetens")),
    text: list[str] = typer.Argument(
        None,
        help=N_(
            "Query text, with filters if you like: "
            'kompetensförsörjning region:"Övre Norrland" fond:esf. '
            "Empty: every project (follow everything new)."
        ),
    ),
    filters: list[Filter] = [],  # noqa: B006 - with_filter_options puts the filter options here
    replace: bool = typer.Option(False, "--replace", help=N_("Overwrite a saved search of the same name")),
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help=N_("No confirmation or notices")),
) -> None:
    from ..index import index_exists
    from ..querylang import QueryError
    from ..saved import (
        SavedSearch,
        SavedSearchError,
        SavedSearchExists,
        check_name,
        find_name,
        identities,
        matching_hits,
        validate,
    )

    q = join_query_args(text or [])
    store = _store()
    try:
        name = check_name(name)
        validate(q, filters)
        existing = find_name(store.load(), name)
        if existing is not None and not replace:
            raise SavedSearchExists(existing)
    except QueryError as exc:
        fail(query_error_text(exc), EXIT_USAGE)
    except SavedSearchError as exc:
        _fail_saved(exc)

    # Remember what it matches now, so that `saved new` shows only what is added later.
    index_dir, corpus_dir = paths(index, corpus)
    seen, total = None, None
    if index_exists(index_dir) or corpus_dir.exists():
        engine = open_engine(index, corpus, quiet=quiet)
        try:
            probe = SavedSearch(name=name, query=q, filters=validate(q, filters))
            seen = list(identities(matching_hits(engine, probe)))
            total = len(seen)
        except QueryError as exc:
            fail(query_error_text(exc), EXIT_USAGE)
        finally:
            engine.close()
    try:
        search = store.add(
            name, q, filters, replace=replace, seen=seen, index=index_dir if seen is not None else None
        )
    except QueryError as exc:
        fail(query_error_text(exc), EXIT_USAGE)
    except SavedSearchError as exc:
        _fail_saved(exc)
    if not quiet:
        what = search.text or _("(every project)")
        saved_line = _('Saved "{name}": {query}').format(name=search.name, query=what)
        if total is None:
            err(
                _("Note: no index in {index} yet; everything the search matches will count as new.").format(
                    index=index_dir
                )
            )
            sys.stdout.write(saved_line + "\n")
        else:
            sys.stdout.write(
                _("{saved} — {matches} now.").format(saved=saved_line, matches=matches(total))
                + "\n"
                + _("`esfsearch saved new` shows what is added or changed later.")
                + "\n"
            )
    raise typer.Exit(EXIT_OK)


# ---------------------------------------------------------------- list / remove


@saved_app.command(
    "list", help=N_("The saved searches: name, query, how many matches were seen, created and last run.")
)
def list_cmd(
    as_json: bool = JsonOpt,
) -> None:
    from ..saved import SavedSearchError

    store = _store()
    try:
        searches = store.list()
    except SavedSearchError as exc:
        _fail_saved(exc)
    if as_json:
        data = [
            {
                "name": s.name,
                "query": s.query,
                "filters": s.filters,
                "text": s.text,
                "created": s.created,
                "last_run": s.last_run,
                "seen_at": s.seen_at,
                "seen": len(s.seen_hashes),
                "index": s.index,
            }
            for s in searches
        ]
        write_json(data)
    elif not searches:
        err(
            _("No saved searches yet ({path}); add one with `esfsearch saved add NAME QUERY`.").format(
                path=store.path
            )
        )
    else:
        from rich.table import Table

        table = Table(expand=False)
        for column in (_("Name"), _("Query"), _("Seen"), _("Created"), _("Last run")):
            table.add_column(column, justify="right" if column == _("Seen") else "left")
        for s in searches:
            table.add_row(
                s.name,
                s.text or _("(every project)"),
                str(len(s.seen_hashes)),
                short_stamp(s.created),
                short_stamp(s.last_run) or _("never"),
            )
        console().print(table)
    raise typer.Exit(EXIT_OK if searches else EXIT_NONE)


@saved_app.command("remove", help=N_("Remove a saved search."))
def remove(
    name: str = typer.Argument(..., help=N_("The saved search to remove")),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=N_("No confirmation")),
) -> None:
    from ..saved import SavedSearchError

    try:
        gone = _store().remove(name)
    except SavedSearchError as exc:
        _fail_saved(exc)
    if not quiet:
        sys.stdout.write(
            _('Removed "{name}": {query}').format(name=gone.name, query=gone.text or _("(every project)"))
            + "\n"
        )
    raise typer.Exit(EXIT_OK)


# ---------------------------------------------------------------- run


@saved_app.command(
    "run", help=N_("Run a saved search (output as `esfsearch query`) and mark its matches as seen.")
)
def run(
    name: str = typer.Argument(..., help=N_("The saved search to run")),
    sort: str = SortOpt,
    limit: int = LimitOpt,
    page: int = PageOpt,
    facets: bool = FacetsOpt,
    as_json: bool = JsonOpt,
    as_csv: bool = CsvOpt,
    ids: bool = IdsOpt,
    no_snippets: bool = NoSnippetsOpt,
    no_contacts: bool = NoContactsOpt,
    no_mark: bool = typer.Option(False, "--no-mark", help=N_("Do not mark the matches as seen")),
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help=N_("No notices on stderr")),
) -> None:
    from ..querylang import QueryError
    from ..saved import SavedSearchError, new_since

    if sum([as_json, as_csv, ids]) > 1:
        fail(_("choose one of --json, --csv and --ids"), EXIT_USAGE)
    search = _get(name)
    filters = _filters_of(search)
    engine = open_engine(index, corpus, quiet=quiet)
    try:
        result = engine.search(
            search.query,
            filters=filters,
            sort=sort,
            limit=limit,
            page=page,
            facets=facets,
            snippets=not no_snippets,
        )
        found = new_since(engine, search)
    except QueryError as exc:
        fail(query_error_text(exc), EXIT_USAGE)
    finally:
        engine.close()
    new_ids = [h.id for h in found.new]
    changed_ids = [h.id for h in found.changed]
    saved = {
        "name": search.name,
        "filters": search.filters,
        "since": search.seen_at,
        "new": new_ids,
        "changed": changed_ids,
        "gone": found.gone,
    }
    write_hits(result, as_json, as_csv, ids, contacts=not no_contacts, extra={"saved": saved})
    if not quiet and not as_json and search.seen_at and found.count:
        shown = ", ".join((new_ids + changed_ids)[:10]) + (" …" if found.count > 10 else "")
        err(
            _("{n} of them new or changed since {when}: {ids}").format(
                n=found.count, when=short_stamp(search.seen_at), ids=shown
            )
        )
    if not no_mark:
        try:
            _store().mark_seen(search.name, found.now, ran=True, index=engine.index_dir)
        except SavedSearchError as exc:
            _fail_saved(exc)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


# ---------------------------------------------------------------- new


@saved_app.command(
    "new", help=N_("Projects first seen or changed since each saved search was last run or marked.")
)
def new(
    name: str | None = typer.Argument(None, help=N_("One saved search [default: all of them]")),
    as_json: bool = JsonOpt,
    mark: bool = typer.Option(False, "--mark", help=N_("Mark them as seen (as `saved run` does)")),
    limit: int = typer.Option(20, "--limit", "-n", help=N_("Projects shown per search (JSON lists all)")),
    no_contacts: bool = NoContactsOpt,
    index: Path | None = IndexOpt,
    corpus: Path | None = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help=N_("No notices on stderr")),
) -> None:
    from ..querylang import QueryError
    from ..saved import SavedSearchError, new_since

    if name is not None:
        searches = [_get(name)]
    else:
        try:
            searches = _store().list()
        except SavedSearchError as exc:
            _fail_saved(exc)
        if not searches:
            if as_json:
                sys.stdout.write(json.dumps({"searches": []}) + "\n")
            err(_("No saved searches yet; add one with `esfsearch saved add NAME QUERY`."))
            raise typer.Exit(EXIT_NONE)
    engine = open_engine(index, corpus, quiet=quiet)
    results, problems = [], []
    try:
        for s in searches:
            try:
                results.append(new_since(engine, s))
            except QueryError as exc:
                problems.append(
                    _("saved search {name} no longer parses: {problem}").format(
                        name=repr(s.name), problem=query_error_text(exc)
                    )
                )
    finally:
        engine.close()
    for problem in problems:
        err(f"esfsearch: {problem}")
    if mark:
        store = _store()
        for found in results:
            try:
                store.mark_seen(found.search.name, found.now, ran=False, index=engine.index_dir)
            except SavedSearchError as exc:
                _fail_saved(exc)
    if as_json:
        out = []
        for found in results:
            s = found.search
            hits = []
            for status, group in (("new", found.new), ("changed", found.changed)):
                for hit in group:
                    d = hit.to_dict(contacts=not no_contacts)
                    d.pop("score", None)
                    d.pop("snippet", None)
                    d["status"] = status
                    hits.append(d)
            out.append(
                {
                    "name": s.name,
                    "query": s.text,
                    "since": s.seen_at,
                    "total": found.total,
                    "new": len(found.new),
                    "changed": len(found.changed),
                    "gone": found.gone,
                    "hits": hits,
                }
            )
        write_json({"searches": out})
    else:
        _print_new(results, limit, marked=mark)
    if any(found.count for found in results):
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(EXIT_USAGE if problems and not results else EXIT_NONE)


def _print_new(results: list[NewMatches], limit: int, marked: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    for n, found in enumerate(results):
        if n:
            out.print()
        s = found.search
        since = (
            _("since {when}").format(when=short_stamp(s.seen_at))
            if s.seen_at
            else _("(never run: everything counts as new)")
        )
        head = Text()
        head.append(s.name, style="bold")
        head.append(f"  {s.text or _('(every project)')}\n", style="dim")
        parts = [_("{n} new").format(n=len(found.new)), _("{n} changed").format(n=len(found.changed))]
        if found.gone:
            parts.append(_("{n} no longer match").format(n=len(found.gone)))
        head.append(
            _("{counts} {since}; {n} match now").format(counts=", ".join(parts), since=since, n=found.total)
        )
        out.print(head)
        if found.count:
            table = Table(show_header=True, expand=True)
            table.add_column("", no_wrap=True)
            table.add_column(_("Id"), no_wrap=True)
            table.add_column(_("Project"), ratio=3)
            table.add_column(_("Owner · region · EU support"), ratio=2)
            new, changed = _("new"), _("changed")
            for status, hit in [(new, h) for h in found.new] + [(changed, h) for h in found.changed]:
                if limit and table.row_count >= limit:
                    break
                r = hit.record
                details = "\n".join(d for d in (r.owner, r.region, money(r.eu_support)) if d)
                table.add_row(status, r.id, r.title, details)
            out.print(table)
            if limit and found.count > limit:
                out.print(
                    _("… and {n} more (--limit, or --json for all)").format(n=found.count - limit),
                    markup=False,
                )
    if marked:
        out.print(_("Marked as seen."))


# ---------------------------------------------------------------- after `esfsearch index`


def saved_search_news(index_dir: Path, summary: object) -> list[dict]:
    """Per saved search, the records this index run added or changed that it now matches, with the
    message in English and in Swedish whatever the user's language (`esfsearch index --json`: a
    script reads the same keys everywhere)."""
    from ..saved import new_matches as news

    entries = news(index_dir, summary)
    for entry in entries:
        if "count" in entry:
            for key, lang in (("message", "en"), ("message_sv", "sv")):
                with speaking(lang):
                    entry[key] = new_matches(entry["count"], entry["name"])
    return entries


def report_new_matches(index_dir: Path, summary: object) -> list[str]:
    """Lines for the user after `esfsearch index`: `3 new matches for "kompetensförsörjning"` for each
    saved search with new matches (nothing when there are no saved searches or nothing new)."""
    import shlex

    from ..saved import new_matches as news

    lines = []
    for entry in news(Path(index_dir), summary):
        if "error" in entry:
            lines.append(f"esfsearch: {worded(entry['error'])}")
        elif entry["count"]:
            lines.append(
                f"{new_matches(entry['count'], entry['name'])} (esfsearch saved new {shlex.quote(entry['name'])})"
            )
    return lines
