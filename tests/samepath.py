"""Run one query through both execution paths and describe every difference (the identical-answers
test and bench scripts share it)."""

from __future__ import annotations

from esfsearch.querylang import QueryError
from esfsearch.search import SearchEngine

NEAR_TIE = 1e-9   # scores this close may be ordered either way by rounding in the last bit


def outcome(engine: SearchEngine, text: str, **kwargs) -> dict:
    try:
        r = engine.search(text, snippets=False, **kwargs)
    except QueryError as exc:
        return {"error": str(exc)}
    return {"total": r.total, "facets": r.facets, "ids": [h.key for h in r.hits],
            "scores": [h.score for h in r.hits]}


def differences(fast: dict, slow: dict, tolerance: float = 1e-4) -> list[str]:
    if "error" in fast or "error" in slow:
        return [] if fast == slow else [f"error {fast.get('error')!r} vs {slow.get('error')!r}"]
    out = []
    if fast["total"] != slow["total"]:
        out.append(f"total {fast['total']} vs {slow['total']}")
    if fast["facets"] != slow["facets"]:
        out.append(f"facets {fast['facets']} vs {slow['facets']}")
    if len(fast["ids"]) != len(slow["ids"]):
        out.append(f"{len(fast['ids'])} hits vs {len(slow['ids'])}")
        return out
    for i, (a, b) in enumerate(zip(fast["scores"], slow["scores"])):
        if abs(a - b) > tolerance:
            out.append(f"score #{i + 1} {a} vs {b}")
    for i, (a, b) in enumerate(zip(fast["ids"], slow["ids"])):
        if a != b:
            tied = [j for j, s in enumerate(slow["scores"]) if abs(s - slow["scores"][i]) <= NEAR_TIE]
            tied_tail = abs(slow["scores"][-1] - slow["scores"][i]) <= NEAR_TIE
            if not (a in [slow["ids"][j] for j in tied] or tied_tail):
                out.append(f"hit #{i + 1} {a} vs {b}")
    return out
