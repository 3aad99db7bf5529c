"""The field registry (esfsearch/fields.py) is the one place a record field is declared.

The last test proves it: in a temporary copy of the package it adds one entry to the registry, and
nothing else, and finds the new field in `query --help`, `query --json`, `query --csv`, `show`, the
TUI's detail view and the query language's filters, after the index made without it is rebuilt.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from esfsearch import fields as F
from esfsearch.index import build_index
from esfsearch.querylang import FIELDS, field_help
from esfsearch.records import ProjectRecord

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "corpus" / "seeds"


def test_every_record_attribute_is_in_the_registry():
    attributes = {f.name for f in dataclasses.fields(ProjectRecord)}
    stored = {f.name for f in F.REGISTRY if f.derive is None}
    assert attributes == stored


def test_query_names_are_unique_and_lower_case():
    names = [n for f in F.REGISTRY for n in f.names]
    assert len(names) == len(set(names))
    assert all(n == n.lower() for n in names)
    assert set(FIELDS) == set(names)
    assert all(f.index_field for f in F.REGISTRY if f.kind)  # a filter needs an index field


def test_field_help_names_every_filter():
    help_text = field_help()
    for f in F.REGISTRY:
        if f.kind:
            assert "/".join(f.names) in help_text


NEW_FIELD = """
    Field("duration_days", N_("duration in days"), NUMBER, ("längd", "duration"), "duration_days",
          option=FilterOption("duration", "Duration {bound} (days)"), summary=True,
          derive=lambda r: (r.end_date - r.start_date).days if r.start_date and r.end_date else None),
"""

PROBE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from rich.console import Console
    from typer.testing import CliRunner

    import esfsearch
    from esfsearch.cli import app
    from esfsearch.search import SearchEngine
    from esfsearch.tui import record_table

    ix = sys.argv[1]
    runner = CliRunner()
    out = {"package": esfsearch.__file__}

    def run(*args):
        result = runner.invoke(app, [*args, "--index", ix])
        return {"code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}

    out["help"] = runner.invoke(app, ["query", "--help"], env={"COLUMNS": "200"}).stdout
    out["json"] = run("query", "--json", "-n", "50", "--no-snippets")   # rebuilds the index first
    out["csv"] = run("query", "--csv", "-n", "50", "--no-snippets")
    out["show"] = run("show", "2020/00639")
    out["filter"] = run("query", "längd:>=180", "--ids", "-n", "50")
    out["option"] = run("query", "--min-duration", "181", "--ids", "-n", "50")
    with SearchEngine(ix) as engine:
        record = engine.get("2020/00639")[0].record
    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(record_table(record))
    out["tui"] = console.export_text()
    print(json.dumps(out))
""")


def test_a_field_added_to_the_registry_is_everywhere(tmp_path):
    package = tmp_path / "pkg" / "esfsearch"
    shutil.copytree(REPO / "esfsearch", package, ignore=shutil.ignore_patterns("__pycache__"))
    registry = package / "fields.py"
    source = registry.read_text(encoding="utf-8")
    end = source.index("\n)\n\nBY_NAME")
    registry.write_text(source[:end] + NEW_FIELD.rstrip("\n") + source[end:], encoding="utf-8")

    env = dict(os.environ, PYTHONPATH=str(tmp_path / "pkg"), NO_COLOR="1", COLUMNS="200")
    build_index([SEEDS], tmp_path / "ix")  # by this package, without the new field
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert Path(out["package"]).parent == package  # the copy ran, not the installed package

    assert "--min-duration" in out["help"] and "--max-duration" in out["help"]
    assert "rebuilding it" in out["json"]["stderr"]  # the index without the field is made again
    hits = {h["id"]: h for h in json.loads(out["json"]["stdout"])["hits"]}
    assert hits["2020/00639"]["duration_days"] == 180  # 2021-02-01 to 2021-07-31
    header = out["csv"]["stdout"].splitlines()[0].split(",")
    assert "duration_days" in header
    assert "Duration in days" in out["show"]["stdout"] and "180" in out["show"]["stdout"]
    assert "Duration in days" in out["tui"] and "180" in out["tui"]
    with_duration = {
        i for i, h in hits.items() if h["duration_days"] is not None and h["duration_days"] >= 180
    }
    assert out["filter"]["code"] == 0 and set(out["filter"]["stdout"].split()) == with_duration
    longer = {i for i, h in hits.items() if h["duration_days"] is not None and h["duration_days"] >= 181}
    assert set(out["option"]["stdout"].split()) == longer and "2020/00639" not in longer
