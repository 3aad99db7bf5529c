"""Relevance evaluation against the judged query set in `eval/` (queries.json + qrels.json).

Every query runs through `SearchEngine.search(text, limit=10, snippets=False)` and through two plain
Whoosh baselines built over the same records in the same run:

  whoosh-std   `StandardAnalyzer()`
  whoosh-sv    `LanguageAnalyzer("sv")` (Whoosh's own Snowball Swedish stemmer and stop list)

both with fields title (field_boost 2) + body, Whoosh's default BM25F, and the free text parsed by a
`MultifieldParser` over title/body with `OrGroup`. For filtered queries the baselines get exactly
esfsearch's filter: the baseline index carries esfsearch's filter fields (same analyzers, same
document mapping), and `querylang.combine_filters` is passed as the search filter, so only the text
ranking differs.

Metrics (top k = 10): nDCG@10 with gains 0/1/2, log2 discount and the ideal ranking taken from all
judged grades of the query; recall@10 (relevant = grade >= 1); reciprocal rank of the first grade >= 1
(0 when none is in the top 10). Unjudged records count as grade 0. For filtered queries each hit in the
top 10 is also checked against the filter's meaning using the record's own fields (not the index):
any hit that breaks it is a violation.

    python -m esfsearch.evaluation [--split tune|holdout|all] [--index DIR] [--json]
    python -m esfsearch.evaluation --losses N [--split tune] [--index DIR]   (where queries lose: query_losses)

No typer/rich here: the table is `esfsearch eval` (esfsearch/cli/eval.py).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .fields import CONTACT, DATE, NUMBER, VALUE, WORDS, YEAR, yyyymmdd
from .index import IndexProblem, build_index, current_generation, default_corpus_dir, open_whoosh
from .querylang import (
    Filter,
    QueryError,
    combine_filters,
    date_bounds,
    number_bounds,
    parse_range,
    split_filters,
    year_bounds,
)
from .records import ProjectRecord
from .schema import build_schema, normalise_value, record_document

K = 10
CLASSES = (
    "inflected",
    "compound",
    "ascii",
    "multiword",
    "phrase",
    "filtered",
    "allconcepts",
    "unseen_compound",
    "vocabulary",
    "similar",
)
SIMILAR_CLASS = "similar"  # the query text is a project id; systems answer with their similar projects
SPLITS = ("tune", "holdout", "all")
ESFSEARCH = "esfsearch"
BASELINES = ("whoosh-std", "whoosh-sv")
SYSTEMS = (ESFSEARCH, *BASELINES)
EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"


class EvalError(Exception):
    """A problem with the evaluation's inputs (missing or malformed query/qrels files)."""


# ---------------------------------------------------------------- judged set


@dataclass(frozen=True)
class JudgedQuery:
    id: str
    text: str
    cls: str
    split: str
    note: str = ""


def load_queries(path: str | Path | None = None) -> list[JudgedQuery]:
    path = Path(path) if path else EVAL_DIR / "queries.json"
    data = _load_json(path)
    if not isinstance(data, list):
        raise EvalError(f"{path}: expected a JSON list of queries")
    out = []
    for i, item in enumerate(data):
        try:
            out.append(
                JudgedQuery(
                    id=str(item["id"]),
                    text=str(item["text"]),
                    cls=str(item["class"]),
                    split=str(item.get("split", "tune")),
                    note=str(item.get("note", "")),
                )
            )
        except (KeyError, TypeError):
            raise EvalError(f"{path}: query #{i + 1} needs 'id', 'text' and 'class'") from None
    return out


def load_qrels(path: str | Path | None = None) -> dict[str, dict[str, int]]:
    path = Path(path) if path else EVAL_DIR / "qrels.json"
    data = _load_json(path)
    if not isinstance(data, dict):
        raise EvalError(f"{path}: expected a JSON object {{query id: {{record id: grade}}}}")
    try:
        return {str(q): {str(r): int(g) for r, g in grades.items()} for q, grades in data.items()}
    except (AttributeError, TypeError, ValueError):
        raise EvalError(f"{path}: every query must map record ids to integer grades") from None


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"cannot read {path}: {exc}") from None
    except ValueError as exc:
        raise EvalError(f"{path} is not valid JSON: {exc}") from None


