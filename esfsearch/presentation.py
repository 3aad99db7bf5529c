"""How records, hits and queries are worded for people: the one place the CLI and the TUI take their
wording from (amounts, dates and periods, field labels and rows, what a query was understood as, query
errors). Core modules return data; this module words it, in the current language (esfsearch.i18n).

Plain strings: no rich, no Textual. The field registry (fields.py) says which fields there are and how
each is displayed; rows for files (CSV, JSON, XLSX) are esfsearch.export's.

    understood_line(understood(info))
    -> 'Searched: nyanlända, kvinnor (+ forms) · region = Övre Norrland · EU support > 5 000 000 kr'
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fields import BY_NAME, MONEY, NUMBER, PATHS, PERCENT, REGISTRY, YEAR, Field
from .i18n import Message, _, language, ngettext
from .records import ProjectRecord

# 'EU support > 5 000 000 kr': index field -> the field, for the "Searched:" line.
_BY_INDEX_FIELD = {f.index_field: f for f in REGISTRY if f.index_field}
OPS = {"=": "=", ">": ">", ">=": "≥", "<": "<", "<=": "≤"}
SEP = " · "


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
        return _("from {date}").format(date=record.start_date.isoformat())
    return record.programme_period or ""


def projects(n: int) -> str:
    """'1 project', '2 projects'."""
    return ngettext("{n} project", "{n} projects", n).format(n=n)


def matches(n: int) -> str:
    """'1 project matches', '2 projects match'."""
    return ngettext("{n} project matches", "{n} projects match", n).format(n=n)


def short_path(path: str) -> str:
    """A source file as lists show it: its folder and name ('ebs2020/2020-00639.txt')."""
    p = Path(str(path))
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def conflict_text(conflicts: list[dict]) -> str:
    """'eu_support: 400000 (bank/a.txt) / 450000 (ebs/a.txt)' per conflicting field."""
    parts = []
    for c in conflicts or []:
        values = " / ".join(
            f"{v.get('value')} ({short_path(v.get('source', ''))})" for v in c.get("values", [])
        )
        parts.append(f"{c.get('field')}: {values}")
    return "; ".join(parts)


def format_value(field: Field | str, value: Any) -> str:
    """A field's value as shown beside its label ('' when there is none)."""
    spec = BY_NAME.get(field) if isinstance(field, str) else field
    if value is None or value == [] or value == "":
        return ""
    display = spec.display if spec is not None else None
    if display == MONEY:
        return money(value)
    if display == PERCENT:
        return percent(value)
    if display == PATHS:
        return ", ".join(short_path(v) for v in value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class FieldRow:
    """One line of a project's fields: its label, its value, and for a project merged from several
    files the file the value came from; `conflict` marks a line saying the sources disagree."""

    label: str
    text: str
    origin: str = ""
    conflict: bool = False


def record_rows(record: ProjectRecord, contacts: bool = True) -> list[FieldRow]:
    """Every field of the record that has a value, in the registry's order, then the values its
    sources disagree on: the lines of `esfsearch show` and of the TUI's detail view."""
    merged = len(record.sources) > 1
    rows = []
    for f in REGISTRY:
        if not f.shown or (f.contact and not contacts) or f.name == ("source_path" if merged else "sources"):
            continue
        text = format_value(f, f.value(record))
        if text:
            origin = record.origins.get(f.name) if merged else None
            rows.append(FieldRow(f.heading(), text, short_path(origin) if origin else ""))
    conflict = BY_NAME["conflicts"].heading()
    rows += [FieldRow(conflict, conflict_text([c]), conflict=True) for c in record.conflicts]
    return rows


def hit_details(record: ProjectRecord) -> list[str]:
    """The short facts beside a hit's title: owner, region, fund and period, dates, EU support."""
    parts = [
        record.owner,
        record.region,
        " ".join(x for x in (record.fund, record.programme_period) if x),
        period(record),
        money(record.eu_support),
    ]
    return [p for p in parts if p]


def short_stamp(stamp: str | None) -> str:
    """'2025-11-23T10:20:31+01:00' -> '2025-11-23 10:20'."""
    return stamp[:16].replace("T", " ") if stamp else ""


def new_matches(n: int, name: str) -> str:
    """'3 new matches for "kompetens"' ('3 nya träffar för …'): what an index run brought a saved search."""
    return ngettext('{n} new match for "{name}"', '{n} new matches for "{name}"', n).format(n=n, name=name)


# ---------------------------------------------------------------- what a query was understood as


def _number(value: float, field: Field | None) -> str:
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:g}"
    else:
        text = f"{int(value):,}".replace(",", " ")
    display = field.display if field is not None else None
    return text + (" kr" if display == MONEY else " %" if display == PERCENT else "")


def _value(value: Any, f: dict) -> str:
    if f.get("kind") == NUMBER:
        return _number(value, _BY_INDEX_FIELD.get(f["field"]))
    return str(value)


