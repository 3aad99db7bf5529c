"""Meaning in other words: query expansion learned from the texts themselves, and what makes a record
distinctive (for `similar`).

Pseudo-relevance feedback, RM3-style: the first results of the direct query are taken as a sample of
what the user means; the words those records use much more than the corpus does (their relevance model
P(t|R), weighted by how distinctive the word is) are added to the query at a low weight. 'integration'
then also finds records that speak of 'nyanlända' and 'etablering', 'kompetensförsörjning' those about
'rekrytering' and 'kompetensbehov'. Everything is computed from the index at query time (no data file:
it follows the index generation by construction).

The expansion clause is an ordinary `Or` of `Term` queries whose largest possible BM25F score is kept
below one concept step (`concepts.CONCEPT_STEP`), so every direct match ranks above every record that
only an expansion term found. The clause re-ranks the direct matches and adds no record to them (totals,
facets, exports and saved-search "new" matches count direct matches); records that only an expansion term
finds are listed, marked related, after the direct matches only to complete the first page when those are
fewer than `FEEDBACK["fill_below"]` (`SearchEngine._expansion`).
"""

from __future__ import annotations

import bisect
import gzip
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh import query as Q

from .analysis import STOPWORDS, SwedishAnalyzer, fold, has_accents

FEEDBACK: dict[str, Any] = {
    "docs": 10,  # first results taken as relevant
    "terms": 20,  # expansion terms added
    "weight": 0.5,  # total boost of the expansion clause (shared by its terms)
    "min_docs": 2,  # a term must occur in at least this many feedback records
    "max_share": 0.25,  # ... and in at most this share of all records (else it says nothing)
    "min_results": 2,  # no feedback from fewer direct hits than this
    "candidates": 150,  # terms whose document frequency is looked up (by P(t|R))
    "fill_below": 10,  # related records (only an expansion term finds them) complete the first
    # this many places after fewer direct matches (search._add_related)
}
ASSOCIATIONS = {
    "weight": 0.5,  # total boost of the association terms (shared by them)
    "per_stem": 4,  # associations taken per query stem
}
ASSOCIATIONS_FILE = Path(__file__).resolve().parent / "data" / "associations.tsv.gz"
K1 = 1.2  # the BM25F K1 of search.scoring_model(): a term's score is below idf * (K1 + 1)
EXPANSION_FIELDS = ("title", "body")


@dataclass(frozen=True)
class ExpansionTerm:
    stem: str
    weight: float  # the boost it is searched with
    support: int  # how many feedback records have it


def _usable(term: str) -> bool:
    return len(term) >= 3 and term.isalpha() and term not in STOPWORDS


def term_counts(text: str) -> dict[str, int]:
    """Stem -> count in a text (the body field's analysis), in the order the stems first occur. Counted
    from the analyzer's grouping by word, as the indexer does: each distinct word is stemmed once and no
    token object is made per word (a cold process pays for every stem of the feedback records). The
    analyzer gives its terms UTF-8 encoded, as Whoosh stores them."""
    return {t.decode("utf-8"): len(p) for t, p in _exact_analyzer().term_positions(text).items()}


@lru_cache(maxsize=1)
def _exact_analyzer() -> SwedishAnalyzer:
    return SwedishAnalyzer("exact")


def usable_counts(counts: dict[str, int]) -> tuple[dict[str, int], int]:
    """(the counts of the terms feedback may choose, the record's length in terms): what
    feedback_terms reads of a record, worked out once per record."""
    return {t: n for t, n in counts.items() if _usable(t)}, sum(counts.values())


