"""Search hits as rows for spreadsheets and scripts: the one row builder behind `esfsearch query
--csv/--excel/--xlsx/--all` and the TUI's export.

- `export_row` turns a hit into typed values (int amounts, `date`s, lists) in `COLUMNS` order;
- `write_csv` writes them as CSV, plain (comma, UTF-8) or in the Excel dialect Swedish Excel opens
  directly (semicolon, UTF-8 with BOM, decimal comma);
- `write_xlsx` writes a real workbook (openpyxl): typed cells, a bold frozen header row, column widths,
  an autofilter;
- `export_file` picks the format by suffix (.xlsx, .json, otherwise Excel CSV) and never replaces an
  existing file unless asked to (`ExportExists` carries the path).

No UI here: the CLI and the TUI decide what to tell the user.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from .fields import BY_NAME, DATE, NUMBER, REGISTRY, SUMMARY_FIELDS, Field
from .presentation import conflict_text
from .records import ProjectRecord


def _kind(field: Field) -> str:
    """How a field's values are typed in a row: text, int, float, date, list or json (a mapping or a
    list of objects, written as JSON text), from the record type's annotation (or the filter kind of a
    derived field)."""
    if field.name == "conflicts":
        return "text"  # worded: 'eu_support: 400000 (a.txt) / 450000 (b.txt)'
    annotation = _ANNOTATIONS.get(field.name)
    if annotation is None:  # derived: computed from the record
        if field.kind == NUMBER:
            return "float" if field.decimal else "int"
        return "date" if field.kind == DATE else "text"
    if annotation.startswith("list[str]"):
        return "list"
    if annotation.startswith(("list[", "dict[")):
        return "json"
    return next((k for k in ("int", "float", "date") if annotation.startswith(k)), "text")


_ANNOTATIONS = {f.name: str(f.type) for f in dataclasses.fields(ProjectRecord)}
# Every record field (and derived summary fields) in the registry's order, with the score after the
# title and the snippet last; the full export has every ProjectRecord field (tests/test_saved.py).
COLUMNS: list[tuple[str, str]] = [
    ("id", "text"),
    ("title", "text"),
    ("score", "float"),
    *(
        (f.name, _kind(f))
        for f in REGISTRY
        if (f.derive is None or f.summary) and f.name not in ("id", "title")
    ),
    ("snippet", "text"),
]
KIND = dict(COLUMNS)
ALL_COLUMNS = [name for name, _kind in COLUMNS]
BRIEF_COLUMNS = ["id", "title", "score", *(n for n in SUMMARY_FIELDS if n not in ("id", "title")), "snippet"]
CONTACT_COLUMNS = ProjectRecord.CONTACT_FIELDS
WIDTHS = {"text": 24, "int": 14, "float": 10, "date": 12, "list": 24, "json": 40}
WIDE = {
    "title": 48,
    "owner": 32,
    "summary": 80,
    "snippet": 60,
    "source_path": 40,
    "sources": 40,
    "conflicts": 40,
    "id": 16,
}
XLSX_CELL_LIMIT = 32_767  # characters Excel keeps in one cell


class ExportExists(FileExistsError):
    """The export file exists and overwriting was not asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists; not overwritten")
        self.path = path


def columns_for(full: bool, contacts: bool) -> list[str]:
    names = ALL_COLUMNS if full else BRIEF_COLUMNS
    return [n for n in names if contacts or n not in CONTACT_COLUMNS]


def export_row(hit, columns: list[str] | None = None) -> dict[str, Any]:
    """A hit's values for the columns, typed (None when missing)."""
    r = hit.record
    row: dict[str, Any] = {}
    for name in columns or ALL_COLUMNS:
        value: Any
        if name == "score":
            value = round(float(hit.score), 4) if hit.score is not None else None
        elif name == "snippet":
            value = hit.snippet.text if getattr(hit, "snippet", None) else None
        elif name == "sources":
            value = list(r.sources) or [r.source_path]
        elif name == "conflicts":
            value = conflict_text(r.conflicts) or None
        elif KIND[name] == "json":
            value = r.to_dict().get(name)  # as the record serialises it (sections are objects)
        else:
            value = BY_NAME[name].value(r)
        row[name] = None if value in ("", [], {}) else value
    return row


def text_value(value: Any, kind: str, excel: bool = False) -> str:
    """A value as CSV text: ISO dates, plain integers, '; '-joined lists, a decimal comma for Excel."""
    if value is None:
        return ""
    if kind == "json":
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if excel else text
    text = str(value)
    if excel and kind in ("text", "list") and text[:1] in ("=", "+", "-", "@"):
        text = "'" + text  # Excel would run it as a formula
    return text


def write_csv(hits: Iterable, fh: IO[str], columns: list[str], *, excel: bool = False) -> int:
    """CSV rows of the hits (a header even when there are none). Excel dialect: BOM, semicolons."""
    if excel:
        fh.write("\ufeff")
    writer = csv.writer(fh, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    writer.writerow(columns)
    count = 0
    for hit in hits:
        row = export_row(hit, columns)
        writer.writerow([text_value(row[c], KIND[c], excel) for c in columns])
        count += 1
    return count


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def write_json(hits: Iterable, fh: IO[str], columns: list[str]) -> int:
    fh.write("[\n")
    count = 0
    for hit in hits:
        if count:
            fh.write(",\n")
        row = export_row(hit, columns)
        fh.write(json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False))
        count += 1
    fh.write("\n]\n")
    return count


def write_xlsx(hits: Iterable, path: Path, columns: list[str], sheet: str = "Projekt") -> int:
    """A workbook with one sheet: header row (bold, frozen, autofilter), typed cells, column widths.
    Rows are streamed (write-only mode), so a large result never sits in memory as cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for n, name in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(n)].width = WIDE.get(name, WIDTHS[KIND[name]])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    count = 0
    for hit in hits:
        row = export_row(hit, columns)
        cells = []
        for name in columns:
            value, kind = row[name], KIND[name]
            if kind == "json" and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            elif kind == "date" and value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif kind == "int" and value is not None:
                cell.number_format = "#,##0"
            cells.append(cell)
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    wb.save(path)
    return count


def export_file(
    hits: Iterable, path: Path, *, force: bool = False, full: bool = True, contacts: bool = True
) -> int:
    """Write the hits to `path`: .xlsx a workbook, .json a JSON list, anything else Excel CSV.
    The file is written beside its target and moved into place when complete, so a failed export
    leaves no half file; an existing file is replaced only with `force` (else ExportExists)."""
    path = Path(path)
    if path.exists() and not force:
        raise ExportExists(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = columns_for(full, contacts)
    suffix = path.suffix.lower()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        if suffix == ".xlsx":
            count = write_xlsx(hits, tmp, columns)
        else:
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                if suffix == ".json":
                    count = write_json(hits, fh, columns)
                else:
                    count = write_csv(hits, fh, columns, excel=True)
        if path.exists() and not force:  # appeared while we wrote
            raise ExportExists(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count
