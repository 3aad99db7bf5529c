"""Saved web pages (project-bank and EBS2020 pages) -> structured text.

Parsed with selectolax's Lexbor engine: an HTML5 parser in C that repairs broken markup the way a
browser does (lxml's libxml2 parser follows HTML 4 rules), with binary wheels for every platform,
regular releases and no other dependency; a project page takes ~3 ms CPU here, parse and conversion
together (bench/formats.py). Page chrome (nav, header and footer outside the main
content, aside, scripts, styles, forms, cookie banners, hidden elements) is dropped; dt/dd, two-cell
table rows and `Label: value` paragraphs become label/value pairs; h1 is the title (`<title>` when
there is none) and h2-h6 are sections. Entities are decoded by the parser; `<br>` is a line break.
"""

from __future__ import annotations

import re
from typing import Any

from .structure import Block, known_label, pair_from_text, render, squash

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCK_TAGS = {
    "html",
    "body",
    "main",
    "article",
    "section",
    "div",
    "p",
    "ul",
    "ol",
    "menu",
    "dir",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "blockquote",
    "pre",
    "address",
    "figure",
    "figcaption",
    "hr",
    "fieldset",
    "legend",
    "details",
    "summary",
    "center",
    "header",
    "footer",
    "hgroup",
    "search",
}
DROP_TAGS = {
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "aside",
    "iframe",
    "svg",
    "math",
    "canvas",
    "button",
    "select",
    "option",
    "textarea",
    "input",
    "object",
    "embed",
    "form",
    "dialog",
    "picture",
    "video",
    "audio",
    "map",
    "img",
}
CONTENT_TAGS = {"main", "article"}
CHROME_ROLES = {
    "navigation",
    "banner",
    "contentinfo",
    "search",
    "dialog",
    "alertdialog",
    "complementary",
    "menu",
    "menubar",
}
_CHROME_WORDS = re.compile(
    r"cookie|consent|gdpr|samtycke|skip|breadcrumb|brodsmul|sr-only|visually-hidden|screen-reader|"
    r"share|social|navbar|site-header|site-footer|topbar|toolbar|print-hide|hidden-print",
    re.I,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.I | re.S,
)
_TITLE_SEPARATOR = re.compile(r"\s+[|·•]\s+")


def looks_like_html(text: str) -> bool:
    """A saved web page: starts with a doctype, <html>, <head>, <body>, <meta> or <title>."""
    return bool(_HTML_START.match(text[:4096]))


