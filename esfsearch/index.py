"""Building and opening the index, so that a failed or interrupted build never costs the user the
index they had.

Layout of an index directory:
  CURRENT          name of the live generation (replaced atomically)
  gen-<stamp>/     a complete Whoosh index plus meta.json (schema version, corpus, file hashes)
  .lock            held (locks.file_lock) by whoever writes
A full rebuild writes a new generation and swaps CURRENT only when it is complete; an incremental
update commits into the live generation as one Whoosh transaction, then rewrites meta.json.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import write_atomic
from .i18n import N_, Message, message_from
from .locks import LockTimeout, LockUnavailable, file_lock, pid_alive
from .schema import SCHEMA_VERSION, VALUE_SEP, build_schema, fields_fingerprint, record_document

if TYPE_CHECKING:
    from .ingest import FileResult, FoundFile
    from .merge import Part

# Reading files (ingest), merging records (merge), the faster writer and the columnar files are
# imported by the functions that build: a query opens the index without them (cold start).

META = "meta.json"
CURRENT = "CURRENT"
LOCK = ".lock"


class IndexProblem(Exception):
    """Anything wrong with the index itself; the CLI shows the message (a Message, worded in the user's
    language by presentation.problem_text) and exits 3."""


class SchemaMismatch(IndexProblem):
    """The index was written by another esfsearch version. One from an older version can be rebuilt
    from the folders it was built from, which its metadata names."""

    def __init__(self, message: str, built: object, corpus: object, older: bool | None = None) -> None:
        super().__init__(message)
        self.built = built
        self.older = (isinstance(built, int) and built < SCHEMA_VERSION) if older is None else older
        self.corpus = [Path(p) for p in corpus] if isinstance(corpus, list) else []


@dataclass
class BuildSummary:
    added: int = 0  # records
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    files_added: int = 0
    files_updated: int = 0
    files_removed: int = 0
    files_unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file or record, reason)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    records: int = 0  # in the index afterwards
    seconds: float = 0.0
    rebuilt: bool = False
    new_keys: list[str] = field(default_factory=list)  # keys of records added or changed
    # projects whose sources state different values: {"id", "field", "values": [{"value", "source"}]},
    # for every project in the index (see esfsearch.merge)
    conflicts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["skipped"] = [_reported(p, r) for p, r in self.skipped]
        data["ignored"] = [_reported(p, r) for p, r in self.ignored]
        data.pop("new_keys")
        return data


def _reported(path: str, reason: str) -> dict:
    """A skipped or left-out file in --json output: its path and reason as English text (what they
    always were), and a reason's msgid `template` and `values`, the same in every language."""
    out: dict = {"path": str(path), "reason": str(reason)}
    if isinstance(reason, Message):
        data = reason.data()
        out["template"], out["values"] = data["template"], data["values"]
    return out


_REPO = Path(__file__).resolve().parent.parent


def default_corpus_dir() -> Path:
    """$ESFSEARCH_CORPUS, else ./corpus, else the corpus shipped beside the package (a source checkout)."""
    env = os.environ.get("ESFSEARCH_CORPUS")
    if env:
        return Path(env)
    here = Path("corpus")
    if here.is_dir() or not (_REPO / "corpus").is_dir():
        return here
    return _REPO / "corpus"


def default_index_dir() -> Path:
    """$ESFSEARCH_INDEX, else index/ beside the default corpus."""
    env = os.environ.get("ESFSEARCH_INDEX")
    if env:
        return Path(env)
    corpus = default_corpus_dir()
    return corpus.parent / "index" if corpus.name == "corpus" else Path("index")


# ---------------------------------------------------------------- locations and metadata


