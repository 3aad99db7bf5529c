"""Hostile queries: always a result or a clear QueryError / exit 2; never a traceback or a hang."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from relhelp import no_traceback, run_cli
from typer.testing import CliRunner

from esfsearch.cli import app
from esfsearch.querylang import QueryError, parse_query
from esfsearch.search import SearchEngine

LIMIT_S = 20.0  # a guard against pathological (runaway) queries, not a speed target: those live in bench/
TRIED = {"queries": 0}

NASTY = [
    '"unbalanced',
    "((kompetens",
    "kompetens)))",
    "(((((((((((((((((((a",
    '""',
    '"',
    "()",
    "foo:bar",
    "budget:0..99999999999999999999",
    "stöd:>99999999999999999999999",
    "deltagare:99999999999999999999",
    "år:0..9999",
    "år:99999",
    "start:2019-13-01",
    "start:2019-02-30",
    "år:2020..2019",
    "stöd:>abc",
    "region:",
    'region:""',
    "budget:1e400",
    "budget:..",
    "budget:...",
    "medfinansiering:50%",
    " ".join(f"ord{i}" for i in range(3000)),
    "a " * 2400,
    "\x00\x01\x02\x1b[31m\x7f",
    "*",
    "**",
    "~",
    "~2",
    "AND",
    "OR",
    "NOT",
    "NOT NOT",
    "AND OR NOT",
    "kompetens AND",
    "OR kompetens",
    "-",
    "--",
    "-region:x",
    "NOT region:x",
    "*a",
    "?",
    "*?*?*?*?*",
    "k*" * 60,
    "kompetens~9",
    "kompetens~",
    "kompetens*~",
    '"kompetens försörjning"~',
    "a^2",
    "^",
    "[a TO b]",
    "{a TO }",
    "'",
    "\\",
    "a\\",
    "<",
    ">",
    "år:>",
    "budget:>=",
    "start:<=",
    "x:" * 100,
    "\ud800",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "ﷺ",
    "\u202eabc",
    "\u200b\u200b",
    "ℌ𝔢𝔩𝔩𝔬~",
    "a" * 4999,
    "a" * 6000,
    "🙂 kompetens",
    "Ⅻ",
    "ß",
    "İstanbul",
    "ǅ",
    "e\u0301\u0301\u0301",
    "\uffff",
    "title:",
    "fond:*",
    "id:*",
    "kontakt:",
    "kontakt:@",
    "kommun:Åre OR",
    "(a OR (b AND (c NOT d)))",
]


def _check(fn, q):
    started = time.monotonic()
    try:
        out = fn(q)
    except QueryError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        out = None
    assert time.monotonic() - started < LIMIT_S, f"query took too long: {q[:60]!r}"
    TRIED["queries"] += 1
    return out


@pytest.fixture(scope="module")
def engine(full_index):
    with SearchEngine(full_index) as e:
        yield e


@pytest.mark.parametrize("q", NASTY)
def test_nasty_queries_api(q, engine):
    _check(lambda t: parse_query(t), q)
    result = _check(lambda t: engine.search(t, facets=True), q)
    if result is not None:
        assert result.total >= 0 and len(result.hits) <= 10
        assert _check(lambda t: engine.count(t), q) == result.total


QUERY_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "*",
                "~",
                "AND",
                "OR",
                "NOT",
                "-",
                ":",
                "region:",
                "år:",
                "budget:",
                "kompetens",
                "Sörmland",
                "..",
                ">",
                "<=",
                "2019",
                "99999999999999999999",
                " ",
                "\x00",
                "\u0301",
                "okänt:",
                "^",
                "\\",
                "?",
                "kontakt:",
            ]
        ),
        max_size=30,
    ).map("".join),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=QUERY_TEXT)
def test_property_parse_and_search(q, engine):
    _check(lambda t: parse_query(t), q)
    _check(lambda t: engine.search(t, limit=5, snippets=True), q)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=QUERY_TEXT.filter(lambda t: "\x00" not in t))
def test_property_cli(q, full_index):
    started = time.monotonic()
    res = CliRunner().invoke(app, ["query", "--index", str(full_index), "-q", "--", q])
    assert time.monotonic() - started < LIMIT_S
    TRIED["queries"] += 1
    assert isinstance(res.exception, SystemExit) or res.exception is None, repr(res.exception)
    assert res.exit_code in (0, 1, 2), res.output
    if res.exit_code == 2:
        assert res.stderr.startswith("esfsearch: ")
    assert no_traceback(res.stdout + res.stderr)


@pytest.mark.parametrize(
    "q", ['"unbalanced', "budget:0..99999999999999999999", "okänt:fält", "AND", "x" * 6000]
)
def test_real_subprocess(q, full_index):
    started = time.monotonic()
    proc = run_cli("query", "--index", str(full_index), "--", q, timeout=30)
    assert time.monotonic() - started < 25  # runaway guard (timeout=30 above), not a speed target
    assert proc.returncode in (0, 1, 2) and no_traceback(proc.stderr)
    if proc.returncode == 2:
        assert proc.stderr.startswith("esfsearch: ")


def test_report_queries():
    """Runs alone or in any order: it tries the parser on every nasty query itself, then reports
    how many hostile queries the session has tried so far."""
    before = TRIED["queries"]
    for q in NASTY:
        _check(lambda t: parse_query(t), q)
    assert TRIED["queries"] == before + len(NASTY)
    print(f"\nhostile queries tried so far: {TRIED['queries']}")