# ---------------------------------------------------------------- metrics


def dcg(gains: Iterable[float], k: int = K) -> float:
    """Σ gain_i / log2(i + 1) over ranks i = 1..k."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(list(gains)[:k]))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """nDCG@k with graded gains; the ideal ranking is all judged grades, best first."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True), k)
    if ideal <= 0:
        return 0.0
    return dcg((grades.get(doc, 0) for doc in ranked[:k]), k) / ideal


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = K, min_grade: int = 1) -> float:
    relevant = {doc for doc, g in grades.items() if g >= min_grade}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def reciprocal_rank(
    ranked: Sequence[str], grades: Mapping[str, int], k: int = K, min_grade: int = 1
) -> float:
    for i, doc in enumerate(ranked[:k], 1):
        if grades.get(doc, 0) >= min_grade:
            return 1.0 / i
    return 0.0


# ---------------------------------------------------------------- filter semantics (record side)

_WORD = re.compile(r"[\w+]+(?:[-/.][\w+]+)*")


def _words(text: str) -> list[str]:
    return _WORD.findall(normalise_value(text))


def _contains_words(values: Iterable[str | None], wanted: list[str]) -> bool:
    """Some value contains the wanted words as a contiguous run of whole words (last may end in *)."""
    prefix = bool(wanted) and wanted[-1].endswith("*")
    want = wanted[:-1] + [wanted[-1].rstrip("*")] if prefix else wanted
    for value in values:
        if not value:
            continue
        words = _words(value)
        for i in range(len(words) - len(want) + 1):
            window = words[i : i + len(want)]
            if window[:-1] == want[:-1] and (
                window[-1].startswith(want[-1]) if prefix else window[-1] == want[-1]
            ):
                return True
    return False


def _in_range(value, lo, hi, lo_inc: bool, hi_inc: bool) -> bool:
    if value is None:
        return False
    if lo is not None and (value < lo or (value == lo and not lo_inc)):
        return False
    if hi is not None and (value > hi or (value == hi and not hi_inc)):
        return False
    return True


def _matches(record: ProjectRecord, f: Filter) -> bool:
    spec = f.spec
    if spec.kind in (WORDS, CONTACT):
        return _contains_words([str(v) for v in spec.values(record)], _words(f.value))
    if spec.kind == VALUE:
        have = spec.value(record)
        if not have:
            return False
        have, want = normalise_value(have), normalise_value(f.value)
        if spec.index_field == "period_v":
            years = [int(y) for y in re.findall(r"\d{4}", want)]
            span = [int(y) for y in re.findall(r"\d{4}", have)]
            if len(years) == 1 and len(span) == 2:
                return span[0] <= years[0] <= span[1]
            if len(years) == 2 and len(span) == 2:
                return span == years
        if want.endswith("*"):
            return have.startswith(want[:-1])
        return have == want
    if spec.kind == NUMBER:
        lo, hi, lo_inc, hi_inc = parse_range(f.value, f, number_bounds)
        return _in_range(spec.value(record), lo, hi, lo_inc, hi_inc)
    if spec.kind == DATE:
        lo, hi, lo_inc, hi_inc = parse_range(f.value, f, date_bounds)
        return _in_range(yyyymmdd(spec.value(record)), lo, hi, lo_inc, hi_inc)
    if spec.kind == YEAR:
        lo, hi, lo_inc, hi_inc = parse_range(f.value, f, year_bounds)
        lo = None if lo is None else (lo if lo_inc else lo + 1)
        hi = None if hi is None else (hi if hi_inc else hi - 1)
        years = spec.value(record)
        if years is None:
            return False
        return (hi is None or years[0] <= hi) and (lo is None or years[1] >= lo)
    raise EvalError(f"cannot check filters of kind {spec.kind}")  # pragma: no cover


def record_passes(record: ProjectRecord, filters: Iterable[Filter]) -> bool:
    """Whether the record satisfies every filter, judged from its own fields (eval/README.md's meanings)."""
    return all(_matches(record, f) != f.negate for f in filters)


# ---------------------------------------------------------------- systems


