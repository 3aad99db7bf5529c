"""A JSON record too long to be a project record is read through, never held whole, each of its
texts cut to what a record keeps, and the cut reported (the memory bound of issue 16 for one record,
whatever the file); a number too long for Python's int() does not stop the file. The limits are
lowered here so that the files stay small: the same code runs at the real limits
(layouts.MAX_JSON_RECORD_CHARS, 32 M characters; records.MAX_RECORD_CHARS, 1 M)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esfsearch import layouts, textio
from esfsearch.ingest import read_file

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"  # the five seed texts, shipped
LIMIT, KEPT = 40_000, 12_000


@pytest.fixture(autouse=True)
def _small_limits(monkeypatch):
    monkeypatch.setattr(layouts, "MAX_JSON_RECORD_CHARS", LIMIT)
    monkeypatch.setattr(layouts, "MAX_RECORD_CHARS", KEPT)


@pytest.fixture(params=["whole", "in pieces"])
def pieces(request, monkeypatch):
    """The file read in one piece (a small file), or in pieces smaller than one record."""
    if request.param == "in pieces":
        monkeypatch.setattr(textio, "PIECE_BYTES", 4096)
        monkeypatch.setattr(layouts, "_KEEP", 5000)
    return request.param


def _prose() -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    assert len(texts) == 5, SEEDS
    return " ".join(texts)


def _record(n: int, text: str) -> dict:
    return {"ärende-id": f"R{n}", "projektnamn": f"Projekt {n}", "projektbeskrivning": text}


TRICKY = 'citat "}]" och \\ och \\" och [{ '  # what could mislead a reader of brackets and strings


def _oversized() -> dict:
    """A record longer than the limit: its text repeats the seeds and every character that could
    mislead a reader of brackets (quotes, backslashes, a backslash before a quote, brackets)."""
    text = TRICKY + _prose()
    record = _record(2, text * (LIMIT // len(text) + 2))
    record["bilagor"] = {"namn": "a]}", "delar": [[1, 2], {"x": "\\"}]}
    return record


def _span(text: str, marker: str) -> int:
    """The length of the JSON object around the first `marker` in `text`."""
    start = text.rindex("{", 0, text.index(marker))
    return json.JSONDecoder().raw_decode(text, start)[1] - start


def _cut_reason(chars: int) -> str:
    return (
        f"{chars:,} characters of JSON, more than one project record can be (40,000): "
        "each of its texts is read up to its first 12,000 characters"
    )


def _check_cut_record(record) -> None:
    assert record.title == "Projekt 2" and record.id == "R2"
    assert record.full_text.startswith('citat "}]" och \\ och \\" och [{')
    assert 0.9 * KEPT < len(record.full_text) <= KEPT  # escapes (\\n) are two characters of JSON


def test_an_oversized_record_in_a_list_is_cut_and_the_others_read(tmp_path, pieces):
    path = tmp_path / "export.json"
    records = [_record(1, "Kompetensförsörjning i Gävleborg."), _oversized(), _record(3, _prose()[:5000])]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    result = read_file(path, tmp_path)
    assert [r.title for r in result.records] == ["Projekt 1", "Projekt 2", "Projekt 3"]
    _check_cut_record(result.records[1])
    assert result.records[2].full_text.split()[:20] == _prose()[:5000].split()[:20]
    [problem] = result.record_problems
    assert str(problem.where) == f"{path} (record 2)"
    assert problem.reason == _cut_reason(_span(path.read_text(encoding="utf-8"), '"R2"'))


def test_an_oversized_line_of_json_lines_is_cut_and_the_others_read(tmp_path, pieces):
    path = tmp_path / "export.jsonl"
    lines = [
        _record(1, "Unga som varken arbetar eller studerar."),
        _oversized(),
        _record(3, "Nyanlända kvinnor."),
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", encoding="utf-8")
    result = read_file(path, tmp_path)
    assert [r.title for r in result.records] == ["Projekt 1", "Projekt 2", "Projekt 3"]
    _check_cut_record(result.records[1])
    [problem] = result.record_problems
    assert str(problem.where) == f"{path} (line 2)"
    assert problem.reason == _cut_reason(len(json.dumps(lines[1], ensure_ascii=False)))


def test_one_oversized_record_as_the_whole_file_is_cut(tmp_path, pieces):
    path = tmp_path / "one.json"
    record = _oversized()
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = read_file(path, tmp_path)
    [read] = result.records
    _check_cut_record(read)
    [problem] = result.record_problems
    assert str(problem.where) == f"{path} (record 1)"
    # the size given is the too long value's: the text
    assert problem.reason == _cut_reason(len(json.dumps(record["projektbeskrivning"], ensure_ascii=False)))


def test_a_record_too_long_even_with_its_texts_cut_is_reported_not_read(tmp_path, pieces):
    """Many short strings: cutting each string does not make the record short enough."""
    path = tmp_path / "many.json"
    many = dict(_record(2, "Många korta värden."), delar=["kort värde"] * (LIMIT // 10))
    records = [_record(1, "Psykisk ohälsa."), many, _record(3, "Digitalisering.")]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = read_file(path, tmp_path)
    assert [r.id for r in result.records] == ["R1", "R3"]
    [problem] = result.record_problems
    chars = _span(path.read_text(encoding="utf-8"), '"R2"')
    assert problem.reason == (
        f"{chars:,} characters of JSON, more than one project record can be (40,000), "
        "even with its texts cut: not read"
    )


def test_a_file_cut_inside_an_oversized_record_keeps_the_records_before(tmp_path, pieces):
    path = tmp_path / "cut.json"
    text = json.dumps(
        [_record(1, "Digitalisering i småföretag."), _oversized(), _record(3, "x")], ensure_ascii=False
    )
    path.write_text(text[: len(text) // 2], encoding="utf-8")  # inside record 2
    result = read_file(path, tmp_path)
    assert [r.id for r in result.records] == ["R1"]
    [problem] = result.record_problems
    assert "inside record 2" in problem.reason and "cut off" in problem.reason


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_number_too_long_for_int_is_a_value_not_a_crash(tmp_path, suffix):
    digits = "7" * 5000  # Python's int() refuses more than 4 300 digits
    first = json.dumps(_record(1, "Energieffektivisering."), ensure_ascii=False)
    odd = json.dumps(_record(2, "Belopp i fel format.")).replace('"R2"', digits)
    last = json.dumps(_record(3, "Psykisk ohälsa bland unga."), ensure_ascii=False)
    path = tmp_path / f"numbers{suffix}"
    text = f"[{first},\n{digits},\n{odd},\n{last}]" if suffix == ".json" else f"{first}\n{odd}\n{last}\n"
    path.write_text(text, encoding="utf-8")
    result = read_file(path, tmp_path)
    ids = [r.id for r in result.records]
    assert "R1" in ids and "R3" in ids and result.problem is None
    assert len(ids) + len(result.record_problems) == (4 if suffix == ".json" else 3)
