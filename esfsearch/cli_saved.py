"""`esfsearch saved …`: saved searches — follow a topic and see what is new since last time.

A thin layer over esfsearch.saved; output helpers, options and exit codes come from esfsearch.cli
(imported inside the commands: esfsearch.cli imports this module while it is being set up).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .cli_options import (
    APP_SETTINGS, AreaOpt, CorpusOpt, CountyOpt, CsvOpt, EndBeforeOpt, FacetsOpt, FundOpt, IdsOpt, IndexOpt,
    JsonOpt, LimitOpt, MaxBudgetOpt, MaxSupportOpt, MinBudgetOpt, MinSupportOpt, MunicipalityOpt,
    NoContactsOpt, NoSnippetsOpt, OwnerOpt, PageOpt, PeriodOpt, PhaseOpt, RegionOpt, SortOpt,
    StartFromOpt, YearOpt,
)

saved_app = typer.Typer(
    name="saved",
    help="Saved searches: follow a topic and see which projects are new or changed since last time.\n\n"
         "\b\n"
         "  esfsearch saved add kompetens 'kompetensförsörjning region:\"Övre Norrland\"'\n"
         "  esfsearch saved new            # what each saved search has not shown you yet\n"
         "  esfsearch saved run kompetens  # the search, like `esfsearch query`; marks its hits as seen",
    no_args_is_help=True,
    **APP_SETTINGS,
)


def _store():
    from .saved import SavedSearches

    return SavedSearches()


def _fail_saved(exc) -> None:
    """SavedSearchNotFound exits 1 (like an unknown id in `esfsearch show`); other problems exit 2."""
    from .cli import EXIT_NONE, EXIT_USAGE, fail
    from .saved import SavedSearchNotFound

    fail(str(exc), EXIT_NONE if isinstance(exc, SavedSearchNotFound) else EXIT_USAGE)


def _get(name: str):
    from .saved import SavedSearchError

    try:
        return _store().get(name)
    except SavedSearchError as exc:
        _fail_saved(exc)


def _filters_of(search):
    from .cli import EXIT_USAGE, fail
    from .querylang import QueryError

    try:
        return search.parsed_filters()
    except QueryError as exc:
        fail(f"saved search {search.name!r} no longer parses: {exc}; "
             f"save it again with `esfsearch saved add {search.name} … --replace`", EXIT_USAGE)


# ---------------------------------------------------------------- add

@saved_app.command("add")
def add(
    name: str = typer.Argument(..., help="A name for the search, e.g. kompetens"),
    text: List[str] = typer.Argument(None, help='Query text, with filters if you like: '
                                               'kompetensförsörjning region:"Övre Norrland" fond:esf. '
                                               'Empty: every project (follow everything new).'),
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
    replace: bool = typer.Option(False, "--replace", help="Overwrite a saved search of the same name"),
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No confirmation or notices"),
) -> None:
    """Save a search. What it matches now counts as seen: `saved new` shows what comes later."""
    from .cli import EXIT_OK, EXIT_USAGE, _option_filters, _paths, err, fail, open_engine
    from .index import index_exists
    from .querylang import QueryError
    from .querylang import join_query_args
    from .saved import SavedSearchError, _find, check_name, identities, matching_hits, validate

    q = join_query_args(text or [])
    store = _store()
    try:
        name = check_name(name)
        filters = _option_filters(region=region, owner=owner, fund=fund, county=county, municipality=municipality,
                                  period=period, phase=phase, area=area, year=year, min_budget=min_budget,
                                  max_budget=max_budget, min_support=min_support, max_support=max_support,
                                  start_from=start_from, end_before=end_before)
        validate(q, filters)
        existing = _find(store.load(), name)
        if existing is not None and not replace:
            raise SavedSearchError(f"there is already a saved search named {existing!r}; "
                                   "use --replace to overwrite it, or another name")
    except QueryError as exc:
        fail(str(exc), EXIT_USAGE)
    except SavedSearchError as exc:
        _fail_saved(exc)

    # Remember what it matches now, so that `saved new` shows only what is added later.
    index_dir, corpus_dir = _paths(index, corpus)
    seen, total = None, None
    if index_exists(index_dir) or corpus_dir.exists():
        engine = open_engine(index, corpus, quiet=quiet)
        try:
            from .saved import SavedSearch

            probe = SavedSearch(name=name, query=q, filters=validate(q, filters))
            seen = list(identities(matching_hits(engine, probe)))
            total = len(seen)
        except QueryError as exc:
            fail(str(exc), EXIT_USAGE)
        finally:
            engine.close()
    try:
        search = store.add(name, q, filters, replace=replace, seen=seen, index=index_dir if seen is not None else None)
    except QueryError as exc:
        fail(str(exc), EXIT_USAGE)
    except SavedSearchError as exc:
        _fail_saved(exc)
    if not quiet:
        what = search.text or "(every project)"
        if total is None:
            err(f"Note: no index in {index_dir} yet; everything the search matches will count as new.")
            sys.stdout.write(f'Saved "{search.name}": {what}\n')
        else:
            sys.stdout.write(f'Saved "{search.name}": {what} — {total} '
                             f'{"project matches" if total == 1 else "projects match"} now.\n'
                             f"`esfsearch saved new` shows what is added or changed later.\n")
    raise typer.Exit(EXIT_OK)


# ---------------------------------------------------------------- list / remove

@saved_app.command("list")
def list_cmd(
    as_json: bool = JsonOpt,
) -> None:
    """The saved searches: name, query, how many matches were seen, created and last run."""
    from .cli import EXIT_NONE, EXIT_OK, _console, err
    from .saved import SavedSearchError

    store = _store()
    try:
        searches = store.list()
    except SavedSearchError as exc:
        _fail_saved(exc)
    if as_json:
        data = [{"name": s.name, "query": s.query, "filters": s.filters, "text": s.text, "created": s.created,
                 "last_run": s.last_run, "seen_at": s.seen_at, "seen": len(s.seen_hashes), "index": s.index}
                for s in searches]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif not searches:
        err(f"No saved searches yet ({store.path}); add one with `esfsearch saved add NAME QUERY`.")
    else:
        from rich.table import Table

        table = Table(expand=False)
        for column in ("Name", "Query", "Seen", "Created", "Last run"):
            table.add_column(column, justify="right" if column == "Seen" else "left")
        for s in searches:
            table.add_row(s.name, s.text or "(every project)", str(len(s.seen_hashes)), _short(s.created),
                          _short(s.last_run) or "never")
        _console().print(table)
    raise typer.Exit(EXIT_OK if searches else EXIT_NONE)


def _short(stamp: Optional[str]) -> str:
    """'2025-11-23T10:20:31+01:00' -> '2025-11-23 10:20'."""
    return stamp[:16].replace("T", " ") if stamp else ""


@saved_app.command("remove")
def remove(
    name: str = typer.Argument(..., help="The saved search to remove"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No confirmation"),
) -> None:
    """Remove a saved search."""
    from .cli import EXIT_OK
    from .saved import SavedSearchError

    try:
        gone = _store().remove(name)
    except SavedSearchError as exc:
        _fail_saved(exc)
    if not quiet:
        sys.stdout.write(f'Removed "{gone.name}": {gone.text or "(every project)"}\n')
    raise typer.Exit(EXIT_OK)


# ---------------------------------------------------------------- run

@saved_app.command("run")
def run(
    name: str = typer.Argument(..., help="The saved search to run"),
    sort: str = SortOpt,
    limit: int = LimitOpt,
    page: int = PageOpt,
    facets: bool = FacetsOpt,
    as_json: bool = JsonOpt,
    as_csv: bool = CsvOpt,
    ids: bool = IdsOpt,
    no_snippets: bool = NoSnippetsOpt,
    no_contacts: bool = NoContactsOpt,
    no_mark: bool = typer.Option(False, "--no-mark", help="Do not mark the matches as seen"),
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No notices on stderr"),
) -> None:
    """Run a saved search (output as `esfsearch query`) and mark its matches as seen."""
    from .cli import EXIT_NONE, EXIT_OK, EXIT_USAGE, _print_result, _write_csv, err, fail, open_engine
    from .querylang import QueryError
    from .saved import SavedSearchError, new_since

    if sum([as_json, as_csv, ids]) > 1:
        fail("choose one of --json, --csv and --ids", EXIT_USAGE)
    search = _get(name)
    filters = _filters_of(search)
    engine = open_engine(index, corpus, quiet=quiet)
    try:
        result = engine.search(search.query, filters=filters, sort=sort, limit=limit, page=page, facets=facets,
                               snippets=not no_snippets)
        found = new_since(engine, search)
    except QueryError as exc:
        fail(str(exc), EXIT_USAGE)
    finally:
        engine.close()
    new_ids = [h.id for h in found.new]
    changed_ids = [h.id for h in found.changed]
    if as_json:
        data = result.to_dict(contacts=not no_contacts)
        data["saved"] = {"name": search.name, "filters": search.filters, "since": search.seen_at,
                         "new": new_ids, "changed": changed_ids, "gone": found.gone}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif as_csv:
        _write_csv(iter(result.hits), not no_contacts)
    elif ids:
        for hit in result.hits:
            sys.stdout.write(hit.id + "\n")
    else:
        _print_result(result)
    if not quiet and not as_json and search.seen_at:
        if found.count:
            err(f"{found.count} of them new or changed since {_short(search.seen_at)}: {', '.join((new_ids + changed_ids)[:10])}"
                + (" …" if found.count > 10 else ""))
    if not no_mark:
        try:
            _store().mark_seen(search.name, found.now, ran=True, index=engine.index_dir)
        except SavedSearchError as exc:
            _fail_saved(exc)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


# ---------------------------------------------------------------- new

@saved_app.command("new")
def new(
    name: Optional[str] = typer.Argument(None, help="One saved search [default: all of them]"),
    as_json: bool = JsonOpt,
    mark: bool = typer.Option(False, "--mark", help="Mark them as seen (as `saved run` does)"),
    limit: int = typer.Option(20, "--limit", "-n", help="Projects shown per search (JSON lists all)"),
    no_contacts: bool = NoContactsOpt,
    index: Optional[Path] = IndexOpt,
    corpus: Optional[Path] = CorpusOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No notices on stderr"),
) -> None:
    """Projects first seen or changed since each saved search was last run or marked."""
    from .cli import EXIT_NONE, EXIT_OK, EXIT_USAGE, err, open_engine
    from .querylang import QueryError
    from .saved import SavedSearchError, new_since

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
            err("No saved searches yet; add one with `esfsearch saved add NAME QUERY`.")
            raise typer.Exit(EXIT_NONE)
    engine = open_engine(index, corpus, quiet=quiet)
    results, problems = [], []
    try:
        for s in searches:
            try:
                results.append(new_since(engine, s))
            except QueryError as exc:
                problems.append(f"saved search {s.name!r} no longer parses: {exc}")
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
            out.append({"name": s.name, "query": s.text, "since": s.seen_at, "total": found.total,
                        "new": len(found.new), "changed": len(found.changed), "gone": found.gone, "hits": hits})
        sys.stdout.write(json.dumps({"searches": out}, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_new(results, limit, marked=mark)
    if any(found.count for found in results):
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(EXIT_USAGE if problems and not results else EXIT_NONE)


def _print_new(results, limit: int, marked: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from .cli import _console, _money

    console = _console()
    for n, found in enumerate(results):
        if n:
            console.print()
        s = found.search
        since = f"since {_short(s.seen_at)}" if s.seen_at else "(never run: everything counts as new)"
        head = Text()
        head.append(s.name, style="bold")
        head.append(f"  {s.text or '(every project)'}\n", style="dim")
        parts = [f"{len(found.new)} new", f"{len(found.changed)} changed"]
        if found.gone:
            parts.append(f"{len(found.gone)} no longer match")
        head.append(f"{', '.join(parts)} {since}; {found.total} match now")
        console.print(head)
        if found.count:
            table = Table(show_header=True, expand=True)
            table.add_column("", no_wrap=True)
            table.add_column("Id", no_wrap=True)
            table.add_column("Project", ratio=3)
            table.add_column("Owner · region · EU support", ratio=2)
            for status, hit in [("new", h) for h in found.new] + [("changed", h) for h in found.changed]:
                if limit and table.row_count >= limit:
                    break
                r = hit.record
                details = "\n".join(d for d in (r.owner, r.region, _money(r.eu_support)) if d)
                table.add_row(status, r.id, r.title, details)
            console.print(table)
            if limit and found.count > limit:
                console.print(f"… and {found.count - limit} more (--limit, or --json for all)")
    if marked:
        console.print("Marked as seen.")
