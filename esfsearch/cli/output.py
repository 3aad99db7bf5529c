"""What the commands write: data on stdout (tables, JSON, CSV, ids), errors and notices on stderr, and
the exit codes. Wording of values comes from esfsearch.presentation, shared with the TUI."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ..fields import FACETS
from ..i18n import _
from ..presentation import SEP, hit_details, matches, projects, query_error_text, record_rows, understood_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from ..querylang import Filter, QueryInfo
    from ..records import ProjectRecord
    from ..search import Hit, SearchEngine, SearchResult
    from ..snippets import Snippet

EXIT_OK, EXIT_NONE, EXIT_USAGE, EXIT_INDEX = 0, 1, 2, 3
EXIT_INTERRUPTED = 130

# Set by a command that has written everything and closed every file it opened and holds no lock
# (a query's page of hits): `cli.main.main` may then end the process without the interpreter's
# teardown (`finish`).
_done = False


def done() -> None:
    """Everything is written and closed: the process may end at once (see `cli.main.finish`)."""
    global _done
    _done = True


def is_done() -> bool:
    return _done


def console(stderr: bool = False) -> Console:
    """Rich's console, for a terminal. `:name:` in a text stays as written (no emoji codes)."""
    from rich.console import Console

    # Messages on stderr are never hard-wrapped: scripts and logs read them line by line.
    return Console(stderr=stderr, highlight=False, soft_wrap=stderr, emoji=False)


def is_terminal(stream: object) -> bool:
    """Whether rich would treat the stream as a terminal (TTY_COMPATIBLE, FORCE_COLOR, else isatty).
    Elsewhere (a pipe, a file, a test runner) text is written plain, without importing rich
    (~60-100 ms of a one-shot command): the same words, no colours, no table borders, no wrapping."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


# What rich's Text leaves out of a text (bell, backspace, vertical tab, form feed, carriage return).
_CONTROL = dict.fromkeys((7, 8, 11, 12, 13))


def plain(text: str) -> str:
    """A text as rich would show it on a non-terminal: the same characters less rich's control codes."""
    return text.translate(_CONTROL)


def say(message: str, stderr: bool = False) -> None:
    """One line (or lines) of text, never read as markup: rich on a terminal, plain elsewhere."""
    stream = sys.stderr if stderr else sys.stdout
    if is_terminal(stream):
        console(stderr=stderr).print(message, markup=False)
    else:
        stream.write(plain(message) + "\n")


def err(message: str) -> None:
    """Errors and notices go to stderr, never mixed into data on stdout."""
    say(message, stderr=True)


def fail(message: str, code: int) -> NoReturn:
    err(f"esfsearch: {message}")
    raise typer.Exit(code)


def query_failed(exc: Exception, contacts: bool = True) -> NoReturn:
    """A query error, worded for the user: a filter value no project has exits 1 (nothing can match);
    anything else the user must fix exits 2. Without contacts (--no-contacts) an unknown contact value
    gets no did-you-mean: the suggestion would be a record's contact data."""
    from ..querylang import FIELDS

    unknown = getattr(exc, "kind", None) == "unknown_value"
    if not contacts and unknown and getattr(exc, "field", None) == FIELDS["kontakt"].label:
        exc.suggestion = None  # type: ignore[attr-defined]
    fail(query_error_text(exc), EXIT_NONE if getattr(exc, "kind", None) == "unknown_value" else EXIT_USAGE)


def say_understood(info: QueryInfo | None) -> None:
    """The query as it was understood, one line on stderr ('Searched: … · region = Övre Norrland')."""
    from ..understood import understood

    err(understood_line(understood(info)))


def write_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_ids(hits: Iterable[Hit]) -> int:
    count = 0
    for hit in hits:
        sys.stdout.write(hit.id + "\n")
        count += 1
    return count


def write_csv(hits: Iterable[Hit], contacts: bool, full: bool = False, excel: bool = False) -> int:
    from ..export import columns_for, write_csv

    return write_csv(hits, sys.stdout, columns_for(full, contacts), excel=excel)


