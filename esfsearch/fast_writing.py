"""Whoosh's segment writer with less Python work per posting; the files it writes are unchanged.

A build spends about half its time after the last document, when Whoosh flushes the postings pool
into a segment, and there three costs per posting had nothing to do with the index's content:
  - the pool's sorted runs are written and read back one pickle call per posting; here they are
    marshalled in blocks of postings (the run files are temporary and never leave the build);
  - `add_postings` asks for each posting's field length through the per-document reader, which
    looks the length column up by name and, for fields without lengths (`spell`, the keyword
    filters), asks the file system whether the column exists, once per posting; here each field's
    column is read once into an array;
  - `PostingPool.add` re-checks types and recomputes its size estimate term by term;
  - `add_document` handed each posting to the pool through a method call with a 5-tuple; here a
    field's postings go into the pool in one call, and the pool keeps each term's postings as one
    flat list (document number, weight, value, ...) instead of a tuple per posting: less memory a
    posting, counted as such, so the pool spills fewer sorted runs;
  - every posting passed through four method calls and five type assertions on its way into a
    block, and each piece of a block and of a term-table entry was a file write; `_write_term`
    builds the same bytes (blocks, block headers, term info, term-table entry) from a term's lists
    and writes them at once (tests/test_build_fast.py compares the files).
`speed_up_writing()` installs these once per process (forked writer processes inherit them).
"""

from __future__ import annotations

import heapq
import marshal
import struct
import zlib
from array import array
from itertools import groupby
from operator import itemgetter
from pickle import dumps as _dumps
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC as _MAGIC
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.filetables import _lengths as _KEY_LENGTHS
from whoosh.system import pack_int as _pack_int
from whoosh.system import pack_long as _pack_long
from whoosh.system import pack_ushort as _pack_ushort
from whoosh.util.numeric import byte_to_length as _decode
from whoosh.util.numeric import length_to_byte as _encode

# Set by a full build before its writer processes fork: each process that flushes a segment leaves
# its subword cache there (analysis.SUBWORD_TABLE; the build gathers them into the generation's).
SUBWORD_DUMPS: list[str] = []
# Set by a build around its writing: the generation whose segments' columnar files (columns.py) the
# flush writes from the postings it holds, instead of write_columns reading the segment back.
COLUMNS_GEN: list[str] = []
_RUN_BLOCK = 3 * 4096  # flat list entries (3 a posting) per marshalled block of a run file
# The pool's memory estimate (bytes; Whoosh's own counts 129 + the lengths per posting, for a tuple a
# posting): a term's key, its bytes, its list and its dict slot, and per posting three list slots and
# a weight (a float of its own); a value that is not shared adds its bytes object.
_TERM_COST = 240
_POSTING_COST = 56
_LEN = struct.Struct("<I")
_compress = zlib.compress
_TERMINFO = W3TermInfo._struct
_installed = False
_stock: dict[str, Any] = {}  # Whoosh's own methods, for tests that compare


def speed_up_writing() -> None:
    """Patch Whoosh's pool and flush (idempotent)."""
    global _installed
    if _installed:
        return
    from whoosh.writing import PostingPool, SegmentWriter

    _stock.update(
        __init__=PostingPool.__init__,
        _write_run=PostingPool._write_run,
        _read_run=PostingPool._read_run,
        add=PostingPool.add,
        save=PostingPool.save,
        items=PostingPool.items,
        iter_postings=PostingPool.iter_postings,
        _flush_segment=SegmentWriter._flush_segment,
        add_document=SegmentWriter.add_document,
    )
    from whoosh.codec.whoosh3 import W3FieldWriter

    _stock["add_postings"] = W3FieldWriter.add_postings
    W3FieldWriter.add_postings = _add_postings
    W3FieldWriter.esf_write_term = _write_term
    _stock["add_postings_to_pool"] = SegmentWriter.add_postings_to_pool
    SegmentWriter.add_postings_to_pool = _add_postings_to_pool
    PostingPool.__init__ = _pool_init
    PostingPool._write_run = _write_run
    PostingPool._read_run = _read_run
    PostingPool.add = _pool_add
    PostingPool.save = _pool_save
    PostingPool.items = _pool_items
    PostingPool.iter_postings = _pool_items
    SegmentWriter._flush_segment = _flush_segment
    SegmentWriter.add_document = _add_document
    _installed = True


