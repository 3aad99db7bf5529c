"""How records and hits are written for people and spreadsheets: the one place the CLI and the TUI
take their wording from (amounts, dates and periods, field labels, CSV and JSON rows).

Plain strings and rows: no rich, no Textual. The field registry (fields.py) says which fields there are
and how each is displayed; this module turns values into text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from .fields import BY_NAME, MONEY, PERCENT, REGISTRY, SUMMARY_FIELDS, Field
from .records import ProjectRecord

if TYPE_CHECKING:
    from .search import Hit

# The columns of a short hit row (`query --csv`): the registry's summary fields, with the score and
# the snippet.
CSV_FIELDS = ["id", "title", "score", *(n for n in SUMMARY_FIELDS if n not in ("id", "title")), "snippet"]


def money(value: int | None) -> str:
    """1250000 -> '1 250 000 kr'."""
    return f"{value:,}".replace(",", " ") + " kr" if value is not None else ""


def percent(value: float | None) -> str:
    return f"{value:g} %" if value is not None else ""


def period(record: ProjectRecord) -> str:
    """When the project ran: '2016-01-01–2018-12-31', 'from 2016-01-01', or its programme period."""
    if record.start_date and record.end_date:
        return f"{record.start_date.isoformat()}–{record.end_date.isoformat()}"
    if record.start_date:
        return f"from {record.start_date.isoformat()}"
    return record.programme_period or ""


def format_value(field: Field | str, value: Any) -> str:
    """A field's value as shown beside its label ('' when there is none)."""
    spec = BY_NAME.get(field) if isinstance(field, str) else field
    if value is None or value == [] or value == "":
        return ""
    if spec is not None and spec.display == MONEY:
        return money(value)
    if spec is not None and spec.display == PERCENT:
        return percent(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def record_rows(record: ProjectRecord, contacts: bool = True) -> list[tuple[str, str]]:
    """(label, text) of every field of the record that has a value, in the registry's order: the
    lines of `esfsearch show` and of the TUI's detail view."""
    rows = []
    for f in REGISTRY:
        if not f.shown or (f.contact and not contacts):
            continue
        text = format_value(f, f.value(record))
        if text:
            rows.append((f.label_sv, text))
    return rows


def hit_details(record: ProjectRecord) -> list[str]:
    """The short facts beside a hit's title: owner, region, fund and period, dates, EU support."""
    parts = [record.owner, record.region, " ".join(x for x in (record.fund, record.programme_period) if x),
             period(record), money(record.eu_support)]
    return [p for p in parts if p]


def short_stamp(stamp: str | None) -> str:
    """'2025-11-23T10:20:31+01:00' -> '2025-11-23 10:20'."""
    return stamp[:16].replace("T", " ") if stamp else ""


def new_matches_sv(n: int, name: str) -> str:
    """'3 nya träffar för "kompetens"': what an index run brought a saved search."""
    return f'{n} {"ny träff" if n == 1 else "nya träffar"} för "{name}"'


def new_matches_en(n: int, name: str) -> str:
    return f'{n} new {"match" if n == 1 else "matches"} for "{name}"'


# ---------------------------------------------------------------- rows for files

def csv_row(hit: Hit, contacts: bool = True, full: bool = False) -> dict[str, Any]:
    """A hit as one CSV row: the snippet as plain text, lists joined with '; ' (sections by their headings)."""
    row = hit.to_dict(contacts=contacts, full=full)
    row["snippet"] = hit.snippet.text if hit.snippet else ""
    for key, value in list(row.items()):
        if isinstance(value, list):
            row[key] = "; ".join(v.get("heading", "") if isinstance(v, dict) else str(v) for v in value)
    return row


def write_csv(hits: Iterable[Hit], out: IO[str], contacts: bool = True, full: bool = False) -> int:
    """Hits as CSV with a header: the short columns, or every record field when `full`. Returns the count."""
    writer = None
    count = 0
    for hit in hits:
        row = csv_row(hit, contacts, full)
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row) if full else CSV_FIELDS, extrasaction="ignore",
                                    lineterminator="\n")
            writer.writeheader()
        writer.writerow(row)
        count += 1
    if writer is None:
        csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n").writeheader()
    return count


def json_row(hit: Hit, contacts: bool = True, full: bool = True) -> str:
    """A hit as one line of JSON (every record field when `full`)."""
    return json.dumps(hit.to_dict(contacts=contacts, full=full), ensure_ascii=False)
