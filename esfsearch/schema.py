"""The Whoosh schema of a project record, and the record -> index document mapping.

Bump SCHEMA_VERSION whenever analyzers or the text fields change: an index with another version is
refused with a message telling the user to rebuild. The registry's fields need no bump: an index
records `fields_fingerprint()`, and one made with other registry fields counts as older.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from whoosh.analysis import Composable, Token
from whoosh.compat import dumps
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from .analysis import SwedishAnalyzer, fold
from .fields import CONTACT, DATE, NUMBER, REGISTRY, VALUE, WORDS, YEAR, yyyymmdd
from .records import ProjectRecord

SCHEMA_VERSION = 11  # 11: one document per project (merged records), objectives field, narrower date terms
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

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
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

    def term_positions(self, value: str) -> dict[bytes, list[int]]:
        """What indexing `value` gives (see FastIndex), without a token stream."""
        out: dict[bytes, list[int]] = {}
        for pos, item in enumerate(value.split(VALUE_SEP)):
            item = normalise_value(item) if self.normalise else item.strip()
            if item:
                out.setdefault(item.encode("utf-8"), []).append(pos)
        return out


class WordsAnalyzer(Composable):
    """Folded lower-case words of field values, with a position gap between values so that a
    phrase filter ('region:"övre norrland"') never spans two values."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordsAnalyzer)

    def __hash__(self) -> int:
        return 7

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
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

    def term_positions(self, value: str) -> dict[bytes, list[int]]:
        """What indexing `value` gives (see FastIndex), without a token stream."""
        out: dict[bytes, list[int]] = {}
        pos = 0
        for item in value.split(VALUE_SEP):
            for word in _WORDS.findall(normalise_value(item)):
                out.setdefault(word.encode("utf-8"), []).append(pos)
                pos += 1
            pos += 10
        return out


_WORDS = re.compile(r"[\w+]+(?:[-/.][\w+]+)*")


class FastIndex:
    """A field mixin: `index()` builds each term's postings value from the analyzer's term -> positions
    table (`term_positions`, terms as UTF-8 bytes) instead of a token stream, one step per distinct
    word rather than several generator steps per token, and returns them as a list (no generator
    step per posting). The postings are exactly those of Whoosh's `Positions`/`Frequency` formats
    (weight = frequency x field boost; all token boosts are 1.0); other formats and non-string values
    go the ordinary way."""

    def _fast_indexable(self, value):
        """Whether `value` takes this class's way: a string, a Positions or Frequency field, an
        analyzer with term_positions (the rest goes Whoosh's ordinary way)."""
        return (
            isinstance(value, str)
            and type(self.format) in (Positions, Frequency)
            and hasattr(self.analyzer, "term_positions")
        )

    def index(self, value, **kwargs):
        fmt = self.format
        kind = type(fmt)
        if not self._fast_indexable(value):
            return super().index(value, **kwargs)
        boost = fmt.field_boost
        out = []  # (term, frequency, weight, value) a term: Whoosh's postings of the field
        append = out.append
        if kind is Positions:
            single = _SINGLE_POSITION
            for term, positions in self.analyzer.term_positions(value).items():
                n = len(positions)
                if n == 1:  # most terms of a text: the encoded value of each position is kept
                    encoded = single.get(positions[0]) or _positions_value(positions)
                    append((term, 1, boost, encoded))
                    continue
                append((term, n, n * boost, _positions_value(positions)))
        else:
            for term, positions in self.analyzer.term_positions(value).items():
                n = len(positions)
                append((term, n, n * boost, pack_uint(n)))
        return out

    def pool_postings(self, value, current, fieldname, docnum, fieldboost):
        """`index()`'s postings of `value` added straight into a build's postings pool
        (fast_writing: `current` maps (field, term) to a flat [docnum, weight, value, ...] list), with
        no 4-tuple a posting and no second loop in between (a build's commonest step). Returns (sum
        of frequencies, postings, new terms, their bytes, value bytes) for the pool's bookkeeping, or
        None where `index()` must be used."""
        fmt = self.format
        kind = type(fmt)
        if not self._fast_indexable(value):
            return None
        boost = fmt.field_boost
        once = boost * fieldboost  # (1 x boost) x fieldboost: a term found once
        table = self.analyzer.term_positions(value)
        get = current.get
        length = new = term_bytes = value_bytes = 0
        single = _SINGLE_POSITION
        counts = _COUNT_VALUE
        positional = kind is Positions
        for term, positions in table.items():
            n = len(positions)
            length += n
            if not positional:
                encoded = counts[n] if n < 256 else pack_uint(n)
                weight = n * boost * fieldboost
            elif n == 1:
                weight = once
                encoded = single.get(positions[0]) or _positions_value(positions)
            else:
                weight = n * boost * fieldboost
                encoded = _positions_value(positions)
            value_bytes += len(encoded)
            key = fieldname, term
            group = get(key)
            if group is None:
                current[key] = [docnum, weight, encoded]
                new += 1
                term_bytes += len(term)
            else:
                group += (docnum, weight, encoded)
        return length, len(table), new, term_bytes, value_bytes


_SINGLE_POSITION: dict[int, bytes] = {}  # position -> Positions' value of a term found once there
# a Frequency value (and a Positions value's head): the count, packed once (most are small)
_COUNT_VALUE = tuple(pack_uint(n) for n in range(256))