class EsfsearchSystem:
    name = ESFSEARCH

    def __init__(self, engine) -> None:
        self.engine = engine

    def search(self, text: str, k: int = K) -> list[ProjectRecord]:
        return [h.record for h in self.engine.search(text, limit=k, snippets=False).hits]

    def similar(self, record_id: str, k: int = K) -> list[ProjectRecord]:
        return [h.record for h in self.engine.similar(record_id, limit=k).hits]


def private_ram_storage():
    """A Whoosh RamStorage whose writers keep their temporary files in a folder of their own: Whoosh
    names that folder after the index ("MAIN.tmp") in the system's temp directory and deletes it when a
    writer finishes, so two processes building a baseline at once deleted each other's files."""
    import tempfile

    from whoosh.filedb.filestore import FileStorage, RamStorage

    class PrivateRamStorage(RamStorage):
        def temp_storage(self, name=None):
            return FileStorage(tempfile.mkdtemp(prefix="esfsearch-whoosh-")).create()

    return PrivateRamStorage()


class WhooshBaseline:
    """Plain Whoosh over the same records: title (boost 2) + body with one stock analyzer, default
    BM25F, MultifieldParser with OrGroup; esfsearch's filter fields and filter queries."""

    def __init__(self, name: str, analyzer, docs: list[tuple[ProjectRecord, str, str]]) -> None:
        from whoosh.fields import TEXT
        from whoosh.qparser import MultifieldParser, OrGroup

        self.name = name
        schema = build_schema()
        for fname in ("title", "body", "parts", "folded", "spell"):
            schema.remove(fname)
        schema.add("title", TEXT(analyzer=analyzer, field_boost=2.0, phrase=True))
        schema.add("body", TEXT(analyzer=analyzer, phrase=True))
        self.ix = private_ram_storage().create_index(schema)
        writer = self.ix.writer()
        for record, key, file in docs:
            doc = record_document(record, key, file)
            for fname in ("parts", "folded", "spell"):
                doc.pop(fname, None)
            writer.add_document(**doc)
        writer.commit()
        self.searcher = self.ix.searcher()  # default weighting: BM25F()
        self.parser = MultifieldParser(["title", "body"], schema, group=OrGroup)

    def search(self, text: str, k: int = K) -> list[ProjectRecord]:
        from whoosh import query as Q

        free, filters = split_filters(text)
        q = self.parser.parse(free) if free.strip() else Q.Every()
        results = self.searcher.search(q, limit=k, filter=combine_filters(filters))
        return [ProjectRecord.from_dict(json.loads(hit["record"])) for hit in results]

    def similar(self, record_id: str, k: int = K) -> list[ProjectRecord]:
        """Whoosh's own more-like-this over the body field (its default: the most frequent terms)."""
        from whoosh import query as Q

        from .schema import normalise_value

        found = self.searcher.search(Q.Term("id_v", normalise_value(record_id)), limit=1)
        if not found:
            raise QueryError(f"no project with id {record_id!r}")
        hit = found[0]
        record = ProjectRecord.from_dict(json.loads(hit["record"]))
        results = hit.more_like_this("body", text=f"{record.title}\n{record.full_text}", top=k + 1)
        out = [ProjectRecord.from_dict(json.loads(h["record"])) for h in results]
        return [r for r in out if r.id != record_id][:k]

    def close(self) -> None:
        self.searcher.close()


def baseline_analyzers() -> dict[str, object]:
    from whoosh.analysis import LanguageAnalyzer, StandardAnalyzer

    return {"whoosh-std": StandardAnalyzer(), "whoosh-sv": LanguageAnalyzer("sv")}


def indexed_records(index_dir: Path) -> list[tuple[ProjectRecord, str, str]]:
    """(record, key, file) of every document in an esfsearch index, in key order."""
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexProblem(f"no index in {index_dir}; build one with `esfsearch index`")
    ix = open_whoosh(gen)
    try:
        with ix.searcher() as s:
            docs = [
                (ProjectRecord.from_dict(json.loads(f["record"])), f["key"], f.get("file", ""))
                for f in s.all_stored_fields()
            ]
    finally:
        ix.close()
    return sorted(docs, key=lambda d: d[1])


# ---------------------------------------------------------------- running


