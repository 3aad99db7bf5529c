"""fast_writing's term writer writes the bytes Whoosh's W3 postings writer and term table write.

`_write_term` builds a term's blocks and term-table entry itself; these tests write the same terms
both ways, into one segment each, and compare the segment files byte for byte, over the paths a term
can take: one posting, a full block, several blocks, Positions / Frequency / Existence values, with
and without field lengths, and weights all 1, all equal, or varied."""

from __future__ import annotations

import random

import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT
from whoosh.filedb.filestore import RamStorage
from whoosh.util.numeric import byte_to_length

from esfsearch import fast_writing

FIELDS = {
    "body": TEXT(),  # Positions values, lengths
    "spell": KEYWORD(scorable=False),  # Frequency values, no lengths
    "key": ID(),  # Existence: no values
    "amount": NUMERIC(int, bits=64),  # Existence, many terms
}


def _terms(seed: int) -> list[tuple[str, bytes, list, list, list, list]]:
    """(field, term, ids, weights, values, length bytes) for every kind of term, in term order."""
    rng = random.Random(seed)
    out = []
    for fieldname in sorted(FIELDS):
        fmt = FIELDS[fieldname].format
        for n, weighting in [
            (1, "one"),
            (2, "equal"),
            (127, "varied"),
            (128, "one"),
            (129, "varied"),
            (300, "equal"),
            (700, "varied"),
        ]:
            ids = sorted(rng.sample(range(5000), n))
            if weighting == "one":
                weights = [1.0] * n
            elif weighting == "equal":
                weights = [2.5] * n
            else:
                weights = [rng.choice([1.0, 2.0, 0.3, 7.25]) for _ in range(n)]
            if fmt.fixed_value_size() == 0:
                values = [b""] * n
            elif fmt.fixed_value_size() == 4:
                values = [rng.randrange(1, 9).to_bytes(4, "big") for _ in range(n)]
            else:
                values = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9))) for _ in range(n)]
            lens = [rng.randrange(1, 256) for _ in range(n)] if FIELDS[fieldname].scorable else [0] * n
            out.append((fieldname, f"t{n:04d}{weighting}".encode(), ids, weights, values, lens))
    return out


def _write(terms, fast: bool, inlinelimit: int = 1) -> dict[str, bytes]:
    """The segment files of a field writer given `terms`, through `_write_term` or Whoosh's own
    start_term / add / finish_term."""
    codec = W3Codec(inlinelimit=inlinelimit)
    storage = RamStorage()
    segment = codec.new_segment(storage, "MAIN")
    fw = codec.field_writer(storage, segment)
    last = None
    for fieldname, btext, ids, weights, values, lens in terms:
        if fieldname != last:
            if last is not None:
                fw.finish_field()
            fw.start_field(fieldname, FIELDS[fieldname])
            last = fieldname
        if fast:
            fast_writing._write_term(fw, btext, ids, weights, values, lens)
        else:
            fw.start_term(btext)
            for d, w, v, n in zip(ids, weights, values, lens, strict=True):
                fw.add(d, w, v, byte_to_length(n) if n else None)
            fw.finish_term()
    fw.finish_field()
    fw.close()
    return {name.rsplit(".", 1)[1]: storage.open_file(name).read() for name in storage.list()}


@pytest.mark.parametrize("seed", [1, 2])
def test_write_term_writes_whooshs_bytes(seed):
    terms = _terms(seed)
    stock = _write(terms, fast=False)
    assert set(stock) == {"trm", "pst"}
    assert _write(terms, fast=True) == stock


def test_inlined_terms_go_whooshs_way():
    """A codec that inlines short posting lists (esfsearch's never does) gets Whoosh's own writer for
    them: longer lists are written as blocks the same either way, and a short one fails as in Whoosh
    (its inlining calls a method W3TermInfo lacks)."""
    terms = [t for t in _terms(3) if len(t[2]) >= 2]
    assert _write(terms, fast=True, inlinelimit=2) == _write(terms, fast=False, inlinelimit=2)
    short = [t for t in _terms(3) if len(t[2]) == 1][:1]
    for fast in (False, True):
        with pytest.raises(AttributeError, match="set_inline"):
            _write(short, fast=fast, inlinelimit=2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_columns_read_positions_as_whooshs_decoder(seed):
    """columns._Positions reads one-position values with numpy and the others by unpickling: every
    layout (1-, 2- and 4-byte ints, values without their STOP, several positions) in mixed batches
    gives Whoosh's positions and counts."""
    from whoosh.formats import Positions

    from esfsearch import columns

    fmt = Positions()
    rng = random.Random(seed)
    for _trial in range(40):
        values = []
        for _ in range(rng.randint(1, 200)):
            top = rng.choice([200, 70_000, 2**31 - 1])
            value = fmt.encode(sorted(rng.sample(range(top), rng.choice([1, 1, 1, 2, 5]))))
            values.append(value[:-1] if rng.random() < 0.1 else value)
        gathered = columns._Positions(fmt)
        gathered.BATCH = rng.randint(1, 300)
        for i in range(0, len(values), 7):
            gathered.add(values[i : i + 7])
        pos, pcnt, ptoffs = gathered.arrays([0, len(values)])
        decoded = [fmt.decode_positions(v) for v in values]
        assert pos.tolist() == [p for d in decoded for p in d]
        assert pcnt.tolist() == [len(d) for d in decoded]
        assert ptoffs.tolist() == [0, len(pos)]


def test_pool_postings_are_index_and_add_field():
    """schema.FastIndex.pool_postings puts into the pool exactly what `index()` through `_add_field`
    puts there, with the same size estimate, for Positions and Frequency fields and a field boost."""
    from esfsearch.schema import build_schema

    class Pool:  # what _add_field and _add_value use of Whoosh's PostingPool
        limit = 10**9

        def __init__(self) -> None:
            self.current: dict = {}
            self.fieldnames: set = set()
            self.currentsize = 0

    schema = build_schema()
    texts = [
        "Kompetensförsörjning och arbetsmarknadsutbildning för undersköterskor i Övre Norrland.",
        "Projektet Projektet ska ska stärka 3 000 små och medelstora företag, 2014-2020 (ERUF).",
        "",
    ]
    for fieldname in ("title", "parts", "folded", "spell"):
        for boost in (1.0, 2.5):
            pools = [Pool(), Pool()]
            lengths: list[list[int]] = [[], []]
            for docnum, text in enumerate(texts):
                field = schema[fieldname]
                lengths[0].append(
                    fast_writing._add_field(pools[0], fieldname, docnum, field.index(text), boost)
                )
                lengths[1].append(fast_writing._add_value(pools[1], fieldname, docnum, field, text, boost))
            assert lengths[0] == lengths[1]
            assert pools[0].current == pools[1].current
            assert list(pools[0].current) == list(pools[1].current)
            assert pools[0].currentsize == pools[1].currentsize
            assert pools[0].fieldnames == pools[1].fieldnames