def current_generation(root: Path) -> Path | None:
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except UnicodeDecodeError:
        name = ""  # garbled: reported as damaged below
    except OSError as exc:
        raise IndexProblem(
            Message(
                N_("cannot read {path}: {why}; rebuild with `esfsearch index --rebuild`"),
                path=str(root / CURRENT),
                why=exc.strerror,
            )
        ) from exc
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.isprintable():
        raise IndexProblem(
            Message(
                N_("{path} is damaged; rebuild with `esfsearch index --rebuild`"), path=str(root / CURRENT)
            )
        )
    gen = root / name
    if not gen.is_dir():
        raise IndexProblem(
            Message(
                N_(
                    "index generation {name} named in {path} is missing; rebuild with `esfsearch index --rebuild`"
                ),
                name=name,
                path=str(root / CURRENT),
            )
        )
    return gen


def index_exists(root: Path) -> bool:
    return (root / CURRENT).exists()


_META_CACHE: dict[tuple[str, int, int], dict] = {}


def read_meta(gen: Path) -> dict:
    """The generation's metadata. Parsed once per process and file version: with a file table for
    20 000 files it is the largest read of a CLI query. Callers must not modify the result."""
    try:
        st = (gen / META).stat()
        cache_key = (str(gen / META), st.st_mtime_ns, st.st_size)
        if cache_key in _META_CACHE:
            return _META_CACHE[cache_key]
        meta = json.loads((gen / META).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexProblem(
            Message(
                N_("index metadata {path} is missing; rebuild with `esfsearch index --rebuild`"),
                path=str(gen / META),
            )
        ) from exc
    except (OSError, ValueError) as exc:  # ValueError covers JSON and UTF-8 decoding errors
        raise IndexProblem(
            Message(
                N_("index metadata {path} is damaged ({why}); rebuild with `esfsearch index --rebuild`"),
                path=str(gen / META),
                why=str(exc),
            )
        ) from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("files", {}), dict):
        raise IndexProblem(
            Message(
                N_(
                    "index metadata {path} is damaged (not an object with a 'files' table); "
                    "rebuild with `esfsearch index --rebuild`"
                ),
                path=str(gen / META),
            )
        )
    _META_CACHE.clear()
    _META_CACHE[cache_key] = meta
    return meta


FILE_TABLE_PREFIX = "files-"


def file_table(gen: Path, meta: dict | None = None) -> dict[str, dict]:
    """The generation's file table: file key -> sha1, stat, records, layout, problems. It lives in
    its own file (`files-<stamp>.marshal`, named by meta.json), so that opening the index for a query
    does not parse it; indexes made before keep it in meta.json itself."""
    meta = read_meta(gen) if meta is None else meta
    if isinstance(meta.get("files"), dict):
        return meta["files"]
    name = meta.get("file_table")
    if name is None:
        return {}
    path = gen / str(name)
    try:
        table = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError) as exc:
        raise IndexProblem(
            f"the index's file table {path} is missing or damaged ({exc}); "
            "rebuild with `esfsearch index --rebuild`"
        ) from exc
    if not isinstance(table, dict):
        raise IndexProblem(
            f"the index's file table {path} is damaged; rebuild with `esfsearch index --rebuild`"
        )
    return table


def _write_meta(gen: Path, meta: dict, files: dict[str, dict]) -> None:
    """The file table under a new name, then meta.json naming it (the commit point: a kill between
    the two leaves the previous pair), then the previous table removed."""
    name = f"{FILE_TABLE_PREFIX}{time.time_ns()}.marshal"
    write_atomic(gen / name, marshal.dumps(files))
    write_atomic(
        gen / META, json.dumps(dict(meta, file_table=name, file_count=len(files)), ensure_ascii=False)
    )
    for old in gen.glob(f"{FILE_TABLE_PREFIX}*.marshal"):
        if old.name != name:
            try:
                old.unlink()
            except OSError:
                pass


