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
  - every posting passed through four method calls and five type assertions on its way into a
    block; here a term's postings are collected in lists and handed to the block writer a block
    at a time, with the same block boundaries and block statistics.
`speed_up_writing()` installs these once per process (forked writer processes inherit them).
"""

from __future__ import annotations

import marshal
from itertools import islice
from typing import Any

_RUN_BLOCK = 4096  # postings per marshalled block of a run file
_installed = False
_stock: dict[str, Any] = {}  # Whoosh's own methods, for tests that compare


def speed_up_writing() -> None:
    """Patch Whoosh's pool and flush (idempotent)."""
    global _installed
    if _installed:
        return
    from whoosh.writing import PostingPool, SegmentWriter

    _stock.update(
        _write_run=PostingPool._write_run,
        _read_run=PostingPool._read_run,
        add=PostingPool.add,
        _flush_segment=SegmentWriter._flush_segment,
    )
    from whoosh.codec.whoosh3 import W3FieldWriter

    _stock["add_postings"] = W3FieldWriter.add_postings
    W3FieldWriter.add_postings = _add_postings
    W3FieldWriter.finish_field_term = _finish_field_term
    PostingPool._write_run = _write_run
    PostingPool._read_run = _read_run
    PostingPool.add = _pool_add
    SegmentWriter._flush_segment = _flush_segment
    _installed = True


def _write_run(self, f, items) -> None:
    items = iter(items)
    dump = marshal.dump
    try:
        while True:
            block = list(islice(items, _RUN_BLOCK))
            if not block:
                break
            dump(block, f)
    finally:
        f.close()


def _read_run(self, path):
    f = self._open_run(path)
    load = marshal.load
    try:
        while True:
            try:
                block = load(f)
            except EOFError:
                return
            yield from block
    finally:
        f.close()
        self._remove_run(path)


def _pool_add(self, item) -> None:
    # item = (fieldname, term bytes, docnum, weight, value bytes or None); the size estimate is
    # Whoosh's own (PostingPool.add), folded into one constant plus the variable lengths
    self.fieldnames.add(item[0])
    value = item[4]
    self.currentsize += 129 + len(item[0]) + 2 * len(item[1]) + (len(value) if value else 0)
    if self.currentsize > self.limit:
        self.save()
    self.current.append(item)


def _flush_segment(self) -> None:
    self.perdocwriter.close()
    pdr = self.per_document_reader() if self.codec.length_stats else None
    postings = self.pool.iter_postings()
    self.fieldwriter.add_postings(self.schema, _Lengths(pdr) if pdr else None, postings)
    self.fieldwriter.close()
    if pdr:
        pdr.close()


def _add_postings(self, schema, lengths, items) -> None:
    """Whoosh's FieldWriter.add_postings with W3PostingsWriter.add_posting done a block at a time."""
    if lengths is not None and not isinstance(lengths, _Lengths):
        return _stock["add_postings"](self, schema, lengths, items)
    from whoosh.codec.base import OutOfOrderError

    start_field, start_term = self.start_field, self.start_term
    finish_term, finish_field = self.finish_field_term, self.finish_field
    decode: Any = lengths.decode if lengths is not None else None
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
                finish_term(ids, weights, values, lens)
                ids, weights, values, lens = [], [], [], []
            if lastfn is not None:
                finish_field()
            start_field(fieldname, schema[fieldname])
            lastfn, lasttext = fieldname, None
            column = lengths.column(fieldname) if lengths is not None else False
            ncolumn = len(column) if column else 0
        if docnum == -1:  # Whoosh's marker for spelling words; skipped there too
            continue
        if btext != lasttext:
            if lasttext is not None:
                finish_term(ids, weights, values, lens)
                ids, weights, values, lens = [], [], [], []
            start_term(btext)
            lasttext = btext
        ids.append(docnum)
        weights.append(weight)
        values.append(value)
        # the field length as Whoosh's per-document reader gives it (0 without a lengths column,
        # None for a length byte of 0)
        lens.append((decode[column[docnum]] if docnum < ncolumn else None) if column is not False else 0)
    if lasttext is not None:
        finish_term(ids, weights, values, lens)
    self._fieldid = None
    self._btext = None
    self._fieldobj = None
    self._format = None


def _finish_field_term(self, ids, weights, values, lens) -> None:
    """Fill the postings writer's block buffer as add_posting would, one block at a time (a full
    block is written when the next posting arrives), then finish the term."""
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
        block_lengths = [n for n in lens[start:end] if n]
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
