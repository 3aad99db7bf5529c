"""The Swedish message catalogue: extract the marked strings, merge them into the .po, compile the .mo.

    python tools/catalogue.py update    # esfsearch/**.py -> esfsearch.pot -> sv/…/esfsearch.po
    python tools/catalogue.py compile   # sv/…/esfsearch.po -> sv/…/esfsearch.mo

Needs Babel (the test extra); the package itself reads the .mo with the standard library's gettext.
How a string is marked and added: esfsearch/i18n.py.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "esfsearch"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "esfsearch.pot"
PO = LOCALE / "sv" / "LC_MESSAGES" / "esfsearch.po"
MO = PO.with_suffix(".mo")
# _("…"), N_("…"), ngettext("one", "many", n) and Nn_("one", "many") (for a Message)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "Nn_": (1, 2)}


def extract() -> Catalog:
    """Every marked string in the package, with the files it is in (no line numbers: fewer diffs)."""
    catalog = Catalog(project="esfsearch", charset="utf-8", fuzzy=False)
    for filename, _lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        catalog.add(message, None, [(f"esfsearch/{filename}", None)], auto_comments=comments, context=context)
    return catalog


def read() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="sv")


def compiled(catalog: Catalog) -> bytes:
    """The .mo of a catalogue, as `compile` writes it (fuzzy entries left out)."""
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _write_po(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as f:
        write_po(f, catalog, width=110, include_lineno=False, ignore_obsolete=True, sort_output=True)


HEADER = """\
# Swedish messages of esfsearch: the English msgids are in the code (see esfsearch/i18n.py).
# Made by tools/catalogue.py update; translate the msgstr lines, then run tools/catalogue.py compile."""


def update() -> None:
    catalog = (
        read() if PO.exists() else Catalog(locale="sv", project="esfsearch", charset="utf-8", fuzzy=False)
    )
    template = extract()
    if PO.exists():  # the date stays that of the first extraction: an update changes only what changed
        template.creation_date = catalog.creation_date
    _write_po(POT, template)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.header_comment = HEADER
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "esfsearch"
    catalog.language_team = "Svenska"
    _write_po(PO, catalog)
    missing = [
        m.id for m in catalog if m.id and not (m.string[0] if isinstance(m.string, tuple) else m.string)
    ]
    print(f"{PO.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} to translate")


def compile_mo() -> None:
    MO.write_bytes(compiled(read()))
    print(f"wrote {MO.relative_to(ROOT)}")


if __name__ == "__main__":
    commands = {"update": update, "compile": compile_mo}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
