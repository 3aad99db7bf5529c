"""A damaged index gives a clear message and exit 3, never a traceback; rebuilding recovers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from relhelp import no_traceback, run_cli
from typer.testing import CliRunner

from esfsearch.cli import app
from esfsearch.index import IndexProblem, current_generation
from esfsearch.schema import SCHEMA_VERSION
from esfsearch.search import SearchEngine


def flat(text: str) -> str:
    """Without white space: the console wraps long messages anywhere."""
    return "".join(text.split())


def _gen(ix: Path) -> Path:
    return current_generation(ix)


def truncate_segment(ix):
    seg = next(_gen(ix).glob("*.seg"))
    with open(seg, "r+b") as fh:
        fh.truncate(seg.stat().st_size // 2)


def delete_segment(ix):
    next(_gen(ix).glob("*.seg")).unlink()


def delete_toc(ix):
    for toc in _gen(ix).glob("_MAIN_*.toc"):
        toc.unlink()


def garble_current(ix):
    (ix / "CURRENT").write_bytes(b"\x00\xff\xfegen-\n")


def dangling_current(ix):
    (ix / "CURRENT").write_text("gen-19990101T000000000000Z\n")


def garble_meta(ix):
    (_gen(ix) / "meta.json").write_text('{"schema_version": 3, "files": ', encoding="utf-8")


def meta_not_object(ix):
    (_gen(ix) / "meta.json").write_text("[1, 2, 3]", encoding="utf-8")


def other_schema(ix):
    meta_path = _gen(ix) / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["schema_version"] = SCHEMA_VERSION + 1  # newer: an older one is rebuilt by the CLI (test_cli)
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


DAMAGE = {  # name -> (damage, words the message must contain)
    "truncated segment": (truncate_segment, "cannot"),
    "deleted segment": (delete_segment, "cannot"),
    "missing TOC": (delete_toc, "cannot be opened"),
    "garbled CURRENT": (garble_current, "CURRENT is damaged"),
    "CURRENT names a missing generation": (dangling_current, "is missing"),
    "garbled meta.json": (garble_meta, "meta.json is damaged"),
    "meta.json not an object": (meta_not_object, "meta.json is damaged"),
    "other schema version": (other_schema, "another version of esfsearch"),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_index_clear_message_exit_3(name, tiny_copy):
    corpus, ix, n = tiny_copy
    damage, words = DAMAGE[name]
    damage(ix)
    with pytest.raises(IndexProblem, match="esfsearch index --rebuild"):
        with SearchEngine(ix) as engine:
            engine.search("kompetens")
    runner = CliRunner()
    for cmd in (["query", "kompetens"], ["stats"], ["show", "2020/00639"], ["query", "--all", "--ids"]):
        res = runner.invoke(app, [*cmd, "--index", str(ix), "--corpus", str(corpus)])
        assert res.exit_code == 3, (cmd, res.exit_code, res.output, res.exception)
        assert isinstance(res.exception, SystemExit)
        assert flat(words) in flat(res.stderr) and flat("esfsearch index --rebuild") in flat(res.stderr)
        assert no_traceback(res.stderr + res.stdout)


@pytest.mark.parametrize("rebuild", [True, False], ids=["index --rebuild", "plain index"])
@pytest.mark.parametrize("name", DAMAGE)
def test_rebuild_recovers(name, rebuild, tiny_copy):
    corpus, ix, n = tiny_copy
    DAMAGE[name][0](ix)
    res = CliRunner().invoke(
        app, ["index", str(corpus), "--index", str(ix), "-q"] + (["--rebuild"] if rebuild else [])
    )
    assert res.exit_code == 0, (res.output, res.exception)
    with SearchEngine(ix) as engine:
        assert engine.doc_count == n
        assert engine.search("kompetensförsörjning").total > 0


def test_missing_current_real_cli(tiny_copy):
    corpus, ix, n = tiny_copy
    (ix / "CURRENT").unlink()
    proc = run_cli("query", "kompetens", "--index", str(ix), "--corpus", str(ix / "no-corpus"))
    assert proc.returncode == 3 and no_traceback(proc.stderr)
    assert "no index in" in proc.stderr
    proc = run_cli(
        "query", "kompetens", "-q", "--index", str(ix), "--corpus", str(corpus)
    )  # builds on first use
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", ["truncated segment", "garbled CURRENT", "other schema version"])
def test_damaged_index_real_subprocess(name, tiny_copy):
    corpus, ix, n = tiny_copy
    DAMAGE[name][0](ix)
    for cmd in (["query", "kompetens"], ["stats", "--json"]):
        proc = run_cli(*cmd, "--index", str(ix), "--corpus", str(corpus))
        assert proc.returncode == 3, proc.stderr
        assert proc.stderr.startswith("esfsearch: ") and flat("esfsearch index --rebuild") in flat(
            proc.stderr
        )
        assert no_traceback(proc.stderr) and proc.stdout == ""


def test_unwritable_index_dir_is_reported(tiny_copy, tmp_path):
    corpus, ix, n = tiny_copy
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    res = CliRunner().invoke(app, ["index", str(corpus), "--index", str(blocker / "ix"), "-q"])
    assert res.exit_code == 3 and isinstance(res.exception, SystemExit), repr(res.exception)
    assert flat("cannot use") in flat(res.stderr) and flat("Not a directory") in flat(res.stderr)