def _positions_value(positions: list[int]) -> bytes:
    """Whoosh's Positions value of a term's ascending positions: the count, then the pickled
    deltas. A single position's value is kept in _SINGLE_POSITION (most terms of a text)."""
    n = len(positions)
    deltas = [positions[0]]
    deltas += [b - a for a, b in zip(positions, positions[1:], strict=False)]
    encoded = (_COUNT_VALUE[n] if n < 256 else pack_uint(n)) + dumps(deltas, 2)
    if n == 1 and len(_SINGLE_POSITION) < 100_000:
        _SINGLE_POSITION[positions[0]] = encoded
    return encoded


class FastText(FastIndex, TEXT):
    """TEXT indexed through FastIndex."""


class FastKeyword(FastIndex, KEYWORD):
    """KEYWORD indexed through FastIndex."""


def _text(analyzer_mode: str, boost: float = 1.0, phrase: bool = True) -> TEXT:
    return FastText(analyzer=SwedishAnalyzer(analyzer_mode), phrase=phrase, field_boost=boost)


# Index fields of the registry's filters and facets (fields.py), by how they are searched.
WORD_FILTER_FIELDS = tuple(f.index_field for f in REGISTRY if f.kind == WORDS and f.index_field)
VALUE_FILTER_FIELDS = tuple(f.index_field for f in REGISTRY if f.kind == VALUE and f.index_field)
FACET_FIELDS = {f.facet: f.facet_index for f in REGISTRY if f.facet}
NUMERIC_FIELDS = tuple(f.index_field for f in REGISTRY if f.kind in (NUMBER, DATE) and f.index_field)
YEAR_FIELDS = ("start_year", "end_year")  # a year filter: the project's first and last year
# Whoosh indexes a number once per 4 bits of its width (for range queries): dates (yyyymmdd, from a
# date) fit 32 bits and years 16, half and a quarter of the postings 64 bits cost; amounts keep 64.
NUMERIC_BITS = {
    **{f.index_field: 32 for f in REGISTRY if f.kind == DATE and f.index_field},
    **dict.fromkeys(YEAR_FIELDS, 16),
}


def fields_fingerprint() -> str:
    """What the index holds of the registry (index fields, kinds, facets): differs after a field edit."""
    import hashlib

    spec = [
        (f.index_field, f.kind, f.decimal, f.facet, NUMERIC_BITS.get(f.index_field))
        for f in REGISTRY
        if f.index_field or f.facet
    ]
    return hashlib.sha1(repr(spec).encode("utf-8")).hexdigest()[:12]


def build_schema() -> Schema:
    fields = {
        "key": ID(stored=True, unique=True),
        "file": KEYWORD(stored=True, analyzer=ValueAnalyzer(normalise=False)),  # every source file
        "record": STORED(),
        "merged_from": STORED(),  # the records the document was merged from (esfsearch.index)
        "title": _text("exact", boost=1.0),
        "body": _text("exact"),
        "parts": _text("parts", boost=2.0, phrase=False),
        "folded": _text("folded", phrase=True),
        # thematic objective, priority axis, specific objective, programme area: searched at a low weight
        "objectives": _text("exact", phrase=False),
        # the vocabulary for "did you mean": which documents, no frequencies or positions
        "spell": FastKeyword(analyzer=SwedishAnalyzer("plain"), scorable=False),
    }
    for f in REGISTRY:
        if not f.index_field:
            continue
        if f.kind in (WORDS, CONTACT):
            fields[f.index_field] = FastText(analyzer=WordsAnalyzer(), phrase=True)
        elif f.kind == VALUE:
            fields[f.index_field] = FastKeyword(analyzer=ValueAnalyzer(normalise=True))
        elif f.kind in (NUMBER, DATE):
            fields[f.index_field] = (
                NUMERIC(float, bits=64, sortable=True, default=0)
                if f.decimal
                else NUMERIC(
                    int, bits=NUMERIC_BITS.get(f.index_field, 64), sortable=True, signed=True, default=0
                )
            )
        elif f.kind == YEAR:
            for name in YEAR_FIELDS:
                fields[name] = NUMERIC(int, bits=NUMERIC_BITS[name], sortable=True, signed=True, default=0)
        if f.facet_index:
            fields[f.facet_index] = FastKeyword(analyzer=ValueAnalyzer(normalise=False))
    return Schema(**fields)


def _join(values: Iterable[str]) -> str:
    return VALUE_SEP.join(v for v in values if v)


def record_document(record: ProjectRecord, key: str, file: str) -> dict:
    """The index document of a record: its text fields, and each registry field's filter and facet."""
    text = f"{record.title}\n{record.full_text}"
    doc: dict[str, Any] = {
        "key": key,
        "file": file,
        "record": json.dumps(record.to_dict(), ensure_ascii=False),
        "title": record.title,
        "body": record.full_text,
        "parts": text,
        "folded": text,
        "spell": text,
        # thematic objective, priority axis, specific objective, programme area: searched at a low weight
        "objectives": "\n".join(
            v
            for v in (
                record.thematic_objective,
                record.priority_axis,
                record.specific_objective,
                record.programme_area,
            )
            if v
        ),
    }
    for f in REGISTRY:
        if f.index_field:
            if f.kind in (WORDS, VALUE, CONTACT):
                doc[f.index_field] = _join(str(v) for v in f.values(record))
            elif f.kind == NUMBER:
                doc[f.index_field] = f.value(record)
            elif f.kind == DATE:
                doc[f.index_field] = yyyymmdd(f.value(record))
            elif f.kind == YEAR and f.value(record):
                doc.update(zip(YEAR_FIELDS, f.value(record), strict=False))
        if f.facet_index:
            value = f.facet_value(record) if f.facet_value else f.values(record)
            doc[f.facet_index] = _join(str(v) for v in value) if isinstance(value, list) else value
    return {k: v for k, v in doc.items() if v not in (None, "")}
