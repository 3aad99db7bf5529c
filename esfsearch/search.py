"""The public search API that the CLI and the TUI both call.

from esfsearch.search import SearchEngine
with SearchEngine("index") as engine:
    result = engine.search("kompetensförsörjning region:Sydsverige", facets=True)
"""

from __future__ import annotations

import bisect
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import query as Q
from whoosh import scoring, sorting

from .columns import ColumnsUnavailable
from .fields import BY_NAME, DEFAULT_FACETS, FACETS, SUMMARY_FIELDS, YEAR, json_value
from .fields import SORTS as FIELD_SORTS
from .i18n import N_, Message
from .index import IndexProblem, current_generation, file_table, is_stale, open_whoosh, read_meta
from .querylang import Filter, QueryError, QueryInfo, _Or, expand_multiterms, parse_query
from .records import ProjectRecord
from .schema import FACET_FIELDS, normalise_value
from .snippets import Snippet, highlight_all, make_snippet
from .synonyms import load_synonyms

# Sort name -> (index field, descending), from the registry's sort orders.
SORTS: dict[str, tuple[str, bool] | None] = {
    name: (BY_NAME[spec[0]].index_field or spec[0], spec[1]) if spec else None
    for name, spec in FIELD_SORTS.items()
}
# Facet -> the index field its own filter searches: left out when counting that facet (disjunctive
# counts). A year filter is a range over other fields, so the year facet always counts with it.
FACET_FILTER_FIELD = {name: (f.index_field if f.kind != YEAR else None) for name, f in FACETS.items()}
FAST_MIN_DOCS = 5000  # "auto" execution uses the vectorised path from this index size on
FILTER_SCORE = 1.0  # what a filter adds to each hit's score on the Whoosh path (see _fast_ranking)
FUND_FAMILIES = ("esf", "esf+", "eruf")  # fund_v values; a fund and its '+' successor are one family
RERANK_MARK = 1e-9  # the (truthy) constant that restricts the expansion clause to direct matches
# Scores this close are equal, and equal scores are listed in the order of the record keys, on both
# paths. The paths add the same BM25F parts in the same order but can differ in the last bits (~1e-15
# of a score below 100); real score differences, down to RERANK_MARK, are larger.
SCORE_TIE = 1e-9
# Keys of tied records are read from their stored fields (~60-170 µs each) until this share of the
# index; beyond it the key field's terms are read whole (~15-20 µs a record), once per searcher.
KEYS_ONE_BY_ONE = 0.2
QUERY_TIME_LIMIT = 10.0  # seconds; a pathological query is cut off, never hangs


def scoring_model():
    """BM25F; title gets less length normalisation than the body (titles are short by nature)."""
    return scoring.BM25F(B=0.5, K1=1.2, title_B=0.3)  # tuned on eval/ (tune split)


@dataclass
class Hit:
    key: str
    record: ProjectRecord
    score: float
    snippet: Snippet | None = None
    related: bool = False  # found only by an expansion term (not counted in total; see _expanded)

    @property
    def id(self) -> str:
        return self.record.id

    def to_dict(self, contacts: bool = True, full: bool = False) -> dict:
        """The hit as a JSON object: id, title, score, the registry's summary fields (every record
        field when `full`) and the snippet with <em> marks."""
        data = self.record.to_dict(contacts=contacts)
        out = {"id": data["id"], "title": data["title"], "score": round(self.score, 4)}
        if full:
            out.update(data)
        else:  # derived fields (not attributes of the record) are computed
            out.update(
                {
                    name: data[name] if name in data else json_value(BY_NAME[name].value(self.record))
                    for name in SUMMARY_FIELDS
                    if contacts or not BY_NAME[name].contact
                }
            )
        out["snippet"] = self.snippet.marked() if self.snippet else None
        if self.related:
            out["related"] = True
        return out


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    page: int = 1
    limit: int = 10
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    info: QueryInfo | None = None
    seconds: float = 0.0
    timed_out: bool = False
    related: int = 0  # related records listed after the `total` direct matches (see _expanded)

    def to_dict(self, contacts: bool = True, full: bool = False) -> dict:
        from .understood import understood

        return {
            "query": {"typed": self.query, **understood(self.info)},
            "total": self.total,
            "related": self.related,
            "page": self.page,
            "limit": self.limit,
            "hits": [h.to_dict(contacts=contacts, full=full) for h in self.hits],
            "facets": {
                name: [{"value": v, "count": c} for v, c in counts] for name, counts in self.facets.items()
            },
            "suggestion": self.suggestion,
            "filters": [f.describe() for f in (self.info.filters if self.info else [])],
            "seconds": round(self.seconds, 4),
        }


