"""One language at a time: how the language is chosen, that the Swedish catalogue is complete and
compiled, and that `query`, `show`, `stats` and `index` speak only the chosen language (a string-table
test: no text of the other language's catalogue shows). The TUI's Swedish screens: tests/test_tui.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("babel")

from commands import command_paths  # noqa: E402
from stringtable import foreign, pairs  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from esfsearch import i18n  # noqa: E402
from esfsearch.cli import app  # noqa: E402
from esfsearch.i18n import _, language, language_from_env, ngettext, set_language, speaking  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import catalogue  # noqa: E402

runner = CliRunner()
SWEDISH = {"LANG": "sv_SE.UTF-8", "LC_ALL": None}  # conftest sets LC_ALL=C.UTF-8, which would win
ENGLISH = {"LANG": "C", "LC_ALL": None}


# ---------------------------------------------------------------- choosing the language


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_FI"}, "sv"),
        ({"LANG": "sv"}, "sv"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "svenska"}, "en"),  # no locale name: not Swedish
        ({"LANG": "", "LC_ALL": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_SE.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL before LANG
        ({"LANG": "C", "LC_MESSAGES": "sv_SE.UTF-8"}, "sv"),  # LC_MESSAGES before LANG
        ({"LC_ALL": "sv_SE.UTF-8", "LC_MESSAGES": "C"}, "sv"),  # LC_ALL before LC_MESSAGES
        ({"LANGUAGE": "sv:en", "LC_ALL": "C"}, "sv"),  # LANGUAGE first, its first language
        ({"LANGUAGE": "", "LANG": "sv_SE"}, "sv"),  # empty ones are skipped
        ({"ESFSEARCH_LANG": "en", "LANGUAGE": "sv", "LANG": "sv_SE.UTF-8"}, "en"),
        ({"ESFSEARCH_LANG": "sv", "LC_ALL": "C"}, "sv"),
    ],
)
def test_language_from_the_environment(env, expected):
    assert language_from_env(env) == expected


def test_set_language_overrides_the_environment_until_reset(monkeypatch):
    monkeypatch.setenv("LC_ALL", "sv_SE.UTF-8")
    assert language() == "sv" and _("Searched: {query}") == "Sökte: {query}"
    set_language("en")
    assert language() == "en" and _("Searched: {query}") == "Searched: {query}"
    with speaking("sv"):
        assert _("never") == "aldrig"
    assert language() == "en"
    set_language(None)
    assert language() == "sv"
    with pytest.raises(ValueError):
        set_language("de")


def test_swedish_works_without_the_locale_being_generated(monkeypatch):
    """Only the variables' text counts: sv_SE need not exist on the machine (no setlocale)."""
    monkeypatch.setenv("LC_ALL", "sv_SE.ISO-NOT-INSTALLED")
    assert ngettext("{n} project", "{n} projects", 2) == "{n} projekt"
    assert ngettext("{n} record", "{n} records", 1) == "{n} post"


# ---------------------------------------------------------------- the catalogue


def test_every_marked_string_has_a_swedish_translation():
    marked = {m.id for m in catalogue.extract() if m.id}
    po = catalogue.read()
    translated = {m.id: m for m in po if m.id}
    assert marked - set(translated) == set(), "run `python tools/catalogue.py update` and translate"
    assert set(translated) - marked == set(), "the .po has strings the code no longer marks"
    for m in translated.values():
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), m.id
        assert not m.fuzzy, m.id
        if isinstance(m.id, tuple):
            assert len(strings) == 2, m.id  # Swedish, like English, has one and many
    assert po.plural_forms == "nplurals=2; plural=(n != 1);"


def test_placeholders_are_the_same_in_both_languages():
    placeholder = re.compile(r"\{[^{}]*\}|%\(?\w*\)?[sd]")
    for en, sv in pairs():
        assert sorted(placeholder.findall(en)) == sorted(placeholder.findall(sv)), en
        sv.format(**{name.strip("{}").split(":")[0]: 1 for name in placeholder.findall(sv)})  # formats


def test_the_committed_mo_is_the_compiled_po():
    assert catalogue.MO.read_bytes() == catalogue.compiled(catalogue.read()), (
        "run `python tools/catalogue.py compile`"
    )


def test_the_package_reads_the_catalogue_it_ships():
    assert i18n.LOCALE_DIR == Path(i18n.__file__).parent / "locale"
    with speaking("sv"):
        assert _("Searched: {query}").format(query="x") == "Sökte: x"
        assert (
            ngettext('{n} new match for "{name}"', '{n} new matches for "{name}"', 3).format(
                n=3, name="kompetens"
            )
            == '3 nya träffar för "kompetens"'
        )


