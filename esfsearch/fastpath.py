"""Vectorised execution of the query trees querylang builds, over the files columns.py writes.

Whoosh steps every posting of every term through Python matchers; here a query node becomes a
dense boolean match array and a float64 score array over all documents, computed with numpy from
whole posting lists. Scores use Whoosh's own BM25F formula, statistics, operation order and
boost rules (a compound with one subquery ignores its boost; a prefix, wildcard or fuzzy term is
expanded over the whole index, querylang.ExpandedTerms), so both paths rank alike; equal scores
are ordered by record key on both (search.SCORE_TIE), not by document number, which depends on the
build.

Node types not handled here raise `Untranslatable`, and the caller runs the whole query on the
Whoosh path instead: answers stay right whatever new query shapes querylang adds. Phrases (and
the sloppy proximity phrases of concepts.py) run here too: the vectorised AND of their terms gives
the candidates, whose positions (columns.py's `.pos`) are checked with numpy as Whoosh's SpanNear2
checks them, and they score as Whoosh scores a phrase: the sum of its words' BM25F scores.
"""

from __future__ import annotations

from collections.abc import Callable
from math import log
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as Q
from whoosh.util.numeric import byte_to_length

from .columns import (
    COLUMNS,
    ColumnsUnavailable,
    SegmentColumns,
    leaf_readers,
    required_arrays,
    segment_id,
)

_LENGTH_TABLE = np.array([byte_to_length(b) if b else 0 for b in range(256)], dtype=np.float64)


class Untranslatable(Exception):
    """A query node the fast path does not execute; the whole query goes to Whoosh."""


