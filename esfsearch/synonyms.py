"""Abbreviations and synonyms of the field (UVAS, AF, SFI ...), from the shipped list plus the user's file."""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from pathlib import Path

SHIPPED = Path(__file__).with_name("data") / "synonyms.txt"


def user_file() -> Path | None:
    env = os.environ.get("ESFSEARCH_SYNONYMS")
    if env:
        return Path(env)
    from .config import config_dir

    path = config_dir() / "synonyms.txt"
    return path if path.exists() else None


def parse_synonyms(text: str) -> dict[str, list[str]]:
    """'a = b = c' lines -> {'a': ['b', 'c'], 'b': ['a', 'c'], ...}; '#' starts a comment."""
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = unicodedata.normalize("NFC", line.split("#", 1)[0]).strip().lower()
        if "=" not in line:
            continue
        terms = [" ".join(t.split()) for t in line.split("=") if t.strip()]
        for term in terms:
            others = table.setdefault(term, [])
            others.extend(t for t in terms if t != term and t not in others)
    return table


@lru_cache(maxsize=4)
def load_synonyms(extra: str | None = None) -> dict[str, list[str]]:
    """Shipped list merged with the user's file (a path in `extra` or the default location)."""
    table = parse_synonyms(SHIPPED.read_text(encoding="utf-8"))
    path = Path(extra) if extra else user_file()
    if path and path.exists():
        for term, others in parse_synonyms(path.read_text(encoding="utf-8", errors="replace")).items():
            mine = table.setdefault(term, [])
            mine.extend(o for o in others if o not in mine)
    return table
