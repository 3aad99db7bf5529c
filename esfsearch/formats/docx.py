"""Word documents (DOCX) -> structured text.

Read with python-docx: the maintained reader of the Office Open XML format (lxml underneath, so it is
fast: a few milliseconds for a project description), which resolves style names ("Heading 2",
"Title", lists) whatever language Word was set to, and gives paragraphs and tables in document order.
Headers and footers live in their own parts and are left out; heading styles (and outline levels)
become sections, the Title style (or the first Heading 1, or the document properties) the title,
two-cell table rows and `Label: value` paragraphs label/value pairs, list paragraphs `- item` lines.
"""

from __future__ import annotations

import io
import re

from . import MAX_TEXT_CHARS, Deadline, Document, DocumentError
from .structure import Block, known_label, pair_from_text, render, squash

_HEADING_STYLE = re.compile(r"^(?:heading|rubrik|überschrift|titre)\s*(\d)$", re.I)


def read_docx(data: bytes, deadline: Deadline) -> Document:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:    # pragma: no cover - python-docx is a dependency
        raise DocumentError("docx", "corrupt", f"cannot read DOCX: {exc}") from exc
    try:
        document = docx.Document(io.BytesIO(data))
        fallback_title = squash(document.core_properties.title or "") or None
        items = list(document.iter_inner_content())
    except Exception as exc:      # noqa: BLE001 - a damaged file can make the parser fail in any way
        raise DocumentError("docx", "corrupt", f"corrupt DOCX: {_short(exc)}") from exc
    blocks: list[Block] = []
    paragraphs = tables = 0
    total = 0
    try:
        for n, item in enumerate(items):
            if n % 200 == 0:
                deadline.check(f"part {n + 1} of {len(items)}")
            if isinstance(item, Paragraph):
                block = _paragraph(item, bool(blocks) and blocks[-1].kind == "pair")
                if block is not None:
                    paragraphs += 1
                    total += len(block.text)
                    blocks.append(block)
            elif isinstance(item, Table):
                tables += 1
                rows = _table(item)
                total += sum(len(b.text) for b in rows)
                blocks += rows
            if total > MAX_TEXT_CHARS:
                raise DocumentError("docx", "too-large",
                                    f"DOCX text larger than {MAX_TEXT_CHARS // 1_000_000} M characters")
    except DocumentError:
        raise
    except Exception as exc:      # noqa: BLE001
        raise DocumentError("docx", "corrupt", f"corrupt DOCX: {_short(exc)}") from exc
    if not any(b.text.strip() for b in blocks):
        raise DocumentError("docx", "empty", "DOCX without any text")
    if any(b.kind == "heading" and b.level == 0 for b in blocks):    # a Title style above Heading 1s
        for b in blocks:
            b.level = 1 if b.level == 0 else b.level + 1
    text = render(blocks, fallback_title=fallback_title)
    info = {"paragraphs": paragraphs, "tables": tables, "pairs": sum(1 for b in blocks if b.kind == "pair")}
    return Document("docx", text, info)


def _short(exc: Exception) -> str:
    msg = str(exc).strip().split("\n")[0][:160]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _paragraph(p, after_pair: bool = False) -> Block | None:
    text = squash(p.text)
    if not text:
        return None
    style = ""
    try:
        style = (p.style.name or "") if p.style is not None else ""
    except (KeyError, ValueError, AttributeError):
        style = ""
    level = _heading_level(p, style)
    if level is not None:
        return Block("heading", text.replace("\n", " "), level=level)
    ppr = p._p.pPr
    if style.lower().startswith("list") or (ppr is not None and ppr.numPr is not None):
        return Block("item", text)
    if text.count("\n") <= 1:
        pair = pair_from_text(text, after_pair)
        if pair is not None:
            return pair
    return Block("para", text)


def _heading_level(p, style: str) -> int | None:
    if style.lower() == "title":
        return 0
    m = _HEADING_STYLE.match(style.strip())
    if m:
        return max(1, int(m.group(1)))
    ppr = p._p.pPr
    if ppr is not None:
        outline = ppr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl")
        if outline is not None:
            try:
                value = int(outline.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val"))
            except (TypeError, ValueError):
                return None
            return value + 1 if value < 9 else None
    return None


def _table(table) -> list[Block]:
    blocks: list[Block] = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:                  # a merged cell is listed once per grid column
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(squash(cell.text))
        if not any(cells):
            continue
        first = cells[0]
        if len(cells) == 2 and first and "\n" not in first and len(first) <= 60 and (
                known_label(first) or first.endswith(":") or len(first.split()) <= 4):
            blocks.append(Block("pair", ", ".join(ln for ln in cells[1].split("\n") if ln), label=first))
        else:
            line = " | ".join(c.replace("\n", " ") for c in cells if c)
            blocks.append(pair_from_text(line) or Block("para", line))
    return blocks