def filter_phrase(f: dict) -> str:
    """One applied filter: 'region = Övre Norrland', 'EU support > 5 000 000 kr', 'year 2018–2020'."""
    field = _BY_INDEX_FIELD.get(f["field"])
    label = _(field.short_label) if field is not None else f.get("label") or f["field"]
    op = f.get("op", "=")
    if op == "range":
        text = f"{label} {_value(f['low'], f)}–{_value(f['high'], f)}"
        if f.get("kind") == NUMBER and field is not None and field.display == MONEY:
            text = f"{label} {_value(f['low'], f)[:-3]}–{_value(f['high'], f)}"
    elif op == "prefix":
        text = f"{label} = {f['value']}"
    elif op == "has":
        text = _("{label} has {value}").format(label=label, value=f["value"])
    elif f.get("kind") == YEAR and op == "=":
        text = f"{label} {f['value']}"
    else:
        text = f"{label} {OPS.get(op, op)} {_value(f['value'], f)}"
    if f.get("read_as") == "value":
        text += f" ({f['typed']})"
    return _("not {what}").format(what=text) if f.get("negated") else text


def word_phrase(w: dict) -> str:
    """One searched word: 'kvinnor', '"psykisk ohälsa"', 'integr*', 'digi~', 'af (or arbetsförmedlingen)'."""
    kind = w.get("kind")
    if kind == "phrase":
        text = f'"{w["word"]}"'
    elif kind == "fuzzy":
        text = f"{w['word']}~"
    else:
        text = w["word"]
    extra = []
    if w.get("split"):
        extra.append(" + ".join(w.get("parts") or w["split"]))
    extra += w.get("synonyms") or []
    if extra:
        text += " " + _("(or {words})").format(words=", ".join(extra))
    return _("not {what}").format(what=text) if w.get("negated") else text


def understood_line(u: dict) -> str:
    """The whole query as understood, in one line."""
    parts = []
    words = u.get("words") or []
    if words:
        text = ", ".join(word_phrase(w) for w in words)
        if any(w.get("forms") for w in words):
            text += " " + _("(+ forms)")
        parts.append(text)
    elif u.get("match_all"):
        parts.append(_("every project"))
    parts += [filter_phrase(f) for f in u.get("filters") or []]
    if u.get("ignored"):
        parts.append(_("left out: {words}").format(words=" ".join(u["ignored"])))
    if not parts:
        parts.append(_("nothing"))
    return _("Searched: {query}").format(query=SEP.join(parts))


def query_error_text(exc: Exception) -> str:
    """A query error as the user reads it (errors that carry data are worded here)."""
    from .querylang import QueryError

    if not isinstance(exc, QueryError):
        return str(exc)
    kind = exc.kind
    hint = _("; did you mean '{suggestion}'?").format(suggestion=exc.suggestion) if exc.suggestion else ""
    if kind == "unknown_value":
        field = _(exc.field) if exc.field else ""
        return _("no project has {field} '{value}'").format(field=field, value=exc.value) + hint
    if kind == "unknown_field":
        if hint:
            return _("unknown field '{name}'").format(name=exc.value) + hint
        return _("unknown field '{name}' Valid fields: {fields}").format(name=exc.value, fields=field_help())
    if kind == "nothing_searchable":
        return _(
            "nothing to search for in '{query}': it has no words, only operators or symbols. "
            "Leave the query empty (or type *:*) to list every project."
        ).format(query=exc.value)
    if exc.template:
        return _(exc.template).format(**exc.params)
    return str(exc)


def field_help() -> str:
    """The filter names, e.g. 'fond/fund (fund); år/ar/year (year); …', for help texts and errors."""
    return "; ".join(f"{'/'.join(f.names)} ({_(f.help or f.label)})" for f in REGISTRY if f.kind)


# ---------------------------------------------------------------- what core modules report


class _Numbers(string.Formatter):
    """Numbers as the language writes them: a grouped `{n:,}` is '1 000 000' and a decimal `{mb:.1f}`
    '2,5' in Swedish (the template says a number is grouped or has decimals, the language how)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = format(value, format_spec)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and language() == "sv":
            text = text.translate({ord(","): " ", ord("."): ","})
        return text


_NUMBERS = _Numbers()


def number(value: float, spec: str = ".1f") -> str:
    """A number written as the user's language writes it: 1.6 s is '1,6 s' in Swedish."""
    return _NUMBERS.format_field(value, spec)


def worded(text: str) -> str:
    """What a core module reported (a skipped file's reason, an index problem) in the user's language:
    a `Message`'s msgid translated and filled with its values (Messages among them worded too); other
    text (an OS or parser message, a path) as it is."""
    if not isinstance(text, Message):
        return str(text)
    values = {k: worded(v) if isinstance(v, Message) else v for k, v in text.values.items()}
    if isinstance(text.template, str):
        return _NUMBERS.format(_(text.template), **values)
    return _NUMBERS.format(ngettext(*text.template, int(text.values["n"])), **values)


def problem_text(exc: BaseException) -> str:
    """An error from a core module as the user reads it: its Message worded, else its text."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Message):
        return worded(exc.args[0])
    return query_error_text(exc) if isinstance(exc, ValueError) else str(exc)
