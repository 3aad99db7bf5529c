"""Ingest on the real seed texts and JSON records: exact field values, and bad input never crashes."""

from __future__ import annotations

import codecs
import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from esfsearch.ingest import ingest, parse_document, read_file
from esfsearch.values import parse_amount, parse_period

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = CORPUS / "seeds"
PROJECTS = CORPUS / "projektbanken-eruf-2014-2020" / "projects.json"


def seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    result = read_file(path, CORPUS)
    assert result.problem is None, result.problem
    assert len(result.records) == 1
    return result.records[0]


SEED_EXPECTATIONS = {
    "000": {
        "id": "2020/00639",
        "title": "Stärkt utvecklingskraft",
        "layout": "projectbank",
        "owner": "Hässleholms kommun, Tillväxtavdelningen",
        "region": "Sydsverige",
        "fund": "ESF",
        "programme_period": "2014-2020",
        "programme_area": "1",
        "specific_objective": "1.1",
        "intervention_type": "117",
        "start_date": date(2021, 2, 1),
        "end_date": date(2021, 7, 31),
        "total_budget": 400_000,
        "eu_support": 400_000,
        "cofinancing_rate": 50.0,
        "planned_participants": 0,
        "contact_name": "Sofia Stridsberg",
        "contact_email": "sofia.a.stridsberg@hassleholm.se",
        "municipalities": [],
    },
    "001": {
        "id": "seeds/001_917b5ae7106fe230",
        "title": "Socialfonden som verktyg för Sörmlandsstrategins förverkligande",
        "layout": "ebs2020",
        "owner": "Regionförbundet Sörmland",
        "region": "Östra Mellansverige",
        "fund": "ESF",
        "programme_period": "2007-2013",
        "programme_area": "2 Ökat arbetskraftsutbud",
        "phase": "genomförande",
        "start_date": date(2014, 1, 2),
        "end_date": date(2014, 12, 31),
        "total_budget": 2_761_412,
        "eu_support": 2_761_412,
        "contact_name": "Catharina Frändberg",
        "contact_email": "catharina.frandberg@region.sormland.se",
        "contact_phone": "0155-778 99",
        "municipalities": [
            "Eskilstuna",
            "Flen",
            "Gnesta",
            "Katrineholm",
            "Nyköping",
            "Oxelösund",
            "Strängnäs",
            "Trosa",
            "Vingåker",
        ],
    },
    "002": {
        "id": "22-026-S02",
        "title": "förstudie modell för samverkan kring individer",
        "layout": "esfplus",
        "owner": "HÄRNÖSANDS KOMMUN",
        "owner_org_number": "2120002403",
        "region": "Mellersta Norrland",
        "fund": "ESF+",
        "programme_period": "2021-2027",
        "programme_area": "D",
        "specific_objective": "D1",
        "intervention_type": "175",
        "nuts2": "SE32",
        "cci": "2021SE05SFPR",
        "phase": "förstudie",
        "start_date": date(2023, 2, 6),
        "end_date": date(2023, 11, 6),
        "cofinancing_rate": 40.0,
        "total_budget": None,
        "eu_support": None,
    },
    "003": {
        # a slide deck states no fund: "ESF" in its words does not make it one (issue 18)
        "id": "seeds/003_052bf66439122f87",
        "title": "Förstudie ESF Västmanland",
        "layout": "text",
        "fund": None,
        "phase": "förstudie",
        "owner": None,
        "start_date": None,
    },
    "004": {
        "id": "2019/00038",
        "title": "Sänk Trösklarna",
        "layout": "projectbank",
        "owner": "Borlänge kommun",
        "region": "Norra Mellansverige",
        "fund": "ESF",
        "programme_period": "2014-2020",
        "programme_area": "2",
        "specific_objective": "2.1",
        "intervention_type": "102",
        "start_date": date(2019, 5, 1),
        "end_date": date(2021, 12, 31),
        "total_budget": 11_256_577,
        "eu_support": 5_269_204,
        "cofinancing_rate": 50.0,
        "planned_participants": 70,
        "contact_name": "Antonis Kassitas",
        "contact_email": "antonis.kassitas@borlange.se",
    },
}


@pytest.mark.parametrize(
    "prefix,field,expected", [(p, f, v) for p, fields in SEED_EXPECTATIONS.items() for f, v in fields.items()]
)
def test_seed_fields(prefix, field, expected):
    assert getattr(seed(prefix), field) == expected


