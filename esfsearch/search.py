"""The public search API that the CLI and the TUI both call.

    from esfsearch.search import SearchEngine
    with SearchEngine("index") as engine:
        result = engine.search("kompetensförsörjning region:Sydsverige", facets=True)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from whoosh import query as Q
from whoosh import scoring, sorting

from .index import IndexProblem, current_generation, is_stale, open_whoosh, read_meta
from .querylang import Filter, QueryError, QueryInfo, parse_query
from .records import ProjectRecord
from .schema import FACET_FIELDS, normalise_value
from .snippets import Snippet, highlight_all, make_snippet
from .synonyms import load_synonyms

SORTS = {
    "relevance": None,
    "start": ("start", True),       # newest first
    "start-asc": ("start", False),
    "end": ("end", True),
    "amount": ("eu_support", True),  # largest granted support first
    "budget": ("total_budget", True),
}
FACET_FILTER_FIELD = {"region": "region", "fund": "fund_v", "period": "period_v", "area": "area_v",
                      "county": "county", "phase": "phase_v", "layout": "layout_v", "year": None}
DEFAULT_FACETS = ("region", "fund", "period", "area")
QUERY_TIME_LIMIT = 10.0   # seconds; a pathological query is cut off, never hangs


def scoring_model():
    """BM25F; title gets less length normalisation than the body (titles are short by nature)."""
    return scoring.BM25F(B=0.5, K1=1.2, title_B=0.3)   # tuned on eval/ (tune split)


@dataclass
class Hit:
    key: str
    record: ProjectRecord
    score: float
    snippet: Snippet | None = None

    @property
    def id(self) -> str:
        return self.record.id

    def to_dict(self, contacts: bool = True, full: bool = False) -> dict:
        r = self.record
        out = {"id": r.id, "title": r.title, "score": round(self.score, 4)}
        if full:
            out.update(r.to_dict(contacts=contacts))
        else:
            out.update({
                "owner": r.owner, "region": r.region, "county": r.county, "fund": r.fund,
                "programme_period": r.programme_period, "programme_area": r.programme_area,
                "phase": r.phase,
                "start_date": r.start_date.isoformat() if r.start_date else None,
                "end_date": r.end_date.isoformat() if r.end_date else None,
                "total_budget": r.total_budget, "eu_support": r.eu_support, "source_path": r.source_path,
            })
        out["snippet"] = self.snippet.marked() if self.snippet else None
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

    def to_dict(self, contacts: bool = True, full: bool = False) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "hits": [h.to_dict(contacts=contacts, full=full) for h in self.hits],
            "facets": {name: [{"value": v, "count": c} for v, c in counts]
                       for name, counts in self.facets.items()},
            "suggestion": self.suggestion,
            "filters": [f.describe() for f in (self.info.filters if self.info else [])],
            "seconds": round(self.seconds, 4),
        }


class SearchEngine:
    """An open index. Keep one for many queries (the TUI does); it is cheap to `refresh()`."""

    def __init__(self, index_dir: str | Path, synonyms_file: str | None = None) -> None:
        self.index_dir = Path(index_dir)
        gen = current_generation(self.index_dir)
        if gen is None:
            raise IndexProblem(f"no index in {self.index_dir}; build one with `esfsearch index`")
        self.generation = gen
        self.meta = read_meta(gen)
        self._ix = open_whoosh(gen)
        try:
            self._searcher = self._ix.searcher(weighting=scoring_model())
        except Exception as exc:
            raise IndexProblem(f"the index in {gen} cannot be read ({type(exc).__name__}: {exc}); "
                               "rebuild with `esfsearch index --rebuild`") from exc
        self.synonyms = load_synonyms(synonyms_file)
        self.snippet_width, self.snippet_fragments = 200, 1
        self._facet_cache: dict[int, dict[str, dict[str, set[int]]]] = {}

    def _doc_frequency(self, field: str, term: str) -> int:
        return self._searcher.doc_frequency(field, term)

    def _parse(self, text: str, filters: list[Filter] | None):
        """The query as this index understands it (its vocabulary decides compound splits)."""
        return parse_query(text, filters, self.synonyms, self._doc_frequency, self.doc_count)

    # -- lifecycle
    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def __enter__(self) -> "SearchEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def refresh(self) -> None:
        """Pick up a newer generation or commit (after a rebuild or update ran elsewhere)."""
        gen = current_generation(self.index_dir)
        if gen != self.generation:
            self.close()
            self.__init__(self.index_dir)
            return
        # Whoosh's Searcher.refresh() reuses segment readers by id and misses deletions.
        if not self._searcher.up_to_date():
            old = self._searcher
            self._searcher = self._ix.searcher(weighting=scoring_model())
            old.close()

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def is_stale(self) -> bool:
        try:
            return is_stale(self.index_dir)
        except IndexProblem:
            return False

    # -- queries
    def search(self, text: str, *, filters: list[Filter] | None = None, sort: str = "relevance",
               limit: int = 10, page: int = 1, facets: bool | tuple[str, ...] = False,
               snippets: bool = True) -> SearchResult:
        started = time.monotonic()
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        if limit < 1 or page < 1:
            raise QueryError("--limit and --page must be at least 1")
        scoring_q, all_filters, info = self._parse(text, filters)
        filter_q = _filters(all_filters)
        q, filter_q = self._final_query(scoring_q, filter_q)
        kwargs = self._sort_kwargs(sort, scoring_q)
        results, timed_out = self._run(q, limit=page * limit, filter=filter_q, **kwargs)
        matching: dict[object, set[int]] = {}
        facet_counts = {}
        if facets:
            names = DEFAULT_FACETS if facets is True else tuple(facets)
            facet_counts = self.facet_counts(scoring_q, all_filters, names, matching)
        if results.scored_length() < page * limit:
            total = results.scored_length()
        else:
            if None not in matching:
                matching[None] = self._matching_docs(scoring_q, filter_q)
            total = len(matching[None])
        hits = []
        ranked = "sortedby" not in kwargs
        for hit in results[(page - 1) * limit: page * limit]:
            hits.append(self._hit(hit, info, snippets, ranked))
        result = SearchResult(query=text, total=total, hits=hits, page=page, limit=limit, info=info,
                              timed_out=timed_out, facets=facet_counts)
        if total == 0 and info.words:
            result.suggestion = self.suggest(info)
        result.seconds = time.monotonic() - started
        return result

    def iter_hits(self, text: str, *, filters: list[Filter] | None = None, sort: str = "relevance",
                  snippets: bool = False) -> Iterator[Hit]:
        """Every hit, for whole-result export: one search, and each record is read from the index
        only as it is yielded."""
        scoring_q, all_filters, info = self._parse(text, filters)
        q, filter_q = self._final_query(scoring_q, _filters(all_filters))
        kwargs = self._sort_kwargs(sort, scoring_q)
        # One search over all hits; each record is read from the index only as it is yielded.
        results = self._searcher.search(q, limit=None, filter=filter_q, **kwargs)
        ranked = "sortedby" not in kwargs
        for hit in results:
            yield self._hit(hit, info, snippets, ranked)

    def count(self, text: str, filters: list[Filter] | None = None) -> int:
        scoring_q, all_filters, _info = self._parse(text, filters)
        q, filter_q = self._final_query(scoring_q, _filters(all_filters))
        return self._searcher.search(q, limit=None, scored=False, filter=filter_q).scored_length()

    def _final_query(self, scoring_q: Q.Query | None, filter_q: Q.Query | None) -> tuple[Q.Query, Q.Query | None]:
        """(query to score, filter that only restricts the documents: it adds nothing to scores)."""
        return (scoring_q if scoring_q is not None else Q.Every()), filter_q

    def _sort_kwargs(self, sort: str, scoring_q: Q.Query | None) -> dict:
        spec = SORTS[sort]
        if spec is None:
            if scoring_q is None:   # no words: newest first is the useful order
                return {"sortedby": sorting.FieldFacet("start", reverse=True)}
            return {}
        fieldname, reverse = spec
        return {"sortedby": sorting.FieldFacet(fieldname, reverse=reverse)}

    def _run(self, q: Q.Query, limit: int, filter: Q.Query | None = None, **kwargs):
        """Collect with a time limit. The filter is ANDed in at a constant score of 0: as a
        FilterCollector it would either be skipped by the TimeLimitCollector (which calls its
        child's collect() directly) or leave the total counting unfiltered matches."""
        from whoosh.collectors import TimeLimitCollector
        from whoosh.searching import TimeLimit

        if filter is not None:
            q = Q.And([q, Q.ConstantScoreQuery(filter, 0.0)])
        collector = TimeLimitCollector(self._searcher.collector(limit=limit, **kwargs),
                                       timelimit=QUERY_TIME_LIMIT, use_alarm=False)
        try:
            self._searcher.search_with_collector(q, collector)
        except TimeLimit:
            return collector.results(), True
        return collector.results(), False

    def _hit(self, hit, info: QueryInfo, snippets: bool, ranked: bool = True) -> Hit:
        fields = hit.fields()
        record = ProjectRecord.from_dict(json.loads(fields["record"]))
        snippet = None
        if snippets:
            snippet = make_snippet(record.full_text or record.title, info.stems, info.folded_stems,
                                   width=self.snippet_width, fragments=self.snippet_fragments)
        score = hit.score if (ranked and hit.score is not None) else 0.0
        return Hit(key=fields["key"], record=record, score=float(score), snippet=snippet)

    # -- facets
    def facet_counts(self, scoring_q: Q.Query | None, filters: list[Filter],
                     names: tuple[str, ...] = DEFAULT_FACETS,
                     matching: dict[object, set[int]] | None = None) -> dict[str, list[tuple[str, int]]]:
        """Disjunctive counts: a facet's own filter is left out when counting that facet, so the
        counts show what switching to another value would give. The matching documents are found
        once per distinct filter set and intersected with each value's cached document set."""
        out: dict[str, list[tuple[str, int]]] = {}
        matching = {} if matching is None else matching    # filter left out (None: none) -> docs
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
        """'Did you mean …': each word not in the vocabulary replaced by its nearest known word."""
        corrector = self._searcher.corrector("spell")
        changed = False
        words = []
        for word in info.words:
            if len(word) > 40:      # no real word; the corrector would take seconds
                return None
            if self._searcher.frequency("spell", word) > 0:
                words.append(word)
                continue
            found = corrector.suggest(word, limit=1, maxdist=2)
            if found:
                words.append(found[0])
                changed = True
            else:
                words.append(word)
        return " ".join(words) if changed else None

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
            hits = [h for h in (self._hit(h, QueryInfo(text=""), False) for h in self._searcher.search(q, limit=None))
                    if h.record.short_id == record_id]
        return hits

    def highlight(self, record: ProjectRecord, text: str) -> Snippet:
        _scoring, _filters_, info = self._parse(text, None)
        return highlight_all(record.full_text, info.stems, info.folded_stems)

    def similar(self, record_id: str, limit: int = 10) -> SearchResult:
        """More-like-this over the record's own words (its title and text)."""
        started = time.monotonic()
        matches = self.get(record_id)
        if not matches:
            raise QueryError(f"no project with id {record_id!r}")
        source = matches[0]
        docnum = self._searcher.document_number(key=source.key)
        text = f"{source.record.title}\n{source.record.full_text}"
        results = self._searcher.more_like(docnum, "body", text=text, top=limit, numterms=25)
        hits = [self._hit(h, QueryInfo(text=""), False) for h in results]
        return SearchResult(query=f"similar:{record_id}", total=len(hits), hits=hits, limit=limit,
                            seconds=time.monotonic() - started)

    def stats(self) -> dict:
        meta = self.meta
        files = meta.get("files", {})
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


def _filters(filters: list[Filter], exclude: str | None = None) -> Q.Query | None:
    from .querylang import combine_filters

    return combine_filters(filters, exclude=exclude)
