"""Bounded input: a JSON export cut off mid-record keeps the complete records before the cut (and says
where it was cut); a record larger than the per-record limit is cut, and the cut reported."""

from __future__ import annotations

import json
import re

import pytest
from relhelp import PROJECTS_JSON, SEED_DIR

from esfsearch import ingest
from esfsearch.index import build_index
from esfsearch.ingest import MAX_RECORD_CHARS, parse_document, read_file
from esfsearch.search import SearchEngine

RECORDS = json.loads(PROJECTS_JSON.read_text(encoding="utf-8"))[:40]


def _export(records) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2)


def _cut_inside_record(text: str, n: int) -> int:
    """An offset inside record n (1-based) of an indented export: after its first key."""
    starts = [i for i in range(len(text)) if text.startswith("\n  {", i)]
    return starts[n - 1] + 20


@pytest.mark.parametrize("cut_in", [1, 12, 40])
def test_truncated_json_array_keeps_the_complete_records(tmp_path, cut_in):
    full = _export(RECORDS)
    at = _cut_inside_record(full, cut_in)
    path = tmp_path / "projects.json"
    path.write_text(full[:at], encoding="utf-8")

    result = read_file(path, tmp_path)
    assert [r.title for r in result.records] == [
        " ".join(r["projektnamn"].split()) for r in RECORDS[: cut_in - 1]
    ]
    assert result.problem is None if cut_in > 1 else result.problem.startswith("no readable records")
    reasons = [p.reason for p in result.record_problems]
    assert len(reasons) == 1 and reasons[0].startswith("JSON cut off at line ")
    line = full[:at].count("\n") + 1
    assert f"at line {line}, the end of the file, inside record {cut_in} " in reasons[0]
    assert f"the {cut_in - 1} complete record" in reasons[0] and "the incomplete one is not" in reasons[0]


def test_truncated_json_cut_between_records_and_indexed(tmp_path):
    full = _export(RECORDS[:10])
    at = full.index("\n  {", full.index("\n  {", full.index("\n  {") + 1) + 1)  # after record 2's comma
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cut.json").write_text(full[:at], encoding="utf-8")
    summary = build_index([corpus], tmp_path / "ix")
    assert summary.records == 2
    assert [r for _p, r in summary.skipped if r.startswith("JSON cut off") and "after record 2 " in r]
    with SearchEngine(tmp_path / "ix") as engine:
        assert engine.count("") == 2


def test_json_with_a_syntax_error_inside_is_not_guessed(tmp_path):
    full = _export(RECORDS[:10])
    broken = full.replace('",\n', '" oops\n', 3)  # not a cut: damage in the middle of the file
    result = parse_document(broken, rel_path="projects.json")
    assert result.records == [] and result.problem.startswith("unknown layout: invalid JSON")
    complete = parse_document(full, rel_path="projects.json")
    assert len(complete.records) == 10 and complete.record_problems == []


def _long_seed_text(min_chars: int) -> tuple[str, str]:
    """(title, body): the prose paragraphs of the seed texts, repeated until the body is longer than
    min_chars (free text: one record)."""
    paragraphs = [
        p.strip()
        for f in sorted(SEED_DIR.glob("*.txt"))
        for p in f.read_text(encoding="utf-8").split("\n\n")
        if len(p.strip()) > 300 and "\n" not in p.strip() and ". " in p
    ]
    seed = "\n\n".join(paragraphs)
    title = "Samlade beskrivningar"
    body, n = [], 0
    while n <= min_chars:
        body.append(seed)
        n += len(seed) + 2
    return title, "\n\n".join(body)


def test_oversized_record_is_cut_and_the_cut_reported():
    title, body = _long_seed_text(MAX_RECORD_CHARS + 50_000)
    result = parse_document(f"{title}\n\n{body}\nslutmarkör", rel_path="big.txt")
    assert len(result.records) == 1
    record = result.records[0]
    assert len(record.full_text) <= MAX_RECORD_CHARS
    assert " ".join(record.summary.split()[:2000]) in " ".join(body.split())
    assert "slutmarkör" not in record.full_text
    assert record.content_hash == record.compute_hash()
    [problem] = result.record_problems
    assert problem.where == f"big.txt ({record.id})"
    m = re.match(r"text cut to its first ([\d,]+) of ([\d,]+) characters", problem.reason)
    kept, total = (int(g.replace(",", "")) for g in m.groups())
    assert kept == len(record.full_text) and total > MAX_RECORD_CHARS
    assert "neither searchable nor stored" in problem.reason


def test_cut_record_is_indexed_up_to_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_RECORD_CHARS", 30_000)
    title, body = _long_seed_text(60_000)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "big.txt").write_text(f"{title}\n\n{body}\nslutmarkör\n", encoding="utf-8")
    summary = build_index([corpus], tmp_path / "ix")
    assert summary.records == 1
    assert [r for _p, r in summary.skipped if "text cut to its first" in r]
    with SearchEngine(tmp_path / "ix") as engine:
        assert engine.search("slutmarkör").total == 0
        assert engine.search("Sörmlandsstrategin").total == 1
        [hit] = engine.search("", limit=1).hits
        assert len(hit.record.full_text) <= 30_000