def open_whoosh(gen: Path):
    """Open a generation's Whoosh index, turning every low-level failure into an IndexProblem."""
    from whoosh import index as windex

    from .segment_files import read_segments_in_place

    read_segments_in_place()
    meta = read_meta(gen)
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise SchemaMismatch(
            Message(
                N_(
                    "the index was built by another version of esfsearch (schema {built}, this is "
                    "{schema}); rebuild with `esfsearch index --rebuild`"
                ),
                built=str(meta.get("schema_version")),
                schema=SCHEMA_VERSION,
            ),
            meta.get("schema_version"),
            meta.get("corpus"),
        )
    if meta.get("fields", fields_fingerprint()) != fields_fingerprint():  # indexes before 2026-11 have none
        raise SchemaMismatch(
            Message(
                N_(
                    "the index was built with other record fields than this esfsearch has; "
                    "rebuild with `esfsearch index --rebuild`"
                )
            ),
            meta.get("schema_version"),
            meta.get("corpus"),
            older=True,
        )
    try:
        return windex.open_dir(str(gen))
    except Exception as exc:  # Whoosh raises many types for damaged files
        raise IndexProblem(
            Message(
                N_("the index in {path} cannot be opened ({why}); rebuild with `esfsearch index --rebuild`"),
                path=str(gen),
                why=f"{type(exc).__name__}: {exc}",
            )
        ) from exc


# ---------------------------------------------------------------- locking


@contextmanager
def write_lock(root: Path, timeout: float = 10.0) -> Iterator[None]:
    """One writer at a time (locks.py: the lock dies with its process, and the build's writer processes
    let go of it at once), so a killed build leaves no stale lock."""
    try:
        with file_lock(root / LOCK, timeout):
            yield
    except LockTimeout as exc:
        raise IndexProblem(
            Message(
                N_(
                    "another esfsearch process is writing the index in {path} ({holder}; waited "
                    "{seconds:.0f} s); try again when it has finished"
                ),
                path=str(root),
                holder=exc.holder,
                seconds=timeout,
            )
        ) from None
    except LockUnavailable as exc:
        raise IndexProblem(
            Message(N_("cannot use {path} as the index directory: {why}"), path=str(root), why=exc.reason)
        ) from exc


# ---------------------------------------------------------------- corpus scanning


