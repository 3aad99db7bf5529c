"""Document structure -> the structured text the layout readers understand.

The HTML, DOCX and ODT readers (and the PDF reader, for label/value lines set in two columns) turn a
document into a list of `Block`s: headings, paragraphs, list items and label/value pairs. `render`
writes them out in the text layout the pairs belong to, so that the existing readers in `layouts.py`
give the same fields whichever way a record arrived:

* a `Diarienummer` (or other id) pair -> the project-bank / ESF+ record layout: `ID - Title`, blank,
  `Label:` / value lines, blank, the text;
* at least three of the EBS2020 page labels and no id -> the EBS2020 page layout: the title, then the
  labels glued to their values (`ProjektägareRegionförbundet Sörmland`), then the text;
* otherwise the title, `Label: value` lines and the text (free text).

Headings become lone lines between blank lines (the sections of `split_sections`); paragraphs follow
each other line by line, as in the project texts; list items become `- item` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..layouts import _GLUED, LABELS

_SPACES = re.compile(r"\s+")
_INLINE_PAIR = re.compile(r"^([A-ZÅÄÖÉa-zåäöé][^:\n]{0,60}?)\s*:\s*(.*)$", re.S)
_GLUED_BY_LOWER = {g.lower(): g for g in _GLUED}
_RECORD_LABEL = re.compile(r"^[A-ZÅÄÖÉ][^:\n]{1,60}$")  # what layouts.read_label_record takes


@dataclass
class Block:
    kind: str  # "heading", "para", "item", "pair", "break" (a blank line)
    text: str  # the text; for a pair, the value
    level: int = 0  # heading level (1 = the title)
    label: str = ""  # for a pair


def squash(text: str) -> str:
    """Runs of whitespace (not newlines) to one space, each line stripped, blank lines dropped."""
    lines = (_SPACES.sub(" ", ln).strip() for ln in text.replace("\u00ad", "").split("\n"))
    return "\n".join(ln for ln in lines if ln)


def known_label(label: str) -> bool:
    low = label.strip().rstrip(":").strip().lower()
    return low in LABELS or low in _GLUED_BY_LOWER


def pair_from_text(text: str, after_pair: bool = False) -> Block | None:
    """'Projektägare: Borlänge kommun' (or 'Projektägare:' newline value) with a known label -> a pair.
    Right after another pair, a short 'Label: value' with a label we do not know is one too."""
    m = _INLINE_PAIR.match(text.strip())
    if not m or "\n" in m.group(1):
        return None
    if not known_label(m.group(1)) and not (after_pair and len(m.group(1)) <= 40 and len(m.group(2)) <= 80):
        return None
    value = squash(m.group(2))
    if value.count("\n") > 1:
        return None
    return Block("pair", value.replace("\n", ", "), label=m.group(1))


def _label(label: str) -> str:
    label = _SPACES.sub(" ", label).strip().rstrip(":").strip()
    return label[:1].upper() + label[1:]


def _value(value: str) -> str:
    return ", ".join(squash(value).split("\n"))


def render(blocks: list[Block], *, fallback_title: str | None = None) -> str:
    """The blocks as structured text (see the module docstring)."""
    blocks = [b for b in blocks if b.text.strip() or b.kind in ("pair", "break")]
    title_at = next((i for i, b in enumerate(blocks) if b.kind == "heading" and b.level == 1), None)
    title = (
        squash(blocks[title_at].text).replace("\n", " ") if title_at is not None else (fallback_title or "")
    )
    pairs = [b for b in blocks if b.kind == "pair" and b.label.strip()]
    first_pair = next((i for i, b in enumerate(blocks) if b.kind == "pair"), None)
    body_at: list[int] = []
    for i, b in enumerate(blocks):
        if i == title_at or b.kind == "pair":
            continue
        if title_at is not None and i < title_at and _is_crumb(b):
            continue  # breadcrumbs and skip links above the page title
        body_at.append(i)
    if first_pair is not None and title_at is None and not fallback_title:
        # No h1: the last short line before the fields is the title (as in a printed page).
        before = [i for i in body_at if i < first_pair and blocks[i].kind != "break"]
        if before and len(blocks[before[-1]].text) <= 150 and "\n" not in blocks[before[-1]].text.strip():
            title = squash(blocks[before[-1]].text)
            body_at.remove(before[-1])
    body = _render_body([blocks[i] for i in body_at])
    head: list[str] = []
    tail: list[str] = []
    ids = [b for b in pairs if LABELS.get(_label(b.label).lower()) == "id"]
    glued = [b for b in pairs if _label(b.label).lower() in _GLUED_BY_LOWER]
    if ids:
        main = next((b for b in ids if _label(b.label).lower() == "diarienummer"), ids[0])
        ordered = [main] + [b for b in pairs if b is not main]
        dnr = _value(main.text)
        if dnr and title.startswith(f"{dnr} - "):
            title = title[len(dnr) + 3 :]
        head.append(f"{dnr} - {title}" if title and dnr else (title or dnr))
        head.append("")
        for b in ordered:
            label = "Diarienummer" if b is main else _label(b.label)
            if not _RECORD_LABEL.match(label):  # the record reader would stop at it: keep it below
                tail.append(f"{label}: {_value(b.text)}")
                continue
            head.append(f"{label}:")
            if _value(b.text):
                head.append(_value(b.text))
    elif len({_label(b.label).lower() for b in glued}) >= 3:
        if title:
            head += [title, ""]
        for b in glued:
            if _value(b.text):
                head.append(_GLUED_BY_LOWER[_label(b.label).lower()] + _value(b.text))
        # Other labels would end the page's field block: they follow the text.
        tail += [f"{_label(b.label)}: {_value(b.text)}" for b in pairs if b not in glued and _value(b.text)]
    else:
        if title:
            head += [title, ""]
        head += [f"{_label(b.label)}: {_value(b.text)}" for b in pairs if _value(b.text)]
    if tail:
        body = f"{body}\n\n" + "\n".join(tail) if body else "\n".join(tail)
    text = "\n".join(head).strip()
    return f"{text}\n\n{body}".strip() if body else text


def _is_crumb(block: Block) -> bool:
    return (
        block.kind in ("para", "item")
        and len(block.text.split()) <= 8
        and not block.text.rstrip().endswith(".")
    )


def _render_body(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "break":
            out.append("")
            continue
        text = squash(b.text)
        if not text:
            continue
        if b.kind == "heading":
            out += ["", text.replace("\n", " "), ""]
        elif b.kind == "item":
            out += [f"- {line}" if n == 0 else line for n, line in enumerate(text.split("\n"))]
        else:
            out += text.split("\n")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
