"""Highlighted snippets that mark what the query really matched: inflections, compound parts, folded forms.

Whoosh's highlighter compares index terms of one field; ours compares every form a word can have in
the index (stem, parts' stems, folded stems) with the query's forms, so 'kompetensförsörjningsbehov'
lights up for the query 'kompetensförsörjning'.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .analysis import _FOLD, STOPWORDS, default_stemmer, fold, iter_words, tokenise_lower

Segment = tuple[str, bool]  # (text, matched)
SNIPPET_SCAN_CHARS = 50_000  # long texts: look for the snippet near the start only


@dataclass
class Snippet:
    segments: list[Segment]

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.segments)

    def marked(self, before: str = "<em>", after: str = "</em>") -> str:
        return "".join(f"{before}{t}{after}" if m else t for t, m in self.segments)

    @property
    def matched_words(self) -> list[str]:
        return list(dict.fromkeys(t for t, m in self.segments if m))


def word_matches(word: str, stems: set[str], folded: set[str]) -> bool:
    """Stem match, or a query stem inside a compound. Parts are found by substring, not by the
    splitter: the hit already matched in the index, and loading the splitter would cost a CLI
    query a fifth of a second."""
    return _matcher(frozenset(stems), frozenset(folded))(word)


@lru_cache(maxsize=64)
def _matcher(stems: frozenset[str], folded: frozenset[str]) -> Callable[[str], bool]:
    """word_matches for one query's stems, the substring tests as one regular expression each."""
    stem = default_stemmer()
    inside, inside_folded = _containing(stems), _containing(folded)

    def matches(word: str) -> bool:
        if word in STOPWORDS:
            return False
        if stem(word) in stems:
            return True
        if len(word) > 6 and inside(word):
            return True
        if folded:
            plain = fold(word)
            return stem(plain) in folded or (len(plain) > 6 and inside_folded(plain))
        return False

    return matches


def _containing(stems: frozenset[str]) -> Callable[[str], bool]:
    """Whether a word contains any stem of 4 or more letters."""
    long = sorted((s for s in stems if len(s) >= 4), key=lambda s: (-len(s), s))
    if not long:
        return lambda _word: False
    search = re.compile("|".join(map(re.escape, long))).search
    return lambda word: search(word) is not None


def match_spans(
    text: str, stems: set[str], folded: set[str], known: dict[str, bool] | None = None
) -> list[tuple[int, int]]:
    """`known`: word -> word_matches() for these stems, kept by the caller over one query's texts
    (the same words recur in every hit, and testing a word costs more than looking it up).

    Only the words around an occurrence of a query stem are tokenised and tested (`_candidates`):
    a stem is a prefix of its word (the stemmer only cuts endings; its overrides are searched for
    as whole words), so a word with no stem inside it cannot match. Same spans as tokenising the
    whole text, several times faster on long texts."""
    if not stems and not folded:
        return []
    known = {} if known is None else known
    test = _matcher(frozenset(stems), frozenset(folded))
    low = text.lower()
    if len(low) != len(text) or "\u03a3" in text:  # analysis._tokenise's own slow case
        return _match_spans_all(text, test, known)
    spans: list[tuple[int, int]] = []
    scanned = 0  # the text before this is tokenised (it ends between tokens)
    size = len(low)
    for p in _candidates(low, frozenset(stems), frozenset(folded)):
        if p < scanned:
            continue
        # from the whitespace before p to the whitespace after it: no token crosses either
        start = max(scanned, low.rfind(" ", 0, p) + 1, low.rfind("\n", 0, p) + 1, low.rfind("\t", 0, p) + 1)
        scanned = min(_find(low, " ", p, size), _find(low, "\n", p, size), _find(low, "\t", p, size))
        for w, s, e in tokenise_lower(low, start, scanned):
            hit = known.get(w)
            if hit is None:
                hit = known[w] = test(w)
            if hit:
                spans.append((s, e))
    return spans


def _find(text: str, sub: str, start: int, missing: int) -> int:
    i = text.find(sub, start)
    return missing if i < 0 else i


