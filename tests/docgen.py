"""Render the real seed texts as the documents they arrive as: saved web pages, PDF, DOCX, ODT.

Used by tests/test_formats.py and bench/formats.py. The seed texts are split into their parts (title,
label/value pairs, headed sections, paragraphs, lists, page furniture) and each part is set the way
the real documents set it: project-bank pages with a nav, header, cookie banner and footer around a
dl/dt/dd or table of labels; PDFs with a running header and footer on every page and long words
hyphenated at line ends; Word documents with a title, a two-column table and heading styles.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from esfsearch.layouts import _GLUED_RE

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)

CHROME = [
    "Hem | Projektbanken | Kontakt",
    "Vi använder kakor för att förbättra webbplatsen",
    "© Svenska ESF-rådet 2024",
    "Till toppen av sidan",
    "Svenska ESF-rådet – Projektbanken",
    "Sida 1 av",
]


@dataclass
class Seed:
    name: str  # file stem
    kind: str  # "record", "ebs", "free"
    title: str = ""
    header: str = ""  # "DNR - Title" line of record texts
    pairs: list[tuple[str, str]] = field(default_factory=list)
    body: list[tuple[str, str]] = field(default_factory=list)  # ("p"|"h"|"li"|"gap", text)


def parse_seed(path: Path) -> Seed:
    return parse_seed_text(path.stem, path.read_text(encoding="utf-8"))


def parse_seed_text(name: str, text: str) -> Seed:
    """Split a record text in one of the project's layouts into the parts a document is made of."""
    lines = text.replace("\u00ad", "").split("\n")  # soft hyphens: the document's own breaks
    if any(ln.startswith("Diarienummer:") for ln in lines):
        seed = Seed(name, "record", header=lines[0].strip())
        seed.title = seed.header.split(" - ", 1)[1]
        i = next(i for i, ln in enumerate(lines) if ln.startswith("Diarienummer:"))
        while i < len(lines) and lines[i].strip():
            label = lines[i].rstrip(":")
            value = ""
            if i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].endswith(":"):
                value = lines[i + 1].strip()
                i += 1
            seed.pairs.append((label, value))
            i += 1
        seed.body = _body(lines[i:])
        return seed
    glued = [i for i, ln in enumerate(lines) if _GLUED_RE.match(ln.strip())]
    if len(glued) >= 3:
        seed = Seed(name, "ebs")
        first = last = glued[0]
        while last + 1 < len(lines) and _GLUED_RE.match(lines[last + 1].strip()):
            last += 1
        seed.title = next(ln.strip() for ln in reversed(lines[:first]) if ln.strip())
        for ln in lines[first : last + 1]:
            m = _GLUED_RE.match(ln.strip())
            if m:
                seed.pairs.append((m.group(1), m.group(2).strip()))
        rest = [ln for ln in lines[last + 1 :] if ln.strip() != "In English"]
        seed.body = _body(rest, headings=True)
        return seed
    seed = Seed(name, "free")
    chrome = {
        "Ladda ner presentationen",
        "Presentation laddar. Vänta.",
        "Liknande presentationer",
        "© 2024 SlidePlayer.se Inc.",
        "All rights reserved.",
    }
    content = [ln for ln in lines if ln.strip() and ln.strip() not in chrome and not ln.strip().isdigit()]
    seed.title = content[0].strip()
    seed.body = [("p", ln.strip()) for ln in content[1:]]
    return seed


def _body(lines: list[str], headings: bool = False) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    blocks: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            blocks[-1].append(ln.strip())
        elif blocks[-1]:
            blocks.append([])
    for block in (b for b in blocks if b):
        if out:
            out.append(("gap", ""))
        if (
            headings
            and len(block) == 1
            and len(block[0]) < 70
            and not block[0].endswith(".")
            and not block[0].startswith("•")
        ):
            out.append(("h", block[0]))
            continue
        for ln in block:
            if ln.startswith(("- ", "• ")):
                out.append(("li", ln[2:].strip()))
            else:
                out.append(("p", ln))
    return out


# ---------------------------------------------------------------- HTML