def write_hits(
    result: SearchResult,
    as_json: bool,
    as_csv: bool,
    ids: bool,
    contacts: bool,
    extra: dict | None = None,
    excel: bool = False,
) -> None:
    """One page of hits in the chosen format (`query`, `saved run`); `extra` is added to the JSON."""
    if as_json:
        write_json({**result.to_dict(contacts=contacts), **(extra or {})})
    elif as_csv:
        write_csv(result.hits, contacts, excel=excel)
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


def export_xlsx(
    engine: SearchEngine,
    q: str,
    filters: list[Filter],
    sort: str,
    path: Path,
    force: bool,
    contacts: bool,
    snippets: bool,
) -> int:
    """Every hit (as --all) to a workbook; an existing file only with --force."""
    from ..export import ExportExists, export_file

    try:
        count = export_file(
            engine.iter_hits(q, filters=filters, sort=sort, snippets=snippets),
            path,
            force=force,
            contacts=contacts,
        )
    except ExportExists as exc:
        fail(_("{path} exists; add --force to replace it").format(path=exc.path), EXIT_USAGE)
    except OSError as exc:
        fail(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc), EXIT_USAGE)
    err(_("Wrote {projects} to {path}").format(projects=projects(count), path=path))
    return count


def export_all(
    engine: SearchEngine,
    q: str,
    filters: list[Filter],
    sort: str,
    as_json: bool,
    as_csv: bool,
    ids: bool,
    contacts: bool,
    snippets: bool,
    info: QueryInfo | None = None,
    excel: bool = False,
) -> int:
    """Stream every hit with all record fields, without holding the result set in memory."""
    from ..understood import understood

    if not (as_json or as_csv or ids):
        fail(_("--all needs --json, --csv, --ids or --xlsx FILE"), EXIT_USAGE)
    hits = engine.iter_hits(q, filters=filters, sort=sort, snippets=snippets)
    if ids:
        return write_ids(hits)
    if as_csv:
        return write_csv(hits, contacts, full=True, excel=excel)
    count = 0
    query = {"typed": q, **understood(info)}  # the same `query` object as without --all
    sys.stdout.write('{"query": ' + json.dumps(query, ensure_ascii=False) + ', "hits": [\n')
    for hit in hits:
        if count:
            sys.stdout.write(",\n")
        sys.stdout.write(json.dumps(hit.to_dict(contacts=contacts, full=True), ensure_ascii=False))
        count += 1
    sys.stdout.write(f'\n], "total": {count}}}\n')
    return count