def feedback_terms(
    docs: Iterable[tuple[tuple[dict[str, int], int], float]],
    query_stems: set[str],
    doc_frequency: Callable[[str], int],
    doc_count: int,
) -> list[ExpansionTerm]:
    """RM3 term selection. `docs`: (usable_counts() of the record, retrieval score) of the feedback
    records; `doc_frequency(stem)`: records that have the stem. Returns the terms with their boosts."""
    docs = [(c, s) for c, s in docs if c[1]]
    if len(docs) < FEEDBACK["min_results"] or doc_count < 5:
        return []
    top = max(s for _, s in docs) or 1.0
    model: dict[str, float] = {}
    support: Counter[str] = Counter()
    get = model.get
    for (counts, length), score in docs:
        weight = math.exp(score / top - 1.0)  # later results count less
        for term, n in counts.items():
            model[term] = get(term, 0.0) + weight * n / length
        support.update(counts.keys())
    for stem in query_stems:  # left out (dropping them after keeps the others' order)
        model.pop(stem, None)
    scored = []
    # the idf factor is at most log(N / 2): only the strongest candidates by P(t|R) need a lookup
    candidates = sorted((t for t in model if support[t] >= FEEDBACK["min_docs"]), key=lambda t: -model[t])
    for term in candidates[: FEEDBACK["candidates"]]:
        p = model[term]
        df = doc_frequency(term)
        if not df or df > FEEDBACK["max_share"] * doc_count:
            continue
        idf = math.log(doc_count / df)
        scored.append((p * idf, term))
    scored.sort(reverse=True)
    chosen = scored[: FEEDBACK["terms"]]
    if not chosen:
        return []
    total = sum(v for v, _ in chosen)
    return [ExpansionTerm(t, FEEDBACK["weight"] * v / total, support[t]) for v, t in chosen]


class Associations:
    """Stem -> [(associated stem, strength)], looked up in the file's text by bisection: a one-shot
    query looks up a few stems, and parsing every line (as a dict) cost more than the query. The
    lines are sorted by their head stem (tools/build_associations.py writes them sorted; UTF-8 byte
    order is code-point order), so a lookup compares about a dozen lines; a found line is parsed once."""

    def __init__(self, data: bytes = b"") -> None:
        self._data = data
        self._start = 0  # the first line after the header comments
        while data.startswith(b"#", self._start):
            self._start = data.find(b"\n", self._start) + 1 or len(data)
        # "head\t..." lines sorted by head are sorted as bytes too: the tab sorts below every
        # character a stem has, so a head that is a prefix of another sorts first, as it does alone
        self._lines = [line for line in data[self._start :].split(b"\n") if line]
        self._parsed: dict[str, list[tuple[str, float]]] = {}

    def _line(self, stem: str) -> bytes | None:
        """The rest of the line whose head is `stem` (after its tab), or None."""
        key = stem.encode("utf-8") + b"\t"
        i = bisect.bisect_left(self._lines, key)
        if i < len(self._lines) and self._lines[i].startswith(key):
            return self._lines[i][len(key) :]
        return None

    def __contains__(self, stem: object) -> bool:
        return isinstance(stem, str) and (stem in self._parsed or self._line(stem) is not None)

    def accented_heads(self) -> Iterator[str]:
        """The heads with a Swedish accent: only heads with a non-ASCII byte are decoded."""
        for match in _NON_ASCII_HEAD.finditer(self._data, self._start):
            head = match.group(1).decode("utf-8")
            if has_accents(head):
                yield head

    def get(self, stem: str, default: Any = None) -> Any:
        parsed = self._parsed.get(stem)
        if parsed is None:
            line = self._line(stem)
            if line is None:
                return default
            parsed = [
                (t, float(v)) for t, v in (item.rsplit(":", 1) for item in line.decode("utf-8").split())
            ]
            self._parsed[stem] = parsed
        return parsed


_NON_ASCII_HEAD = re.compile(rb"^([^\t\n]*[\x80-\xff][^\t\n]*)\t", re.MULTILINE)


@lru_cache(maxsize=1)
def associations() -> Associations:
    """Stem -> [(associated stem, strength)], mined by tools/build_associations.py from document
    co-occurrence in the shipped corpus and the government texts of shared/data."""
    if not ASSOCIATIONS_FILE.exists():
        return Associations()
    return Associations(gzip.decompress(ASSOCIATIONS_FILE.read_bytes()))


@lru_cache(maxsize=1)
def _folded_heads() -> dict[str, list[str]]:
    """Accent-folded association head -> the accented heads it stands for ('jamstalld' -> ['jämställd'])."""
    heads: dict[str, list[str]] = {}
    for head in associations().accented_heads():
        heads.setdefault(fold(head), []).append(head)
    return heads


def accented_stems(stems: Iterable[str]) -> set[str]:
    """The accented stems that accent-less query stems stand for. Users often type Swedish without
    å/ä/ö (foreign keyboards, phones, habit); 'jamstalldhet' means 'jämställdhet', so it must reach the
    same associations as the accented word, not none (the mined table is keyed by the texts' own,
    accented stems). Only a stem that is not itself a head of the table and has no accent is mapped."""
    table = associations()
    found: set[str] = set()
    for stem in stems:
        if stem in table or has_accents(stem):
            continue
        found.update(_folded_heads().get(stem, ()))
    return found


