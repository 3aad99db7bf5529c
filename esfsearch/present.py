"""Wording shared by the CLI and the TUI: what a query was understood as, and query errors, said in one
line. Core (querylang, understood) returns the data; only this module words it.

    understood_line(understood(info))
    -> 'Searched: nyanlända, kvinnor (+ forms) · region = Övre Norrland · EU support > 5 000 000 kr'
"""

from __future__ import annotations

# Short field names for the line (the query language's own labels are longer: "granted EU support (SEK)").
SHORT_LABELS = {"eu_support": "EU support", "total_budget": "budget", "participants": "participants",
                "cofinancing_rate": "co-financing rate", "fund_v": "fund", "period_v": "period",
                "phase_v": "phase", "layout_v": "source layout", "area_v": "area", "id_v": "id",
                "title_words": "title", "owner_org_number": "org number", "nuts2": "NUTS-2",
                "cci": "CCI", "start": "start", "end": "end", "year": "year"}
MONEY_FIELDS = {"eu_support", "total_budget"}
OPS = {"=": "=", ">": ">", ">=": "≥", "<": "<", "<=": "≤"}
SEP = " · "


def plural(n: int, one: str, many: str) -> str:
    """'1 project', '2 projects'."""
    return f"{n} {one if n == 1 else many}"


def _number(value, field: str) -> str:
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:g}"
    else:
        text = f"{int(value):,}".replace(",", " ")
    if field in MONEY_FIELDS:
        return text + " kr"
    if field == "cofinancing_rate":
        return text + " %"
    return text


def _value(value, f: dict) -> str:
    if f.get("kind") == "number":
        return _number(value, f["field"])
    return str(value)


def filter_phrase(f: dict) -> str:
    """One applied filter: 'region = Övre Norrland', 'EU support > 5 000 000 kr', 'year 2018–2020'."""
    label = SHORT_LABELS.get(f["field"], f.get("label") or f["field"])
    op = f.get("op", "=")
    if op == "range":
        text = f"{label} {_value(f['low'], f)}–{_value(f['high'], f)}"
        if f.get("kind") == "number" and f["field"] in MONEY_FIELDS:
            text = f"{label} {_value(f['low'], f)[:-3]}–{_value(f['high'], f)}"
    elif op == "prefix":
        text = f"{label} = {f['value']}"
    elif op == "has":
        text = f"{label} has {f['value']}"
    elif f.get("kind") == "year" and op == "=":
        text = f"{label} {f['value']}"
    else:
        text = f"{label} {OPS.get(op, op)} {_value(f['value'], f)}"
    if f.get("read_as") == "value":
        text += f" ({f['typed']})"
    return ("not " if f.get("negated") else "") + text


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
        text += f" (or {', '.join(extra)})"
    return ("not " if w.get("negated") else "") + text


def understood_line(u: dict) -> str:
    """The whole query as understood, in one line."""
    parts = []
    words = u.get("words") or []
    if words:
        text = ", ".join(word_phrase(w) for w in words)
        if any(w.get("forms") for w in words):
            text += " (+ forms)"
        parts.append(text)
    elif u.get("match_all"):
        parts.append("every project")
    parts += [filter_phrase(f) for f in u.get("filters") or []]
    if u.get("ignored"):
        parts.append("left out: " + " ".join(u["ignored"]))
    if not parts:
        parts.append("nothing")
    return "Searched: " + SEP.join(parts)


def query_error_text(exc) -> str:
    """A query error as the user reads it (errors that carry data are worded here)."""
    kind = getattr(exc, "kind", None)
    hint = f"; did you mean '{exc.suggestion}'?" if getattr(exc, "suggestion", None) else ""
    if kind == "unknown_value":
        return f"no project has {exc.field} '{exc.value}'{hint}"
    if kind == "unknown_field":
        if hint:
            return f"unknown field '{exc.value}'{hint}"
        return str(exc)
    if kind == "nothing_searchable":
        return (f"nothing to search for in '{exc.value}': it has no words, only operators or symbols. "
                "Leave the query empty (or type *:*) to list every project.")
    return str(exc)
