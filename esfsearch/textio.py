"""Turning raw file bytes into clean Unicode text.

Project texts arrive as UTF-8, UTF-8 with BOM, UTF-16, or legacy Windows-1252/Latin-1 exports.
Detect instead of guessing, then normalise so that a decomposed "å" equals a composed one.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator

from .i18n import N_, Message


class UnreadableText(ValueError):
    """The bytes are not text we can read; the message (a Message, see i18n) says why."""


_SPACE = r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
# Runs of spaces, less those that are one plain space already (replacing each of those by itself
# made cleaning twice as slow)
_SPACES = re.compile(rf"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]{_SPACE}*| {_SPACE}+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_MANY_BLANKS = re.compile(r"\n{3,}")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes, returning (text, encoding name). Raises UnreadableText."""
    if not data.strip():
        raise UnreadableText(Message(N_("empty file")))
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return _strict(data, "utf-32"), "utf-32"
    if b"\x00" in data[:8192]:
        raise UnreadableText(Message(N_("binary file (contains NUL bytes)")))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    return _detect_legacy(data, utf8_error)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableText(
            Message(N_("invalid {encoding} at byte {byte}"), encoding=encoding, byte=exc.start)
        ) from exc


def _detect_legacy(data: bytes, utf8_error: UnicodeDecodeError) -> tuple[str, str]:
    """Mostly-UTF-8 files with a few bad bytes stay UTF-8; real legacy files get detected."""
    from charset_normalizer import from_bytes

    # A file that is valid UTF-8 except for a few bytes is a damaged UTF-8 file, not cp1252.
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    multibyte = sum(1 for ch in replaced if ord(ch) > 127 and ch != "\ufffd")
    if multibyte and bad <= max(3, multibyte // 20):
        return replaced, "utf-8 (damaged bytes replaced)"
    best = from_bytes(data[:200_000], cp_isolation=["cp1252", "latin_1", "iso8859_15", "mac_roman"]).best()
    encoding = best.encoding if best is not None else "cp1252"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("latin-1")
        encoding = "latin-1"
    if _looks_binary(text):
        raise UnreadableText(
            Message(
                N_("not text: undecodable as UTF-8 ({why} at byte {byte})"),
                why=utf8_error.reason,
                byte=utf8_error.start,
            )
        )
    return text, encoding


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return True
    odd = sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\n\r\t")
    return odd / len(sample) > 0.05


def clean_text(text: str) -> str:
    """NFC, unified newlines, no control characters or trailing blanks, at most one empty line in a row."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return _MANY_BLANKS.sub("\n\n", text).strip()


def clean_value(value: str | None) -> str | None:
    """One-line field value: NFC, single spaces, None for blank."""
    if value is None:
        return None
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", str(value)).replace("\n", " ")).strip()
    return value or None


# ---------------------------------------------------------------- files too large to decode at once

PIECE_BYTES = 1 << 20


def _byte_pieces(path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while piece := fh.read(PIECE_BYTES):
            yield piece


def stream_encoding(path) -> tuple[str, str, str]:
    """(codec, errors, name shown) for decoding a file piece by piece, chosen as `decode_bytes`
    chooses for the whole file, while reading it one piece at a time. Raises UnreadableText, OSError."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith(codecs.BOM_UTF8):
        codec, errors, name = "utf-8-sig", "strict", "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: same first bytes
        codec, errors, name = "utf-32", "strict", "utf-32"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec, errors, name = "utf-16", "strict", "utf-16"
    else:
        if b"\x00" in head:
            raise UnreadableText(Message(N_("binary file (contains NUL bytes)")))
        codec, errors, name = "utf-8", "strict", "utf-8"
    decoder = codecs.getincrementaldecoder(codec)(errors)
    blank, fed, at = True, 0, 0  # `at`: the file offset of the bytes the decoder decodes next
    try:
        for piece in _byte_pieces(path):
            blank = blank and not piece.strip()
            at = fed - len(decoder.getstate()[0])  # it holds the end of a character cut by a piece
            decoder.decode(piece)
            fed += len(piece)
        at = fed - len(decoder.getstate()[0])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        if codec != "utf-8":
            encoding = "utf-8" if codec == "utf-8-sig" else codec
            raise UnreadableText(
                Message(N_("invalid {encoding} at byte {byte}"), encoding=encoding, byte=at + exc.start)
            ) from exc
        return _stream_legacy(path, exc, at)
    if blank:
        raise UnreadableText(Message(N_("empty file")))
    return codec, errors, name


def _stream_legacy(path, utf8_error: UnicodeDecodeError, at: int) -> tuple[str, str, str]:
    """`_detect_legacy` one piece at a time."""
    from charset_normalizer import from_bytes

    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    bad = multibyte = 0
    for piece in _byte_pieces(path):
        text = decoder.decode(piece)
        bad += text.count("\ufffd")
        multibyte += sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    if multibyte and bad <= max(3, multibyte // 20):
        return "utf-8", "replace", "utf-8 (damaged bytes replaced)"
    with open(path, "rb") as fh:
        head = fh.read(200_000)
    best = from_bytes(head, cp_isolation=["cp1252", "latin_1", "iso8859_15", "mac_roman"]).best()
    encoding = best.encoding if best is not None else "cp1252"
    try:
        codecs.lookup(encoding)
        for piece in _byte_pieces(path):
            piece.decode(encoding)  # single-byte encodings: a piece decodes on its own
    except (UnicodeDecodeError, LookupError):
        encoding = "latin-1"
    if _looks_binary(head[:4096].decode(encoding, errors="replace")):
        raise UnreadableText(
            Message(
                N_("not text: undecodable as UTF-8 ({why} at byte {byte})"),
                why=utf8_error.reason,
                byte=at + utf8_error.start,
            )
        )
    return encoding, "strict", encoding


def clean_pieces(path, codec: str, errors: str) -> Iterator[str]:
    """The file's text decoded one piece at a time, each cleaned as `clean_text` cleans characters
    (NFC, one kind of newline, no control characters, one kind of space); runs of spaces are left as
    they are, and so are lines (`clean_text` strips them and drops blank ones), so that positions stay
    the file's, whatever the pieces (JSON: its values are cleaned as they are read into a record)."""
    decoder = codecs.getincrementaldecoder(codec)(errors)
    held = ""
    for piece in _byte_pieces(path):
        text = held + decoder.decode(piece)
        # NFC may join a character to the marks after it, and "\r\n" is one newline: keep the last
        # character back for the next piece, with the marks before it and a "\r" before those
        cut = len(text) - 1
        while cut > 0 and (unicodedata.combining(text[cut]) or text[cut - 1] == "\r"):
            cut -= 1
        held, text = text[cut:], text[:cut]
        if text:
            yield _clean_piece(text)
    text = held + decoder.decode(b"", final=True)
    if text:
        yield _clean_piece(text)


_ODD_SPACE = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def _clean_piece(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _ODD_SPACE.sub(" ", _CONTROL.sub("", text))  # (str.translate: 14 times slower)
