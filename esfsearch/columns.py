"""Columnar copies of each Whoosh segment's postings, written beside the segment, for fastpath.py.

Whoosh stays the index of record: these arrays are derived from a committed segment, so they hold
exactly what Whoosh scores. Per segment:

  <generation>/columns/<segment id>/
    arrays.bin      every array below, raw, at 64-byte-aligned offsets (one file: one fsync to
                    write, one mmap to open)
    manifest.json   written last: document count, arrays.bin's size, each array's offset, dtype
                    and length
  Arrays, per field:
    <field>.terms   the field's terms (Whoosh's bytes), sorted, fixed width: np.searchsorted is the
                    term dictionary, nothing is parsed when it opens
    <field>.offs    int64, len(terms)+1: term i's postings are ids[offs[i]:offs[i+1]]
    <field>.ids     int32 segment-local document numbers
    <field>.w       float32 posting weights (frequency x field boost, as Whoosh stores them)
    <field>.len     uint8 per document: Whoosh's quantised field length byte (scorable fields)
  Positions, for fields whose format has them (phrases and proximity; fastpath.Executor._phrase):
    <field>.pos     the positions of every posting, in posting order, each posting's ascending,
                    absolute (not delta-coded: a phrase check gathers them without a cumsum);
                    uint16, or int32 when a position passes 65 535
    <field>.pcnt    positions per posting (the term's frequency in the document): uint8, or
                    uint16/uint32 when one passes 255/65 535
    <field>.ptoffs  uint32 (int64 past 2**32 positions), len(terms)+1: term i's positions start at
                    pos[ptoffs[i]]; within the term, posting j's run starts after the pcnt of
                    the postings before it (a cumsum over the term's postings only). Per-posting
                    counts plus per-term offsets cost ~1 byte a posting, not 4-8 for offsets.
    <field>.num     uint64 per document: the sortable column value of a numeric field
    <field>.has     bool per document: the document has a value (numeric fields)

A segment's directory is built under a temporary name and renamed into place, so it is either
complete or absent. Deletions are not stored here: they are read from Whoosh's own segment info,
so deleting documents never requires rewriting these files.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import struct
import zlib
from itertools import chain
from pathlib import Path
from typing import Any

COLUMNS = "columns"
MANIFEST = "manifest.json"
DATA = "arrays.bin"
FORMAT_VERSION = 3  # 3: positions (.pos/.pcnt/.ptoffs) of the fields that have them
SKIP_FIELDS = frozenset({"spell", "key", "file"})  # never queried by the fast path
_INT = struct.Struct("!i")


class ColumnsUnavailable(Exception):
    """The columnar files of a segment are missing or damaged; `reason` says which and how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def segment_id(segreader) -> str:
    return segreader.segment().segment_id()


def leaf_readers(reader) -> list[tuple[Any, int]]:
    """[(segment reader, global offset of its first document)] in Whoosh's document order."""
    return list(reader.leaf_readers())


# ---------------------------------------------------------------- writing


def _block_postings(postfile, terminfo, values: list | None = None):
    """(ids, weights) of one term, parsed straight from Whoosh 3's postings blocks: going through
    W3LeafMatcher costs several times more (it unpickles each block header from the file a byte at
    a time). Deleted documents are included, as in Whoosh's document frequencies. `values`: a list
    the postings' values (Whoosh's encoded positions) are appended to, in posting order."""
    import numpy as np

    if terminfo.is_inlined():
        ids, weights, inlined = terminfo.inlined_postings()
        if values is not None:
            values.extend(inlined)
        return np.asarray(ids, dtype=np.int32), _weights(weights, len(ids))
    offset, _length = terminfo.extent()
    pos = offset + 4  # after the b"W3Bl" header tag
    id_parts, w_parts = [], []
    while True:
        head = postfile.get(pos, 4 + 256)
        length = _INT.unpack_from(head)[0]
        following = pos + 4 + abs(length)
        bio = io.BytesIO(head[4:])
        blocklength, _maxid, _maxweight, compression, _mn, _mx = pickle.Unpickler(bio).load()
        dataoffset = pos + 4 + bio.tell()
        data = postfile.get(dataoffset, following - dataoffset)
        if compression:
            data = zlib.decompress(data)
        block = pickle.loads(data)
        id_parts.append(np.cumsum(np.asarray(block[0], dtype=np.int64)))  # stored as deltas
        w_parts.append(_weights(block[1], blocklength))
        if values is not None:
            values.extend(block[2])
        if length < 0:  # the last block
            break
        pos = following
    ids = np.concatenate(id_parts) if len(id_parts) > 1 else id_parts[0]
    return ids.astype(np.int32), (np.concatenate(w_parts) if len(w_parts) > 1 else w_parts[0])


