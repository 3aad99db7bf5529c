"""OpenDocument text (ODT) -> structured text.

An ODT file is a zip with the text in `content.xml`; the standard library reads it (zipfile and the
expat-based ElementTree), so ODT costs no dependency. `text:h` headings become sections (outline
level 1 the title, else the document's `dc:title`), lists `- item` lines, two-cell table rows and
`Label: value` paragraphs label/value pairs.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree as ET

from ..i18n import N_, Message
from . import MAX_TEXT_CHARS, Deadline, Document, DocumentError
from .structure import Block, known_label, pair_from_text, render, squash

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DC = "http://purl.org/dc/elements/1.1/"
_SKIP = {
    f"{{{TEXT}}}note",
    f"{{{TEXT}}}tracked-changes",
    f"{{{OFFICE}}}annotation",
    f"{{{TEXT}}}sequence-decls",
    f"{{{TEXT}}}variable-decls",
}


def read_odt(data: bytes, deadline: Deadline) -> Document:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("content.xml")
            if info.file_size > MAX_TEXT_CHARS * 4:
                raise DocumentError("odt", "too-large", Message(N_("ODT content larger than the limit")))
            content = zf.read("content.xml")
            meta = zf.read("meta.xml") if "meta.xml" in zf.namelist() else b""
        root = ET.fromstring(content)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - zip and XML errors of a damaged file
        raise DocumentError(
            "odt", "corrupt", Message(N_("corrupt ODT: {why}"), why=f"{type(exc).__name__}: {str(exc)[:160]}")
        ) from exc
    fallback = None
    if meta:
        try:
            title = ET.fromstring(meta).find(f".//{{{DC}}}title")
            fallback = squash(title.text or "") if title is not None else None
        except ET.ParseError:
            fallback = None
    body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    if body is None:
        raise DocumentError("odt", "corrupt", Message(N_("corrupt ODT: no text body")))
    blocks: list[Block] = []
    _walk(body, blocks, deadline)
    deadline.check(Message(N_("the end")))
    if not any(b.text.strip() for b in blocks):
        raise DocumentError("odt", "empty", Message(N_("ODT without any text")))
    text = render(blocks, fallback_title=fallback or None)
    return Document(
        "odt",
        text,
        {
            "paragraphs": sum(1 for b in blocks if b.kind in ("para", "item")),
            "pairs": sum(1 for b in blocks if b.kind == "pair"),
        },
    )


def _walk(container, blocks: list[Block], deadline: Deadline) -> None:
    stack = list(reversed(list(container)))
    while stack:
        el = stack.pop()
        if len(blocks) % 500 == 0:
            deadline.check()
        tag = el.tag
        if tag == f"{{{TEXT}}}h":
            try:
                level = int(el.get(f"{{{TEXT}}}outline-level", "1"))
            except ValueError:
                level = 1
            blocks.append(Block("heading", _text(el).replace("\n", " "), level=max(1, level)))
        elif tag == f"{{{TEXT}}}p":
            text = _text(el)
            if text:
                after_pair = bool(blocks) and blocks[-1].kind == "pair"
                blocks.append(
                    (pair_from_text(text, after_pair) if text.count("\n") <= 1 else None)
                    or Block("para", text)
                )
        elif tag == f"{{{TEXT}}}list-item":
            paras = [c for c in el if c.tag in (f"{{{TEXT}}}p", f"{{{TEXT}}}h")]
            if paras:
                blocks.append(Block("item", "\n".join(_text(p) for p in paras)))
            stack.extend(reversed([c for c in el if c.tag == f"{{{TEXT}}}list"]))
        elif tag == f"{{{TABLE}}}table-row":
            cells = [
                squash("\n".join(_text(p) for p in c.iter(f"{{{TEXT}}}p")))
                for c in el
                if c.tag == f"{{{TABLE}}}table-cell"
            ]
            if not any(cells):
                continue
            if (
                len(cells) == 2
                and cells[0]
                and "\n" not in cells[0]
                and len(cells[0]) <= 60
                and (known_label(cells[0]) or cells[0].endswith(":") or len(cells[0].split()) <= 4)
            ):
                blocks.append(
                    Block("pair", ", ".join(ln for ln in cells[1].split("\n") if ln), label=cells[0])
                )
            else:
                line = " | ".join(c.replace("\n", " ") for c in cells if c)
                blocks.append(pair_from_text(line) or Block("para", line))
        elif tag not in _SKIP:
            stack.extend(reversed(list(el)))


def _text(el) -> str:
    """Paragraph text: spans and links inline, text:s as spaces, tabs, line breaks as newlines."""
    out: list[str] = []
    stack: list = [el]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
            continue
        tag = node.tag
        if tag in _SKIP:
            if node is not el and node.tail:
                out.append(node.tail)
            continue
        if tag == f"{{{TEXT}}}s":
            try:
                out.append(" " * int(node.get(f"{{{TEXT}}}c", "1")))
            except ValueError:
                out.append(" ")
        elif tag == f"{{{TEXT}}}tab":
            out.append("\t")
        elif tag == f"{{{TEXT}}}line-break":
            out.append("\n")
        elif node.text:
            out.append(node.text)
        if node is not el and node.tail:
            stack.append(node.tail)
        if tag not in (f"{{{TEXT}}}s", f"{{{TEXT}}}tab", f"{{{TEXT}}}line-break"):
            stack.extend(reversed(list(node)))
    return squash("".join(out))