# ---------------------------------------------------------------- the commands in each language


@pytest.fixture(scope="module")
def ix(shipped_index, tmp_path_factory) -> Path:
    """A copy of the shipped index (`index` writes to it)."""
    target = tmp_path_factory.mktemp("lang") / "ix"
    shutil.copytree(shipped_index, target)
    return target


def screens(ix: Path) -> dict[str, list[str]]:
    """Every command of the issue, with the outputs that show most of its wording."""
    return {
        "query": ["query", "kompetensförsörjning", "--facets", "--no-snippets", "-n", "3"],
        "query filters": [
            "query",
            "bredband -fond:esf stöd:>1m",
            "år:2016..2018",
            "--no-snippets",
            "-n",
            "2",
        ],
        "query none": ["query", "bredbnd"],
        "query past end": ["query", "bredband", "--page", "99"],
        "query cut": ["query", "bredband", "--ids", "-n", "1"],
        "query error": ["query", "fond:xyz"],
        "query unknown field": ["query", "fnd:esf"],
        "query nothing": ["query", "&&"],
        "query usage": ["query", "x", "--json", "--csv"],
        "query bad year": ["query", "år:20x9"],
        "query short prefix": ["query", "a*"],
        "show": ["show", "2020/00639"],
        "show missing": ["show", "no-such-id"],
        "stats": ["stats"],
        "index": ["index", str(REPO / "corpus")],
        "index missing": ["index", str(REPO / "no-such-folder")],
    }


WIDE = {"COLUMNS": "1000"}  # no value wraps, so each can be blanked out whole


def render(ix: Path, args: list[str], env: dict, lang: str | None = None) -> str:
    front = ["--lang", lang] if lang else []
    result = runner.invoke(app, [*front, *args, "--index", str(ix)], env={**env, **WIDE})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout + result.stderr


