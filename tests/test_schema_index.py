"""The build's shortcuts write the index Whoosh would have written: FastIndex fields give the postings
of Whoosh's token-stream path, and a build with fast_writing's flush gives the same segment contents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh.fields import FieldType

from esfsearch.ingest import ingest
from esfsearch.schema import VALUE_SEP, FastIndex, build_schema, record_document

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

ODD_TEXTS = [
    "",
    "och att i",  # only stopwords
    "Projektet projektet PROJEKTET projekt projekts",  # several words on one stem
    "ESF-stöd 2014-2020, t.ex. bl.a. m.m. 11 256 577 kr; ESF+ och e-post: a.b@c.se",
    "kompetensförsörjning kompetensforsorjning Kompetensförsörjningsbehov arbetsmarknaden",
    "Cafe\u0301 e\u0301n ide\u0301 miljön",  # NFD input
    "İstanbul ΣΟΦΙΑ Straße",  # lower() changes the length / Greek sigma
    "unga under 25 år, personer utan gymnasieutbildning",
    f"Övre Norrland{VALUE_SEP}  {VALUE_SEP}Stockholm{VALUE_SEP}övre  norrland",
]


def _stock(field, value):
    return sorted(FieldType.index(field, value))


def _texts():
    records = ingest([CORPUS]).records[:60]
    docs = [record_document(r, f"k{n}", "f") for n, r in enumerate(records)]
    return docs


def test_fast_fields_give_whoosh_postings():
    schema = build_schema()
    fast = [name for name in schema.names() if isinstance(schema[name], FastIndex)]
    assert {"title", "body", "parts", "folded", "spell", "region", "fund_v", "region_f"} <= set(fast)
    docs = _texts()
    assert docs
    # field by field within each document, in Whoosh's (sorted) order, so that "title\ntext" meets
    # the text's analysis as in a build
    odd = [dict.fromkeys(fast, text) for text in ODD_TEXTS]
    odd += [{"body": b, "folded": f"{a}\n{b}"} for a in ODD_TEXTS for b in ODD_TEXTS]
    for doc in docs + odd:
        for name in sorted(doc):
            if name in fast:
                field = schema[name]
                assert sorted(field.index(doc[name])) == _stock(field, doc[name]), (name, doc[name])


def test_fast_fields_survive_pickling():
    import pickle

    schema = pickle.loads(pickle.dumps(build_schema()))
    field = schema["folded"]
    value = "Kompetensförsörjning i Övre Norrland"
    assert sorted(field.index(value)) == _stock(field, value)


def _contents(root: Path) -> dict:
    from esfsearch.index import current_generation, open_whoosh

    ix = open_whoosh(current_generation(root))
    out: dict = {}
    try:
        with ix.reader() as r:
            keys = {d: s["key"] for d, s in r.iter_docs()}
            for fname, text in r.all_terms():
                ti = r.term_info(fname, text)
                m = r.postings(fname, text)
                posts = []
                while m.is_active():
                    posts.append((keys[m.id()], m.value(), m.weight()))
                    m.next()
                out[(fname, text)] = (
                    ti.weight(),
                    ti.doc_frequency(),
                    ti.min_length(),
                    ti.max_length(),
                    sorted(posts),
                )
            for fname in r.schema.names():
                if r.schema[fname].scorable:
                    out[("len", fname)] = sorted((keys[d], r.doc_field_length(d, fname)) for d in keys)
            out["stored"] = sorted(json.dumps(s, sort_keys=True, default=str) for _, s in r.iter_docs())
    finally:
        ix.close()
    return out


@pytest.mark.slow
def test_fast_flush_writes_what_whoosh_writes(tmp_path, monkeypatch):
    import shutil

    from whoosh.codec.whoosh3 import W3FieldWriter
    from whoosh.writing import PostingPool, SegmentWriter

    from esfsearch import fast_writing
    from esfsearch.index import build_index

    fast_writing.speed_up_writing()
    stock = dict(fast_writing._stock)
    # Every layout of the shipped corpus with 100 of its 250 JSON records, built twice: a 0.4 MB
    # pool forces some 30 sorted runs through the patched run files (1 MB gave 24 with all 250)
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "seeds", corpus / "seeds")
    shutil.copy(CORPUS / "README.md", corpus / "README.md")
    export = CORPUS / "projektbanken-eruf-2014-2020" / "projects.json"
    (corpus / "json").mkdir()
    (corpus / "json" / export.name).write_text(
        json.dumps(json.loads(export.read_text(encoding="utf-8"))[:100], ensure_ascii=False), encoding="utf-8"
    )
    monkeypatch.setattr("esfsearch.index._writer", lambda ix, procs, n: ix.writer(limitmb=0.4))
    build_index([corpus], tmp_path / "fast", rebuild=True)
    fast = _contents(tmp_path / "fast")

    monkeypatch.setattr(fast_writing, "_installed", True)  # keep speed_up_writing from patching
    owner = {
        "_flush_segment": SegmentWriter,
        "add_postings_to_pool": SegmentWriter,
        "add_document": SegmentWriter,
        "add_postings": W3FieldWriter,
    }
    for name, fn in stock.items():
        monkeypatch.setattr(owner.get(name, PostingPool), name, fn)
    build_index([corpus], tmp_path / "stock", rebuild=True)
    assert _contents(tmp_path / "stock") == fast


@pytest.mark.parametrize("name", ["title", "parts", "spell", "fund_v"])
def test_non_string_values_go_the_ordinary_way(name):
    field = build_schema()[name]
    assert sorted(field.index(["a", "b"])) == _stock(field, ["a", "b"])


def _columns_read_back(root: Path, back: Path) -> list[tuple]:
    """(live, read back) bytes of every segment's columnar files: the live ones, and the same
    segment's written again from its committed term table and blocks (columns._write_segment)."""
    from esfsearch import columns
    from esfsearch.index import current_generation, open_whoosh

    gen = current_generation(root)
    ix = open_whoosh(gen)
    pairs = []
    try:
        with ix.reader() as r:
            for seg, _offset in columns.leaf_readers(r):
                sid = columns.segment_id(seg)
                columns._write_segment(seg, ix.schema, back / sid)
                pairs.append(
                    tuple(
                        (
                            (folder / columns.DATA).read_bytes(),
                            json.loads((folder / columns.MANIFEST).read_text()),
                        )
                        for folder in (gen / columns.COLUMNS / sid, back / sid)
                    )
                )
    finally:
        ix.close()
    return pairs


