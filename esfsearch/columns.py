"""Columnar copies of each Whoosh segment's postings, written beside the segment, for fastpath.py.

Whoosh stays the index of record: these files are derived from a committed segment through its
reader, so they hold exactly what Whoosh would score. Layout, per segment:

  <generation>/columns/<segment id>/
    <field>.terms.npy   the field's terms (Whoosh's bytes), sorted, fixed width: np.searchsorted is
                        the term dictionary, nothing is parsed when it opens
    <field>.offs.npy    int64, len(terms)+1: term i's postings are ids[offs[i]:offs[i+1]]
    <field>.ids.npy     int32 segment-local document numbers
    <field>.w.npy       float32 posting weights (frequency x field boost, as Whoosh stores them)
    <field>.len.npy     uint8 per document: Whoosh's quantised field length byte (scorable fields)
    <field>.num.npy     uint64 per document: the sortable column value of a numeric field
    <field>.has.npy     bool per document: the document has a value (numeric fields)
    manifest.json       written last: document count and every file's size

A segment's directory is built under a temporary name and renamed into place, so it is either
complete or absent. Deletions are not stored here: they are read from Whoosh's own segment info,
so deleting documents never requires rewriting these files.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

COLUMNS = "columns"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
SKIP_FIELDS = frozenset({"spell", "key", "file"})   # never queried by the fast path


class ColumnsUnavailable(Exception):
    """The columnar files of a segment are missing or damaged; `reason` says which and how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def segment_id(segreader) -> str:
    return segreader.segment().segment_id()


def leaf_readers(reader) -> list[tuple[object, int]]:
    """[(segment reader, global offset of its first document)] in Whoosh's document order."""
    return list(reader.leaf_readers())


# ---------------------------------------------------------------- writing

def _postings_arrays(matcher):
    """(ids, weights) of one term's postings, read a block at a time where the codec allows."""
    import numpy as np
    from whoosh.codec.whoosh3 import W3LeafMatcher

    if isinstance(matcher, W3LeafMatcher):
        ids, ws = [], []
        while True:
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int32))
            ws.append(np.asarray(matcher._weights, dtype=np.float32))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        return np.concatenate(ids), np.concatenate(ws)
    ids, ws = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        ws.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(ws, dtype=np.float32)


def _save(folder: Path, name: str, array, sizes: dict[str, int]) -> None:
    import numpy as np

    path = folder / name
    with open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    sizes[name] = path.stat().st_size


def _write_segment(segreader, schema, folder: Path) -> None:
    import numpy as np
    from whoosh.fields import NUMERIC

    folder.mkdir(parents=True)
    sizes: dict[str, int] = {}
    ndocs = segreader.doc_count_all()
    indexed = set(segreader.indexed_field_names())
    for name, fieldobj in schema.items():
        if name in SKIP_FIELDS or not fieldobj.indexed:
            continue
        if isinstance(fieldobj, NUMERIC):
            if fieldobj.column_type is None:
                continue
            creader = segreader.column_reader(name, translate=False)
            _save(folder, f"{name}.num.npy", np.fromiter(creader, dtype=np.uint64, count=ndocs), sizes)
            has = np.zeros(ndocs, dtype=bool)
            if name in indexed:
                terms = list(segreader.lexicon(name))
                if terms:
                    coarsest = max(t[0] for t in terms)   # the top tier's terms cover every valued document
                    for t in terms:
                        if t[0] == coarsest:
                            ids, _w = _postings_arrays(segreader.postings(name, t))
                            has[ids] = True
            _save(folder, f"{name}.has.npy", has, sizes)
            continue
        terms, offs, ids_parts, w_parts = [], [0], [], []
        if name in indexed:
            for term, _info in segreader.iter_field(name):
                ids, ws = _postings_arrays(segreader.postings(name, term))
                terms.append(term)
                ids_parts.append(ids)
                w_parts.append(ws)
                offs.append(offs[-1] + len(ids))
        width = max((len(t) for t in terms), default=1)
        _save(folder, f"{name}.terms.npy", np.array(terms, dtype=f"S{width}"), sizes)
        _save(folder, f"{name}.offs.npy", np.array(offs, dtype=np.int64), sizes)
        _save(folder, f"{name}.ids.npy",
              np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int32), sizes)
        _save(folder, f"{name}.w.npy",
              np.concatenate(w_parts) if w_parts else np.zeros(0, np.float32), sizes)
        if fieldobj.scorable:
            lengths = np.zeros(ndocs, dtype=np.uint8)
            if name in indexed:
                creader = _length_bytes(segreader, name)
                if creader is not None:
                    lengths = np.fromiter(creader, dtype=np.uint8, count=ndocs)
            _save(folder, f"{name}.len.npy", lengths, sizes)
    manifest = {"version": FORMAT_VERSION, "segment": segment_id(segreader), "doc_count_all": ndocs,
                "files": sizes}
    with open(folder / MANIFEST, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh)
        fh.flush()
        os.fsync(fh.fileno())


