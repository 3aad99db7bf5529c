"""The CLI as users run it: Typer's CliRunner for every command and option, and a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from commands import command_paths
from typer.testing import CliRunner

from esfsearch.cli import app

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
runner = CliRunner()


@pytest.fixture
def index_dir(shipped_index):
    return shipped_index  # the session's index of the shipped corpus (read only)


def run(index_dir, *args):
    return runner.invoke(app, [*args, "--index", str(index_dir)])


def as_json(result):
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_query_table(index_dir):
    result = run(index_dir, "query", "kompetensförsörjning")
    assert result.exit_code == 0
    assert "projects match" in result.stdout
    assert "Stärkt utvecklingskraft" in result.stdout


def test_query_json_shape(index_dir):
    data = as_json(run(index_dir, "query", "kompetensförsörjning", "--json", "--facets", "-n", "3"))
    assert set(data) >= {"total", "hits", "facets", "query", "suggestion"}
    assert data["total"] >= 5 and len(data["hits"]) == 3
    hit = data["hits"][0]
    assert set(hit) >= {
        "id",
        "title",
        "score",
        "owner",
        "region",
        "fund",
        "start_date",
        "eu_support",
        "snippet",
    }
    assert "<em>" in hit["snippet"]
    assert set(data["facets"]) == {"region", "fund", "period", "area"}
    assert sum(f["count"] for f in data["facets"]["fund"]) == data["total"]


def test_compound_and_accentless_queries_find_the_seed(index_dir):
    for q in ("kompetensförsörjning", "kompetensforsorjning"):
        ids = run(index_dir, "query", q, "--ids", "-n", "50").stdout.split()
        assert "2020/00639" in ids, q


@pytest.mark.parametrize(
    "query,check",
    [
        ('region:"Övre Norrland" bredband', lambda h: h["region"] == "Övre Norrland"),
        ("region:ovre-norrland", None),
        ("fond:esf", lambda h: h["fund"] == "ESF"),
        ("fond:esf+", lambda h: h["fund"] == "ESF+"),
        ("ägare:Borlänge", lambda h: "Borlänge" in h["owner"]),
        ("owner:borlange", lambda h: "Borlänge" in h["owner"]),
        ("år:2019", lambda h: h["start_date"][:4] <= "2019" <= h["end_date"][:4]),
        ("år:2018..2020 energi", lambda h: h["start_date"][:4] <= "2020" and h["end_date"][:4] >= "2018"),
        ("stöd:>5000000", lambda h: h["eu_support"] > 5_000_000),
        ("support:<=1m", lambda h: h["eu_support"] <= 1_000_000),
        ("start:>=2016-01-01", lambda h: h["start_date"] >= "2016-01-01"),
        ("slut:<2018", lambda h: h["end_date"] < "2018-01-01"),
        ("kommun:Eskilstuna", None),
        ("län:värmland innovation", lambda h: "Värmland" in h["county"]),
        ("NOT fond:eruf", lambda h: h["fund"] != "ERUF"),
        ("förstudie -fond:esf+", lambda h: h["fund"] != "ESF+"),
    ],
)
def test_every_hit_satisfies_the_filter(index_dir, query, check):
    data = as_json(run(index_dir, "query", query, "--json", "-n", "300", "--no-snippets"))
    if query == "region:ovre-norrland":
        assert data["total"] == 0 or all(h["region"] == "Övre Norrland" for h in data["hits"])
        return
    assert data["total"] > 0, query
    if check:
        assert all(check(h) for h in data["hits"]), query


def test_filter_options_match_inline_filters(index_dir):
    inline = as_json(
        run(index_dir, "query", 'region:"Övre Norrland" fond:eruf innovation', "--json", "-n", "100")
    )
    options = as_json(
        run(
            index_dir,
            "query",
            "innovation",
            "--region",
            "Övre Norrland",
            "--fund",
            "ERUF",
            "--json",
            "-n",
            "100",
        )
    )
    assert [h["id"] for h in inline["hits"]] == [h["id"] for h in options["hits"]]
    budget = as_json(run(index_dir, "query", "--min-support", "10000000", "--json", "-n", "300"))
    assert budget["total"] > 0 and all(h["eu_support"] >= 10_000_000 for h in budget["hits"])
    year = as_json(run(index_dir, "query", "--year", "2014", "--json", "-n", "300"))
    assert all(h["start_date"][:4] <= "2014" for h in year["hits"])


def test_sort_by_amount_and_start(index_dir):
    data = as_json(run(index_dir, "query", "energi", "--sort", "amount", "--json", "-n", "20"))
    amounts = [h["eu_support"] or 0 for h in data["hits"]]
    assert amounts == sorted(amounts, reverse=True)
    data = as_json(run(index_dir, "query", "energi", "--sort", "start", "--json", "-n", "20"))
    starts = [h["start_date"] for h in data["hits"]]
    assert starts == sorted(starts, reverse=True)


def test_paging(index_dir):
    first = as_json(run(index_dir, "query", "företag", "--json", "-n", "5"))
    second = as_json(run(index_dir, "query", "företag", "--json", "-n", "5", "--page", "2"))
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    assert first["total"] == second["total"]


def test_csv_and_ids(index_dir):
    result = run(index_dir, "query", "bredband", "--csv", "-n", "4")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4 and rows[0]["id"] and "snippet" in rows[0]
    ids = run(index_dir, "query", "bredband", "--ids", "-n", "4").stdout.split()
    assert ids == [r["id"] for r in rows]


def test_all_streams_every_hit(index_dir):
    data = json.loads(run(index_dir, "query", "företag", "--all", "--json").stdout)
    total = as_json(run(index_dir, "query", "företag", "--json"))["total"]
    assert data["total"] == total == len(data["hits"])
    assert "summary" in data["hits"][0]


def test_no_hits_exit_1_with_suggestion(index_dir):
    result = run(index_dir, "query", "bredbnd")
    assert result.exit_code == 1
    assert "Did you mean" in result.stdout and "bredband" in result.stdout


@pytest.mark.parametrize(
    "query,message",
    [
        ("foo:bar", "unknown field 'foo'"),
        ("budget:>abc", "expects a number"),
        ("år:2020..2018", "is empty"),
        ("start:2020-13-01", "not a real date"),
        ("a*", "too short"),
    ],
)
def test_query_errors_exit_2_with_message(index_dir, query, message):
    result = run(index_dir, "query", query)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_bad_option_value_exit_2(index_dir):
    assert run(index_dir, "query", "x", "--sort", "colour").exit_code == 2
    assert run(index_dir, "query", "x", "--json", "--csv").exit_code == 2


def test_show(index_dir):
    result = run(index_dir, "show", "2019/00038")
    assert result.exit_code == 0
    assert "Sänk Trösklarna" in result.stdout and "Borlänge kommun" in result.stdout
    data = as_json(run(index_dir, "show", "2019/00038", "--json", "--query", "utrikesfödda"))
    assert data["total_budget"] == 11_256_577
    assert "<em>utrikesfödda</em>" in data["highlighted"]
    hidden = as_json(run(index_dir, "show", "2019/00038", "--json", "--no-contacts"))
    assert "contact_name" not in hidden
    assert run(index_dir, "show", "nope").exit_code == 1


def test_similar(index_dir):
    data = as_json(run(index_dir, "similar", "20200942", "--json"))
    ids = [h["id"] for h in data["hits"]]
    assert "20200942" not in ids and "20200749" in ids  # "Bredband till fler" and its etapp 2
    assert run(index_dir, "similar", "nope").exit_code == 1


def test_stats(index_dir):
    data = as_json(run(index_dir, "stats", "--json"))
    assert data["records"] == 255
    assert data["layouts"] == {"ebs2020": 1, "esfplus": 1, "json": 250, "projectbank": 2, "text": 1}
    assert data["funds"] == {"ERUF": 250, "ESF": 3, "ESF+": 1}  # the slide deck states no fund
    assert data["stale"] is False


def test_parse(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = runner.invoke(app, ["parse", str(CORPUS / "seeds"), str(tmp_path)])
    records = json.loads(result.stdout)
    assert len(records) == 5
    assert "empty.txt: empty file" in result.stderr
    assert result.exit_code == 1
    clean = runner.invoke(app, ["parse", str(CORPUS / "seeds"), "--no-contacts"])
    assert clean.exit_code == 0 and "contact_email" not in clean.stdout


def test_analyze_command():
    result = runner.invoke(app, ["analyze", "kompetensförsörjningsbehov", "--json"])
    data = json.loads(result.stdout)
    assert "kompetensförsörjning" in data["parts"]


def test_incremental_add_change_delete(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "seeds", corpus)
    ix = tmp_path / "ix"

    def index():
        result = runner.invoke(app, ["index", str(corpus), "--index", str(ix), "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def ids(q):
        return runner.invoke(app, ["query", q, "--ids", "-n", "50", "--index", str(ix)]).stdout.split()

    first = index()
    assert first["records"] == 5 and first["rebuilt"]
    assert "2019/00038" in ids("trösklarna")
    # add
    (corpus / "ny.md").write_text(
        "# Vägledning för nyanlända kvinnor\n\nProjektet stöttar nyanlända kvinnor.\n", encoding="utf-8"
    )
    summary = index()
    assert (summary["added"], summary["updated"], summary["removed"], summary["records"]) == (1, 0, 0, 6)
    assert "ny" in ids("nyanlända kvinnor")
    # change
    seed = next(corpus.glob("004_*.txt"))
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("Sänk Trösklarna", "Höj Ribban"), encoding="utf-8"
    )
    summary = index()
    assert (summary["added"], summary["updated"], summary["removed"]) == (0, 1, 0)
    assert "2019/00038" in ids("ribban") and "2019/00038" not in ids("trösklarna")
    # delete
    seed.unlink()
    summary = index()
    assert (summary["removed"], summary["records"]) == (1, 5)
    assert "2019/00038" not in ids("ribban")
    # nothing changed
    summary = index()
    assert (summary["added"], summary["updated"], summary["removed"], summary["unchanged"]) == (0, 0, 0, 5)


def test_stale_index_is_reported(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "seeds", corpus)
    ix = tmp_path / "ix"
    assert runner.invoke(app, ["index", str(corpus), "--index", str(ix), "-q"]).exit_code == 0
    (corpus / "new.txt").write_text("Nytt projekt om bredband.", encoding="utf-8")
    result = runner.invoke(app, ["query", "bredband", "--index", str(ix)])
    assert "corpus changed" in result.stderr


def test_first_use_builds_the_index(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "seeds", corpus)
    result = runner.invoke(
        app, ["query", "trösklarna", "--index", str(tmp_path / "ix"), "--corpus", str(corpus)]
    )
    assert result.exit_code == 0
    assert "first use" in result.stderr
    assert "Sänk Trösklarna" in result.stdout


def test_missing_index_and_corpus_exit_3(tmp_path):
    result = runner.invoke(
        app, ["query", "x", "--index", str(tmp_path / "ix"), "--corpus", str(tmp_path / "no")]
    )
    assert result.exit_code == 3
    assert "no index" in result.stderr


def _set_schema(ix, version):
    gen = ix / (ix / "CURRENT").read_text().strip()
    meta = json.loads((gen / "meta.json").read_text())
    meta["schema_version"] = version
    (gen / "meta.json").write_text(json.dumps(meta))


def test_index_of_a_newer_version_exit_3(tmp_path):
    """An index written by a newer esfsearch is left alone: rebuilding it would downgrade it."""
    from esfsearch.schema import SCHEMA_VERSION

    ix = tmp_path / "ix"
    runner.invoke(app, ["index", str(CORPUS / "seeds"), "--index", str(ix), "-q"])
    _set_schema(ix, SCHEMA_VERSION + 1)
    result = runner.invoke(app, ["query", "Trösklarna", "--index", str(ix)])
    assert result.exit_code == 3 and "rebuild" in result.stderr


def test_index_of_an_older_version_is_rebuilt_from_its_own_folders(tmp_path):
    """After an upgrade the index rebuilds itself from the folders it was built from (not the default
    corpus), says so on stderr, and answers; without those folders it exits 3."""
    seeds = tmp_path / "seeds"
    shutil.copytree(CORPUS / "seeds", seeds)
    ix = tmp_path / "ix"
    runner.invoke(app, ["index", str(seeds), "--index", str(ix), "-q"])
    _set_schema(ix, 1)
    result = runner.invoke(app, ["query", "Trösklarna", "--index", str(ix), "--json"])
    assert result.exit_code == 0, result.output
    assert "older esfsearch" in result.stderr and str(seeds) in result.stderr
    assert json.loads(result.stdout)["total"] == 1
    assert runner.invoke(app, ["stats", "--index", str(ix), "--json"]).exit_code == 0
    _set_schema(ix, 1)
    shutil.rmtree(seeds)
    result = runner.invoke(app, ["query", "Trösklarna", "--index", str(ix)])
    assert result.exit_code == 3 and "rebuild" in result.stderr


def test_help_everywhere():
    for command in command_paths():
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout, command


def _subprocess(*args, env_extra=None):
    env = dict(os.environ, NO_COLOR="1", **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "esfsearch", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_subprocess_query_and_exit_codes(index_dir):
    ok = _subprocess("query", "bredband", "--json", "--index", str(index_dir))
    assert ok.returncode == 0 and json.loads(ok.stdout)["total"] > 0
    none = _subprocess("query", "xyzzyqq", "--index", str(index_dir))
    assert none.returncode == 1
    bad = _subprocess("query", "foo:bar", "--index", str(index_dir))
    assert bad.returncode == 2 and "unknown field" in bad.stderr and "Traceback" not in bad.stderr
    env = _subprocess("query", "bredband", "--ids", env_extra={"ESFSEARCH_INDEX": str(index_dir)})
    assert env.returncode == 0 and env.stdout.split()
    assert "\x1b[" not in _subprocess("query", "bredband", "--index", str(index_dir)).stdout


def test_cli_does_not_import_textual(index_dir):
    code = (
        "import sys; from esfsearch.cli import main; sys.argv=['esfsearch','query','bredband','--ids',"
        f"'--index',{str(index_dir)!r}]\ntry: main()\nexcept SystemExit: pass\n"
        "print('TEXTUAL' if any(m.startswith('textual') for m in sys.modules) else 'CLEAN')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    assert out.strip().endswith("CLEAN")


def test_off_a_terminal_the_hits_are_plain_lines(index_dir):
    """Not a terminal (a pipe, a file, the test runner): no table borders, no wrapping; the summary,
    the column headings, and per hit its number, title and id, its snippet, and its facts joined by
    ' · ' on one line each; the facets after a blank line."""
    from esfsearch.presentation import SEP, hit_details
    from esfsearch.records import ProjectRecord

    result = run(index_dir, "query", "bredband", "-n", "3", "--facets")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    data = as_json(run(index_dir, "query", "bredband", "-n", "3", "--facets", "--json"))
    assert lines[0].startswith(f"{data['total']} projects match; showing 1–3 (")
    assert lines[1:5] == ["", "#  Project", "   Owner · region · fund · period · EU support", ""]
    assert not set("┃│━┏┡└") & set(result.stdout)
    for n, hit in enumerate(data["hits"], 1):
        record = ProjectRecord.from_dict({**hit, "layout": ""})
        title = next(i for i, line in enumerate(lines) if line.startswith(f"{n}  "))
        assert lines[title].startswith(f"{n}  {hit['title']}  ")
        block = lines[title + 1 : title + 4]
        assert block[0] == "   " + hit["snippet"].replace("<em>", "").replace("</em>", "")
        assert block[1] == "   " + SEP.join(hit_details(record)) and hit["region"] in block[1]
    assert lines[-4:] == [
        f"{heading}: " + ", ".join(f"{f['value']} ({f['count']})" for f in data["facets"][name][:8])
        for name, heading in (
            ("region", "Region"),
            ("fund", "Fund"),
            ("period", "Programme period"),
            ("area", "Programme area"),
        )
    ]


def test_on_a_terminal_the_hits_are_a_table(index_dir):
    result = runner.invoke(
        app, ["query", "bredband", "-n", "2", "--index", str(index_dir)], env={"TTY_COMPATIBLE": "1"}
    )
    assert result.exit_code == 0
    assert "┏━━━┳" in result.stdout and "Project" in result.stdout and "│ 1 │" in result.stdout


def test_plain_text_is_written_as_it_is():
    """Plain text keeps ':name:' and markup as written and drops what rich's Text drops (BEL, BS, VT,
    FF, CR)."""
    from esfsearch.cli.output import plain

    assert plain("a :smile: [bold]b[/bold]\x07\x08\x0b\x0c\r\x1b") == "a :smile: [bold]b[/bold]\x1b"


def test_a_one_shot_query_leaves_out_rich_and_whoosh_unused_imports(index_dir):
    """A query whose output is not a terminal never imports rich; Whoosh is imported without
    urllib.request's and asyncio's modules (`cli.stand_ins`): any other name of either imports the
    real module, and Whoosh's cached property (deleted documents) works with the stand-in."""
    code = f"""
import sys
from esfsearch.cli import main
sys.argv = ['esfsearch', 'query', 'bredband', '--index', {str(index_dir)!r}]
try:
    main()
except SystemExit:
    pass
print('SEEN', [m for m in ('rich', 'asyncio', 'http.client', 'ssl') if m in sys.modules])
import urllib.request, cached_property, whoosh.compat
assert urllib.request.urlopen and urllib.request.Request and 'http.client' in sys.modules
assert type(sys.modules['urllib.request']).__name__ == 'module' and sys.modules['urllib.request'] is urllib.request
assert cached_property.threaded_cached_property and 'asyncio' in sys.modules
from whoosh.fields import ID, Schema
from whoosh.filedb.filestore import RamStorage
ix = RamStorage().create_index(Schema(id=ID(stored=True)))
with ix.writer() as w:
    w.add_document(id='a')
    w.add_document(id='b')
with ix.writer() as w:
    w.delete_by_term('id', 'a')
with ix.reader() as r:
    print(sorted(f['id'] for f in r.all_stored_fields()), sorted(r.all_doc_ids()))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("SEEN []\n['b'] [1]"), proc.stdout[-300:]


def test_a_query_ends_the_process_at_once_and_loses_nothing(index_dir):
    """`python -m esfsearch query` (and the console script) end with `os._exit` after the page is
    written and flushed: every byte arrives, the exit code is kept, and a reader that goes away
    early is no error."""
    full = _subprocess("query", "--json", "-n", "200", "--index", str(index_dir))
    assert full.returncode == 0 and len(json.loads(full.stdout)["hits"]) == 200
    assert _subprocess("query", "xyzzyqq", "--index", str(index_dir)).returncode == 1
    proc = subprocess.Popen(
        [sys.executable, "-m", "esfsearch", "query", "--json", "-n", "255", "--index", str(index_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0 and b"Traceback" not in proc.stderr.read()


def test_an_update_in_a_process_of_its_own_ends_at_once_and_keeps_everything(tmp_path):
    """`python -m esfsearch index` ends with `os._exit` after its summary: the update is committed
    (a new process finds the changed text), the write lock is let go (the next update runs at
    once) and no temporary file is left."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "seeds", corpus)
    ix = tmp_path / "ix"

    def index(*extra):
        proc = _subprocess("index", str(corpus), "--index", str(ix), "--wait", "0", *extra)
        assert proc.returncode == 0, proc.stderr
        return proc

    index("-q")
    seed = next(corpus.glob("004_*.txt"))
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("Sänk Trösklarna", "Höj Ribban"), encoding="utf-8"
    )
    summary = json.loads(index("--json").stdout)
    assert (summary["added"], summary["updated"], summary["removed"]) == (0, 1, 0)
    assert "Updated" in index().stderr  # the summary line, written before the process ended
    assert _subprocess("query", "ribban", "--ids", "--index", str(ix)).stdout.split() == ["2019/00038"]
    assert not [p for p in ix.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".building")]


def test_a_run_builds_only_the_command_it_runs():
    """The group lists every command (name and help) but Typer reads a command's parameters only
    when it is asked for (`help.DeferredCommand`); what it builds is the command as declared."""
    import typer

    from esfsearch.cli.help import DeferredCommand, HelpCommand

    group = typer.main.get_command(app)
    assert all(isinstance(c, DeferredCommand) for c in group.commands.values() if c.name != "saved")
    assert group.commands["query"].help == "Search the projects; best matches first."
    ctx = group.make_context("esfsearch", ["query"], resilient_parsing=True)
    query = group.get_command(ctx, "query")
    assert type(query) is HelpCommand and group.commands["query"] is query
    assert {"--limit", "--region", "--json"} <= {o for p in query.params for o in p.opts}
    assert isinstance(group.commands["show"], DeferredCommand)