def _pool_init(self, *args, **kwargs) -> None:
    _stock["__init__"](self, *args, **kwargs)
    # (fieldname, term bytes) -> its postings as one flat list [docnum, weight, value, docnum, ...]
    # in the order added
    self.current = {}


def _pool_add(self, item) -> None:
    # item = (fieldname, term bytes, docnum, weight, value bytes or None). Postings are grouped by
    # term as they come: a document's postings arrive with increasing document numbers, so each
    # term's list is already in Whoosh's sort order and only the terms are sorted when a run is
    # written.
    value = item[4]
    key = item[0], item[1]
    group = self.current.get(key)
    size = _POSTING_COST + (len(value) if value else 0)
    if group is None:
        self.current[key] = [item[2], item[3], value]
        self.fieldnames.add(item[0])
        size += _TERM_COST + len(item[1])
    else:
        group += item[2:]
    self.currentsize += size
    if self.currentsize > self.limit:
        self.save()


def _add_field(pool, fieldname: str, docnum: int, items, fieldboost: float) -> int:
    """A field's postings of one document (`field.index()`'s (term, freq, weight, value) items) into
    the pool; returns the sum of the frequencies. The size bound is checked once a field: the pool
    may pass it by one field's postings."""
    current = pool.current
    size = 0
    length = 0
    for tbytes, freq, weight, vbytes in items:
        length += freq
        key = fieldname, tbytes
        group = current.get(key)
        if group is None:
            current[key] = [docnum, weight * fieldboost, vbytes]
            size += _TERM_COST + len(tbytes)
        else:
            group += (docnum, weight * fieldboost, vbytes)
        if vbytes:
            size += len(vbytes)
        size += _POSTING_COST
    if size:
        pool.fieldnames.add(fieldname)
        pool.currentsize += size
        if pool.currentsize > pool.limit:
            pool.save()
    return length


def _add_value(pool, fieldname: str, docnum: int, field, value, fieldboost: float) -> int:
    """A field's value of one document into the pool: schema.FastIndex's fields add their postings
    themselves (`pool_postings`, one loop from analysis to pool), others through `_add_field`."""
    add = getattr(field, "pool_postings", None)
    done = add(value, pool.current, fieldname, docnum, fieldboost) if add is not None else None
    if done is None:
        return _add_field(pool, fieldname, docnum, field.index(value), fieldboost)
    length, postings, new, term_bytes, value_bytes = done
    if postings:
        pool.fieldnames.add(fieldname)
        pool.currentsize += postings * _POSTING_COST + new * _TERM_COST + term_bytes + value_bytes
        if pool.currentsize > pool.limit:
            pool.save()
    return length


def _add_document(self, **fields) -> None:
    """Whoosh's SegmentWriter.add_document with a field's postings added to the pool in one call
    (`_add_field`); stored values, lengths and columns as Whoosh adds them. Schemas with spelling
    fields or term vectors (none of esfsearch's) go Whoosh's way."""
    schema = self.schema
    if not isinstance(self.pool.current, dict) or _has_extras(self):
        return _stock["add_document"](self, **fields)
    self._check_state()
    perdocwriter = self.perdocwriter
    docnum = self.docnum
    pool = self.pool
    docboost = self._doc_boost(fields)
    fieldnames = sorted([name for name in fields if not name.startswith("_")])
    self._check_fields(schema, fieldnames)
    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                freqs = _add_value(pool, fieldname, docnum, field, value, fieldboost)
                if field.scorable:
                    length = freqs
            customval = fields.get(f"_stored_{fieldname}", value)
            perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
    except Exception:
        perdocwriter.cancel_doc()
        raise
    perdocwriter.finish_doc()
    self._added = True
    self.docnum += 1


def _has_extras(writer) -> bool:
    """The writer's schema has spelling fields or term vectors (looked up once a writer)."""
    extras = writer.__dict__.get("_esf_extras")
    if extras is None:
        extras = writer._esf_extras = any(
            f.separate_spelling() or f.vector for _name, f in writer.schema.items()
        )
    return extras