def file_digest(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def corpus_fingerprint(paths: list[Path]) -> dict[str, int]:
    """Directory mtimes: cheap to check on every query, and they change when files come or go."""
    out: dict[str, int] = {}
    for top in paths:
        if top.is_file():
            try:
                out[str(top.resolve())] = top.stat().st_mtime_ns
            except OSError:
                pass
            continue
        for dirpath, dirnames, _files in os.walk(top, followlinks=False):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            try:
                out[str(Path(dirpath).resolve())] = os.stat(dirpath).st_mtime_ns
            except OSError:
                pass
    return out


def is_stale(root: Path) -> bool:
    """True when the corpus directories changed since the live generation was built.

    The recorded directories are stat'ed, not the corpus walked again (a walk lists every file: 16 ms
    at 20 000 records, on every query): a directory that comes or goes changes its parent's mtime,
    so the walk could only find another set of directories where a recorded one changed."""
    gen = current_generation(root)
    if gen is None:
        return False
    meta = read_meta(gen)
    corpus = meta.get("corpus", [])
    if not corpus:
        return False
    recorded = meta.get("fingerprint", {})
    if not isinstance(recorded, dict) or not all(isinstance(top, str) for top in corpus):
        return True  # damaged metadata: an update writes it anew
    for top in corpus:  # a corpus path missing (or unreadable) at build time: walked as before
        if top not in recorded and corpus_fingerprint([Path(top)]):
            return True
    for path, mtime_ns in recorded.items():
        try:
            if os.stat(path).st_mtime_ns != mtime_ns:
                return True
        except OSError:
            return True  # gone (or unreadable: the next update will say which)
    return False


# ---------------------------------------------------------------- building

Progress = Callable[[str, int, int], None]  # (what, done, total)


def build_index(
    corpus: list[Path],
    root: Path,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = 10.0,
    procs: int | None = None,
) -> BuildSummary:
    """Bring the index at `root` in line with the files under `corpus` (see the module docstring)."""
    from .fast_writing import speed_up_writing
    from .segment_files import read_segments_in_place

    started = time.monotonic()
    corpus = [Path(p) for p in corpus]
    speed_up_writing()
    # a full build opens the index it wrote (write_columns) without open_whoosh: without this, Whoosh
    # copies every segment's files into memory there (290 MB at 20 000 records, in the parent)
    read_segments_in_place()
    with write_lock(root, lock_timeout):
        _remove_leftovers(root)
        gen = None if rebuild else _usable_generation(root, corpus)
        summary = None
        if gen is not None:
            try:
                summary = _incremental(corpus, root, gen, progress, procs)
            except (KeyboardInterrupt, SystemExit, MemoryError):
                raise
            except Exception:
                # The live generation is damaged in a way only writing reveals (a truncated or
                # missing segment file): build a complete new generation instead of failing.
                summary = None
        if summary is None:
            try:
                summary = _full(corpus, root, progress, procs)
            except OSError as exc:  # disk full, permissions: the previous generation is untouched
                raise IndexProblem(
                    Message(
                        N_("cannot write the index in {path}: {why}; the previous index is unchanged"),
                        path=str(root),
                        why=exc.strerror or str(exc),
                    )
                ) from exc
    summary.seconds = time.monotonic() - started
    return summary


def _usable_generation(root: Path, corpus: list[Path]) -> Path | None:
    try:
        gen = current_generation(root)
        if gen is None:
            return None
        ix = open_whoosh(gen)  # SchemaMismatch for another schema version or other registry fields
        try:
            with ix.reader() as reader:  # opens every segment file: a missing or truncated one fails here
                reader.doc_count()
        finally:
            ix.close()
        return gen
    except IndexProblem:
        return None  # damaged or old: rebuild from scratch
    except Exception:
        return None  # Whoosh raises assorted errors on damaged files


@dataclass
class _ScanState:
    """What a corpus scan learns besides the changed files."""

    unchanged: dict[str, dict] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    started_ns: int = field(default_factory=time.time_ns)


# A file's stat is trusted to say "unchanged" only when it was recorded well after the file last
# changed: file times come from a coarse clock (a few ms), so a file written again within the same
# tick as a write the scan saw would keep all its times. Such a "racy" entry is recorded without its
# ctime and the next scan reads and hashes the file (as git does with racily clean entries).
RACY_NS = 2_000_000_000


def _stat_info(st: os.stat_result, started_ns: int) -> dict:
    """What the file table keeps of a file's stat. The ctime changes on every write and cannot be
    set back (unlike the mtime, `touch -d`, `cp -p`), and a file replaced by another has another
    inode: with the size and mtime they make the stat-only check safe."""
    info = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}
    if max(st.st_ctime_ns, st.st_mtime_ns) < started_ns - RACY_NS:
        info["ctime_ns"] = st.st_ctime_ns
    return info


def stored(text: str) -> str | dict:
    """How a reported text is kept in the metadata: a Message as its data (worded again in the
    language of each run), other text as it is."""
    return text.data() if isinstance(text, Message) else text


def _problems_of(info: dict) -> list[tuple[str, str]]:
    """The problems kept for an unchanged file (plain English text in an index from before 2026-11)."""
    return [(message_from(where), message_from(reason)) for where, reason in info.get("problems", [])]


