"""The Whoosh schema of a project record, and the record -> index document mapping.

Bump SCHEMA_VERSION whenever fields or analyzers change: an index with another version is refused
with a message telling the user to rebuild.
"""

from __future__ import annotations

import json
import re
import unicodedata

from whoosh.analysis import Composable, Token
from whoosh.compat import dumps
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from .analysis import SwedishAnalyzer, fold
from .records import ProjectRecord
from .values import programme_area_label

SCHEMA_VERSION = 11   # 11: one document per project (merged records), objectives field, narrower date terms
VALUE_SEP = "\x1f"


def normalise_value(value: str) -> str:
    """How filter values compare: case, accents and spacing do not matter ('ovre norrland')."""
    value = unicodedata.normalize("NFC", value).lower()
    return re.sub(r"\s+", " ", fold(value)).strip()


class ValueAnalyzer(Composable):
    """Each VALUE_SEP-separated value is one token; normalised for filters, raw for facets."""

    def __init__(self, normalise: bool = True) -> None:
        self.normalise = normalise

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ValueAnalyzer) and other.normalise == self.normalise

    def __hash__(self) -> int:
        return hash(self.normalise)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        values = value.split(VALUE_SEP) if tokenize else [value]
        for pos, item in enumerate(values, start_pos):
            item = normalise_value(item) if self.normalise else item.strip()
            if not item:
                continue
            token.text, token.boost, token.stopped = item, 1.0, False
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(item)
            yield token

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """What indexing `value` gives (see FastIndex), without a token stream."""
        out: dict[str, list[int]] = {}
        for pos, item in enumerate(value.split(VALUE_SEP)):
            item = normalise_value(item) if self.normalise else item.strip()
            if item:
                out.setdefault(item, []).append(pos)
        return out


