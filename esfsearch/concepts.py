"""All concepts first: the clauses that rank a record covering every concept of a multi-word query above
records covering fewer, and records where the words stand near each other above scattered ones.

A *concept* is one positive word or quoted phrase of the free text (stopwords are none). Its query is the
word's whole disjunction built by `querylang.Rewriter` (exact stem, compound parts, accent-folded form,
synonyms, the query compound's modifier AND head), so a compound and its parts count as one concept.

Whoosh 2.7's DisjunctionMax matcher gives every hit the top score, and the OrGroup coordination scale
is dropped by `Query.apply`, so the coordination is built from ordinary query classes, which any
executor of the query tree (Whoosh's matchers or a vectorised one) scores the same way:

- each concept adds a constant `CONCEPT_STEP` (`ConstantScoreQuery`) to the records that match the word
  itself (its forms, the query compound's modifier AND head, folded forms, synonyms): a record with more
  concepts lies a whole step above one with fewer; within a step, BM25F decides. A record that has only
  one part of a rare query compound (the low-weight fallback) gets `PART_STEP` of the step: it follows
  every record with the word, as the compound tests require. A single-word query gets its step too,
  so a record with any direct match ranks above every record that only an expansion term found
  (`expansion.py` keeps its clause below one step);
- a sloppy phrase of the concepts' stems (title or body) adds `PROXIMITY` to records where the words stand
  near each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from whoosh import query as Q

# A record's concept count decides its tier; BM25F scores of one query stay well below this.
CONCEPT_STEP = 100.0
# A record with only one part of a rare query compound ('tåg' for 'tågtrafiken') covers that concept in
# part: this share of its step, well under the third of a whole-word match the analysis tests protect.
PART_STEP = 0.25
# max_candidates: on the Whoosh path the sloppy phrase is checked position by position in Python (span
# matchers, ~1 ms a record); it is added only when the rarest concept is in at most this many records, so
# its cost stays bounded on a large index (20 000 records: 2.7 s -> ms for 'hållbar utveckling i
# regionen'). The vectorised path now checks it from the columnar positions with numpy (fastpath._phrase),
# so the bound could go there; changing it changes rankings, which is the eval's decision, not done here.
PROXIMITY = {"boost": 0.3, "slop": 8, "max_candidates": 150}
INFORMATIVE = {"off": False, "rare": 0.1, "floor": 0.0}


@dataclass
class Concept:
    text: str  # as typed ('nyanlända', '"hållbara transporter"')
    query: Q.Query  # everything that counts as a match of it
    stems: tuple[str, ...]  # exact stems, for the proximity clause (empty: no proximity)
    share: float = 0.0  # share of the records that have its most frequent word (0: unknown)
    partial: Q.Query | None = None  # one part of a rare query compound alone: PART_STEP of a step


def concept_clauses(concepts: list[Concept], step: float | None = None, doc_count: int = 0) -> list[Q.Query]:
    """The clauses to OR into the scoring query (none for a query without concepts). `doc_count`: the
    index's records, to bound the proximity clause's candidates (0: unknown, no bound)."""
    step = CONCEPT_STEP if step is None else step
    if not concepts:
        return []
    clauses: list[Q.Query] = []
    if step:
        for c in concepts:
            full = concept_step(c, step)
            if c.partial is None or not PART_STEP:
                clauses.append(Q.ConstantScoreQuery(c.query, full))
                continue
            # direct gets the whole step, (direct or partial) PART_STEP of it: no AndNot needed
            part = PART_STEP * full
            clauses += [
                Q.ConstantScoreQuery(c.query, full - part),
                Q.ConstantScoreQuery(Q.Or([c.query, c.partial]), part),
            ]
    stems = [s for c in concepts for s in c.stems]
    candidates = min(c.share for c in concepts) * doc_count if doc_count else 0
    if (
        len(concepts) > 1
        and PROXIMITY["boost"]
        and all(c.stems for c in concepts)
        and len(stems) <= 8
        and candidates <= PROXIMITY["max_candidates"]
    ):
        clauses.append(
            Q.Or(
                [Q.Phrase(f, stems, slop=PROXIMITY["slop"] + len(stems) - 2) for f in ("title", "body")],
                boost=PROXIMITY["boost"],
            )
        )
    return clauses


def concept_step(c: Concept, step: float | None = None) -> float:
    """The constant a record gets for covering this concept."""
    return (CONCEPT_STEP if step is None else step) * informativeness(c)


def informativeness(c: Concept) -> float:
    """1 for a concept in few records, falling to COMMON_FLOOR for one in most: a concept that half the
    records share ('små och medelstora företag') tells little about what a record is about."""
    if INFORMATIVE["off"]:
        return 1.0
    return max(
        INFORMATIVE["floor"],
        min(1.0, math.log(1.0 / max(c.share, 1e-9)) / math.log(1.0 / INFORMATIVE["rare"])),
    )


def concepts_matched(score: float, step: float | None = None) -> int:
    """How many concepts a hit's score says it covers (for explanations)."""
    step = CONCEPT_STEP if step is None else step
    return int(score // step) if step else 0
