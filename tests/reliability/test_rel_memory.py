"""Bounded memory: a JSON export is read and indexed a piece at a time (ingest.read_pieces), and the
index is the one reading it whole would make; a record larger than the per-record limit is cut."""

from __future__ import annotations

import json
import shutil

import pytest
from relhelp import PROJECTS_JSON, SEED_DIR, live_keys

from esfsearch import ingest
from esfsearch.index import build_index, current_generation, file_table
from esfsearch.ingest import MAX_RECORD_CHARS, read_file

# The export's first 100 records, read 15 at a time: 7 pieces, as the 250 records 40 at a time were
# (fewer records to index twice; what is compared is the pieces' joins, not the export's size).
RECORDS = json.loads(PROJECTS_JSON.read_text(encoding="utf-8"))[:100]
PER_PIECE = 15
KEPT = 40  # the update keeps the first KEPT records and changes the next one


def _corpus(root, records) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for seed in sorted(SEED_DIR.glob("*.txt"))[:3]:
        shutil.copy(seed, root / seed.name)
    (root / "export.json").write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")


def _json_entry(ix) -> dict:
    [(key, entry)] = [
        (k, v) for k, v in file_table(current_generation(ix)).items() if k.endswith("export.json")
    ]
    return entry


@pytest.mark.slow
def test_an_export_indexed_in_pieces_is_the_export_indexed_whole(tmp_path, monkeypatch):
    corpus, whole, pieces = tmp_path / "corpus", tmp_path / "whole", tmp_path / "pieces"
    _corpus(corpus, RECORDS)
    first = build_index([corpus], whole)
    monkeypatch.setattr(ingest, "RECORDS_PER_PIECE", PER_PIECE)
    assert -(-len(RECORDS) // PER_PIECE) == 7
    second = build_index([corpus], pieces)
    assert second.files_added == first.files_added == 4
    assert second.records == first.records and second.skipped == first.skipped == []
    assert live_keys(pieces) == live_keys(whole)
    entry = _json_entry(pieces)
    assert entry["records"] == len(RECORDS) and entry["layout"] == "json"
    assert entry["hashes"] == _json_entry(whole)["hashes"]

    # An update reads the changed export in pieces too, and replaces all of its records.
    (corpus / "export.json").write_text(
        json.dumps(RECORDS[:KEPT] + [dict(RECORDS[KEPT], projektnamn="Nytt namn")], ensure_ascii=False),
        encoding="utf-8",
    )
    update = build_index([corpus], pieces)
    assert not update.rebuilt and update.files_updated == 1
    gone = len(RECORDS) - KEPT - 1
    assert update.records == first.records - gone and update.removed == gone
    assert _json_entry(pieces)["records"] == KEPT + 1


def test_a_huge_json_record_is_cut_with_a_reason(tmp_path):
    prose = " ".join(p.read_text(encoding="utf-8").replace("\n", " ") for p in sorted(SEED_DIR.glob("*.txt")))
    text = (prose + " ") * (3 * MAX_RECORD_CHARS // len(prose) + 1)  # one 3 MB string field
    path = tmp_path / "huge.json"
    path.write_text(
        json.dumps(
            [{"ärende-id": "H1", "projektnamn": "Jätteprojekt", "projektbeskrivning": text}],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    result = read_file(path, tmp_path)
    [record] = result.records
    assert record.id == "H1" and len(record.full_text) <= MAX_RECORD_CHARS
    [problem] = result.record_problems
    assert problem.where == f"{path} (H1)" and problem.reason.startswith("text cut to its first")
