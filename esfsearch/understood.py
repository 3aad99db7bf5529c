"""What a query was understood as: data for the CLI and the TUI to say back, and the index's own
vocabulary of filter values that the query language reads multi-word values and did-you-means from.

    understood(info) -> {"text": …, "words": [...], "filters": [...], "ignored": [...], "match_all": …}

No wording here: the CLI and the TUI turn this data into a line (esfsearch.presentation).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable

from whoosh import query as Q

from .fields import CONTACT, DATE, NUMBER, REGISTRY, VALUE, WORDS, YEAR
from .querylang import (
    Filter,
    FilterValues,
    QueryInfo,
    date_bounds,
    filter_query,
    number_bounds,
    parse_number,
    parse_range,
    year_bounds,
)
from .schema import normalise_value

# Index field -> the facet field that holds its values whole and as written ('Övre Norrland').
WHOLE_VALUES = {f.index_field: f.facet_index for f in REGISTRY if f.facet and f.kind in (WORDS, VALUE)}
# Index field -> the record field its values come from (for a did-you-mean as the records spell it):
# word fields, and value fields whose values are not held whole.
RECORD_FIELD = {
    f.index_field: f.name
    for f in REGISTRY
    if f.index_field
    and f.derive is None
    and (f.kind == WORDS or f.kind == VALUE and f.index_field not in WHOLE_VALUES)
}
_WORD = re.compile(r"[\w+]+(?:[-/.][\w+]+)*")


class IndexValues(FilterValues):
    """Filter values as one open index knows them (a searcher's lexicons and facet fields)."""

    def __init__(self, searcher, any_match: Callable[[Q.Query], bool | None] | None = None) -> None:
        """`any_match(query)`: whether a live record matches, answered another way (the vectorised
        path), or None to ask Whoosh's matchers. Answers are kept: they hold for this searcher."""
        self.searcher = searcher
        self.any_match = any_match
        self._whole: dict[str, dict[str, str]] = {}
        self._matched: dict[Q.Query, bool] = {}

    def matches(self, f: Filter) -> bool:
        q = filter_query(Filter(f.name, f.spec, f.value))
        if q is Q.NullQuery:
            return False
        got = self._matched.get(q)
        if got is None:
            got = self.any_match(q) if self.any_match is not None else None
            if got is None:
                got = any(True for _doc in self.searcher.docs_for_query(q))
            self._matched[q] = got
        return got

    def whole_values(self, index_field: str) -> dict[str, str]:
        """normalised value -> the value as written, for fields whose values are held whole."""
        if index_field not in self._whole:
            out: dict[str, str] = {}
            facet = WHOLE_VALUES.get(index_field)
            if facet:
                for term in self.searcher.lexicon(facet):
                    value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
                    if value:
                        out.setdefault(normalise_value(value), value)
            self._whole[index_field] = out
        return self._whole[index_field]

    def part_of(self, f: Filter) -> str | None:
        value = normalise_value(f.value)
        found = [
            raw
            for norm, raw in self.whole_values(f.spec.index_field).items()
            if "-" in norm and f" {value} " in " " + " ".join(re.split(r"[-\s]+", norm)) + " "
        ]
        return found[0] if len(found) == 1 else None

    def known(self, f: Filter) -> str | None:
        return self.whole_values(f.spec.index_field).get(normalise_value(f.value))

    def nearest(self, f: Filter, whole_only: bool = False) -> str | None:
        value = normalise_value(f.typed or f.value).rstrip("*")
        if not value:
            return None
        whole = self.whole_values(f.spec.index_field)
        found = difflib.get_close_matches(value, list(whole), n=1, cutoff=0.75) if whole else []
        if found or whole_only:
            return whole[found[0]] if found else None
        return self._nearest_words(f.spec.index_field, value)

    def _nearest_words(self, index_field: str, value: str) -> str | None:
        """Each word of the value replaced by the nearest word of the field; the result as the records
        spell it, when a record has it."""
        try:
            vocabulary = [
                t.decode("utf-8") if isinstance(t, bytes) else str(t)
                for t in self.searcher.lexicon(index_field)
            ]
        except Exception:  # a field this index does not have
            return None
        known = set(vocabulary)
        words = _WORD.findall(value)
        fixed = []
        for word in words:
            if word in known:
                fixed.append(word)
                continue
            found = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.75)
            if not found:
                return None
            fixed.append(found[0])
        if not fixed or fixed == words:
            return None
        q = Q.Phrase(index_field, fixed, slop=1) if len(fixed) > 1 else Q.Term(index_field, fixed[0])
        for docnum in self.searcher.docs_for_query(q):
            return self._as_written(docnum, index_field, fixed) or " ".join(fixed)
        return None

    def _as_written(self, docnum: int, index_field: str, words: list[str]) -> str | None:
        name = RECORD_FIELD.get(index_field)
        if not name:
            return None
        record = json.loads(self.searcher.stored_fields(docnum).get("record") or "{}")
        values = record.get(name)
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, str):
                continue
            spans = [(m.start(), m.end(), normalise_value(m.group(0))) for m in _WORD.finditer(value)]
            for i in range(len(spans) - len(words) + 1):
                if [s[2] for s in spans[i : i + len(words)]] == words:
                    return value[spans[i][0] : spans[i + len(words) - 1][1]]
        return None


