"""Turning raw file bytes into clean Unicode text.

Project texts arrive as UTF-8, UTF-8 with BOM, UTF-16, or legacy Windows-1252/Latin-1 exports.
Detect instead of guessing, then normalise so that a decomposed "å" equals a composed one.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from .i18n import N_, Message


class UnreadableText(ValueError):
    """The bytes are not text we can read; the message (a Message, see i18n) says why."""


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
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