def _scan_iter(
    entries: list[FoundFile],
    known: dict[str, dict],
    progress: Progress | None,
    state: _ScanState,
    stage: str = "reading",
) -> Iterator[tuple[str, FileResult, dict]]:
    """Yield new and changed files one at a time, so that a full build never holds the whole
    corpus's records in memory; a large JSON export comes in several pieces (see ingest.read_pieces),
    each with the file's one `info`, complete once the last piece (`more` false) is yielded. A file
    whose stat (size, mtime, ctime, inode) is the one recorded is unchanged without being read; any
    other known file is hashed, and only a new hash reads it."""
    from .ingest import read_pieces

    seen, unchanged, total = state.seen, state.unchanged, len(entries)  # this loop runs per file
    for n, (name, root, problem, st, key) in enumerate(entries, 1):
        if progress:
            progress(stage, n, total)
        if problem or key is None:
            state.problems.append((str(Path(name)), problem or "cannot read"))
            continue
        if key in seen:
            continue
        seen.add(key)
        path = None
        if st is None:
            path = Path(name)
            try:
                st = path.stat()
            except OSError as exc:
                state.problems.append((str(path), Message(N_("cannot read: {why}"), why=exc.strerror)))
                continue
        old = known.get(key)
        if (
            old
            and old.get("ctime_ns") == st.st_ctime_ns
            and old.get("mtime_ns") == st.st_mtime_ns
            and old.get("size") == st.st_size
            and old.get("ino") == st.st_ino
        ):  # the file the table describes (no ctime recorded: never); inline, for every file
            unchanged[key] = old
            if "problems" in old:
                state.problems.extend(_problems_of(old))  # still reported on every run
            continue
        path = path or Path(name)
        try:
            digest = file_digest(path)
        except OSError as exc:
            state.problems.append((str(path), Message(N_("cannot read: {why}"), why=exc.strerror)))
            continue
        if old and old.get("sha1") == digest:
            kept = {k: v for k, v in old.items() if k != "ctime_ns"}
            state.unchanged[key] = dict(kept, **_stat_info(st, state.started_ns))
            state.problems.extend(_problems_of(old))
            continue
        info: dict = {"sha1": digest, **_stat_info(st, state.started_ns), "records": 0, "hashes": []}
        for result in read_pieces(path, root):
            if result.ignored:
                state.ignored.append((result.path, result.problem or ""))
                break
            file_problems = [(result.path, result.problem)] if result.problem else []
            file_problems += [(p.where, p.reason) for p in result.record_problems]
            state.problems.extend(file_problems)
            info["records"] += len(result.records)
            info["layout"] = result.layout
            info["hashes"] += [r.content_hash for r in result.records]
            if file_problems:
                info.setdefault("problems", []).extend(
                    [stored(where), stored(reason)] for where, reason in file_problems
                )
            yield key, result, info


def _scan_corpus(
    corpus: list[Path], known: dict[str, dict], progress: Progress | None, times: dict[str, int]
) -> tuple[
    list[tuple[str, FileResult, dict]],
    dict[str, dict],
    list[str],
    list[tuple[str, str]],
    list[tuple[str, str]],
]:
    """Read new and changed files. Returns (changed, unchanged_meta, removed_file_keys, problems, ignored);
    `times` gets the corpus directories' mtimes as the scan found them (see scan_files)."""
    from .ingest import scan_files

    state = _ScanState()
    entries = list(scan_files(corpus, times))
    changed: list[tuple[str, FileResult, dict]] = []
    for key, result, info in _scan_iter(entries, known, progress, state):
        if changed and result.first:  # the next piece of the last file
            changed[-1][1].extend(result)
        else:
            changed.append((key, result, info))
    removed = [k for k in known if k not in state.seen]
    return changed, state.unchanged, removed, state.problems, state.ignored


# ---------------------------------------------------------------- one document per project
#
# Records that state the same project id are one document, keyed "id:<ID>", merged by
# esfsearch.merge; a record without a stated id is a document of its own, keyed "<file>#<n>". The
# document's `file` field holds every contributing file, and its stored `merged_from` the contributing
# records (only their positions when there is one: the stored record is then that record), so that a
# changed or removed file re-derives each affected project from the other files' records.


def _project_document(key: str, parts: list[Part]) -> tuple[dict, list[dict]]:
    """The index document of one project and its conflicts (as BuildSummary holds them)."""
    from .merge import merge

    record, conflicts = merge(parts)
    files = list(dict.fromkeys(p.file for p in parts))
    doc = record_document(record, key, VALUE_SEP.join(files))
    if len(parts) == 1:
        stored = [{"file": parts[0].file, "n": parts[0].n, "mtime_ns": parts[0].mtime_ns}]
    else:
        stored = [p.to_dict() for p in parts]
    doc["merged_from"] = json.dumps(stored, ensure_ascii=False)
    return doc, [c.to_dict() for c in conflicts]


