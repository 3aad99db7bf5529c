"""Incremental updates: which files are read again (the stat check, and when it is not trusted), and
the generation's subword table that spares an update the compound splitter's dictionary."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import esfsearch.index as I
from esfsearch.analysis import SUBWORD_TABLE
from esfsearch.index import build_index, current_generation, file_table, read_meta
from esfsearch.search import SearchEngine

REPO = Path(__file__).resolve().parent.parent
TEXTS = {
    "kiruna.md": "# Gruvskolan i Kiruna\n\nUtbildning för gruvarbetare och maskinförare i Kiruna.\n",
    "ystad.md": "# Språkstöd i Ystad\n\nSpråkstöd och arbetsmarknadsutbildning för nyanlända i Ystad.\n",
    "umea.md": "# Kompetenslyft Umeå\n\nKompetensförsörjning för vårdbiträden och undersköterskor.\n",
}


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in TEXTS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def trusted(monkeypatch):
    """Files written by the test a moment before the build are 'racy' (their times are too close to
    the scan to be trusted); here only times after the scan's start are."""
    monkeypatch.setattr(I, "RACY_NS", 0)


@pytest.fixture
def digests(monkeypatch) -> list[Path]:
    """The files the scan hashes."""
    seen: list[Path] = []
    real = I.file_digest

    def digest(path):
        seen.append(Path(path))
        return real(path)

    monkeypatch.setattr(I, "file_digest", digest)
    return seen


def _total(ix: Path, q: str) -> int:
    with SearchEngine(ix) as engine:
        return engine.search(q).total


def _files(ix: Path) -> dict[str, dict]:
    gen = current_generation(ix)
    assert gen is not None
    return file_table(gen)


def test_unchanged_files_are_not_read(corpus, tmp_path, trusted, digests):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    entry = _files(ix)[str((corpus / "kiruna.md").resolve())]
    assert {"size", "mtime_ns", "ctime_ns", "ino", "sha1"} <= entry.keys()
    digests.clear()
    summary = build_index([corpus], ix)
    assert digests == [] and summary.files_unchanged == 3 and summary.updated == 0


