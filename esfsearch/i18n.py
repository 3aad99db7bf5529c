"""One language at a time: which one (Swedish or English), and the gettext catalogue that words it.

The language is, in this order: what the program was told (`--lang sv|en`, through `set_language`),
else $ESFSEARCH_LANG, else the first non-empty of the POSIX variables in gettext's order (LANGUAGE,
LC_ALL, LC_MESSAGES, LANG): `sv`, `sv_SE.UTF-8`, `sv_FI` … are Swedish, anything else (`C`, `POSIX`,
`en_GB`, unset) is English. Only the variables' text is read: no `locale.setlocale`, so a Swedish user
gets Swedish even where the sv_SE locale was never generated. It is decided at every call, so a test
(or a long-running UI) that changes the environment gets the language it asks for.

The English text is the msgid in the code; Swedish is `locale/sv/LC_MESSAGES/esfsearch.po`, compiled
to the `.mo` beside it (stdlib gettext reads it; nothing else is needed at run time). To add a string:

1. mark it: `_("Searched: {query}").format(query=...)`, `ngettext("{n} project", "{n} projects", n)`,
   or `N_("…")` where it is defined before the language is known (class attributes), with `_()` where
   it is shown;
2. extract and merge:  `python tools/catalogue.py update`  (Babel, from the test extra);
3. translate the new `msgstr` in the .po (keep every `{placeholder}`);
4. compile:  `python tools/catalogue.py compile`, and commit the .po and the .mo together.

tests/test_i18n.py fails when a marked string has no translation, placeholders differ, or the .mo is
older than the .po.

Core modules (ingest, formats, index, saved …) never word anything for a terminal: what they report
(why a file was skipped, what is wrong with the index) is a `Message`, the English text that keeps its
msgid and values, `Message(N_("cannot read: {why}"), why=exc.strerror)` (or with `Nn_("one", "many")`
and a value `n` for a count). It *is* that English str, so logs, comparisons, exceptions and JSON keep
the English text; `esfsearch.presentation.worded()` words it in the user's language. `Message.data()` is
its stable JSON form ({"text", "template", "values"}) for what is stored, `message_from()` reads it back.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

DOMAIN = "esfsearch"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("sv", "en")
ENV_VAR = "ESFSEARCH_LANG"
POSIX_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_chosen: str | None = None  # set by --lang (set_language); None: from the environment


def language_of(value: str) -> str:
    """'sv_SE.UTF-8', 'sv', 'sv-FI', 'sv:en' -> 'sv'; anything else ('C', 'en_US', '') -> 'en'."""
    first = value.strip().split(":")[0]
    return "sv" if re.split(r"[_.@-]", first.lower())[0] == "sv" else "en"


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """$ESFSEARCH_LANG, else the first non-empty POSIX locale variable, read as `language_of` does."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_VAR, "").strip()
    if explicit:
        return language_of(explicit)
    for name in POSIX_VARS:
        value = env.get(name, "").strip()
        if value:
            return language_of(value)
    return "en"


def set_language(lang: str | None) -> None:
    """Use this language from now on (`--lang`); None goes back to the environment's."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    global _chosen
    _chosen = lang


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Word what is inside in this language, whatever the user's is (both languages for a JSON key)."""
    global _chosen
    before = _chosen
    set_language(lang)
    try:
        yield
    finally:
        _chosen = before


def language() -> str:
    """'sv' or 'en': the one the program was told, else the environment's."""
    return _chosen or language_from_env()


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language; English is the msgids themselves."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def _(message: str) -> str:
    """The message in the current language."""
    return _catalogue(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for n, in the current language (both languages: 1 is singular)."""
    return _catalogue(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; `_()` translates it where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a count `{n}` for the catalogue (like ngettext), for a `Message`."""
    return singular, plural


class Message(str):
    """English text that keeps the msgid it was made from (`template`: a message, or the singular and
    plural of one with a count `n`) and its `values` (numbers, text, or Messages of their own)."""

    template: str | tuple[str, str]
    values: dict[str, Any]

    def __new__(cls, template: str | tuple[str, str], /, **values: Any) -> Message:
        msgid = template if isinstance(template, str) else template[values["n"] != 1]
        self = super().__new__(cls, msgid.format(**values))
        self.template, self.values = template, values
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # to and from the build's worker processes
        return (_message, (self.template, self.values))

    def data(self) -> dict[str, Any]:
        """The stable JSON form: the English text, its msgid(s) and values (Messages as data too)."""
        template = self.template if isinstance(self.template, str) else list(self.template)
        values = {k: v.data() if isinstance(v, Message) else v for k, v in self.values.items()}
        return {"text": str(self), "template": template, "values": values}


def _message(template: str | tuple[str, str], values: dict[str, Any]) -> Message:
    return Message(template, **values)


def message_from(data: Any) -> str:
    """A Message from its `data()`; anything else (plain text stored by an older esfsearch) as text."""
    if not isinstance(data, dict):
        return str(data)
    template = data.get("template")
    values = {k: message_from(v) if isinstance(v, dict) else v for k, v in data.get("values", {}).items()}
    try:
        return Message(template if isinstance(template, str) else tuple(template), **values)  # type: ignore[arg-type]
    except (KeyError, IndexError, TypeError, ValueError):
        return str(data.get("text", ""))
