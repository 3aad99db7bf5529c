"""Ingest: every file under the given paths becomes records, or a line in the report saying why not.

Nothing is silently dropped: each input file ends in `FileResult.records` or in `FileResult.problem`.
"""

from __future__ import annotations

import codecs
import errno
import functools
import operator
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from . import formats
from .i18n import N_, Message, Nn_
from .layouts import READERS, LayoutError, RecordProblem, detect_layout, iter_json, read_json
from .records import MAX_RECORD_CHARS, ProjectRecord, Section
from .textio import UnreadableText, clean_pieces, clean_text, decode_bytes, stream_encoding

MAX_TEXT_BYTES = 20_000_000  # a single project text larger than this is not a project text
# A record's text is cut at records.MAX_RECORD_CHARS, its title at:
MAX_TITLE_CHARS = 1_000
# Of a text file (one project), only so many bytes are read and parsed: more cannot fit in one record.
MAX_PARSE_BYTES = 3 * MAX_RECORD_CHARS
MAX_JSON_BYTES = 1_000_000_000
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
# A JSON export is read, and handed on, this many records at a time (see read_pieces).
RECORDS_PER_PIECE = 256
MAX_DOCUMENT_BYTES = 200_000_000  # PDF/DOCX/ODT: mostly images and fonts besides the text
IGNORED_NAMES = ("readme", "license", "licence", "attribution", "notice")


@dataclass
class FileResult:
    path: str  # as shown to the user
    rel_path: str  # relative to the corpus root; part of record ids and index keys
    records: list[ProjectRecord] = field(default_factory=list)
    problem: str | None = None  # why the file gave no records (a Message: i18n)
    record_problems: list[RecordProblem] = field(default_factory=list)
    layout: str | None = None
    encoding: str | None = None
    ignored: bool = False  # documentation files beside the texts (README, LICENSE)
    format: str | None = None  # "html", "pdf", "docx", "odt" when the file was a document
    format_info: str | None = None  # what was read from it ("PDF, 3 pages, 2 dropped lines")
    # A file read in pieces (read_pieces): where records[0] is in the file, and whether pieces follow
    first: int = 0
    more: bool = False

    def extend(self, piece: FileResult) -> None:
        """Add the next piece of the same file: its records and problems, and what its last piece says."""
        self.records += piece.records
        self.record_problems += piece.record_problems
        self.problem, self.layout, self.more = piece.problem, piece.layout, piece.more


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


def parse_document(text: str, *, rel_path: str, source_path: str | None = None) -> FileResult:
    """Parse already-decoded text (used by tests and by callers that have text in hand)."""
    result = FileResult(path=source_path or rel_path, rel_path=rel_path)
    _parse_into(result, clean_text(text), source_path or rel_path)
    return result


def _parse_into(result: FileResult, text: str, source_path: str) -> None:
    if not text:
        result.problem = Message(N_("no text (only whitespace or control characters)"))
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
        for record in result.records:
            for cut in cap_record(record):
                result.record_problems.append(RecordProblem(f"{source_path} ({record.id})", cut))
        if not result.records and not result.problem:
            result.problem = Message(
                Nn_("no readable records ({n} broken)", "no readable records ({n} broken)"),
                n=len(result.record_problems),
            )
    except LayoutError as exc:
        result.problem = Message(N_("unknown layout: {why}"), why=exc.args[0] if exc.args else "")
    except (RecursionError, ValueError, TypeError, KeyError, IndexError) as exc:  # last line of defence
        result.problem = Message(
            N_("could not parse ({error}: {why})"), error=type(exc).__name__, why=str(exc)
        )


def _cut_words(text: str, room: int) -> str:
    """At most `room` characters of `text`, ending at a word boundary when there is one near."""
    if len(text) <= room:
        return text
    head = text[:room]
    space = max(head.rfind(" "), head.rfind("\n"))
    return head[:space] if space > room - 200 else head


