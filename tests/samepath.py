"""One query through both execution paths, and every difference between the answers (used by
the identical-answers test)."""

from __future__ import annotations

from esfsearch.querylang import QueryError
from esfsearch.search import SearchEngine

NEAR_TIE = 1e-9  # scores this close may be ordered either way by rounding in the last bit


def outcome(engine: SearchEngine, text: str, **kwargs) -> dict:
    try:
        r = engine.search(text, snippets=False, **kwargs)
    except QueryError as exc:
        return {"error": str(exc)}
    return {
        "total": r.total,
        "facets": r.facets,
        "ids": [h.key for h in r.hits],
        "scores": [h.score for h in r.hits],
        "path": engine.last_path,
    }


def whoosh_reference(engine: SearchEngine, text: str, **kwargs) -> dict:
    """The Whoosh path's answer, its page taken from a search that collects every hit: Whoosh's
    top-k collector can drop a filtered hit that collecting everything keeps (seen with
    `stöd:<500000 förstudie energi`), and the fast path is compared with the complete ranking."""
    got = outcome(engine, text, **kwargs)
    if "error" in got or not got["total"]:
        return got
    page, limit = kwargs.pop("page", 1), kwargs.pop("limit", 10)
    kwargs.pop("facets", None)
    full = outcome(engine, text, limit=max(got["total"], page * limit), **kwargs)
    got["ids"] = full["ids"][(page - 1) * limit : page * limit]
    got["scores"] = full["scores"][(page - 1) * limit : page * limit]
    return got


def differences(fast: dict, slow: dict, tolerance: float = 1e-4) -> list[str]:
    if "error" in fast or "error" in slow:
        return (
            []
            if fast.get("error") == slow.get("error")
            else [f"error {fast.get('error')!r} vs {slow.get('error')!r}"]
        )
    out = []
    if fast["total"] != slow["total"]:
        out.append(f"total {fast['total']} vs {slow['total']}")
    if fast["facets"] != slow["facets"]:
        out.append(f"facets {fast['facets']} vs {slow['facets']}")
    if len(fast["ids"]) != len(slow["ids"]):
        return out + [f"{len(fast['ids'])} hits vs {len(slow['ids'])}"]
    for i, (a, b) in enumerate(zip(fast["scores"], slow["scores"], strict=False)):
        if abs(a - b) > tolerance:
            out.append(f"score #{i + 1} {a} vs {b}")
    scores = slow["scores"]
    for i, (a, b) in enumerate(zip(fast["ids"], slow["ids"], strict=False)):
        if a == b:
            continue
        # a near-tie may be ordered either way; at the page's end it may even be another document
        tied = [slow["ids"][j] for j, s in enumerate(scores) if abs(s - scores[i]) <= NEAR_TIE]
        if a not in tied and abs(scores[-1] - scores[i]) > NEAR_TIE:
            out.append(f"hit #{i + 1} {a} vs {b}")
    return out
