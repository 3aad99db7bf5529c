"""Saved searches (`esfsearch saved …`, esfsearch.saved), the new-match report after `esfsearch index`,
the streamed whole-result export (`query --all`) on a generated corpus, and disjunctive facets."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esfsearch.cli import app
from esfsearch.cli.saved import report_new_matches, saved_search_news
from esfsearch.index import build_index
from esfsearch.saved import FILE_NAME, SavedSearchError, SavedSearches, config_dir, store_path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SEED = "000_811b2af4f791d75a.txt"  # 2020/00639 Stärkt utvecklingskraft (kompetensförsörjning)
runner = CliRunner()

NEW_RECORD = {
    "_source": "http://projektbank.tillvaxtverket.se/projektbanken2020#page=eruf",
    "ärende-id": "20299999",
    "stödmottagare": "Norrbottens Kompetensråd",
    "beviljat_belopp_sek": 2500000,
    "projektnamn": "Kompetensförsörjning i Norrbotten",
    "projektbeskrivning": "Projektet stärker kompetensförsörjningen hos små företag i Norrbotten genom "
    "kartläggning av kompetensbehov och gemensamma utbildningsinsatser.",
    "projekt_starttid": "2019-01-01",
    "projekt_sluttid": "2021-06-30",
    "län": "Norrbotten",
    "område": "Övre Norrland",
}


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch) -> Path:
    """Every test gets its own config dir: the user's real saved searches are never touched."""
    cfg = tmp_path / "config"
    monkeypatch.setenv("ESFSEARCH_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return cfg


@pytest.fixture
def index_dir(shipped_index) -> Path:
    """The shipped corpus, indexed once per session for the tests that do not change it."""
    return shipped_index


def cli(*args, index: Path | None = None):
    extra = ["--index", str(index)] if index is not None else []
    return runner.invoke(app, [*args, *extra])


def saved_file(config: Path) -> dict:
    return json.loads((config / FILE_NAME).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- storage


def test_config_dir_follows_platform_and_env(monkeypatch, tmp_path):
    from platformdirs import user_config_dir

    assert config_dir() == tmp_path / "config"
    monkeypatch.delenv("ESFSEARCH_CONFIG_DIR")
    assert config_dir() == Path(user_config_dir("esfsearch"))
    assert store_path() == Path(user_config_dir("esfsearch")) / FILE_NAME


def test_add_list_run_remove(index_dir, config):
    n = json.loads(cli("query", "kompetensförsörjning", "--json", index=index_dir).stdout)["total"]
    assert n > 5
    added = cli("saved", "add", "kompetens", "kompetensförsörjning", index=index_dir)
    assert added.exit_code == 0, added.stderr
    assert 'Saved "kompetens"' in added.stdout and f"{n} projects match" in added.stdout

    data = saved_file(config)  # human-readable JSON, å/ä/ö kept
    entry = data["searches"]["kompetens"]
    assert data["version"] == 1 and entry["query"] == "kompetensförsörjning" and entry["filters"] == []
    assert entry["created"] and entry["last_run"] is None and entry["seen"]["count"] == n
    assert "2020/00639" in entry["seen"]["ids"]
    assert "kompetensförsörjning" in (config / FILE_NAME).read_text(encoding="utf-8")
    assert not [p for p in config.iterdir() if p.name.endswith(".tmp")]  # atomic write left nothing behind

    listed = cli("saved", "list", "--json")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["text"], r["seen"], r["last_run"]) for r in rows] == [
        ("kompetens", "kompetensförsörjning", n, None)
    ]
    table = cli("saved", "list")
    assert "kompetens" in table.stdout and "never" in table.stdout

    ran = cli("saved", "run", "kompetens", "--json", "-n", "3", index=index_dir)
    assert ran.exit_code == 0, ran.stderr
    out = json.loads(ran.stdout)
    direct = json.loads(cli("query", "kompetensförsörjning", "--json", "-n", "3", index=index_dir).stdout)
    assert out["total"] == direct["total"] == n
    assert [h["id"] for h in out["hits"]] == [h["id"] for h in direct["hits"]]
    assert out["saved"]["name"] == "kompetens" and out["saved"]["new"] == [] and out["saved"]["changed"] == []
    assert saved_file(config)["searches"]["kompetens"]["last_run"]

    for fmt in ("--csv", "--ids"):
        r = cli("saved", "run", "kompetens", fmt, index=index_dir)
        assert r.exit_code == 0 and "2020/00639" in r.stdout
    assert "projects match" in cli("saved", "run", "kompetens", index=index_dir).stdout

    removed = cli("saved", "remove", "kompetens")
    assert removed.exit_code == 0 and 'Removed "kompetens"' in removed.stdout
    empty = cli("saved", "list")
    assert empty.exit_code == 1 and "No saved searches yet" in empty.stderr
    assert saved_file(config)["searches"] == {}


