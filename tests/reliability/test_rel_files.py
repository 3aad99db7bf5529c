"""Hostile corpus files: every one is indexed or reported with a reason, nothing lost or doubled."""

from __future__ import annotations

import codecs
import json
import os
import random
import unicodedata
from pathlib import Path

import pytest
from once import built_once
from relhelp import live_keys, no_traceback, run_cli
from typer.testing import CliRunner

from esfsearch.cli import app
from esfsearch.index import build_index, current_generation, file_table
from esfsearch.ingest import ingest, read_file
from esfsearch.search import SearchEngine

TEXT = (
    "Kompetensförsörjning i Sörmland\n\nProjektet ska höja kompetensen hos anställda på små företag "
    "i Örebro, Västerås och Eskilstuna. Vi arbetar med jämställdhet och tillgänglighet.\n"
)

GOOD_JSON = 3_500  # more than the highest index below; the count, not the size, is what is tested
BAD_JSON = {
    5: 42,
    77: "bara text",
    500: {"ärende-id": "X-500"},
    1000: None,
    2000: [1, 2],
    3000: {"Ärende-ID": "X-3000", "beviljat_belopp_sek": 5},
}  # last: neither title nor text
# wrong types that are still readable records (coerced, not dropped)
ODD_JSON = {
    900: {"projektnamn": ["Projekt", 900], "projektbeskrivning": {"x": 1}},
    901: {
        "ärende-id": {"a": 1},
        "projektnamn": 12.5,
        "beviljat_belopp_sek": "mycket",
        "projekt_starttid": 123,
        "län": 5,
        "kommuner": [None, {"a": 1}, "Umeå"],
    },
    902: {
        "ärende-id": 902,
        "projektnamn": "Projekt 902",
        "beviljat_belopp_sek": 1e400,
        "total_projektbudget": 10**30,
        "projektbeskrivning": True,
    },
}


