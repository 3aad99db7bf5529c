"""One query through both execution paths, and every difference between the answers (used by
the identical-answers test)."""

from __future__ import annotations

import random
from collections import Counter

from esfsearch.analysis import STOPWORDS, iter_words
from esfsearch.querylang import QueryError
from esfsearch.search import SearchEngine


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
    # equal and near-equal scores are in record-key order on both paths (search.SCORE_TIE)
    for i, (a, b) in enumerate(zip(fast["ids"], slow["ids"], strict=False)):
        if a != b:
            out.append(f"hit #{i + 1} {a} vs {b}")
    return out


def phrase_mix(records, seed: int = 1, per_shape: int = 6) -> list[str]:
    """Phrase and proximity queries drawn from the records' own text, so most of them match: quoted
    runs of 2-4 words with stopwords inside, runs of a title (title vs body), a word repeated
    inside a phrase, phrases with filters, negated phrases, and multi-word queries of rare words that
    stand near each other (the concept proximity clause, concepts.PROXIMITY) or far apart."""
    rng = random.Random(f"esfsearch-samepath-phrases:{seed}")
    texts = [
        ([w for w, _s, _e in iter_words(r.title)], [w for w, _s, _e in iter_words(r.full_text)], r)
        for r in records
    ]
    texts = [t for t in texts if len(t[1]) > 40]
    df: Counter[str] = Counter()
    for _title, body, _r in texts:
        df.update(set(body))

    def content(w: str) -> bool:
        return w.isalpha() and w not in STOPWORDS and len(w) >= 3

    def run(words: list[str], k: int, need_stop: bool = False) -> list[str] | None:
        good = [
            i
            for i in range(len(words) - k + 1)
            if content(words[i])
            and content(words[i + k - 1])
            and (not need_stop or any(w in STOPWORDS for w in words[i : i + k]))
            and all(w.isalpha() for w in words[i : i + k])
        ]
        return words[rng.choice(good) :][:k] if good else None

    out: list[str] = []

    def add(shape, tries: int = 200) -> None:
        got = 0
        for _ in range(tries):
            title, body, record = rng.choice(texts)
            q = shape(title, body, record)
            if q and q not in out:
                out.append(q)
                got += 1
                if got == per_shape:
                    return

    def quoted(words):
        return '"' + " ".join(words) + '"' if words else None

    add(lambda t, b, r: quoted(run(b, 3, need_stop=True)))  # a stopword inside
    add(lambda t, b, r: quoted(run(b, rng.choice((3, 4)))))  # 3-4 words
    add(lambda t, b, r: quoted(run(t, rng.choice((2, 3)))))  # a title's words
    add(lambda t, b, r: quoted(run(b, 2)))

    def repeated(t, b, r):  # a word twice in one phrase, once where the record has it so
        for i in range(len(b) - 4):
            if content(b[i]) and b[i] in b[i + 1 : i + 4]:
                j = b.index(b[i], i + 1)
                return quoted(b[i : j + 1])
        w = rng.choice([w for w in b if content(w)])
        return quoted([w, w])

    add(repeated)

    def filtered(t, b, r):
        words = run(b, 2)
        if not words:
            return None
        if r.region and rng.random() < 0.5:
            return f'{quoted(words)} region:"{r.region}"'
        return (
            f"{quoted(words)} fond:{(r.fund or 'esf').lower()}"
            if rng.random() < 0.5
            else f"{quoted(words)} budget:>1m"
        )

    add(filtered)

    def negated(t, b, r):  # '-', 'AND NOT' and a bare 'NOT' (a scored Not inside the query's Or)
        words = run(b, 2)
        if not words:
            return None
        form = rng.choice(("{w} -{p}", "{o} AND NOT {p}", "{o} NOT {p}"))
        return form.format(w=words[0], o=rng.choice([w for w in b if content(w)]), p=quoted(words))

    add(negated)

    def near(t, b, r):  # rare words within a few words of each other: the proximity clause applies
        rare = [i for i, w in enumerate(b) if content(w) and df[w] <= max(2, len(texts) // 50)]
        for i in rare:
            close = [j for j in rare if 1 < abs(j - i) <= 6 and b[j] != b[i]]
            if close:
                return f"{b[i]} {b[rng.choice(close)]}"
        return None

    def far(t, b, r):
        rare = [i for i, w in enumerate(b) if content(w) and df[w] <= max(2, len(texts) // 50)]
        pairs = [(i, j) for i in rare for j in rare if j - i > 12 and b[i] != b[j]]
        if not pairs:
            return None
        i, j = rng.choice(pairs)
        return f"{b[i]} {b[j]}"

    def near3(t, b, r):
        words = run(b, 5)
        return " ".join(w for w in words if content(w)) if words else None

    add(near)
    add(far)
    add(near3)
    return out