def _length_bytes(segreader, fieldname):
    """Whoosh's per-document length bytes of a field (the column its scorer reads), or None."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    return segreader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)


def check_segment(folder: Path, doc_count_all: int) -> dict:
    """The segment's manifest, once every file it names exists with the size it names."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ColumnsUnavailable(f"the columnar files in {folder} are missing") from None
    except (OSError, ValueError) as exc:
        raise ColumnsUnavailable(f"the columnar manifest in {folder} is damaged ({exc})") from None
    if (not isinstance(manifest, dict) or manifest.get("version") != FORMAT_VERSION
            or manifest.get("doc_count_all") != doc_count_all or not isinstance(manifest.get("files"), dict)):
        raise ColumnsUnavailable(f"the columnar manifest in {folder} does not match its segment")
    for name, size in manifest["files"].items():
        try:
            actual = (folder / name).stat().st_size
        except OSError:
            raise ColumnsUnavailable(f"the columnar file {folder / name} is missing") from None
        if actual != size:
            raise ColumnsUnavailable(f"the columnar file {folder / name} is damaged "
                                     f"({actual} bytes, {size} expected)")
    return manifest


def write_columns(gen: Path, ix) -> None:
    """Give every segment of the committed index in `gen` a complete columns directory, and drop
    the directories of segments that merges removed. Called by the builder before the generation
    (or its new commit) is relied on; segments that already have valid files are left alone, so an
    incremental update writes only its new small segment."""
    root = Path(gen) / COLUMNS
    root.mkdir(exist_ok=True)
    live: set[str] = set()
    with ix.reader() as reader:
        schema = ix.schema
        for segreader, _offset in leaf_readers(reader):
            sid = segment_id(segreader)
            live.add(sid)
            folder = root / sid
            try:
                check_segment(folder, segreader.doc_count_all())
                continue
            except ColumnsUnavailable:
                pass
            tmp = root / f".tmp-{sid}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                _write_segment(segreader, schema, tmp)
                shutil.rmtree(folder, ignore_errors=True)
                os.replace(tmp, folder)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    for child in root.iterdir():
        if child.name not in live:
            shutil.rmtree(child, ignore_errors=True)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- reading

class SegmentColumns:
    """One segment's columnar files, memory-mapped field by field on first use."""

    def __init__(self, folder: Path, doc_count_all: int) -> None:
        self.folder = folder
        self.doc_count_all = doc_count_all
        self.files = check_segment(folder, doc_count_all)["files"]
        self._arrays: dict[str, object] = {}

    def array(self, name: str):
        """`<field>.<kind>` as a read-only array; a field this segment never saw reads as absent."""
        arr = self._arrays.get(name)
        if arr is None:
            import numpy as np

            fname = f"{name}.npy"
            if fname not in self.files:
                raise ColumnsUnavailable(f"the columnar files in {self.folder} have no {name}")
            try:
                arr = np.load(self.folder / fname, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise ColumnsUnavailable(f"the columnar file {self.folder / fname} is damaged ({exc})") from None
            self._arrays[name] = arr
        return arr

    def has(self, name: str) -> bool:
        return f"{name}.npy" in self.files