def test_filter_options_are_stored_as_text(index_dir, config):
    r = cli(
        "saved",
        "add",
        "norr",
        "--region",
        "Övre Norrland",
        "--fund",
        "eruf",
        "--year",
        "2016..2018",
        "--min-support",
        "1000000",
        index=index_dir,
    )
    assert r.exit_code == 0, r.stderr
    entry = saved_file(config)["searches"]["norr"]
    assert entry["query"] == ""
    assert entry["filters"] == ['region:"Övre Norrland"', "fund:eruf", "year:2016..2018", "support:1000000.."]
    ran = json.loads(cli("saved", "run", "norr", "--json", index=index_dir).stdout)
    direct = json.loads(
        cli(
            "query",
            "--region",
            "Övre Norrland",
            "--fund",
            "eruf",
            "--year",
            "2016..2018",
            "--min-support",
            "1000000",
            "--json",
            index=index_dir,
        ).stdout
    )
    assert ran["total"] == direct["total"] > 0
    # the same search typed inline gives the same matches
    inline = cli(
        "saved", "add", "norr2", 'region:"Övre Norrland" fond:eruf år:2016..2018 stöd:>=1m', index=index_dir
    )
    assert inline.exit_code == 0
    assert saved_file(config)["searches"]["norr2"]["seen"] == entry["seen"]
    # unquoted by the shell (region:"Övre Norrland" arrives as `region:Övre Norrland`): the value stays whole
    shell = cli(
        "saved",
        "add",
        "norr3",
        "region:Övre Norrland",
        "fond:eruf",
        "år:2016..2018",
        "stöd:>=1m",
        index=index_dir,
    )
    assert shell.exit_code == 0
    stored = saved_file(config)["searches"]["norr3"]
    assert stored["query"] == 'region:"Övre Norrland" fond:eruf år:2016..2018 stöd:>=1m'
    assert stored["seen"] == entry["seen"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["foo:bar"], "unknown field 'foo'"),
        (["år:nittonhundra"], "expects a year"),
        (["budget:>mycket"], "expects a number"),
        (["kompetens", "--year", "20x9"], "expects a year"),
        (["kompetens", "--start-from", "2019-13"], "has no month 13"),
    ],
)
def test_bad_query_is_refused_with_the_parsers_message(index_dir, config, args, message):
    r = cli("saved", "add", "dålig", *args, index=index_dir)
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert not (config / FILE_NAME).exists()


