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
  Per document, for the fields a record's feedback counts read (DOC_FIELDS; search._term_counts):
    <field>.dperm   the field's posting numbers grouped by document, each document's in the order
                    its terms first occur (by first position): <u4 (<i8 past 2**32 postings). A
                    posting's term is where it falls in .offs, its count is its .pcnt
    <field>.doffs   ndocs+1 offsets into .dperm (<u4, or <i8): document d's are dperm[doffs[d]:doffs[d+1]].
                    Optional: segments written before them have none, and the reader then
                    analyses the stored record instead (same counts, slower)
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
import sys
import zlib
from itertools import chain, compress
from pathlib import Path
from typing import Any

COLUMNS = "columns"
MANIFEST = "manifest.json"
DATA = "arrays.bin"
FORMAT_VERSION = 3  # 3: positions (.pos/.pcnt/.ptoffs) of the fields that have them
# Never queried by the fast path. The record key is kept: its sorted terms give the order of tied
# records (search.SCORE_TIE) with numpy; a segment written before it has none and the engine reads
# those keys from the stored fields instead.
SKIP_FIELDS = frozenset({"spell", "file"})
# the fields whose analysis is a record's feedback counts (title + "\n" + text, in that order: search._term_counts)
DOC_FIELDS = ("title", "body")
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
        sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        raw = np.frombuffer(b"".join(values), dtype=np.uint8)
        starts = np.cumsum(sizes) - sizes
        single, at = _single_positions(raw, starts, sizes)
        if single.all():  # a field's postings are mostly of a term found once in its document
            self._keep(at, np.ones(len(values), dtype=np.int64))
            return
        rest = list(compress(values, (~single).tolist()))
        rest_pos, rest_lens = self._decode(rest)
        lens = np.ones(len(values), dtype=np.int64)
        lens[~single] = rest_lens
        offs = np.cumsum(lens) - lens
        positions = np.empty(int(lens.sum()), dtype=np.int64)
        positions[offs[single]] = at[single]
        # each other posting's positions at its offset: its list's own offsets moved there
        rest_offs = np.cumsum(rest_lens) - rest_lens
        shift = np.repeat(offs[~single] - rest_offs, rest_lens)
        positions[shift + np.arange(len(rest_pos))] = rest_pos
        self._keep(positions, lens)

    def _decode(self, values: list[bytes]):
        """(positions, positions per posting) of values in any layout: one pickle.loads for the batch
        (_decode_batch), else Whoosh's own decoder value by value."""
        import numpy as np

        lists = _decode_batch(values)
        if lists is None:  # not the layout _decode_batch knows: Whoosh's own decoder, one by one
            positions = [self.fmt.decode_positions(v) for v in values]
            lens = np.fromiter(map(len, positions), dtype=np.int64, count=len(values))
            flat = np.fromiter(chain.from_iterable(positions), dtype=np.int64, count=int(lens.sum()))
            return flat, lens
        lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lens.sum()))
        # positions = running sum of each posting's deltas
        total = np.cumsum(deltas)
        starts = np.cumsum(lens) - lens
        nonempty = lens > 0
        base = np.zeros(len(lens), dtype=np.int64)
        base[nonempty] = total[starts[nonempty]] - deltas[starts[nonempty]]
        return total - np.repeat(base, lens), lens

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
        ptoffs = ptoffs.astype(_narrow_offsets(int(ptoffs[-1])))
        pcnt = lens.astype(_narrow_counts(int(lens.max()) if len(lens) else 0))
        pos = pos.astype(_narrow_positions(int(pos.max()) if len(pos) else 0))
        return pos, pcnt, ptoffs


class _PlainPositions:
    """_Positions for a small segment, without numpy: each value decoded by Whoosh's format."""

    def __init__(self, fmt) -> None:
        self.fmt = fmt
        self.pos: list[int] = []
        self.lens: list[int] = []

    def add(self, values: list[bytes]) -> None:
        for value in values:
            positions = self.fmt.decode_positions(value)
            if positions and (min(positions) < 0 or max(positions) >= 2**31):
                raise ValueError("a position outside 0..2**31")
            self.pos.extend(positions)
            self.lens.append(len(positions))

    def arrays(self, offs: list[int]) -> tuple[_Plain, _Plain, _Plain]:
        lens, pos = self.lens, self.pos
        if len(lens) != offs[-1]:
            raise ValueError(f"{len(lens)} position lists for {offs[-1]} postings")
        cum = [0]
        for n in lens:
            cum.append(cum[-1] + n)
        ptoffs = [cum[i] for i in offs]
        return (
            _Plain(_narrow_positions(max(pos, default=0)), pos),
            _Plain(_narrow_counts(max(lens, default=0)), lens),
            _Plain(_narrow_offsets(ptoffs[-1]), ptoffs),
        )


