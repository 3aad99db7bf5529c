"""One project, one record: merging the records that several source files hold of the same project.

Users collect a project's texts from several places (a project-bank export, the old EBS2020 page, an
ESF+ record, a JSON dump). Records that state the same project id (diarienummer / ärende-id) become
one indexed project; a record whose id was made from its file path (free text, Markdown) never merges.

Which source gives each field (the merge order)
-----------------------------------------------
For every field, the candidates are the records of the project that have a value for it, ranked by:

1. stated before derived: a value read from a label or stated by the layout beats one the reader
   inferred (`ProjectRecord.derived`: a period worked out from the dates, a phase from the title, a
   title taken from a page heading, an id made from the path);
2. layout rank (`LAYOUT_RANK`): the newest and most structured kind of source first: an ESF+ record,
   then a project-bank record, a JSON export, an EBS2020 web page (the 2014-2020 site, no longer
   kept up to date), Markdown, and free text last;
3. record date: the more recently modified source file first (a re-exported record is newer);
4. the source path, so that the order never depends on the order files were read in.

Lists (county, municipalities) come whole from the best record that has any, never mixed. The summary
is the best-ranked record's; every other record's sections and summary are kept as sections unless
their text is already there. `sources` lists every contributing file (best first), `origins` names the
file each field came from, and `conflicts` the fields (amounts, dates, fund, ...) whose *stated*
values differ between sources, with every value and its source; the value shown is the first one.

Plain data: no Whoosh, no UI. `esfsearch.index` groups records by `project_key` and calls `merge`,
for full builds and incremental updates alike.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from .records import ProjectRecord, Section
from .values import programme_area_label

LAYOUT_RANK = {"esfplus": 0, "projectbank": 1, "json": 2, "ebs2020": 3, "markdown": 4, "text": 5}
"""Lower is better; layouts not listed (new readers) rank after these."""

# Fields taken field by field from the best source that has them.
MERGED_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(ProjectRecord)
    if f.name
    not in (
        "id",
        "layout",
        "source_path",
        "summary",
        "sections",
        "derived",
        "sources",
        "origins",
        "conflicts",
        "content_hash",
    )
)
# Fields whose disagreeing stated values are reported as conflicts.
CONFLICT_FIELDS = (
    "total_budget",
    "eu_support",
    "cofinancing_rate",
    "planned_participants",
    "start_date",
    "end_date",
    "fund",
    "programme_period",
    "programme_area",
    "owner_org_number",
)


@dataclass
class Part:
    """One record of a project as one source file holds it."""

    file: str  # the file's key in the index (its resolved path)
    n: int  # the record's position in that file
    mtime_ns: int  # the file's modification time: the record date of the merge order
    record: ProjectRecord

    def to_dict(self) -> dict:
        return {"file": self.file, "n": self.n, "mtime_ns": self.mtime_ns, "record": self.record.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> Part:
        return cls(
            data["file"],
            int(data["n"]),
            int(data.get("mtime_ns") or 0),
            ProjectRecord.from_dict(data["record"]),
        )


@dataclass
class Conflict:
    id: str
    field: str
    values: list[tuple[Any, str]]  # (value, source path), the shown value first

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "field": self.field,
            "values": [{"value": v, "source": s} for v, s in self.values],
        }


def normalise_id(record_id: str) -> str:
    """How ids compare: case and spacing do not matter ('2020/00639', ' 2020/00639 ')."""
    return re.sub(r"\s+", "", record_id).upper()


def project_key(record: ProjectRecord) -> str | None:
    """The index key of the project a record belongs to, or None for a record without a stated id
    (it is a project of its own, keyed by file and position)."""
    if not record.has_project_id or not record.id.strip():
        return None
    return "id:" + normalise_id(record.id)


def part_key(part: Part) -> str:
    """The index key of the document a part goes into."""
    return project_key(part.record) or f"{part.file}#{part.n}"


def rank(part: Part, field: str | None = None) -> tuple:
    """Sort key of the merge order (module docstring): stated, layout, newer file, path."""
    derived = field is not None and field in part.record.derived
    return (
        derived,
        LAYOUT_RANK.get(part.record.layout, len(LAYOUT_RANK)),
        -part.mtime_ns,
        part.record.source_path,
        part.n,
    )


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _comparable(field: str, value: Any) -> Any:
    if field == "programme_area":
        return programme_area_label(value)
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _norm_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def merge(parts: list[Part]) -> tuple[ProjectRecord, list[Conflict]]:
    """The one record of a project from its parts (at least one), and the conflicts found."""
    if not parts:
        raise ValueError("merge needs at least one record")
    ordered = sorted(parts, key=rank)
    best = ordered[0].record
    if len(parts) == 1:
        record = dataclasses.replace(best, sources=[best.source_path], origins={}, conflicts=[])
        return record.finalise(), []
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    derived: list[str] = []
    conflicts: list[Conflict] = []
    for name in MERGED_FIELDS:
        candidates = sorted(
            (p for p in parts if not _empty(getattr(p.record, name))), key=lambda p: rank(p, name)
        )
        if not candidates:
            continue
        chosen = candidates[0]
        values[name] = getattr(chosen.record, name)
        origins[name] = chosen.record.source_path
        if name in chosen.record.derived:
            derived.append(name)
        if name in CONFLICT_FIELDS:
            stated = [p for p in candidates if name not in p.record.derived]
            seen: dict[Any, tuple[Any, str]] = {}
            for p in stated:
                v = getattr(p.record, name)
                seen.setdefault(_comparable(name, v), (_jsonable(v), p.record.source_path))
            if len(seen) > 1:
                conflicts.append(Conflict(best.id, name, list(seen.values())))
    summary = next((p.record.summary for p in ordered if p.record.summary), "")
    sections: list[Section] = list(best.sections)
    kept = [_norm_text(t) for t in [summary] + [s.text for s in best.sections] if t]
    for p in ordered[1:]:  # the other sources' texts, unless already there
        texts = [(s.heading, s.text) for s in p.record.sections] + [("Sammanfattning", p.record.summary)]
        for heading, text in texts:
            norm = _norm_text(text)
            if norm and not any(norm in k for k in kept):
                kept.append(norm)
                sections.append(Section(heading, text))
    origins.setdefault("title", best.source_path)
    record = ProjectRecord(
        id=best.id,
        title=values.pop("title", best.title),
        layout=best.layout,
        source_path=best.source_path,
        summary=summary,
        sections=sections,
        **values,
        derived=derived,
        sources=_unique(p.record.source_path for p in ordered),
        origins=origins,
        conflicts=[
            {"field": c.field, "values": [{"value": v, "source": s} for v, s in c.values]} for c in conflicts
        ],
    )
    return record.finalise(), conflicts


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- grouping a full build


class PartSpill:
    """Parts grouped by project key without holding their texts in memory: each part is written to a
    temporary file as it comes and read back one project at a time (a full build of a large corpus
    must not hold every record at once). Use as a context manager; the file is removed on exit."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        fd, self._path = tempfile.mkstemp(prefix=".parts-", suffix=".jsonl", dir=directory)
        self._fh = os.fdopen(fd, "w+b")
        self._offsets: dict[str, list[int]] = {}

    def __enter__(self) -> PartSpill:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._fh.close()
        finally:
            try:
                os.unlink(self._path)
            except OSError:
                pass

    def add(self, key: str, part: Part) -> None:
        self._fh.seek(0, os.SEEK_END)
        self._offsets.setdefault(key, []).append(self._fh.tell())
        self._fh.write(json.dumps(part.to_dict(), ensure_ascii=False).encode("utf-8") + b"\n")

    def __len__(self) -> int:
        return len(self._offsets)

    def groups(self) -> Iterator[tuple[str, list[Part]]]:
        """(project key, its parts) in the order the projects were first seen."""
        self._fh.flush()
        for key, offsets in self._offsets.items():
            parts = []
            for offset in offsets:
                self._fh.seek(offset)
                parts.append(Part.from_dict(json.loads(self._fh.readline())))
            yield key, parts