def test_names_duplicates_and_unknown(index_dir, config):
    assert cli("saved", "add", "Bredband", "bredband", index=index_dir).exit_code == 0
    dup = cli("saved", "add", "bredband", "fiber", index=index_dir)  # names compare without case
    assert (
        dup.exit_code == 2
        and "already a saved search named 'Bredband'" in dup.stderr
        and "--replace" in dup.stderr
    )
    assert saved_file(config)["searches"]["Bredband"]["query"] == "bredband"
    rep = cli("saved", "add", "bredband", "fiber", "--replace", index=index_dir)
    assert rep.exit_code == 0
    assert list(saved_file(config)["searches"]) == ["bredband"]
    assert saved_file(config)["searches"]["bredband"]["query"] == "fiber"

    blank = cli("saved", "add", "  ", "fiber", index=index_dir)
    assert blank.exit_code == 2 and "needs a name" in blank.stderr
    for command in (["saved", "run", "nope"], ["saved", "remove", "nope"], ["saved", "new", "nope"]):
        r = cli(*command)
        assert r.exit_code == 1 and "no saved search named 'nope'; saved: bredband" in r.stderr


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '["a list"]',
        '{"searches": {"x": 5}}',
        '{"searches": {"x": {"query": 1}}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_damaged_file_gives_a_message_not_a_traceback(index_dir, config, content):
    config.mkdir(parents=True)
    path = config / FILE_NAME
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = path.read_bytes()
    for command in (
        ["saved", "list"],
        ["saved", "add", "ny", "fiber"],
        ["saved", "new"],
        ["saved", "run", "x"],
        ["saved", "remove", "x"],
    ):
        r = cli(*command, index=index_dir) if command[1] in ("add", "new", "run") else cli(*command)
        assert r.exit_code == 2, (command, r.stdout, r.stderr)
        assert "damaged" in r.stderr and str(path) in r.stderr.replace("\n", "")
        assert isinstance(r.exception, SystemExit)
    assert path.read_bytes() == before  # never overwritten
    # an index run still succeeds and says what is wrong
    lines = report_new_matches(index_dir, type("S", (), {"new_keys": ["x#0"]})())
    assert len(lines) == 1 and "damaged" in lines[0]


def test_store_api_and_concurrent_changes(tmp_path):
    a = SavedSearches(tmp_path / "s.json")
    b = SavedSearches(tmp_path / "s.json")  # a second process, in effect
    a.add("one", "bredband")
    b.add("two", "fiber", seen=[("id1", "h1")])
    a.mark_seen("one", [("id2", "h2")])
    got = {s.name: s for s in SavedSearches(tmp_path / "s.json").list()}
    assert set(got) == {"one", "two"}
    assert got["one"].seen_ids == {"id2"} and got["one"].last_run
    assert got["two"].seen_hashes == {"h1"} and got["two"].last_run is None
    with pytest.raises(SavedSearchError):
        a.add("ONE", "x")


# ---------------------------------------------------------------- what is new


def _summary_line(lines, name):
    return [line for line in lines if f'for "{name}"' in line]