class FastIndex:
    """The columnar view of one open Whoosh searcher: global document numbers, live mask, and
    per-field postings gathered over the segments."""

    def __init__(self, gen: Path, searcher) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.segments: list[tuple[SegmentColumns, int, Any]] = []
        self.doc_count_all = reader.doc_count_all()
        live = np.ones(self.doc_count_all, dtype=bool)
        required = required_arrays(searcher.schema)
        for segreader, offset in leaf_readers(reader):
            n = segreader.doc_count_all()
            cols = SegmentColumns(Path(gen) / COLUMNS / segment_id(segreader), n, required)
            self.segments.append((cols, offset, segreader))
            if segreader.has_deletions():
                dead = np.fromiter(segreader.segment().deleted_docs(), dtype=np.int64)
                live[offset + dead] = False
        self.live = live
        self.schema = searcher.schema
        w = searcher.weighting
        self.K1 = w.K1
        self._B, self._field_B = w.B, dict(getattr(w, "_field_B", {}))
        self._lengths: dict[str, np.ndarray] = {}
        self._avgfl: dict[str, float] = {}
        self._norms: dict[str, np.ndarray] = {}
        self._numbers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._term_fields: dict[str, list[tuple[Any, Any, Any, Any, int]]] = {}
        self._keys: np.ndarray | None = None
        self._key_ranks: np.ndarray | None = None

    # -- postings
    def postings(self, field: str, term: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(global document numbers, weights) of one term over every segment."""
        ids, ws = [], []
        for terms, offs, seg_ids, seg_w, offset in self._term_arrays(field):
            i = int(terms.searchsorted(term))
            if i < len(terms) and terms[i] == term:
                a, b = int(offs[i]), int(offs[i + 1])
                ids.append(seg_ids[a:b].astype(np.int64) + offset)
                ws.append(seg_w[a:b])
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if len(ids) == 1:
            return ids[0], ws[0]
        return np.concatenate(ids), np.concatenate(ws)

    def record_keys(self) -> np.ndarray | None:
        """Every document's record key (the `key` field's term; fixed-width bytes) by global
        document number, made once from the columnar key postings; None when a segment's columns
        were written before those were kept."""
        if self._keys is None:
            parts = []
            for cols, _offset, segreader in self.segments:
                if not cols.has("key.terms"):
                    self._keys = np.zeros(0, dtype="S1")
                    return None
                terms, offs, ids = (cols.array(f"key.{name}") for name in ("terms", "offs", "ids"))
                term_of = np.zeros(segreader.doc_count_all(), dtype=np.int64)
                term_of[ids] = np.repeat(np.arange(len(terms), dtype=np.int64), np.diff(offs))
                parts.append(terms[term_of])
            self._keys = np.concatenate(parts) if parts else np.zeros(0, dtype="S1")
        return self._keys if len(self._keys) == self.doc_count_all else None

    def key_ranks(self) -> np.ndarray | None:
        """Every document's place in the order of the record keys (the tie order: search.SCORE_TIE),
        made once: a query's tie is then ordered by integers."""
        if self._key_ranks is None:
            keys = self.record_keys()
            if keys is None:
                return None
            self._key_ranks = key_ranks(keys)
        return self._key_ranks

    def _term_arrays(self, field: str) -> list[tuple[Any, Any, Any, Any, int]]:
        """Each segment's (terms, offsets, documents, weights, document offset) of a field: the
        array views looked up once, not for every term of every query."""
        got = self._term_fields.get(field)
        if got is None:
            got = []
            for cols, offset, _r in self.segments:
                if not cols.has(f"{field}.terms"):
                    raise Untranslatable(field)
                names = ("terms", "offs", "ids", "w")
                got.append((*(cols.array(f"{field}.{name}") for name in names), offset))
            self._term_fields[field] = got
        return got

    def position_keys(self, field: str, term: bytes, candidates: np.ndarray) -> np.ndarray:
        """The term's occurrences in the candidate documents as sorted int64 keys
        (global document number << 32 | position)."""
        parts = []
        for cols, offset, _r in self.segments:
            if not cols.has(f"{field}.pos"):
                raise Untranslatable(f"{field} without positions")
            terms = cols.array(f"{field}.terms")
            i = int(np.searchsorted(terms, term))
            if i >= len(terms) or terms[i] != term:
                continue
            offs = cols.array(f"{field}.offs")
            a, b = int(offs[i]), int(offs[i + 1])
            docs = cols.array(f"{field}.ids")[a:b].astype(np.int64) + offset
            sel = np.flatnonzero(candidates[docs])
            if not len(sel):
                continue
            counts = cols.array(f"{field}.pcnt")[a:b].astype(np.int64)
            before = np.cumsum(counts) - counts  # each posting's run, from the term's first position
            starts = int(cols.array(f"{field}.ptoffs")[i]) + before[sel]
            lens = counts[sel]
            total = int(lens.sum())
            # gather the selected postings' position runs: start of the run + rank within it
            firsts = np.cumsum(lens) - lens
            idx = np.repeat(starts - firsts, lens) + np.arange(total)
            pos = cols.array(f"{field}.pos")[idx].astype(np.int64)
            parts.append((np.repeat(docs[sel], lens) << 32) | pos)
        if not parts:
            return np.zeros(0, np.int64)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def doc_frequency(self, field: str, text: str) -> int:
        """Whoosh's document frequency (deleted documents included), from the term dictionaries."""
        term = self.schema[field].to_bytes(text)
        n = 0
        for terms, offs, _ids, _w, _offset in self._term_arrays(field):
            i = int(terms.searchsorted(term))
            if i < len(terms) and terms[i] == term:
                n += int(offs[i + 1] - offs[i])
        return n

    @staticmethod
    def expand_prefix(cols: SegmentColumns, field: str, prefix: bytes) -> list[bytes]:
        """One segment's terms of the field that start with `prefix`, sorted (Whoosh's order)."""
        if not cols.has(f"{field}.terms"):
            raise Untranslatable(field)
        terms = cols.array(f"{field}.terms")
        a = int(np.searchsorted(terms, prefix, "left"))
        b = int(np.searchsorted(terms, prefix + b"\xff", "left"))
        return [bytes(t) for t in terms[a:b]]

    def lengths(self, field: str) -> np.ndarray:
        arr = self._lengths.get(field)
        if arr is None:
            parts = []
            for cols, _offset, _r in self.segments:
                parts.append(_LENGTH_TABLE[np.asarray(cols.array(f"{field}.len"))])
            arr = self._lengths[field] = np.concatenate(parts) if parts else np.zeros(0)
        return arr

    def length_norm(self, field: str) -> np.ndarray:
        """Each document's `K1 * ((1 - B) + B * length / average length)` of BM25F, worked out
        once per field instead of for every posting of every term."""
        arr = self._norms.get(field)
        if arr is None:
            K1, B, avgfl = self.K1, self.B(field), self.avgfl(field)
            arr = self._norms[field] = K1 * ((1 - B) + B * self.lengths(field) / avgfl)
        return arr

    def numbers(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(sortable raw value per document, has a value) of a numeric field."""
        got = self._numbers.get(field)
        if got is None:
            nums = [np.asarray(c.array(f"{field}.num")) for c, _o, _r in self.segments]
            has = [np.asarray(c.array(f"{field}.has")) for c, _o, _r in self.segments]
            got = self._numbers[field] = (np.concatenate(nums), np.concatenate(has))
        return got

    def facet(self, field: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, value index per posting, document per posting) of a facet field."""
        got = self._facets.get(field)
        if got is None:
            per_seg = []
            for cols, offset, _r in self.segments:
                terms = np.asarray(cols.array(f"{field}.terms"))
                offs = np.asarray(cols.array(f"{field}.offs"))
                ids = np.asarray(cols.array(f"{field}.ids")).astype(np.int64) + offset
                per_seg.append((terms, np.diff(offs), ids))
            allterms = sorted({bytes(t) for terms, _c, _i in per_seg for t in terms})
            index = {t: i for i, t in enumerate(allterms)}
            value_of, docs = [], []
            for terms, counts, ids in per_seg:
                local = np.array([index[bytes(t)] for t in terms], dtype=np.int64)
                value_of.append(np.repeat(local, counts))
                docs.append(ids)
            got = self._facets[field] = (
                [t.decode("utf-8") for t in allterms],
                np.concatenate(value_of) if value_of else np.zeros(0, np.int64),
                np.concatenate(docs) if docs else np.zeros(0, np.int64),
            )
        return got

    # -- scoring statistics, as Whoosh's BM25F computes them
    def B(self, field: str) -> float:
        return self._field_B.get(field, self._B)

    def idf(self, df: int) -> float:
        return log(self.doc_count_all / (df + 1)) + 1

    def avgfl(self, field: str) -> float:
        got = self._avgfl.get(field)
        if got is None:
            got = self._avgfl[field] = self.searcher.avg_field_length(field) or 1
        return got


class Executor:
    """Evaluates a query tree to (match, scores) arrays; scores is None when not asked for."""

    FILTER_CACHE = 64  # filter masks kept (n bytes each: 20 KB at 20 000 records)
    NODE_MEMO = 16  # most recent compound results kept within a search (n * 9 bytes each)
    TERM_MEMO = 4096  # terms' postings and scores kept within a search (a bound, rarely reached)

    def __init__(self, fx: FastIndex) -> None:
        self.fx = fx
        self.n = fx.doc_count_all
        self._filters: dict[Any, np.ndarray] = {}
        self._nodes: dict[int, tuple[Any, np.ndarray, np.ndarray | None]] = {}
        self._terms: dict[tuple[str, bytes], list] = {}

    def begin(self) -> None:
        """Start a new search. One search runs the same subtrees several times (the direct count,
        the feedback ranking, the page with the query inside its expansion, the related records):
        until the next begin() their results are reused, compound nodes by identity (the memo holds
        the node, so its id is not reused), terms by (field, bytes)."""
        self._nodes.clear()
        self._terms.clear()

    def run(self, q, scored: bool) -> tuple[np.ndarray, np.ndarray | None]:
        match, scores = self._eval(q, scored)
        return match & self.fx.live, scores

    def filter_match(self, q) -> np.ndarray:
        """The (read-only) match array of an unscored filter query. One search evaluates its filters
        several times (feedback ranking, the page, related records, disjunctive facets, the value
        check), and a session repeats them: the arrays are kept per query (Whoosh queries compare
        and hash by structure) for this executor's searcher, the oldest dropped first."""
        got = self._filters.pop(q, None)
        if got is None:
            got = self.run(q, False)[0]
            got.flags.writeable = False
            if len(self._filters) >= self.FILTER_CACHE:
                self._filters.pop(next(iter(self._filters)))
        self._filters[q] = got  # most recently used last
        return got

    def _empty(self, scored: bool):
        return np.zeros(self.n, dtype=bool), (np.zeros(self.n) if scored else None)

    def _eval(self, q, scored: bool):
        """A node's (match, scores); compound results are kept read-only for the rest of the search."""
        kind = type(q)
        if kind is Q.Term:
            return self._term(q.fieldname, q.text, q.boost, scored)
        got = self._nodes.get(id(q))
        if got is not None and got[0] is q and (got[2] is not None or not scored):
            return got[1], (got[2] if scored else None)
        match, scores = self._eval_node(q, kind, scored)
        match.flags.writeable = False
        if scores is not None:
            scores.flags.writeable = False
        self._nodes.pop(id(q), None)
        if len(self._nodes) >= self.NODE_MEMO:
            self._nodes.pop(next(iter(self._nodes)))
        self._nodes[id(q)] = (q, match, scores)
        return match, scores

    def _eval_node(self, q, kind, scored: bool):
        if q is Q.NullQuery or isinstance(q, Q.NullQuery.__class__):
            return self._empty(scored)
        if isinstance(q, Q.Or) and type(q).matcher is Q.Or.matcher and not isinstance(q, Q.DisjunctionMax):
            if getattr(q, "minmatch", 0) or getattr(q, "scale", None):
                raise Untranslatable("Or with minmatch or scale")
            return self._compound(q, scored, union=True)
        if kind is Q.And:
            return self._compound(q, scored, union=False)
        if kind is Q.AndNot:
            match, scores = self._eval(q.a, scored)
            other, _ = self._eval(q.b, False)
            match = match & ~other
            if scored:
                scores = np.where(match, scores, 0.0)
            return match, scores
        if kind is Q.Not:
            other, _ = self._eval(q.query, False)
            # Whoosh's InverseMatcher (Not.matcher) scores every match its weight, 1.0, whatever
            # the boost: 'x AND NOT "a b"' adds 1.0 to each hit
            return ~other, (np.where(other, 0.0, 1.0) if scored else None)
        if kind is Q.Every and not q.fieldname and not scored:
            return np.ones(self.n, dtype=bool), None
        if kind is Q.ConstantScoreQuery:
            match, _ = self._eval(q.child, False)
            if not scored:
                return match, None
            # Whoosh's ListMatcher scores a falsy constant (0.0) as 1.0
            return match, np.where(match, q.score or 1.0, 0.0)
        if kind is Q.NumericRange and not scored:
            return self._numeric_range(q), None
        if kind is Q.Prefix:
            if q.text:
                return self._prefix(q, scored)
            prefix = q.text.encode("utf-8")
            return self._multiterm(
                q,
                lambda: [
                    w
                    for cols, _o, _r in self.fx.segments
                    for w in self.fx.expand_prefix(cols, q.fieldname, prefix)
                ],
                scored,
            )
        if kind in (Q.FuzzyTerm, Q.Wildcard):
            # the whole index's term dictionary, as querylang.expand_multiterms reads it for Whoosh
            return self._multiterm(q, lambda: q._btexts(self.fx.searcher.reader()), scored)
        if kind is Q.Phrase:
            return self._phrase(q, scored)
        raise Untranslatable(type(q).__name__)

    def _compound(self, q, scored: bool, union: bool):
        """Sum (union) or intersection of the subqueries. A Term child adds its postings in place
        (no whole-index arrays of its own): adding its scores where it matches is adding zero
        elsewhere, so the sums are the same, in the same order."""
        subs = q.subqueries
        if not subs:
            return self._empty(scored)
        if len(subs) == 1:  # Whoosh ignores the boost of a one-subquery compound
            return self._eval(subs[0], scored)
        match: Any = None  # set by the first child
        scores: Any = None
        for sub in subs:
            if type(sub) is Q.Term:
                ids, s = self._term_postings(sub.fieldname, sub.text, sub.boost, scored)
                if match is None:
                    match, scores = self._empty(scored)
                    match[ids] = True
                elif union:
                    match[ids] = True
                else:
                    inside = match[ids]
                    match[:] = False
                    match[ids[inside]] = True
                if scored:
                    scores[ids] += s
                continue
            m, s = self._eval(sub, scored)
            if match is None:
                match = m.copy()
                scores = s.copy() if scored else None
                continue
            if union:
                match |= m
            else:
                match &= m
            if scored:
                scores += s
        if scored and not union:
            scores[~match] = 0.0  # an intersection scores only where all of it matches
        if scored and q.boost != 1.0:
            scores *= q.boost
        return match, scores

    def _term_postings(self, field: str, text, boost: float, scored: bool):
        """(documents, boosted scores or None) of a term; no documents for an unknown field or value."""
        fx = self.fx
        try:
            if field not in fx.schema:
                raise ValueError(field)
            btext = fx.schema[field].to_bytes(text)
        except ValueError:
            return np.zeros(0, np.int64), (np.zeros(0) if scored else None)
        ids, raw = self._postings(field, btext, scored)
        if raw is not None and boost != 1.0:
            raw = raw * boost
        return ids, raw

    def _term(self, field: str, text, boost: float, scored: bool):
        fx = self.fx
        if field not in fx.schema:
            return self._empty(scored)
        try:
            btext = fx.schema[field].to_bytes(text)
        except ValueError:
            return self._empty(scored)
        ids, raw = self._postings(field, btext, scored)
        match = np.zeros(self.n, dtype=bool)
        match[ids] = True
        if not scored:
            return match, None
        scores = np.zeros(self.n)
        scores[ids] = raw
        if boost != 1.0:
            scores[ids] *= boost
        return match, scores

    def _postings(self, field: str, btext: bytes, scored: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """(documents, unboosted BM25F scores or None when not scored) of a term, kept for the search."""
        got = self._terms.get((field, btext))
        if got is None:
            if len(self._terms) >= self.TERM_MEMO:
                self._terms.clear()
            got = self._terms[(field, btext)] = [*self.fx.postings(field, btext), None]
        ids, weights, raw = got
        if not scored:
            return ids, None
        if raw is None:
            raw = got[2] = self._bm25(field, len(ids), ids, weights)
        return ids, raw

    def _bm25(self, field: str, df: int, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        fx = self.fx
        tf = weights.astype(np.float64)
        if not fx.schema[field].scorable:
            return tf  # Whoosh's WeightScorer
        idf, K1 = fx.idf(df), fx.K1
        # scoring.bm25, operation for operation (the length part computed once per document)
        return idf * ((tf * (K1 + 1)) / (tf + fx.length_norm(field)[ids]))

    def _multiterm(self, q, expand, scored: bool):
        """Prefix, wildcard and fuzzy terms, expanded once over the whole index (every segment's
        terms, sorted and without repeats) and scored as the sum of the expansions' BM25F scores, in
        that order, times the query's boost, whatever the segments: as querylang.ExpandedTerms scores
        them on the Whoosh path. (Whoosh's own MultiTerm.matcher decides per segment: one expansion a
        plain Term, more than two in a segment of <= 5 000 documents every match 1.0.)"""
        match, scores = self._empty(scored)
        field = q.fieldname
        if field not in self.fx.schema:
            return match, scores
        words = sorted({w.encode("utf-8") if isinstance(w, str) else w for w in expand() if w})
        for word in words:
            ids, raw = self._postings(field, word, scored)
            match[ids] = True
            if raw is not None:
                scores[ids] += raw
        if scored and words and q.boost != 1.0:
            scores *= q.boost
        return match, scores

    def _prefix(self, q, scored: bool):
        """A prefix as _multiterm scores it, computed over each segment's slice of the sorted term
        dictionary at once (its expansions are one run of terms there) instead of term by term:
        `ut*` has thousands of expansions. Each posting's BM25F is computed as _bm25 computes it, with
        the term's document frequency over the whole index, and np.bincount adds a document's postings
        in the order they come, term by term in sorted order: the sums of _multiterm, bit for bit."""
        fx, field = self.fx, q.fieldname
        match, scores = self._empty(scored)
        if field not in fx.schema:
            return match, scores
        prefix = q.text.encode("utf-8")
        parts: list[
            tuple[Any, Any, Any, Any]
        ] = []  # each segment's run: terms, postings per term, docs, weights
        for terms, offs, seg_ids, seg_w, offset in fx._term_arrays(field):
            a = int(np.searchsorted(terms, prefix, "left"))
            b = int(np.searchsorted(terms, prefix + b"\xff", "left"))
            if a < b:
                lo, hi = int(offs[a]), int(offs[b])
                per_term = np.diff(np.asarray(offs[a : b + 1], dtype=np.int64))
                parts.append((terms[a:b], per_term, seg_ids[lo:hi].astype(np.int64) + offset, seg_w[lo:hi]))
        if not parts:
            return match, scores
        ids = np.concatenate([p[2] for p in parts]) if len(parts) > 1 else parts[0][2]
        match[ids] = True
        if not scored:
            return match, scores
        tf = (np.concatenate([p[3] for p in parts]) if len(parts) > 1 else parts[0][3]).astype(np.float64)
        if fx.schema[field].scorable:
            # each term's document frequency over every segment (deleted documents included, as Whoosh)
            words = np.concatenate([p[0] for p in parts])
            counts: Any = np.concatenate([p[1] for p in parts])
            _unique, at = np.unique(words, return_inverse=True)
            df = np.bincount(at, weights=counts).astype(np.int64)[at]
            idf_of = {int(d): fx.idf(int(d)) for d in np.unique(df)}  # math.log, as _bm25's fx.idf
            idf = np.repeat(np.array([idf_of[int(d)] for d in df]), counts)
            K1 = fx.K1
            raw = idf * ((tf * (K1 + 1)) / (tf + fx.length_norm(field)[ids]))
        else:
            raw = tf  # Whoosh's WeightScorer
        scores = np.bincount(ids, weights=raw, minlength=self.n)
        if q.boost != 1.0:
            scores *= q.boost
        return match, scores

    def _numeric_range(self, q) -> np.ndarray:
        fieldobj = self.fx.schema[q.fieldname]
        raw, has = self.fx.numbers(q.fieldname)
        match = has.copy()
        if q.start is not None:
            lo = np.uint64(fieldobj.to_column_value(q.start))
            match &= (raw > lo) if q.startexcl else (raw >= lo)
        if q.end is not None:
            hi = np.uint64(fieldobj.to_column_value(q.end))
            match &= (raw < hi) if q.endexcl else (raw <= hi)
        return match

    def _phrase(self, q, scored: bool):
        """Whoosh's Phrase: SpanNear2 of its words (ordered, mindist 1, the phrase's slop) over an
        intersection of Term matchers. Candidates are the documents with every word (vectorised);
        their positions are then chained word by word: an occurrence of word i continues a chain
        ending at position p of word i-1 when 1 <= its position - p <= slop (Whoosh's span
        distance; the start of a chain does not matter for whether the document matches). The
        score is the intersection's, the sum of the words' BM25F scores, times the phrase's boost."""
        fx = self.fx
        field, words = q.fieldname, list(q.words)
        if not words or any(w is None for w in words):
            raise Untranslatable("phrase without words")
        if field not in fx.schema:
            return self._empty(scored)  # Whoosh: NullMatcher
        fmt = fx.schema[field].format
        if not fmt or not fmt.supports("positions"):
            raise Untranslatable("phrase on a field without positions")  # Whoosh raises its error
        try:
            btexts = [fx.schema[field].to_bytes(w) for w in words]
        except ValueError:
            return self._empty(scored)
        candidates = fx.live.copy()
        term_scores = []
        for word in words:
            m, sc = self._term(field, word, 1.0, scored)
            candidates &= m
            term_scores.append(sc)
        match, scores = self._empty(scored)
        if not candidates.any():
            return match, scores
        slop = q.slop
        ends = fx.position_keys(field, btexts[0], candidates)
        for btext in btexts[1:]:
            if not len(ends):
                break
            keys = fx.position_keys(field, btext, candidates)
            lo = np.searchsorted(ends, keys - slop, "left")
            hi = np.searchsorted(ends, keys - 1, "right")
            ends = keys[hi > lo]
        match[ends >> 32] = True
        if scored:
            total = _binary_tree_sum([s[match] for s in term_scores])
            if q.boost != 1.0:
                total = total * q.boost
            scores[match] = total
        return match, scores


def _binary_tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """Sum as whoosh.util.make_binary_tree nests IntersectionMatcher scores (a + b, recursively
    over halves), so the floating-point rounding is the same."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _binary_tree_sum(parts[:half]) + _binary_tree_sum(parts[half:])


# ---------------------------------------------------------------- ranking


def key_ranks(keys: list[bytes] | np.ndarray) -> np.ndarray:
    """Each key's place in the sorted order of `keys` (bytes compare as Python's do: numpy's
    fixed-width bytes pad with NULs, which no key ends with)."""
    order = np.argsort(np.asarray(keys, dtype=bytes), kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order), dtype=np.int64)
    return ranks


def _tie_break(docs: np.ndarray, near: np.ndarray, ranks: Callable[[np.ndarray], np.ndarray] | None):
    """The order of `docs` (already in score or value order; `near[i]`: docs i and i+1 are equal)
    with each run of equal ones in the order of `ranks(its documents)`, else of document number."""
    group = np.concatenate(([0], np.cumsum(~near)))
    tied = np.concatenate((near, [False])) | np.concatenate(([False], near))
    local = np.zeros(len(docs), dtype=np.int64)
    local[tied] = docs[tied] if ranks is None else ranks(docs[tied])
    return np.lexsort((local, group))


def top_by_score(
    match: np.ndarray,
    scores: np.ndarray,
    k: int | None,
    ranks: Callable[[np.ndarray], np.ndarray] | None = None,
    tie: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Matching documents by score, highest first. A score within `tie` of the next lower one is
    equal to it (a chain of such scores is one tie), and equal scores are in the order of `ranks`
    (the record keys', asked only for the tied documents among the first k), else of document number."""
    docs = np.flatnonzero(match)
    s = scores[docs]
    if k is not None and len(docs) > k:
        lowest = s[np.argpartition(-s, k - 1)[:k]].min()
        while True:  # the k-th score's whole tie, chained downwards
            keep = s >= lowest - tie
            below = s[keep].min()
            if below >= lowest:
                break
            lowest = below
        docs, s = docs[keep], s[keep]
    order = np.argsort(-s, kind="stable")
    docs, s = docs[order], s[order]
    near = np.diff(s) >= -tie
    if near.any():
        order = _tie_break(docs, near, ranks)
        docs, s = docs[order], s[order]
    if k is not None:
        docs, s = docs[:k], s[:k]
    return docs, s


def sorted_by_column(
    match: np.ndarray,
    raw: np.ndarray,
    reverse: bool,
    k: int | None,
    ranks: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Matching documents by a numeric column; equal values in the order of `ranks` (asked only for
    the tied documents among the first k), else of document number."""
    docs = np.flatnonzero(match)
    keys = raw[docs]
    if reverse:
        keys = ~keys  # order-reversing on uint64, like Whoosh's 0 - value
    order = np.lexsort((docs, keys))
    if ranks is not None and len(order) > 1:
        if k is not None and k < len(order):
            order = order[: np.searchsorted(keys[order], keys[order[k - 1]], "right")]  # the k-th's tie
        near = keys[order[1:]] == keys[order[:-1]]
        if near.any():
            order = order[_tie_break(docs[order], near, ranks)]
    if k is not None:
        order = order[:k]
    return docs[order]


def facet_counts(fx: FastIndex, field: str, match: np.ndarray) -> list[tuple[str, int]]:
    """(value, matching documents) for every value with any, most first, then by value."""
    values, value_of, docs = fx.facet(field)
    counts = np.bincount(value_of[match[docs]], minlength=len(values))
    out = [(values[i], int(counts[i])) for i in np.flatnonzero(counts) if values[i]]
    out.sort(key=lambda vc: (-vc[1], vc[0]))
    return out


__all__ = [
    "ColumnsUnavailable",
    "Executor",
    "FastIndex",
    "Untranslatable",
    "facet_counts",
    "key_ranks",
    "sorted_by_column",
    "top_by_score",
]
