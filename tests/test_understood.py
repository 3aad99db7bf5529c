"""Issue 13: every query is read the way the user typed it, and said back.

A table of typed queries -> what was understood (the "Searched: …" line on stderr, the JSON `query`
object), the message and the exit code, run through the real CLI (CliRunner, and a few as a real
subprocess) on an index of the shipped corpus built in a temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esfsearch.cli import app

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
runner = CliRunner()


@pytest.fixture(scope="module")
def index_dir(shipped_index):
    """The session's index of the shipped corpus (tests/conftest.py): these tests only read it."""
    return shipped_index


def run(index_dir, *args):
    return runner.invoke(app, ["query", "--index", str(index_dir), *args])


def searched(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Searched: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "MarkupError" not in result.output


EVERY = "Searched: every project"

# (command-line arguments after `query`, exit code, the "Searched: …" line, or a message on stderr)
TABLE = [
    # amounts as Swedes write them, in comparisons and ranges, in the text and in options
    (["stöd:>5 000 000"], 0, f"{EVERY} · EU support > 5 000 000 kr"),
    (["stöd:>5 000 000 kr"], 0, f"{EVERY} · EU support > 5 000 000 kr"),
    (["stöd:>5", "000", "000"], 0, f"{EVERY} · EU support > 5 000 000 kr"),  # unquoted in the shell
    (["stöd:>5 mkr"], 0, f"{EVERY} · EU support > 5 000 000 kr"),
    (["stöd:>5,5 mkr"], 0, f"{EVERY} · EU support > 5 500 000 kr"),
    (["stöd:>500 tkr"], 0, f"{EVERY} · EU support > 500 000 kr"),
    (["stöd:>5m"], 0, f"{EVERY} · EU support > 5 000 000 kr"),
    (["stöd:<=1m"], 0, f"{EVERY} · EU support ≤ 1 000 000 kr"),
    (["stöd:1..5 mkr"], 0, f"{EVERY} · EU support 1 000 000–5 000 000 kr"),
    (["stöd:1 000 000..5 000 000"], 0, f"{EVERY} · EU support 1 000 000–5 000 000 kr"),
    (["stöd:1–5 mkr"], 0, f"{EVERY} · EU support 1 000 000–5 000 000 kr"),
    (["budget:>=1 mkr bredband"], None, "Searched: bredband · budget ≥ 1 000 000 kr"),
    (["--min-support", "5 mkr"], 0, f"{EVERY} · EU support ≥ 5 000 000 kr"),
    (["--min-budget", "500 tkr", "--max-budget", "2,5 mkr"], None, f"{EVERY} · budget 500 000–2 500 000 kr"),
    (["--max-support", "5 000 000 kr"], 0, f"{EVERY} · EU support ≤ 5 000 000 kr"),
    (["stöd:>fem"], 2, "esfsearch: stöd: expects a number"),
    # filter values of several words without quotes: the longest run the index knows
    (["bredband region:Övre Norrland"], 0, "Searched: bredband · region = Övre Norrland"),
    (["region:Övre Norrland bredband"], 0, "Searched: bredband · region = Övre Norrland"),
    (["bredband", "region:Övre", "Norrland"], 0, "Searched: bredband · region = Övre Norrland"),
    (["region:ovre norrland"], 0, f"{EVERY} · region = Övre Norrland"),
    (["region:ovre-norrland"], 0, f"{EVERY} · region = Övre Norrland (ovre-norrland)"),
    (["region:Skåne energi"], 0, "Searched: energi · region = Skåne-Blekinge (Skåne)"),
    (["region:Mellansverige"], 0, f"{EVERY} · region has Mellansverige"),
    (
        ["län:Västra Götalands län innovation"],
        0,
        "Searched: innovation · county = Västra Götaland (Västra Götalands län)",
    ),
    (["ägare:Borlänge kommun"], 0, f"{EVERY} · owner has Borlänge kommun"),
    (["kommun:Eskilstuna"], 0, f"{EVERY} · municipality has Eskilstuna"),
    # value aliases (data/value_aliases.txt)
    (["kompetens fond:socialfonden"], 0, "Searched: kompetens (+ forms) · fund = ESF (socialfonden)"),
    (["fond:Regionalfonden"], 0, f"{EVERY} · fund = ERUF (Regionalfonden)"),
    (["fond:ESF-plus"], 0, f"{EVERY} · fund = ESF+ (ESF-plus)"),
    (["fond:ESF plus"], 0, f"{EVERY} · fund = ESF+ (ESF plus)"),
    (["fond:esf+"], 0, f"{EVERY} · fund = ESF+"),
    (["--fund", "Socialfonden"], 0, f"{EVERY} · fund = ESF (Socialfonden)"),
    (["--", "-fond:esf+ energi"], 0, "Searched: energi · not fund = ESF+"),
    # a value no record has: said for that filter, with the index's nearest value; exit 1
    (
        ["bredband", "--region", "Övre Norland"],
        1,
        "esfsearch: no project has region 'Övre Norland'; did you mean 'Övre Norrland'?",
    ),
    (
        ["bredband region:Övre Norland"],
        1,
        "esfsearch: no project has region 'Övre Norland'; did you mean 'Övre Norrland'?",
    ),
    (
        ["kommun:Eskilstuan"],
        1,
        "esfsearch: no project has municipality 'Eskilstuan'; did you mean 'Eskilstuna'?",
    ),
    (["fond:xyz"], 1, "esfsearch: no project has fund 'xyz'"),
    # field names: did-you-mean; links and times are text
    (["regoin:Sydsverige"], 2, "esfsearch: unknown field 'regoin'; did you mean 'region'?"),
    (["fnod:esf"], 2, "esfsearch: unknown field 'fnod'; did you mean 'fund'?"),
    (["foo:bar"], 2, "esfsearch: unknown field 'foo'"),
    (
        ["https://www.esf.se/projekt"],
        None,
        "Searched: https, www, esf (or socialfonden, europeiska socialfonden), se, projekt (+ forms)",
    ),
    (["möte kl 10:30"], None, "Searched: möte, kl, 10:30 (+ forms)"),
    (["tid:10:30"], None, "Searched: tid:10:30"),
    # nothing searchable: a message and exit 2; empty and *:* list every project
    (["((("], 2, "esfsearch: nothing to search for in '((('"),
    ([")))"], 2, "esfsearch: nothing to search for in ')))'"),
    (["*"], 2, "esfsearch: nothing to search for in '*'"),
    (["~"], 2, "esfsearch: nothing to search for in '~'"),
    (["🚀"], 2, "esfsearch: nothing to search for in '🚀'"),
    (["AND OR"], 2, "esfsearch: nothing to search for in 'AND OR'"),
    ([], 0, EVERY),
    (["*:*"], 0, EVERY),
    (["fond:eruf 🚀"], 0, f"{EVERY} · fund = ERUF · left out: 🚀"),
    (["och"], 1, "Searched: left out: och"),
    # words: forms, compound parts, synonyms, phrases, prefixes, negation
    (["nyanlända kvinnor"], 0, "Searched: nyanlända, kvinnor (+ forms)"),
    (
        ["nyanlända kvinnor region:Övre Norrland stöd:>5 000 000"],
        None,
        "Searched: nyanlända, kvinnor (+ forms) · region = Övre Norrland · EU support > 5 000 000 kr",
    ),
    (["koldioxidutsläpp"], 0, "Searched: koldioxidutsläpp (or koldioxid + utsläpp)"),
    (["af"], 0, "Searched: af (or arbetsförmedlingen)"),
    (['"psykisk ohälsa"'], None, 'Searched: "psykisk ohälsa" (+ forms)'),
    (["integr*"], 0, "Searched: integr*"),
    (["NOT skola unga"], 0, "Searched: unga, not skola (+ forms)"),
    (["--", "energi -sol"], 0, "Searched: energi, not sol"),
    (["energi NOT sol"], 0, "Searched: energi, not sol"),
    (["år:2018..2020 energi"], 0, "Searched: energi · year 2018–2020"),
    (["start:>=2016-01-01"], 0, f"{EVERY} · start ≥ 2016-01-01"),
    # markup in the query is text
    (["--", "zzqqq [/qqzz]"], 1, "Searched: zzqqq, qqzz"),
    (["--", "zzqq [red]"], 1, "Searched: zzqq, red"),
]


@pytest.mark.parametrize("args,code,said", TABLE, ids=[" ".join(a) or "(empty)" for a, _c, _s in TABLE])
def test_typed_query_is_understood(index_dir, args, code, said):
    result = run(index_dir, "--ids", "-n", "3", *args)
    no_traceback(result)
    if code is not None:
        assert result.exit_code == code, (result.stdout, result.stderr)
    else:
        assert result.exit_code in (0, 1)
    if said.startswith("Searched: "):
        assert searched(result) == said
    else:
        assert said in result.stderr.splitlines()[0]
        assert not result.stdout


def test_table_is_large_enough():
    assert len(TABLE) >= 40


def test_json_carries_the_query_object(index_dir):
    result = run(
        index_dir,
        "--json",
        "-n",
        "2",
        "nyanlända kvinnor region:Övre Norrland fond:Regionalfonden stöd:>5 mkr",
    )
    data = json.loads(result.stdout)
    q = data["query"]
    assert q["typed"] == "nyanlända kvinnor region:Övre Norrland fond:Regionalfonden stöd:>5 mkr"
    assert [w["word"] for w in q["words"]] == ["nyanlända", "kvinnor"]
    assert all(w["forms"] and w["stem"] for w in q["words"])
    filters = {f["field"]: f for f in q["filters"]}
    assert filters["region"]["value"] == "Övre Norrland" and filters["region"]["op"] == "="
    assert filters["fund_v"]["value"] == "ERUF" and filters["fund_v"]["typed"] == "Regionalfonden"
    assert filters["eu_support"] == {
        **filters["eu_support"],
        "op": ">",
        "value": 5_000_000,
        "typed": ">5 mkr",
        "read_as": "amount",
    }
    assert all(
        h["eu_support"] > 5_000_000 and h["region"] == "Övre Norrland" and h["fund"] == "ERUF"
        for h in json.loads(
            run(
                index_dir,
                "--json",
                "-n",
                "100",
                "--no-snippets",
                "region:Övre Norrland fond:Regionalfonden stöd:>5 mkr",
            ).stdout
        )["hits"]
    )
    streamed = json.loads(run(index_dir, "--all", "--json", "fond:Regionalfonden").stdout)
    assert streamed["query"]["filters"][0]["value"] == "ERUF" and streamed["total"] == 250
    expansions = json.loads(run(index_dir, "--json", "-n", "1", "koldioxidutsläpp af").stdout)["query"][
        "words"
    ]
    assert expansions[0]["split"] == ["koldioxid", "utsläpp"] and expansions[1]["synonyms"] == [
        "arbetsförmedlingen"
    ]


def test_amount_forms_give_the_same_hits(index_dir):
    def ids(*args):
        return run(index_dir, "--ids", "--all", *args).stdout.split()

    plain = ids("stöd:>5000000")
    assert plain
    for typed in ("stöd:>5 000 000", "stöd:>5 000 000 kr", "stöd:>5 mkr", "stöd:>5m", "stöd:>5000 tkr"):
        assert ids(typed) == plain, typed
    assert ids("--min-support", "5 000 001") == plain
    assert ids("stöd:1..5 mkr") == ids("stöd:1000000..5000000")


def test_unquoted_multiword_value_filters_on_the_whole_value(index_dir):
    typed = json.loads(run(index_dir, "--json", "-n", "100", "bredband region:Övre Norrland").stdout)
    quoted = json.loads(run(index_dir, "--json", "-n", "100", 'bredband region:"Övre Norrland"').stdout)
    assert [h["id"] for h in typed["hits"]] == [h["id"] for h in quoted["hits"]]
    assert typed["total"] and all(h["region"] == "Övre Norrland" for h in typed["hits"])


def test_cut_output_says_so(index_dir):
    result = run(index_dir, "fond:eruf", "--ids")
    assert len(result.stdout.split()) == 10
    assert "showing 10 of 250; --all for every hit" in result.stderr
    page2 = run(index_dir, "fond:eruf", "--csv", "--page", "2")
    assert "showing 11–20 of 250; --all for every hit" in page2.stderr
    assert "showing" not in run(index_dir, "fond:eruf", "--ids", "--all").stderr
    assert "showing" not in run(index_dir, "fond:eruf", "--json", "-q").stderr
    assert "showing" not in run(index_dir, "fond:esf+", "--json").stderr  # every hit shown


def test_page_past_the_end_is_exit_1(index_dir):
    result = run(index_dir, "fond:eruf", "--page", "30")
    assert result.exit_code == 1
    assert "page 30 is past the end: 250 projects match, 25 pages of 10" in result.stderr
    assert "showing" not in result.stdout
    as_json = run(index_dir, "fond:eruf", "--page", "30", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["hits"] == []


def test_singular_and_plural(index_dir):
    one = run(index_dir, "fond:esf+")
    assert one.exit_code == 0 and "1 project matches; showing 1 " in one.stdout
    from esfsearch.search import SearchEngine

    with SearchEngine(index_dir) as engine:  # the count is the index's (fund is no longer read from prose)
        n = engine.count("fond:esf")
    assert 1 < n <= 10  # plural, and every hit on the first page
    many = run(index_dir, "fond:esf")
    assert many.exit_code == 0 and f"{n} projects match; showing 1–{n} " in many.stdout


def test_quiet_says_nothing(index_dir):
    result = run(index_dir, "-q", "--ids", "fond:eruf")
    assert result.exit_code == 0 and result.stderr == ""


def _subprocess(*args):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "esfsearch", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize(
    "args,code,said",
    [
        (["--", "zzqqq [/qqzz]"], 1, "Searched: zzqqq, qqzz"),
        (["stöd:>5 mkr", "--ids"], 0, f"{EVERY} · EU support > 5 000 000 kr"),
        (["bredband", "--region", "Övre Norland"], 1, "did you mean 'Övre Norrland'?"),
        (["🚀"], 2, "nothing to search for"),
    ],
)
def test_real_subprocess(index_dir, args, code, said):
    proc = _subprocess("query", "--index", str(index_dir), *args)
    assert proc.returncode == code, proc.stderr
    assert said in proc.stderr and "Traceback" not in proc.stderr
    if code == 1 and "zzqqq" in said:
        assert "No projects match zzqqq [/qqzz]." in proc.stdout


@pytest.mark.parametrize("exec_mode", ["whoosh", "fast"])
def test_excluded_words_leave_records_out(index_dir, exec_mode):
    """'energi -sol' and 'energi NOT sol' are the energy records without 'sol', on both execution
    paths (Whoosh alone reads 'energi NOT sol' as 'energi OR NOT sol': nearly every record)."""
    from esfsearch.search import SearchEngine

    def ids(engine, q):
        return {h.record.id for h in engine.iter_hits(q, snippets=False)}

    with SearchEngine(index_dir, exec_mode=exec_mode) as engine:
        energi, sol = ids(engine, "energi"), ids(engine, "sol")
        assert energi & sol and energi - sol
        for q in ("energi -sol", "energi NOT sol", "NOT sol energi", "energi -sol -vind"):
            expected = energi - sol - (ids(engine, "vind") if "vind" in q else set())
            assert ids(engine, q) == expected, q
            assert engine.count(q) == len(expected)
        assert ids(engine, 'energi -"sol"') == energi - sol
        # hyphens inside words are no exclusion
        assert ids(engine, "ESF-rådet") == ids(engine, "ESF rådet")