def to_html(seed: Seed, style: str = "dl") -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="sv"><head><meta charset="utf-8">',
        f"<title>{e(seed.title)} | Svenska ESF-rådet</title>",
        "<style>.cookie{position:fixed} p{margin:0}</style>",
        '<script>window.dataLayer=[{"Diarienummer":"0000/00000"}];</script></head><body>',
        f'<div id="cookie-consent" class="cookie"><p>{e(CHROME[1])}</p><button>Godkänn</button></div>',
        '<header class="site-header"><a href="/"><img src="logo.svg" alt="Svenska ESF-rådet"></a>',
        f'<nav><ul><li><a href="/">Hem</a></li><li><a href="/pb">Projektbanken</a></li>'
        f'<li><a href="/k">Kontakt</a></li></ul><p>{e(CHROME[0])}</p></nav></header>',
        '<main id="content"><article>',
        '<nav class="breadcrumbs" aria-label="Brödsmulor"><a href="/">Hem</a> › Projekt</nav>',
        f"<h1>{e(seed.title)}</h1>",
    ]
    if seed.pairs:
        if style == "dl":
            parts.append('<dl class="project-facts">')
            for label, value in seed.pairs:
                parts.append(f'<div class="row"><dt>{e(label)}</dt><dd>{e(value)}</dd></div>')
            parts.append("</dl>")
        elif style == "table":
            parts.append('<table class="facts"><tbody>')
            for label, value in seed.pairs:
                parts.append(f'<tr><th scope="row">{e(label)}:</th><td>{e(value)}</td></tr>')
            parts.append("</tbody></table>")
        else:  # "Label: value" lines
            parts.append('<div class="facts">')
            for label, value in seed.pairs:
                parts.append(f"<p><strong>{e(label)}:</strong> {e(value)}</p>")
            parts.append("</div>")
    parts.append('<div class="text">')
    in_list = False
    for kind, text in seed.body:
        if kind != "li" and in_list:
            parts.append("</ul>")
            in_list = False
        if kind == "h":
            parts.append(f"<h2>{e(text)}</h2>")
        elif kind == "li":
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{e(text)}</li>")
        elif kind == "p":
            parts.append(f"<p>{e(text)}</p>")
    if in_list:
        parts.append("</ul>")
    parts += [
        "</div>",
        "<aside><h2>Relaterade projekt</h2><p>Fler projekt i samma region</p></aside>",
        "</article></main>",
        f'<footer><p>{e(CHROME[2])}</p><p><a href="#top">{e(CHROME[3])}</a></p></footer>',
        "</body></html>",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------- PDF


def unicode_font() -> Path | None:
    for d in FONT_DIRS:
        p = Path(d) / "DejaVuSans.ttf"
        if p.exists():
            return p
    try:
        import matplotlib

        p = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        return p if p.exists() else None
    except ImportError:
        return None


def to_pdf(seed: Seed, columns: bool = True, *, font: Path | None = None) -> bytes:
    """A4, a running header and footer on every page, label/value pairs on one line each (in two
    columns) or one under the other, paragraphs wrapped with long words hyphenated at line ends."""
    from fpdf import FPDF

    font = font or unicode_font()

    class Page(FPDF):
        def header(self):
            self.set_font("body", size=9)
            self.cell(0, 5, CHROME[4], new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self):
            self.set_y(-14)
            self.set_font("body", size=9)
            self.cell(0, 5, f"Sida {self.page_no()} av {{nb}}", align="C")

    pdf = Page(format="A4")
    pdf.add_font("body", "", str(font))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.epw
    if seed.kind == "record" and seed.header:
        _pdf_line(pdf, seed.header, 12)
    else:
        _pdf_line(pdf, seed.title, 12)
    pdf.ln(5)
    for label, value in seed.pairs:
        if columns:
            pdf.set_font("body", size=11)
            pdf.cell(85, 8, label + (":" if seed.kind == "record" else ""))
            pdf.cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
        else:
            _pdf_line(pdf, label + ":", 11)
            if value:
                _pdf_line(pdf, value, 11)
    pdf.ln(5)
    hyphenated = 0
    for kind, text in seed.body:
        if kind == "gap":
            pdf.ln(8)
        elif kind == "h":
            _pdf_line(pdf, text, 12)
        else:
            lines, n = wrap(pdf, ("- " if kind == "li" else "") + text, width)
            hyphenated += n
            for line in lines:
                _pdf_line(pdf, line, 11)
    out = pdf.output()
    return bytes(out)


def _pdf_line(pdf, text: str, size: int) -> None:
    pdf.set_font("body", size=size)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


_SPLITTABLE = re.compile(r"^[a-zåäöéA-ZÅÄÖ][a-zåäöé]+$")


def wrap(pdf, text: str, width: float) -> tuple[list[str], int]:
    """Greedy wrap; a long word that does not fit is hyphenated (its rest starts the next line)."""
    pdf.set_font("body", size=11)
    lines, line, hyphenated = [], "", 0
    words = text.split(" ")
    i = 0
    while i < len(words):
        word = words[i]
        trial = f"{line} {word}" if line else word
        if pdf.get_string_width(trial) <= width:
            line = trial
            i += 1
            continue
        if line and len(word) >= 10 and _SPLITTABLE.match(word.rstrip(".,;:")):
            core = word.rstrip(".,;:")
            for cut in range(len(core) - 4, 3, -1):
                head = f"{line} {core[:cut]}-"
                if pdf.get_string_width(head) <= width and core[cut - 1].islower() and core[cut].islower():
                    lines.append(head)
                    words[i] = word[cut:]
                    hyphenated += 1
                    line = ""
                    break
            else:
                lines.append(line)
                line = ""
            continue
        if not line:  # a word longer than the line
            lines.append(word)
            i += 1
            continue
        lines.append(line)
        line = ""
    if line:
        lines.append(line)
    return lines, hyphenated


def scanned_pdf() -> bytes:
    """A page that is only an image of text, as a scanner makes it."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    img = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(img).text((20, 80), "Diarienummer 2020/00639 Stärkt utvecklingskraft", fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(io.BytesIO(buf.getvalue()), x=10, y=10, w=180)
    return bytes(pdf.output())


def encrypted_pdf(seed: Seed) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("body", "", str(unicode_font()))
    pdf.set_encryption(owner_password="ägare", user_password="hemligt")
    pdf.add_page()
    pdf.set_font("body", size=11)
    pdf.multi_cell(0, 6, seed.header or seed.title)
    return bytes(pdf.output())


# ---------------------------------------------------------------- DOCX


def to_docx(seed: Seed, style: str = "table") -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = seed.title
    section = d.sections[0]
    section.header.paragraphs[0].text = CHROME[4]
    section.footer.paragraphs[0].text = CHROME[2]
    d.add_heading(seed.title, 0)
    if seed.pairs:
        if style == "table":
            table = d.add_table(rows=0, cols=2)
            for label, value in seed.pairs:
                row = table.add_row().cells
                row[0].text, row[1].text = label, value
        else:
            for label, value in seed.pairs:
                d.add_paragraph(f"{label}: {value}")
    for kind, text in seed.body:
        if kind == "gap":
            continue
        if kind == "h":
            d.add_heading(text, 1)
        elif kind == "li":
            d.add_paragraph(text, style="List Bullet")
        else:
            d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- ODT (written by hand: a zip of XML)


def to_odt(seed: Seed) -> bytes:
    e = html.escape
    body = [f'<text:h text:outline-level="1">{e(seed.title)}</text:h>']
    if seed.pairs:
        body.append('<table:table table:name="Fakta"><table:table-column table:number-columns-repeated="2"/>')
        for label, value in seed.pairs:
            body.append(
                f"<table:table-row><table:table-cell><text:p>{e(label)}</text:p></table:table-cell>"
                f"<table:table-cell><text:p>{e(value)}</text:p></table:table-cell></table:table-row>"
            )
        body.append("</table:table>")
    for kind, text in seed.body:
        if kind == "h":
            body.append(f'<text:h text:outline-level="2">{e(text)}</text:h>')
        elif kind == "li":
            body.append(f"<text:list><text:list-item><text:p>{e(text)}</text:p></text:list-item></text:list>")
        elif kind == "p":
            body.append(f"<text:p>{e(text)}</text:p>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">'
        "<office:body><office:text>"
        + "".join(body)
        + "</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()