def test_content_changed_with_size_and_mtime_put_back(corpus, tmp_path, trusted, digests):
    """`touch -d`, `cp -p`, an editor or sync tool that keeps the mtime: the ctime still changes
    (it cannot be set back), so the file is hashed and found changed."""
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    path = corpus / "kiruna.md"
    before = path.stat()
    time.sleep(0.05)  # past the file-time clock's tick
    with open(path, "r+", encoding="utf-8") as fh:  # same inode, same size
        text = fh.read()
        fh.seek(0)
        fh.write(text.replace("Kiruna", "Zambia"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    digests.clear()
    summary = build_index([corpus], ix)
    assert digests == [path.resolve()]
    assert summary.files_updated == 1 and summary.updated == 1
    assert _total(ix, "Zambia") == 1 and _total(ix, "Kiruna") == 0


def test_file_replaced_by_a_same_size_one_with_the_same_mtime(corpus, tmp_path, trusted):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    path = corpus / "ystad.md"
    before = path.stat()
    other = tmp_path / "new.md"
    other.write_text(path.read_text(encoding="utf-8").replace("Ystad", "Ronne"), encoding="utf-8")
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, path)
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    summary = build_index([corpus], ix)
    assert summary.files_updated == 1 and summary.updated == 1
    assert _total(ix, "Ronne") == 1 and _total(ix, "Ystad") == 0


def test_racy_files_are_hashed_until_their_times_can_be_trusted(corpus, tmp_path, digests):
    """A file changed just before (or during) a scan is recorded without its ctime: the next scan
    hashes it again instead of trusting times that a write in the same clock tick would not change."""
    ix = tmp_path / "ix"
    build_index([corpus], ix)  # the files were written a moment ago: all racy
    assert not any("ctime_ns" in e for e in _files(ix).values())
    digests.clear()
    summary = build_index([corpus], ix)
    assert len(digests) == 3 and summary.files_unchanged == 3 and summary.files_updated == 0
    I.RACY_NS, racy = 0, I.RACY_NS
    try:
        build_index([corpus], ix)  # now old enough: recorded with their ctime
        assert all("ctime_ns" in e for e in _files(ix).values())
        digests.clear()
        build_index([corpus], ix)
        assert digests == []
    finally:
        I.RACY_NS = racy


def test_a_table_from_an_older_esfsearch_is_trusted_after_one_hash(corpus, tmp_path, trusted, digests):
    """Indexes made before: the file table inside meta.json, without the ctime and inode. Each file
    is hashed once (same hash: unchanged, nothing re-indexed), then recorded in full in a table of
    its own."""
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    gen = current_generation(ix)
    assert gen is not None
    meta = dict(read_meta(gen))
    files = file_table(gen, meta)
    for name in ("file_table", "file_count"):
        meta.pop(name)
    meta["files"] = {
        k: {f: v for f, v in e.items() if f not in ("ctime_ns", "ino")} for k, e in files.items()
    }
    for table in gen.glob("files-*.marshal"):
        table.unlink()
    I.write_atomic(gen / I.META, I.json.dumps(meta, ensure_ascii=False))
    digests.clear()
    summary = build_index([corpus], ix)
    assert len(digests) == 3 and summary.updated == 0 and summary.files_unchanged == 3
    assert "files" not in read_meta(gen) and len(list(gen.glob("files-*.marshal"))) == 1
    digests.clear()
    build_index([corpus], ix)
    assert digests == []


def test_the_file_table_is_replaced_with_meta_json(corpus, tmp_path):
    """meta.json names the table it goes with; the previous table goes once the new meta.json is in
    place, and a damaged table makes the next run rebuild instead of trusting it."""
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    gen = current_generation(ix)
    assert gen is not None
    first = read_meta(gen)["file_table"]
    (corpus / "lulea.md").write_text("# Luleå\n\nStålverket i Luleå.\n", encoding="utf-8")
    build_index([corpus], ix)
    meta = read_meta(gen)
    assert meta["file_table"] != first and meta["file_count"] == 4
    assert [p.name for p in gen.glob("files-*.marshal")] == [meta["file_table"]]
    (gen / meta["file_table"]).write_bytes(b"\x00damaged")
    summary = build_index([corpus], ix)
    assert summary.rebuilt and summary.records == 4
    assert _total(ix, "Stålverket") == 1


# ---------------------------------------------------------------- the subword table

_UPDATE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from esfsearch import analysis
    from esfsearch.index import build_index
    s = build_index([Path(sys.argv[1])], Path(sys.argv[2]))
    print(s.files_updated, s.updated, analysis.words_split(), analysis.default_splitter.cache_info().currsize)
""")


def _update(corpus: Path, ix: Path) -> list[int]:
    proc = subprocess.run(
        [sys.executable, "-c", _UPDATE, str(corpus), str(ix)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return [int(x) for x in proc.stdout.split()]


def test_full_build_saves_the_splitters_answers(corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    gen = current_generation(ix)
    assert gen is not None
    table = marshal.loads((gen / SUBWORD_TABLE).read_bytes())
    assert "gruvarbetare" in table["words"] and "kompetensförsörjning" in table["words"]
    assert all(len(w) >= 7 for w in table["words"])


def test_update_with_known_words_does_not_load_the_splitter(corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    path = corpus / "kiruna.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nUtbildning för maskinförare.\n", encoding="utf-8")
    files_updated, updated, split, splitter_loaded = _update(corpus, ix)
    assert (files_updated, updated, split, splitter_loaded) == (1, 1, 0, 0)
    assert _total(ix, "maskinförare") == 1


def test_new_words_are_split_and_added_to_the_table(corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    gen = current_generation(ix)
    assert gen is not None
    (corpus / "lulea.md").write_text(
        "# Luleå\n\nSkogsmaskinförare och vindkraftstekniker.\n", encoding="utf-8"
    )
    files_updated, updated, split, loaded = _update(corpus, ix)
    assert split > 0 and loaded == 1
    assert "vindkraftstekniker" in marshal.loads((gen / SUBWORD_TABLE).read_bytes())["words"]
    assert _total(ix, "vindkraftstekniker") == 1
    (corpus / "lulea.md").write_text(
        "# Luleå\n\nVindkraftstekniker och skogsmaskinförare.\n", encoding="utf-8"
    )
    assert _update(corpus, ix)[2:] == [0, 0]


@pytest.mark.parametrize("damage", ["garbage", "other key", "missing"])
def test_a_damaged_or_foreign_table_is_ignored(corpus, tmp_path, damage):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    gen = current_generation(ix)
    assert gen is not None
    table = gen / SUBWORD_TABLE
    if damage == "garbage":
        table.write_bytes(b"\x00not marshal")
    elif damage == "other key":
        table.write_bytes(marshal.dumps({"key": "another splitter", "words": {"gruvarbetare": ("wrong",)}}))
    else:
        table.unlink()
    path = corpus / "kiruna.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Kiruna", "Gällivare"), encoding="utf-8")
    assert _update(corpus, ix)[3] == 1  # the splitter answered
    assert marshal.loads(table.read_bytes())["key"] != "another splitter"
    assert _total(ix, "wrong") == 0 and _total(ix, "gruvarbetare") == 1 and _total(ix, "Gällivare") == 1


# ---------------------------------------------------------------- merging small segments


def test_merge_reads_the_postings_whoosh_reads(corpus, tmp_path):
    """The merge's reading of a segment gives Whoosh's `iter_postings`, deleted documents left out."""
    from esfsearch.fast_writing import _segment_postings
    from esfsearch.index import open_whoosh

    ix = tmp_path / "ix"
    build_index([corpus], ix)
    for n in range(3):  # small segments, and deletions in the first
        path = corpus / "kiruna.md"
        path.write_text(
            path.read_text(encoding="utf-8") + f"\nTillägg {n} om gruvarbetare.\n", encoding="utf-8"
        )
        build_index([corpus], ix)
    gen = current_generation(ix)
    assert gen is not None
    whoosh_ix = open_whoosh(gen)
    try:
        with whoosh_ix.reader() as reader:
            leaves = [leaf for leaf, _offset in reader.leaf_readers()]
            assert any(leaf.has_deletions() for leaf in leaves)
            for leaf in leaves:
                fast = _segment_postings(leaf)
                assert fast is not None
                assert list(fast) == list(leaf.iter_postings())
    finally:
        whoosh_ix.close()


def test_updates_that_merge_segments_keep_every_record(corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    for n in range(7):  # Whoosh merges the small segments of earlier updates from the fifth on
        path = corpus / ("kiruna.md" if n % 2 else "ystad.md")
        path.write_text(path.read_text(encoding="utf-8") + f"\nTillägg nummer{n}.\n", encoding="utf-8")
        summary = build_index([corpus], ix)
        assert summary.records == 3
    from esfsearch.index import open_whoosh

    gen = current_generation(ix)
    assert gen is not None
    whoosh_ix = open_whoosh(gen)
    try:
        assert len(whoosh_ix._segments()) < 8, "no merge happened"
    finally:
        whoosh_ix.close()
    fresh = tmp_path / "fresh"
    build_index([corpus], fresh, rebuild=True)
    for q in ("Kiruna", "Ystad", "nummer5", "nummer6", "kompetensförsörjning", "gruvarbetare"):
        assert _total(ix, q) == _total(fresh, q), q
