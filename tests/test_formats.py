"""Documents as they arrive (issue 19): the five seed texts as saved web pages, PDF, DOCX and ODT give
the same fields as the text; unreadable documents are reported each with its own reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docgen import (
    CHROME,
    encrypted_pdf,
    parse_seed,
    scanned_pdf,
    to_docx,
    to_html,
    to_odt,
    to_pdf,
    unicode_font,
)

from esfsearch import formats
from esfsearch.ingest import ingest, parse_document, read_file

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = sorted((CORPUS / "seeds").glob("*.txt"))
FIELDS = (
    "id",
    "title",
    "owner",
    "region",
    "start_date",
    "end_date",
    "total_budget",
    "eu_support",
    "fund",
    "municipalities",
    "programme_area",
    "contact_email",
    "phase",
)
HTML_STYLES = {"000": "dl", "001": "dl", "002": "table", "003": "dl", "004": "lines"}

needs_font = pytest.mark.skipif(unicode_font() is None, reason="no DejaVuSans.ttf for writing test PDFs")


def _norm(text: str) -> str:
    return " ".join(text.split())


def _render(seed_path: Path, fmt: str) -> bytes:
    seed = parse_seed(seed_path)
    prefix = seed_path.name[:3]
    if fmt == "html":
        return to_html(seed, HTML_STYLES[prefix]).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(seed, columns=prefix != "000")  # 000: label and value one under the other
    if fmt == "docx":
        return to_docx(seed, "paragraphs" if prefix == "004" else "table")
    return to_odt(seed)


CASES = [(p, fmt) for p in SEEDS for fmt in ("html", "pdf", "docx", "odt")]


@pytest.mark.parametrize("seed_path,fmt", CASES, ids=[f"{p.name[:3]}-{f}" for p, f in CASES])
def test_seed_as_document_gives_the_fields_of_the_text(tmp_path, seed_path, fmt):
    if fmt == "pdf" and unicode_font() is None:
        pytest.skip("no DejaVuSans.ttf for writing test PDFs")
    text_record = read_file(seed_path, CORPUS).records[0]
    (tmp_path / "seeds").mkdir()
    doc = tmp_path / "seeds" / f"{seed_path.stem}.{fmt}"
    doc.write_bytes(_render(seed_path, fmt))
    result = read_file(doc, tmp_path)
    assert result.problem is None, result.problem
    assert result.format == fmt
    assert len(result.records) == 1
    record = result.records[0]
    for name in FIELDS:
        assert getattr(record, name) == getattr(text_record, name), name
    assert record.layout == f"{fmt}/{text_record.layout}"
    # The same text: nothing of the page chrome, running headers, footers or page numbers in it.
    assert _norm(record.summary) == _norm(text_record.summary)
    assert _norm(record.full_text) == _norm(text_record.full_text)
    for chrome in CHROME + ["Relaterade projekt", "Godkänn", "Brödsmulor", "0000/00000", "Sida "]:
        assert chrome not in record.full_text and chrome not in record.title


@needs_font
def test_pdf_pages_furniture_and_hyphenation_are_reported_in_what_was_read():
    seed_path = SEEDS[0]
    data = _render(seed_path, "pdf")
    doc = formats.read_document(data, "pdf")
    assert doc.info["pages"] >= 2
    assert doc.info["dropped_lines"] >= 2 * doc.info["pages"]  # a header and a footer on each page
    assert doc.info["rejoined_words"] >= 1
    assert "Svenska ESF-rådet – Projektbanken" not in doc.text and "Sida" not in doc.text
    assert "kompetensförsörjningsbehov" in doc.text


def test_pdf_line_joins_keep_real_hyphens():
    from esfsearch.formats.pdf import _rejoin

    lines = [
        "Förstudien ska kartlägga vilka kompetens-",
        "försörjningsbehov industri-",
        "och tjänsteföretag har",
        "med stöd av ESF-",
        "rådet och i samverkan.",
        "Text- och skrivbordsanalys av ESF-rådet.",
    ]
    out, n = _rejoin(lines)
    text = "\n".join(out)
    assert "kompetensförsörjningsbehov" in text
    assert "industri- och" in text
    assert "ESF-rådet och" in text
    assert "Text- och skrivbordsanalys av ESF-rådet." in text
    assert n == 1


def test_pdf_page_numbers_and_running_lines_dropped_but_values_kept():
    from esfsearch.formats.pdf import _drop_furniture

    pages = [
        ["Rapport ESF 2024", "Planerat antal deltagare:", "0", "text", "Sida 1 av 2"],
        ["Rapport ESF 2024", "mer text", "2"],
    ]
    _drop_furniture(pages)
    assert pages == [["Planerat antal deltagare:", "0", "text"], ["mer text"]]


# ---------------------------------------------------------------- detection by content


@needs_font
def test_detection_by_content_not_by_name(tmp_path):
    seed_path = SEEDS[0]
    (tmp_path / "pdf.txt").write_bytes(_render(seed_path, "pdf"))
    (tmp_path / "word.pdf").write_bytes(_render(seed_path, "docx"))
    (tmp_path / "page.txt").write_bytes(_render(seed_path, "html"))
    (tmp_path / "text.docx").write_bytes(seed_path.read_bytes())
    report = ingest([tmp_path])
    assert report.problems == []
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["pdf.txt"].format == "pdf"
    assert by_name["word.pdf"].format == "docx"
    assert by_name["page.txt"].format == "html"
    assert by_name["text.docx"].format is None
    assert {r.id for r in report.records} == {"2020/00639"}


def test_a_text_that_quotes_a_pdf_header_stays_a_text(tmp_path):
    path = tmp_path / "om-pdf.txt"
    path.write_text(
        "Om tillgängliga dokument\n\nEn fil som börjar med %PDF-1.7 är en PDF. Projektet "
        "lär ut hur man gör tillgängliga PDF-filer.",
        encoding="utf-8",
    )
    result = read_file(path, tmp_path)
    assert result.problem is None and result.format is None
    assert result.records[0].title == "Om tillgängliga dokument"


def test_html_entities_breaks_and_title_fallback():
    page = (
        "<!DOCTYPE html><html><head><title>Bättre matchning &amp; stöd | Projektbanken</title></head>"
        "<body><nav>Hem | Projektbanken | Kontakt</nav><div class='content'>"
        "<p>Projektet ger stöd&nbsp;till unga &lt;25 år &#8211; i Västerås.<br>Rad två.</p>"
        "<script>document.write('<p>Diarienummer: 1</p>')</script></div>"
        "<footer>© Region 2024</footer></body></html>"
    )
    record = parse_document(page, rel_path="sida.html").records[0]
    assert record.title == "Bättre matchning & stöd"
    assert record.summary == "Projektet ger stöd till unga <25 år – i Västerås.\nRad två."
    assert record.layout == "html/text"
    assert record.id == "sida"


def test_html_label_and_value_in_two_elements():
    """EBS2020-style rows: the label and the value in elements of their own, no dl or table."""
    rows = [
        ("Projektägare", "Region Sörmland"),
        ("Projektfas", "Genomförande"),
        ("Region", "Östra Mellansverige"),
        ("Beviljat ESF-stöd", "1 200 000 kr"),
        ("Projektperiod", "2015-01-01 till 2016-06-30"),
    ]
    page = (
        "<!DOCTYPE html><html><body><header><nav>Meny</nav></header><main><h1>Vägar till arbete</h1>"
        + "".join(
            f'<div class="row"><span class="label">{a}</span>\n<span class="value">{b}</span></div>'
            for a, b in rows
        )
        + "<h2>Sammanfattning</h2><p>Projektet ska stödja unga.</p></main></body></html>"
    )
    record = parse_document(page, rel_path="p.html").records[0]
    assert record.layout == "html/ebs2020"
    assert (record.title, record.owner, record.region, record.eu_support) == (
        "Vägar till arbete",
        "Region Sörmland",
        "Östra Mellansverige",
        1_200_000,
    )
    assert record.summary == "Projektet ska stödja unga."


def test_html_record_text_is_not_markup():
    """A text that only mentions tags is not a web page."""
    text = "Om <html> och <body>\n\nProjektet lär ut webbutveckling."
    assert not formats.looks_like_html(text)
    assert parse_document(text, rel_path="x.txt").records[0].layout == "text"


def test_deeply_nested_page_does_not_crash():
    page = (
        "<!DOCTYPE html><html><body>"
        + "<div>" * 5000
        + "<h1>Djupt</h1><p>Text om ESF.</p>"
        + "</div>" * 5000
        + "</body></html>"
    )
    record = parse_document(page, rel_path="djup.html").records[0]
    assert record.title == "Djupt" and record.summary == "Text om ESF."


# ---------------------------------------------------------------- unreadable documents


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    seed = parse_seed(SEEDS[0])
    files = {
        "scanned": tmp_path / "skannad.pdf",
        "encrypted": tmp_path / "krypterad.pdf",
        "corrupt-pdf": tmp_path / "trasig.pdf",
        "corrupt-docx": tmp_path / "trasig.docx",
        "good-pdf": tmp_path / "bra.pdf",
        "good-text": tmp_path / "bra.txt",
    }
    files["scanned"].write_bytes(scanned_pdf())
    files["encrypted"].write_bytes(encrypted_pdf(seed))
    files["corrupt-pdf"].write_bytes(
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00\xff" * 300
    )
    docx = to_docx(seed)
    files["corrupt-docx"].write_bytes(docx[: len(docx) // 2])
    files["good-pdf"].write_bytes(_render(SEEDS[4], "pdf"))
    files["good-text"].write_bytes(SEEDS[2].read_bytes())
    return files


@needs_font
def test_unreadable_documents_each_have_their_own_reason_and_nothing_else_is_lost(tmp_path):
    files = _bad_files(tmp_path)
    report = ingest([tmp_path])
    problems = dict(report.problems)
    assert len(report.files) == len(files)
    assert problems[str(files["scanned"])].startswith("scanned PDF: no text layer")
    assert "OCR" in problems[str(files["scanned"])]
    assert problems[str(files["encrypted"])].startswith("encrypted PDF")
    assert "password" in problems[str(files["encrypted"])]
    assert problems[str(files["corrupt-pdf"])].startswith("corrupt PDF")
    assert problems[str(files["corrupt-docx"])].startswith("corrupt DOCX")
    assert len(problems) == 4
    assert sorted(r.id for r in report.records) == ["2019/00038", "22-026-S02"]


@needs_font
def test_owner_password_only_pdf_is_read():
    """Encrypted only to forbid printing (empty user password): readable, so read."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("body", "", str(unicode_font()))
    pdf.set_encryption(owner_password="ägare")
    pdf.add_page()
    pdf.set_font("body", size=11)
    pdf.multi_cell(0, 6, "Förstudie kompetensförsörjning i Västmanland\nProjektet kartlägger behoven.")
    doc = formats.read_document(bytes(pdf.output()), "pdf")
    assert "kompetensförsörjning i Västmanland" in doc.text


