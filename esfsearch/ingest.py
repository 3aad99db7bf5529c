"""Ingest: every file under the given paths becomes records, or a line in the report saying why not.

Nothing is silently dropped: each input file ends in `FileResult.records` or in `FileResult.problem`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from . import formats
from .layouts import READERS, LayoutError, RecordProblem, detect_layout, read_json
from .records import ProjectRecord
from .textio import UnreadableText, clean_text, decode_bytes

MAX_TEXT_BYTES = 20_000_000             # a single project text larger than this is not a project text
MAX_JSON_BYTES = 1_000_000_000
MAX_DOCUMENT_BYTES = 200_000_000        # PDF/DOCX/ODT: mostly images and fonts besides the text
IGNORED_NAMES = ("readme", "license", "licence", "attribution", "notice")


@dataclass
class FileResult:
    path: str                       # as shown to the user
    rel_path: str                   # relative to the corpus root; part of record ids and index keys
    records: list[ProjectRecord] = field(default_factory=list)
    problem: str | None = None      # why the file gave no records
    record_problems: list[RecordProblem] = field(default_factory=list)
    layout: str | None = None
    encoding: str | None = None
    ignored: bool = False           # documentation files beside the texts (README, LICENSE)
    format: str | None = None       # "html", "pdf", "docx", "odt" when the file was a document
    format_info: str | None = None  # what was read from it ("PDF, 3 pages, 2 dropped lines")


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def records(self) -> list[ProjectRecord]:
        return [r for f in self.files for r in f.records]

    @property
    def problems(self) -> list[tuple[str, str]]:
        out = [(f.path, f.problem) for f in self.files if f.problem and not f.ignored]
        out += [(p.where, p.reason) for f in self.files for p in f.record_problems]
        return out

    @property
    def ignored(self) -> list[tuple[str, str]]:
        return [(f.path, f.problem or "") for f in self.files if f.ignored]


def default_id_for(rel_path: str) -> str:
    """Stable id for sources that carry none: the path within the corpus, without its suffix."""
    p = Path(rel_path)
    return p.with_suffix("").as_posix() if p.suffix else p.as_posix()


def parse_text(text: str, *, rel_path: str, source_path: str | None = None) -> FileResult:
    """Parse already-decoded text (used by tests and by callers that have text in hand)."""
    result = FileResult(path=source_path or rel_path, rel_path=rel_path)
    _parse_into(result, clean_text(text), source_path or rel_path)
    return result


def _parse_into(result: FileResult, text: str, source_path: str) -> None:
    if not text:
        result.problem = "no text (only whitespace or control characters)"
        return
    if result.format is None and formats.looks_like_html(text):
        _read_document(result, lambda: formats.read_html(text), source_path)
        return
    layout = detect_layout(text)
    default_id = default_id_for(result.rel_path)
    try:
        if layout == "json":
            records, problems = read_json(text, source_path=source_path, default_id=default_id)
            result.records, result.record_problems = records, problems
        else:
            result.records = READERS[layout](text, source_path=source_path, default_id=default_id)
        result.layout = result.records[0].layout if result.records else layout
        if not result.records and not result.problem:
            result.problem = f"no readable records ({len(result.record_problems)} broken)"
    except LayoutError as exc:
        result.problem = f"unknown layout: {exc}"
    except (RecursionError, ValueError, TypeError, KeyError, IndexError) as exc:  # last line of defence
        result.problem = f"could not parse ({type(exc).__name__}: {exc})"


def read_file(path: Path, root: Path | None = None) -> FileResult:
    rel = _relative(path, root)
    result = FileResult(path=str(path), rel_path=rel)
    if path.name.lower().split(".")[0] in IGNORED_NAMES:
        result.ignored, result.problem = True, "documentation file, not a project text"
        return result
    try:
        size = path.stat().st_size
        limit = MAX_JSON_BYTES if path.suffix.lower() in (".json", ".jsonl", ".ndjson") else MAX_TEXT_BYTES
        if size > limit and limit == MAX_TEXT_BYTES and _starts_like_document(path):
            limit = MAX_DOCUMENT_BYTES
        if size > limit:
            result.problem = f"file too large ({size / 1e6:.1f} MB; limit {limit / 1e6:.0f} MB)"
            return result
        data = path.read_bytes()
    except OSError as exc:
        result.problem = f"cannot read: {exc.strerror or exc}"
        return result
    fmt = formats.sniff(data)
    if fmt is not None:
        _read_document(result, lambda: formats.read_document(data, fmt), str(path))
        return result
    try:
        text, result.encoding = decode_bytes(data)
    except UnreadableText as exc:
        result.problem = str(exc)
        return result
    _parse_into(result, clean_text(text), str(path))
    return result


def _starts_like_document(path: Path) -> bool:
    with open(path, "rb") as fh:
        return formats.sniff_head(fh.read(1024))


def _read_document(result: FileResult, read, source_path: str) -> None:
    """A web page or binary document: its structured text goes to the layout readers; records are
    marked with the format (`pdf/projectbank`). A document that gives no text is reported with why."""
    try:
        document = read()
    except formats.DocumentError as exc:
        result.format, result.problem = exc.format, exc.reason
        return
    result.format, result.format_info = document.format, document.describe()
    text = clean_text(document.text)
    if not text:
        result.problem = f"{document.format.upper()} without any text (only page furniture)"
        return
    _parse_into(result, text, source_path)
    for record in result.records:
        record.layout = f"{document.format}/{record.layout}"
        record.finalise()
    if result.layout:
        result.layout = f"{document.format}/{result.layout}"


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path | None, str | None]]:
    """(file, root it was found under, problem) for every file below the paths, sorted, loops broken."""
    for top in paths:
        top = Path(top)
        if not top.exists():
            yield top, None, "no such file or directory"
            continue
        if top.is_file():
            yield top, top.parent, None
            continue
        seen: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
            real = os.path.realpath(dirpath)
            if real in seen:
                dirnames[:] = []
                yield Path(dirpath), top, "symlink loop: directory already visited"
                continue
            seen.add(real)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                p = Path(dirpath) / name
                if p.is_symlink() and not p.exists():
                    yield p, top, "broken symlink"
                    continue
                yield p, top, None


def ingest(paths: Iterable[Path], on_file=None) -> IngestReport:
    """Read every file under `paths`. `on_file(result)` is called after each file (for progress)."""
    report = IngestReport()
    for path, root, problem in iter_files(paths):
        if problem:
            result = FileResult(path=str(path), rel_path=_relative(path, root), problem=problem)
        else:
            result = read_file(path, root)
        report.files.append(result)
        if on_file is not None:
            on_file(result)
    return report