_PROTO2 = b"\x80\x02"

# A one-position `Positions` value as schema.FastIndex and Whoosh write it: count 1, then
# pickle.dumps([p], 2) = PROTO 2, EMPTY_LIST, BINPUT 0, the int (K: 1 byte, M: 2, J: 4 signed,
# little-endian), APPEND, STOP. Value size by opcode.
_SINGLE_HEAD = b"\x00\x00\x00\x01\x80\x02]q\x00"


def _single_positions(raw, starts, sizes):
    """(mask, positions): which values (cut from the joined bytes `raw` at `starts`, `sizes`) are
    one-position values in the layout above, and their position (0 elsewhere), read with numpy:
    most postings are of these, and unpickling them cost more than the rest of the columns."""
    import numpy as np

    n = len(starts)
    at = np.zeros(n, dtype=np.int64)
    maybe = sizes >= 13
    idx = starts[maybe]
    head = raw[idx[:, None] + np.arange(10)]  # count, header and the int's opcode
    ok = (head[:, :9] == np.frombuffer(_SINGLE_HEAD, dtype=np.uint8)).all(axis=1)
    op = head[:, 9]
    size = np.select([op == ord("K"), op == ord("M"), op == ord("J")], [13, 14, 16], 0)
    ok &= size == sizes[maybe]
    end = idx + sizes[maybe]
    safe = np.where(ok, end, 13 + idx)  # rows not ok: any in-range index, masked below
    ok &= (raw[safe - 2] == ord("a")) & (raw[safe - 1] == ord("."))
    b = idx + 10
    b0 = raw[np.minimum(b, len(raw) - 1)].astype(np.int64)
    b1 = raw[np.minimum(b + 1, len(raw) - 1)].astype(np.int64)
    b2 = raw[np.minimum(b + 2, len(raw) - 1)].astype(np.int64)
    b3 = raw[np.minimum(b + 3, len(raw) - 1)].astype(np.int64)
    j = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
    j = np.where(j >= 1 << 31, j - (1 << 32), j)  # J is signed
    value = np.select([op == ord("K"), op == ord("M")], [b0, b0 | (b1 << 8)], j)
    mask = np.zeros(n, dtype=bool)
    mask[maybe] = ok
    at[mask] = value[ok]
    return mask, at


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