def cap_record(record: ProjectRecord) -> list[Message]:
    """Cut a record's text and title to MAX_RECORD_CHARS and MAX_TITLE_CHARS (in place, hash
    renewed). Returns what was cut, for the user (nothing when the record fits)."""
    texts = [record.summary] + [s.text for s in record.sections if s.text != record.summary]
    total = sum(map(len, texts)) + sum(len(s.heading) for s in record.sections)
    reasons = []
    if len(record.title) > MAX_TITLE_CHARS:
        reasons.append(
            Message(
                N_("title cut to its first {kept:,} of {total:,} characters"),
                kept=MAX_TITLE_CHARS,
                total=len(record.title),
            )
        )
        record.title = _cut_words(record.title, MAX_TITLE_CHARS) + " …"
    if total > MAX_RECORD_CHARS:
        room = MAX_RECORD_CHARS
        summary = _cut_words(record.summary, room)
        room -= len(summary)
        sections = []
        for section in record.sections:
            if section.text == record.summary:  # shown once, as the summary: cut the same way
                sections.append(Section(section.heading, summary))
                continue
            if room <= len(section.heading):
                break
            room -= len(section.heading)
            text = _cut_words(section.text, room)
            room -= len(text)
            sections.append(Section(section.heading, text))
        kept = len(summary) + sum(len(s.heading) + len(s.text) for s in sections if s.text != summary)
        record.summary, record.sections = summary, sections
        reasons.append(
            Message(
                N_(
                    "text cut to its first {kept:,} of {total:,} characters (the limit for one project "
                    "is {limit:,}); the rest is neither searchable nor stored"
                ),
                kept=kept,
                total=total,
                limit=MAX_RECORD_CHARS,
            )
        )
    if reasons:
        record.finalise()
    return reasons


def _cut_bytes(data: bytes) -> bytes:
    """The start of a file's bytes cut where its text can still be decoded: at a line end for
    UTF-8 and single-byte encodings, at a whole code unit for UTF-16/32 (with a byte order mark)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return data[: len(data) - len(data) % 4]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data[: len(data) - len(data) % 2]
    line_end = data.rfind(b"\n")
    if line_end > len(data) // 2:
        return data[:line_end]
    end = len(data)
    while end > 0 and data[end - 1] & 0xC0 == 0x80:  # never end inside a UTF-8 character
        end -= 1
    return data[: end - 1] if end and data[end - 1] >= 0xC0 else data[:end]


def read_file(path: Path, root: Path | None = None) -> FileResult:
    """A file's records, or why it has none."""
    pieces = read_pieces(path, root)
    result = next(pieces)
    for piece in pieces:
        result.extend(piece)
    return result


def read_pieces(path: Path, root: Path | None = None) -> Iterator[FileResult]:
    """`read_file` in pieces, so that a large JSON export is never held whole, as text or as records:
    it is read as it is parsed and its records come RECORDS_PER_PIECE at a time, as FileResults of
    the file with `first` and `more` set; the last piece has the file's problem (a file with a syntax
    error has no records: it is checked whole before any record comes). Any other file is one piece."""
    if path.suffix.lower() in JSON_SUFFIXES and path.name.lower().split(".")[0] not in IGNORED_NAMES:
        result = FileResult(path=str(path), rel_path=_relative(path, root))
        try:
            if path.stat().st_size <= MAX_JSON_BYTES and not _starts_like_document(path):
                codec, errors, result.encoding = stream_encoding(path)
                if _starts_like_json(path, codec, errors):
                    yield from _json_pieces(path, result, codec, errors)
                    return
        except UnreadableText as exc:
            result.problem = exc.args[0]
            yield result
            return
        except OSError as exc:
            result.problem = cannot_read(exc)
            yield result
            return
    yield _read_whole(path, root)


