"""What the commands write: data on stdout (tables, JSON, CSV, ids), errors and notices on stderr, and
the exit codes. Wording of values comes from esfsearch.presentation, shared with the TUI."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, NoReturn

import typer

from ..presentation import hit_details, record_rows, write_csv

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from ..querylang import Filter
    from ..records import ProjectRecord
    from ..search import Hit, SearchEngine, SearchResult
    from ..snippets import Snippet

EXIT_OK, EXIT_NONE, EXIT_USAGE, EXIT_INDEX = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    # Messages on stderr are never hard-wrapped: scripts and logs read them line by line.
    return Console(stderr=stderr, highlight=False, soft_wrap=stderr)


def err(message: str) -> None:
    """Errors and notices go to stderr, never mixed into data on stdout."""
    console(stderr=True).print(message, markup=False)


def fail(message: str, code: int) -> NoReturn:
    err(f"esfsearch: {message}")
    raise typer.Exit(code)


def write_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_ids(hits: Iterable[Hit]) -> int:
    count = 0
    for hit in hits:
        sys.stdout.write(hit.id + "\n")
        count += 1
    return count


def write_hits(result: SearchResult, as_json: bool, as_csv: bool, ids: bool, contacts: bool,
               extra: dict | None = None) -> None:
    """One page of hits in the chosen format (`query`, `saved run`); `extra` is added to the JSON."""
    if as_json:
        write_json({**result.to_dict(contacts=contacts), **(extra or {})})
    elif as_csv:
        write_csv(result.hits, sys.stdout, contacts)
    elif ids:
        write_ids(result.hits)
    else:
        print_result(result)


def rich_snippet(snippet: Snippet | None) -> Text:
    from rich.text import Text

    text = Text()
    if snippet is None:
        return text
    for part, matched in snippet.segments:
        text.append(part, style="bold yellow" if matched else None)
    return text


def export_all(engine: SearchEngine, q: str, filters: list[Filter], sort: str, as_json: bool, as_csv: bool,
               ids: bool, contacts: bool, snippets: bool) -> int:
    """Stream every hit with all record fields, without holding the result set in memory."""
    if not (as_json or as_csv or ids):
        fail("--all needs --json, --csv or --ids", EXIT_USAGE)
    hits = engine.iter_hits(q, filters=filters, sort=sort, snippets=snippets)
    if ids:
        return write_ids(hits)
    if as_csv:
        return write_csv(hits, sys.stdout, contacts, full=True)
    count = 0
    sys.stdout.write('{"query": ' + json.dumps(q, ensure_ascii=False) + ', "hits": [\n')
    for hit in hits:
        if count:
            sys.stdout.write(",\n")
        sys.stdout.write(json.dumps(hit.to_dict(contacts=contacts, full=True), ensure_ascii=False))
        count += 1
    sys.stdout.write(f'\n], "total": {count}}}\n')
    return count


def print_result(result: SearchResult) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    if not result.total:
        out.print(f"No projects match [bold]{result.query or '(everything)'}[/bold].")
        if result.suggestion:
            out.print(f"Did you mean: [bold]{result.suggestion}[/bold] ?", markup=True)
        return
    first = (result.page - 1) * result.limit + 1
    out.print(f"{result.total} projects match; showing {first}–{first + len(result.hits) - 1} "
              f"({result.seconds * 1000:.0f} ms)")
    table = Table(show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Project", ratio=3)
    table.add_column("Owner · region · fund · period · EU support", ratio=2)
    for n, hit in enumerate(result.hits, first):
        r = hit.record
        cell = Text()
        cell.append(r.title, style="bold")
        cell.append(f"  {r.id}", style="dim")
        if hit.snippet:
            cell.append("\n")
            cell.append_text(rich_snippet(hit.snippet))
        table.add_row(str(n), cell, Text("\n".join(hit_details(r))))
    out.print(table)
    for name, counts in result.facets.items():
        shown = ", ".join(f"{v} ({c})" for v, c in counts[:8])
        out.print(f"[bold]{name}[/bold]: {shown}", markup=True)


def print_record(record: ProjectRecord, highlighted: Snippet | None, contacts: bool) -> None:
    """One project: its title, a label/value line per field, then its text (matches highlighted)."""
    from rich.table import Table

    out = console()
    out.print(f"[bold]{record.title}[/bold]", markup=True)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for label, text in record_rows(record, contacts):
        table.add_row(label, text)
    out.print(table)
    out.print()
    if highlighted is not None:
        out.print(rich_snippet(highlighted))
    else:
        out.print(record.full_text, markup=False)