def _pool_save(self) -> None:
    current = self.current
    if current:
        path, f = self._new_run()
        _write_groups(f, ((key, current[key]) for key in sorted(current)))
        self._add_run(path)
        self.current = {}
    self.currentsize = 0


def _pool_items(self, maxfiles=128):
    """Every posting, sorted as Whoosh sorts them (field, term, document number)."""
    for key, flat in _pool_groups(self):
        yield from _postings(key, flat)


def _postings(key, flat):
    """A term's flat list as Whoosh's (fieldname, term, docnum, weight, value) postings."""
    fieldname, btext = key
    for i in range(0, len(flat), 3):
        yield fieldname, btext, flat[i], flat[i + 1], flat[i + 2]


def _pool_groups(self):
    """(key, postings) per term in sorted order: from memory when nothing was spilled, else the
    runs merged term by term (a term's postings from earlier runs, which hold earlier documents,
    first)."""
    if not self.runs:
        current = self.current
        self.current = {}
        for key in sorted(current):
            yield key, current.pop(key)  # each term's postings freed once written
        return
    self.save()
    runs, self.runs = self.runs, []
    merged = heapq.merge(
        *(((key, n, items) for key, items in _read_groups(self, path)) for n, path in enumerate(runs))
    )
    last = None
    pending: list = []
    for key, _n, items in merged:
        if key != last:
            if pending:
                yield last, pending
            last, pending = key, items
        else:
            pending = pending + items
    if pending:
        yield last, pending


def _write_groups(f, groups) -> None:
    """Run file: blocks of (key, postings) groups, each block a length and a marshal string (one
    `marshal.loads` a block: `marshal.load` on a file reads it a few bytes at a time)."""
    groups = iter(groups)
    dumps, write = marshal.dumps, f.write
    try:
        while True:
            block: list = []
            size = 0
            for key, items in groups:
                block.append((key, items))
                size += len(items)
                if size >= _RUN_BLOCK:
                    break
            if not block:
                break
            data = dumps(block)
            write(_LEN.pack(len(data)))
            write(data)
    finally:
        f.close()


def _read_groups(self, path):
    f = self._open_run(path)
    loads, read = marshal.loads, f.read
    try:
        while True:
            head = read(_LEN.size)
            if not head:
                return
            yield from loads(read(_LEN.unpack(head)[0]))
    finally:
        f.close()
        self._remove_run(path)


def _write_run(self, f, items) -> None:
    """A run of sorted postings (Whoosh's `reduce_to`), grouped by term."""
    _write_groups(
        f,
        (
            (key, [x for item in group for x in item[2:]])
            for key, group in groupby(items, key=itemgetter(0, 1))
        ),
    )


def _read_run(self, path):
    for key, flat in _read_groups(self, path):
        yield from _postings(key, flat)


def _flush_segment(self) -> None:
    if SUBWORD_DUMPS:
        import multiprocessing
        import os

        from .analysis import drop_caches, subword_table

        # one table a segment: a writer process writes several (segmented_writer) and drops its
        # caches after each
        name = f".subwords-{os.getpid()}-{self.newsegment.segment_id()}.part"
        with open(os.path.join(SUBWORD_DUMPS[0], name), "wb") as fh:
            fh.write(subword_table())
        if multiprocessing.parent_process() is not None:
            drop_caches()  # the flush gets that memory; the next segment's documents fill them again
    self.perdocwriter.close()
    pdr = self.per_document_reader() if self.codec.length_stats else None
    lengths = _Lengths(pdr) if pdr else None
    if isinstance(self.pool.current, dict) and hasattr(self.fieldwriter, "esf_write_term"):
        arrays = None
        if COLUMNS_GEN and pdr is not None:
            from .columns import flush_arrays

            segment = self.newsegment.segment_id()
            arrays = flush_arrays(COLUMNS_GEN[0], segment, self.schema, self.docnum, pdr)
        try:
            _add_groups(self.fieldwriter, self.schema, lengths, _pool_groups(self.pool), arrays)
            if arrays is not None:
                arrays.close(segment)
        except BaseException:
            if arrays is not None:
                arrays.abandon()
            raise
    else:
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
    self.fieldwriter.close()
    if pdr:
        pdr.close()


