"""The query language: Whoosh's syntax for the free text, plus field filters in English or Swedish.

`parse_query` turns what the user typed into (scoring query, filter query, QueryInfo). Each free-text
word becomes a disjunction over the index fields: the exact stem in title and body, the stem as a
part of compounds (lower weight), the accent-folded form when the word was typed without å/ä/ö
(lower weight), and synonyms or abbreviations (lower weight). The alternatives are summed with Or:
Whoosh 2.7's DisjunctionMax matcher reports wrong scores (every match gets the top score).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from whoosh import query as Q
from whoosh.matching import ListMatcher, NullMatcher

from .analysis import STOPWORDS, default_stemmer, fold, has_accents, iter_words
from .concepts import Concept, concept_clauses, concept_step
from .fields import CONTACT, DATE, NUMBER, REGISTRY, VALUE, WORDS, YEAR, Field, filter_fields, yyyymmdd
from .i18n import N_
from .schema import normalise_value

MAX_TERMS = 200
FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS if has_accents(w))
MAX_QUERY_CHARS = 5000
MAX_COMPOUND_CHARS = 60  # longer 'words' are not split into compound parts

# Scoring weights, tuned on the judged query set (eval/).
WEIGHTS = {
    "parts": 0.85,
    "folded": 0.9,
    "synonym": 0.7,
    "id": 5.0,
    "split": 0.6,
    "folded_split": 1.0,
    "modifier": 0.1,
    "head": 0.05,
    "objectives": 0.1,
    "lexicon_split": 1.0,
    "lexicon_head": 1.0,  # a lexicon split whose modifier no text has: the head alone, x this
}
RELAX_BELOW = 10  # a query compound in fewer records than this also matches its parts one by one ...
PART_AT_MOST = 0.2  # ... each part that is in at most this share of the records ('projekt' is everywhere)


_EXPECTS_YEAR = N_("{name}: expects a year such as 2019 or a range 2018..2020, not {text}")


class QueryError(ValueError):
    """A query the user must fix; the message says how. The CLI exits 2.

    Errors the CLI and the TUI word themselves carry data: `kind` ("unknown_field", "unknown_value",
    "nothing_searchable"), `field` (the field's label, for a value), `value` (what was typed) and
    `suggestion` (the nearest known field name or value, or None). Their message is a plain fallback.
    The others carry their message as an English `template` (a msgid, marked for the catalogue) and the
    `params` it is filled with, so that the front ends can word it in the user's language."""

    def __init__(
        self,
        message: str = "",
        *,
        kind: str | None = None,
        field: str | None = None,
        value: str | None = None,
        suggestion: str | None = None,
        template: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind, self.field, self.value, self.suggestion = kind, field, value, suggestion
        self.template, self.params = template, params or {}

    @classmethod
    def worded(cls, template: str, **params: Any) -> QueryError:
        """The error `template.format(**params)`, with its template and params kept."""
        return cls(template.format(**params), template=template, params=params)


# Every name of the query language -> its field (the registry in fields.py).
FIELDS: dict[str, Field] = filter_fields()


def field_help() -> str:
    """The filter names, e.g. 'fond/fund (fund); år/ar/year (year); …', for help texts and errors."""
    return "; ".join(f"{'/'.join(f.names)} ({f.help or f.label})" for f in REGISTRY if f.kind)


@dataclass
class Filter:
    name: str  # as the user wrote it
    spec: Field
    value: str  # the value the index is searched for (an alias or amount in its plain form)
    negate: bool = False
    typed: str | None = None  # the value as the user wrote it, when it was read as another (alias, amount)
    whole: bool = False  # the value is one whole value of the field in the index ('Övre Norrland')

    def describe(self) -> str:
        return f"{'-' if self.negate else ''}{self.name}:{self.value}"


@dataclass
class QueryInfo:
    text: str  # free text left after the filters
    filters: list[Filter] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # positive free-text words (lower case)
    stems: set[str] = field(default_factory=set)  # their stems (for highlighting)
    folded_stems: set[str] = field(default_factory=set)
    terms: list[dict] = field(default_factory=list)  # how each word was searched (Rewriter.notes)
    ignored: list[str] = field(
        default_factory=list
    )  # typed text with nothing to search (stop words, symbols)
    match_all: bool = False  # no words: every project (that passes the filters)
    # how the query was widened (for the "Searched:" line and `analyze --query`):
    compound_splits: list[CompoundSplit] = field(default_factory=list)
    expansions: list[tuple[str, float]] = field(default_factory=list)  # (stem, weight) from feedback
    concepts: list[str] = field(default_factory=list)  # the words/phrases ranked "all concepts first"
    direct_floor: float = 0.0  # the least score any direct match gets from its concepts


@dataclass(frozen=True)
class CompoundSplit:
    word: str  # the query word as typed
    parts: tuple[str, ...]  # modifier and head stems it was also searched as (the head alone: see
    # Rewriter.split_with_lexicon)
    source: str  # "index" (parts known from the index) or "lexicon" (word not in any record)


_FILTER_RE = re.compile(
    r"""(?:(?<=\s)|^)(?P<neg>-|NOT\s+)?(?P<name>[^\W\d][\w]*):(?P<value>"[^"]*"?|\S+)""", re.UNICODE
)
_URL_SCHEMES = frozenset("http https ftp ftps mailto file www tel sms".split())
_TIME_RE = re.compile(r"\d{1,2}(?:[:.]\d{2}){1,2}(?:[-–]\d{1,2}(?:[:.]\d{2}){0,2})?")
MAX_VALUE_WORDS = 8  # the longest unquoted multi-word filter value tried


class FilterValues:
    """What the index knows about filter values; the search engine passes one to `parse_query`.
    Without one (no index at hand) an unquoted filter value is one word and values are not checked."""

    def matches(self, f: Filter) -> bool:  # pragma: no cover - interface
        """Some record has this value (the filter alone, not negated, matches a record)."""
        raise NotImplementedError

    def nearest(self, f: Filter, whole_only: bool = False) -> str | None:  # pragma: no cover - interface
        """The known value nearest to the filter's value (a did-you-mean), or None; `whole_only`: only
        among the values of fields that hold them whole (regions, funds …), not among single words."""
        raise NotImplementedError

    def part_of(self, f: Filter) -> str | None:  # pragma: no cover - interface
        """The one whole value that has the filter's value as a hyphenated part ('Skåne-Blekinge')."""
        raise NotImplementedError

    def known(self, f: Filter) -> str | None:  # pragma: no cover - interface
        """The value as the index spells it ('ESF' for 'esf'), when it is one whole value."""
        raise NotImplementedError


def looks_like_text(name: str, value: str) -> bool:
    """`https://…`, `www:…`, `kl:10:30`: a word before a colon that is no field, where the whole is
    plainly a link or a time, is text to search."""
    return name.lower() in _URL_SCHEMES or value.startswith("//") or bool(_TIME_RE.fullmatch(value))


def nearest_field(name: str) -> str | None:
    import difflib

    from .analysis import fold as _fold

    names = {_fold(n): n for n in FIELDS}
    found = difflib.get_close_matches(_fold(name.lower()), list(names), n=1, cutoff=0.7)
    return names[found[0]] if found else None


def unknown_field(name: str) -> QueryError:
    suggestion = nearest_field(name)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    return QueryError(
        f"unknown field {name!r}{hint} Valid fields: {field_help()}",
        kind="unknown_field",
        value=name,
        suggestion=suggestion,
    )


_STOP_TOKEN = re.compile(r'(?:AND|OR|NOT)$|[-+"(]|.*[:()"*?~^]')


def _following_words(text: str, pos: int) -> list[tuple[str, int]]:
    """The plain words after `pos` (each with its end), up to an operator, a filter or a bracket."""
    out: list[tuple[str, int]] = []
    for m in re.finditer(r"\s+(\S+)", text[pos:]):
        if _STOP_TOKEN.match(m.group(1)):
            break
        out.append((m.group(1), pos + m.end()))
        if len(out) >= MAX_VALUE_WORDS - 1:
            break
    return out


def _filter_value(
    text: str, start: int, spec: Field, name: str, negate: bool, values: FilterValues | None
) -> tuple[str, int]:
    """The value of the filter whose value starts at `start`, and where it ends."""
    if text.startswith('"', start):
        close = text.find('"', start + 1)
        end = len(text) if close < 0 else close + 1
        return text[start + 1 : end - 1 if close >= 0 else end], end
    if spec.kind == NUMBER:
        m = _NUMBER_VALUE.match(text, start)
        if m and m.group(0).strip() and (m.end() == len(text) or text[m.end()].isspace()):
            return m.group(0).strip(), m.end()
    m = re.compile(r"\S+").match(text, start)
    assert m is not None  # the filter pattern saw a value here
    value, end = m.group(0), m.end()
    if values is None or spec.kind not in (WORDS, VALUE) or value.endswith("*"):
        return value, end
    more = _following_words(text, end)
    if not more:
        return value, end
    runs = [
        (value + " " + " ".join(w for w, _e in more[:n]), more[n - 1][1]) for n in range(len(more), 0, -1)
    ]
    for run, run_end in runs:  # the longest run of words that is a value of this field
        if values.matches(normalise_filter(Filter(name, spec, run, negate))):
            return run, run_end
    for run, run_end in runs:  # ... or is one, misspelt ('Övre Norland'): it is then reported
        near = values.nearest(normalise_filter(Filter(name, spec, run, negate)), whole_only=True)
        if near and len(near.split()) == len(run.split()):
            return run, run_end
    return value, end


def split_filters(text: str, values: FilterValues | None = None) -> tuple[str, list[Filter]]:
    """Pull `field:value` filters out of the text; unknown field names are an error. With `values`
    (the index's), an unquoted value runs on over the following words that form a value it knows."""
    filters: list[Filter] = []
    rest: list[str] = []
    pos = 0
    while True:
        m = _FILTER_RE.search(text, pos)
        if m is None:
            rest.append(text[pos:])
            break
        name = m.group("name")
        spec = FIELDS.get(name.lower())
        if spec is None:
            if not looks_like_text(name, m.group("value")):
                raise unknown_field(name)
            rest.append(text[pos : m.end()])
            pos = m.end()
            continue
        value, end = _filter_value(text, m.start("value"), spec, name, bool(m.group("neg")), values)
        value = value.strip()
        if not value:
            raise QueryError.worded(N_("the filter {name}: has no value"), name=name)
        filters.append(normalise_filter(Filter(name, spec, value, bool(m.group("neg")))))
        rest.append(text[pos : m.start()] + " ")
        pos = end
    return re.sub(r"\s+", " ", "".join(rest)).strip(), filters


# ---------------------------------------------------------------- filter values

# Amounts as Swedes write them: 5 000 000, 5 000 000 kr, 5 mkr, 5,5 mkr, 500 tkr, 5m, 1–5 mkr.
_UNITS = {
    "kr": 1,
    "kronor": 1,
    "sek": 1,
    ":-": 1,
    "%": 1,
    "k": 1_000,
    "t": 1_000,
    "tkr": 1_000,
    "tsek": 1_000,
    "tusen": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mkr": 1_000_000,
    "mnkr": 1_000_000,
    "msek": 1_000_000,
    "milj": 1_000_000,
    "miljon": 1_000_000,
    "miljoner": 1_000_000,
    "mdr": 1_000_000_000,
    "miljard": 1_000_000_000,
    "miljarder": 1_000_000_000,
}
_DIGITS = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_SPACED_UNIT = r"mkr|mnkr|msek|miljoner|miljon|miljarder|miljard|milj|mdr|tkr|tsek|tusen|kronor|kr|sek|%"
_AMOUNT = rf"(?:{_DIGITS})(?:\s?(?:{_SPACED_UNIT})\.?|k|m|mn|:-)?(?![\w+])"
_NUMBER_VALUE = re.compile(
    rf"(?:>=|<=|>|<|=)?\s?(?:{_AMOUNT})?(?:\s?(?:\.\.|–|—)\s?(?:{_AMOUNT})?|-(?:{_AMOUNT}))?", re.I
)
_ONE_AMOUNT = re.compile(rf"(?P<n>{_DIGITS})\s?(?P<unit>[a-zåäö:%-]*)\.?", re.I)


def _amount(text: str, f: Filter) -> tuple[float, bool]:
    """'5,5 mkr' -> (5500000.0, True): the amount and whether it had a multiplying unit."""
    m = _ONE_AMOUNT.fullmatch(text.strip())
    unit = m.group("unit").lower() if m else ""
    if not m or unit not in _UNITS and unit:
        raise QueryError.worded(
            N_("{name}: expects a number such as 1000000, 5 000 000 kr, 5m or 2,5 mkr, not {text}"),
            name=f.name,
            text=repr(text),
        )
    digits = re.sub(r"[ \u00a0\u202f]", "", m.group("n")).replace(",", ".")
    n = float(digits) * _UNITS.get(unit, 1)
    if not abs(n) < 2**62:
        raise QueryError.worded(N_("{name}: {text} is too large"), name=f.name, text=repr(text))
    return n, _UNITS.get(unit, 1) > 1


def parse_number(text: str, f: Filter) -> float:
    """'5m' -> 5000000.0, '2,5 mkr' -> 2500000.0; QueryError naming the filter when it is no number."""
    return _amount(text, f)[0]


def _plain(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else repr(n)


def canonical_number(value: str, f: Filter) -> str:
    """A number filter's value in plain form: '>5 mkr' -> '>5000000', '1–5 mkr' -> '1000000..5000000'
    (a unit written once after a range is the unit of both ends)."""
    text = " ".join(value.split())
    m = re.fullmatch(r"(>=|<=|>|<|=)?\s?(.*)", text)
    assert m is not None  # (.*) matches anything
    op, rest = m.group(1) or "", m.group(2)
    parts = re.split(r"\s?(?:\.\.|–|—)\s?", rest, maxsplit=1)
    if len(parts) == 1 and not op:
        dash = re.fullmatch(rf"({_DIGITS})-(.+)", rest)
        if dash:
            parts = [dash.group(1), dash.group(2)]
    if len(parts) == 1:
        return op + _plain(_amount(rest, f)[0]) if rest else value
    if op:
        raise QueryError.worded(
            N_("{name}: use either a comparison or a range, not both ({text})"), name=f.name, text=repr(value)
        )
    lo_text, hi_text = parts
    hi, hi_unit = _amount(hi_text, f) if hi_text else (None, False)
    lo, lo_unit = _amount(lo_text, f) if lo_text else (None, False)
    unit = _ONE_AMOUNT.fullmatch(hi_text.strip()) if hi_unit else None
    if lo is not None and unit is not None and not lo_unit:
        lo *= _UNITS[unit.group("unit").lower()]
    return f"{'' if lo is None else _plain(lo)}..{'' if hi is None else _plain(hi)}"


def plain_amount(name: str, text: str) -> str:
    """One amount given on its own (an option's value) in plain numbers: '5 mkr' -> '5000000'."""
    f = Filter(name, FIELDS[name], text)
    return _plain(_amount(text, f)[0])


def normalise_filter(f: Filter) -> Filter:
    """The filter's value in the form the index is searched with: an amount in plain numbers, another
    name of a value (data/value_aliases.txt) as the value; `typed` keeps what the user wrote."""
    if f.spec.kind == NUMBER:
        value = canonical_number(f.value, f)
    elif f.spec.kind in (WORDS, VALUE):
        from .aliases import aliases

        value = aliases().get((f.spec.index_field, normalise_value(f.value)), f.value)
    else:
        return f
    if value != f.value:
        f.typed, f.value = f.typed or f.value, value
    return f


def number_bounds(text: str, f: Filter) -> tuple[float, float]:
    n = parse_number(text, f)
    return n, n


def year_bounds(text: str, f: Filter) -> tuple[int, int]:
    if not re.fullmatch(r"\d{4}", text):
        raise QueryError.worded(_EXPECTS_YEAR, name=f.name, text=repr(text))
    return int(text), int(text)


def date_bounds(text: str, f: Filter) -> tuple[int, int]:
    """'2016' -> (20160101, 20161231); '2016-03' -> March; '2016-03-05' -> that day (as yyyymmdd)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if not m:
        raise QueryError.worded(
            N_("{name}: expects a date as YYYY, YYYY-MM or YYYY-MM-DD, not {text}"),
            name=f.name,
            text=repr(text),
        )
    y = int(m.group(1))
    if m.group(3):
        try:
            d = date(y, int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise QueryError.worded(
                N_("{name}: {text} is not a real date"), name=f.name, text=repr(text)
            ) from None
        n = yyyymmdd(d)
        return n, n
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise QueryError.worded(
                N_("{name}: {text} has no month {month}"), name=f.name, text=repr(text), month=month
            )
        return y * 10000 + month * 100 + 1, y * 10000 + month * 100 + 31
    return y * 10000 + 101, y * 10000 + 1231


def parse_range(
    value: str, f: Filter, parse: Callable[[str, Filter], tuple[Any, Any]]
) -> tuple[Any, Any, bool, bool]:
    """(low, high, low_inclusive, high_inclusive) from '>N', '>=N', '<N', '<=N', 'A..B', 'N'."""
    m = re.fullmatch(r"(>=|<=|>|<|=)?(.+)", value)
    if m is None:
        raise QueryError.worded(N_("{name}: cannot read {text}"), name=f.name, text=repr(value))
    op, rest = m.group(1), m.group(2)
    if op is None and ".." in rest:
        a, b = rest.split("..", 1)
        lo = parse(a, f)[0] if a else None
        hi = parse(b, f)[1] if b else None
        if lo is not None and hi is not None and lo > hi:
            raise QueryError.worded(
                N_("{name}: the range {text} is empty (its start is after its end)"),
                name=f.name,
                text=repr(value),
            )
        return lo, hi, True, True
    lo, hi = parse(rest, f)
    if op == ">":
        return hi, None, False, True
    if op == ">=":
        return lo, None, True, True
    if op == "<":
        return None, lo, True, False
    if op == "<=":
        return None, hi, True, True
    return lo, hi, True, True


def filter_query(f: Filter) -> Q.Query:
    spec = f.spec
    if spec.kind in (WORDS, CONTACT):
        words = list(re.findall(r"[\w+]+(?:[-/.][\w+]+)*", normalise_value(f.value)))
        if not words:
            raise QueryError.worded(
                N_("{name}: the value {text} has no words to match"), name=f.name, text=repr(f.value)
            )
        if len(words) == 1:
            return _prefix_or_term(spec.index_field, words[0])
        return Q.Phrase(spec.index_field, words, slop=1)
    if spec.kind == VALUE:
        value = normalise_value(f.value)
        if spec.index_field == "period_v":
            years = re.findall(r"\d{4}", value)
            if len(years) == 1:
                return Q.Or(
                    [
                        Q.Term("period_v", p)
                        for p in ("2007-2013", "2014-2020", "2021-2027")
                        if int(p[:4]) <= int(years[0]) <= int(p[5:])
                    ]
                    or [Q.NullQuery]
                )
            value = "-".join(years) if len(years) == 2 else value
        if value.endswith("*"):
            return Q.Prefix(spec.index_field, value[:-1])
        return Q.Term(spec.index_field, value)
    if spec.kind == NUMBER:
        lo, hi, li, hi_inc = parse_range(f.value, f, number_bounds)
        for bound in (lo, hi):
            if bound is not None and abs(bound) >= 2**62:
                raise QueryError.worded(N_("{name}: {text} is too large"), name=f.name, text=repr(f.value))
        if not spec.decimal:
            lo = int(lo) if lo is not None else None
            hi = int(hi) if hi is not None else None
        return Q.NumericRange(spec.index_field, lo, hi, startexcl=not li, endexcl=not hi_inc)
    if spec.kind == DATE:
        lo, hi, li, hi_inc = parse_range(f.value, f, date_bounds)
        return Q.NumericRange(spec.index_field, lo, hi, startexcl=not li, endexcl=not hi_inc)
    if spec.kind == YEAR:
        lo, hi, li, hi_inc = parse_range(f.value, f, year_bounds)
        if lo is not None and not li:
            lo += 1
        if hi is not None and not hi_inc:
            hi -= 1
        # the project's period [start_year, end_year] overlaps [lo, hi]
        parts: list[Q.Query] = []
        if hi is not None:
            parts.append(Q.NumericRange("start_year", None, hi))
        if lo is not None:
            parts.append(Q.NumericRange("end_year", lo, None))
        if not parts:
            raise QueryError.worded(_EXPECTS_YEAR, name=f.name, text=repr(f.value))
        return Q.And(parts) if len(parts) > 1 else parts[0]
    raise QueryError(f"unsupported field kind {spec.kind}")  # pragma: no cover


def _prefix_or_term(fieldname: str, word: str) -> Q.Query:
    if word.endswith("*") and len(word) > 1:
        return Q.Prefix(fieldname, word[:-1])
    return Q.Term(fieldname, word)


def combine_filters(filters: list[Filter], exclude: str | None = None) -> Q.Query | None:
    """All filters ANDed; `exclude` leaves out one index field (for disjunctive facet counts)."""
    positive = [filter_query(f) for f in filters if not f.negate and f.spec.index_field != exclude]
    negative = [filter_query(f) for f in filters if f.negate and f.spec.index_field != exclude]
    if not positive and not negative:
        return None
    base: Q.Query = Q.And(positive) if positive else Q.Every()
    if negative:
        base = Q.AndNot(base, Q.Or(negative))
    return base


# ---------------------------------------------------------------- free text


def _parser():
    from whoosh.fields import TEXT, Schema
    from whoosh.qparser import FuzzyTermPlugin, OrGroup, QueryParser
    from whoosh.qparser.plugins import FieldsPlugin, RangePlugin

    from .analysis import SwedishAnalyzer

    schema = Schema(text=TEXT(analyzer=SwedishAnalyzer("plain", stopwords=())))
    parser = QueryParser("text", schema, group=OrGroup.factory(0.9))
    parser.remove_plugin_class(FieldsPlugin)
    parser.remove_plugin_class(RangePlugin)
    parser.add_plugin(FuzzyTermPlugin())
    return parser


_PARSER = None

# '-sol' at the start of a word excludes it, as in web search engines ('ESF-rådet', '2014-2020' and a
# lone '-' are left alone).
_MINUS = re.compile(r"(?:(?<=\s)|^)-(?=[\w\"(])", re.UNICODE)


def parse_free_text(text: str) -> Q.Query:
    """The free text (filters taken out) as Whoosh parses it: words, phrases, AND/OR/NOT, -word,
    prefix*, fuzzy~. A NOT among listed words excludes from all of them: 'energi NOT sol' and
    'energi -sol' are energy records without 'sol' (Whoosh alone reads it as 'energi OR NOT sol',
    which matches nearly every record)."""
    global _PARSER
    if _PARSER is None:
        _PARSER = _parser()
    try:
        parsed = _PARSER.parse(_MINUS.sub("NOT ", text))
    except Exception as exc:  # Whoosh's parser raises assorted errors on odd input
        raise QueryError.worded(N_("cannot parse the query ({problem})"), problem=str(exc)) from exc
    return _exclusions_apply_to_all(parsed)


def _exclusions_apply_to_all(q: Q.Query) -> Q.Query:
    """Or([a, b, Not(c)]) -> AndNot(Or([a, b]), c), at every level of the query."""
    if isinstance(q, Q.Or) and type(q) is Q.Or:
        children = [_exclusions_apply_to_all(c) for c in q.subqueries]
        keep = [c for c in children if not isinstance(c, Q.Not)]
        banned = [c.query for c in children if isinstance(c, Q.Not)]
        if banned and keep:
            base = keep[0] if len(keep) == 1 else Q.Or(keep, boost=q.boost)
            return Q.AndNot(base, banned[0] if len(banned) == 1 else Q.Or(banned))
        return Q.Or(children, boost=q.boost) if not banned else Q.Not(Q.Or(banned))
    return q.apply(_exclusions_apply_to_all) if q.is_leaf() is False else q


class _Or(Q.Or):
    """Or with Whoosh's union-tree matcher: on small indexes its automatic choice pre-loads every
    posting into arrays, which made warm queries on a 1 000-record index ~40% slower."""

    matcher_type = Q.Or.DEFAULT_MATCHER


MULTI_TERMS = (Q.Prefix, Q.Wildcard, Q.FuzzyTerm)


class ExpandedTerms(Q.Or):
    """A prefix, wildcard or fuzzy term expanded once over the whole index (its `Term`s, sorted),
    scored as the sum of the expansions' BM25F scores times the boost, in every segment alike.
    Whoosh's own MultiTerm.matcher expands segment by segment and scores by the segment's count (one
    expansion: a plain Term; more than two in a segment of <= 5 000 documents: every match 1.0), so a
    record's score depended on how the index was segmented. The matcher preloads each segment's sums
    (term by term, in order: the vectorised path adds them in the same order, fastpath._prefix and
    _multiterm) into one list, instead of stepping a union tree of thousands of term matchers (`ut*`)."""

    def matcher(self, searcher, context=None):
        if not self.subqueries:
            return NullMatcher()
        from whoosh.scoring import WeightLengthScorer

        scored = context is None or context.weighting is not None
        totals: dict[int, float] = {}
        lengths: dict[int, float] = {}  # a document's field length, read once for all its postings
        for sub in self.subqueries:
            m = sub.matcher(searcher, context)
            if not scored:
                totals.update(dict.fromkeys(m.all_ids(), 1.0))
                continue
            get = totals.get
            scorer = getattr(m, "scorer", None)
            if isinstance(scorer, WeightLengthScorer) and type(scorer).score is WeightLengthScorer.score:
                # scorer.score(m), i.e. _score(weight, dfl(doc)), with each length looked up once
                score, dfl, length = scorer._score, scorer.dfl, lengths.get
                while m.is_active():
                    doc = m.id()
                    dl = length(doc)
                    if dl is None:
                        dl = lengths[doc] = dfl(doc)
                    totals[doc] = get(doc, 0.0) + score(m.weight(), dl)
                    m.next()
                continue
            while m.is_active():
                doc = m.id()
                totals[doc] = get(doc, 0.0) + m.score()
                m.next()
        if not totals:
            return NullMatcher()
        ids = sorted(totals)
        boost = self.boost
        scores = [totals[d] * boost for d in ids] if boost != 1.0 else [totals[d] for d in ids]
        return _SumMatcher(ids, weights=scores)


class _SumMatcher(ListMatcher):
    """Documents with their preloaded scores (ListMatcher's weights, read as scores)."""

    def score(self):
        return self._weights[self._i]

    def supports_block_quality(self):
        return False


def expand_multiterms(q: Q.Query, reader) -> Q.Query:
    """The query with each prefix, wildcard and fuzzy term replaced by its expansions over the whole
    index `reader` (every segment's term dictionary): an `ExpandedTerms`, or NullQuery when nothing
    expands. Nodes are copied only where something below them changed."""
    if type(q) in MULTI_TERMS:
        if not q.text and type(q) is Q.Prefix:
            return q  # Whoosh: Every
        field = q.fieldname
        if field not in reader.schema:
            return Q.NullQuery
        words = sorted({w for w in q._btexts(reader) if w})
        if not words:
            return Q.NullQuery
        return ExpandedTerms([Q.Term(field, w) for w in words], boost=q.boost)
    if isinstance(q, Q.BinaryQuery):  # before CompoundQuery, its base: a and b are what it runs
        a, b = expand_multiterms(q.a, reader), expand_multiterms(q.b, reader)
        if a is q.a and b is q.b:
            return q
        new = copy.copy(q)
        new.a, new.b = a, b
        new.subqueries = (a, b)
        return new
    if isinstance(q, Q.CompoundQuery) and not isinstance(q, ExpandedTerms):
        subs = [expand_multiterms(s, reader) for s in q.subqueries]
        if all(a is b for a, b in zip(subs, q.subqueries, strict=True)):
            return q
        new = copy.copy(q)
        new.subqueries = subs
        return new
    for kind, attr in ((Q.WrappingQuery, "child"), (Q.Not, "query")):
        if isinstance(q, kind):
            inner = expand_multiterms(getattr(q, attr), reader)
            if inner is getattr(q, attr):
                return q
            new = copy.copy(q)
            setattr(new, attr, inner)
            return new
    return q


class Rewriter:
    """Turns the parser's 'text' leaves into queries over the real index fields."""

    def __init__(
        self,
        synonyms: dict[str, list[str]] | None = None,
        doc_frequency: Callable[[str, str], int] | None = None,
        doc_count: int = 0,
    ) -> None:
        self.synonyms = synonyms or {}
        self.doc_frequency = doc_frequency  # (field, term) -> documents in the index that have it
        self.doc_count = doc_count
        self.stem = default_stemmer()
        self.info_words: list[str] = []
        self.stems: set[str] = set()
        self.folded: set[str] = set()
        self.splits: list[CompoundSplit] = []
        self.terms = 0
        self.notes: list[dict] = []  # how each word was searched, for saying what was understood
        self.ignored: list[str] = []  # stop words left out
        self.direct: dict[int, Q.Query] = {}  # id(word query) -> its direct matches (without part fallbacks)
        self.fallback: dict[int, Q.Query] = {}  # id(word query) -> its single-part fallbacks

    def __call__(self, q: Q.Query, positive: bool = True) -> Q.Query:
        if isinstance(q, Q.Phrase) and q.fieldname == "text":
            return self.phrase(list(q.words), q.boost, positive)
        if isinstance(q, Q.FuzzyTerm) and q.fieldname == "text":
            return self.fuzzy(q)
        if isinstance(q, Q.Prefix) and q.fieldname == "text":
            return self.prefix(q.text, q.boost)
        if isinstance(q, Q.Wildcard) and q.fieldname == "text":
            self.notes.append({"word": q.text.lower(), "kind": "wildcard", "negated": not positive})
            return Q.Or([Q.Wildcard(f, q.text.lower()) for f in ("title", "body")], boost=q.boost)
        if isinstance(q, Q.Term) and q.fieldname == "text":
            return self.word(q.text, q.boost, positive)
        if isinstance(q, Q.Every):
            return Q.Every()
        if isinstance(q, Q.Not):
            return Q.Not(self(q.query, positive=not positive))
        if isinstance(q, Q.AndNot):
            return Q.AndNot(self(q.a, positive), self(q.b, not positive))
        return q.apply(lambda child: self(child, positive))

    def _count(self) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QueryError.worded(N_("the query has more than {n} words; shorten it"), n=MAX_TERMS)

    def word(self, word: str, boost: float = 1.0, positive: bool = True) -> Q.Query:
        self._count()
        word = word.lower()
        if word in STOPWORDS or (word in FOLDED_STOPWORDS and word.isascii()):
            self.ignored.append(word)
            return Q.NullQuery  # 'for' typed for 'för', 'pa' for 'på'

        stem = self.stem(word)
        if positive:
            self.info_words.append(word)
            self.stems.add(stem)
        alternatives: list[Q.Query] = [
            Q.Or([Q.Term("title", stem), Q.Term("body", stem)]),
            Q.Term("parts", stem, boost=WEIGHTS["parts"]),
        ]
        if WEIGHTS["objectives"]:  # thematic objective, priority axis, specific objective, programme area
            alternatives.append(Q.Term("objectives", stem, boost=WEIGHTS["objectives"]))
        if not has_accents(word) or self._unknown(stem):
            # typed without å/ä/ö, or with only some of them ('kompetensforsörjning')
            folded = self.stem(fold(word))
            alternatives.append(Q.Term("folded", folded, boost=WEIGHTS["folded"]))
            if positive:
                self.folded.add(folded)
        if any(ch.isdigit() for ch in word):
            alternatives.append(Q.Term("id_v", normalise_value(word), boost=WEIGHTS["id"]))
        # (a 'word' longer than any Swedish compound is no compound: splitting it would cost seconds)
        splittable = len(word) <= MAX_COMPOUND_CHARS
        split: tuple[str, ...] | None
        split, source, scale, folded_split = (
            self.split_compound(word) if splittable else None,
            "index",
            1.0,
            None,
        )
        fallback: list[Q.Query] = []  # single parts of a rare compound: matches, but not of the word
        if splittable and not split and WEIGHTS["lexicon_split"] and self._unseen(stem):
            split, source, scale = self.split_with_lexicon(word), "lexicon", WEIGHTS["lexicon_split"]
            if split and len(split) == 1:
                scale *= WEIGHTS["lexicon_head"]
        if split:
            both, fallback = self._split_alternatives(
                split, stem, ("title", "body", "parts"), ("body", "parts"), scale, positive
            )
            alternatives.append(both)
            if positive:
                self.splits.append(CompoundSplit(word, split, source))
        elif splittable and not has_accents(word) and WEIGHTS["folded_split"]:
            # typed without å/ä/ö: split against the folded vocabulary ('halsoinnovation')
            folded_split = self.split_compound(fold(word), field="folded")
            if folded_split:
                both, fallback = self._split_alternatives(
                    folded_split,
                    self.stem(fold(word)),
                    ("folded",),
                    ("folded",),
                    WEIGHTS["folded_split"],
                    positive,
                )
                alternatives.append(both)
        for synonym in self.synonyms.get(word, ()):
            alternatives.append(self._synonym(synonym, positive))
        self._note(
            word,
            "word",
            positive,
            stem,
            split or folded_split,
            folded=not has_accents(word) or self._unknown(stem),
        )
        query = _Or(alternatives + fallback, boost=boost)
        if fallback:
            # the concept step (concepts.py) is for records with the word itself, not with one part of it
            self.direct[id(query)] = _Or(alternatives, boost=boost)
            self.fallback[id(query)] = _Or(fallback)
        return query

    def _note(
        self,
        word: str,
        kind: str,
        positive: bool,
        stem: str | None = None,
        split: tuple[str, ...] | None = None,
        folded: bool = False,
        synonym_of: str | None = None,
    ) -> None:
        self.notes.append(
            {
                "word": word,
                "kind": kind,
                "negated": not positive,
                "stem": stem,
                "forms": stem is not None and stem != word,
                "accents": folded,
                "split": list(split) if split else None,
                "synonyms": list(self.synonyms.get(synonym_of or word, ())),
            }
        )

    def _split_alternatives(
        self,
        split: tuple[str, ...],
        stem: str,
        fields: tuple[str, ...],
        counted_in: tuple[str, ...],
        scale: float,
        positive: bool,
    ) -> tuple[Q.Query, list[Q.Query]]:
        """(modifier AND head, single-part fallbacks). Modifier AND head ('utsläpp av koldioxid' for
        'koldioxidutsläpp') is a match of the word; when the compound itself would not fill a page of hits,
        each part on its own also matches at a low weight, so that 'tågtrafiken' also lists 'Åk tåg' and
        'solenergi' 'Framtidens solel' - after every record that has the word (the fallbacks get no concept
        step: a record with one part does not cover the concept)."""

        def either(term: str, weight: float) -> Q.Query:
            return Q.Or([Q.Term(f, term) for f in fields], boost=weight * scale)

        both = Q.And([either(p, 1.0) for p in split], boost=WEIGHTS["split"] * scale)
        alternatives: list[Q.Query] = []
        if (
            len(split) > 1
            and self.doc_frequency
            and sum(self.doc_frequency(f, stem) for f in counted_in) < RELAX_BELOW
        ):
            for part, weight in zip(split, (WEIGHTS["modifier"], WEIGHTS["head"]), strict=False):
                # a part in most records tells nothing and would make the query score them all
                if max(self.doc_frequency(f, part) for f in fields) <= PART_AT_MOST * self.doc_count:
                    alternatives.append(either(part, weight))
                    if positive:  # snippets then show the part that made a record a hit
                        (self.folded if fields == ("folded",) else self.stems).add(part)
        return both, alternatives

    def share(self, stems: tuple[str, ...]) -> float:
        """The share of the records that have the rarest of these stems (a phrase is no more common than
        its rarest word); 0 when the index is not known."""
        if not self.doc_frequency or not self.doc_count or not stems:
            return 0.0
        return (
            min(max(self.doc_frequency("title", s), self.doc_frequency("body", s)) for s in stems)
            / self.doc_count
        )

    def _unseen(self, stem: str) -> bool:
        """No record has the word, neither alone nor inside a longer compound."""
        return (
            self._unknown(stem) and self.doc_frequency is not None and not self.doc_frequency("parts", stem)
        )

    def split_with_lexicon(self, word: str) -> tuple[str, ...] | None:
        """A compound no record contains, split with the Swedish lexicon (`compounds.py`: modifier + head,
        linking -s/-e/-a/-u/-o handled there) into two stems that the texts do have as words:
        'ungdomsarbetslöshet' -> ungdom + arbetslös, although no text has either inside a compound.
        When no text has the modifier either, only the head (a 1-tuple): a compound names a kind of its
        head, so 'vinterturism' is searched as 'turism' (at the split weight, no text says 'vinter')."""
        if self.doc_frequency is None or len(word) < 7 or not word.isalpha():
            return None
        from .compounds import default_splitter

        atoms = default_splitter()._atoms(word)
        best: tuple[int, tuple[str, str]] | None = None
        head_only: tuple[str] | None = None  # no text has the modifier: the compound is a kind of its head
        for k in range(1, len(atoms)):
            # modifier: the surface forms up to its last part, which is taken in base form
            modifier = "".join(surf for surf, _ in atoms[: k - 1]) + atoms[k - 1][1]
            head = "".join(surf for surf, _ in atoms[k:-1]) + atoms[-1][1]
            stems = (self.stem(modifier), self.stem(head))
            if any(s in STOPWORDS for s in stems):
                continue
            known = [sum(self.doc_frequency(f, s) for f in ("title", "body", "parts")) for s in stems]
            if all(known) and (best is None or min(known) > best[0]):
                best = (min(known), stems)
            elif known[1] and not known[0] and WEIGHTS["lexicon_head"] and head_only is None:
                head_only = (stems[1],)  # the longest head the texts have (k = 1 first)
        if best:
            return best[1]
        return head_only

    def _unknown(self, stem: str) -> bool:
        """No title or body in the index has this term (the word is only known in another form)."""
        if self.doc_frequency is None:
            return False
        return self.doc_frequency("body", stem) == 0 and self.doc_frequency("title", stem) == 0

    def split_compound(self, word: str, field: str = "parts") -> tuple[str, str] | None:
        """A query compound as modifier + head stems, both known as compound parts in the index:
        'koldioxidutsläpp' also finds texts that say 'utsläpp av koldioxid'. The index's own part
        vocabulary decides, so no lexicon has to be loaded for a query."""
        if self.doc_frequency is None or len(word) < 9 or not word.isalpha():
            return None
        # A word whose own stem is the modifier's is that word inflected or derived, not a compound:
        # 'investeringar' stems to invest, so invest|ring is the ending -ering, not the noun 'ring'
        # (likewise -ning, -else, -het after a verb or adjective stem the stemmer already joins).
        whole = self.stem(word)
        for i in range(len(word) - 4, 2, -1):  # longest modifier first
            head = word[i:]
            modifiers = [word[:i]]
            if word[i - 1] == "s" and i - 1 >= 3:
                modifiers.append(word[: i - 1])  # linking s: arbets|marknad
            elif word[i - 1] in "ou" and i - 1 >= 3:
                modifiers.append(word[: i - 1] + "a")  # hälso|vård, gatu|kök: hälsa, gata
            head_stem = self.stem(head)
            if not self.doc_frequency(field, head_stem):
                continue
            for modifier in modifiers:
                mod_stem = self.stem(modifier)
                if mod_stem == whole:
                    continue
                if mod_stem in STOPWORDS or (
                    len(modifier) < 4 and not self._short_modifier(modifier, mod_stem, field)
                ):
                    continue  # 'före|ställning', 'vidare|utveckling' are not compounds
                if self.doc_frequency(field, mod_stem):
                    return mod_stem, head_stem
        return None

    def _short_modifier(self, modifier: str, stem: str, field: str) -> bool:
        """A three-letter modifier ('sol', 'tåg') must be a word of its own in the texts too:
        prefixes such as 'för-' and 'vid-' are stopwords and never stand alone."""
        if fold(modifier) in FOLDED_STOPWORDS:
            return False
        assert self.doc_frequency is not None  # split_compound only runs with the index at hand
        return bool(self.doc_frequency("body" if field == "parts" else field, stem))

    def _synonym(self, text: str, positive: bool) -> Q.Query:
        words = [w for w, _s, _e in iter_words(text)]
        stems = [self.stem(w) for w in words if w not in STOPWORDS]
        if positive:
            self.stems.update(stems)
        if len(stems) == 1:
            return Q.Or(
                [
                    Q.Term("title", stems[0]),
                    Q.Term("body", stems[0]),
                    Q.Term("parts", stems[0], boost=WEIGHTS["parts"]),
                ],
                boost=WEIGHTS["synonym"],
            )
        slop = 1 + sum(1 for w in words if w in STOPWORDS)
        return Q.Or([Q.Phrase(f, stems, slop=slop) for f in ("title", "body")], boost=WEIGHTS["synonym"])

    def phrase(self, words: list[str], boost: float, positive: bool) -> Q.Query:
        tokens = [w for raw in words for w, _s, _e in iter_words(raw)]
        content = [w for w in tokens if w not in STOPWORDS]
        if not content:
            return Q.NullQuery
        if len(content) == 1:
            return self.word(content[0], boost, positive)
        for _ in content:
            self._count()
        stems = [self.stem(w) for w in content]
        if positive:
            self.info_words.extend(content)
            self.stems.update(stems)
        self._note(
            " ".join(content),
            "phrase",
            positive,
            " ".join(stems),
            folded=not any(has_accents(w) for w in content),
            synonym_of=" ".join(tokens),
        )
        slop = 1 + (len(tokens) - len(content))
        alternatives: list[Q.Query] = [Q.Or([Q.Phrase(f, stems, slop=slop) for f in ("title", "body")])]
        if not any(has_accents(w) for w in content):
            folded = [self.stem(fold(w)) for w in content]
            if positive:
                self.folded.update(folded)
            alternatives.append(Q.Phrase("folded", folded, slop=slop, boost=WEIGHTS["folded"]))
        phrase_text = " ".join(tokens)
        for synonym in self.synonyms.get(phrase_text, ()):
            alternatives.append(self._synonym(synonym, positive))
        return _Or(alternatives, boost=boost)

    def prefix(self, text: str, boost: float) -> Q.Query:
        self._count()
        text = text.lower()
        if len(text) < 2:
            raise QueryError.worded(
                N_("the prefix {text} is too short; give at least two letters"), text=repr(text + "*")
            )
        stem = self.stem(text) if len(text) > 4 else text
        self.notes.append({"word": text + "*", "kind": "prefix", "negated": False})
        alternatives = [Q.Prefix("title", stem), Q.Prefix("body", stem)]
        if not has_accents(text):
            alternatives.append(Q.Prefix("folded", fold(stem), boost=WEIGHTS["folded"]))
        return _Or(alternatives, boost=boost)

    def fuzzy(self, q: Q.FuzzyTerm) -> Q.Query:
        self._count()
        word = q.text.lower()
        maxdist = min(int(q.maxdist), 2)
        stem = self.stem(word)
        self.info_words.append(word)
        self.stems.add(stem)
        self.notes.append({"word": word, "kind": "fuzzy", "negated": False, "distance": maxdist})
        return Q.Or(
            [
                Q.FuzzyTerm(f, stem, maxdist=maxdist, prefixlength=max(1, q.prefixlength))
                for f in ("title", "body")
            ],
            boost=q.boost,
        )


_OPERATORS = re.compile(r"\b(?:AND|OR|NOT|TO)\b")
MATCH_ALL = "*:*"  # typed alone (or nothing at all): every project, newest first


def nothing_searchable(text: str) -> bool:
    """Only operators, brackets, symbols or emoji: no letter or digit to search for."""
    return not re.search(r"[^\W_]", _OPERATORS.sub(" ", text))


def check_values(filters: list[Filter], values: FilterValues) -> None:
    """Every filter value is one some record has; else a QueryError naming the filter ("unknown_value")."""
    for f in filters:
        if f.spec.kind not in (WORDS, VALUE, CONTACT):
            continue
        if not values.matches(Filter(f.name, f.spec, f.value)):
            spaced = " ".join(re.split(r"[-_/]+", f.value))  # 'ovre-norrland' for 'Övre Norrland'
            whole = values.part_of(f)  # 'Skåne' for 'Skåne-Blekinge'
            if spaced != f.value and values.matches(Filter(f.name, f.spec, spaced)):
                f.typed, f.value = f.typed or f.value, spaced
            elif whole:
                f.typed, f.value = f.typed or f.value, whole
            else:
                near = values.nearest(f)
                shown = f.typed or f.value
                hint = f"; did you mean {near!r}?" if near else ""
                raise QueryError(
                    f"no project has {f.spec.label} {shown!r}{hint}",
                    kind="unknown_value",
                    field=f.spec.label,
                    value=shown,
                    suggestion=near,
                )
        known = values.known(f)
        f.whole = bool(known)
        if known and known != f.value:
            f.typed, f.value = f.typed or f.value, known


def parse_query(
    text: str,
    extra_filters: list[Filter] | None = None,
    synonyms: dict[str, list[str]] | None = None,
    doc_frequency: Callable[[str, str], int] | None = None,
    doc_count: int = 0,
    values: FilterValues | None = None,
) -> tuple[Q.Query | None, list[Filter], QueryInfo]:
    """(scoring query or None for 'everything', filters, info). `doc_frequency` and `doc_count` describe
    the index the query will run on: compound splitting and accent fallbacks look at its vocabulary;
    `values` lets unquoted filter values run over several words, and checks every value exists."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError.worded(N_("the query is longer than {n} characters; shorten it"), n=MAX_QUERY_CHARS)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text)
    free, filters = split_filters(text, values)
    filters = filters + list(extra_filters or [])
    for f in filters:
        filter_query(f)  # validate early, so errors name the filter
    if values is not None:
        check_values(filters, values)
    info = QueryInfo(text=free, filters=filters)
    if not free.strip() or free.strip() == MATCH_ALL:
        info.match_all = True
        return None, filters, info
    if nothing_searchable(free):
        if not filters:
            raise QueryError(f"nothing to search for in {free!r}", kind="nothing_searchable", value=free)
        info.ignored, info.match_all = free.split(), True
        return None, filters, info
    rewriter = Rewriter(synonyms, doc_frequency, doc_count)
    parsed = parse_free_text(free)
    banned = None  # 'energi -sol': rank the listed words as usual, then leave out the banned ones
    if isinstance(parsed, Q.AndNot):
        parsed, banned = parsed.a, parsed.b
    concepts: list[Concept] = []
    if isinstance(parsed, Q.Or) and type(parsed) is Q.Or or _is_word(parsed):
        # a plain list of words and phrases: each positive one is a concept ('all concepts first')
        children = parsed.subqueries if isinstance(parsed, Q.Or) else [parsed]
        rewritten = []
        for child in children:
            sub = rewriter(child)
            rewritten.append(sub)
            if _is_word(child) and sub is not Q.NullQuery:
                stems = _concept_stems(child, rewriter)
                concepts.append(
                    Concept(
                        _concept_text(child),
                        rewriter.direct.get(id(sub), sub),
                        stems,
                        rewriter.share(stems),
                        rewriter.fallback.get(id(sub)),
                    )
                )
        scoring = _Or(rewritten + concept_clauses(concepts, doc_count=rewriter.doc_count)).normalize()
    else:
        scoring = rewriter(parsed).normalize()
    if banned is not None:
        scoring = Q.AndNot(scoring, rewriter(banned, positive=False)).normalize()
    info.words, info.stems, info.folded_stems = rewriter.info_words, rewriter.stems, rewriter.folded
    info.terms, info.ignored = rewriter.notes, rewriter.ignored
    info.compound_splits = rewriter.splits
    info.concepts = [c.text for c in concepts]
    info.direct_floor = min((concept_step(c) for c in concepts), default=0.0)
    if scoring is Q.NullQuery or isinstance(scoring, Q.NullQuery.__class__):
        if not rewriter.terms and not filters:
            raise QueryError(f"nothing to search for in {free!r}", kind="nothing_searchable", value=free)
        scoring = None if not rewriter.terms else Q.NullQuery
        info.match_all = scoring is None
    return scoring, filters, info


def _is_word(q: Q.Query) -> bool:
    return (
        isinstance(q, (Q.Term, Q.Phrase))
        and not isinstance(q, (Q.FuzzyTerm, Q.Prefix, Q.Wildcard))
        and q.fieldname == "text"
    )


def _concept_text(q: Q.Query) -> str:
    return q.text if isinstance(q, Q.Term) else '"' + " ".join(q.words) + '"'


def _concept_stems(q: Q.Query, rewriter: Rewriter) -> tuple[str, ...]:
    words = [q.text] if isinstance(q, Q.Term) else list(q.words)
    tokens = [w for raw in words for w, _s, _e in iter_words(raw.lower())]
    return tuple(rewriter.stem(w) for w in tokens if w not in STOPWORDS and w not in FOLDED_STOPWORDS)


def make_filter(name: str, value: str, negate: bool = False) -> Filter:
    """A filter from a CLI option (`--region`, `--year` ...), validated like one typed in the query."""
    spec = FIELDS.get(name)
    if spec is None:
        raise unknown_field(name)
    f = normalise_filter(Filter(name, spec, value, negate))
    filter_query(f)
    return f