def associated_terms(
    query_stems: Iterable[str], doc_frequency: Callable[[str], int], doc_count: int
) -> list[ExpansionTerm]:
    """The mined associations of the query's stems that the index has (in more than one record and at
    most FEEDBACK['max_share'] of them), their boosts sharing ASSOCIATIONS['weight']. An accent-less
    stem uses the associations of the accented stem it folds to (`accented_stems`)."""
    query_stems = set(query_stems)
    query_stems |= accented_stems(query_stems)
    table = associations()
    found: dict[str, float] = {}
    for stem in sorted(query_stems):  # a set's order changes with the hash seed: answers must not
        taken = 0
        for term, strength in table.get(stem, ()):
            if taken >= ASSOCIATIONS["per_stem"]:
                break
            if term in query_stems:
                continue
            df = doc_frequency(term)
            if df < 2 or df > FEEDBACK["max_share"] * doc_count:
                continue
            found[term] = found.get(term, 0.0) + strength
            taken += 1
    total = sum(found.values())
    if not total or not ASSOCIATIONS["weight"]:
        return []
    return [
        ExpansionTerm(t, ASSOCIATIONS["weight"] * v / total, 0)
        for t, v in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def merge(*lists: list[ExpansionTerm]) -> list[ExpansionTerm]:
    """One entry per stem, weights added."""
    merged: dict[str, ExpansionTerm] = {}
    for terms in lists:
        for t in terms:
            old = merged.get(t.stem)
            merged[t.stem] = (
                t
                if old is None
                else ExpansionTerm(t.stem, old.weight + t.weight, max(old.support, t.support))
            )
    return sorted(merged.values(), key=lambda t: -t.weight)


def expansion_query(
    terms: list[ExpansionTerm], doc_frequency: Callable[[str], int], doc_count: int, ceiling: float
) -> tuple[Q.Query | None, list[ExpansionTerm]]:
    """The clause to OR into the query, scaled so that its largest possible score stays below
    `ceiling` (a direct match's smallest bonus). Returns the clause and the terms as searched."""
    if not terms:
        return None, []
    bound = sum(
        t.weight * len(EXPANSION_FIELDS) * (K1 + 1) * _idf(doc_frequency(t.stem), doc_count) for t in terms
    )
    scale = min(1.0, 0.9 * ceiling / bound) if bound and ceiling else 1.0
    terms = [ExpansionTerm(t.stem, t.weight * scale, t.support) for t in terms]
    clause = Q.Or([Q.Term(f, t.stem, boost=t.weight) for t in terms for f in EXPANSION_FIELDS])
    return clause, terms


def _idf(df: int, n: int) -> float:
    """Whoosh BM25F's idf: log(1 + (N - df + 0.5) / (df + 0.5))."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


# ---------------------------------------------------------------- what makes a record distinctive

# tuned on the similar class (tune split); "fund": the constant a record of the source's fund family gets
SIMILAR: dict[str, Any] = {"terms": 30, "parts": 0.5, "area": 4.0, "fund": 8.0}


def significant_terms(
    counts: dict[str, int],
    collection_frequency: Callable[[str], int],
    collection_length: int,
    doc_frequency: Callable[[str], int],
    doc_count: int,
    n: int | None = None,
) -> list[tuple[str, float]]:
    """The record's terms ranked by their contribution to its KL divergence from the corpus
    (p_d log(p_d / p_C), times how few records share it): what it says more than the others do,
    not what it says most."""
    n = SIMILAR["terms"] if n is None else n
    length = sum(counts.values()) or 1
    scored = []
    for term, c in counts.items():
        if not _usable(term):
            continue
        df = doc_frequency(term)
        if df <= 1 or df > 0.5 * doc_count:  # only in this record, or in most: no neighbour signal
            continue
        p_d = c / length
        p_c = max(collection_frequency(term), 1) / max(collection_length, 1)
        if p_d <= p_c:
            continue
        # sublinear in the count: a word repeated in one table ('procent') must not outweigh the topic
        scored.append(((1.0 + math.log(c)) * math.log(p_d / p_c) * math.log(doc_count / df), term))
    scored.sort(reverse=True)
    return [(t, v) for v, t in scored[:n]]