@dataclass
class QueryRun:
    query: JudgedQuery
    system: str
    ranked: list[str]
    ndcg: float
    recall: float
    rr: float
    violations: int | None = None  # filtered queries only
    error: str | None = None

    def to_dict(self, grades: Mapping[str, int]) -> dict:
        out = {
            "ndcg": round(self.ndcg, 4),
            "recall": round(self.recall, 4),
            "rr": round(self.rr, 4),
            "top": [[doc, grades.get(doc)] for doc in self.ranked],
        }
        if self.violations is not None:
            out["violations"] = self.violations
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Report:
    systems: list[str]
    queries: list[JudgedQuery]
    qrels: dict[str, dict[str, int]]
    runs: dict[str, dict[str, QueryRun]] = field(default_factory=dict)  # system -> query id -> run
    seconds: float = 0.0
    records: int = 0
    k: int = K

    def splits(self) -> list[str]:
        present = [s for s in ("tune", "holdout") if any(q.split == s for q in self.queries)]
        return present + (["all"] if len(present) > 1 else [])

    def aggregate(self, system: str, split: str = "all", cls: str | None = None) -> dict:
        runs = [
            r
            for q in self.queries
            if (split == "all" or q.split == split) and (cls is None or q.cls == cls)
            for r in [self.runs[system][q.id]]
        ]
        n = len(runs)
        agg = {
            "n": n,
            "ndcg": sum(r.ndcg for r in runs) / n if n else 0.0,
            "recall": sum(r.recall for r in runs) / n if n else 0.0,
            "mrr": sum(r.rr for r in runs) / n if n else 0.0,
        }
        checked = [r for r in runs if r.violations is not None]
        if checked:
            agg["violations"] = sum(r.violations or 0 for r in checked)
        return agg

    def classes(self) -> list[str]:
        seen = {q.cls for q in self.queries}
        return [c for c in CLASSES if c in seen] + sorted(seen - set(CLASSES))

    def violations(self, system: str) -> int:
        return sum(r.violations or 0 for r in self.runs[system].values())

    def to_dict(self) -> dict:
        summary = {}
        for split in self.splits():
            summary[split] = {
                system: {
                    **{cls: _rounded(self.aggregate(system, split, cls)) for cls in self.classes()},
                    "overall": _rounded(self.aggregate(system, split)),
                }
                for system in self.systems
            }
        return {
            "k": self.k,
            "records": self.records,
            "queries": len(self.queries),
            "systems": self.systems,
            "metrics": {
                "ndcg": "nDCG@10, gains 0/1/2, log2 discount, ideal from all judged grades",
                "recall": "recall@10, relevant = grade >= 1",
                "mrr": "reciprocal rank of the first grade >= 1 in the top 10",
                "violations": "top-10 hits of filtered queries that break the filter",
            },
            "summary": summary,
            "filter_violations": {s: self.violations(s) for s in self.systems},
            "per_query": {
                s: {qid: run.to_dict(self.qrels.get(qid, {})) for qid, run in self.runs[s].items()}
                for s in self.systems
            },
            "seconds": round(self.seconds, 2),
        }


def _rounded(agg: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in agg.items()}


def run_query(system, query: JudgedQuery, grades: Mapping[str, int], k: int = K) -> QueryRun:
    error = None
    try:
        if query.cls == SIMILAR_CLASS:
            records = system.similar(query.text, k)
        else:
            records = system.search(query.text, k)
    except QueryError as exc:
        records, error = [], str(exc)
    ranked = [r.id for r in records]
    violations = None
    if query.cls != SIMILAR_CLASS and (query.cls == "filtered" or split_filters(query.text)[1]):
        filters = split_filters(query.text)[1]
        violations = sum(1 for r in records if not record_passes(r, filters))
    return QueryRun(
        query=query,
        system=system.name,
        ranked=ranked,
        ndcg=ndcg_at_k(ranked, grades, k),
        recall=recall_at_k(ranked, grades, k),
        rr=reciprocal_rank(ranked, grades, k),
        violations=violations,
        error=error,
    )


def select(queries: list[JudgedQuery], split: str = "all") -> list[JudgedQuery]:
    if split not in SPLITS:
        raise EvalError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return [q for q in queries if split == "all" or q.split == split]


