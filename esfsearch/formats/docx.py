"""Word documents (DOCX) -> structured text.

A DOCX file is a zip; the text is in `word/document.xml`, the style names in `word/styles.xml`, the
title in `docProps/core.xml`. They are read with the standard library (zipfile and the expat-based
ElementTree): python-docx, the usual library, parses every part of the package when it opens a file
(styles, theme, numbering, settings ...), which took ~100-140 ms a file here against ~5 ms for the two
parts we need, and it brings lxml. python-docx stays in the tests, which write the documents with it.

What is read: body paragraphs and tables in document order (also inside content controls), runs'
text, tabs and line breaks; deleted text of tracked changes and field codes are left out, as are the
page headers and footers (their own parts). Heading styles (and outline levels) become sections, the
Title style (or the first Heading 1, or the document properties) the title, two-cell table rows and
`Label: value` paragraphs label/value pairs, list paragraphs `- item` lines.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree as ET

from ..i18n import N_, Message
from . import MAX_TEXT_CHARS, Deadline, Document, DocumentError
from .structure import Block, known_label, pair_from_text, render, squash

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DC = "{http://purl.org/dc/elements/1.1/}"
_HEADING_STYLE = re.compile(r"^(?:heading|rubrik|überschrift|titre)\s*(\d)$", re.I)
_SKIP_RUN = {
    f"{W}del",
    f"{W}instrText",
    f"{W}delText",
    f"{W}fldChar",
    f"{W}commentReference",
    f"{W}footnoteReference",
    f"{W}endnoteReference",
    f"{W}drawing",
    f"{W}pict",
    f"{W}object",
}


def read_docx(data: bytes, deadline: Deadline) -> Document:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("word/document.xml")
            if info.file_size > MAX_TEXT_CHARS * 10:
                raise DocumentError("docx", "too-large", Message(N_("DOCX text part larger than the limit")))
            body_xml = zf.read(info)
            names = set(zf.namelist())
            styles_xml = zf.read("word/styles.xml") if "word/styles.xml" in names else b""
            core_xml = zf.read("docProps/core.xml") if "docProps/core.xml" in names else b""
        root = ET.fromstring(body_xml)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - zip and XML errors of a damaged file
        raise DocumentError("docx", "corrupt", Message(N_("corrupt DOCX: {why}"), why=_short(exc))) from exc
    styles = _style_names(styles_xml)
    fallback_title = _core_title(core_xml)
    body = root.find(f"{W}body")
    if body is None:
        raise DocumentError("docx", "corrupt", Message(N_("corrupt DOCX: no document body")))
    blocks: list[Block] = []
    counts = {"paragraphs": 0, "tables": 0}
    _walk(body, blocks, styles, counts, deadline)
    deadline.check(Message(N_("the end")))
    if not any(b.text.strip() for b in blocks):
        raise DocumentError("docx", "empty", Message(N_("DOCX without any text")))
    if sum(len(b.text) for b in blocks) > MAX_TEXT_CHARS:
        raise DocumentError(
            "docx",
            "too-large",
            Message(
                N_("DOCX text larger than {millions} M characters"), millions=MAX_TEXT_CHARS // 1_000_000
            ),
        )
    if any(b.kind == "heading" and b.level == 0 for b in blocks):  # a Title style above Heading 1s
        for b in blocks:
            if b.kind == "heading":
                b.level += 1
    text = render(blocks, fallback_title=fallback_title)
    counts["pairs"] = sum(1 for b in blocks if b.kind == "pair")
    return Document("docx", text, counts)


def _short(exc: Exception) -> str:
    msg = str(exc).strip().split("\n")[0][:160]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


_STYLE_RE = re.compile(rb'<w:style\b[^>]*?w:styleId="([^"]+)"[^>]*>\s*<w:name\s+w:val="([^"]*)"')


def _style_names(xml: bytes) -> dict[str, str]:
    """Style id -> name. Word's styles part is large (latent styles): a pattern finds the pairs in a
    fraction of the time a parse takes; the parse is the fallback for unusual namespace prefixes."""
    if not xml:
        return {}
    found = {
        m.group(1).decode("utf-8", "replace"): m.group(2).decode("utf-8", "replace")
        for m in _STYLE_RE.finditer(xml)
    }
    if found:
        return found
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return {}
    names: dict[str, str] = {}
    for el in root.iter(f"{W}style"):
        name, style_id = el.find(f"{W}name"), el.get(f"{W}styleId")
        if style_id and name is not None:
            names[style_id] = name.get(f"{W}val") or ""
    return names


def _core_title(xml: bytes) -> str | None:
    if not xml:
        return None
    try:
        title = ET.fromstring(xml).find(f"{DC}title")
    except ET.ParseError:
        return None
    return (squash(title.text or "") or None) if title is not None else None


def _walk(container, blocks: list[Block], styles: dict[str, str], counts: dict, deadline: Deadline) -> None:
    stack = list(reversed(list(container)))
    n = 0
    while stack:
        el = stack.pop()
        n += 1
        if n % 200 == 0:
            deadline.check(Message(N_("part {n}"), n=n))
        tag = el.tag
        if tag == f"{W}p":
            block = _paragraph(el, styles, bool(blocks) and blocks[-1].kind == "pair")
            if block is not None:
                counts["paragraphs"] += 1
                blocks.append(block)
        elif tag == f"{W}tbl":
            counts["tables"] += 1
            blocks += _table(el)
        elif tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}smartTag"):
            stack.extend(reversed(list(el)))


def _text(el) -> str:
    """A paragraph's (or cell's) text: w:t, tabs and breaks; deleted text and field codes left out."""
    out: list[str] = []
    stack = [el]
    while stack:
        node = stack.pop()
        tag = node.tag
        if tag in _SKIP_RUN:
            continue
        if tag == f"{W}t":
            out.append(node.text or "")
        elif tag == f"{W}tab":
            out.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
        elif tag == f"{W}noBreakHyphen":
            out.append("-")
        elif tag == f"{W}p" and node is not el:
            out.append("\n")
            stack.extend(reversed(list(node)))
        elif tag != f"{W}pPr" and tag != f"{W}rPr":
            stack.extend(reversed(list(node)))
    return squash("".join(out))


def _paragraph(p, styles: dict[str, str], after_pair: bool) -> Block | None:
    text = _text(p)
    if not text:
        return None
    ppr = p.find(f"{W}pPr")
    style = ""
    if ppr is not None:
        pstyle = ppr.find(f"{W}pStyle")
        if pstyle is not None:
            sid = pstyle.get(f"{W}val") or ""
            style = styles.get(sid, sid)
    level = _heading_level(ppr, style)
    if level is not None:
        return Block("heading", text.replace("\n", " "), level=level)
    if style.lower().startswith("list") or (ppr is not None and ppr.find(f"{W}numPr") is not None):
        return Block("item", text)
    if text.count("\n") <= 1:
        pair = pair_from_text(text, after_pair)
        if pair is not None:
            return pair
    return Block("para", text)


def _heading_level(ppr, style: str) -> int | None:
    if style.lower() == "title":
        return 0
    m = _HEADING_STYLE.match(style.strip())
    if m:
        return max(1, int(m.group(1)))
    if ppr is not None:
        outline = ppr.find(f"{W}outlineLvl")
        if outline is not None:
            try:
                value = int(outline.get(f"{W}val"))
            except (TypeError, ValueError):
                return None
            return value + 1 if value < 9 else None
    return None


def _table(table) -> list[Block]:
    blocks: list[Block] = []
    for row in table.iter(f"{W}tr"):
        cells = [_text(tc) for tc in row.findall(f"{W}tc")]
        if not any(cells):
            continue
        first = cells[0]
        if (
            len(cells) == 2
            and first
            and "\n" not in first
            and len(first) <= 60
            and (known_label(first) or first.endswith(":") or len(first.split()) <= 4)
        ):
            blocks.append(Block("pair", ", ".join(ln for ln in cells[1].split("\n") if ln), label=first))
        else:
            line = " | ".join(c.replace("\n", " ") for c in cells if c)
            blocks.append(pair_from_text(line) or Block("para", line))
    return blocks