def _add_postings(self, schema, lengths, items) -> None:
    """Whoosh's FieldWriter.add_postings with each term's postings written whole (`_write_term`)."""
    if lengths is not None and not isinstance(lengths, _Lengths):
        return _stock["add_postings"](self, schema, lengths, items)
    from whoosh.codec.base import OutOfOrderError

    write_term, finish_field = _write_term, self.finish_field
    lastfn = lasttext = None
    column: Any = False
    ncolumn = 0
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    lens: list = []
    for fieldname, btext, docnum, weight, value in items:
        if lastfn is not None and fieldname < lastfn:
            raise OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
        if fieldname == lastfn and lasttext and btext < lasttext:
            raise OutOfOrderError(f"Term {lastfn}:{lasttext!r} .. {fieldname}:{btext!r}")
        if fieldname != lastfn:
            if lasttext is not None:
                write_term(self, lasttext, ids, weights, values, lens)
                ids, weights, values, lens = [], [], [], []
            if lastfn is not None:
                finish_field()
            self.start_field(fieldname, schema[fieldname])
            lastfn, lasttext = fieldname, None
            column = lengths.column(fieldname) if lengths is not None else False
            ncolumn = len(column) if column else 0
        if docnum == -1:  # Whoosh's marker for spelling words; skipped there too
            continue
        if btext != lasttext:
            if lasttext is not None:
                write_term(self, lasttext, ids, weights, values, lens)
                ids, weights, values, lens = [], [], [], []
            lasttext = btext
        ids.append(docnum)
        weights.append(weight)
        values.append(value)
        # the field's length byte (0: no length, as for a field without a lengths column)
        lens.append((column[docnum] if docnum < ncolumn else 0) if column is not False else 0)
    if lasttext is not None:
        write_term(self, lasttext, ids, weights, values, lens)
    self._fieldid = None
    self._btext = None
    self._fieldobj = None
    self._format = None


def _add_groups(self, schema, lengths, groups, arrays=None) -> None:
    """`_add_postings` over the pool's postings grouped by term: the same calls to the field
    writer, with each term's lists built at once instead of a posting at a time; `arrays`
    (columns.SegmentArrays), when given, is fed the same terms."""
    start_field, finish_field, write_term = self.start_field, self.finish_field, _write_term
    lastfn = None
    column: Any = False
    ncolumn = 0
    for (fieldname, btext), flat in groups:
        if fieldname != lastfn:
            if lastfn is not None:
                finish_field()
                if arrays is not None:
                    arrays.finish_field()
            start_field(fieldname, schema[fieldname])
            if arrays is not None:
                arrays.start_field(fieldname)
            lastfn = fieldname
            column = lengths.column(fieldname) if lengths is not None else False
            ncolumn = len(column) if column else 0
        ids = flat[0::3]
        weights = flat[1::3]
        values = flat[2::3]
        if -1 in ids:  # Whoosh's marker for spelling words; skipped there too
            keep = [i for i, d in enumerate(ids) if d != -1]
            if not keep:
                continue
            ids = [ids[i] for i in keep]
            weights = [weights[i] for i in keep]
            values = [values[i] for i in keep]
        # each posting's field length byte (0: none, as for a field without a lengths column)
        if column is False:
            lens: list = [0] * len(ids)
        elif ids[-1] < ncolumn:  # ids ascend
            lens = [column[d] for d in ids]
        else:
            lens = [column[d] if d < ncolumn else 0 for d in ids]
        write_term(self, btext, ids, weights, values, lens)
        if arrays is not None:
            arrays.add_term(btext, ids, weights, values)
    if lastfn is not None and arrays is not None:
        arrays.finish_field()
    self._fieldid = None
    self._btext = None
    self._fieldobj = None
    self._format = None


