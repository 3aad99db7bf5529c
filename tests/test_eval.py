"""The relevance evaluation (esfsearch/evaluation.py, `esfsearch eval`): metric functions on
hand-computed examples, the filter checker, and a full run on the shipped corpus + eval/ judgements."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esfsearch import evaluation as ev
from esfsearch.querylang import split_filters
from esfsearch.records import ProjectRecord

ROOT = Path(__file__).resolve().parents[1]
# nDCG@10 floors for esfsearch (eval/README.md has the figures); a ranking change that drops below one
# fails CI. Issue 8 set 0.80 on the first 58 (measured 0.812); issue 14 raised it as the set grew.
NDCG_FLOOR = 0.81  # measured 0.8128 on all 94 queries (issue 14, sixth round; fourth round 0.8128 on 90)
NDCG_FLOOR_FIRST_78 = 0.82  # the 78 queries of issue 14's first round: measured 0.8240 (was 0.824)
NDCG_FLOOR_FIRST_58 = 0.85  # the first six classes (58 queries): measured 0.8546 (was 0.854)


# ---------------------------------------------------------------- metrics by hand


def test_dcg_by_hand():
    assert ev.dcg([2, 0, 1]) == pytest.approx(2 / 1 + 0 / math.log2(3) + 1 / 2)
    assert ev.dcg([1] * 12, k=10) == pytest.approx(sum(1 / math.log2(i + 1) for i in range(1, 11)))


def test_ndcg_by_hand():
    grades = {"a": 2, "b": 1, "c": 0, "d": 2}
    ideal = 2 + 2 / math.log2(3) + 1 / 2  # 2, 2, 1
    got = 1 / 1 + 0 + 2 / 2 + 0  # b, c, d, x
    assert ev.ndcg_at_k(["b", "c", "d", "x"], grades) == pytest.approx(got / ideal)
    assert ev.ndcg_at_k(["a", "d", "b"], grades) == pytest.approx(1.0)
    assert ev.ndcg_at_k([], grades) == 0.0
    assert ev.ndcg_at_k(["a"], {"a": 0}) == 0.0  # nothing relevant: 0, not a division error
    # only the top k count, the ideal is from all judged grades (11 relevant, k = 10)
    many = {str(i): 1 for i in range(11)}
    assert ev.ndcg_at_k([str(i) for i in range(11)], many, k=10) == pytest.approx(1.0)


def test_recall_and_rr_by_hand():
    grades = {"a": 2, "b": 1, "c": 0, "d": 1}
    assert ev.recall_at_k(["c", "b", "x", "a"], grades) == pytest.approx(2 / 3)
    assert ev.recall_at_k(["a", "b", "d"], grades, k=2) == pytest.approx(2 / 3)
    assert ev.reciprocal_rank(["c", "x", "d"], grades) == pytest.approx(1 / 3)
    assert ev.reciprocal_rank(["c", "x"], grades) == 0.0
    assert ev.reciprocal_rank(["x"] * 10 + ["a"], grades) == 0.0  # past the cut-off


# ---------------------------------------------------------------- filter checker


def _rec(**kw) -> ProjectRecord:
    from datetime import date

    base = {
        "id": "r1",
        "title": "T",
        "layout": "json",
        "source_path": "x",
        "region": "Övre Norrland",
        "county": ["Norrbotten", "Västerbotten"],
        "municipalities": ["Luleå", "Piteå"],
        "owner": "Luleå Tekniska Universitet",
        "fund": "ERUF",
        "eu_support": 6_000_000,
        "thematic_objective": "Att öka tillgången till IKT",
        "start_date": date(2015, 3, 1),
        "end_date": date(2018, 6, 30),
    }
    base.update(kw)
    return ProjectRecord(**base)


@pytest.mark.parametrize(
    "query, passes",
    [
        ('region:"övre norrland" x', True),
        ("region:Stockholm x", False),
        ("län:Norrbotten x", True),
        ("län:Skåne x", False),
        ("kommun:pitea x", True),
        ('ägare:"luleå tekniska universitet" x', True),
        ("ägare:almi x", False),
        ("fond:eruf x", True),
        ("fond:esf x", False),
        ("stöd:>5000000 x", True),
        ("stöd:>6000000 x", False),
        ("stöd:<500000 x", False),
        ("år:2014 x", False),
        ("år:2016 x", True),
        ("år:2018..2020 x", True),
        ("tematiskt:IKT x", True),
        ("tematiskt:vikt x", False),  # whole words, not substrings
        ("-region:Stockholm x", True),
        ("programområde:2 x", False),
    ],
)
def test_record_passes(query, passes):
    _free, filters = split_filters(query)
    assert filters
    assert ev.record_passes(_rec(), filters) is passes


# ---------------------------------------------------------------- the whole evaluation


@pytest.fixture(scope="module")
def report(shipped_index):
    return ev.evaluate(shipped_index)


# The whole evaluation (esfsearch and its baselines, each baseline indexing the corpus) is made once
# per worker that asks for it: its tests run on one worker (`--dist loadgroup`, pyproject.toml).
uses_report = pytest.mark.xdist_group("eval-report")


def test_judged_set_loads():
    queries = ev.load_queries()
    qrels = ev.load_qrels()
    assert len(queries) == 94 and {q.cls for q in queries} <= set(ev.CLASSES)
    assert len({q.id for q in queries}) == len(queries) and set(qrels) == {q.id for q in queries}
    for q in queries:
        grades = list(qrels[q.id].values())
        assert set(grades) <= {0, 1, 2} and max(grades) >= 1, q.id  # something relevant to find
        assert grades == sorted(grades, reverse=True), q.id  # listed 2, 1, 0 (README)


def test_judgements_name_shipped_records(shipped_index):
    records = {r.id for r, _key, _path in ev.indexed_records(shipped_index)}
    assert {rid for grades in ev.load_qrels().values() for rid in grades} <= records


@uses_report
def test_esfsearch_beats_baselines(report):
    assert report.records == 255
    overall = {s: report.aggregate(s, "all")["ndcg"] for s in report.systems}
    assert set(overall) == set(ev.SYSTEMS)
    for baseline in ev.BASELINES:
        assert overall[ev.ESFSEARCH] > overall[baseline] + 0.1, overall
    assert overall[ev.ESFSEARCH] >= NDCG_FLOOR, overall
    first = [
        q
        for q in report.queries
        if q.cls in ("inflected", "compound", "ascii", "multiword", "phrase", "filtered")
    ]
    assert len(first) == 58
    mean = sum(report.runs[ev.ESFSEARCH][q.id].ndcg for q in first) / len(first)
    assert mean >= NDCG_FLOOR_FIRST_58 - 0.0005, mean
    # the 12 queries added in the second round are n10-n21; the 78 before them keep their floor
    first_78 = [q for q in report.queries if not (q.id.startswith("n") and int(q.id[1:]) >= 10)]
    assert len(first_78) == 78
    mean_78 = sum(report.runs[ev.ESFSEARCH][q.id].ndcg for q in first_78) / len(first_78)
    assert mean_78 >= NDCG_FLOOR_FIRST_78, mean_78
    # the Swedish-specific classes are where the analyzer must win
    for cls in ("inflected", "compound", "ascii"):
        mine = report.aggregate(ev.ESFSEARCH, "all", cls)["ndcg"]
        assert all(mine > report.aggregate(b, "all", cls)["ndcg"] for b in ev.BASELINES), cls


@uses_report
def test_no_filter_violations(report):
    filtered = [q for q in report.queries if q.cls == "filtered"]
    assert len(filtered) == 12
    for system in report.systems:
        runs = [report.runs[system][q.id] for q in filtered]
        assert all(r.violations == 0 for r in runs), system
    assert all(report.runs[ev.ESFSEARCH][q.id].ranked for q in filtered)  # each finds something


@uses_report
def test_results_json_shape(report, tmp_path):
    data = json.loads(ev.write_results(report, tmp_path / "results.json").read_text(encoding="utf-8"))
    assert set(data["summary"]) == {"tune", "holdout", "all"}
    assert data["summary"]["all"][ev.ESFSEARCH]["overall"]["n"] == 94
    assert data["filter_violations"] == dict.fromkeys(ev.SYSTEMS, 0)
    assert len(data["per_query"][ev.ESFSEARCH]) == 94


def test_cli_eval(tmp_path, shipped_index):
    from esfsearch.cli import app

    index = shipped_index
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        app, ["eval", "--index", str(index), "--split", "holdout", "--no-baselines", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "esfsearch" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["queries"] == 29
    bad = CliRunner().invoke(app, ["eval", "--index", str(index), "--split", "nope", "--no-write"])
    assert bad.exit_code == 2
    missing = CliRunner().invoke(app, ["eval", "--queries", str(tmp_path / "none.json"), "--no-write"])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_baseline_writers_never_share_a_temp_folder():
    """Whoosh's RamStorage put every writer's temporary files in <tmp>/MAIN.tmp and removed the folder
    when one finished: a second process building a baseline at the same time lost its files (seen:
    FileNotFoundError '/tmp/MAIN.tmp/….ctmp' in a CI run beside another). Each writer has its own."""
    from esfsearch.evaluation import private_ram_storage

    first, second = (
        private_ram_storage().temp_storage("MAIN.tmp"),
        private_ram_storage().temp_storage("MAIN.tmp"),
    )
    try:
        assert first.folder != second.folder
        assert Path(first.folder).is_dir() and Path(second.folder).is_dir()
    finally:
        first.destroy()
        second.destroy()
    assert not Path(first.folder).exists()
