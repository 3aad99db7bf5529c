"""The query expansion's cold cost (issue 15): the mined associations are looked up by bisection in the
shipped file, not parsed whole, and a feedback record's term counts come from the analyzer's grouping by
word. Both must give exactly what the plain reading gave: a full parse of the file, the token stream."""

from __future__ import annotations

import gzip
import json

import pytest

from esfsearch import expansion
from esfsearch.analysis import analyze, fold, has_accents
from esfsearch.records import ProjectRecord
from esfsearch.search import SearchEngine


def _parsed_whole() -> dict[str, list[tuple[str, float]]]:
    """The table as every line of the file says it (the former loader)."""
    table = {}
    with gzip.open(expansion.ASSOCIATIONS_FILE, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "\t" not in line:
                continue
            head, rest = line.rstrip("\n").split("\t", 1)
            table[head] = [(t, float(v)) for t, v in (item.rsplit(":", 1) for item in rest.split())]
    return table


def test_the_shipped_lines_are_sorted_by_head_for_the_bisection():
    lines = gzip.decompress(expansion.ASSOCIATIONS_FILE.read_bytes()).split(b"\n")
    heads = [line.split(b"\t", 1)[0] for line in lines if line and not line.startswith(b"#")]
    assert all(b"\t" in line for line in lines if line and not line.startswith(b"#"))
    assert heads == sorted(set(heads))


def test_every_lookup_answers_as_the_whole_file_does():
    whole = _parsed_whole()
    table = expansion.Associations(gzip.decompress(expansion.ASSOCIATIONS_FILE.read_bytes()))
    assert len(whole) > 3000
    for head, associated in whole.items():
        assert head in table
        assert table.get(head) == associated
    near = {w for h in whole for w in (h[:-1], h + "a", h + "\t", "a" + h)} - whole.keys()
    for word in sorted(near) + ["", "#", "zzzz", "ööö", "\n"]:
        assert word not in table
        assert table.get(word, "none") == "none"


def test_a_lookup_parses_only_the_stems_asked_for():
    table = expansion.Associations(gzip.decompress(expansion.ASSOCIATIONS_FILE.read_bytes()))
    assert table.get("kompetens")
    assert list(table._parsed) == ["kompetens"]


def test_the_folded_heads_are_those_of_every_accented_head():
    expected: dict[str, list[str]] = {}
    for head in _parsed_whole():
        if has_accents(head):
            expected.setdefault(fold(head), []).append(head)
    assert expansion._folded_heads() == expected
    assert "jämställd" in expansion.accented_stems({"jamstalld"})


@pytest.mark.parametrize(
    "data",
    [b"", b"# only a header\n", b"# h\nb\tc:1.0\n", b"a\tx:1.5\nb\ty:2.0 z:0.5\nc\tw:1.0"],
)
def test_small_and_edge_tables(data):
    table = expansion.Associations(data)
    assert "a" not in table or table.get("a") == [("x", 1.5)]
    assert table.get("b") in (None, [("c", 1.0)], [("y", 2.0), ("z", 0.5)])
    assert table.get("c") in (None, [("w", 1.0)])
    assert "h" not in table and "#" not in table


def test_feedback_term_counts_are_the_token_streams_in_its_order(shipped_index):
    """Every record of the shipped corpus: the same stems, counts and first-occurrence order (feedback
    breaks ties among equally strong candidates by that order)."""
    engine = SearchEngine(shipped_index)
    searcher = engine._searcher
    checked = 0
    for docnum in range(searcher.doc_count_all()):
        record = ProjectRecord.from_dict(json.loads(searcher.stored_fields(docnum)["record"]))
        text = f"{record.title}\n{record.full_text}"
        streamed: dict[str, int] = {}
        for term in analyze(text, "exact"):
            streamed[term] = streamed.get(term, 0) + 1
        assert list(expansion.term_counts(text).items()) == list(streamed.items())
        checked += 1
    assert checked > 250