def _strings(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


def without_data(ix: Path, args: list[str], text: str) -> str:
    """The output less the projects' own values (owners, regions, facet values: Swedish in either
    language), found in the command's --json output; `show` also less the project's text."""
    if args[0] == "show":
        text = text.split("\n\n", 1)[0]
    if args[0] in ("query", "show") and not {"--json", "--csv", "--ids"} & set(args):
        result = runner.invoke(app, [*args, "--json", "--index", str(ix)])
        if result.exit_code in (0, 1) and result.stdout.strip():
            values = _strings(json.loads(result.stdout))
            for value in sorted({v for v in values if len(v) > 2}, key=len, reverse=True):
                text = text.replace(value, "·")
    return text


@pytest.mark.parametrize(
    ("env", "flag", "lang"),
    [(SWEDISH, None, "sv"), (ENGLISH, None, "en"), (ENGLISH, "sv", "sv"), (SWEDISH, "en", "en")],
    ids=["LANG=sv", "LANG=C", "LANG=C --lang sv", "LANG=sv --lang en"],
)
def test_every_command_speaks_one_language(ix, env, flag, lang):
    seen = {}
    for name, args in screens(ix).items():
        text = render(ix, args, env, flag)
        seen[name] = text
        assert foreign(without_data(ix, args, text), lang) == [], f"{name}: {text}"
    words = {
        "sv": {
            "query": [
                "Sökte:",
                "projekt matchar; visar 1–3",
                "Projektägare · region",
                "Fond:",
                "Programområde:",
            ],
            "query filters": ["inte fond = ESF", "EU-stöd > 1 000 000 kr", "år 2016–2018"],
            "query none": ["Inga projekt matchar", "Menade du:"],
            "query past end": ["sida 99 ligger efter slutet", "sidor med 10"],
            "query cut": ["visar 1 av", "--all för alla träffar"],
            "query error": ["inget projekt har fond 'xyz'"],
            "query unknown field": ["okänt fält 'fnd'; menade du 'fund'?"],
            "query nothing": ["inget att söka efter i '&&'"],
            "query usage": ["välj en av --json"],
            "query bad year": ["år: väntar sig ett år som 2019 eller ett intervall 2018..2020, inte '20x9'"],
            "query short prefix": ["prefixet 'a*' är för kort"],
            "show": ["Projektägare", "Beviljat stöd (kr)", "Programperiod", "Källfil"],
            "show missing": ["inget projekt med id 'no-such-id'"],
            "stats": ["Poster", "från", "Fonder", "Inaktuellt"],
            "index": [
                "Uppdaterade",
                "poster (0 tillagda",
                "oförändrade) på",
                "Inte projekttexter, utelämnade",
            ],
            "index missing": ["filen eller katalogen finns inte"],
        },
        "en": {
            "query": [
                "Searched:",
                "projects match; showing 1–3",
                "Owner · region",
                "Fund:",
                "Programme area:",
            ],
            "query filters": ["not fund = ESF", "EU support > 1 000 000 kr", "year 2016–2018"],
            "query none": ["No projects match", "Did you mean:"],
            "query past end": ["page 99 is past the end", "pages of 10"],
            "query cut": ["showing 1 of", "--all for every hit"],
            "query error": ["no project has fund 'xyz'"],
            "query unknown field": ["unknown field 'fnd'; did you mean 'fund'?"],
            "query nothing": ["nothing to search for in '&&'"],
            "query usage": ["choose one of --json"],
            "query bad year": ["år: expects a year such as 2019 or a range 2018..2020, not '20x9'"],
            "query short prefix": ["the prefix 'a*' is too short"],
            "show": ["Owner", "Granted EU support (SEK)", "Programme period", "Source file"],
            "show missing": ["no project with id 'no-such-id'"],
            "stats": ["Records", "from", "Funds", "Stale"],
            "index": ["Updated", "records (added 0", "unchanged", "Not project texts, left out"],
            "index missing": ["no such file or directory"],
        },
    }[lang]
    for name, expected in words.items():
        for word in expected:
            assert word in seen[name], f"{name}: {word!r} not in {seen[name]}"


def test_the_string_table_catches_the_other_language():
    """The check itself: English wording in Swedish output is found, and the other way round."""
    assert {"projects match", "showing"} <= set(foreign("Sökte: x · 3 projects match; showing 1–3", "sv"))
    assert foreign("Beviljat stöd (kr)  5 000 kr", "en") == ["beviljat stöd (kr)"]  # any case
    assert foreign("Region: Övre Norrland · Index", "sv") == []  # the same in both languages


def test_a_real_process_speaks_swedish_under_a_swedish_locale(ix):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k != "LANGUAGE"}
    for lang_env, flags, expected in (
        ({"LANG": "sv_SE.UTF-8"}, [], "Sökte:"),
        ({"LANG": "C"}, [], "Searched:"),
        ({"LANG": "C"}, ["--lang", "sv"], "Sökte:"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "esfsearch", *flags, "query", "bredband", "-n", "1", "--index", str(ix)],
            capture_output=True,
            text=True,
            env={**env, **lang_env},
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.startswith(expected), proc.stderr
        assert foreign(proc.stdout + proc.stderr, "sv" if expected == "Sökte:" else "en") == []


def test_a_bad_lang_is_a_usage_error(ix):
    result = runner.invoke(app, ["--lang", "de", "stats", "--index", str(ix)])
    assert result.exit_code == 2 and "--lang must be sv or en" in result.stderr


def test_index_json_keeps_its_keys_in_either_language(ix):
    """Machine formats do not change with the language."""
    en = json.loads(render(ix, ["index", str(REPO / "corpus"), "--json"], ENGLISH).split("\n\n")[0])
    sv = json.loads(render(ix, ["index", str(REPO / "corpus"), "--json"], SWEDISH).split("\n\n")[0])
    assert set(en) == set(sv)


def test_the_tui_command_honours_lang(monkeypatch, tmp_path):
    """`esfsearch --lang sv tui` opens the UI in Swedish under an English locale, and the language goes
    back to the environment's when the command is done."""
    import esfsearch.tui

    seen = []
    monkeypatch.setattr(esfsearch.tui, "run_tui", lambda *args: seen.append((language(), _("Search"))))
    for flag, expected in (["--lang", "sv"], ("sv", "Sök")), ([], ("en", "Search")):
        result = runner.invoke(app, [*flag, "tui", "--index", str(tmp_path)], env=ENGLISH)
        assert result.exit_code == 0, result.output
        assert seen.pop() == expected
        assert language() == "en"


# ---------------------------------------------------------------- what core modules report


@pytest.fixture
def bad_corpus(tmp_path) -> Path:
    """A corpus with one readable project and files that are skipped, each for its own reason."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text("# Kompetens i Norrland\n\nEtt projekt om kompetens.\n", encoding="utf-8")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage\n")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "README.md").write_text("# About\n", encoding="utf-8")
    long_title = "# " + "Lång titel " * 200 + "\n\nText.\n"
    (corpus / "long.md").write_text(long_title, encoding="utf-8")
    return corpus


REASONS = {
    "sv": [
        "Hoppade över 3:",
        "skadad PDF-fil:",
        "tom fil",
        "titeln kortades till sina första 1 000 av 2 199 tecken",
    ],
    "en": ["Skipped 3:", "corrupt PDF:", "empty file", "title cut to its first 1,000 of 2,199 characters"],
}


@pytest.mark.parametrize(("env", "lang"), [(SWEDISH, "sv"), (ENGLISH, "en")], ids=["LANG=sv", "LANG=C"])
def test_skipped_files_are_reported_in_the_users_language(bad_corpus, tmp_path, env, lang):
    ix = tmp_path / "ix"
    for run in ("built", "unchanged"):  # the second run reports the reasons kept in the metadata
        result = runner.invoke(app, ["index", str(bad_corpus), "--index", str(ix)], env={**env, **WIDE})
        assert result.exit_code == 0, result.output
        text = result.stderr
        for words in REASONS[lang]:
            assert words in text, f"{run}: {words!r} not in {text}"
        assert foreign(text.replace(str(tmp_path), "·"), lang) == [], text
    parsed = runner.invoke(app, ["parse", str(bad_corpus / "empty.txt")], env=env)
    assert ("tom fil" if lang == "sv" else "empty file") in parsed.stderr
    summary = re.search(r" (?:in|på) (\d+[.,]\d) s\b", text)
    assert summary, text
    assert ("," if lang == "sv" else ".") in summary.group(1), "seconds written as the language writes them"


def test_reasons_kept_by_one_language_are_worded_in_the_other(bad_corpus, tmp_path):
    ix = tmp_path / "ix"
    assert runner.invoke(app, ["index", str(bad_corpus), "--index", str(ix)], env=ENGLISH).exit_code == 0
    again = runner.invoke(app, ["index", str(bad_corpus), "--index", str(ix)], env={**SWEDISH, **WIDE})
    assert "oförändrade" in again.stderr and "skadad PDF-fil:" in again.stderr, again.stderr


def test_index_json_reasons_are_english_with_their_template_and_values(bad_corpus, tmp_path):
    """--json gives each reason as English text (what it always was) and its msgid and values, the
    same in either language."""
    outputs = []
    for env in (SWEDISH, ENGLISH):
        result = runner.invoke(
            app, ["index", str(bad_corpus), "--index", str(tmp_path / "ix"), "--json"], env=env
        )
        outputs.append(json.loads(result.stdout)["skipped"])
    assert outputs[0] == outputs[1]
    by_reason = {entry["reason"]: entry for entry in outputs[0]}
    assert by_reason["empty file"]["template"] == "empty file"
    title = next(e for e in outputs[0] if e["reason"].startswith("title cut"))
    assert title["template"] == "title cut to its first {kept:,} of {total:,} characters"
    assert title["values"] == {"kept": 1000, "total": 2199}


def test_an_index_problem_is_worded_in_the_users_language(tmp_path):
    ix = tmp_path / "ix"
    ix.mkdir()
    (ix / "CURRENT").write_text("../elsewhere", encoding="utf-8")
    for env, expected in ((SWEDISH, "är skadad; bygg om med"), (ENGLISH, "is damaged; rebuild with")):
        result = runner.invoke(app, ["stats", "--index", str(ix)], env=env)
        assert result.exit_code == 3 and expected in result.stderr, result.stderr


def test_message_numbers_follow_the_language():
    from esfsearch.i18n import N_, Message, Nn_
    from esfsearch.presentation import worded

    size = Message(N_("file too large ({size:.1f} MB; limit {limit:.0f} MB)"), size=25.25, limit=20.0)
    assert size == "file too large (25.2 MB; limit 20 MB)"
    pages = Message(Nn_("PDF without any text ({n} page)", "PDF without any text ({n} pages)"), n=1)
    with speaking("sv"):
        assert worded(size) == "filen är för stor (25,2 MB; gränsen är 20 MB)"
        assert worded(pages) == "PDF-fil utan någon text (1 sida)"
        assert worded("plain text") == "plain text"
    with speaking("en"):
        assert worded(size) == size and worded(pages) == "PDF without any text (1 page)"
    import pickle

    again = pickle.loads(pickle.dumps(pages))
    assert again == pages and again.data() == pages.data()


@pytest.mark.parametrize(
    ("env", "lang", "labels"),
    [
        (SWEDISH, "sv", ["exakt ", "delar ", "förenklad ", "begrepp ", "utökat ", "rangordnas under"]),
        (
            ENGLISH,
            "en",
            ["exact ", "parts ", "folded ", "concepts ", "expanded ", "below every direct match"],
        ),
    ],
    ids=["LANG=sv", "LANG=C"],
)
def test_analyze_speaks_one_language(ix, env, lang, labels):
    terms = runner.invoke(app, ["analyze", "kompetensförsörjningsbehov"], env=env)
    explained = runner.invoke(
        app, ["analyze", "--query", "kompetensförsörjning", "--index", str(ix)], env=env
    )
    assert terms.exit_code == 0 and explained.exit_code == 0, explained.output
    text = terms.stdout + explained.stdout
    for label in labels:
        assert label in text, text
    assert foreign(text, lang) == [], text
    as_json = runner.invoke(app, ["analyze", "kompetensförsörjningsbehov", "--json"], env=env)
    assert set(json.loads(as_json.stdout)) == {"exact", "parts", "folded"}  # keys stay


def test_saved_search_errors_speak_one_language(tmp_path, monkeypatch):
    monkeypatch.setenv("ESFSEARCH_CONFIG_DIR", str(tmp_path / "config"))
    store = tmp_path / "config" / "saved-searches.json"
    cases = [
        (
            ["saved", "remove", "nosuch"],
            None,
            ["ingen sparad sökning heter 'nosuch'; det finns inga ännu"],
            ["no saved search named 'nosuch'; there are none yet"],
        ),
        (
            ["saved", "add", "  ", "x"],
            None,
            ["en sparad sökning behöver ett namn"],
            ["a saved search needs a name"],
        ),
        (
            ["saved", "list"],
            '{"searches": {"a": 3}}',
            ["är skadad: sökningen 'a' är inte ett objekt; rätta den eller ta bort den posten"],
            ["is damaged: search 'a' is not an object; fix it or remove that entry"],
        ),
        (["saved", "list"], "{not json", ["är skadad (inte giltig JSON:"], ["is damaged (not valid JSON:"]),
    ]
    for args, content, sv, en in cases:
        if content is not None:
            store.parent.mkdir(parents=True, exist_ok=True)
            store.write_text(content, encoding="utf-8")
        for env, lang, expected in ((SWEDISH, "sv", sv), (ENGLISH, "en", en)):
            result = runner.invoke(app, args, env={**env, **WIDE})
            assert result.exit_code in (1, 2), result.output
            for words in expected:
                assert words in result.stderr, result.stderr
            assert foreign(result.stderr.replace(str(tmp_path), "·"), lang) == [], result.stderr


# ---------------------------------------------------------------- --help

HELP_COMMANDS = command_paths()


def _help_text(text: str) -> str:
    """A help screen less the names that are the same in both languages: the commands, the options
    and the --sort values."""
    from esfsearch.fields import SORTS

    for value in sorted(SORTS, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "·", text)
    text = re.sub(r"--[a-z-]+", "--·", text)  # options
    text = re.sub(r"^(\S+ esfsearch(?: saved)?) [a-z]+ ", r"\1 · ", text)  # the command in the usage line
    return re.sub(r"^  [a-z]+  ", "  ·  ", text, flags=re.M)  # the commands' names in the list


@pytest.mark.parametrize(
    ("env", "front", "lang"),
    [
        (SWEDISH, [], "sv"),
        (ENGLISH, [], "en"),
        (ENGLISH, ["--lang", "sv"], "sv"),
        ({"ESFSEARCH_LANG": "sv"}, [], "sv"),
    ],
    ids=["LANG=sv", "LANG=C", "LANG=C --lang sv", "ESFSEARCH_LANG=sv"],
)
def test_help_speaks_one_language(env, front, lang):
    for args in HELP_COMMANDS:
        result = runner.invoke(app, [*front, *args, "--help"], env={**env, **WIDE})
        assert result.exit_code == 0, result.output
        text = result.stdout
        assert foreign(_help_text(text), lang) == [], f"{args}: {text}"
        if lang == "sv":
            assert text.startswith("Användning: ") and "Visa det här meddelandet och avsluta." in text, text
        else:
            assert text.startswith("Usage: ") and "Show this message and exit." in text, text
    top = runner.invoke(app, [*front, "--help"], env={**env, **WIDE}).stdout
    query = runner.invoke(app, [*front, "query", "--help"], env={**env, **WIDE}).stdout
    expected = {
        "sv": [
            (top, "Kommandon:"),
            (top, "Sök bland projekten; bäst matchande först."),
            (query, "Flaggor:"),
            (query, "Träffar per sida  [standard: 10; x>=1]"),
            (query, "Antal per region, fond"),
            (query, "Beviljat EU-stöd minst:"),
            (query, "amount eller budget"),
        ],
        "en": [
            (top, "Commands:"),
            (top, "Search the projects; best matches first."),
            (query, "Options:"),
            (query, "Hits per page  [default: 10; x>=1]"),
            (query, "Counts per region, fund"),
            (query, "Granted EU support at least:"),
            (query, "amount or budget"),
        ],
    }[lang]
    for text, words in expected:
        assert words in text, f"{words!r} not in {text}"


def test_help_leaves_the_commands_english_for_the_next_run():
    """Help is translated while it is rendered; the commands keep their English msgids."""
    sv = runner.invoke(app, ["--lang", "sv", "query", "--help"], env=ENGLISH).stdout
    en = runner.invoke(app, ["query", "--help"], env=ENGLISH).stdout
    assert "Träffar per sida" in sv and "Hits per page" in en and "Träffar" not in en


def test_help_is_quick():
    """`--help` in Swedish costs no more than in English: no module beyond the CLI's is imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k != "LANGUAGE"}
    code = (
        "import sys\n"
        "from esfsearch.cli.main import main\n"
        "sys.argv = ['esfsearch', 'query', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('whoosh', 'textual', 'esfsearch.search', 'esfsearch.index') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "LANG": "sv_SE.UTF-8"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Användning:" in proc.stdout and proc.stdout.strip().endswith("[]"), proc.stdout


@pytest.mark.parametrize(
    ("env", "lang", "words"),
    [
        (
            SWEDISH,
            "sv",
            ["DOCX, ", " stycken", "-> 1 post", "skannad PDF-fil: inget textlager (2 av 2 sidor är bilder)"],
        ),
        (
            ENGLISH,
            "en",
            ["DOCX, ", " paragraphs", "-> 1 record", "scanned PDF: no text layer (2 of 2 pages are images)"],
        ),
    ],
    ids=["LANG=sv", "LANG=C"],
)
def test_parse_says_what_it_read_in_the_users_language(tmp_path, env, lang, words):
    from docgen import parse_seed, scanned_pdf, to_docx

    seed = sorted((REPO / "corpus" / "seeds").glob("*.txt"))[0]
    (tmp_path / "a.docx").write_bytes(to_docx(parse_seed(seed)))
    (tmp_path / "s.pdf").write_bytes(scanned_pdf())
    result = runner.invoke(app, ["parse", str(tmp_path)], env={**env, **WIDE})
    for word in words:
        assert word in result.stderr, result.stderr
    assert foreign(result.stderr.replace(str(tmp_path), "·"), lang) == [], result.stderr


USAGE_ERRORS = {  # arguments -> (Swedish, English) words the error must have
    ("query", "--bogus"): ("Det finns ingen flagga --bogus", "No such option: --bogus"),
    ("shw",): (
        "Det finns inget kommando 'shw'. Menade du 'show'?",
        "No such command 'shw'. Did you mean 'show'?",
    ),
    ("show",): ("Argumentet 'ID' saknas.", "Missing argument 'ID'."),
    ("query", "--page", "x", "a"): (
        "Ogiltigt värde för '--page': 'x' är inget heltal.",
        "'x' is not a whole number.",
    ),
    ("saved", "bogus"): ("Det finns inget kommando 'bogus'.", "No such command 'bogus'."),
}


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
@pytest.mark.parametrize(("env", "lang"), [(SWEDISH, "sv"), (ENGLISH, "en")], ids=["LANG=sv", "LANG=C"])
def test_usage_errors_speak_one_language(args, env, lang):
    """Click's usage errors (an unknown option or command, a missing argument, a bad value) in the
    user's language, its frame ("Try … for help.", "Error:") included; exit 2 as Click's."""
    result = runner.invoke(app, list(args), env={**env, **WIDE})
    assert result.exit_code == 2, result.output
    expected = USAGE_ERRORS[args][0 if lang == "sv" else 1]
    assert expected in result.stderr, result.stderr
    assert ("Fel: " if lang == "sv" else "Error: ") in result.stderr
    assert foreign(result.stderr, lang) == [], result.stderr
    assert "Traceback" not in result.stderr