def _starts_like_json(path: Path, codec: str, errors: str) -> bool:
    for piece in clean_pieces(path, codec, errors):
        if piece.strip():
            return piece.lstrip().startswith(("[", "{"))
    return False


def _json_pieces(path: Path, result: FileResult, codec: str, errors: str) -> Iterator[FileResult]:
    source_path, n, broken = str(path), 0, 0
    piece, result.layout = result, "json"
    try:
        for got in iter_json(
            lambda: clean_pieces(path, codec, errors),
            source_path=source_path,
            default_id=default_id_for(result.rel_path),
        ):
            if isinstance(got, RecordProblem):
                piece.record_problems.append(got)
                broken += 1
                continue
            if n == 0:
                result.layout = got.layout
            for cut in cap_record(got):
                piece.record_problems.append(RecordProblem(f"{source_path} ({got.id})", cut))
            piece.records.append(got)
            n += 1
            if len(piece.records) >= RECORDS_PER_PIECE:
                piece.layout, piece.more = result.layout, True
                yield piece
                piece = FileResult(source_path, result.rel_path, encoding=result.encoding, first=n)
    except LayoutError as exc:
        piece.problem = Message(N_("unknown layout: {why}"), why=exc.args[0] if exc.args else "")
    except OSError as exc:  # the file went away while it was read
        piece.problem = cannot_read(exc)
    except (RecursionError, ValueError, TypeError, KeyError, IndexError) as exc:  # as in _parse_into
        piece.problem = Message(
            N_("could not parse ({error}: {why})"), error=type(exc).__name__, why=str(exc)
        )
    if n == 0 and piece.problem:
        result.layout = None  # as for a text no reader could read
    elif n == 0:
        piece.problem = Message(
            Nn_("no readable records ({n} broken)", "no readable records ({n} broken)"), n=broken
        )
    piece.layout = result.layout
    yield piece


def _read_whole(path: Path, root: Path | None) -> FileResult:
    rel = _relative(path, root)
    result = FileResult(path=str(path), rel_path=rel)
    if path.name.lower().split(".")[0] in IGNORED_NAMES:
        result.ignored, result.problem = True, Message(N_("documentation file, not a project text"))
        return result
    try:
        size = path.stat().st_size
        limit = MAX_JSON_BYTES if path.suffix.lower() in JSON_SUFFIXES else MAX_TEXT_BYTES
        if size > limit and limit == MAX_TEXT_BYTES and _starts_like_document(path):
            limit = MAX_DOCUMENT_BYTES
        if size > limit:
            result.problem = Message(
                N_("file too large ({size:.1f} MB; limit {limit:.0f} MB)"), size=size / 1e6, limit=limit / 1e6
            )
            return result
        cut = None
        if limit == MAX_JSON_BYTES or size <= MAX_PARSE_BYTES:
            data = path.read_bytes()
        else:
            with open(path, "rb") as fh:
                data = fh.read(MAX_PARSE_BYTES + 1)
            if len(data) > MAX_PARSE_BYTES:
                data = _cut_bytes(data[:MAX_PARSE_BYTES])
                cut = RecordProblem(
                    str(path),
                    Message(
                        N_(
                            "only the first {read:,} of {size:,} bytes read (one project's text is at "
                            "most {limit:,} characters); the rest is neither searchable nor stored"
                        ),
                        read=len(data),
                        size=size,
                        limit=MAX_RECORD_CHARS,
                    ),
                )
    except OSError as exc:
        result.problem = cannot_read(exc)
        return result
    fmt = formats.sniff(data)
    if fmt is not None:
        _read_document(result, functools.partial(formats.read_document, data, fmt), str(path))
        return result
    try:
        text, result.encoding = decode_bytes(data)
    except UnreadableText as exc:
        result.problem = exc.args[0]
        return result
    del data
    _parse_into(result, clean_text(text), str(path))
    if cut is not None:
        result.record_problems.insert(0, cut)
    return result