def _write_term(self, btext, ids, weights, values, lens) -> None:
    """A term's postings (ascending ids; `lens` the field length bytes, 0 for none) written as
    Whoosh's W3 postings writer and term table would write them, byte for byte, but a term at a
    time: per block a pickle of (id deltas, weights, values) compressed, and a pickled block header
    (count, last id, top weight, compression, shortest and longest length byte); then the term's
    info record and its entry in the term table. Whoosh's own objects take a method call and an
    assertion per posting and a file write per piece."""
    pw = self._postwriter
    if pw._byteids or len(ids) < pw._inlinelimit:  # inlined postings: Whoosh's way (never by default)
        return _write_term_stock(self, btext, ids, weights, values, lens)
    fixedsize = self._format.fixed_value_size()
    limit = pw._blocklimit
    comp = pw._compression
    n = len(ids)
    w32 = array("f", weights)  # Whoosh keeps a block's weights as 32-bit floats
    parts = [_MAGIC]
    add = parts.append
    weight = 0
    minlength = None
    maxlength = maxweight = 0
    for start in range(0, n, limit):
        end = start + limit
        block_ids = ids[start:end]
        deltas = [block_ids[0]]
        deltas += [b - a for a, b in zip(block_ids, block_ids[1:], strict=False)]
        block_w = w32[start:end]
        count = len(block_ids)
        first = block_w[0]
        if block_w.count(first) == count:
            mini_w: Any = None if first == 1.0 else first
        else:
            mini_w = tuple(block_w)
        block_v = [v for v in values[start:end] if v]
        if fixedsize is None or fixedsize < 0:
            mini_v: Any = tuple(block_v)
        elif fixedsize == 0:
            mini_v = None
        else:
            mini_v = b"".join(block_v)
        data = _dumps((tuple(deltas), mini_w, mini_v), 2)
        if comp:
            data = _compress(data, comp)
        top = max(weights[start:end])
        if not top > 0:
            top = 0
        block_lens = [x for x in lens[start:end] if x]
        low = min(block_lens) if block_lens else 0
        high = max(block_lens) if block_lens else 0
        info = _dumps((count, block_ids[-1], top, comp, low, high), 2)
        size = len(info) + len(data)
        add(_pack_int(-size if end >= n else size))
        add(info)
        add(data)
        # the term's statistics as W3TermInfo.add_block gathers them
        weight += sum(block_w)
        block_min = _decode(low) if low else None
        if minlength is None:
            minlength = block_min
        elif block_min is not None:
            minlength = min(minlength, block_min)
        else:  # Whoosh's min() of a length and None: a TypeError there too
            raise TypeError(f"a term's blocks with and without field lengths: {btext!r}")
        if high and _decode(high) > maxlength:
            maxlength = _decode(high)
        if top > maxweight:
            maxweight = top
    chunk = b"".join(parts)
    postfile = pw._postfile
    offset = postfile.tell()
    postfile.write(chunk)
    valbytes = _TERMINFO.pack(
        0,
        weight,
        n,
        0 if minlength is None else _encode(minlength),
        _encode(maxlength),
        maxweight,
        ids[0],
        ids[-1],
    )
    valbytes += _pack_long(offset) + _pack_int(len(chunk))
    _add_key(self._tindex, _pack_ushort(self._fieldid) + btext, valbytes)


def _add_key(tindex, key: bytes, value: bytes) -> None:
    """OrderedHashWriter.add with one file write."""
    if key <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
    dbfile = tindex.dbfile
    pos = dbfile.tell()
    tindex.index.append(pos)
    dbfile.write(_KEY_LENGTHS.pack(len(key), len(value)) + key + value)
    h = tindex.hashfn(key)
    tindex.buckets[h & 255].append((h, pos))
    tindex.lastkey = key


