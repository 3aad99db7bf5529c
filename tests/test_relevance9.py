"""Issue 14, seventh round: where a judged query loses (`evaluation.query_losses`), on the shipped corpus
and the eval/ judgements. The ranking itself is unchanged this round (eval/README.md says what was tried)."""

from __future__ import annotations

import pytest

from esfsearch import evaluation as ev
from esfsearch.search import SearchEngine


@pytest.fixture(scope="module")
def engine(shipped_index):
    with SearchEngine(shipped_index) as eng:
        yield eng


def _query(text: str, cls: str = "compound", qid: str = "x1") -> ev.JudgedQuery:
    return ev.JudgedQuery(id=qid, text=text, cls=cls, split="tune")


def test_losses_of_judged_queries_are_consistent(engine):
    judged = [q for q in ev.load_queries() if q.id in {"q27", "q12", "s07"}]
    qrels = ev.load_qrels()
    losses = ev.query_losses(engine, judged, qrels)
    assert {loss.query.id for loss in losses} == {"q27", "q12", "s07"}
    gaps = [loss.direct_oracle - loss.ndcg for loss in losses]
    assert gaps == sorted(gaps, reverse=True)  # largest order gap first
    for loss in losses:
        grades = qrels[loss.query.id]
        # the same figure as the evaluation's own run of the query
        run = ev.run_query(ev.EsfsearchSystem(engine), loss.query, grades)
        assert loss.ndcg == pytest.approx(run.ndcg)
        assert loss.direct_oracle >= loss.ndcg - 1e-12
        assert all(p.rank is not None and p.rank <= ev.K and not p.grade for p in loss.intruders)
        for p in loss.missed:
            assert grades[p.id] > 0 and (p.rank is None or p.rank > ev.K)
        shown = {p.id for p in loss.missed}
        wanted_outside = {r for r, g in grades.items() if g > 0 and r not in run.ranked}
        assert shown == wanted_outside


def test_direct_oracle_sorts_only_the_direct_matches(engine):
    # judge the engine's own 12th direct match as the one relevant record: the oracle puts it first
    hits = engine.search("bredband", limit=12, snippets=False).hits
    assert len(hits) == 12 and not any(h.related for h in hits)
    wanted = hits[11].id
    (loss,) = ev.query_losses(engine, [_query("bredband")], {"x1": {wanted: 2, hits[0].id: 0}})
    assert loss.ndcg == 0.0 and loss.direct_oracle == pytest.approx(1.0)
    assert [(p.id, p.rank, p.grade) for p in loss.missed] == [(wanted, 12, 2)]
    assert [p.grade for p in loss.intruders] == [0] + [None] * 9


def test_related_tail_stays_where_it_is(engine):
    # 'elektrifiering' has two direct matches; the rest of its first page is related records, which the
    # oracle does not move above a direct match even when the judge prefers them
    result = engine.search("elektrifiering", limit=10, snippets=False)
    related = [h for h in result.hits if h.related]
    assert related and len(related) < len(result.hits)
    (loss,) = ev.query_losses(engine, [_query("elektrifiering")], {"x1": {related[0].id: 2}})
    assert loss.direct_oracle == pytest.approx(loss.ndcg)


def test_a_query_error_is_a_loss_not_a_crash(engine):
    (loss,) = ev.query_losses(engine, [_query("år:abc skog", cls="filtered")], {"x1": {"20200322": 2}})
    assert loss.ndcg == 0.0 and loss.intruders == []
    assert [(p.id, p.rank, p.score) for p in loss.missed] == [("20200322", None, None)]


def test_losses_from_the_module_command(shipped_index, capsys):
    assert ev.main(["--index", str(shipped_index), "--split", "tune", "--losses", "2"]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if not line.startswith(" ")]
    assert len(headings) == 2 and all("direct matches in grade order" in h for h in headings)
    assert ev.main(["--index", str(shipped_index), "--queries", "/nonexistent.json", "--losses", "1"]) == 2
    assert "does not exist" in capsys.readouterr().err