def _weights(weights, n: int):
    import numpy as np

    if weights is None:
        return np.ones(n, dtype=np.float32)
    if isinstance(weights, (int, float)):
        return np.full(n, weights, dtype=np.float32)
    return np.asarray(weights, dtype=np.float32)


class _Positions:
    """A field's positions, gathered from its postings' values (Whoosh's `Positions` format: a
    4-byte count, then the pickled list of position deltas) in posting order. Values are decoded a
    batch at a time by one pickle.loads of their concatenated bodies (a list of lists), not one
    call per posting."""

    BATCH = 1 << 15

    def __init__(self, fmt) -> None:
        self.fmt = fmt
        self.values: list[bytes] = []
        self.pos_parts: list = []  # int32 positions per batch
        self.len_parts: list = []  # positions per posting, per batch

    def add(self, values: list[bytes]) -> None:
        self.values.extend(values)
        if len(self.values) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        import numpy as np

        values, self.values = self.values, []
        if not values:
            return
        lists = _decode_batch(values)
        if lists is None:  # not the layout _decode_batch knows: Whoosh's own decoder, one by one
            positions = [self.fmt.decode_positions(v) for v in values]
            lens = np.fromiter(map(len, positions), dtype=np.int64, count=len(values))
            flat = np.fromiter(chain.from_iterable(positions), dtype=np.int64, count=int(lens.sum()))
            self._keep(flat, lens)
            return
        lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lens.sum()))
        # positions = running sum of each posting's deltas
        total = np.cumsum(deltas)
        starts = np.cumsum(lens) - lens
        nonempty = lens > 0
        base = np.zeros(len(lens), dtype=np.int64)
        base[nonempty] = total[starts[nonempty]] - deltas[starts[nonempty]]
        self._keep(total - np.repeat(base, lens), lens)

    def _keep(self, positions, lens) -> None:
        """A batch's arrays, narrowed at once (int32): a large field's batches wait for arrays()."""
        import numpy as np

        if len(positions) and (positions.min() < 0 or positions.max() >= 2**31):
            raise ValueError("a position outside 0..2**31")
        self.pos_parts.append(positions.astype(np.int32))
        self.len_parts.append(lens.astype(np.int32))

    def arrays(self, offs: list[int]):
        """(pos, pcnt, ptoffs) with the narrowest dtypes that hold them; `offs`: the field's
        per-term posting offsets."""
        import numpy as np

        self._flush()
        lens = np.concatenate(self.len_parts) if self.len_parts else np.zeros(0, np.int32)
        pos = np.concatenate(self.pos_parts) if self.pos_parts else np.zeros(0, np.int32)
        if len(lens) != offs[-1]:
            raise ValueError(f"{len(lens)} position lists for {offs[-1]} postings")
        cum = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, dtype=np.int64, out=cum[1:])
        ptoffs = cum[np.asarray(offs, dtype=np.int64)]
        if ptoffs[-1] < 2**32:
            ptoffs = ptoffs.astype(np.uint32)
        top = int(lens.max()) if len(lens) else 0
        pcnt = lens.astype(np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.uint32)
        pos = pos.astype(np.uint16 if not len(pos) or pos.max() < 2**16 else np.int32)
        return pos, pcnt, ptoffs


_PROTO2 = b"\x80\x02"