def html_to_text(html: str) -> tuple[str, dict]:
    """The page as structured text for the layout readers, and what was read (title, counts)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    page_title = ""
    title_node = tree.css_first("title")
    if title_node is not None:
        page_title = squash(title_node.text(deep=True)).replace("\n", " ")
        page_title = _TITLE_SEPARATOR.split(page_title)[0].strip()
    root = tree.body if tree.body is not None else tree.root
    blocks = _blocks(root) if root is not None else []
    text = render(blocks, fallback_title=page_title or None)
    info = {
        "title": page_title or None,
        "pairs": sum(1 for b in blocks if b.kind == "pair"),
        "headings": sum(1 for b in blocks if b.kind == "heading"),
    }
    return text, info


# ---------------------------------------------------------------- the walk


def _is_chrome(node, in_content: bool) -> bool:
    tag = node.tag
    if tag in DROP_TAGS:
        return True
    if tag in ("header", "footer") and not in_content:
        return True
    attrs = node.attributes
    if not attrs:
        return False
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    if (attrs.get("role") or "").lower() in CHROME_ROLES:
        return True
    if _HIDDEN_STYLE.search(attrs.get("style") or ""):
        return True
    marks = f"{attrs.get('id') or ''} {attrs.get('class') or ''}"
    return bool(marks.strip()) and bool(_CHROME_WORDS.search(marks))


def _blocks(root) -> list[Block]:
    """Document order walk without recursion (deeply nested pages must not overflow the stack)."""
    blocks: list[Block] = []
    buf: list[str] = []

    def flush() -> None:
        text = squash("".join(buf))
        buf.clear()
        if text:
            after_pair = bool(blocks) and blocks[-1].kind == "pair"
            blocks.append(
                (pair_from_text(text, after_pair) if text.count("\n") <= 1 else None) or Block("para", text)
            )

    stack: list[tuple[Any, bool, bool]] = [(root, False, False)]  # (node, closing, in_content)
    while stack:
        node, closing, in_content = stack.pop()
        if closing:
            flush()
            continue
        tag = node.tag
        if tag == "-text":
            buf.append(node.text_content or "")
            continue
        if tag.startswith("-") or _is_chrome(node, in_content):
            continue
        if tag == "br":
            buf.append("\n")
            continue
        if tag in HEADINGS:
            flush()
            blocks.append(Block("heading", _inline(node).replace("\n", " "), level=HEADINGS[tag]))
            continue
        if tag == "dl":
            flush()
            blocks += _definition_list(node, in_content)
            continue
        if tag == "table":
            flush()
            blocks += _table(node, in_content)
            continue
        if tag == "li":
            flush()
            blocks.append(Block("item", _inline(node, skip=("ul", "ol"))))
            nested = [c for c in _children(node) if c.tag in ("ul", "ol")]
            stack.extend((c, False, in_content) for c in reversed(nested))
            continue
        inside = in_content or tag in CONTENT_TAGS or (node.attributes or {}).get("role") == "main"
        if tag in BLOCK_TAGS:
            flush()
            pair = _label_value_element(node)
            if pair is not None:
                blocks.append(pair)
                continue
            stack.append((node, True, in_content))
        stack.extend((c, False, inside) for c in reversed(_children(node)))
    flush()
    return blocks


def _label_value_element(node) -> Block | None:
    """`<div><span class="label">Projektägare</span> <span>Borlänge kommun</span></div>` and the like:
    an element of exactly two parts, the first a known label, the second a short value."""
    parts = [
        c
        for c in _children(node)
        if c.tag != "-comment" and not (c.tag == "-text" and not (c.text_content or "").strip())
    ]
    if len(parts) != 2 or any(c.tag == "-text" or c.tag in ("ul", "ol", "dl", "table") for c in parts):
        return None
    label, value = _inline(parts[0]), _inline(parts[1])
    if (
        not label
        or "\n" in label
        or len(label) > 60
        or not known_label(label)
        or not value
        or len(value) > 300
    ):
        return None
    return Block("pair", ", ".join(value.split("\n")), label=label)


def _children(node) -> list:
    return list(node.iter(include_text=True))


def _inline(node, skip: tuple[str, ...] = ()) -> str:
    """The text of an element: <br> and block boundaries as line breaks, chrome and `skip` left out."""
    out: list[str] = []
    stack = [node]
    first = True
    while stack:
        n = stack.pop()
        if isinstance(n, str):
            out.append(n)
            continue
        tag = n.tag
        if tag == "-text":
            out.append(n.text_content or "")
            continue
        if not first and (tag.startswith("-") or tag in skip or _is_chrome(n, True)):
            continue
        first = False
        if tag == "br":
            out.append("\n")
            continue
        block = tag in BLOCK_TAGS or tag in HEADINGS
        if block:
            out.append("\n")
            stack.append("\n")
        stack.extend(reversed(_children(n)))
    return squash("".join(out))


def _definition_list(node, in_content: bool) -> list[Block]:
    blocks: list[Block] = []
    label: str | None = None
    values: list[str] = []

    def emit() -> None:
        if label is not None:
            blocks.append(Block("pair", _join_values(values), label=label))

    for child in _children(node):
        tag = child.tag
        if tag == "div":  # <dl><div><dt/><dd/></div></dl> is valid HTML too
            blocks += _definition_list(child, in_content)
            continue
        if tag == "dt":
            emit()
            label, values = _inline(child).replace("\n", " "), []
        elif tag == "dd" and not _is_chrome(child, True):
            values.append(_list_value(child))
    emit()
    return blocks


def _list_value(node) -> str:
    items = node.css("li")
    if items:
        return "\n".join(_inline(li) for li in items)
    return _inline(node)


def _join_values(values: list[str]) -> str:
    lines = [ln for v in values for ln in v.split("\n") if ln.strip()]
    return ", ".join(lines)


def _table(node, in_content: bool) -> list[Block]:
    blocks: list[Block] = []
    caption = node.css_first("caption")
    if caption is not None and _inline(caption):
        blocks.append(Block("para", _inline(caption)))
    for row in node.css("tr"):
        cells = [c for c in _children(row) if c.tag in ("td", "th") and not _is_chrome(c, True)]
        texts = [_inline(c) for c in cells]
        if not any(texts):
            continue
        if (
            len(cells) == 2
            and texts[0]
            and "\n" not in texts[0]
            and len(texts[0]) <= 60
            and (cells[0].tag == "th" or known_label(texts[0]) or texts[0].endswith(":"))
        ):
            blocks.append(Block("pair", ", ".join(t for t in texts[1].split("\n") if t), label=texts[0]))
        else:
            line = " | ".join(t.replace("\n", " ") for t in texts if t)
            blocks.append(pair_from_text(line) or Block("para", line))
    return blocks