class SearchEngine:
    """An open index. Keep one for many queries (the TUI does); it is cheap to `refresh()`."""

    def __init__(
        self, index_dir: str | Path, synonyms_file: str | None = None, exec_mode: str | None = None
    ) -> None:
        """`exec_mode` (else $ESFSEARCH_EXEC): "fast" runs the query shapes fastpath.py knows
        vectorised over the columnar files, "whoosh" runs every query through Whoosh's matchers,
        "auto" (default) is "fast" from FAST_MIN_DOCS records on or once numpy is loaded anyway:
        below that, importing numpy would cost a one-shot query more than it saves."""
        self.index_dir = Path(index_dir)
        gen = current_generation(self.index_dir)
        if gen is None:
            raise IndexProblem(f"no index in {self.index_dir}; build one with `esfsearch index`")
        self.generation, self.meta, self._ix, self._searcher = self._open(gen)
        self.synonyms_file = synonyms_file
        self.synonyms = load_synonyms(synonyms_file)
        self.snippet_width, self.snippet_fragments = 200, 1
        self._facet_cache: dict[int, dict[str, dict[str, set[int]]]] = {}
        self.exec_mode = exec_mode or os.environ.get("ESFSEARCH_EXEC", "auto")
        self._executor: Any = None  # fastpath.Executor once the vectorised path is used
        self.fast_unavailable: str | None = None  # why queries run on the Whoosh path, if they must
        self.last_path = ""  # "fast" or "whoosh": how the last search() ran
        self._counts_cache: dict[int, dict[int, dict[str, int]]] = {}
        self._df_cache: dict[int, dict[str, int]] = {}
        self._usable_cache: dict[int, dict[int, tuple[dict[str, int], int]]] = {}
        self._keys_cache: dict[int, dict[str, Any]] = {}
        self._values: Any = None  # understood.IndexValues of the open searcher (filter values known)
        self._snippet_words: tuple[QueryInfo | None, dict[str, bool]] = (None, {})

    @staticmethod
    def _open(gen: Path):
        """(generation, meta, Whoosh index, searcher) of one index generation."""
        meta = read_meta(gen)
        ix = open_whoosh(gen)
        try:
            searcher = ix.searcher(weighting=scoring_model())
        except Exception as exc:
            ix.close()
            raise IndexProblem(
                Message(
                    N_(
                        "the index in {path} cannot be read ({why}); rebuild with `esfsearch index --rebuild`"
                    ),
                    path=str(gen),
                    why=f"{type(exc).__name__}: {exc}",
                )
            ) from exc
        return gen, meta, ix, searcher

    def _doc_frequency(self, field: str, term: str) -> int:
        ex = self._fast()
        if ex is not None:
            from .fastpath import Untranslatable

            try:
                return ex.fx.doc_frequency(field, term)
            except (Untranslatable, ColumnsUnavailable, ValueError):
                pass
        return self._searcher.doc_frequency(field, term)

    def _parse(self, text: str, filters: list[Filter] | None):
        """The query as this index understands it (its vocabulary decides compound splits)."""
        from .understood import IndexValues

        if self._executor is not None:
            self._executor.begin()
        if self._values is None or self._values.searcher is not self._searcher:
            self._values = IndexValues(self._searcher, self._any_match)
        return parse_query(
            text,
            filters,
            self.synonyms,
            self._doc_frequency,
            self.doc_count,
            values=self._values,
        )

    def _any_match(self, q: Q.Query) -> bool | None:
        """Whether any live record matches a filter query, on the vectorised path (None: not there)."""
        ex = self._fast()
        if ex is None:
            return None
        from .fastpath import Untranslatable

        try:
            return bool(ex.filter_match(q).any())
        except (Untranslatable, ColumnsUnavailable) as exc:
            if isinstance(exc, ColumnsUnavailable):
                self.fast_unavailable = exc.reason
            return None

    # -- lifecycle
    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def refresh(self) -> None:
        """Pick up a newer generation or commit (after a rebuild or update ran elsewhere)."""
        gen = current_generation(self.index_dir)
        if gen != self.generation:
            # The new generation is opened before the old one is let go; the engine's own settings
            # (synonyms file, snippet width and fragments) stay as the caller set them.
            if gen is None:
                raise IndexProblem(f"no index in {self.index_dir}; build one with `esfsearch index`")
            opened = self._open(gen)
            self.close()
            self.generation, self.meta, self._ix, self._searcher = opened
            self._facet_cache = {}
            self._executor = None
            self.fast_unavailable = None
            return
        # Whoosh's Searcher.refresh() reuses segment readers by id and misses deletions.
        if not self._searcher.up_to_date():
            old = self._searcher
            self._searcher = self._ix.searcher(weighting=scoring_model())
            self._executor = None
            old.close()
        self.fast_unavailable = None  # columnar files an update was still writing may be complete now

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def is_stale(self) -> bool:
        try:
            return is_stale(self.index_dir)
        except IndexProblem:
            return False

    # -- queries
    def search(
        self,
        text: str,
        *,
        filters: list[Filter] | None = None,
        sort: str = "relevance",
        limit: int = 10,
        page: int = 1,
        facets: bool | tuple[str, ...] = False,
        snippets: bool = True,
    ) -> SearchResult:
        started = time.monotonic()
        if sort not in SORTS:
            raise QueryError.worded(
                N_("unknown sort {sort}; choose one of {sorts}"), sort=repr(sort), sorts=", ".join(SORTS)
            )
        if limit < 1 or page < 1:
            raise ValueError(f"limit and page must be at least 1, not {limit} and {page}")
        direct_q, all_filters, info = self._parse(text, filters)
        scoring_q, clause = direct_q, None
        if sort == "relevance":
            scoring_q, clause = self._expansion(direct_q, all_filters, info)
        fast = self._fast_search(scoring_q, all_filters, info, sort, limit, page, facets, snippets)
        self.last_path = "whoosh" if fast is None else "fast"
        if fast is not None:
            fast.query = text
            self._add_related(fast, direct_q, clause, all_filters, info, snippets)
            if fast.total == 0 and info.words:
                fast.suggestion = self.suggest(info)
            fast.seconds = time.monotonic() - started
            return fast
        filter_q = _filters(all_filters)
        q, filter_q = self._final_query(scoring_q, filter_q)
        kwargs = self._sort_kwargs(sort, scoring_q)
        results, timed_out = self._run(q, limit=page * limit, filter=filter_q, **kwargs)
        matching: dict[object, set[int]] = {}
        facet_counts = {}
        if facets:
            names = DEFAULT_FACETS if facets is True else tuple(facets or ())
            facet_counts = self.facet_counts(scoring_q, all_filters, names, matching)
        if results.scored_length() < page * limit:
            total = results.scored_length()
        else:
            if None not in matching:
                matching[None] = self._matching_docs(scoring_q, filter_q)
            total = len(matching[None])
        hits = []
        ranked = "sortedby" not in kwargs
        for hit in results[(page - 1) * limit : page * limit]:
            hits.append(self._hit(hit, info, snippets, ranked))
        result = SearchResult(
            query=text,
            total=total,
            hits=hits,
            page=page,
            limit=limit,
            info=info,
            timed_out=timed_out,
            facets=facet_counts,
        )
        self._add_related(result, direct_q, clause, all_filters, info, snippets)
        if total == 0 and info.words:
            result.suggestion = self.suggest(info)
        result.seconds = time.monotonic() - started
        return result

    def iter_hits(
        self,
        text: str,
        *,
        filters: list[Filter] | None = None,
        sort: str = "relevance",
        snippets: bool = False,
    ) -> Iterator[Hit]:
        """Every hit, for whole-result export: one search, and each record is read from the index
        only as it is yielded."""
        scoring_q, all_filters, info = self._parse(text, filters)
        if sort == "relevance":
            scoring_q = self._expanded(scoring_q, all_filters, info)
        ranked = self._fast_ranking(scoring_q, all_filters, sort, None, filter_bonus=False)
        if ranked is not None:
            for docnum, score in zip(*ranked[:2], strict=False):
                yield self._make_hit(self._searcher.stored_fields(int(docnum)), float(score), info, snippets)
            return
        q, filter_q = self._final_query(scoring_q, _filters(all_filters))
        q = expand_multiterms(q, self._searcher.reader())
        kwargs = self._sort_kwargs(sort, scoring_q)
        # One search over all hits; each record is read from the index only as it is yielded.
        results = self._searcher.search(q, limit=None, filter=filter_q, **kwargs)
        ranked = "sortedby" not in kwargs
        self._in_key_order(results.top_n, None, ranked)
        for hit in results:
            yield self._hit(hit, info, snippets, ranked)

    def understand(self, text: str, filters: list[Filter] | None = None) -> QueryInfo:
        """The query as this index reads it (QueryError if it cannot), without running it."""
        return self._parse(text, filters)[2]

    def count(self, text: str, filters: list[Filter] | None = None) -> int:
        """How many records search() would report (expansion terms included, as in its total)."""
        scoring_q, all_filters, info = self._parse(text, filters)
        scoring_q = self._expanded(scoring_q, all_filters, info)
        fast = self._fast_match(scoring_q, all_filters, scored=False)
        if fast is not None:
            return int(fast[0].sum())
        q, filter_q = self._final_query(scoring_q, _filters(all_filters))
        return self._searcher.search(q, limit=None, scored=False, filter=filter_q).scored_length()

    def _expanded(self, scoring_q: Q.Query | None, filters: list[Filter], info: QueryInfo) -> Q.Query | None:
        """The scoring query with the expansion terms re-ranking its direct matches (see _expansion)."""
        return self._expansion(scoring_q, filters, info)[0]

    def _expansion(
        self, scoring_q: Q.Query | None, filters: list[Filter], info: QueryInfo
    ) -> tuple[Q.Query | None, Q.Query | None]:
        """(scoring query, expansion clause or None). Expansion (expansion.py): pseudo-relevance feedback
        from the first results and the mined term associations of the query's stems; the terms and their
        weights are recorded in `info.expansions`.

        What the expansion does to a result, the same on both paths:
        - it re-ranks the direct matches (`AndMaybe`: the clause adds its score, below a concept step,
          to records that match the query itself) and adds no record to them: `total`, facets,
          `count()`, exports (`iter_hits`) and saved-search "new" matches are the direct matches, so
          'kompetensförsörjning' reports its 15 projects, not the 202 an expansion term touches;
        - the *related* records, that only an expansion term finds ('turism' → records about
          'besöksnäring'), are listed after every direct match only to complete the first page, when
          the direct matches within the filters are fewer than `FEEDBACK["fill_below"]`
          (`_add_related`): marked `Hit.related`, counted in `SearchResult.related`, not in `total`;
        - a query no record matches directly gets no expansion at all (it widens what was found, it does
          not invent a topic for an unknown word: 'zzqq red' has no hits and gets a did-you-mean)."""
        from . import expansion

        if (
            scoring_q is None
            or not info.concepts
            or not expansion.FEEDBACK["weight"]
            or not info.direct_floor
        ):
            return scoring_q, None
        if not self._direct_count(scoring_q):
            return scoring_q, None
        ranked = self._fast_ranking(scoring_q, filters, "relevance", expansion.FEEDBACK["docs"])
        if ranked is not None:
            first = [(int(d), float(sc)) for d, sc in zip(*ranked[:2], strict=False)]
        else:
            results, _timed_out = self._run(
                scoring_q, limit=expansion.FEEDBACK["docs"], filter=_filters(filters)
            )
            first = [(hit.docnum, hit.score or 0.0) for hit in results[: expansion.FEEDBACK["docs"]]]
        docs = [(self._feedback_counts(docnum), score) for docnum, score in first]
        query_stems = set(info.stems) | {p for s in info.compound_splits for p in s.parts}
        terms = expansion.merge(
            expansion.feedback_terms(docs, query_stems, self._body_frequency, self.doc_count),
            expansion.associated_terms(query_stems, self._body_frequency, self.doc_count),
        )
        clause, terms = expansion.expansion_query(
            terms, self._body_frequency, self.doc_count, info.direct_floor
        )
        if clause is None:
            return scoring_q, None
        info.expansions = [(t.stem, round(t.weight, 4)) for t in terms]
        # direct matches only, each scored direct + clause where the clause matches too (Whoosh's
        # AndMaybe matcher scored some of these differently from the vectorised path)
        rerank = Q.And([Q.ConstantScoreQuery(scoring_q, RERANK_MARK), clause])
        return _Or([scoring_q, rerank]), clause

    def _add_related(
        self,
        result: SearchResult,
        direct_q: Q.Query | None,
        clause: Q.Query | None,
        filters: list[Filter],
        info: QueryInfo,
        snippets: bool,
    ) -> None:
        """List the related records (found only by an expansion term, within the filters) after the direct
        matches, at the places `total` leaves free among the first `FEEDBACK["fill_below"]`."""
        from . import expansion

        fill = expansion.FEEDBACK["fill_below"]
        if clause is None or direct_q is None or not 0 < result.total < fill:
            return
        start, end = (result.page - 1) * result.limit, result.page * result.limit
        lo, hi = max(start, result.total) - result.total, min(end, fill) - result.total
        if hi <= lo:
            return
        q = Q.AndNot(clause, direct_q)
        ranked = self._fast_ranking(q, filters, "relevance", hi)
        if ranked is not None:
            found = [
                (self._searcher.stored_fields(int(d)), float(sc)) for d, sc in zip(*ranked[:2], strict=True)
            ]
        else:
            results, _timed_out = self._run(q, limit=hi, filter=_filters(filters))
            found = [(hit.fields(), float(hit.score or 0.0)) for hit in results[:hi]]
        for fields, score in found[lo:hi]:
            hit = self._make_hit(fields, score, info, snippets)
            hit.related = True
            result.hits.append(hit)
            result.related += 1

    def _direct_count(self, scoring_q: Q.Query) -> int:
        """How many records the (unexpanded) query matches in the whole index. Scored on the
        vectorised path: the feedback ranking that follows reuses the scores (Executor.begin)."""
        fast = self._fast_match(scoring_q, [], scored=True)
        if fast is not None:
            return int(fast[0].sum())
        return len(self._docset(scoring_q))

    def explain(self, text: str, filters: list[Filter] | None = None) -> dict:
        """How a query is understood and widened: its concepts (each a ranking step), compound splits
        (from the index's parts or the lexicon) and the feedback expansion terms with their weights."""
        from . import concepts

        scoring_q, all_filters, info = self._parse(text, filters)
        self._expanded(scoring_q, all_filters, info)
        return {
            "query": text,
            "words": info.words,
            "stems": sorted(info.stems),
            "concepts": info.concepts,
            "concept_step": concepts.CONCEPT_STEP,
            "direct_floor": round(info.direct_floor, 3),
            "compound_splits": [
                {"word": s.word, "parts": list(s.parts), "source": s.source} for s in info.compound_splits
            ],
            "expansions": [{"term": t, "weight": w} for t, w in info.expansions],
            "filters": [f.describe() for f in info.filters],
        }

    def _searcher_cache(self, attr: str) -> dict:
        """The cache held in `attr` for the current searcher: it starts empty when refresh() has
        opened another, so nothing read from an older generation is used."""
        held = getattr(self, attr)
        cache = held.get(id(self._searcher))
        if cache is None:
            cache = {}
            setattr(self, attr, {id(self._searcher): cache})
        return cache

    def _body_frequency(self, stem: str) -> int:
        """Records with the stem in title or body (the larger count), cached per searcher."""
        cache = self._searcher_cache("_df_cache")
        df = cache.get(stem)
        if df is None:
            df = cache[stem] = max(self._doc_frequency("body", stem), self._doc_frequency("title", stem))
        return df

    def _term_counts(self, docnum: int) -> dict[str, int]:
        """A record's stems and counts (its title and text analysed as the body field is), cached per
        searcher: read from the columnar files where they have them, else analysed."""
        from .expansion import term_counts

        cache = self._searcher_cache("_counts_cache")
        counts = cache.get(docnum)
        if counts is None:
            counts = self._stored_term_counts(docnum)
            if counts is None:
                record = ProjectRecord.from_dict(json.loads(self._searcher.stored_fields(docnum)["record"]))
                counts = term_counts(f"{record.title}\n{record.full_text}")
            cache[docnum] = counts
        return counts

    def _stored_term_counts(self, docnum: int) -> dict[str, int] | None:
        """expansion.term_counts(title + "\n" + text) of a record from its segment's doc-major title
        and body postings (columns.DOC_FIELDS), or None where there are none. No word spans the line
        break, so the title's terms come first, then the text's that the title lacks, counts summed."""
        from .columns import DOC_FIELDS

        ex = self._fast()
        if ex is None:
            return None
        segments = ex.fx.segments
        at = bisect.bisect_right([offset for _cols, offset, _r in segments], docnum) - 1
        if at < 0:
            return None
        cols, offset, _reader = segments[at]
        try:
            title, body = (cols.document_terms(field, docnum - offset) for field in DOC_FIELDS)
        except ColumnsUnavailable as exc:
            self.fast_unavailable = exc.reason
            return None
        if title is None or body is None:
            return None
        counts = {**title, **body}  # the title's keys keep their places
        for stem, n in title.items():
            counts[stem] = n + body.get(stem, 0)
        return counts

    def _feedback_counts(self, docnum: int) -> tuple[dict[str, int], int]:
        """expansion.usable_counts() of a record, cached per searcher as its term counts are."""
        from .expansion import usable_counts

        cache = self._searcher_cache("_usable_cache")
        got = cache.get(docnum)
        if got is None:
            got = cache[docnum] = usable_counts(self._term_counts(docnum))
        return got

    def _final_query(
        self, scoring_q: Q.Query | None, filter_q: Q.Query | None
    ) -> tuple[Q.Query, Q.Query | None]:
        """(query to score, filter that only restricts the documents: it adds nothing to scores)."""
        return (scoring_q if scoring_q is not None else Q.Every()), filter_q

    def _sort_kwargs(self, sort: str, scoring_q: Q.Query | None) -> dict:
        spec = SORTS[sort]
        if spec is None:
            if scoring_q is None:  # no words: newest first is the useful order
                return {"sortedby": sorting.FieldFacet("start", reverse=True)}
            return {}
        fieldname, reverse = spec
        return {"sortedby": sorting.FieldFacet(fieldname, reverse=reverse)}

    def _run(self, q: Q.Query, limit: int | None, filter: Q.Query | None = None, **kwargs):
        """Collect with a time limit; the first `limit` hits are in the order of both paths (equal
        scores or sort values by record key: _in_key_order). The filter is ANDed in at a constant
        score of 0: as a FilterCollector it would either be skipped by the TimeLimitCollector (which
        calls its child's collect() directly) or leave the total counting unfiltered matches."""
        from whoosh.collectors import TimeLimitCollector
        from whoosh.searching import TimeLimit

        q = expand_multiterms(q, self._searcher.reader())  # prefixes scored alike in every segment
        if filter is not None:
            q = Q.And([q, Q.ConstantScoreQuery(filter, 0.0)])
        # Every hit is collected: Whoosh's top-k collector loses hits of these unions (a true top hit
        # missing from the first page), and a tie at the page's end is ordered over all its records
        # (a sorting collector sorts every hit whatever its limit).
        collector = TimeLimitCollector(
            self._searcher.collector(limit=None, **kwargs), timelimit=QUERY_TIME_LIMIT, use_alarm=False
        )
        timed_out = False
        try:
            self._searcher.search_with_collector(q, collector)
        except TimeLimit:
            timed_out = True
        results = collector.results()
        self._in_key_order(results.top_n, limit, "sortedby" not in kwargs)
        return results, timed_out

    def _in_key_order(self, top: list[tuple[Any, int]], end: int | None, ranked: bool) -> None:
        """Reorder Whoosh's (score or sort value, document number) list, in its order (ties by
        document number), in place so that its first `end` are in the order of the vectorised path
        (fastpath.top_by_score, sorted_by_column): a score within SCORE_TIE of the next is equal to
        it, and equal scores or sort values are in the order of the record keys."""
        n = len(top) if end is None else min(end, len(top))
        tie = SCORE_TIE if ranked else 0.0
        out: list[tuple[Any, int]] = []
        i = 0
        while i < n:
            j = i + 1
            while j < len(top) and (
                top[j - 1][0] - top[j][0] <= tie if ranked else top[j - 1][0] == top[j][0]
            ):
                j += 1
            group = top[i:j]
            if len(group) > 1:
                keys = dict(zip((d for _s, d in group), self._keys_of([d for _s, d in group]), strict=True))
                group.sort(key=lambda item: keys[item[1]])
            out += group
            i = j
        top[: len(out)] = out

    def _record_keys(self) -> list[bytes]:
        """Each document's record key (the index's unique `key`) by document number, read once per
        searcher from the key field's terms (~15-20 µs a record): equal scores are listed in this
        order on both paths, not by document number, which depends on the build (writer processes,
        segments, updates)."""
        cache = self._searcher_cache("_keys_cache")
        keys = cache.get("keys")
        if keys is None:
            reader = self._searcher.reader()
            keys = [b""] * reader.doc_count_all()
            for segreader, offset in reader.leaf_readers():
                for key, info in segreader.iter_field("key"):
                    if info.doc_frequency() == 1:
                        keys[offset + info.min_id()] = key
                    else:  # replaced within its segment: the live document's (deleted ones never match)
                        for docnum in segreader.postings("key", key).all_ids():
                            keys[offset + docnum] = key
            cache["keys"] = keys
        return keys

    def _keys_of(self, docnums: list[int]) -> list[bytes]:
        """The record keys of some documents: from their stored fields, or from _record_keys once
        the documents asked for (in all, per searcher) are more than KEYS_ONE_BY_ONE of the index."""
        cache = self._searcher_cache("_keys_cache")
        table = cache.get("keys")
        if table is None:
            known = cache.setdefault("some", {})
            missing = [d for d in docnums if d not in known]
            if len(known) + len(missing) <= KEYS_ONE_BY_ONE * self._searcher.doc_count_all():
                for d in missing:
                    known[d] = self._searcher.stored_fields(d)["key"].encode("utf-8")
                return [known[d] for d in docnums]
            table = self._record_keys()
        return [table[d] for d in docnums]

    def _key_order(self, docs):
        """fastpath.key_ranks of some documents' record keys: the vectorised path's tie order."""
        from .fastpath import key_ranks

        ranks = self._executor.fx.key_ranks() if self._executor is not None else None
        return key_ranks(self._keys_of(docs.tolist())) if ranks is None else ranks[docs]

    def _hit(self, hit, info: QueryInfo, snippets: bool, ranked: bool = True) -> Hit:
        score = hit.score if (ranked and hit.score is not None) else 0.0
        return self._make_hit(hit.fields(), float(score), info, snippets)

    def _make_hit(self, fields: dict, score: float, info: QueryInfo, snippets: bool) -> Hit:
        record = ProjectRecord.from_dict(json.loads(fields["record"]))
        snippet = None
        if snippets:
            if self._snippet_words[0] is not info:  # word -> matched, for this query's hits
                self._snippet_words = (info, {})
            snippet = make_snippet(
                record.full_text or record.title,
                info.stems,
                info.folded_stems,
                width=self.snippet_width,
                fragments=self.snippet_fragments,
                known=self._snippet_words[1],
            )
        return Hit(key=fields["key"], record=record, score=score, snippet=snippet)

    # -- the vectorised path (fastpath.py); each returns None when the query must run on Whoosh
    def _fast(self):
        """The executor over this searcher's columnar files, or None: Whoosh path chosen, or the
        files are missing or damaged (the reason is kept in `fast_unavailable`)."""
        if self.exec_mode == "whoosh" or self.fast_unavailable is not None:
            return None
        if self.exec_mode == "auto" and self._executor is None and "numpy" not in sys.modules:
            if self._searcher.reader().doc_count_all() < FAST_MIN_DOCS:
                return None
        if self._executor is None:
            from .fastpath import Executor, FastIndex

            try:
                self._executor = Executor(FastIndex(self.generation, self._searcher))
            except ColumnsUnavailable as exc:
                self.fast_unavailable = exc.reason
                return None
        return self._executor

    def _fast_match(
        self, scoring_q: Q.Query | None, filters: list[Filter], scored: bool, exclude: str | None = None
    ):
        """(match, scores or None, match before the filters) as arrays, or None."""
        ex = self._fast()
        if ex is None:
            return None
        from .fastpath import Untranslatable

        try:
            if scoring_q is None:
                qmatch, scores = ex.fx.live, None
            else:
                qmatch, scores = ex.run(scoring_q, scored)
            filter_q = _filters(filters, exclude=exclude)
            match = qmatch if filter_q is None else qmatch & ex.filter_match(filter_q)
        except (Untranslatable, ColumnsUnavailable) as exc:
            if isinstance(exc, ColumnsUnavailable):
                self.fast_unavailable = exc.reason
            return None
        return match, scores, qmatch

    def _fast_ranking(
        self,
        scoring_q: Q.Query | None,
        filters: list[Filter],
        sort: str,
        k: int | None,
        filter_bonus: bool = True,
    ):
        """(document numbers in result order, their scores, match, match before filters) or None.
        `filter_bonus`: score filtered hits as search() does on the Whoosh path (not iter_hits)."""
        spec = SORTS[sort]
        if spec is None and scoring_q is None:
            spec = ("start", True)  # no words: newest first (as _sort_kwargs)
        got = self._fast_match(scoring_q, filters, scored=spec is None)
        if got is None:
            return None
        # only now: on the Whoosh path (a small index's one-shot query) numpy is never imported
        from .fastpath import sorted_by_column, top_by_score

        match, scores, qmatch = got
        doc_scores: Any
        if spec is None:
            if filter_bonus and match is not qmatch:
                # The Whoosh path ANDs the filter in as ConstantScoreQuery(filter, 0.0), whose
                # matcher treats the falsy 0.0 as "no constant" and scores every match 1.0.
                scores = scores + FILTER_SCORE
            docs, doc_scores = top_by_score(match, scores, k, self._key_order, SCORE_TIE)
        else:
            try:
                raw = self._executor.fx.numbers(spec[0])[0]
            except ColumnsUnavailable as exc:
                self.fast_unavailable = exc.reason
                return None
            docs = sorted_by_column(match, raw, spec[1], k, self._key_order)
            doc_scores = [0.0] * len(docs)
        return docs, doc_scores, match, qmatch

    def _fast_search(
        self, scoring_q, filters, info, sort, limit, page, facets, snippets
    ) -> SearchResult | None:
        ranked = self._fast_ranking(scoring_q, filters, sort, page * limit)
        if ranked is None:
            return None
        docs, doc_scores, match, qmatch = ranked
        facet_counts = {}
        if facets:
            names = DEFAULT_FACETS if facets is True else tuple(facets)
            facet_counts = self._fast_facets(qmatch, filters, names, {None: match})
            if facet_counts is None:
                return None
        hits = [
            self._make_hit(self._searcher.stored_fields(int(d)), float(s), info, snippets)
            for d, s in list(zip(docs, doc_scores, strict=False))[(page - 1) * limit : page * limit]
        ]
        return SearchResult(
            query="",
            total=int(match.sum()),
            hits=hits,
            page=page,
            limit=limit,
            info=info,
            facets=facet_counts,
        )

    def _fast_facets(self, qmatch, filters: list[Filter], names: tuple[str, ...], matching: dict):
        """Disjunctive facet counts (as facet_counts) with np.bincount; None to use Whoosh."""
        from .fastpath import Untranslatable, facet_counts

        ex = self._executor
        out = {}
        try:
            for name in names:
                own = FACET_FILTER_FIELD.get(name)
                key = own if any(f.spec.index_field == own for f in filters) else None
                if key not in matching:
                    filter_q = _filters(filters, exclude=key)
                    matching[key] = qmatch if filter_q is None else qmatch & ex.filter_match(filter_q)
                out[name] = facet_counts(ex.fx, FACET_FIELDS[name], matching[key])
        except (Untranslatable, ColumnsUnavailable) as exc:
            if isinstance(exc, ColumnsUnavailable):
                self.fast_unavailable = exc.reason
            return None
        return out

    # -- facets
    def facet_counts(
        self,
        scoring_q: Q.Query | None,
        filters: list[Filter],
        names: tuple[str, ...] = DEFAULT_FACETS,
        matching: dict[object, set[int]] | None = None,
    ) -> dict[str, list[tuple[str, int]]]:
        """Disjunctive counts: a facet's own filter is left out when counting that facet, so the
        counts show what switching to another value would give. The matching documents are found
        once per distinct filter set and intersected with each value's cached document set."""
        fast = self._fast_match(scoring_q, [], scored=False)
        if fast is not None:
            counts = self._fast_facets(fast[0], filters, names, {})
            if counts is not None:
                return counts
        out: dict[str, list[tuple[str, int]]] = {}
        matching = {} if matching is None else matching  # filter left out (None: none) -> docs
        for name in names:
            own = FACET_FILTER_FIELD.get(name)
            key = own if any(f.spec.index_field == own for f in filters) else None
            if key not in matching:
                matching[key] = self._matching_docs(scoring_q, _filters(filters, exclude=key))
            docs = matching[key]
            counts = []
            for value, value_docs in self._facet_docs(name).items():
                n = len(docs & value_docs) if len(docs) < len(value_docs) else len(value_docs & docs)
                if n:
                    counts.append((value, n))
            counts.sort(key=lambda vc: (-vc[1], vc[0]))
            out[name] = counts
        return out

    def _matching_docs(self, scoring_q: Q.Query | None, filter_q: Q.Query | None) -> set[int]:
        q = scoring_q if scoring_q is not None else Q.Every()
        if filter_q is not None:
            q = Q.And([q, filter_q])
        return self._docset(q)

    def _docset(self, q: Q.Query) -> set[int]:
        """The documents a query matches, combined as Python sets from the leaves' posting lists:
        several times faster than stepping Whoosh's union matchers document by document."""
        if isinstance(q, Q.Or) and not getattr(q, "minmatch", 0):
            out: set[int] = set()
            for sub in q.subqueries:
                out |= self._docset(sub)
            return out
        if isinstance(q, Q.And) and q.subqueries:
            sets = sorted((self._docset(sub) for sub in q.subqueries), key=len)
            return sets[0].intersection(*sets[1:])
        if isinstance(q, Q.AndNot):
            return self._docset(q.a) - self._docset(q.b)
        if isinstance(q, Q.ConstantScoreQuery):
            return self._docset(q.child)
        if isinstance(q, Q.Every) and not q.fieldname:
            return set(self._searcher.reader().all_doc_ids())
        return set(self._searcher.docs_for_query(q))

    def _facet_docs(self, name: str) -> dict[str, set[int]]:
        """Facet value -> documents, read once per searcher (a refresh starts a new cache)."""
        searcher_id = id(self._searcher)
        cache = self._facet_cache.get(searcher_id)
        if cache is None:
            cache = {}
            self._facet_cache = {searcher_id: cache}
        if name not in cache:
            field = FACET_FIELDS[name]
            values: dict[str, set[int]] = {}
            for term in self._searcher.lexicon(field):
                value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
                if value:
                    values[value] = set(self._searcher.docs_for_query(Q.Term(field, value)))
            cache[name] = values
        return cache[name]

    # -- spelling
    def suggest(self, info: QueryInfo) -> str | None:
        """'Did you mean …': each word not in the vocabulary replaced by its nearest known word, the
        one Whoosh's corrector picks: of the words within two edits (a swap of neighbours is one),
        the most frequent, then the last alphabetically. Found in milliseconds (`_near_word`) where
        the corrector compared the query word with every word of the index (1.6 s at 20 000)."""
        changed = False
        words = []
        for word in info.words:
            if len(word) > 40:  # no real word
                return None
            if self._searcher.frequency("spell", word) > 0:
                words.append(word)
                continue
            found = self._near_word(word)
            if found:
                words.append(found)
                changed = True
            else:
                words.append(word)
        return " ".join(words) if changed else None

    def _near_word(self, word: str, maxdist: int = 2) -> str | None:
        """suggest()'s choice for one word. Two edits change a word's length by at most two and its
        letter counts by at most four in all (a swap changes none), so only the words that pass both
        are compared letter by letter (a small vocabulary without numpy: the length alone)."""
        from whoosh.support.levenshtein import distance

        terms, letters = self._spelling_words()
        if letters is None:
            near = [t for t in terms if abs(len(t) - len(word)) <= maxdist]
        else:
            import numpy as np

            lengths, counts, slots = letters
            mine = np.zeros(counts.shape[1], dtype=np.int16)
            for ch in word:
                mine[slots.get(ch, len(slots))] += 1
            rows = np.flatnonzero(np.abs(lengths - len(word)) <= maxdist)
            rows = rows[np.abs(counts[rows] - mine).sum(axis=1) <= 2 * maxdist]
            near = [terms[i] for i in rows.tolist()]
        frequency = self._searcher.frequency
        best: tuple[int, str] | None = None
        for term in near:
            if distance(term, word, limit=maxdist) <= maxdist:
                # Whoosh's order: frequency (0 counted as 1), then the later word
                found = (frequency("spell", term) or 1, term)
                if best is None or found > best:
                    best = found
        return best[1] if best else None

    def _spelling_words(self, vectorised: bool | None = None):
        """(words, letters) of the spelling vocabulary, read once per searcher. `letters` is (lengths,
        letter counts per word, letter -> column) for numpy, the 31 commonest letters a column each
        and the rest one; None for fewer than 10 000 words while numpy is not loaded (importing it
        would cost a one-shot query more than the filter saves). `vectorised` forces either."""
        cached = getattr(self, "_spelling_cache", None)
        if cached is not None and cached[0] is self._searcher and vectorised is None:
            return cached[1]
        terms = [t.decode("utf-8") for t in self._searcher.lexicon("spell")]
        if vectorised is None:
            vectorised = "numpy" in sys.modules or len(terms) >= 10_000
        letters = None
        if vectorised:
            import numpy as np

            lengths = np.fromiter(map(len, terms), dtype=np.int16, count=len(terms))
            points = np.frombuffer("".join(terms).encode("utf-32-le"), dtype=np.uint32)
            found, column_of, seen = np.unique(points, return_inverse=True, return_counts=True)
            common = np.argsort(-seen, kind="stable")[:31]
            column = np.full(len(found), len(common), dtype=np.int64)
            column[common] = np.arange(len(common))
            rows = np.repeat(np.arange(len(terms)), lengths)
            width = len(common) + 1
            flat = np.bincount(rows * width + column[column_of], minlength=len(terms) * width)
            counts = np.minimum(flat, 255).astype(np.uint8).reshape(len(terms), width)
            slots = {chr(int(found[i])): n for n, i in enumerate(common.tolist())}
            letters = (lengths, counts, slots)
        vocabulary = (terms, letters)
        self._spelling_cache = (self._searcher, vocabulary)
        return vocabulary

    # -- records
    def get(self, record_id: str) -> list[Hit]:
        q = Q.Term("id_v", normalise_value(record_id))
        results = self._searcher.search(q, limit=None)
        hits = [self._hit(h, QueryInfo(text=""), False) for h in results]
        if not hits:
            results = self._searcher.search(Q.Term("key", record_id), limit=1)
            hits = [self._hit(h, QueryInfo(text=""), False) for h in results]
        if not hits and "/" not in record_id and record_id.strip():
            # the short id lists show for a path-made id ('uppdrag-2019' for 'texter/uppdrag-2019')
            q = Q.Wildcard("id_v", "*/" + normalise_value(record_id).replace("*", "").replace("?", ""))
            hits = [
                h
                for h in (
                    self._hit(h, QueryInfo(text=""), False) for h in self._searcher.search(q, limit=None)
                )
                if h.record.short_id == record_id
            ]
        return hits

    def highlight(self, record: ProjectRecord, text: str) -> Snippet:
        _scoring, _filters_, info = self._parse(text, None)
        return highlight_all(record.full_text, info.stems, info.folded_stems)

    def similar(self, record_id: str, limit: int = 10) -> SearchResult:
        """Projects like this one, from what makes it distinctive: its most significant terms against the
        corpus (KL contribution, not raw frequency; expansion.significant_terms), their compound parts at a
        lower weight, its programme area or thematic objective, and its fund family (a constant step,
        `SIMILAR["fund"]`). The project itself is never listed."""
        from . import expansion

        started = time.monotonic()
        matches = self.get(record_id)
        if not matches:
            raise QueryError.worded(N_("no project with id {id}"), id=repr(record_id))
        source = matches[0]
        docnum = self._searcher.document_number(key=source.key)
        counts = self._term_counts(docnum)
        body_length = self._searcher.field_length("body") or 1
        terms = expansion.significant_terms(
            counts,
            lambda t: self._searcher.frequency("body", t),
            body_length,
            self._body_frequency,
            self.doc_count,
        )
        top = terms[0][1] if terms else 1.0
        clauses: list[Q.Query] = []
        for term, value in terms:
            w = value / top
            clauses.append(
                _Or(
                    [
                        Q.Term("title", term),
                        Q.Term("body", term),
                        Q.Term("parts", term, boost=expansion.SIMILAR["parts"]),
                    ],
                    boost=w,
                )
            )
        area = _area_value(source.record)
        if area and expansion.SIMILAR["area"]:
            clauses.append(Q.Term("area_v", normalise_value(area), boost=expansion.SIMILAR["area"]))
        fund = source.record.fund
        if fund and expansion.SIMILAR["fund"]:
            # the same fund family: the social fund's projects (ESF, its successor ESF+) are about people
            # and work, the regional fund's (ERUF) about firms, research and infrastructure
            fund_value = normalise_value(fund)
            family = [f for f in FUND_FAMILIES if f.rstrip("+") == fund_value.rstrip("+")] or [fund_value]
            # a constant: the regional fund is in nearly every record, so its idf would make it weigh nothing
            same_fund = Q.Or([Q.Term("fund_v", f) for f in family])
            clauses.append(Q.ConstantScoreQuery(same_fund, expansion.SIMILAR["fund"]))
        if not clauses:
            return SearchResult(
                query=f"similar:{record_id}",
                total=0,
                hits=[],
                limit=limit,
                seconds=time.monotonic() - started,
            )
        own = [Q.Term("key", h.key) for h in matches]
        q = Q.AndNot(_Or(clauses), Q.Or(own))  # union tree: the array union drops hits from the top k
        hits = self._fast_top(q, limit)
        if hits is None:  # every hit collected, equal scores by record key (_run), as on the fast path
            results, _timed_out = self._run(q, limit=limit)
            hits = [self._hit(h, QueryInfo(text=""), False) for h in results[:limit]]
        hits = [h for h in hits if h.id != source.id]
        return SearchResult(
            query=f"similar:{record_id}",
            total=len(hits),
            hits=hits,
            limit=limit,
            info=QueryInfo(text="", words=[t for t, _ in terms]),
            seconds=time.monotonic() - started,
        )

    def _fast_top(self, q: Q.Query, limit: int) -> list[Hit] | None:
        """The top `limit` hits of an unfiltered query, run vectorised (equal scores by record key,
        as in search()); None to use Whoosh."""
        ex = self._fast()
        if ex is None:
            return None
        from .fastpath import Untranslatable, top_by_score

        try:
            match, scores = ex.run(q, True)
        except (Untranslatable, ColumnsUnavailable):
            return None
        docs, doc_scores = top_by_score(match, scores, limit, self._key_order, SCORE_TIE)
        return [
            self._make_hit(self._searcher.stored_fields(int(d)), float(s), QueryInfo(text=""), False)
            for d, s in zip(docs, doc_scores, strict=False)
        ]

    def stats(self) -> dict:
        meta = self.meta
        files = file_table(self.generation, meta)
        layouts: dict[str, int] = {}
        for info in files.values():
            if info.get("layout"):
                layouts[info["layout"]] = layouts.get(info["layout"], 0) + info.get("records", 0)
        funds = self.facet_counts(None, [], ("fund",))["fund"]
        size = sum(p.stat().st_size for p in self.generation.iterdir() if p.is_file())
        return {
            "index": str(self.index_dir),
            "generation": self.generation.name,
            "records": self.doc_count,
            "files": len(files),
            "skipped": len(meta.get("skipped", [])),
            "layouts": dict(sorted(layouts.items())),
            "funds": dict(funds),
            "size_bytes": size,
            "built_at": meta.get("built_at"),
            "corpus": meta.get("corpus"),
            "stale": self.is_stale(),
            "schema_version": meta.get("schema_version"),
        }

    def prepare(self) -> None:
        """Read ahead what the first unusual query would read on the spot: the spelling vocabulary
        ("did you mean", ~0.2 s at 20 000 records) and the Swedish compound lexicon (a compound no
        text has, ~0.5 s). A long-lived caller (the TUI) runs this in the background after its first
        result, so that no keystroke waits for them. Also what the first word query of a session
        builds once (the query parser, ~15 ms with its imports; the mined associations and accent
        table of the expansion): the empty query the TUI starts with needs none of them."""
        from . import expansion
        from .compounds import default_splitter

        default_splitter()
        self._spelling_words()
        self.understand("kompetens")
        expansion.associations()
        expansion.accented_stems(["kompetens"])


def _area_value(record: ProjectRecord) -> str | None:
    from .fields import facet_area

    return facet_area(record)


def _filters(filters: list[Filter], exclude: str | None = None) -> Q.Query | None:
    from .querylang import combine_filters

    return combine_filters(filters, exclude=exclude)
