"""PDF -> structured text: the text layer in reading order, cleaned of page furniture.

Read with pypdf: pure Python (installs everywhere, no compiler, no system library), BSD licensed,
released every few weeks, and its layout mode keeps the vertical gaps between paragraphs and the gap
between a label and its value that the layout readers rely on. Measured here (bench/formats.py): ~8 ms
CPU a page, ~20 ms a 2-page project description, against ~30 ms to index the record: ample. PDFium
(pypdfium2) or MuPDF bindings would be faster (not measured here) but ship large binaries, and MuPDF is
AGPL; pdfminer.six is pure Python too and known to be slower. Encrypted PDFs with an empty user
password (often used just to forbid printing) open with `cryptography`; others are reported as
needing a password.

Cleaning, page by page: running headers and footers (a line that recurs at the top or bottom of most
pages, numbers ignored) and page numbers ("3", "Sida 3 av 7", "- 3 -") are dropped; a word hyphenated
across a line end is rejoined ("kompetens-" + "försörjning"), while a hyphen after a capital
("ESF-" + "rådet") or before "och"/"eller" ("industri- och") stays; a line a value is set beside in a
second column ("Projektägare      Borlänge kommun") becomes a label/value pair.

Known limit: layout mode sets text as it stands on the page, so prose in two columns side by side comes
out line by line across both columns; single-column documents (the usual project description,
application or decision) read in order. The time limit is checked between pages.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from ..i18n import N_, Message, Nn_
from . import MAX_PAGES, MAX_TEXT_CHARS, Deadline, Document, DocumentError
from .structure import Block, known_label, render

_PAGE_NUMBER = re.compile(
    r"^(?:(?:sida|page|s\.|sid\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:av|of|/|\()\s*\d{1,4}\)?)?$", re.I
)
_DIGITS = re.compile(r"\d+")
_GAP_PAIR = re.compile(r"^(\S.{0,60}?)(:?)\s{3,}(\S.*)$")
_COLON_LINE = re.compile(r"^([A-ZÅÄÖÉ][^:]{0,60}):$")
_SUSPENDED = {"och", "eller", "samt", "respektive", "resp", "som", "till", "and", "or", "&"}
_LOWER_START = re.compile(r"^[a-zåäöéüæø]")
_HYPHEN_END = re.compile(r"(\w*[^\W\d_])-$")
EDGE_LINES = 3  # lines at the top and bottom of a page that may be running furniture


def read_pdf(data: bytes, deadline: Deadline) -> Document:
    pages = _page_texts(data, deadline)
    info: dict = {"pages": len(pages)}
    if not any(p.strip() for p in pages):
        raise _no_text(data, len(pages))
    lines_per_page = [[ln.rstrip() for ln in p.split("\n")] for p in pages]
    dropped = _drop_furniture(lines_per_page)
    lines: list[str] = []
    for page in lines_per_page:
        if lines and page and _ends_paragraph(lines[-1], page[0]):
            lines.append("")  # otherwise the text goes on across the page break
        lines.extend(page)
    lines, rejoined = _rejoin(lines)
    info.update(dropped_lines=dropped, rejoined_words=rejoined)
    text, pairs = _pairs_to_text(lines)
    info["pairs"] = pairs
    return Document("pdf", text, info)


def _ends_paragraph(last: str, first: str) -> bool:
    return last.strip().endswith((".", "!", "?")) and not _LOWER_START.match(first.strip())


def _page_texts(data: bytes, deadline: Deadline) -> list[str]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except ImportError as exc:  # pragma: no cover - pypdf is a dependency
        raise DocumentError("pdf", "corrupt", Message(N_("cannot read PDF: {why}"), why=str(exc))) from exc
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on damaged files are ours to report
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as exc:
                raise DocumentError(
                    "pdf", "encrypted", Message(N_("encrypted PDF: cannot decrypt ({why})"), why=str(exc))
                ) from exc
            if not opened:
                raise DocumentError(
                    "pdf",
                    "encrypted",
                    Message(N_("encrypted PDF: it needs a password; save an unprotected copy to index it")),
                )
        n = len(reader.pages)
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError("pdf", "encrypted", Message(N_("encrypted PDF: it needs a password"))) from exc
    except Exception as exc:  # noqa: BLE001 - a damaged file can make the parser fail in any way
        raise DocumentError("pdf", "corrupt", Message(N_("corrupt PDF: {why}"), why=_short(exc))) from exc
    if n > MAX_PAGES:
        raise DocumentError(
            "pdf", "too-large", Message(N_("PDF has {n} pages (limit {limit})"), n=n, limit=MAX_PAGES)
        )
    texts: list[str] = []
    total = 0
    failed = 0
    for i in range(n):
        deadline.check(Message(N_("page {page} of {n}"), page=i + 1, n=n))
        try:
            text = _paragraph_gaps(
                reader.pages[i].extract_text(extraction_mode="layout", layout_mode_space_vertically=True)
            )
        except Exception:  # noqa: BLE001 - one broken page does not lose the others
            try:
                text = reader.pages[i].extract_text()
            except Exception:  # noqa: BLE001
                failed += 1
                text = ""
        total += len(text)
        if total > MAX_TEXT_CHARS:
            raise DocumentError(
                "pdf",
                "too-large",
                Message(
                    N_("PDF text larger than {millions} M characters"), millions=MAX_TEXT_CHARS // 1_000_000
                ),
            )
        texts.append(text)
    if n == 0:
        raise DocumentError("pdf", "corrupt", Message(N_("corrupt PDF: no pages")))
    if failed == n:
        raise DocumentError(
            "pdf",
            "corrupt",
            Message(
                Nn_(
                    "corrupt PDF: its one page could not be read",
                    "corrupt PDF: none of its {n} pages could be read",
                ),
                n=n,
            ),
        )
    return texts


def _paragraph_gaps(text: str) -> str:
    """Layout mode renders vertical space as blank lines in proportion to it: the most common gap
    between two lines is the line spacing, a wider one a paragraph break (kept as one blank line)."""
    lines = text.split("\n")
    gaps: list[int] = []
    run = None
    for line in lines:
        if line.strip():
            if run is not None:
                gaps.append(run)
            run = 0
        elif run is not None:
            run += 1
    if not gaps:
        return "\n".join(ln for ln in lines if ln.strip())
    normal = Counter(gaps).most_common(1)[0][0]
    out: list[str] = []
    run = 0
    for line in lines:
        if not line.strip():
            run += 1
            continue
        if out and run > normal:
            out.append("")
        out.append(line)
        run = 0
    return "\n".join(out)


def _short(exc: Exception) -> str:
    msg = str(exc).strip().split("\n")[0][:160]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _no_text(data: bytes, pages: int) -> DocumentError:
    """A PDF with no text: a scan (pages are images) or just empty pages."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        with_images = sum(1 for page in reader.pages if _has_image(page))
    except Exception:  # noqa: BLE001
        with_images = 0
    if with_images:
        return DocumentError(
            "pdf",
            "scanned",
            Message(
                Nn_(
                    "scanned PDF: no text layer ({images} of {n} page is an image); "
                    "run OCR on it first (for example ocrmypdf -l swe) and index the result",
                    "scanned PDF: no text layer ({images} of {n} pages are images); "
                    "run OCR on it first (for example ocrmypdf -l swe) and index the result",
                ),
                images=with_images,
                n=pages,
            ),
        )
    return DocumentError(
        "pdf",
        "empty",
        Message(Nn_("PDF without any text ({n} page)", "PDF without any text ({n} pages)"), n=pages),
    )