def test_projectbank_summary_is_the_text_after_the_fields():
    record = seed("000")
    assert record.summary.startswith("Förstudien ska kartlägga vilka kompetensförsörjningsbehov")
    assert "Diarienummer" not in record.summary
    assert record.summary.rstrip().endswith("ska se ut i ett kommande genomförandeprojekt.")


def test_ebs_sections_and_no_page_furniture():
    record = seed("001")
    headings = [s.heading for s in record.sections]
    assert headings[:3] == ["Sammanfattning", "Bakgrund", "Målsättning"]
    assert "Transnationellt samarbete" in headings
    assert record.summary.startswith("Syftet med förstudien är att mobilisera regionala nyckelaktörer")
    text = record.full_text
    for furniture in ("Logotyp på utskrifter", "Stäng", "driftstopp", "In English", "Eskilstuna\n"):
        assert furniture not in text
    background = next(s for s in record.sections if s.heading == "Bakgrund")
    assert background.text.startswith("Regionförbundet Sörmland har en nyligen antagen RUP")
    # The summary is not repeated in the full text.
    assert text.count("Syftet med förstudien är att mobilisera") == 1


def test_slide_deck_chrome_dropped():
    record = seed("003")
    assert record.summary.startswith("Hur använder vi Socialfondens resurser")
    for chrome in (
        "Ladda ner presentationen",
        "Presentation laddar",
        "SlidePlayer",
        "All rights reserved",
        "Liknande presentationer",
    ):
        assert chrome not in record.summary
    assert "Ökad samverkan mellan strukturfonderna" in record.summary


def test_esfplus_summary():
    record = seed("002")
    assert record.summary.startswith("Det saknas en struktur och organisation")
    assert "Program CCI" not in record.summary


JSON_EXPECTATIONS = [
    (
        "20200040",
        {
            "title": "Business Värmland",
            "owner": "Stift Compare Karlstad Competence Area",
            "region": "Norra Mellansverige",
            "county": ["Värmland"],
            "eu_support": 6_000_000,
            "fund": "ERUF",
            "programme_period": "2014-2020",
            "start_date": date(2015, 1, 1),
            "end_date": date(2017, 12, 31),
            "priority_axis": "Att öka små och medelstora företags konkurrenskraft",
            "total_budget": None,
        },
    ),
    (
        "20200285",
        {
            "title": "Inova 2020:1",
            "owner": "Stift Inova i Wermland",
            "eu_support": 8_250_000,
            "start_date": date(2014, 1, 1),
            "end_date": date(2017, 4, 30),
            "region": "Norra Mellansverige",
        },
    ),
    (
        "20201127",
        {
            "title": "Metodik för ökad konkurrenskraft, tillväxt och sysselsättning i SME (Del 2)",
            "owner": "Stockholm Business Region Development AB",
            "county": ["Stockholm"],
            "region": "Stockholm",
            "priority_axis": "Huvudstadsregionens särskilda utmaningar",
            "eu_support": 4_017_269,
        },
    ),
    (
        "20200490",
        {
            "title": "Klimatsynk",
            "owner": "Statens Energimyndighet",
            "region": "Nationellt regionalfondsprogram",
            "eu_support": 13_000_000,
        },
    ),
]


@pytest.fixture(scope="module")
def json_records():
    result = read_file(PROJECTS, CORPUS)
    assert result.problem is None and not result.record_problems
    return {r.id: r for r in result.records}


def test_json_reads_all_250(json_records):
    assert len(json_records) == 250
    assert all(r.layout == "json" and r.fund == "ERUF" for r in json_records.values())


@pytest.mark.parametrize("record_id,fields", JSON_EXPECTATIONS)
def test_json_fields(json_records, record_id, fields):
    record = json_records[record_id]
    for name, value in fields.items():
        assert getattr(record, name) == value, name


def test_json_municipalities_list(json_records):
    record = json_records["20200040"]
    assert record.municipalities[:3] == ["Arvika", "Eda", "Filipstad"]
    assert record.municipalities[-1] == "Årjäng"
    assert len(record.municipalities) == 16
    assert len(json_records["20200490"].municipalities) == 290


def test_zero_eur_is_not_an_amount(json_records):
    record = json_records["20200040"]
    assert record.total_budget is None  # the source's 0 EUR means "not given"