def _match_spans_all(text: str, test: Callable[[str], bool], known: dict[str, bool]) -> list[tuple[int, int]]:
    """match_spans by tokenising the whole text (for texts whose lower case changes offsets)."""
    words = list(iter_words(text))
    matched = set()
    for w in {w for w, _s, _e in words}:  # each distinct word tested once
        hit = known.get(w)
        if hit is None:
            hit = known[w] = test(w)
        if hit:
            matched.add(w)
    return [(s, e) for w, s, e in words if w in matched] if matched else []


def _candidates(low: str, stems: frozenset[str], folded: frozenset[str]) -> list[int]:
    """Sorted positions in the lower-cased text where a word that matches could contain its stem:
    every occurrence of a stem, or of a word the stemmer's overrides give a query stem (folded
    forms searched in the folded text, whose offsets are the same: fold maps a letter to a letter)."""
    needles = _needles(stems, folded)
    hay = _fold_text(low) if folded else low
    found: list[int] = []
    for needle in needles:
        i = hay.find(needle)
        while i >= 0:
            found.append(i)
            i = hay.find(needle, i + 1)
    found.sort()
    return found


def _fold_text(text: str) -> str:
    """analysis.fold of a long text: one str.replace per folded letter the text has is ~20x faster
    than str.translate over a text with non-ASCII letters (each letter folds to one letter)."""
    for a, b in _FOLD_PAIRS:
        if a in text:
            text = text.replace(a, b)
    return text


_FOLD_PAIRS = tuple((chr(a), b if isinstance(b, str) else chr(b)) for a, b in _FOLD.items())


@lru_cache(maxsize=64)
def _needles(stems: frozenset[str], folded: frozenset[str]) -> tuple[str, ...]:
    wanted = stems | folded
    words = wanted | {w for w, stem in default_stemmer().overrides.items() if stem in wanted}
    return tuple(sorted(w for w in ({fold(w) for w in words} if folded else words) if w))


def make_snippet(
    text: str,
    stems: set[str],
    folded: set[str],
    width: int = 240,
    fragments: int = 2,
    known: dict[str, bool] | None = None,
) -> Snippet:
    """The best window(s) of about `width` characters around the densest matches (`known`: see
    match_spans)."""
    text = text[:SNIPPET_SCAN_CHARS]
    spans = match_spans(text, stems, folded, known)
    if not spans:
        return Snippet([(_clip(text, width), False)])
    windows: list[tuple[int, int]] = []
    remaining = list(spans)
    for _ in range(fragments):
        if not remaining:
            break
        best_start, best_count = remaining[0][0], 0
        starts = [s for s, _e in remaining]  # ascending: the spans are in text order
        for i, s in enumerate(starts):
            count = bisect_left(starts, s + width, i) - i  # spans from this one within `width`
            if count > best_count:
                best_start, best_count = s, count
        start = max(0, best_start - width // 4)
        start = _word_start(text, start)
        end = _word_end(text, min(len(text), start + width))
        windows.append((start, end))
        remaining = [sp for sp in remaining if not (start - width <= sp[0] < end + width // 2)]
    windows.sort()
    segments: list[Segment] = []
    for n, (start, end) in enumerate(windows):
        if start > 0:
            segments.append(("…", False))
        pos = start
        for s, e in spans:
            if s < start or e > end:
                continue
            if s > pos:
                segments.append((_flat(text[pos:s]), False))
            segments.append((text[s:e], True))
            pos = e
        if pos < end:
            segments.append((_flat(text[pos:end]), False))
        if end < len(text) and n == len(windows) - 1:
            segments.append(("…", False))
        elif n < len(windows) - 1:
            segments.append((" ", False))
    return Snippet(segments)


def _flat(text: str) -> str:
    return _NEWLINES.sub(" ", text) if "\n" in text else text


_NEWLINES = re.compile(r"\s*\n\s*")


def _word_start(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace():
        i += 1
    return i


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: _word_end(flat, width)] + " …"


def highlight_all(text: str, stems: set[str], folded: set[str]) -> Snippet:
    """The whole text with every match marked (for `show --query` and the TUI's detail view)."""
    segments: list[Segment] = []
    pos = 0
    for s, e in match_spans(text, stems, folded):
        if s > pos:
            segments.append((text[pos:s], False))
        segments.append((text[s:e], True))
        pos = e
    if pos < len(text):
        segments.append((text[pos:], False))
    return Snippet(segments)
