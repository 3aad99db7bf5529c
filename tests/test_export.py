"""Exports for spreadsheets (issue 18): `query --xlsx FILE` (every hit, typed cells), `--excel` CSV
(semicolon, UTF-8 BOM), no overwriting without --force; `index` and `show` report merged projects."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from test_merge import write_corpus
from typer.testing import CliRunner

from esfsearch.cli import app

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
runner = CliRunner()


@pytest.fixture(scope="module")
def index_dir(shipped_index):
    """The session's index of the shipped corpus (tests/conftest.py): these tests only read it."""
    return shipped_index


def run(index_dir, *args):
    return runner.invoke(app, [*args, "--index", str(index_dir)])


def test_xlsx_every_hit_typed(index_dir, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    total = json.loads(run(index_dir, "query", "företag", "--json").stdout)["total"]
    out = tmp_path / "hits.xlsx"
    result = run(index_dir, "query", "företag", "--xlsx", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {total} projects to {out}" in result.stderr and result.stdout == ""
    sheet = openpyxl.load_workbook(out).active
    assert sheet.max_row == total + 1  # header row + every hit (not one page)
    header = [c.value for c in sheet[1]]
    assert (
        header[:2] == ["id", "title"]
        and sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{total + 1}"
    )
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width > 20
    col = {name: n for n, name in enumerate(header)}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    amounts = [r[col["eu_support"]] for r in rows if r[col["eu_support"]] is not None]
    assert amounts and all(isinstance(a, int) for a in amounts)
    starts = [r[col["start_date"]] for r in rows if r[col["start_date"]] is not None]
    assert starts and all(isinstance(d, datetime) for d in starts)
    assert (
        sheet.cell(2, col["start_date"] + 1).number_format == "yyyy-mm-dd"
        or rows[0][col["start_date"]] is None
    )
    data = json.loads(run(index_dir, "query", "företag", "--all", "--json").stdout)["hits"]
    first = data[0]
    assert rows[0][col["id"]] == first["id"]
    if first["start_date"]:
        assert rows[0][col["start_date"]].date().isoformat() == first["start_date"]


def test_xlsx_never_overwrites_without_force(index_dir, tmp_path):
    pytest.importorskip("openpyxl")
    out = tmp_path / "hits.xlsx"
    out.write_bytes(b"mine")
    refused = run(index_dir, "query", "bredband", "--xlsx", str(out))
    assert refused.exit_code == 2 and "exists" in refused.stderr and "--force" in refused.stderr
    assert out.read_bytes() == b"mine"
    forced = run(index_dir, "query", "bredband", "--xlsx", str(out), "--force")
    assert forced.exit_code == 0 and out.read_bytes()[:2] == b"PK"
    assert run(index_dir, "query", "bredband", "--xlsx", str(out), "--json").exit_code == 2


def test_excel_csv_has_bom_and_semicolons(index_dir):
    result = run(index_dir, "query", "bredband", "--excel", "-n", "3")
    assert result.exit_code == 0
    raw = result.stdout_bytes
    assert raw.startswith("\ufeff".encode("utf-8"))
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id;title;score;")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 3 and all(r["id"] for r in rows)
    everything = run(index_dir, "query", "bredband", "--excel", "--all").stdout_bytes.decode("utf-8-sig")
    full = list(csv.DictReader(io.StringIO(everything), delimiter=";"))
    assert len(full) == json.loads(run(index_dir, "query", "bredband", "--json").stdout)["total"]
    assert "summary" in full[0] and "sources" in full[0]
    plain = run(index_dir, "query", "bredband", "--csv", "-n", "1").stdout
    assert plain.startswith("id,title,score,")  # plain CSV stays comma-separated, no BOM


def test_index_and_show_report_a_merged_project(tmp_path):
    root = tmp_path / "corpus"
    write_corpus(root)
    ix = tmp_path / "ix"
    built = runner.invoke(app, ["index", str(root), "--index", str(ix)])
    assert built.exit_code == 0
    assert "Sources disagree for 1 project" in built.stderr
    assert (
        "2020/00639: eu_support: 400000 (projektbanken/2020-00639.txt) / 450000 (ebs2020/2020-00639.txt)"
        in built.stderr
    )
    summary = json.loads(runner.invoke(app, ["index", str(root), "--index", str(ix), "--json"]).stdout)
    assert summary["conflicts"][0]["field"] == "eu_support"
    shown = run(ix, "show", "2020/00639")
    assert shown.exit_code == 0
    assert shown.stdout.count("Stärkt utvecklingskraft\n") == 1  # one project, not three
    assert "Conflict" in shown.stdout and "projects.json" in shown.stdout
    assert (
        "Avvikelse" in runner.invoke(app, ["--lang", "sv", "show", "2020/00639", "--index", str(ix)]).stdout
    )
    data = json.loads(run(ix, "show", "2020/00639", "--json").stdout)
    assert (
        isinstance(data, dict)
        and len(data["sources"]) == 3
        and data["origins"]["county"].endswith("projects.json")
    )
