"""esfsearch/segment_files.py: Whoosh's segment files read in place. The reader must behave exactly like
the BytesIO it replaces, and an index must answer the same with and without it."""

from __future__ import annotations

import io
import json
import pickle
import random

import pytest
from whoosh.filedb import structfile

from esfsearch import segment_files
from esfsearch.search import SearchEngine
from esfsearch.segment_files import MemoryReader, read_segments_in_place

DATA = bytes(random.Random(7).randrange(256) for _ in range(5000)) + b"line one\nline two\n\nlast"


@pytest.mark.parametrize("seed", range(20))
def test_reader_matches_bytesio_on_random_operations(seed):
    rng = random.Random(seed)
    mine, ref = MemoryReader(memoryview(DATA)), io.BytesIO(DATA)
    for _ in range(200):
        op = rng.choice(["read", "read_all", "seek", "seek_cur", "seek_end", "readline", "readinto"])
        if op == "read":
            n = rng.randrange(0, 300)
            assert mine.read(n) == ref.read(n)
        elif op == "read_all":
            assert mine.read() == ref.read()
        elif op == "seek":
            pos = rng.randrange(0, len(DATA) + 50)  # past the end is allowed, reads give b""
            assert mine.seek(pos) == ref.seek(pos)
        elif op == "seek_cur":
            delta = rng.randrange(-20, 40)
            if ref.tell() + delta >= 0:
                assert mine.seek(delta, io.SEEK_CUR) == ref.seek(delta, io.SEEK_CUR)
        elif op == "seek_end":
            delta = -rng.randrange(0, 60)
            assert mine.seek(delta, io.SEEK_END) == ref.seek(delta, io.SEEK_END)
        elif op == "readline":
            limit = rng.choice([-1, rng.randrange(0, 400)])
            assert mine.readline(limit) == ref.readline(limit)
        else:
            a, b = bytearray(rng.randrange(0, 100)), bytearray(len(DATA))
            b = bytearray(len(a))
            assert mine.readinto(a) == ref.readinto(b) and a == b
        assert mine.tell() == ref.tell()


def test_reader_lines_pickles_and_no_copy():
    data = b"".join(pickle.dumps({"n": i, "s": "å" * i}, protocol=p) for i, p in enumerate([2, 4, 5]))
    reader = MemoryReader(data)
    assert [pickle.load(reader) for _ in range(3)] == [{"n": i, "s": "å" * i} for i in range(3)]
    assert list(MemoryReader(b"a\nb\nc")) == [b"a\n", b"b\n", b"c"]
    with pytest.raises(ValueError):
        MemoryReader(b"abc").seek(-1)
    buf = bytearray(b"abcdef")
    reader = MemoryReader(buf)
    buf[0:1] = b"z"  # shares the memory: sees the change
    assert reader.read(2) == b"zb" and reader.getvalue() == b"zbcdef"
    reader.close()
    assert reader.closed
    buf.extend(b"!")  # released: the buffer may be resized again
    with pytest.raises(ValueError):
        reader.read(1)


def test_index_answers_the_same_read_in_place(monkeypatch, shipped_index):
    queries = [
        "kompetensförsörjning",
        "hallbar stadsutveckling",
        '"life science"',
        "region:Skåne energi",
        "*:*",
    ]

    def answers():
        with SearchEngine(shipped_index) as engine:
            assert isinstance(structfile.BufferFile(b"x").file, MemoryReader) == in_place
            return json.dumps(
                [
                    [(h.id, round(h.score, 6)) for h in engine.search(q, limit=20, snippets=False).hits]
                    + [engine.search(q).total]
                    for q in queries
                ]
            )

    try:
        in_place = False
        read_segments_in_place(False)
        with monkeypatch.context() as m:  # opening the index would switch it back on
            m.setattr(segment_files, "read_segments_in_place", lambda enabled=True: None)
            copied = answers()
    finally:
        read_segments_in_place(True)
    in_place = True
    assert answers() == copied
