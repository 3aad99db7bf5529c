"""The string table of the two languages, from the shipped Swedish catalogue, for tests that render a
screen or a command in one language and check that no text of the other shows.

A message is split at its placeholders ('{n} projects match' -> 'projects match'); the fragments of at
least MIN_CHARS letters that differ between the languages are the words that give a language away
(labels identical in both, such as 'Region' or 'Index', are allowed in either). Case is ignored:
labels are capitalised where they head a line."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parent.parent / "esfsearch/locale/sv/LC_MESSAGES/esfsearch.po"
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(?\w*\)?[sd]")
MARKUP = re.compile(r"\[/?[a-z ]*\]")
MIN_CHARS = 6


def _fragments(text: str) -> set[str]:
    parts = PLACEHOLDER.split(MARKUP.sub("\n", text))
    lines = (line.strip(" .:;,—…") for part in parts for line in part.split("\n"))
    return {line.lower() for line in lines if sum(c.isalpha() for c in line) >= MIN_CHARS}


@cache
def pairs() -> tuple[tuple[str, str], ...]:
    """(English, Swedish) for every message and plural form."""
    with PO.open("rb") as f:
        catalogue = read_po(f, locale="sv")
    out = []
    for m in catalogue:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        out += list(zip(ids, strings, strict=True))
    return tuple(out)


def _shows(fragment: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", text, re.I) is not None


@cache
def giveaways(language: str) -> frozenset[str]:
    """The fragments only the language uses ('en' or 'sv'): none of the other language's messages
    has it ('filter' is a word of both)."""
    own, other = (0, 1) if language == "en" else (1, 0)
    others = "\n".join(pair[other] for pair in pairs())
    fragments = set().union(*(_fragments(pair[own]) for pair in pairs()))
    return frozenset(f for f in fragments if not _shows(f, others))


def foreign(text: str, language: str) -> list[str]:
    """The fragments of the other language that `text` (rendered in `language`) shows."""
    return sorted(f for f in giveaways("en" if language == "sv" else "sv") if _shows(f, text))