@pytest.mark.slow
@pytest.mark.parametrize(("procs", "plain"), [(1, False), (2, False), (1, True)])
def test_flush_writes_the_columns_write_columns_would(tmp_path, monkeypatch, procs, plain):
    """The build's flush writes each segment's columnar files from the postings it holds
    (fast_writing.COLUMNS_GEN): byte for byte what reading the committed segment back gives, for a
    full build (forked writers too) and for the segment of an incremental update (written without
    numpy; `plain`: the whole build's segment written so too)."""
    import shutil

    from esfsearch import columns
    from esfsearch.index import build_index

    if plain:
        monkeypatch.setattr(columns.SegmentArrays, "PLAIN_DOCS", 10**6)

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    read_back = []
    real = columns._write_segment
    monkeypatch.setattr(columns, "_write_segment", lambda *a: read_back.append(a) or real(*a))
    root = tmp_path / "ix"
    build_index([corpus], root, rebuild=True, procs=procs)
    (corpus / "nytt.md").write_text(
        "# Kompetenslyft i Övre Norrland\n\nKompetensförsörjning för undersköterskor, 2021-2023.\n",
        encoding="utf-8",
    )
    build_index([corpus], root, procs=procs)
    assert not read_back  # write_columns found every segment's files complete
    monkeypatch.setattr(columns, "_write_segment", real)
    pairs = _columns_read_back(root, tmp_path / "back")
    assert len(pairs) >= 2 - (procs == 1)
    for live, back in pairs:
        assert live == back


def test_a_one_file_update_does_not_import_numpy(tmp_path):
    """numpy's import costs more than the rest of a small segment's columns: an update's new
    segment is written without it (the equality of its bytes is tested above). The index updated is
    the seed texts' (not the whole shipped corpus's): what is asked is how the update's one-record
    segment is written, whatever the size of the segments before it."""
    import shutil
    import subprocess
    import sys

    from esfsearch.index import build_index

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "seeds", corpus / "seeds")
    build_index([corpus], tmp_path / "ix", rebuild=True)
    (corpus / "nytt.md").write_text(
        "# Kompetenslyft\n\nKompetensförsörjning i Övre Norrland.\n", encoding="utf-8"
    )
    code = (
        "import sys; from pathlib import Path; from esfsearch.index import build_index; "
        "s = build_index([Path(sys.argv[1])], Path(sys.argv[2])); "
        "print(s.added, s.rebuilt, 'numpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(corpus), str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    assert out == ["1", "False", "False"]