def _length_bytes(perdoc, fieldname):
    """Whoosh's per-document length bytes of a field (the column its scorer reads), or None."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    return perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)


class _Pack:
    """Arrays appended to one file at 64-byte-aligned offsets; `entries` says where each is."""

    def __init__(self, path: Path) -> None:
        self.fh = open(path, "wb")
        self.entries: dict[str, list] = {}

    def add(self, name: str, array) -> None:
        if isinstance(array, _Plain):
            dtype, count, data = array.dtype, array.count, array.data
        else:
            import numpy as np

            array = np.ascontiguousarray(array)
            dtype, count, data = array.dtype.str, len(array), array.tobytes()
        self.fh.write(b"\0" * (-self.fh.tell() % 64))
        self.entries[name] = [self.fh.tell(), dtype, count]
        self.fh.write(data)

    def close(self) -> int:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        size = self.fh.tell()
        self.fh.close()
        return size


class _Plain:
    """An array made without numpy (a small segment's, see SegmentArrays.plain): numpy's dtype
    string, its length and its bytes, as numpy would write them."""

    CODES = {"<u8": "Q", "<i8": "q", "<u4": "I", "<i4": "i", "<u2": "H", "<f4": "f", "|u1": "B", "|b1": "B"}

    def __init__(self, dtype: str, values) -> None:
        from array import array

        data = array(self.CODES[dtype], values)
        self.dtype, self.count, self.data = dtype, len(data), data.tobytes()


def _doc_major(ids, pos, pcnt, ndocs: int):
    """(dperm, doffs) of a field (see the module docstring): its postings sorted by document, then
    by their first position (a posting's positions start after the pcnt of the postings before it)."""
    import numpy as np

    starts = np.zeros(len(pcnt), dtype=np.int64)
    np.cumsum(pcnt[:-1], dtype=np.int64, out=starts[1:])
    first = pos[np.minimum(starts, max(len(pos) - 1, 0))].astype(np.int64) if len(pos) else starts
    key = (ids.astype(np.int64) << 32) | first  # one stable sort: a third of np.lexsort's time
    dperm = np.argsort(key, kind="stable").astype(_narrow_offsets(len(ids)))
    doffs = np.zeros(ndocs + 1, dtype=np.int64)
    np.cumsum(np.bincount(ids, minlength=ndocs)[:ndocs], out=doffs[1:])
    return dperm, doffs.astype(_narrow_offsets(len(ids)))


def _doc_major_plain(ids, pos: list[int], pcnt: list[int], ndocs: int) -> tuple[_Plain, _Plain]:
    """_doc_major for a small segment, without numpy."""
    firsts, at = [], 0
    for n in pcnt:
        firsts.append(pos[at] if n else 0)
        at += n
    dperm = sorted(range(len(ids)), key=lambda j: (ids[j], firsts[j]))
    doffs = [0] * (ndocs + 1)
    for docnum in ids:
        doffs[docnum + 1] += 1
    for d in range(ndocs):
        doffs[d + 1] += doffs[d]
    code = _narrow_offsets(len(ids))
    return _Plain(code, dperm), _Plain(code, doffs)


def _narrow_positions(top: int) -> str:
    return "<u2" if top < 2**16 else "<i4"


def _narrow_counts(top: int) -> str:
    return "|u1" if top < 2**8 else "<u2" if top < 2**16 else "<u4"


def _narrow_offsets(total: int) -> str:
    return "<u4" if total < 2**32 else "<i8"


class SegmentArrays:
    """Writes one segment's arrays.bin and manifest.json (the format in the module docstring), fed
    field by field with each term's postings in term order, as a committed segment's term table
    gives them (`_write_segment`) or as the build's flush writes them (`fast_writing`); fields the
    segment has no terms of are written empty, in the schema's order either way."""

    PLAIN_DOCS = 64  # segments up to this many documents (an update's) are written without numpy

    def __init__(self, folder: Path, schema, ndocs: int, perdoc, final: Path | None = None) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.final = final  # where close() moves the folder, when given
        # numpy's import costs more than the rest of a one-file update's columns; the flush of a
        # small segment (its postings come as lists) writes the same bytes with `array`
        self.plain = final is not None and ndocs <= self.PLAIN_DOCS and sys.byteorder == "little"
        self.ndocs = ndocs
        self.perdoc = perdoc  # the segment's per-document reader: lengths, numeric columns
        self.pack = _Pack(folder / DATA)
        self.fields = [(n, f) for n, f in schema.items() if n not in SKIP_FIELDS and f.indexed]
        self.done = 0  # fields of self.fields written
        self.name: str | None = None
        self.fieldobj: Any = None

    def start_field(self, name: str) -> None:
        """The next field with terms (None-safe: fields never written here are skipped)."""
        while self.done < len(self.fields) and self.fields[self.done][0] < name:
            self._empty(*self.fields[self.done])
        if self.done < len(self.fields) and self.fields[self.done][0] == name:
            self.name, self.fieldobj = self.fields[self.done]
        else:
            self.name = self.fieldobj = None  # not a field of the columns (spell, key, ...)
            return
        self.terms: list[bytes] = []
        self.offs = [0]
        self.ids, self.ws = _Postings("<i4"), _Postings("<f4")
        self.tops: list[tuple[int, Any]] = []  # numeric fields: (tier, ids) per term
        self.positions = self._positions(self.fieldobj)
        from whoosh.fields import NUMERIC

        self.numeric = isinstance(self.fieldobj, NUMERIC)

    def add_term(self, term: bytes, ids, weights, values) -> None:
        """A term's postings: document numbers and weights (lists or arrays), and their values
        (Whoosh's encoded positions, or None when the field has no positions)."""
        if self.name is None:
            return
        if self.numeric:
            self.tops.append((term[0], ids))
            return
        self.terms.append(term)
        self.ids.add(ids)
        self.ws.add(weights)
        self.offs.append(self.offs[-1] + len(ids))
        if self.positions is not None and values:
            self.positions.add(values)

    def finish_field(self) -> None:
        if self.name is not None:
            self._write(self.name, self.fieldobj, indexed=True)
            self.done += 1
            self.name = None

    def _empty(self, name: str, fieldobj) -> None:
        self.name, self.fieldobj = name, fieldobj
        self.terms, self.offs, self.tops = [], [0], []
        self.ids, self.ws = _Postings("<i4"), _Postings("<f4")
        self.positions = self._positions(fieldobj)
        self._write(name, fieldobj, indexed=False)
        self.done += 1
        self.name = None

    def _positions(self, fieldobj) -> Any:
        if not _has_positions(fieldobj):
            return None
        return _PlainPositions(fieldobj.format) if self.plain else _Positions(fieldobj.format)

    def _array(self, dtype: str, values, count: int) -> Any:
        """`count` values (an iterable) as an array of `dtype` (numpy's dtype string)."""
        if self.plain:
            return _Plain(dtype, values)
        import numpy as np

        return np.fromiter(values, dtype=dtype, count=count)

    def _write(self, name: str, fieldobj, indexed: bool) -> None:
        from whoosh.fields import NUMERIC

        pack, ndocs, array = self.pack, self.ndocs, self._array
        if isinstance(fieldobj, NUMERIC):
            if fieldobj.column_type is None:
                return
            pack.add(f"{name}.num", array("<u8", _numbers(self.perdoc, name, fieldobj, ndocs), ndocs))
            has = [False] * ndocs
            if self.tops:
                coarsest = max(tier for tier, _ids in self.tops)  # its terms cover every valued document
                for tier, ids in self.tops:
                    if tier == coarsest:
                        for docnum in ids.tolist() if hasattr(ids, "tolist") else ids:
                            has[docnum] = True
            pack.add(f"{name}.has", array("|b1", has, ndocs))
            return
        doc_major = None
        if self.positions is not None:
            pos, pcnt, ptoffs = self.positions.arrays(self.offs)
            pack.add(f"{name}.pos", pos)
            pack.add(f"{name}.pcnt", pcnt)
            pack.add(f"{name}.ptoffs", ptoffs)
            if name in DOC_FIELDS:
                plain = isinstance(self.positions, _PlainPositions)
                doc_major = (self.positions.pos, self.positions.lens) if plain else (pos, pcnt)
        width = max((len(t) for t in self.terms), default=1)
        if self.plain:
            terms: Any = _Plain.__new__(_Plain)
            terms.dtype, terms.count = f"|S{width}", len(self.terms)
            terms.data = b"".join(t.ljust(width, b"\0") for t in self.terms)
        else:
            import numpy as np

            terms = np.array(self.terms, dtype=f"S{width}")
        pack.add(f"{name}.terms", terms)
        pack.add(f"{name}.offs", array("<i8", self.offs, len(self.offs)))
        total = self.offs[-1]
        ids = self.ids.array(total, self.plain)
        pack.add(f"{name}.ids", ids)
        pack.add(f"{name}.w", self.ws.array(total, self.plain))
        if doc_major is not None:
            if self.plain:
                dperm, doffs = _doc_major_plain(self.ids.flat, *doc_major, ndocs)
            else:
                dperm, doffs = _doc_major(ids, *doc_major, ndocs)
            pack.add(f"{name}.dperm", dperm)
            pack.add(f"{name}.doffs", doffs)
        self.ids = self.ws = None  # type: ignore[assignment]
        if fieldobj.scorable:
            creader = _length_bytes(self.perdoc, name) if indexed else None
            pack.add(f"{name}.len", array("|u1", creader if creader is not None else [0] * ndocs, ndocs))

    def close(self, segment: str) -> None:
        """The remaining fields, then the manifest (last: it makes the folder complete)."""
        try:
            self.finish_field()
            while self.done < len(self.fields):
                self._empty(*self.fields[self.done])
        finally:
            size = self.pack.close()
        manifest = {
            "version": FORMAT_VERSION,
            "segment": segment,
            "doc_count_all": self.ndocs,
            "size": size,
            "arrays": self.pack.entries,
        }
        with open(self.folder / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh)
            fh.flush()
            os.fsync(fh.fileno())
        if self.final is not None:
            shutil.rmtree(self.final, ignore_errors=True)
            os.replace(self.folder, self.final)

    def abandon(self) -> None:
        self.pack.fh.close()
        if self.final is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def flush_arrays(gen: str | Path, segment: str, schema, ndocs: int, perdoc) -> SegmentArrays:
    """The arrays of a segment Whoosh is writing, fed by the flush (fast_writing), so that
    `write_columns` finds them complete and need not read the segment back. Built under a temporary
    name and moved into place by close(); a folder of a segment that never reaches the index's TOC
    (a failed or killed commit) is removed by the next `write_columns`."""
    root = Path(gen) / COLUMNS
    root.mkdir(exist_ok=True)
    tmp = root / f".tmp-{segment}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    return SegmentArrays(tmp, schema, ndocs, perdoc, final=root / segment)


class _Postings:
    """A field's document numbers or weights (numpy dtype `<i4` or `<f4`), gathered term by term
    in 4 bytes a posting: a term's Python list (the flush) goes into an `array` at once instead of
    being kept until the field is written (~60 bytes a posting as ints and floats in lists: the
    largest field of a 10 000-record segment held 150 MB that way). numpy arrays (a committed
    segment read back) are kept as they are and joined."""

    CODES = {"<i4": "i", "<f4": "f"}

    def __init__(self, dtype: str) -> None:
        from array import array

        self.dtype = dtype
        self.flat = array(self.CODES[dtype])
        self.parts: list = []

    def add(self, values) -> None:
        if isinstance(values, list):
            self.flat.extend(values)
        else:
            self.parts.append(values)

    def array(self, count: int, plain: bool) -> Any:
        """All of them in order: a numpy array, or a `_Plain` (`plain`: see SegmentArrays.plain)."""
        flat, parts = self.flat, self.parts
        if len(flat) + sum(map(len, parts)) != count:
            raise ValueError(f"{len(flat) + sum(map(len, parts))} postings for {count}")
        if len(flat) and parts:
            raise ValueError("a field's postings came both as lists and as arrays")
        if plain and not parts:  # plain segments are written on little-endian machines only
            array: Any = _Plain.__new__(_Plain)
            array.dtype, array.count, array.data = self.dtype, len(flat), flat.tobytes()
            return array
        import numpy as np

        if not parts:
            return np.frombuffer(flat, dtype=self.dtype[1:]).astype(self.dtype, copy=False)
        joined = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return joined.astype(self.dtype, copy=False)


def _numbers(perdoc, name: str, fieldobj, ndocs: int):
    """A numeric field's sortable column values, one a document (SegmentReader.column_reader's,
    untranslated: the column's default where the segment has no column file)."""
    from whoosh.columns import EmptyColumnReader

    column = fieldobj.column_type
    if perdoc.has_column(name):
        return perdoc.column_reader(name, column)
    return EmptyColumnReader(column.default_value(False), ndocs)


def _write_segment(segreader, schema, folder: Path) -> None:
    """The arrays of a committed segment, read back from its term table and postings blocks."""
    from whoosh.fields import NUMERIC

    arrays = SegmentArrays(folder, schema, segreader.doc_count_all(), segreader._perdoc)
    indexed = set(segreader.indexed_field_names())
    postfile = segreader._terms._postfile
    try:
        for name, fieldobj in arrays.fields:
            if name not in indexed:
                continue
            arrays.start_field(name)
            if isinstance(fieldobj, NUMERIC):
                # only the top tier's postings are read (see SegmentArrays._write)
                infos = list(segreader.iter_field(name, b""))
                coarsest = max((t[0] for t, _i in infos), default=None)
                for term, info in infos:
                    if term[0] == coarsest:
                        arrays.add_term(term, _block_postings(postfile, info)[0], None, None)
            else:
                values: list | None = [] if _has_positions(fieldobj) else None
                for term, info in segreader.iter_field(name):
                    ids, ws = _block_postings(postfile, info, values)
                    arrays.add_term(term, ids, ws, values)
                    if values:
                        values.clear()
            arrays.finish_field()
    except BaseException:
        arrays.abandon()
        raise
    arrays.close(segment_id(segreader))


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
        self.doc_count_all = doc_count_all
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

    def document_terms(self, field: str, docnum: int) -> dict[str, int] | None:
        """{term (decoded): its count} of one document's field in the order its terms first occur,
        from the doc-major arrays; None when this segment has none (written before them)."""
        if not self.has(f"{field}.dperm"):
            return None
        import numpy as np

        doffs = self.array(f"{field}.doffs")
        if len(doffs) != self.doc_count_all + 1:
            raise ColumnsUnavailable(f"the columnar file {self.folder / DATA} is damaged ({field}.doffs)")
        perm = self.array(f"{field}.dperm")[int(doffs[docnum]) : int(doffs[docnum + 1])].astype(np.int64)
        if not len(perm):
            return {}
        which = np.searchsorted(self.array(f"{field}.offs"), perm, side="right") - 1
        terms = map(bytes.decode, self.array(f"{field}.terms")[which].tolist())
        return dict(zip(terms, self.array(f"{field}.pcnt")[perm].tolist(), strict=True))
