"""One project, one record (issue 18): the same project in project-bank, EBS2020 and JSON form is one
indexed project whose fields come from the documented best source (esfsearch/merge.py), with every
file in `sources`; incremental updates re-derive it from the files that remain."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from esfsearch.index import build_index, current_generation, read_meta
from esfsearch.ingest import parse_document
from esfsearch.merge import Part, merge, project_key
from esfsearch.querylang import QueryError
from esfsearch.search import SearchEngine

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "corpus" / "seeds" / "000_811b2af4f791d75a.txt"  # 2020/00639 Stärkt utvecklingskraft

EBS_PAGE = """\
Logotyp på utskrifter

Stäng

Stärkt utvecklingskraft i Hässleholm

ProgramområdeProgramområde 1 Kompetensförsörjning
ProjektfasGenomförande
ProjektägareHässleholms kommun
Diarienummer2020/00639
Beviljat ESF-stöd450 000 kr
Total projektbudget400 000 kr
Projektperiod2021-02-01 till 2021-07-31
RegionSydsverige
In English

Sammanfattning

Förstudien ska kartlägga vilka kompetensförsörjningsbehov industri- och tjänsteföretag har med 0-5 anställda.

Bakgrund

Hässleholms näringsliv består till stor del av mikroföretag som saknar egen personalavdelning.
"""

JSON_RECORDS = [
    {
        "_source": "projektbanken",
        "ärende-id": "2020/00639",
        "projektnamn": "Stärkt utvecklingskraft (projektbanken)",
        "stödmottagare": "Hässleholms kommun",
        "beviljat_belopp_sek": 400000,
        "län": ["Skåne"],
        "kommuner": ["Hässleholm"],
        "projektbeskrivning": "Uppsökande verksamhet hos små företag i Hässleholm om deras kompetensbehov.",
    },
    {"projektnamn": "Ett projekt utan id", "projektbeskrivning": "Ingen diarienummer här."},
]


def write_corpus(root: Path) -> dict[str, Path]:
    files = {
        "bank": root / "projektbanken" / "2020-00639.txt",
        "ebs": root / "ebs2020" / "2020-00639.txt",
        "json": root / "export" / "projects.json",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEED, files["bank"])
    files["ebs"].write_text(EBS_PAGE, encoding="utf-8")
    files["json"].write_text(json.dumps(JSON_RECORDS, ensure_ascii=False), encoding="utf-8")
    return files


def project(ix: Path, record_id: str = "2020/00639"):
    with SearchEngine(ix) as engine:
        return [h.record for h in engine.get(record_id)]


@pytest.fixture
def corpus(tmp_path: Path):
    root = tmp_path / "corpus"
    return root, write_corpus(root), tmp_path / "ix"


def test_three_sources_one_record_with_origins(corpus):
    root, files, ix = corpus
    summary = build_index([root], ix)
    assert summary.records == 2  # the project, and the JSON record without an id
    [record] = project(ix)
    real = {k: str(p.resolve()) for k, p in files.items()}
    assert sorted(record.sources) == sorted(real.values())
    assert record.sources[0] == real["bank"]  # project bank ranks before JSON and EBS2020
    # each field from the best source that states it (merge order in esfsearch/merge.py)
    assert (record.title, record.origins["title"]) == ("Stärkt utvecklingskraft", real["bank"])
    assert (record.eu_support, record.origins["eu_support"]) == (400_000, real["bank"])
    assert (record.county, record.origins["county"]) == (["Skåne"], real["json"])
    assert (record.municipalities, record.origins["municipalities"]) == (["Hässleholm"], real["json"])
    assert (record.phase, record.origins["phase"]) == ("genomförande", real["ebs"])
    assert (record.fund, record.origins["fund"]) == ("ESF", real["bank"])
    # every source's text is kept, once
    text = record.full_text
    assert (
        "kompetensförsörjningsbehov" in text
        and "mikroföretag" in text
        and "Uppsökande verksamhet hos små" in text
    )
    assert text.count("Hässleholms näringsliv består") == 1
    # the two granted amounts conflict: reported at index time and kept in the record
    conflict = [c for c in summary.conflicts if c["field"] == "eu_support"]
    assert conflict and conflict[0]["id"] == "2020/00639"
    assert [v["value"] for v in conflict[0]["values"]] == [400000, 450000]
    assert any(c["field"] == "eu_support" for c in record.conflicts)
    assert not any(c["field"] == "total_budget" for c in summary.conflicts)  # 400 000 everywhere
    assert read_meta(current_generation(ix))["conflicts"] == summary.conflicts


def test_search_finds_the_project_once(corpus):
    root, _files, ix = corpus
    build_index([root], ix)
    with SearchEngine(ix) as engine:
        hits = engine.search("kompetensförsörjningsbehov mikroföretag", limit=10).hits
        assert [h.id for h in hits].count("2020/00639") == 1
        assert engine.search("id:2020/00639").total == 1


def test_removing_sources_rederives_then_removes(corpus):
    root, files, ix = corpus
    build_index([root], ix)
    files["bank"].unlink()
    summary = build_index([root], ix)
    assert not summary.rebuilt and summary.files_removed == 1
    assert summary.updated == 1 and summary.removed == 0 and summary.records == 2
    [record] = project(ix)
    assert len(record.sources) == 2
    assert record.title == "Stärkt utvecklingskraft (projektbanken)"  # now the JSON record's
    assert record.eu_support == 400_000 and record.origins["eu_support"] == str(files["json"].resolve())
    assert any(c["field"] == "eu_support" for c in summary.conflicts)  # JSON 400 000, EBS 450 000

    files["json"].unlink()
    summary = build_index([root], ix)
    [record] = project(ix)
    assert record.sources == [str(files["ebs"].resolve())] and record.eu_support == 450_000
    assert summary.records == 1 and summary.conflicts == []  # the id-less JSON record went with its file

    files["ebs"].unlink()
    summary = build_index([root], ix)
    assert summary.records == 0 and summary.removed == 1
    assert project(ix) == []


def test_changed_and_added_sources_update_the_merged_record(corpus):
    root, files, ix = corpus
    files["ebs"].unlink()
    build_index([root], ix)
    assert len(project(ix)[0].sources) == 2
    files["ebs"].write_text(EBS_PAGE, encoding="utf-8")  # a third source arrives
    summary = build_index([root], ix)
    assert (summary.added, summary.updated) == (0, 1) and summary.new_keys == ["id:2020/00639"]
    assert len(project(ix)[0].sources) == 3
    files["ebs"].write_text(EBS_PAGE.replace("450 000", "400 000"), encoding="utf-8")
    os.utime(files["ebs"], ns=(1, 1))  # an older file: still merged
    summary = build_index([root], ix)
    assert not [c for c in summary.conflicts if c["field"] == "eu_support"]
    assert build_index([root], ix, rebuild=True).records == 2


def test_incremental_equals_full_build(corpus):
    root, files, ix = corpus
    files["json"].unlink()
    build_index([root], ix)
    files["json"].write_text(json.dumps(JSON_RECORDS, ensure_ascii=False), encoding="utf-8")
    build_index([root], ix)
    incremental = project(ix)[0]
    build_index([root], ix, rebuild=True)
    full = project(ix)[0]
    assert incremental.to_dict() == full.to_dict()


def test_records_without_an_id_never_merge():
    a = parse_document("# Regeringsuppdrag\n\nUppdrag till ESF-rådet.", rel_path="a/uppdrag.md").records[0]
    b = parse_document("# Regeringsuppdrag\n\nUppdrag till ESF-rådet.", rel_path="b/uppdrag.md").records[0]
    assert project_key(a) is None and project_key(b) is None
    assert a.fund is None  # "ESF-rådet" in the prose is not a fund
    assert a.short_id == "uppdrag" and a.id == "a/uppdrag"


def test_merge_prefers_stated_over_derived_and_newer_over_older():
    text = SEED.read_text(encoding="utf-8")
    old = parse_document(text, rel_path="old.txt").records[0]
    new = parse_document(text.replace("Sofia Stridsberg", "Per Persson"), rel_path="new.txt").records[0]
    assert "programme_period" in old.derived  # worked out from the dates
    merged, conflicts = merge([Part("old", 0, 1, old), Part("new", 0, 2, new)])
    assert merged.contact_name == "Per Persson" and conflicts == []
    stated = parse_document(
        text.replace("Region:\n", "Programperiod:\n2007-2013\nRegion:\n"), rel_path="stated.txt"
    ).records[0]
    merged, _ = merge([Part("old", 0, 9, old), Part("stated", 0, 1, stated)])
    assert merged.programme_period == "2007-2013" and merged.origins["programme_period"] == "stated.txt"


def test_programme_area_one_label_per_area(tmp_path):
    from esfsearch.values import programme_area_label

    for value in (
        "2",
        "Programområde 2",
        "Programområde 2 Ökade övergångar till arbete",
        "2 Ökat arbetskraftsutbud",
    ):
        assert programme_area_label(value) == "Programområde 2"
    assert programme_area_label("D") == "Programområde D"
    assert programme_area_label("Ökat arbetskraftsutbud") == "Ökat arbetskraftsutbud"
    root = tmp_path / "corpus"
    root.mkdir()
    text = SEED.read_text(encoding="utf-8")
    for n, area in enumerate(("2", "Programområde 2", "Programområde 2 Ökade övergångar till arbete")):
        (root / f"{n}.txt").write_text(
            text.replace("2020/00639", f"2020/0{n}").replace(
                "Programområde:\n1\n", f"Programområde:\n{area}\n"
            ),
            encoding="utf-8",
        )
    build_index([root], tmp_path / "ix")
    with SearchEngine(tmp_path / "ix") as engine:
        result = engine.search("", facets=("area",))
        assert result.facets["area"] == [("Programområde 2", 3)]
        assert engine.search('programområde:"2"').total == 3


def test_markdown_mentioning_esf_has_no_fund(tmp_path):
    root = tmp_path / "corpus"
    (root / "regeringen").mkdir(parents=True)
    (root / "regeringen" / "uppdrag-till-esf-radet-2019.md").write_text(
        "# Uppdrag till Rådet för Europeiska socialfonden i Sverige\n\n"
        "Regeringen uppdrar åt ESF-rådet att redovisa hur Socialfonden bidrar till kompetensförsörjning.\n",
        encoding="utf-8",
    )
    build_index([root], tmp_path / "ix")
    with SearchEngine(tmp_path / "ix") as engine:
        [hit] = engine.search("socialfonden").hits
        assert hit.record.fund is None and hit.record.programme_period is None
        # no project has fund ESF: the fund facet is empty, and asking for it is the "unknown value"
        # error (the CLI's exit 1), not an empty answer
        assert engine.search("", facets=("fund",)).facets["fund"] == []
        with pytest.raises(QueryError) as exc:
            engine.search("fond:esf")
        assert (exc.value.kind, exc.value.field, exc.value.value) == ("unknown_value", "fund", "esf")
        assert hit.record.short_id == "uppdrag-till-esf-radet-2019"
        assert hit.record.id == "regeringen/uppdrag-till-esf-radet-2019"


def test_show_finds_a_path_id_by_its_short_id(tmp_path):
    root = tmp_path / "corpus" / "regeringen"
    root.mkdir(parents=True)
    (root / "uppdrag-2019.md").write_text("# Uppdrag\n\nText om kompetens.\n", encoding="utf-8")
    build_index([root.parent], tmp_path / "ix")
    with SearchEngine(tmp_path / "ix") as engine:
        [hit] = engine.get("uppdrag-2019")
        assert hit.id == "regeringen/uppdrag-2019"
        assert engine.get("regeringen/uppdrag-2019")[0].key == hit.key
        assert engine.get("2019") == []