def _stored_parts(fields: dict) -> list[Part]:
    """The records a stored project document was made from."""
    from .merge import Part

    try:
        stored = json.loads(fields.get("merged_from") or "[]")
    except ValueError:
        stored = []
    if len(stored) == 1 and "record" not in stored[0]:
        from .records import ProjectRecord

        record = ProjectRecord.from_dict(json.loads(fields["record"]))
        record.sources, record.origins, record.conflicts = [], {}, []
        return [
            Part(
                stored[0]["file"], int(stored[0]["n"]), int(stored[0].get("mtime_ns") or 0), record.finalise()
            )
        ]
    return [Part.from_dict(d) for d in stored if isinstance(d, dict) and "record" in d]


def _conflict_key(conflict: dict) -> str:
    from .merge import normalise_id

    return "id:" + normalise_id(str(conflict.get("id", "")))


def _add_project(writer, key: str, parts: list[Part], summary: BuildSummary) -> None:
    doc, conflicts = _project_document(key, parts)
    writer.add_document(**doc)
    summary.conflicts.extend(conflicts)
    summary.new_keys.append(key)
    summary.added += 1


def _parts_of(file_key: str, result: FileResult, info: dict) -> Iterator[Part]:
    from .merge import Part

    for n, record in enumerate(result.records, result.first):
        yield Part(file_key, n, int(info.get("mtime_ns") or 0), record)


def _full(corpus: list[Path], root: Path, progress: Progress | None, procs: int | None) -> BuildSummary:
    from whoosh import index as windex

    from . import fast_writing
    from .columns import write_columns
    from .ingest import scan_files
    from .merge import PartSpill, part_key, project_key

    summary = BuildSummary(rebuilt=True)
    state = _ScanState()
    entries = list(scan_files(corpus))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    gen = root / f"gen-{stamp}"
    tmp = root / f".building-{stamp}-{os.getpid()}"
    tmp.mkdir(parents=True)
    writer = None
    try:
        ix = windex.create_in(str(tmp), build_schema())
        fast_writing.SUBWORD_DUMPS[:] = [str(tmp)]  # before the writer processes fork
        fast_writing.COLUMNS_GEN[:] = [str(tmp)]  # the flush writes each segment's columns
        writer = _writer(ix, procs, _estimated_records(entries))
        total = len(entries)
        files: dict[str, dict] = {}
        with PartSpill(tmp) as spill:  # records with a project id wait here for the project's others
            for key, result, info in _scan_iter(entries, {}, progress, state, stage="indexing"):
                for part in _parts_of(key, result, info):
                    pkey = project_key(part.record)
                    if pkey is None:
                        _add_project(writer, part_key(part), [part], summary)
                    else:
                        spill.add(pkey, part)
                files[key] = info
                summary.files_added += not result.more
            for pkey, parts in spill.groups():
                _add_project(writer, pkey, parts, summary)
        summary.skipped, summary.ignored = state.problems, state.ignored
        if progress:
            progress("committing", total, total)
        writer.commit()
        _gather_subword_tables(tmp)
        summary.records = ix.doc_count()
        if summary.records != summary.added:  # a writer process ended without handing over its segments
            raise IndexProblem(
                Message(
                    N_(
                        "the build wrote {written} of its {sent} records (a writer process failed); "
                        "the previous index is unchanged"
                    ),
                    written=summary.records,
                    sent=summary.added,
                )
            )
        write_columns(tmp, ix)  # part of the generation: written before it can become live
        ix.close()
        _write_meta(tmp, _meta(corpus, summary), files)
        os.replace(tmp, gen)
    except BaseException:
        _stop_writer_processes(writer)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        fast_writing.SUBWORD_DUMPS.clear()
        fast_writing.COLUMNS_GEN.clear()
    try:
        previous = current_generation(root)
    except IndexProblem:
        previous = None  # CURRENT garbled or naming a missing generation: the new one replaces it
    write_atomic(root / CURRENT, gen.name)
    _prune(root, keep={gen.name, previous.name if previous else ""})
    return summary