def test_corrupt_zip_named_docx_and_truncated_odt(tmp_path):
    odt = to_odt(parse_seed(SEEDS[1]))
    (tmp_path / "halv.odt").write_bytes(odt[: len(odt) // 2])
    (tmp_path / "inte.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    report = ingest([tmp_path])
    problems = dict(report.problems)
    assert problems[str(tmp_path / "halv.odt")].startswith("corrupt ODT")
    assert str(tmp_path / "inte.docx") in problems  # reported (binary), never silently dropped


def test_time_limit_is_a_reason():
    with pytest.raises(formats.DocumentError) as info:
        formats.read_document(to_docx(parse_seed(SEEDS[0])), "docx", time_limit=-1)
    assert info.value.kind == "timeout" and "longer than" in info.value.reason


def test_oversized_document_gets_the_document_size_limit(tmp_path, monkeypatch):
    import esfsearch.ingest as ingest_mod

    data = to_docx(parse_seed(SEEDS[0]))
    path = tmp_path / "stor.docx"
    path.write_bytes(data)
    monkeypatch.setattr(ingest_mod, "MAX_TEXT_BYTES", len(data) // 2)
    assert read_file(path, tmp_path).records  # within the document limit
    monkeypatch.setattr(ingest_mod, "MAX_DOCUMENT_BYTES", len(data) // 2)
    assert read_file(path, tmp_path).problem.startswith("file too large")


# ---------------------------------------------------------------- index and CLI


@needs_font
def test_index_updates_documents_by_content_hash(tmp_path):
    from esfsearch.index import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.pdf").write_bytes(_render(SEEDS[0], "pdf"))
    (corpus / "b.docx").write_bytes(_render(SEEDS[4], "docx"))
    index = tmp_path / "index"
    first = build_index([corpus], index)
    assert first.added == 2
    again = build_index([corpus], index)
    assert again.added == 0 and again.updated == 0
    (corpus / "b.docx").write_bytes(_render(SEEDS[2], "docx"))  # same name, new content
    changed = build_index([corpus], index)
    assert changed.updated + changed.added >= 1


@needs_font
def test_cli_parse_shows_what_was_read(tmp_path):
    from typer.testing import CliRunner

    from esfsearch.cli import app

    (tmp_path / "a.pdf").write_bytes(_render(SEEDS[0], "pdf"))
    (tmp_path / "s.pdf").write_bytes(scanned_pdf())
    result = CliRunner().invoke(app, ["parse", str(tmp_path)])
    records = json.loads(result.stdout)
    assert [r["layout"] for r in records] == ["pdf/projectbank"]
    assert "PDF, 3 pages" in result.stderr or "PDF, 2 pages" in result.stderr
    assert "scanned PDF" in result.stderr


def test_labels_the_record_reader_cannot_take_are_kept_after_the_text():
    from esfsearch.formats.structure import Block, render

    blocks = [
        Block("heading", "Sänk Trösklarna", level=1),
        Block("pair", "2019/00038", label="Diarienummer"),
        Block("pair", "x: y", label="1. Övrigt"),
        Block("pair", "Borlänge kommun", label="Projektägare"),
        Block("para", "Projektet ska stödja unga."),
    ]
    record = parse_document(render(blocks), rel_path="r.txt").records[0]
    assert (record.id, record.title, record.owner) == ("2019/00038", "Sänk Trösklarna", "Borlänge kommun")
    assert record.summary.startswith("Projektet ska stödja unga.")
    assert "1. Övrigt: x: y" in record.full_text