@pytest.mark.slow
def test_new_matches_after_adding_changing_and_deleting_files(tmp_path, config):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    ix = tmp_path / "ix"
    build_index([corpus], ix)

    assert report_new_matches(ix, type("S", (), {"new_keys": ["x#0"]})()) == []  # no saved searches: nothing
    for args in (
        ["kompetens", "kompetensförsörjning"],
        ["norr", 'region:"Övre Norrland"'],
        ["bredband", "bredband"],
    ):
        assert cli("saved", "add", *args, index=ix).exit_code == 0
    before_norr = saved_file(config)["searches"]["norr"]["seen"]["count"]

    # 1. a new file with a record that matches two of the three searches
    (corpus / "new.json").write_text(json.dumps([NEW_RECORD], ensure_ascii=False), encoding="utf-8")
    summary = build_index([corpus], ix)
    assert summary.added == 1 and len(summary.new_keys) == 1
    lines = report_new_matches(ix, summary)
    assert _summary_line(lines, "kompetens") == [
        '1 new match for "kompetens" (esfsearch saved new kompetens)'
    ]
    assert _summary_line(lines, "norr") and not _summary_line(lines, "bredband")
    entries = {e["name"]: e for e in saved_search_news(ix, summary)}
    assert (
        entries["kompetens"]["new"] == ["20299999"]
        and entries["kompetens"]["message"] == '1 new match for "kompetens"'
        and entries["kompetens"]["message_sv"] == '1 ny träff för "kompetens"'
    )
    assert entries["bredband"]["count"] == 0

    new = cli("saved", "new", "--json", index=ix)
    assert new.exit_code == 0
    by_name = {s["name"]: s for s in json.loads(new.stdout)["searches"]}
    assert [(h["id"], h["status"]) for h in by_name["kompetens"]["hits"]] == [("20299999", "new")]
    assert by_name["norr"]["total"] == before_norr + 1 and by_name["norr"]["new"] == 1
    assert by_name["bredband"]["hits"] == []
    text = cli("saved", "new", "kompetens", index=ix)
    assert "1 new, 0 changed since" in text.stdout and "Kompetensförsörjning i Norrbotten" in text.stdout

    # `saved run` marks it seen: nothing new for that search afterwards, the others keep theirs
    assert cli("saved", "run", "kompetens", "--ids", index=ix).exit_code == 0
    after = cli("saved", "new", "kompetens", "--json", index=ix)
    assert after.exit_code == 1 and json.loads(after.stdout)["searches"][0]["hits"] == []
    assert json.loads(cli("saved", "new", "norr", "--json", index=ix).stdout)["searches"][0]["new"] == 1
    # the index run after which nothing changed reports nothing
    assert report_new_matches(ix, build_index([corpus], ix)) == []

    # 2. an existing matching record changes: it is "changed", not "new"
    seed = corpus / "seeds" / SEED
    seed.write_text(
        seed.read_text(encoding="utf-8").replace(
            "Stärkt utvecklingskraft", "Stärkt utvecklingskraft i Skåne"
        ),
        encoding="utf-8",
    )
    summary = build_index([corpus], ix)
    assert summary.updated == 1
    assert _summary_line(report_new_matches(ix, summary), "kompetens") == [
        '1 new match for "kompetens" (esfsearch saved new kompetens)'
    ]
    changed = json.loads(cli("saved", "new", "kompetens", "--json", index=ix).stdout)["searches"][0]
    assert [(h["id"], h["status"], h["title"]) for h in changed["hits"]] == [
        ("2020/00639", "changed", "Stärkt utvecklingskraft i Skåne")
    ]
    marked = cli("saved", "new", "kompetens", "--mark", index=ix)
    assert marked.exit_code == 0 and "Marked as seen" in marked.stdout
    assert cli("saved", "new", "kompetens", index=ix).exit_code == 1

    # 3. a file is deleted: no new matches; `saved new` says which seen projects are gone
    (corpus / "new.json").unlink()
    summary = build_index([corpus], ix)
    assert summary.removed == 1 and summary.new_keys == []
    assert report_new_matches(ix, summary) == []
    gone = json.loads(cli("saved", "new", "kompetens", "--json", index=ix).stdout)["searches"][0]
    assert gone["gone"] == ["20299999"] and gone["hits"] == []
    assert "1 no longer match" in cli("saved", "new", "kompetens", index=ix).stdout

    # a full rebuild makes every key "new" to the index, but not to the saved searches
    summary = build_index([corpus], ix, rebuild=True)
    assert len(summary.new_keys) == summary.records
    assert not _summary_line(report_new_matches(ix, summary), "kompetens")