def cannot_read(exc: OSError) -> Message:
    """Why a file could not be read: the system's words for it ('Permission denied')."""
    return Message(N_("cannot read: {why}"), why=exc.strerror or str(exc))


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
        result.problem = Message(
            N_("{format} without any text (only page furniture)"), format=document.format.upper()
        )
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


class FoundFile(NamedTuple):
    """A file a corpus scan found: where (a string: a Path per file costs more than its stat), under
    which root, why it cannot be read (else None), and what the scan already knows of it, so that
    nobody asks the file system again: its `stat` (links followed; None when it failed) and `real`,
    its resolved path (None with a problem)."""

    path: str
    root: Path | None
    problem: str | None
    stat: os.stat_result | None = None
    real: str | None = None


_GONE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what Path.exists() calls absent


def scan_files(paths: Iterable[Path], times: dict[str, int] | None = None) -> list[FoundFile]:
    """Every file below the paths, sorted (directories depth first, hidden names skipped), symlinks
    followed and loops broken: what `iter_files` yields, from one `scandir` per directory and one
    `stat` per file (the entry's type comes with the directory listing), and each directory resolved
    once (a file that is not a symlink resolves to its resolved directory plus its name).

    `times`, when given, gets the mtime of each directory listed (and of a path that is a file),
    by resolved path, taken before the listing: the index's fingerprint of the corpus as scanned."""
    out: list[FoundFile] = []
    for top in paths:
        top = Path(top)
        if not top.exists():
            out.append(FoundFile(str(top), None, Message(N_("no such file or directory"))))
            continue
        if top.is_file():
            try:
                st: os.stat_result | None = top.stat()
            except OSError:
                st = None
            real = os.path.realpath(top)
            if times is not None and st is not None:
                times[real] = st.st_mtime_ns
            out.append(FoundFile(str(top), top.parent, None, st, real))
            continue
        _walk(str(top), top, set(), out, times)
    return out


def _walk(
    dirpath: str, top: Path, seen: set[str], out: list[FoundFile], times: dict[str, int] | None
) -> None:
    real = os.path.realpath(dirpath)
    if real in seen:
        out.append(FoundFile(dirpath, top, Message(N_("symlink loop: directory already visited"))))
        return
    seen.add(real)
    try:
        if times is not None:
            times[real] = os.stat(dirpath).st_mtime_ns
        with os.scandir(dirpath) as listing:
            entries = sorted(listing, key=_BY_NAME)
    except OSError:
        if times is not None:
            times.pop(real, None)
        return  # as os.walk: an unreadable directory is passed over
    prefix = dirpath if dirpath.endswith(os.sep) else dirpath + os.sep
    real_prefix = real if real.endswith(os.sep) else real + os.sep
    dirs: list[str] = []
    add = out.append
    new = tuple.__new__  # FoundFile(...) without its Python-level __new__: this loop runs per file
    for entry in entries:
        name = entry.name
        if name[0] == ".":
            continue
        try:
            if entry.is_dir():
                dirs.append(name)
                continue
        except OSError:
            pass
        if entry.is_symlink():
            path = prefix + name
            try:
                st: os.stat_result | None = entry.stat()
            except OSError as exc:
                if exc.errno in _GONE:
                    add(FoundFile(path, top, Message(N_("broken symlink"))))
                    continue
                st = None
            add(FoundFile(path, top, None, st, os.path.realpath(path)))
            continue
        try:
            st = entry.stat()
        except OSError:
            st = None
        add(new(FoundFile, (prefix + name, top, None, st, real_prefix + name)))
    for name in dirs:
        _walk(prefix + name, top, seen, out, times)


_BY_NAME = operator.attrgetter("name")  # a directory's entries in name order (C-level key)


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path | None, str | None]]:
    """(file, root it was found under, problem) for every file below the paths, sorted, loops broken."""
    for found in scan_files(paths):
        yield Path(found.path), found.root, found.problem


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