def _gather_subword_tables(folder: Path) -> None:
    """The generation's subword table (analysis.SUBWORD_TABLE): the splitter's answers of every
    process that wrote a segment of it, so that updates need not load the splitter for known words."""
    from .analysis import SUBWORD_TABLE, load_subword_table, subword_table

    for part in sorted(folder.glob(".subwords-*.part")):
        load_subword_table(part)
        part.unlink()
    write_atomic(folder / SUBWORD_TABLE, subword_table())


def _estimated_records(entries: list) -> int:
    """About how many records the files hold (a project text is a few kB), to choose the writer."""
    size = 0
    for entry in entries:
        path, _root, problem = entry[:3]
        if not problem:
            st = entry[3] if len(entry) > 3 else None
            try:
                size += (st or os.stat(path)).st_size
            except OSError:
                pass
    return size // 2500


def _stop_writer_processes(writer) -> None:
    """A failed or interrupted multiprocess build: its writer processes wait on a queue that will
    never be fed; stop them (quietly: SIGTERM) so that the parent can exit without waiting."""
    tasks = getattr(writer, "tasks", None)
    if not tasks:
        return
    for task in tasks:
        try:
            task.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    for task in tasks:
        try:
            task.join(5)
        except (OSError, ValueError, AssertionError):
            pass
    for q in (getattr(writer, "jobqueue", None), getattr(writer, "resultqueue", None)):
        if q is not None:
            q.cancel_join_thread()  # nobody will read what is still buffered


def _writer(ix, procs: int | None, n_docs: int):
    """Several processes pay off only for large builds (each child re-creates the analysis caches).
    Each process buffers up to `limitmb` of postings (Python objects cost several times that) and
    flushes a segment every SEGMENT_DOCS documents, so a build's peak memory stays bounded whatever
    its size."""
    from .fast_writing import SEGMENT_DOCS, segmented_writer

    if procs is None:
        procs = min(os.cpu_count() or 1, 4) if n_docs >= 5000 else 1
    if procs > 1:
        return segmented_writer(ix, procs, SEGMENT_DOCS, limitmb=96)
    return ix.writer(limitmb=128)


def _incremental(
    corpus: list[Path], root: Path, gen: Path, progress: Progress | None, procs: int | None
) -> BuildSummary:
    from . import fast_writing
    from .analysis import SUBWORD_TABLE, load_subword_table, subword_table, words_split
    from .columns import write_columns

    summary = BuildSummary()
    meta = read_meta(gen)
    known = file_table(gen, meta)
    fingerprint: dict[str, int] = {}
    changed, unchanged, removed, summary.skipped, summary.ignored = _scan_corpus(
        corpus, known, progress, fingerprint
    )
    summary.files_unchanged = len(unchanged)
    files = dict(unchanged)
    summary.conflicts = list(meta.get("conflicts", []))
    ix = open_whoosh(gen)
    try:
        if changed or removed:
            affected, old_hashes = _affected_projects(ix, changed, removed)
            summary.unchanged = ix.doc_count() - len(old_hashes)
            summary.files_removed = len(removed)
            for key, _result, info in changed:
                if key in known:
                    summary.files_updated += 1
                else:
                    summary.files_added += 1
                files[key] = info
            summary.conflicts = [c for c in summary.conflicts if _conflict_key(c) not in affected]
            table = gen / SUBWORD_TABLE
            have_table = any(affected.values()) and load_subword_table(table)
            split_before = words_split()
            writer = ix.writer(limitmb=256)
            fast_writing.COLUMNS_GEN[:] = [str(gen)]  # the new (or merged) segment's columns
            try:
                for n, (pkey, parts) in enumerate(affected.items(), 1):
                    if progress:
                        progress("indexing", n, len(affected))
                    writer.delete_by_term("key", pkey)
                    old = old_hashes.get(pkey)
                    if not parts:
                        summary.removed += old is not None
                        continue
                    doc, conflicts = _project_document(pkey, parts)
                    writer.add_document(**doc)
                    summary.conflicts.extend(conflicts)
                    new = json.loads(doc["record"]).get("content_hash")
                    if old == new:
                        summary.unchanged += 1
                        continue
                    summary.new_keys.append(pkey)
                    if old is None:
                        summary.added += 1
                    else:
                        summary.updated += 1
                writer.commit(optimize=False)
            except BaseException:
                writer.cancel()
                raise
            finally:
                fast_writing.COLUMNS_GEN.clear()
            if words_split() > split_before or (any(affected.values()) and not have_table):
                write_atomic(table, subword_table())  # the new words, for the next update
        else:
            summary.unchanged = ix.doc_count()
        # new segments get their columnar files; missing or damaged ones are rewritten
        write_columns(gen, ix)
        summary.records = ix.doc_count()
    finally:
        ix.close()
    _write_meta(gen, _meta(corpus, summary, fingerprint), files)
    return summary