def test_index_command_prints_the_report(tmp_path, config):
    """The seed texts are the corpus (not the whole shipped one): the report is about the one
    record each update adds, whatever the records before it."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "seeds", corpus / "seeds")
    ix = tmp_path / "ix"
    assert cli("index", str(corpus), "--quiet", index=ix).exit_code == 0
    assert cli("saved", "add", "kompetens", "kompetensförsörjning", index=ix).exit_code == 0
    (corpus / "new.json").write_text(json.dumps([NEW_RECORD], ensure_ascii=False), encoding="utf-8")
    r = cli("index", str(corpus), index=ix)
    assert r.exit_code == 0
    assert '1 new match for "kompetens"' in r.stderr and "new match" not in r.stdout
    # in Swedish, the same notice: one ngettext message, the user's language
    another = {**NEW_RECORD, "ärende-id": "20299998"}
    (corpus / "another.json").write_text(json.dumps([another], ensure_ascii=False), encoding="utf-8")
    r = cli("--lang", "sv", "index", str(corpus), index=ix)
    assert r.exit_code == 0 and '1 ny träff för "kompetens"' in r.stderr


def test_saved_search_that_no_longer_parses(index_dir, config):
    config.mkdir(parents=True)
    (config / FILE_NAME).write_text(
        json.dumps(
            {
                "version": 1,
                "searches": {
                    "gammal": {"query": "bredband", "filters": ["oldfield:x"]},
                    "bra": {"query": "bredband", "filters": []},
                },
            }
        ),
        encoding="utf-8",
    )
    r = cli("saved", "run", "gammal", index=index_dir)
    assert r.exit_code == 2 and "no longer parses" in r.stderr and "unknown field 'oldfield'" in r.stderr
    new = cli("saved", "new", "--json", index=index_dir)  # the good one still reports (never run: all new)
    assert "no longer parses" in new.stderr
    assert json.loads(new.stdout)["searches"][0]["name"] == "bra"
    lines = report_new_matches(index_dir, type("S", (), {"new_keys": ["nope#0"]})())
    assert any("gammal" in line and "oldfield" in line for line in lines)


def test_subprocess_follow_a_topic(index_dir, tmp_path):
    env = dict(
        os.environ, ESFSEARCH_CONFIG_DIR=str(tmp_path / "sub"), ESFSEARCH_INDEX=str(index_dir), NO_COLOR="1"
    )

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "esfsearch", "saved", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    add = run("add", "bredband", "bredband", "--fund", "eruf")
    assert add.returncode == 0, add.stderr
    assert json.loads(run("list", "--json").stdout)[0]["text"] == "bredband fund:eruf"
    new = run("new")
    assert new.returncode == 1 and "0 new, 0 changed" in new.stdout
    bad = run("add", "x", "foo:bar")
    assert bad.returncode == 2 and "unknown field" in bad.stderr and "Traceback" not in bad.stderr
    (tmp_path / "sub" / FILE_NAME).write_text("{broken", encoding="utf-8")
    broken = run("list")
    assert broken.returncode == 2 and "damaged" in broken.stderr and "Traceback" not in broken.stderr


# ---------------------------------------------------------------- disjunctive facets


def test_facets_stay_disjunctive(index_dir):
    r = cli("query", 'region:"Övre Norrland"', "--facets", "--json", "-n", "1", index=index_dir)
    data = json.loads(r.stdout)
    regions = {f["value"]: f["count"] for f in data["facets"]["region"]}
    assert regions["Övre Norrland"] == data["total"] > 0
    assert len(regions) >= 5  # the other regions are still offered
    for other in ("Mellersta Norrland", "Sydsverige"):
        alone = json.loads(cli("query", f'region:"{other}"', "--json", "-n", "1", index=index_dir).stdout)
        assert regions[other] == alone["total"] > 0  # …with what choosing them would give
    # the other facets count within the active region
    assert sum(f["count"] for f in data["facets"]["fund"]) == data["total"]
    every = json.loads(cli("query", "--facets", "--json", "-n", "1", index=index_dir).stdout)
    assert {f["value"]: f["count"] for f in every["facets"]["region"]} == regions
    # with words too: the region facet is the word query's distribution
    words = json.loads(
        cli(
            "query",
            "kompetensförsörjning",
            "--region",
            "Sydsverige",
            "--facets",
            "--json",
            "-n",
            "100",
            index=index_dir,
        ).stdout
    )
    plain = json.loads(cli("query", "kompetensförsörjning", "--facets", "--json", index=index_dir).stdout)
    assert words["facets"]["region"] == plain["facets"]["region"]
    assert {f["value"]: f["count"] for f in words["facets"]["region"]}["Sydsverige"] == len(words["hits"])


def test_total_of_a_filtered_word_query_counts_only_filtered_hits(index_dir):
    """Regression: a FilterCollector around Whoosh's block-optimised TopCollector counted the matches
    without the filter (`bredband --region Sydsverige`: 14 projects match, none shown)."""
    from esfsearch.querylang import make_filter
    from esfsearch.search import SearchEngine

    with SearchEngine(index_dir) as engine:
        for text, region in (("kompetensförsörjning", "Sydsverige"), ("bredband", "Sydsverige")):
            filters = [make_filter("region", region)]
            result = engine.search(text, filters=filters, limit=100)
            assert result.total == len(result.hits) == engine.count(text, filters)


# ---------------------------------------------------------------- streamed whole-result export


@pytest.fixture(scope="session")
def big_index(big) -> tuple[Path, int]:
    """(index, records) of the session's generated corpus (tests/conftest.py), read, never changed."""
    _corpus, ix, n = big
    return ix, n


