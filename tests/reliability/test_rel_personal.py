"""Contact data is stored for display, never searchable by free text, and can be hidden."""

from __future__ import annotations

import json

from relhelp import SEED_DIR
from typer.testing import CliRunner

from esfsearch.analysis import fold
from esfsearch.cli import app
from esfsearch.search import SearchEngine

CONTACT = ("Sofia Stridsberg", "sofia.a.stridsberg@hassleholm.se")


def test_free_text_does_not_find_contacts(full_index):
    with SearchEngine(full_index) as engine:
        assert engine.search("stridsberg").total == 0
        assert engine.search('"sofia.a.stridsberg@hassleholm.se"').total == 0
        assert engine.search('"Sofia Stridsberg"').total == 0
        hits = engine.search("kontakt:stridsberg").hits
        assert [h.id for h in hits] == ["2020/00639"]
        assert hits[0].record.contact_name == CONTACT[0] and hits[0].record.contact_email == CONTACT[1]
        assert engine.search('kontakt:"sofia.a.stridsberg@hassleholm.se"').total == 1


def test_contact_fields_never_reach_text_fields(full_index):
    """A word of a record's contact data that its own text lacks never finds that record by free text."""
    checked = 0
    with SearchEngine(full_index) as engine:
        for hit in engine.iter_hits("", snippets=False):
            r = hit.record
            text = fold(f"{r.title}\n{r.full_text}".lower())
            for value in (r.contact_name, r.contact_email, r.contact_phone):
                if not value:
                    continue
                assert value not in r.full_text and value not in r.title, (r.id, value)
                for word in value.replace("@", " ").replace(".", " ").replace("-", " ").split():
                    if len(word) > 4 and fold(word.lower()) not in text:
                        found = engine.search(word, limit=1000, snippets=False).hits
                        # related records (listed after a short page, found by an expansion term in their
                        # own text: 'hassleholm' -> the associations of 'hässleholm') are no match of the
                        # word; the word itself must not match the record
                        keys = {h.key for h in found if not h.related}
                        assert hit.key not in keys, (r.id, word)
                        checked += 1
    assert checked >= 5


def test_no_contacts_options(full_index):
    runner = CliRunner()
    res = runner.invoke(app, ["parse", str(SEED_DIR), "--no-contacts"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert len(data) == 5 and not any(k.startswith("contact_") for r in data for k in r)
    assert "stridsberg" not in res.stdout.lower()
    res = runner.invoke(app, ["parse", str(SEED_DIR)])
    assert "Sofia Stridsberg" in res.stdout
    res = runner.invoke(app, ["show", "2020/00639", "--no-contacts", "--index", str(full_index)])
    assert res.exit_code == 0 and "Stridsberg" not in res.stdout and "Stärkt utvecklingskraft" in res.stdout
    res = runner.invoke(app, ["show", "2020/00639", "--no-contacts", "--json", "--index", str(full_index)])
    assert res.exit_code == 0 and "contact_name" not in json.loads(res.stdout)
    res = runner.invoke(app, ["show", "2020/00639", "--index", str(full_index)])
    assert "Stridsberg" in res.stdout
    res = runner.invoke(
        app, ["query", "kontakt:stridsberg", "--all", "--json", "--no-contacts", "--index", str(full_index)]
    )
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    # the query is echoed (issue 13): that is the user's own text, never record data ...
    assert data["query"]["typed"] == "kontakt:stridsberg"
    assert [(f["typed"], f["value"]) for f in data["query"]["filters"]] == [("stridsberg", "stridsberg")]
    assert "sofia" not in json.dumps(data["query"]).lower()
    # ... and the records found carry no contact data
    assert [h["id"] for h in data["hits"]] == ["2020/00639"]
    assert not any(k.startswith("contact_") for h in data["hits"] for k in h)
    assert "stridsberg" not in json.dumps(data["hits"], ensure_ascii=False).lower()
    # a contact value no record has: the did-you-mean would be a record's contact data
    for typed, leaked in (
        ("kontakt:stridsbrg", "stridsberg"),
        ("kontakt:sofia.a.stridsberg@hassleholm", "hassleholm.se"),
    ):
        res = runner.invoke(app, ["query", typed, "--json", "--index", str(full_index)])
        assert res.exit_code == 1 and leaked in res.stderr  # with contacts: suggested
        res = runner.invoke(app, ["query", typed, "--json", "--no-contacts", "--index", str(full_index)])
        assert res.exit_code == 1 and "no project has contact" in res.stderr
        assert leaked not in res.output and "did you mean" not in res.stderr