def _has_image(page) -> bool:
    try:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources else None
        if not xobjects:
            return bool(page.images)
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            if obj.get("/Subtype") in ("/Image", "/Form"):
                return True
    except Exception:  # noqa: BLE001
        return False
    return False


# ---------------------------------------------------------------- furniture


def _edge_indexes(lines: list[str]) -> list[int]:
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def _key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split()).lower())


def _drop_furniture(pages: list[list[str]]) -> int:
    """Blank running headers/footers and page numbers in place; returns how many lines went."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_key(lines[i]) for i in _edge_indexes(lines)})
    threshold = max(2, (len(pages) * 3 + 4) // 5)  # on at least 3/5 of the pages, and on two
    running = (
        {k for k, c in counts.items() if c >= threshold and re.search(r"[^\W\d_]", k)}
        if len(pages) >= 2
        else set()
    )
    dropped = 0
    for number, lines in enumerate(pages, 1):
        edges = _edge_indexes(lines)
        for i in edges:
            if _key(lines[i]) in running or (
                i in (edges[0], edges[-1]) and _is_page_number(lines[i], number)
            ):
                lines[i] = ""
                dropped += 1
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
    return dropped


def _is_page_number(line: str, number: int) -> bool:
    """'Sida 3 av 7', 'Page 3', '- 3 -', '3/7'; a bare number only when it is this page's number."""
    line = " ".join(line.split())
    if not _PAGE_NUMBER.match(line):
        return False
    if line.isdigit():
        return int(line) == number
    return True