def _export_to_file(engine, path: Path, q: str, fmt: str, snippets: bool = False) -> int:
    from esfsearch.cli.output import export_all

    with open(path, "w", encoding="utf-8", newline="") as fh, contextlib.redirect_stdout(fh):
        return export_all(
            engine,
            q,
            [],
            "relevance",
            fmt == "json",
            fmt == "csv",
            fmt == "ids",
            contacts=True,
            snippets=snippets,
        )


@pytest.mark.slow
def test_export_all_writes_every_hit_with_all_fields(big_index, tmp_path):
    from esfsearch.records import RECORD_FIELDS
    from esfsearch.search import SearchEngine

    big_index, records = big_index
    with SearchEngine(big_index) as engine:
        assert engine.doc_count == records
        for q in ("", "kompetens*", "fond:esf"):
            expected = engine.count(q)
            assert expected > 200
            n = _export_to_file(engine, tmp_path / "out.csv", q, "csv")
            with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            assert n == len(rows) == expected
            assert set(RECORD_FIELDS) <= set(rows[0])
            assert len({r["source_path"] + r["id"] for r in rows}) == expected  # no hit twice
        n = _export_to_file(engine, tmp_path / "out.json", "kompetens*", "json")
        data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
        assert n == data["total"] == len(data["hits"]) == engine.count("kompetens*")
        assert all(set(RECORD_FIELDS) <= set(h) for h in data["hits"])


@pytest.mark.slow
def test_export_all_from_the_command_line(big_index, tmp_path):
    """The real command, stdout to a file, as a user would run it."""
    big_index, records = big_index
    with open(tmp_path / "all.csv", "w", encoding="utf-8") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "esfsearch",
                "query",
                "--all",
                "--csv",
                "--no-snippets",
                "--index",
                str(big_index),
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "all.csv", encoding="utf-8", newline="") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == records


@pytest.mark.slow
def test_export_all_memory_stays_bounded(big_index, tmp_path):
    """Peak memory of streaming every record is a small fraction of holding them all at once."""
    from esfsearch.search import SearchEngine

    big_index, records = big_index
    with SearchEngine(big_index) as engine:
        _export_to_file(engine, tmp_path / "warm.csv", "fond:esf", "csv")  # caches, lazy imports
        tracemalloc.start()
        try:
            n_all = _export_to_file(engine, tmp_path / "all.csv", "", "csv")
            _size, streamed = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            held = list(engine.iter_hits("", snippets=False))
            _size, at_once = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert n_all == len(held) == records
        del held
    print(
        f"export of {records} records: peak {streamed / 1e6:.1f} MB streamed vs {at_once / 1e6:.1f} MB held"
    )
    assert streamed < at_once / 4