def make_hostile(root: Path) -> dict[str, int | str]:
    """Write the hostile corpus; returns file name -> records expected, or the reason word expected."""
    root.mkdir(parents=True)
    rnd = random.Random(7)
    expected: dict[str, int | str] = {}

    def put(name: str, data: bytes, outcome: int | str) -> None:
        (root / name).write_bytes(data)
        expected[name] = outcome

    put("empty.txt", b"", "empty")
    put("blank.txt", b"  \n\t \r\n\x0c\n   ", "empty")
    put("image.png", b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(20_000)), "binary")
    put("huge.txt", b"Stort projekt " + b"a" * (50 * 1024 * 1024), "too large")
    put(
        "broken-utf8.txt",
        TEXT.encode() * 3 + b"\xff\xfe\xc3 trasigt " + "Slutet på texten: Sörmland.".encode(),
        1,
    )
    put(
        "cp1252.txt",
        (
            "Projekt Växjö\n\nDet här projektet ska stärka kompetensen för anställda på små "
            "företag i Småland, med fokus på jämställdhet och hälsa."
        ).encode("cp1252"),
        1,
    )
    put(
        "utf16.txt",
        (
            "Projekt Göteborg\n\nEtt projekt om integration och arbetsmarknad för nyanlända "
            "i Göteborg och Mölndal."
        ).encode("utf-16"),
        1,
    )
    put("utf8-bom.md", codecs.BOM_UTF8 + "# Projekt Luleå\n\nUtbildning för unga i Luleå.".encode(), 1)
    put(
        "nfd.txt",
        unicodedata.normalize(
            "NFD",
            "Kompetenslyft i Sörmland\n\nEtt projekt för kompetensutveckling i Sörmland och Östergötland.",
        ).encode(),
        1,
    )
    put("Projekt å ä ö.txt", "Projekt med mellanslag i namnet\n\nLärande för äldre i Åre.".encode(), 1)
    put(
        "control-chars.txt",
        "Projekt\x00 med\x07 styrtecken\n\nText\x1b[31m om \u200bÖrebro.".encode()[:0]
        + "Projekt med styrtecken\n\nText\x1b[31m om \u200bÖrebro\x7f och mer.".encode(),
        1,
    )

    items = [
        {
            "ärende-id": f"J{i}",
            "projektnamn": f"Projekt nummer {i}",
            "projektbeskrivning": "Kompetensutveckling i Norrbotten.",
        }
        for i in range(GOOD_JSON)
    ]
    for n, item in {**BAD_JSON, **ODD_JSON}.items():
        items[n] = item
    put("many.json", json.dumps(items, ensure_ascii=False).encode(), GOOD_JSON - len(BAD_JSON))
    lines = [json.dumps({"id": f"L{i}", "title": f"Rad {i}"}) for i in range(5)]
    lines.insert(3, '{"id": "trasig", "title": ')
    put("lines.jsonl", "\n".join(lines).encode(), 5)
    # cut inside record 20 (an interrupted download): the 19 complete ones are read, less record 6 (42)
    put("truncated.json", json.dumps(items[:20], ensure_ascii=False)[:-40].encode(), 18)
    put("scalar.json", b"42", "unknown layout")
    put("scalars.json", b"[1, 2, null]", "no readable records (3 broken)")
    put("deep.json", b"[" * 100_000 + b"]" * 100_000, "could not parse")

    os.symlink("finns-inte.txt", root / "broken-link.txt")
    expected["broken-link.txt"] = "broken symlink"
    (root / "loop").mkdir()
    (root / "loop" / "inside.txt").write_text("Projekt i loopen\n\nText om Kiruna.", encoding="utf-8")
    expected["loop/inside.txt"] = 1
    os.symlink("..", root / "loop" / "up")
    expected["loop/up"] = "symlink loop"
    return expected


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, dict]:
    """The hostile corpus (a 50 MB file among them), written once per run (tests/once.py) whichever
    workers run these tests; read, never changed."""

    def make(folder: Path) -> None:
        expected = make_hostile(folder / "corpus")
        (folder / "expected.json").write_text(json.dumps(expected), encoding="utf-8")

    base = built_once(tmp_path_factory, "hostile", make)
    return base / "corpus", json.loads((base / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hostile_built(hostile, tmp_path_factory) -> tuple[Path, dict]:
    """(index, summary) of a from-scratch build of the hostile corpus by the command line
    (`esfsearch index --rebuild --json`, in this process), made once per run: the summary's records
    and skipped files as strings, and the command's exit code and JSON output. Read, never changed."""
    root, _ = hostile

    def build(folder: Path) -> None:
        args = ["index", str(root), "--index", str(folder / "ix"), "--rebuild", "--json"]
        res = CliRunner().invoke(app, args)
        out = {"exit_code": res.exit_code, "output": res.output, "stdout": res.stdout}
        if res.exit_code == 0:
            data = json.loads(res.stdout)
            skipped = sorted([d["path"], d["reason"]] for d in data["skipped"])
            out.update(records=data["records"], skipped=skipped)
        (folder / "summary.json").write_text(json.dumps(out), encoding="utf-8")

    base = built_once(tmp_path_factory, "hostile-ix", build)
    return base / "ix", json.loads((base / "summary.json").read_text(encoding="utf-8"))


def _outcomes(report_files) -> dict[str, int | str]:
    return {f.rel_path: (len(f.records) if f.records else (f.problem or "")) for f in report_files}


def test_ingest_reads_or_reports_every_file(hostile):
    root, expected = hostile
    report = ingest([root])
    got = {}
    for f in report.files:
        rel = Path(f.path).relative_to(root).as_posix()
        got[rel] = len(f.records) if f.records else f.problem
    assert set(got) == set(expected)
    for name, outcome in expected.items():
        if isinstance(outcome, int):
            assert got[name] == outcome, (name, got[name])
        else:
            assert isinstance(got[name], str) and outcome in got[name], (name, got[name])
    json_file = next(f for f in report.files if f.path.endswith("many.json"))
    assert len(json_file.record_problems) == len(BAD_JSON)
    assert {p.where.rsplit("record ", 1)[1].rstrip(")") for p in json_file.record_problems} == {
        str(n + 1) for n in BAD_JSON
    }
    lines = next(f for f in report.files if f.path.endswith("lines.jsonl"))
    assert [p.where.rsplit(":", 1)[1] for p in lines.record_problems] == ["4"]


def test_decoding_is_right(hostile):
    root, _ = hostile
    by_name = {Path(f.path).name: f for f in ingest([root]).files}
    assert by_name["cp1252.txt"].records[0].title == "Projekt Växjö"
    assert by_name["utf16.txt"].records[0].title == "Projekt Göteborg"
    assert by_name["utf8-bom.md"].records[0].title == "Projekt Luleå"
    nfd = by_name["nfd.txt"].records[0]
    assert nfd.title == "Kompetenslyft i Sörmland" == unicodedata.normalize("NFC", nfd.title)
    damaged = by_name["broken-utf8.txt"]
    assert "Slutet på texten: Sörmland." in damaged.records[0].full_text
    assert "utf-8" in damaged.encoding
    ctl = by_name["control-chars.txt"].records[0]
    assert not any(ord(c) < 32 and c not in "\n\t" for c in ctl.full_text + ctl.title)
    odd = {
        r.title: r for r in by_name["many.json"].records if r.title in ("12.5", "Projekt 902", "Projekt, 900")
    }
    assert set(odd) == {"12.5", "Projekt 902", "Projekt, 900"}  # wrong types coerced, not fatal
    assert odd["12.5"].municipalities == ["Umeå"] and odd["12.5"].county == ["5"]
    assert all(r.eu_support is None and r.total_budget is None for r in odd.values())


# truncated.json is a cut copy of many.json's first records: its 18 records state ids many.json has
DUPLICATED_IDS = 18


def _projects(root: Path) -> tuple[list, int]:
    """(every record read, projects): records stating the same id are one project (issue 18), a record
    without a stated id is a project of its own."""
    from esfsearch.merge import project_key

    records = ingest([root]).records
    return records, len({project_key(r) or ("own", n) for n, r in enumerate(records)})


def _nothing_lost(engine: SearchEngine, records: list) -> None:
    """Every record read is findable by its id, in one project that lists the record's file in `sources`."""
    for r in records:
        hits = engine.get(r.id)
        assert len(hits) == 1, r.id
        assert r.source_path in hits[0].record.sources, (r.id, r.source_path, hits[0].record.sources)


@pytest.mark.slow
def test_index_counts_in_equal_counts_out_and_rerun_is_identical(hostile, hostile_built, tmp_path):
    """Counts in equal counts out; an incremental re-run changes nothing and still reports the
    skipped files; a from-scratch build (the shared one, `hostile_built`) gives the same."""
    root, expected = hostile
    records_in = sum(v for v in expected.values() if isinstance(v, int))
    records, projects = _projects(root)
    assert len(records) == records_in and projects == records_in - DUPLICATED_IDS
    summary = build_index([root], tmp_path / "ix")
    assert summary.records == summary.added == projects
    skipped = {
        Path(p).relative_to(root).as_posix() if p.startswith(str(root)) else p: r for p, r in summary.skipped
    }
    problem_files = {n for n, v in expected.items() if isinstance(v, str)}
    # every file that gave no records is reported with its reason; broken records inside a file too
    for name in problem_files:
        assert any(k == name or k.startswith(name + " ") or k.startswith(name + ":") for k in skipped), name
    bad_records = [k for k in skipped if k.startswith("many.json (") or k.startswith("lines.jsonl:")]
    assert len(bad_records) == len(BAD_JSON) + 1
    assert sum(1 for k in skipped if k.startswith("scalars.json (")) == 3

    files = file_table(current_generation(tmp_path / "ix"))
    per_file = {Path(k).relative_to(root.resolve()).as_posix(): v["records"] for k, v in files.items()}
    assert {n: v for n, v in per_file.items() if v} == {
        n: v for n, v in expected.items() if isinstance(v, int)
    }
    # files that gave nothing are remembered too (not re-read while unchanged), with their problems
    assert {n for n, v in per_file.items() if not v} == problem_files - {"broken-link.txt", "loop/up"}

    keys = live_keys(tmp_path / "ix")
    assert len(keys) == projects
    with SearchEngine(tmp_path / "ix") as engine:
        assert engine.doc_count == projects
        assert engine.count("") == projects
        from whoosh.query import Term

        for fname, n in per_file.items():  # documents name every file they were made from
            file_key = str((root / fname).resolve())
            assert len(engine._searcher.search(Term("file", file_key), limit=None)) == n, fname
        _nothing_lost(engine, records)

    again = build_index([root], tmp_path / "ix")  # incremental: nothing changed
    assert (again.added, again.updated, again.removed, again.records) == (0, 0, 0, projects)
    assert sorted(again.skipped) == sorted(summary.skipped)  # still reported on a re-run
    assert live_keys(tmp_path / "ix") == keys
    fresh_ix, fresh = hostile_built
    assert fresh["exit_code"] == 0, fresh["output"]
    assert fresh["records"] == projects
    assert fresh["skipped"] == sorted([str(p), str(r)] for p, r in summary.skipped)
    assert set(live_keys(fresh_ix)) == set(keys)


def test_nfd_file_matches_nfc_query(hostile_built):
    """On the shared build of the hostile corpus (read only)."""
    nfc = unicodedata.normalize("NFC", "Sörmland")
    nfd = unicodedata.normalize("NFD", "Sörmland")
    with SearchEngine(hostile_built[0]) as engine:
        for q in (nfc, nfd, "sormland", "Kompetenslyft"):
            titles = {h.record.title for h in engine.search(q, limit=50).hits}
            assert "Kompetenslyft i Sörmland" in titles, q
        titles = {h.record.title for h in engine.search("mellanslag", limit=5).hits}
        assert titles == {"Projekt med mellanslag i namnet"}


@pytest.mark.slow
def test_cli_index_json_and_parse_report_skipped(hostile, hostile_built):
    """`esfsearch index --json` (the shared build, `hostile_built`) and `esfsearch parse`."""
    root, expected = hostile
    ix, res = hostile_built
    assert res["exit_code"] == 0, res["output"]
    data = json.loads(res["stdout"])
    records, projects = _projects(root)  # records in; the projects they make are what is indexed
    assert len(records) == sum(v for v in expected.values() if isinstance(v, int))
    assert data["records"] == projects == len(records) - DUPLICATED_IDS
    with SearchEngine(ix) as engine:
        _nothing_lost(engine, records)
    reasons = {d["path"]: d["reason"] for d in data["skipped"]}
    assert any("empty file" == r for r in reasons.values())
    assert any(p.endswith("huge.txt") and "too large" in r for p, r in reasons.items())
    assert any(p.endswith("broken-link.txt") and r == "broken symlink" for p, r in reasons.items())

    proc = run_cli(
        "parse", str(root / "image.png"), str(root / "lines.jsonl"), str(root / "Projekt å ä ö.txt")
    )
    assert no_traceback(proc.stderr)
    assert proc.returncode == 1  # some records, some problems
    assert len(json.loads(proc.stdout)) == 6
    assert "image.png: binary file" in proc.stderr
    assert "lines.jsonl:4: invalid JSON line" in proc.stderr


def test_unreadable_file_reported(tmp_path, monkeypatch):
    root = tmp_path / "c"
    root.mkdir()
    (root / "ok.txt").write_text(TEXT, encoding="utf-8")
    (root / "secret.txt").write_text(TEXT, encoding="utf-8")
    real = Path.read_bytes

    def guarded(self):
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    report = ingest([root])
    assert [(Path(p).name, r) for p, r in report.problems] == [
        ("secret.txt", "cannot read: Permission denied")
    ]
    summary = build_index([root], tmp_path / "ix")
    assert summary.records == 1
    assert [(Path(p).name, r) for p, r in summary.skipped] == [
        ("secret.txt", "cannot read: Permission denied")
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files; see test_unreadable_file_reported")
def test_chmod_000_file_reported(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "ok.txt").write_text(TEXT, encoding="utf-8")
    secret = root / "secret.txt"
    secret.write_text(TEXT, encoding="utf-8")
    secret.chmod(0)
    try:
        summary = build_index([root], tmp_path / "ix")
        assert summary.records == 1
        assert [Path(p).name for p, _ in summary.skipped] == ["secret.txt"]
        assert "cannot read" in summary.skipped[0][1]
    finally:
        secret.chmod(0o644)


def test_huge_numbers_in_sources_do_not_break_the_index(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text(
        "2020/1 - Jätteprojekt\n\nDiarienummer:\n2020/1\nNamn:\nJätteprojekt\nTotal projektbudget:\n"
        "999 999 999 999 999 999 999 999 999\nBeviljat ESF-stöd:\n99999999999999999999999999999999\n"
        "Planerat antal deltagare:\n9999999999999999999999999999\n\nText om projektet i Umeå.\n",
        encoding="utf-8",
    )
    exported = read_file(root / "a.txt", root).records[0].to_dict()
    (root / "b.json").write_text(
        json.dumps(
            [
                dict(exported, id="B", eu_support=10**30),
                dict(exported, id="C", title=7),
                dict(exported, id="D"),
            ]
        ),
        encoding="utf-8",
    )
    summary = build_index([root], tmp_path / "ix")
    assert summary.records == 2  # a.txt and record D
    assert len(summary.skipped) == 2 and all("wrong value" in r for _, r in summary.skipped)
    with SearchEngine(tmp_path / "ix") as engine:
        assert engine.search("Umeå").total == 2
        assert engine.search("budget:>1000").total == 0
