"""Issue 14: all concepts first, unseen compounds, feedback expansion, similar projects (shipped corpus)."""

from __future__ import annotations

import pytest

from esfsearch.search import SearchEngine


@pytest.fixture(scope="module")
def engine(shipped_index):
    with SearchEngine(shipped_index) as eng:
        yield eng


def _words_in(hit, *stems):
    text = f"{hit.record.title} {hit.record.full_text}".lower()
    return [s for s in stems if s in text]


def test_all_concepts_first(engine):
    hits = engine.search("nyanlända kvinnor", limit=30, snippets=False).hits
    both = [i for i, h in enumerate(hits) if len(_words_in(h, "nyanländ", "kvinn")) == 2]
    one = [i for i, h in enumerate(hits) if len(_words_in(h, "nyanländ", "kvinn")) == 1]
    assert both and one, "the corpus has records with both words and with one"
    assert max(both) < min(one)


def test_unseen_compound_split_with_lexicon(engine):
    result = engine.search("ungdomsarbetslöshet", limit=10, snippets=False)
    assert result.total > 0
    splits = result.info.compound_splits
    assert splits and splits[0].source == "lexicon" and splits[0].parts == ("ungdom", "arbetslös")
    ids = [h.id for h in result.hits]
    assert "seeds/003_052bf66439122f87" in ids[:5]  # ESF pre-study: young unemployed as a target group


def test_unseen_compound_with_unseen_modifier_searches_its_head(engine):
    # no text has 'vinter' (nor 'vinterturism'): the compound is a kind of its head, searched as 'turism'
    result = engine.search("vinterturism", limit=10, snippets=False)
    splits = result.info.compound_splits
    assert splits and splits[0].source == "lexicon" and splits[0].parts == ("turism",)
    assert result.total > 0
    assert all(
        "turis" in f"{h.record.title} {h.record.full_text}".lower() for h in result.hits[: result.total]
    )
    from esfsearch.presentation import understood_line
    from esfsearch.understood import understood

    assert "(or turism)" in understood_line(understood(result.info))


def test_expansion_is_explained_and_below_direct_matches(engine):
    result = engine.search("integration", limit=50, snippets=False)
    assert result.info.expansions, "feedback terms are recorded with their weights"
    assert all(w > 0 for _t, w in result.info.expansions)
    import re

    direct = [
        h
        for h in result.hits
        if re.search(r"\bintegration", f"{h.record.title} {h.record.full_text}".lower())
    ]
    expanded_only = [h for h in result.hits if h not in direct]
    assert direct and expanded_only
    if True:
        assert min(h.score for h in direct) > max(h.score for h in expanded_only)


def test_similar_never_lists_itself_and_prefers_same_topic(engine):
    result = engine.similar("2019/00038", limit=5)
    ids = [h.id for h in result.hits]
    assert "2019/00038" not in ids
    top = result.hits[0].record
    assert top.fund == "ESF" or "arbets" in top.full_text.lower()
    fibre = engine.similar("20200500", limit=3)
    assert all(
        "fiber" in f"{h.record.title} {h.record.full_text}".lower()
        or "bredband" in h.record.full_text.lower()
        for h in fibre.hits
    )


@pytest.mark.parametrize(
    "text",
    ["län:Skåne energi", "nyanlända kvinnor", "hallbar stadsutveckling", "fond:esf kompetensförsörjning"],
)
def test_top_k_equals_the_head_of_the_full_ranking(engine, text):
    """Concept steps, feedback terms and a filter together: Whoosh's array union once dropped hits from
    the top k (the union-tree matcher is used instead)."""
    top = [h.id for h in engine.search(text, limit=10, snippets=False).hits]
    full = [h.id for h in engine.search(text, limit=300, snippets=False).hits][:10]
    assert top == full


def test_similar_top_k_equals_the_head_of_the_full_list(engine):
    for record_id in ("20200043", "20200873", "2019/00038"):
        top = [h.id for h in engine.similar(record_id, limit=10).hits]
        assert top == [h.id for h in engine.similar(record_id, limit=100).hits][:10]


@pytest.mark.parametrize("exec_mode", ["fast", "whoosh"])
def test_expansion_adds_no_hits_to_the_direct_matches(engine, exec_mode):
    """search._expansion: total, facets, count() and iter_hits are the direct matches; records that only
    an expansion term finds are listed, marked related, only to complete a first page that the direct
    matches leave short; a query with no direct match is not expanded."""
    from esfsearch import expansion

    with SearchEngine(engine.index_dir, exec_mode=exec_mode) as eng:
        many = eng.search("kompetensförsörjning", limit=100, facets=True, snippets=False)
        assert many.info.expansions and many.related == 0 and not any(h.related for h in many.hits)
        assert 5 <= many.total == len(many.hits) == eng.count("kompetensförsörjning") < 50
        assert len(list(eng.iter_hits("kompetensförsörjning"))) == many.total
        assert sum(c for _v, c in many.facets["fund"]) == many.total
        few = eng.search("turism", limit=20, snippets=False)
        assert 0 < few.total < expansion.FEEDBACK["fill_below"]
        assert [h.related for h in few.hits] == [False] * few.total + [True] * few.related
        assert few.total + few.related == expansion.FEEDBACK["fill_below"]
        assert min(h.score for h in few.hits[: few.total]) > max(h.score for h in few.hits[few.total :])
        none = eng.search("zzqq red", snippets=False)
        assert none.total == 0 and not none.hits and not none.info.expansions