# ---------------------------------------------------------------- line joins


def _rejoin(lines: list[str]) -> tuple[list[str], int]:
    """Rejoin words hyphenated across line ends; join a wrapped line that goes on in lower case."""
    out: list[str] = []
    rejoined = 0
    for raw in lines:
        line = raw.strip()
        if out and out[-1] and line and _LOWER_START.match(line):
            prev = out[-1]
            m = _HYPHEN_END.search(prev)
            first_word = re.split(r"[\s,.;:!?)]", line, maxsplit=1)[0].lower()
            if m and first_word not in _SUSPENDED and not _GAP_PAIR.match(prev):
                out[-1] = prev + line  # 'ESF-' + 'rådet': a real hyphen after a capital
                if prev[-2:-1].islower():  # 'kompetens-' + 'försörjning': a line-end hyphen
                    out[-1] = prev[:-1] + line
                    rejoined += 1
                continue
            if (
                not prev.endswith((":", ".", "!", "?"))
                and not _GAP_PAIR.match(prev)
                and not prev.startswith("- ")
                and len(prev) > 40
            ):
                out[-1] = f"{prev} {line}"
                continue
        out.append(line)
    return out, rejoined


def _pairs_to_text(lines: list[str]) -> tuple[str, int]:
    """Lines set as `Label    value` (two columns) become pairs for `render`, and so do `Label:` lines
    with the value on the next line when there is no `Diarienummer:` line (a project-bank record in
    that shape is the record layout itself). Other text is kept as it is."""
    pair_lines: dict[int, tuple[str, str]] = {}
    skip: set[int] = set()
    record_layout = any(ln.strip().lower().startswith("diarienummer:") for ln in lines)
    for i, line in enumerate(lines):
        if i in skip:
            continue
        m = _GAP_PAIR.match(line)
        if m and (
            known_label(m.group(1))
            or (m.group(2) and len(m.group(0)) - len(m.group(1)) - len(m.group(3)) >= 6)
        ):
            pair_lines[i] = (m.group(1), m.group(3))
            continue
        m = _COLON_LINE.match(line.strip())
        if (
            m
            and not record_layout
            and (known_label(m.group(1)) or (i - 1 in pair_lines or i - 2 in pair_lines))
        ):
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if nxt and not _COLON_LINE.match(nxt) and not _GAP_PAIR.match(nxt):
                pair_lines[i] = (m.group(1), nxt)
                skip.add(i + 1)
            else:
                pair_lines[i] = (m.group(1), "")
    cleaned = ["" if i in skip else " ".join(ln.split()) for i, ln in enumerate(lines)]
    if len(pair_lines) < 2:
        return "\n".join(cleaned).strip(), 0
    blocks: list[Block] = []
    for i, line in enumerate(cleaned):
        if i in skip:
            continue
        if i in pair_lines:
            label, value = pair_lines[i]
            blocks.append(Block("pair", " ".join(value.split()), label=label))
        elif not line:
            blocks.append(Block("break", ""))
        else:
            blocks.append(Block("para", line))
    return render(_headings_from_breaks(blocks)), len(pair_lines)


def _headings_from_breaks(blocks: list[Block]) -> list[Block]:
    """A lone line between blank lines stays a lone line: mark it as a heading so `render` keeps it so."""
    out = []
    for i, b in enumerate(blocks):
        if (
            b.kind == "para"
            and (i == 0 or blocks[i - 1].kind == "break")
            and (i + 1 == len(blocks) or blocks[i + 1].kind == "break")
            and len(b.text) <= 70
        ):
            out.append(Block("heading", b.text, level=2))
        else:
            out.append(b)
    return out