def _write_term_stock(self, btext, ids, weights, values, lens) -> None:
    """A term through Whoosh's postings writer, its buffer filled a block at a time as add_posting
    would fill it."""
    self.start_term(btext)
    pw = self._postwriter
    limit = pw._blocklimit
    for start in range(0, len(ids), limit):
        end = start + limit
        if start:
            pw._write_block()
        pw._ids.extend(ids[start:end])
        block_weights = weights[start:end]
        pw._weights.extend(block_weights)
        top = max(block_weights)
        if top > pw._maxweight:
            pw._maxweight = top
        pw._values.extend(v for v in values[start:end] if v)
        block_lengths = [_decode(n) for n in lens[start:end] if n]
        if block_lengths:
            shortest = min(block_lengths)
            if pw._minlength is None or shortest < pw._minlength:
                pw._minlength = shortest
            longest = max(block_lengths)
            if longest > pw._maxlength:
                pw._maxlength = longest
    self.finish_term()


class _Lengths:
    """`doc_field_length` of a segment's per-document reader, each field's column read once."""

    def __init__(self, pdr) -> None:
        from whoosh.util.numeric import byte_to_length

        self._pdr = pdr
        self._columns: dict[str, object] = {}
        self.decode = self._decode = [None] + [byte_to_length(b) for b in range(1, 256)]

    def doc_field_length(self, docnum, fieldname, default=0):
        column = self._columns.get(fieldname)
        if column is None:
            column = self._columns[fieldname] = self._load(fieldname)
        if column is False:
            return default
        # Whoosh's reader returns None (not 0) for a stored length byte of 0
        return self._decode[column[docnum]] if docnum < len(column) else None

    def column(self, fieldname):
        """The field's length bytes, one a document, or False when the field keeps no lengths."""
        column = self._columns.get(fieldname)
        if column is None:
            column = self._columns[fieldname] = self._load(fieldname)
        return column

    def _load(self, fieldname):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        reader = self._pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        return False if reader is None else bytes(reader.load())


# ---------------------------------------------------------------- merging segments
#
# An incremental update's commit merges the small segments of earlier updates (Whoosh's MERGE_SMALL)
# by reading every posting back through a matcher: a term-index lookup, a matcher and a block header
# unpickled a byte at a time per term, most of a merge's time. Here a W3 segment's postings are read
# from the term table's own (term, info) pairs and the blocks parsed whole; the postings are the
# tuples Whoosh's `iter_postings` gives (deleted documents left out, as its matchers do).


def _add_postings_to_pool(self, reader, startdoc, docmap) -> None:
    postings = _segment_postings(reader)
    if postings is None:
        return _stock["add_postings_to_pool"](self, reader, startdoc, docmap)
    add_post = self.pool.add
    for fieldname, btext, docnum, weight, value in postings:
        add_post(
            (fieldname, btext, docmap[docnum] if docmap is not None else startdoc + docnum, weight, value)
        )


def _segment_postings(reader):
    """`reader.iter_postings()` of a Whoosh 3 segment, or None for any other reader."""
    from whoosh.codec.whoosh3 import W3TermsReader
    from whoosh.reading import SegmentReader

    if type(reader) is not SegmentReader or type(getattr(reader, "_terms", None)) is not W3TermsReader:
        return None
    return _iter_segment_postings(reader)


def _iter_segment_postings(reader):
    import io
    import pickle
    import zlib

    from whoosh.system import _INT_SIZE, unpack_int

    terms = reader._terms
    postfile = terms._postfile
    schema = reader.schema
    deleted = reader.deleted_docs_set
    formats: dict[str, Any] = {}
    for (fieldname, btext), info in terms.items():
        if fieldname not in schema:
            continue
        fmt = formats.get(fieldname)
        if fmt is None:
            fmt = formats[fieldname] = schema[fieldname].format
        if info.is_inlined():
            ids, weights, values = info.inlined_postings()
            for i, docnum in enumerate(ids):
                if docnum in deleted:
                    continue
                yield (
                    fieldname,
                    btext,
                    docnum,
                    weights[i] if weights else 1.0,
                    values[i] if values else "",
                )
            continue
        fixedsize = fmt.fixed_value_size()
        offset, _length = info.extent()
        pos = offset + 4  # after the header tag
        while True:
            head = postfile.get(pos, _INT_SIZE + 256)
            length = unpack_int(head[:_INT_SIZE])[0]
            following = pos + _INT_SIZE + abs(length)
            bio = io.BytesIO(head[_INT_SIZE:])
            blockinfo = pickle.Unpickler(bio).load()  # (length, max id, max weight, compression, ...)
            blocklength, compression = blockinfo[0], blockinfo[3]
            dataoffset = pos + _INT_SIZE + bio.tell()
            data = postfile.get(dataoffset, following - dataoffset)
            block = pickle.loads(zlib.decompress(data) if compression else data)
            docnum = 0
            ws = block[1]
            if ws is None:
                ws = (1.0,) * blocklength
            elif isinstance(ws, float):
                ws = (ws,) * blocklength
            vs = block[2]
            if fixedsize is None or fixedsize < 0:
                pass
            elif fixedsize == 0:
                vs = (None,) * blocklength
            else:
                vs = tuple(vs[i : i + fixedsize] for i in range(0, len(vs), fixedsize))
            for i, delta in enumerate(block[0]):
                docnum += delta  # stored as deltas
                if docnum in deleted:
                    continue
                yield fieldname, btext, docnum, ws[i], vs[i]
            if length < 0:  # the last block
                break
            pos = following


