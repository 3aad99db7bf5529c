"""Other names for filter values ('Socialfonden' is the ESF), from data/value_aliases.txt.

    aliases()[("fund_v", "socialfonden")] == "ESF"

Keys are (index field, normalised alias); the value is the name the index holds. Only the parsing of
the query language uses this table; it never changes what is indexed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .schema import normalise_value

SHIPPED = Path(__file__).with_name("data") / "value_aliases.txt"


def parse_aliases(text: str, field_of) -> dict[tuple[str, str], str]:
    """`field: value = alias = …` lines -> {(index field, normalised alias): value}. `field_of` maps a
    field name of the query language to its index field (None for an unknown name: the line is skipped)."""
    table: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        name, sep, rest = line.partition(":")
        if not sep or "=" not in rest:
            continue
        index_field = field_of(name.strip().lower())
        if index_field is None:
            continue
        names = [" ".join(n.split()) for n in rest.split("=") if n.strip()]
        canonical = names[0]
        for alias in names[1:]:
            table[(index_field, normalise_value(alias))] = canonical
    return table


@lru_cache(maxsize=1)
def aliases() -> dict[tuple[str, str], str]:
    from .querylang import FIELDS

    def field_of(name: str) -> str | None:
        spec = FIELDS.get(name)
        return spec.index_field if spec else None

    return parse_aliases(SHIPPED.read_text(encoding="utf-8"), field_of)
