"""Documents as they arrive: saved web pages, PDF, Word (DOCX) and OpenDocument (ODT) files.

Each reader turns a document into the structured text the layout readers in `layouts.py` understand
(see `structure.py`), so a project record gives the same fields whether it came as text, HTML, PDF or
DOCX. The format is told by content, never by file name: `%PDF-` for PDF, a zip holding
`word/document.xml` for DOCX or the ODF text mimetype for ODT, a doctype/`<html>` start for HTML.

A document that cannot be read raises `DocumentError` carrying the format and a reason for the user:
scanned (no text layer), encrypted, corrupt, too slow. Nothing here knows about the CLI or the index.
"""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass, field

from ..i18n import N_, Message, Nn_

BINARY_FORMATS = ("pdf", "docx", "odt")
TIME_LIMIT_S = 60.0  # per document; checked between pages and parts
MAX_PAGES = 5_000
MAX_TEXT_CHARS = 20_000_000  # the same bound as a text file's size


class DocumentError(ValueError):
    """A document that gives no text; `reason` (a Message, see i18n) is shown to the user, `kind` names
    the case."""

    def __init__(self, fmt: str, kind: str, reason: str):
        super().__init__(reason)
        self.format = fmt
        self.kind = kind  # "scanned", "encrypted", "corrupt", "empty", "timeout", "too-large"
        self.reason = reason


@dataclass
class Document:
    """What a reader made of a document: structured text, and what it saw (for `esfsearch parse`)."""

    format: str  # "html", "pdf", "docx", "odt"
    text: str
    info: dict = field(default_factory=dict)  # pages, paragraphs, tables, title ...

    def describe(self) -> Message:
        """What was read, for the user: 'PDF, 3 pages, 2 dropped lines' (a Message, see i18n)."""
        text = Message(N_("{format}"), format=self.format.upper())
        for key, counted in _COUNTED.items():
            if self.info.get(key):
                text = Message(N_("{text}, {more}"), text=text, more=Message(counted, n=self.info[key]))
        return text


# What `describe` counts, in its order.
_COUNTED = {
    "pages": Nn_("{n} page", "{n} pages"),
    "paragraphs": Nn_("{n} paragraph", "{n} paragraphs"),
    "tables": Nn_("{n} table", "{n} tables"),
    "pairs": Nn_("{n} pair", "{n} pairs"),
    "dropped_lines": Nn_("{n} dropped line", "{n} dropped lines"),
    "rejoined_words": Nn_("{n} rejoined word", "{n} rejoined words"),
}


class Deadline:
    """The time limit of one document; `check` raises DocumentError once it has passed."""

    def __init__(self, fmt: str, seconds: float = TIME_LIMIT_S):
        self.fmt, self.seconds, self.start = fmt, seconds, time.monotonic()

    def check(self, where: str = "") -> None:  # where: a Message ('page 3 of 10')
        if time.monotonic() - self.start > self.seconds:
            raise DocumentError(
                self.fmt,
                "timeout",
                Message(
                    N_("{format} took longer than {seconds:.0f} s to read (stopped at {where})")
                    if where
                    else N_("{format} took longer than {seconds:.0f} s to read"),
                    format=self.fmt.upper(),
                    seconds=self.seconds,
                    **({"where": where} if where else {}),
                ),
            )


def sniff(data: bytes) -> str | None:
    """'pdf', 'docx', 'odt' from the first bytes (and the zip directory), or None for anything else."""
    head = data[:1024]
    at = head.find(b"%PDF-")
    # At the start (readers allow a little junk before it); further in only with PDF objects after
    # it, so that a text that merely quotes "%PDF-" stays a text.
    if at != -1 and (not head[:at].strip(b" \t\r\n\xef\xbb\xbf") or b" obj" in data[at : at + 65536]):
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "word/document.xml" in names:
                    return "docx"
                if "mimetype" in names and zf.read("mimetype").strip() in (
                    b"application/vnd.oasis.opendocument.text",
                ):
                    return "odt"
                if "content.xml" in names and "META-INF/manifest.xml" in names:
                    return "odt"
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
            # A zip too damaged to list: a Word document if its first entry says so.
            if b"[Content_Types].xml" in data[:200] or b"word/" in data[:2000]:
                return "docx"
            if b"opendocument.text" in data[:200]:
                return "odt"
    return None


def sniff_head(head: bytes) -> bool:
    """Could a file starting with these bytes be a binary document (for choosing the size limit)?"""
    return head.startswith(b"PK\x03\x04") or b"%PDF-" in head[:1024]


def read_document(data: bytes, fmt: str, *, time_limit: float = TIME_LIMIT_S) -> Document:
    """Read a binary document of a format `sniff` named. Raises DocumentError."""
    deadline = Deadline(fmt, time_limit)
    if fmt == "pdf":
        from .pdf import read_pdf

        return read_pdf(data, deadline)
    if fmt == "docx":
        from .docx import read_docx

        return read_docx(data, deadline)
    if fmt == "odt":
        from .odt import read_odt

        return read_odt(data, deadline)
    raise DocumentError(fmt, "corrupt", Message(N_("unknown document format {format}"), format=repr(fmt)))


def looks_like_html(text: str) -> bool:
    from .html import looks_like_html as _looks

    return _looks(text)


def read_html(text: str) -> Document:
    from .html import html_to_text

    structured, info = html_to_text(text)
    return Document("html", structured, info)