def _decode_batch(values: list[bytes]) -> list[list[int]] | None:
    """The delta lists of many `Positions` values with one pickle.loads: each value's pickle body
    (after the 4-byte count, without the protocol header and the STOP that Whoosh may strip) is one
    list on the stack, and MARK ... LIST gathers them. The bodies are cut out of the joined values
    with a numpy byte mask, not value by value. None when a value does not look like that or the
    counts do not add up (the caller then decodes one by one)."""
    import numpy as np

    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if not len(sizes) or sizes.min() < 7:
        return None
    raw = np.frombuffer(b"".join(values), dtype=np.uint8)
    starts = np.cumsum(sizes) - sizes
    if not ((raw[starts + 4] == 0x80).all() and (raw[starts + 5] == 0x02).all()):
        return None
    keep = np.ones(len(raw), dtype=bool)
    keep[(starts[:, None] + np.arange(6)).ravel()] = False  # count and protocol header
    last = starts + sizes - 1
    keep[last[raw[last] == ord(".")]] = False  # STOP, where Whoosh kept it
    try:
        lists = pickle.loads(_PROTO2 + b"(" + raw[keep].tobytes() + b"l.")
    except Exception:
        return None
    if not isinstance(lists, list) or len(lists) != len(values):
        return None
    try:
        got = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    except TypeError:
        return None
    counts = raw[(starts[:, None] + np.arange(4)).ravel()].reshape(-1, 4).astype(np.int64)
    expected = (counts[:, 0] << 24) | (counts[:, 1] << 16) | (counts[:, 2] << 8) | counts[:, 3]
    if not np.array_equal(got, expected):  # pack_uint: big-endian
        return None
    return lists


