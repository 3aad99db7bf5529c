"""The one structured project record every source layout is turned into.

Plain data: no Whoosh, no UI. Ingest fills it, the index stores it, CLI/TUI show it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Section:
    """A headed part of the summary (Sammanfattning, Bakgrund, Målsättning ...)."""

    heading: str
    text: str


@dataclass
class ProjectRecord:
    id: str
    title: str
    layout: str
    source_path: str
    summary: str = ""
    sections: list[Section] = field(default_factory=list)
    owner: str | None = None
    owner_org_number: str | None = None
    region: str | None = None
    county: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    fund: str | None = None
    programme_period: str | None = None
    programme_area: str | None = None
    specific_objective: str | None = None
    thematic_objective: str | None = None
    priority_axis: str | None = None
    intervention_type: str | None = None
    phase: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    total_budget: int | None = None
    eu_support: int | None = None
    cofinancing_rate: float | None = None
    planned_participants: int | None = None
    nuts2: str | None = None
    cci: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    # Provenance (see esfsearch.merge): fields the reader inferred rather than read from a label or
    # layout; for a project merged from several records, every source file, the file each field came
    # from, and the fields whose sources disagree ({"field", "values": [{"value", "source"}]}).
    derived: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    content_hash: str = ""

    CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")

    def compute_hash(self) -> str:
        """Hash of everything but the hash itself, so a changed record re-indexes."""
        data = self.to_dict()
        data.pop("content_hash", None)
        # Provenance is not content: a record read from one file hashes as it did before merging
        # existed (saved searches compare these hashes); a merged project's sources and conflicts count.
        data.pop("derived", None)
        if len(self.sources) <= 1:
            for name in ("sources", "origins", "conflicts"):
                data.pop(name, None)
        payload = repr(sorted(data.items())).encode("utf-8")
        return hashlib.sha1(payload).hexdigest()

    def finalise(self) -> ProjectRecord:
        self.content_hash = self.compute_hash()
        return self

    @property
    def full_text(self) -> str:
        """Summary plus the headed sections (the summary's own section is not repeated)."""
        parts = [self.summary] if self.summary else []
        parts += [f"{s.heading}\n{s.text}" for s in self.sections if s.text != self.summary]
        return "\n\n".join(p for p in parts if p)

    @property
    def has_project_id(self) -> bool:
        """The id was stated by the source (a diarienummer, an ärende-id), not made from the file path."""
        return "id" not in self.derived

    @property
    def short_id(self) -> str:
        """The id for lists: a path-made id ('texter/uppdrag/regeringsuppdrag-esf-2019') is shortened
        to its last part; detail views and exports show the full id."""
        if self.has_project_id:
            return self.id
        last = self.id.rstrip("/").rsplit("/", 1)[-1]
        return last if len(last) <= 28 else last[:27] + "…"

    @property
    def years(self) -> tuple[int, int] | None:
        if self.start_date and self.end_date:
            return (self.start_date.year, self.end_date.year)
        if self.start_date:
            return (self.start_date.year, self.start_date.year)
        if self.end_date:
            return (self.end_date.year, self.end_date.year)
        return None

    def to_dict(self, contacts: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "sections":
                value = [{"heading": s.heading, "text": s.text} for s in value]
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, (list, dict)):
                value = json.loads(json.dumps(value)) if f.name == "conflicts" else type(value)(value)
            out[f.name] = value
        if not contacts:
            for name in self.CONTACT_FIELDS:
                out.pop(name, None)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProjectRecord:
        kwargs = {}
        names = {f.name for f in dataclasses.fields(cls)}
        for key, value in data.items():
            if key not in names:
                continue
            if key == "sections":
                value = [Section(**s) for s in value or []]
            elif key in ("start_date", "end_date") and value:
                value = date.fromisoformat(value)
            kwargs[key] = value
        return cls(**kwargs)


RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(ProjectRecord))
# What one record may bring into the index: its text (summary and sections). More is cut (at a word
# boundary, ingest.cap_record) and the cut reported, so that indexing memory stays bounded whatever the
# size of a file or record (analysing a text costs many times its size while a document is indexed).
MAX_RECORD_CHARS = 1_000_000  # a project description is a few thousand characters