def _affected_projects(
    ix, changed: list[tuple[str, FileResult, dict]], removed: list[str]
) -> tuple[dict[str, list[Part]], dict[str, str | None]]:
    """Every project a changed or removed file contributes to, now or before, with the parts it keeps
    from the other files plus the changed files' new records; and the old content hash of each
    project that is in the index. A file that is not in the metadata but already in the index (a run
    killed between its commit and its metadata write) is handled like a changed one."""
    from .merge import part_key

    stale = set(removed) | {key for key, _r, _i in changed}
    affected: dict[str, list[Part]] = {}
    old_hashes: dict[str, str | None] = {}

    def load(fields: dict) -> None:
        pkey = fields["key"]
        if pkey in affected:
            return
        try:
            old_hashes[pkey] = json.loads(fields["record"]).get("content_hash")
        except (ValueError, KeyError):
            old_hashes[pkey] = None
        affected[pkey] = [p for p in _stored_parts(fields) if p.file not in stale]

    with ix.searcher() as searcher:
        for file_key in sorted(stale):
            for fields in searcher.documents(file=file_key):
                load(fields)
        for file_key, result, info in changed:
            for part in _parts_of(file_key, result, info):
                pkey = part_key(part)
                if pkey not in affected:
                    fields = searcher.document(key=pkey)
                    if fields is not None:
                        load(fields)
                    else:
                        affected[pkey] = []
                affected[pkey].append(part)
    return affected, old_hashes


def _meta(corpus: list[Path], summary: BuildSummary, fingerprint: dict[str, int] | None = None) -> dict:
    """`fingerprint`: the corpus directories' mtimes as the scan found them (else read now)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "fields": fields_fingerprint(),
        "corpus": [str(p.resolve()) for p in corpus],
        "fingerprint": corpus_fingerprint(corpus) if fingerprint is None else fingerprint,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": summary.records,
        "skipped": [[str(p), str(r)] for p, r in summary.skipped],
        "conflicts": summary.conflicts,
    }


def _remove_leftovers(root: Path) -> None:
    """Called with the write lock held: any `.building-*` dir or `*.tmp` file is from a killed build."""
    for child in root.iterdir():
        if child.name.startswith(".building-"):
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.endswith(".tmp") and child.is_file():
            try:
                child.unlink()
            except OSError:
                pass


def _prune(root: Path, keep: set[str]) -> None:
    """Drop older generations; the previous one stays for readers that still have it open."""
    for child in root.iterdir():
        if child.name.startswith("gen-") and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(".building-"):
            # left by a killed build; only remove if no live process owns it
            pid = child.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(child, ignore_errors=True)