# ---------------------------------------------------------------- writer processes, bounded segments
#
# Whoosh's multisegment MpWriter gives each writer process one segment, flushed after its last
# document; the flush's memory grows with the segment (its columnar arrays, the merged runs, the term
# table), and at 100 000 records (two writers, ~50 000 documents each) one flush took a writer from
# ~310 MB to ~740 MB. Here a writer process finishes its segment and starts a new one once it holds
# `segment_docs` documents (checked between the parent's job files of 100), so a flush never holds
# more than that many documents, whatever the build's size.

# Documents a writer process's segment holds before it starts another: above a 20 000-record build's
# ~10 000 a process (one segment each there, as before: its queries read as many segments), well
# below a 100 000-record build's 50 000.
SEGMENT_DOCS = 12_000


def segmented_writer(ix, procs: int, segment_docs: int, **kwargs):
    """A multisegment MpWriter whose processes write segments of at most ~`segment_docs` documents."""
    from whoosh.multiproc import MpWriter, SubWriterTask
    from whoosh.writing import SegmentWriter

    from .compounds import _trim_heap

    class Task(SubWriterTask):
        def run(self) -> None:
            # SubWriterTask.run, multisegment, with a new segment every `segment_docs` documents
            ix = self.storage.open_index(self.indexname)
            writer = self.writer = SegmentWriter(ix, _lk=False, **self.kwargs)
            segments = []
            while self.running:
                jobinfo = self.jobqueue.get()
                if jobinfo is None:
                    break
                self._process_file(*jobinfo)
                if writer.docnum >= segment_docs:
                    segments.append(writer._finalize_segment())
                    del writer
                    self.writer = None
                    _trim_heap()  # the flush's freed memory back to the system before the next segment
                    writer = self.writer = SegmentWriter(ix, _lk=False, **self.kwargs)
            if not self.running:
                writer.cancel()
                return
            fieldnames = writer.pool.fieldnames
            if writer._added or not segments:
                segments.append(writer._finalize_segment())
            else:
                writer._close_segment()  # nothing since the last segment: no empty one
            self.resultqueue.put((None, fieldnames, segments), timeout=5)

    class Writer(MpWriter):
        def _new_task(self):
            task = Task(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
            self.tasks.append(task)
            task.start()
            return task

        def _commit(self, mergetype, optimize, merge):
            # MpWriter._commit, multisegment, with a list of segments from each process
            from queue import Empty

            if self.docbuffer:
                self._enqueue()
            for _task in self.tasks:
                self.jobqueue.put(None)
            finalsegments = self._merge_segments(mergetype, optimize, merge)
            for task in self.tasks:
                task.join()
            for _task in self.tasks:
                try:
                    _runname, _fieldnames, segments = self.resultqueue.get(timeout=1)
                except Empty:
                    continue  # a process that failed: the build checks the committed count (index._full)
                finalsegments.extend(segments)
            if self._added:
                finalsegments.append(self._finalize_segment())
            else:
                self._close_segment()
            self._commit_toc(finalsegments)
            self._finish()

    return Writer(ix, procs=procs, multisegment=True, **kwargs)