class WordsAnalyzer(Composable):
    """Folded lower-case words of field values, with a position gap between values so that a
    phrase filter ('region:"övre norrland"') never spans two values."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordsAnalyzer)

    def __hash__(self) -> int:
        return 7

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for item in value.split(VALUE_SEP):
            for word in re.findall(r"[\w+]+(?:[-/.][\w+]+)*", normalise_value(item)):
                token.text, token.boost, token.stopped = word, 1.0, False
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = start_char, start_char + len(word)
                yield token
                pos += 1
            pos += 10

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """What indexing `value` gives (see FastIndex), without a token stream."""
        out: dict[str, list[int]] = {}
        pos = 0
        for item in value.split(VALUE_SEP):
            for word in _WORDS.findall(normalise_value(item)):
                out.setdefault(word, []).append(pos)
                pos += 1
            pos += 10
        return out


_WORDS = re.compile(r"[\w+]+(?:[-/.][\w+]+)*")


class FastIndex:
    """A field mixin: `index()` builds each term's postings value from the analyzer's term -> positions
    table instead of a token stream, one step per distinct word rather than several generator steps
    per token. The postings are exactly those of Whoosh's `Positions`/`Frequency` formats (weight =
    frequency x field boost; all token boosts are 1.0); other formats and non-string values go the
    ordinary way."""

    def index(self, value, **kwargs):
        fmt = self.format
        kind = type(fmt)
        if not isinstance(value, str) or kind not in (Positions, Frequency) \
                or not hasattr(self.analyzer, "term_positions"):
            yield from super().index(value, **kwargs)
            return
        boost = fmt.field_boost
        if kind is Positions:
            for term, positions in self.analyzer.term_positions(value).items():
                n = len(positions)
                deltas = [positions[0]]
                deltas += [b - a for a, b in zip(positions, positions[1:])]
                yield term.encode("utf-8"), n, n * boost, pack_uint(n) + dumps(deltas, 2)
        else:
            for term, positions in self.analyzer.term_positions(value).items():
                n = len(positions)
                yield term.encode("utf-8"), n, n * boost, pack_uint(n)


class FastText(FastIndex, TEXT):
    """TEXT indexed through FastIndex."""


class FastKeyword(FastIndex, KEYWORD):
    """KEYWORD indexed through FastIndex."""


def _text(analyzer_mode: str, boost: float = 1.0, phrase: bool = True) -> TEXT:
    return FastText(analyzer=SwedishAnalyzer(analyzer_mode), phrase=phrase, field_boost=boost)


# Word fields that filters search with a phrase of the filter's words.
WORD_FILTER_FIELDS = ("region", "county", "municipality", "owner", "programme_area", "specific_objective",
                      "thematic_objective", "priority_axis", "intervention_type", "nuts2", "cci",
                      "owner_org_number", "title_words")
# Exact-value filter fields.
VALUE_FILTER_FIELDS = ("id", "fund", "period", "phase", "layout", "area")
# Facet fields: raw values, counted with groupedby.
FACET_FIELDS = {"region": "region_f", "fund": "fund_f", "period": "period_f", "area": "area_f",
                "county": "county_f", "phase": "phase_f", "layout": "layout_f", "year": "year_f"}
NUMERIC_FIELDS = ("total_budget", "eu_support", "participants", "cofinancing_rate", "start", "end",
                  "start_year", "end_year")
# Whoosh indexes a number once per 4 bits of its width (for range queries): dates (yyyymmdd, from a
# date) fit 32 bits and years 16, half and a quarter of the postings 64 bits cost; amounts keep 64.
NUMERIC_BITS = {"start": 32, "end": 32, "start_year": 16, "end_year": 16}


def build_schema() -> Schema:
    fields = {
        "key": ID(stored=True, unique=True),
        "file": KEYWORD(stored=True, analyzer=ValueAnalyzer(normalise=False)),   # every source file
        "record": STORED(),
        "merged_from": STORED(),   # the records the document was merged from (esfsearch.index)
        "title": _text("exact", boost=1.0),
        "body": _text("exact"),
        "parts": _text("parts", boost=2.0, phrase=False),
        "folded": _text("folded", phrase=True),
        # thematic objective, priority axis, specific objective, programme area: searched at a low weight
        "objectives": _text("exact", phrase=False),
        # the vocabulary for "did you mean": which documents, no frequencies or positions
        "spell": FastKeyword(analyzer=SwedishAnalyzer("plain"), scorable=False),
        "contact": FastText(analyzer=WordsAnalyzer(), phrase=True),
    }
    for name in WORD_FILTER_FIELDS:
        fields[name] = FastText(analyzer=WordsAnalyzer(), phrase=True)
    for name in VALUE_FILTER_FIELDS:
        fields[name + "_v"] = FastKeyword(analyzer=ValueAnalyzer(normalise=True))
    for facet in FACET_FIELDS.values():
        fields[facet] = FastKeyword(analyzer=ValueAnalyzer(normalise=False))
    for name in NUMERIC_FIELDS:
        if name == "cofinancing_rate":
            fields[name] = NUMERIC(float, bits=64, sortable=True, default=0)
        else:
            fields[name] = NUMERIC(int, bits=NUMERIC_BITS.get(name, 64), sortable=True, signed=True, default=0)
    return Schema(**fields)


def _join(values) -> str:
    return VALUE_SEP.join(v for v in values if v)


def _yyyymmdd(d) -> int | None:
    return d.year * 10000 + d.month * 100 + d.day if d else None


def facet_area(record: ProjectRecord) -> str | None:
    """Programme area for ESF records, thematic objective for ERUF ones: the 'what is it about' facet."""
    if record.programme_area:
        return programme_area_label(record.programme_area)
    return record.thematic_objective or record.priority_axis


def record_document(record: ProjectRecord, key: str, file: str) -> dict:
    doc = {
        "key": key,
        "record": json.dumps(record.to_dict(), ensure_ascii=False),
        "title": record.title,
        "body": record.full_text,
        "parts": f"{record.title}\n{record.full_text}",
        "folded": f"{record.title}\n{record.full_text}",
        "spell": f"{record.title}\n{record.full_text}",
        "objectives": "\n".join(v for v in (record.thematic_objective, record.priority_axis,
                                            record.specific_objective, record.programme_area) if v),
        "contact": _join([record.contact_name, record.contact_email, record.contact_phone]),
        "region": record.region,
        "county": _join(record.county),
        "municipality": _join(record.municipalities),
        "owner": record.owner,
        "programme_area": record.programme_area,
        "specific_objective": record.specific_objective,
        "thematic_objective": record.thematic_objective,
        "priority_axis": record.priority_axis,
        "intervention_type": record.intervention_type,
        "nuts2": record.nuts2,
        "cci": record.cci,
        "owner_org_number": record.owner_org_number,
        "title_words": record.title,
        "id_v": record.id,
        "fund_v": record.fund,
        "period_v": record.programme_period,
        "phase_v": record.phase,
        "layout_v": record.layout,
        "area_v": facet_area(record),
        "file": file,
        "region_f": record.region,
        "fund_f": record.fund,
        "period_f": record.programme_period,
        "area_f": facet_area(record),
        "county_f": _join(record.county),
        "phase_f": record.phase,
        "layout_f": record.layout,
        "year_f": str(record.start_date.year) if record.start_date else None,
        "total_budget": record.total_budget,
        "eu_support": record.eu_support,
        "participants": record.planned_participants,
        "cofinancing_rate": record.cofinancing_rate,
        "start": _yyyymmdd(record.start_date),
        "end": _yyyymmdd(record.end_date),
    }
    years = record.years
    if years:
        doc["start_year"], doc["end_year"] = years
    return {k: v for k, v in doc.items() if v not in (None, "")}