def _length_bytes(segreader, fieldname):
    """Whoosh's per-document length bytes of a field (the column its scorer reads), or None."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    return segreader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)


class _Pack:
    """Arrays appended to one file at 64-byte-aligned offsets; `entries` says where each is."""

    def __init__(self, path: Path) -> None:
        self.fh = open(path, "wb")
        self.entries: dict[str, list] = {}

    def add(self, name: str, array) -> None:
        import numpy as np

        array = np.ascontiguousarray(array)
        self.fh.write(b"\0" * (-self.fh.tell() % 64))
        self.entries[name] = [self.fh.tell(), array.dtype.str, len(array)]
        self.fh.write(array.tobytes())

    def close(self) -> int:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        size = self.fh.tell()
        self.fh.close()
        return size


def _write_segment(segreader, schema, folder: Path) -> None:
    import numpy as np
    from whoosh.fields import NUMERIC

    folder.mkdir(parents=True)
    pack = _Pack(folder / DATA)
    ndocs = segreader.doc_count_all()
    indexed = set(segreader.indexed_field_names())
    postfile = segreader._terms._postfile
    try:
        for name, fieldobj in schema.items():
            if name in SKIP_FIELDS or not fieldobj.indexed:
                continue
            if isinstance(fieldobj, NUMERIC):
                if fieldobj.column_type is None:
                    continue
                creader = segreader.column_reader(name, translate=False)
                pack.add(f"{name}.num", np.fromiter(creader, dtype=np.uint64, count=ndocs))
                has = np.zeros(ndocs, dtype=bool)
                infos = list(segreader.iter_field(name, b"")) if name in indexed else []
                if infos:
                    coarsest = max(
                        t[0] for t, _i in infos
                    )  # the top tier's terms cover every valued document
                    for t, info in infos:
                        if t[0] == coarsest:
                            has[_block_postings(postfile, info)[0]] = True
                pack.add(f"{name}.has", has)
                continue
            terms, offs, ids_parts, w_parts = [], [0], [], []
            positions = _Positions(fieldobj.format) if _has_positions(fieldobj) else None
            if name in indexed:
                values: list | None = [] if positions is not None else None
                for term, info in segreader.iter_field(name):
                    ids, ws = _block_postings(postfile, info, values)
                    terms.append(term)
                    ids_parts.append(ids)
                    w_parts.append(ws)
                    offs.append(offs[-1] + len(ids))
                    if positions is not None and values:
                        positions.add(values)
                        values.clear()
            if positions is not None:
                pos, pcnt, ptoffs = positions.arrays(offs)
                pack.add(f"{name}.pos", pos)
                pack.add(f"{name}.pcnt", pcnt)
                pack.add(f"{name}.ptoffs", ptoffs)
            width = max((len(t) for t in terms), default=1)
            pack.add(f"{name}.terms", np.array(terms, dtype=f"S{width}"))
            pack.add(f"{name}.offs", np.array(offs, dtype=np.int64))
            pack.add(f"{name}.ids", np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int32))
            pack.add(f"{name}.w", np.concatenate(w_parts) if w_parts else np.zeros(0, np.float32))
            if fieldobj.scorable:
                creader = _length_bytes(segreader, name) if name in indexed else None
                lengths = (
                    np.fromiter(creader, dtype=np.uint8, count=ndocs)
                    if creader is not None
                    else np.zeros(ndocs, dtype=np.uint8)
                )
                pack.add(f"{name}.len", lengths)
    finally:
        size = pack.close()
    manifest = {
        "version": FORMAT_VERSION,
        "segment": segment_id(segreader),
        "doc_count_all": ndocs,
        "size": size,
        "arrays": pack.entries,
    }
    with open(folder / MANIFEST, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh)
        fh.flush()
        os.fsync(fh.fileno())


def _has_positions(fieldobj) -> bool:
    fmt = getattr(fieldobj, "format", None)
    return fmt is not None and bool(fmt.supports("positions"))


def required_arrays(schema) -> tuple[str, ...]:
    """Arrays a segment's manifest must name for this schema beyond what any manifest names: the
    positions of every field that has them (a manifest without them is damaged, not older)."""
    return tuple(
        f"{name}.{kind}"
        for name, fieldobj in schema.items()
        if name not in SKIP_FIELDS and fieldobj.indexed and _has_positions(fieldobj)
        for kind in ("pos", "pcnt", "ptoffs")
    )


def check_segment(folder: Path, doc_count_all: int, required: tuple[str, ...] = ()) -> dict:
    """The segment's manifest, once it matches the segment, names the `required` arrays and
    arrays.bin has the size it names."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ColumnsUnavailable(f"the columnar files in {folder} are missing") from None
    except (OSError, ValueError) as exc:
        raise ColumnsUnavailable(f"the columnar manifest in {folder} is damaged ({exc})") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("version") != FORMAT_VERSION
        or manifest.get("doc_count_all") != doc_count_all
        or not isinstance(manifest.get("arrays"), dict)
    ):
        raise ColumnsUnavailable(f"the columnar manifest in {folder} does not match its segment")
    try:
        actual = (folder / DATA).stat().st_size
    except OSError:
        raise ColumnsUnavailable(f"the columnar file {folder / DATA} is missing") from None
    if actual != manifest.get("size"):
        raise ColumnsUnavailable(
            f"the columnar file {folder / DATA} is damaged ({actual} bytes, {manifest.get('size')} expected)"
        )
    missing = [name for name in required if name not in manifest["arrays"]]
    if missing:
        raise ColumnsUnavailable(f"the columnar manifest in {folder} is damaged (no {', '.join(missing)})")
    for name, entry in manifest["arrays"].items():
        try:
            offset, dtype, count = entry
            ok = 0 <= offset and 0 <= count and offset + count * int(dtype[2:]) <= actual
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ColumnsUnavailable(
                f"the columnar manifest in {folder} is damaged ({name} lies outside the data)"
            )
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
        required = required_arrays(schema)
        for segreader, _offset in leaf_readers(reader):
            sid = segment_id(segreader)
            live.add(sid)
            folder = root / sid
            try:
                check_segment(folder, segreader.doc_count_all(), required)
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
    """One segment's columnar arrays: views of one memory-mapped file, made on first use."""

    def __init__(self, folder: Path, doc_count_all: int, required: tuple[str, ...] = ()) -> None:
        self.folder = folder
        manifest = check_segment(folder, doc_count_all, required)
        self.entries: dict[str, list] = manifest["arrays"]
        self.size = manifest["size"]
        self._map: Any = None
        self._arrays: dict[str, object] = {}

    def array(self, name: str):
        arr = self._arrays.get(name)
        if arr is None:
            import numpy as np

            entry = self.entries.get(name)
            if entry is None:
                raise ColumnsUnavailable(f"the columnar files in {self.folder} have no {name}")
            try:
                if self._map is None:
                    self._map = np.memmap(self.folder / DATA, dtype=np.uint8, mode="r")
                offset, dtype, count = entry
                dtype = np.dtype(dtype)
                if offset + count * dtype.itemsize > self.size:
                    raise ValueError(f"{name} lies outside the file")
                arr = np.frombuffer(self._map, dtype=dtype, count=count, offset=offset)
            except (OSError, ValueError, TypeError) as exc:
                raise ColumnsUnavailable(
                    f"the columnar file {self.folder / DATA} is damaged ({exc})"
                ) from None
            self._arrays[name] = arr
        return arr

    def has(self, name: str) -> bool:
        return name in self.entries
