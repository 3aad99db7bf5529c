"""What bounds a build's memory (issue 15): the flush keeps its columnar arrays compact and lets go of
the pool's postings as it writes them; a forked writer drops its analysis caches before its flush.
Memory figures themselves are measured in bench/ (peak_rss.py), not here."""

from __future__ import annotations

from array import array

import numpy as np
import pytest

from esfsearch import analysis, columns, fast_writing


@pytest.mark.parametrize("dtype", ["<i4", "<f4"])
def test_postings_from_lists_are_the_bytes_numpy_would_write(dtype):
    values = [[0, 3, 70_000], [5], [], [2**31 - 1, 1]] if dtype == "<i4" else [[1.0, 0.1], [2.5e-3, 1e9]]
    gathered = columns._Postings(dtype)
    for part in values:
        gathered.add(part)
    total = sum(map(len, values))
    expected = np.fromiter((v for part in values for v in part), dtype=dtype, count=total)
    out = gathered.array(total, plain=False)
    assert out.dtype.str == dtype and out.tobytes() == expected.tobytes()
    plain = gathered.array(total, plain=True)
    assert (plain.dtype, plain.count, plain.data) == (dtype, total, expected.tobytes())


def test_postings_from_arrays_are_joined():
    gathered = columns._Postings("<i4")
    gathered.add(np.array([1, 2], dtype=np.int32))
    gathered.add(np.array([7], dtype=np.int32))
    assert gathered.array(3, plain=False).tolist() == [1, 2, 7]
    with pytest.raises(ValueError):
        gathered.array(4, plain=False)  # a count that does not add up is an error, not a short array
    gathered.add([9])
    with pytest.raises(ValueError):
        gathered.array(4, plain=False)  # lists and arrays mixed: their order is unknown


def test_postings_hold_four_bytes_a_posting():
    gathered = columns._Postings("<i4")
    gathered.add(list(range(10_000)))
    assert isinstance(gathered.flat, array) and gathered.flat.itemsize == 4


def test_the_flush_frees_each_terms_postings_once_handed_on():
    class Pool:
        runs: list = []

    pool = Pool()
    pool.current = {("body", b"b"): [0, 1.0, None], ("body", b"a"): [1, 1.0, None, 2, 2.0, None]}
    held = pool.current
    seen = []
    for key, flat in fast_writing._pool_groups(pool):
        seen.append((key, len(flat), len(held)))
    assert seen == [(("body", b"a"), 6, 1), (("body", b"b"), 3, 0)]
    assert pool.current == {}


def test_dropped_caches_analyse_the_same():
    text = "Kompetensförsörjning och arbetsmarknadsutbildning för undersköterskor i Övre Norrland " * 2
    modes = ("exact", "parts", "folded")
    before = {mode: analysis.analyze(text, mode) for mode in modes}
    assert analysis._SUBWORD_CACHE and analysis._FORMS_CACHES
    analysis.drop_caches()
    assert not analysis._SUBWORD_CACHE and not analysis._FORMS_CACHES and not analysis._WORDS_CACHE
    assert {mode: analysis.analyze(text, mode) for mode in modes} == before


def test_a_full_build_reads_its_segments_in_place(tmp_path, monkeypatch):
    """After the commit a full build opens what it wrote (write_columns); Whoosh's BufferFile would
    copy every segment file into memory there (290 MB at 20 000 records): none may be copied."""
    import shutil
    from pathlib import Path

    from whoosh.filedb import structfile

    from esfsearch.index import build_index
    from esfsearch.segment_files import read_segments_in_place

    copied: list[int] = []
    real = structfile.BytesIO

    def spy(buf=b"", *args):
        copied.append(len(buf))
        return real(buf, *args)

    monkeypatch.setattr(structfile.BufferFile, "__init__", structfile.BufferFile.__init__)  # put back after
    read_segments_in_place(enabled=False)  # as in a new process that has opened no index
    monkeypatch.setattr(structfile, "BytesIO", spy)
    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus)
    summary = build_index([corpus], tmp_path / "ix", rebuild=True, procs=1)
    assert summary.records > 200
    assert sum(copied) == 0
