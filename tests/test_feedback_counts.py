"""A feedback record's term counts are read from the columnar files (columns.py's doc-major `dperm` /
`doffs` of title and body), not analysed from its stored record: they must be exactly what analysing
it gives — the same stems, counts and first-occurrence order (feedback breaks ties among equally strong
candidates by that order) — for every record, in every kind of segment: a full build's, a small
update's (written without numpy), a merged one's. Segments written before the arrays existed still
give the analysed counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from esfsearch import expansion
from esfsearch.columns import COLUMNS, DOC_FIELDS, MANIFEST
from esfsearch.index import build_index, current_generation
from esfsearch.records import ProjectRecord
from esfsearch.search import SearchEngine


def _analysed(engine: SearchEngine, docnum: int) -> list[tuple[str, int]]:
    record = ProjectRecord.from_dict(json.loads(engine._searcher.stored_fields(docnum)["record"]))
    return list(expansion.term_counts(f"{record.title}\n{record.full_text}").items())


def _check_every_record(ix: Path) -> int:
    """Every live record's stored counts equal its analysed counts; returns how many were checked."""
    with SearchEngine(ix, exec_mode="fast") as engine:
        reader = engine._searcher.reader()
        checked = 0
        for docnum in reader.all_doc_ids():
            stored = engine._stored_term_counts(docnum)
            assert stored is not None, docnum
            assert list(stored.items()) == _analysed(engine, docnum), docnum
            checked += 1
        assert engine.fast_unavailable is None
        return checked


def test_the_shipped_corpus_counts_are_the_analysed_ones(shipped_index):
    assert _check_every_record(shipped_index) > 250


def test_a_generated_corpus_in_several_segments_and_an_update(big):
    _corpus, ix, n = big
    assert _check_every_record(ix) == n


def test_an_update_and_a_merge_carry_the_arrays(big, tmp_path):
    corpus, ix, _n = big
    mine = tmp_path / "ix"
    shutil.copytree(ix, mine)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "ny.txt").write_text(
        "Kompetensförsörjning i Norrbotten\n\nProjektet stärker kompetensförsörjningen hos små företag "
        "genom validering och handledning. Validering, validering och åter handledning.\n",
        encoding="utf-8",
    )
    summary = build_index([corpus, extra], mine)  # a small segment, written without numpy
    assert summary.added == 1 and summary.records == _n + 1
    assert _check_every_record(mine) == _n + 1
    # every segment of the updated index: the full build's (`big`), the update's, any merged one
    folders = list((current_generation(mine) / COLUMNS).iterdir())
    assert len(folders) >= 2
    for folder in folders:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        assert all(f"{f}.{k}" in manifest["arrays"] for f in DOC_FIELDS for k in ("dperm", "doffs"))


def test_a_segment_without_the_arrays_is_analysed(shipped_index, tmp_path):
    """An index written before the arrays: the manifest names none, feedback analyses the record,
    and searches give what they gave."""
    mine = tmp_path / "ix"
    shutil.copytree(shipped_index, mine)
    with SearchEngine(mine, exec_mode="fast") as engine:
        before = engine.search("kompetensförsörjning")
        explained = engine.explain("integration")["expansions"]
    for folder in (current_generation(mine) / COLUMNS).iterdir():
        path = folder / MANIFEST
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for field in DOC_FIELDS:
            del manifest["arrays"][f"{field}.dperm"], manifest["arrays"][f"{field}.doffs"]
        path.write_text(json.dumps(manifest), encoding="utf-8")
    with SearchEngine(mine, exec_mode="fast") as engine:
        assert engine._stored_term_counts(0) is None
        assert list(engine._term_counts(0).items()) == _analysed(engine, 0)
        after = engine.search("kompetensförsörjning")
        assert engine.explain("integration")["expansions"] == explained
        assert engine.fast_unavailable is None
    assert [(h.key, h.score) for h in after.hits] == [(h.key, h.score) for h in before.hits]
    assert after.total == before.total