def print_result(result: SearchResult) -> None:
    """One page of hits: a table on a terminal, plain lines elsewhere (`_plain_result`). Query and
    record text is printed as Text, never read as Rich markup ('[/x]' in a title)."""
    if not is_terminal(sys.stdout):
        return _plain_result(result)
    from rich.table import Table
    from rich.text import Text

    out = console()
    if not result.total:
        out.print(Text.assemble(_("No projects match "), (result.query or _("(everything)"), "bold"), "."))
        if result.suggestion:
            out.print(Text.assemble(_("Did you mean: "), (result.suggestion, "bold"), " ?"))
        return
    out.print(_summary(result), markup=False)
    table = Table(show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(_("Project"), ratio=3)
    table.add_column(_("Owner · region · fund · period · EU support"), ratio=2)
    for n, hit in enumerate(result.hits, _first(result)):
        r = hit.record
        cell = Text()
        cell.append(r.title, style="bold")
        cell.append(f"  {r.short_id}", style="dim")
        if hit.snippet:
            cell.append("\n")
            cell.append_text(rich_snippet(hit.snippet))
        table.add_row(str(n), cell, Text("\n".join(hit_details(r))))
    out.print(table)
    for heading, values in _facet_lines(result):
        out.print(Text.assemble((heading, "bold"), ": ", values))


def _first(result: SearchResult) -> int:
    return (result.page - 1) * result.limit + 1


def _summary(result: SearchResult) -> str:
    """'15 projects match; showing 1–3 (19 ms)'."""
    first = _first(result)
    shown = f"{first}" if len(result.hits) == 1 else f"{first}–{first + len(result.hits) - 1}"
    related = (
        _(", and {n} related (found by query expansion)").format(n=result.related) if result.related else ""
    )
    ms = f"{result.seconds * 1000:.0f}"
    return _("{matches}{related}; showing {shown} ({ms} ms)").format(
        matches=matches(result.total), related=related, shown=shown, ms=ms
    )


def _facet_lines(result: SearchResult) -> list[tuple[str, str]]:
    """(heading, 'value (count), …') per facet, the first 8 values of each."""
    lines = []
    for name, counts in result.facets.items():
        field = FACETS.get(name)
        lines.append(
            (field.heading(facet=True) if field else name, ", ".join(f"{v} ({c})" for v, c in counts[:8]))
        )
    return lines


def _plain_result(result: SearchResult) -> None:
    """The table's content as lines: the header, then per hit its number and title with the id, its
    snippet, and its owner, region, fund, period and EU support on one line (each fact on one line,
    so `grep` and `less` read it; nothing is wrapped)."""
    lines: list[str] = []
    if not result.total:
        lines.append(_("No projects match ") + (result.query or _("(everything)")) + ".")
        if result.suggestion:
            lines.append(_("Did you mean: ") + result.suggestion + " ?")
    else:
        first = _first(result)
        pad = " " * (len(str(first + len(result.hits) - 1)) + 2)
        lines += [_summary(result), "", f"{'#':>{len(pad) - 2}}  {_('Project')}"]
        lines += [pad + _("Owner · region · fund · period · EU support"), ""]
        for n, hit in enumerate(result.hits, first):
            r = hit.record
            lines.append(f"{n:>{len(pad) - 2}}  {_one_line(r.title)}  {r.short_id}")
            if hit.snippet:
                lines.append(pad + _one_line(hit.snippet.text))
            details = SEP.join(hit_details(r))
            if details:
                lines.append(pad + _one_line(details))
            lines.append("")
        lines += [f"{heading}: {values}" for heading, values in _facet_lines(result)]
        if not result.facets:
            lines.pop()  # no blank line at the end
    sys.stdout.write(plain("\n".join(lines)) + "\n")


def _one_line(text: str) -> str:
    """A text on one line: its line breaks as spaces."""
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def print_record(record: ProjectRecord, highlighted: Snippet | None, contacts: bool) -> None:
    """One project: its title, a label/value line per field (for a project merged from several files,
    with the file each value came from), then its text (matches highlighted; plain off a terminal)."""
    if not is_terminal(sys.stdout):
        return _plain_record(record, highlighted, contacts)
    from rich.table import Table
    from rich.text import Text

    out = console()
    out.print(Text(record.title or "", style="bold"))
    merged = len(record.sources) > 1
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    if merged:
        table.add_column(style="dim")  # which source file each field came from
    for row in record_rows(record, contacts):
        origin = [row.origin] if merged else []
        table.add_row(
            row.label, Text(row.text), *origin, style="yellow" if row.conflict else None
        )  # never markup
    out.print(table)
    out.print()
    if highlighted is not None:
        out.print(rich_snippet(highlighted))
    else:
        out.print(record.full_text, markup=False)


def _plain_record(record: ProjectRecord, highlighted: Snippet | None, contacts: bool) -> None:
    """`print_record` off a terminal: the title, the label and value lines (labels padded to one
    width; the source file after the value for a merged project), a blank line, the text."""
    rows = record_rows(record, contacts)
    width = max((len(row.label) for row in rows), default=0)
    merged = len(record.sources) > 1
    lines = [record.title or ""]
    for row in rows:
        line = f"{row.label:<{width}} {_one_line(row.text)}"
        lines.append(f"{line}  {row.origin}" if merged and row.origin else line)
    lines += ["", highlighted.text if highlighted is not None else record.full_text]
    sys.stdout.write(plain("\n".join(lines)) + "\n")