def test_whole_corpus_reads_without_problems():
    report = ingest([CORPUS])
    assert len(report.records) == 255
    assert report.problems == []
    assert [p for p, _ in report.ignored] == [str(CORPUS / "README.md")]
    ids = [r.id for r in report.records]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("11 256 577", 11_256_577),
        ("2 761 412 kr", 2_761_412),
        ("2\u00a0761\u00a0412 kr", 2_761_412),
        ("400 000", 400_000),
        ("0", 0),
        ("", None),
        ("okänt", None),
        (6000000, 6_000_000),
        ("1 500,50 kr", 1500),
    ],
)
def test_amounts(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2019-05-01 - 2021-12-31", (date(2019, 5, 1), date(2021, 12, 31))),
        ("2014-01-02 till 2014-12-31", (date(2014, 1, 2), date(2014, 12, 31))),
        ("2014-02-30 - 2014-12-31", (None, date(2014, 12, 31))),
        ("", (None, None)),
    ],
)
def test_periods(text, expected):
    assert parse_period(text) == expected


# ---------------------------------------------------------------- encodings and bad input

SEED_000 = (SEEDS / "000_811b2af4f791d75a.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name,data",
    [
        ("utf8", SEED_000.encode("utf-8")),
        ("utf8-bom", codecs.BOM_UTF8 + SEED_000.encode("utf-8")),
        ("utf16", SEED_000.encode("utf-16")),
        ("cp1252", SEED_000.encode("cp1252")),
        ("crlf", SEED_000.replace("\n", "\r\n").encode("utf-8")),
        ("nfd", unicodedata.normalize("NFD", SEED_000).encode("utf-8")),
    ],
)
def test_encodings_read_the_same(tmp_path, name, data):
    path = tmp_path / f"{name}.txt"
    path.write_bytes(data)
    result = read_file(path, tmp_path)
    assert result.problem is None
    record = result.records[0]
    assert record.title == "Stärkt utvecklingskraft"
    assert record.owner == "Hässleholms kommun, Tillväxtavdelningen"
    assert unicodedata.is_normalized("NFC", record.summary)
    assert "kompetensförsörjningsbehov" in record.summary