def evaluate(
    index_dir: str | Path | None = None,
    *,
    queries: str | Path | None = None,
    qrels: str | Path | None = None,
    split: str = "all",
    baselines: bool = True,
    corpus: str | Path | None = None,
    k: int = K,
) -> Report:
    """Run the judged queries on esfsearch (an existing index, or one built from the corpus in a
    temporary directory) and, unless `baselines=False`, on the two Whoosh baselines."""
    from .search import SearchEngine

    started = time.monotonic()
    judged = select(load_queries(queries), split)
    grades = load_qrels(qrels)
    missing = [q.id for q in judged if q.id not in grades]
    if missing:
        raise EvalError(f"no judgements for {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    with tempfile.TemporaryDirectory(prefix="esfsearch-eval-") as tmp:
        if index_dir is None:
            index_dir = Path(tmp) / "ix"
            build_index([Path(corpus) if corpus else default_corpus_dir()], index_dir)
        index_dir = Path(index_dir)
        engine = SearchEngine(index_dir)
        systems: list = [EsfsearchSystem(engine)]
        try:
            docs = indexed_records(index_dir)
            if baselines:
                for name, analyzer in baseline_analyzers().items():
                    systems.append(WhooshBaseline(name, analyzer, docs))
            report = Report(
                systems=[s.name for s in systems], queries=judged, qrels=grades, records=len(docs), k=k
            )
            for system in systems:
                report.runs[system.name] = {q.id: run_query(system, q, grades[q.id], k) for q in judged}
        finally:
            for system in systems[1:]:
                system.close()
            engine.close()
    report.seconds = time.monotonic() - started
    return report


# ---------------------------------------------------------------- where a query loses

DEPTH = 100  # how far down the engine's list a judged-relevant record is looked for


@dataclass(frozen=True)
class Placed:
    """A record in the engine's list for a query: where it came and what the judge said."""

    id: str
    grade: int | None  # None: unjudged (counts as 0)
    rank: int | None  # 1-based; None: not among the first DEPTH
    score: float | None
    related: bool = False  # found only by an expansion term (search.Hit.related)


@dataclass(frozen=True)
class Loss:
    """Why one query's nDCG@10 is below 1: the records it shows that the judge does not want, and the
    wanted ones it shows too low or not at all. `direct_oracle` is the nDCG@10 with the direct matches
    sorted by grade (the related tail left as it is): how much the order alone could give; the rest is
    recall (relevant records the query never finds directly)."""

    query: JudgedQuery
    ndcg: float
    direct_oracle: float
    intruders: list[Placed]  # top-10 records graded 0 or unjudged
    missed: list[Placed]  # grade >= 1 records outside the top 10, by rank (not found: last)


def query_losses(
    engine, queries: Sequence[JudgedQuery], qrels: Mapping[str, Mapping[str, int]], k: int = K
) -> list[Loss]:
    """Each query's `Loss` on an open `SearchEngine`, largest order gap (`direct_oracle - ndcg`) first:
    the diagnosis the relevance rounds of eval/README.md start from."""
    out = []
    for q in queries:
        grades = qrels.get(q.id, {})
        try:
            if q.cls == SIMILAR_CLASS:
                hits = engine.similar(q.text, limit=DEPTH).hits
            else:
                hits = engine.search(q.text, limit=DEPTH, snippets=False).hits
        except QueryError:
            hits = []
        placed = [
            Placed(h.record.id, grades.get(h.record.id), i + 1, h.score, h.related)
            for i, h in enumerate(hits)
        ]
        ranked = [p.id for p in placed]
        direct = sorted((p for p in placed if not p.related), key=lambda p: -(p.grade or 0))
        oracle = [p.id for p in direct] + [p.id for p in placed if p.related]
        where = {p.id: p for p in placed}
        missed = [
            where.get(rid) or Placed(rid, g, None, None)
            for rid, g in grades.items()
            if g > 0 and (rid not in where or (where[rid].rank or 0) > k)
        ]
        missed.sort(key=lambda p: (p.rank is None, p.rank or 0, -(p.grade or 0), p.id))
        out.append(
            Loss(
                query=q,
                ndcg=ndcg_at_k(ranked, grades, k),
                direct_oracle=ndcg_at_k(oracle, grades, k),
                intruders=[p for p in placed[:k] if not p.grade],
                missed=missed,
            )
        )
    out.sort(key=lambda loss: (-(loss.direct_oracle - loss.ndcg), loss.ndcg, loss.query.id))
    return out


def format_losses(losses: Sequence[Loss], titles: Mapping[str, str] | None = None) -> str:
    """Plain text for developers (`python -m esfsearch.evaluation --losses N`)."""
    titles = titles or {}

    def line(p: Placed) -> str:
        rank = f"{p.rank:>3}" if p.rank else "  -"
        score = f"{p.score:8.2f}" if p.score is not None else " " * 8
        grade = "?" if p.grade is None else str(p.grade)
        return (
            f"  {rank} g={grade} {score}{' R' if p.related else '  '} {p.id:<14} {titles.get(p.id, '')[:60]}"
        )

    lines = []
    for loss in losses:
        q = loss.query
        lines.append(
            f"{q.id} {q.cls}/{q.split} {q.text!r}: nDCG@10 {loss.ndcg:.3f}, "
            f"direct matches in grade order {loss.direct_oracle:.3f}"
        )
        lines += (
            ["  in the top 10, not wanted:"] + [line(p) for p in loss.intruders] if loss.intruders else []
        )
        lines += ["  wanted, lower or not found:"] + [line(p) for p in loss.missed] if loss.missed else []
    return "\n".join(lines)


def write_results(report: Report, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def format_text(report: Report) -> str:
    """A plain-text table (for `python -m esfsearch.evaluation`; the CLI draws a rich one)."""
    lines = []
    for split in report.splits():
        lines.append(f"split: {split}")
        head = f"{'class':<10} {'n':>3} " + " ".join(f"{s:>24}" for s in report.systems)
        lines.append(head)
        lines.append(f"{'':<10} {'':>3} " + " ".join(f"{'nDCG   R@10    MRR':>24}" for _ in report.systems))
        for cls in [*report.classes(), None]:
            aggs = [report.aggregate(s, split, cls) for s in report.systems]
            cells = " ".join(f"{a['ndcg']:>8.3f}{a['recall']:>8.3f}{a['mrr']:>8.3f}" for a in aggs)
            lines.append(f"{cls or 'overall':<10} {aggs[0]['n']:>3} {cells}")
        lines.append("")
    lines.append(
        "filter violations in the top 10: " + ", ".join(f"{s} {report.violations(s)}" for s in report.systems)
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m esfsearch.evaluation", description=__doc__.split("\n")[0])
    p.add_argument("--queries")
    p.add_argument("--qrels")
    p.add_argument("--index", help="use this esfsearch index instead of building one from the corpus")
    p.add_argument("--corpus", help="corpus to build the temporary index from (default: the shipped one)")
    p.add_argument("--split", default="all", choices=SPLITS)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--output", help="write results.json here (default: none)")
    p.add_argument(
        "--losses", type=int, metavar="N", help="instead: the N queries with the largest order gap"
    )
    args = p.parse_args(argv)
    if args.losses is not None:
        return _print_losses(args)
    try:
        report = evaluate(
            args.index,
            queries=args.queries,
            qrels=args.qrels,
            split=args.split,
            baselines=not args.no_baselines,
            corpus=args.corpus,
        )
    except (EvalError, QueryError) as exc:
        print(f"esfsearch eval: {exc}", file=sys.stderr)
        return 2
    except IndexProblem as exc:
        print(f"esfsearch eval: {exc}", file=sys.stderr)
        return 3
    if args.output:
        write_results(report, args.output)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if args.json else format_text(report))
    return 0


def _print_losses(args) -> int:
    from .search import SearchEngine

    try:
        judged, grades = select(load_queries(args.queries), args.split), load_qrels(args.qrels)
        with tempfile.TemporaryDirectory(prefix="esfsearch-eval-") as tmp:
            index_dir = Path(args.index) if args.index else Path(tmp) / "ix"
            if not args.index:
                build_index([Path(args.corpus) if args.corpus else default_corpus_dir()], index_dir)
            titles = {record.id: record.title or "" for record, _, _ in indexed_records(index_dir)}
            with SearchEngine(index_dir) as engine:
                losses = query_losses(engine, judged, grades)
    except (EvalError, IndexProblem) as exc:
        print(f"esfsearch eval: {exc}", file=sys.stderr)
        return 2
    print(format_losses(losses[: max(args.losses, 0)], titles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