def _bounds(f: Filter) -> dict:
    """A number, date or year filter as {op, low, high}: op is '=', '>', '>=', '<', '<=' or 'range'."""
    parse = {NUMBER: number_bounds, DATE: date_bounds, YEAR: year_bounds}[f.spec.kind]
    m = re.fullmatch(r"(>=|<=|>|<|=)?(.*)", f.value)
    assert m is not None  # (.*) matches anything
    op, rest = m.group(1), m.group(2)
    if op is None and ".." in rest:
        lo_text, hi_text = rest.split("..", 1)
        out = {
            "op": "range",
            "low": _shown(lo_text, f) if lo_text else None,
            "high": _shown(hi_text, f) if hi_text else None,
        }
        if out["low"] is None:
            out = {"op": "<=", "value": out["high"]}
        elif out["high"] is None:
            out = {"op": ">=", "value": out["low"]}
        return out
    parse_range(f.value, f, parse)  # validates
    return {"op": op or "=", "value": _shown(rest, f)}


def _shown(text: str, f: Filter):
    if f.spec.kind == NUMBER:
        n = parse_number(text, f)
        return int(n) if float(n).is_integer() else n
    if f.spec.kind == YEAR:
        return int(text)
    return text  # a date as typed: YYYY, YYYY-MM or YYYY-MM-DD


def filter_data(f: Filter) -> dict:
    out = {
        "field": f.spec.index_field,
        "label": f.spec.label,
        "name": f.name,
        "negated": f.negate,
        "typed": f.typed or f.value,
    }
    if f.spec.kind in (NUMBER, DATE, YEAR):
        out.update(_bounds(f))
        out["kind"] = f.spec.kind
    else:
        op = "prefix" if f.value.endswith("*") else "=" if f.whole or f.spec.kind == VALUE else "has"
        out.update(
            {"op": op, "value": f.value, "kind": "text" if f.spec.kind in (WORDS, CONTACT) else "value"}
        )
    if f.typed and normalise_value(f.typed) != normalise_value(f.value):
        out["read_as"] = "amount" if f.spec.kind == NUMBER else "value"
    return out


def _typed_parts(word: str, split: list[str]) -> list[str]:
    """A compound's parts as they stand in the typed word ('tåg', 'trafiken'), from the stems the
    index knows them by ('tåg', 'trafik'); the stems when the word does not show them."""
    from .analysis import fold

    head = split[-1]
    for text in (word, fold(word)):
        i = text.rfind(head)
        if i > 0:
            return [word[:i], word[i:]] if len(split) > 1 else [word[i:]]
    return list(split)


def understood(info: QueryInfo | None) -> dict:
    """The query as it was understood: its words (with their forms, synonyms and compound parts), the
    filters applied (field, label, normalised value), what was left out, and whether it lists all."""
    if info is None:
        return {"text": "", "words": [], "filters": [], "ignored": [], "match_all": True}
    words = []
    for note in info.terms:
        word = {k: v for k, v in note.items() if v not in (None, [], False) or k in ("negated", "kind")}
        if word.get("split"):
            word["parts"] = _typed_parts(word["word"], word["split"])
        words.append(word)
    return {
        "text": info.text,
        "words": words,
        "filters": [filter_data(f) for f in info.filters],
        "ignored": list(info.ignored),
        "match_all": info.match_all,
    }