BAD_INPUTS = [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\t\n", "empty"),
    ("binary.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    ("broken.json", b'[{"projektnamn": "A", }, {"projektnamn": "B"}]', "invalid JSON"),
    ("cut.json", b'[{"projektnamn": "A", ', "no readable records"),  # cut off: reported as such
    ("numbers.json", b"[1, 2, 3]", "no readable records"),
    ("only-furniture.txt", b"Ladda ner presentationen\n1\n2\n", "no text left"),
]


@pytest.mark.parametrize("name,data,reason", BAD_INPUTS)
def test_bad_files_are_reported_not_raised(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    result = read_file(path, tmp_path)
    assert result.records == []
    assert result.problem and reason in result.problem


def test_broken_json_record_is_reported_and_the_rest_read(tmp_path):
    records = [
        {"ärende-id": "1", "projektnamn": "Bra", "projektbeskrivning": "Text om företag."},
        "not a record",
        {"ärende-id": "3"},
        {"ärende-id": "4", "projektnamn": "Också bra", "beviljat_belopp_sek": 1000},
    ]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = read_file(path, tmp_path)
    assert [r.id for r in result.records] == ["1", "4"]
    assert len(result.record_problems) == 2
    assert "record 2" in result.record_problems[0].where


def test_json_lines(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(
        '{"ärende-id": "a", "projektnamn": "Ett"}\n{"broken\n{"ärende-id": "b", "projektnamn": "Två"}\n',
        encoding="utf-8",
    )
    result = read_file(path, tmp_path)
    assert [r.title for r in result.records] == ["Ett", "Två"]
    assert len(result.record_problems) == 1


def test_markdown_layout():
    result = parse_document(
        "# Uppdrag om kompetensförsörjning\n\nRegeringen uppdrar åt Tillväxtverket.\n\n"
        "## Bakgrund\n\nText om bakgrunden.\n",
        rel_path="uppdrag/a.md",
    )
    record = result.records[0]
    assert record.layout == "markdown"
    assert record.title == "Uppdrag om kompetensförsörjning"
    assert record.id == "uppdrag/a"
    assert "Regeringen uppdrar" in record.summary
    assert [s.heading for s in record.sections][-1] == "Bakgrund"


def test_every_file_is_either_read_or_reported(tmp_path):
    (tmp_path / "a.txt").write_text(SEED_000, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    report = ingest([tmp_path])
    assert len(report.records) == 1
    reported = {Path(p).name for p, _ in report.problems}
    assert {"b.txt", "c.bin"} <= reported


def test_own_export_round_trips(tmp_path):
    record = seed("004")
    path = tmp_path / "export.json"
    path.write_text(json.dumps([record.to_dict()], ensure_ascii=False), encoding="utf-8")
    again = read_file(path, tmp_path).records[0]
    assert again.to_dict() | {"source_path": "", "content_hash": ""} == record.to_dict() | {
        "source_path": "",
        "content_hash": "",
    }


def _export(tmp_path, repeats: int, name: str = "export.json", **dump) -> Path:
    """The project-bank records `repeats` times over, with ids of their own, as one JSON file."""
    records = json.loads(PROJECTS.read_text(encoding="utf-8"))
    items = [dict(r, **{"ärende-id": f"{r['ärende-id']}-{n}"}) for n in range(repeats) for r in records]
    path = tmp_path / name
    path.write_text(json.dumps(items, ensure_ascii=False, **dump), encoding="utf-8")
    return path


def test_json_export_is_read_in_bounded_pieces(tmp_path, monkeypatch):
    import tracemalloc

    from esfsearch import ingest as ingest_module
    from esfsearch import layouts, textio

    path = _export(tmp_path, 3, indent=1)  # 750 records, 1.9 MB
    monkeypatch.setattr(textio, "PIECE_BYTES", 1 << 16)
    monkeypatch.setattr(layouts, "_KEEP", 1 << 16)
    monkeypatch.setattr(ingest_module, "RECORDS_PER_PIECE", 50)
    whole = read_file(path, tmp_path)
    tracemalloc.start()
    try:
        pieces = [
            (p.first, len(p.records), p.more, p.problem) for p in ingest_module.read_pieces(path, tmp_path)
        ]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the last piece says how the file ended (here: well, with no record left over)
    assert pieces == [(n, 50, True, None) for n in range(0, 750, 50)] + [(750, 0, False, None)]
    assert len(whole.records) == 750 and not whole.more and whole.record_problems == []
    # Never the whole file at once, neither its text nor its records (reading it whole, as before the
    # pieces, peaked at about 4 times the file's size; in pieces it is about half of it).
    assert peak < path.stat().st_size


PIECE_CASES = {
    "utf-16.json": lambda t: t.encode("utf-16"),
    "bom.json": lambda t: codecs.BOM_UTF8 + t.encode(),
    "cp1252.json": lambda t: t.replace("–", "-").replace("’", "'").encode("cp1252", errors="replace"),
    "nfd.json": lambda t: unicodedata.normalize("NFD", t).encode(),
    "crlf-tabs.json": lambda t: t.replace("\n", "\r\n").replace("Projektet", "Pro\x07jek\ttet").encode(),
    "cut.json": lambda t: t[:-700].encode(),
    "object.json": lambda t: ('{"meta": {"n": [1, 2]}, "records": ' + t + ', "end": 1.5e3}').encode(),
    "syntax.json": lambda t: t.replace('",\n', '" oops\n', 1).encode(),
    "lines.jsonl": lambda t: (
        "\r\n".join(json.dumps(r, ensure_ascii=False) for r in json.loads(t)).encode() + b"\n{broken\n"
    ),
}


@pytest.mark.parametrize("name", PIECE_CASES)
def test_json_read_the_same_whatever_its_pieces(tmp_path, monkeypatch, name):
    """A piece of the file may end anywhere: inside a character, a number, a string or a record."""
    from esfsearch import layouts, textio

    records = json.loads(PROJECTS.read_text(encoding="utf-8"))[:12]
    path = tmp_path / name
    path.write_bytes(PIECE_CASES[name](json.dumps(records, ensure_ascii=False, indent=2)))

    def read() -> tuple:
        result = read_file(path, tmp_path)
        problems = [(str(p.where), str(p.reason)) for p in result.record_problems]
        return str(result.problem), result.encoding, [r.to_dict() for r in result.records], problems

    expected = read()
    assert expected[2] or expected[0].startswith("unknown layout: invalid JSON")
    monkeypatch.setattr(layouts, "_KEEP", 40)
    for size in (1, 2, 3, 7, 100):
        monkeypatch.setattr(textio, "PIECE_BYTES", size)
        assert read() == expected, size
