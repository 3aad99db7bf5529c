"""Readers for each source layout, chosen by content, never by file name.

Each reader takes clean text (see textio) and returns ProjectRecords, or raises LayoutError with a
reason the user sees. `detect_layout` decides which reader a text gets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .i18n import N_, Message, Nn_
from .records import MAX_RECORD_CHARS, RECORD_FIELDS, ProjectRecord, Section
from .textio import clean_text, clean_value
from .values import derive_period, parse_amount, parse_date, parse_int, parse_period, parse_rate, split_list


class LayoutError(ValueError):
    """The text is not in a layout we can read; the message (a Message, see i18n) says why."""


@dataclass
class RecordProblem:
    """One bad record inside an otherwise readable file (e.g. a JSON list)."""

    where: str  # the file, and the record in it
    reason: str  # a Message (i18n): worded for the user by presentation.worded


# ---------------------------------------------------------------- shared field mapping

# Label as written (lower-case, no colon) -> record field. Shared by the "Label:\nvalue" record
# layouts and the glued-label EBS2020 pages.
LABELS: dict[str, str] = {
    "diarienummer": "id",
    "ärende-id": "id",
    "ärendenummer": "id",
    "projektnummer": "project_number",
    "namn": "title",
    "projektnamn": "title",
    "startdatum": "start_date",
    "slutdatum": "end_date",
    "projektägare": "owner",
    "stödmottagare": "owner",
    "projektägare organisationsnummer": "owner_org_number",
    "organisationsnummer": "owner_org_number",
    "region": "region",
    "område": "region",
    "län": "county",
    "kommun": "municipalities",
    "kommuner": "municipalities",
    "planerat antal deltagare": "planned_participants",
    "projektperiod": "period",
    "total projektbudget": "total_budget",
    "beviljat esf-stöd": "eu_support",
    "beviljat esf+-stöd": "eu_support",
    "beviljat stöd": "eu_support",
    "beviljat belopp": "eu_support",
    "beviljat eu-stöd": "eu_support",
    "kontaktperson": "contact_name",
    "e-post": "contact_email",
    "telefonnummer": "contact_phone",
    "telefon": "contact_phone",
    "programområde": "programme_area",
    "specifikt mål": "specific_objective",
    "tematiskt mål": "thematic_objective",
    "insatsområde": "priority_axis",
    "prioriterat område": "priority_axis",
    "unionens medfinansieringsgrad": "cofinancing_rate",
    "medfinansieringsgrad": "cofinancing_rate",
    "interventionstyp": "intervention_type",
    "projektfas": "phase",
    "fas": "phase",
    "berörd fond": "fund",
    "fond": "fund",
    "program cci": "cci",
    "nuts-2 kod": "nuts2",
    "nuts2": "nuts2",
    "programperiod": "programme_period",
}


def _normalise_fund(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().upper().replace(" ", "")
    if v in ("ESF+", "ESFPLUS", "ESF+2021-2027"):
        return "ESF+"
    if v.startswith("ESF") or "SOCIALFOND" in v:
        return "ESF"
    if v in ("ERUF", "ERDF", "EFRU") or "REGIONALFOND" in v:
        return "ERUF"
    return value.strip()


def _normalise_phase(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    if v.startswith("förstudie"):
        return "förstudie"
    if v.startswith("genomförande"):
        return "genomförande"
    return v


def _dedupe_owner(value: str | None) -> str | None:
    """'Borlänge kommun, Borlänge kommun' -> 'Borlänge kommun'."""
    value = clean_value(value)
    if not value:
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 2 and parts[0].lower() == parts[1].lower():
        return parts[0]
    return value


def build_record(
    fields: dict[str, Any],
    *,
    layout: str,
    source_path: str,
    default_id: str,
    summary: str = "",
    sections: list[Section] | None = None,
    title_hint: str | None = None,
    fund_hint: str | None = None,
) -> ProjectRecord:
    """Turn label-mapped raw values into a typed record; derive what the source leaves implicit."""
    f = {k: (clean_value(v) if isinstance(v, str) else v) for k, v in fields.items()}
    start, end = parse_date(f.get("start_date")), parse_date(f.get("end_date"))
    if f.get("period"):
        p_start, p_end = parse_period(f["period"])
        start, end = start or p_start, end or p_end
    fund = _normalise_fund(f.get("fund")) or fund_hint
    programme_area = f.get("programme_area")
    if programme_area:
        programme_area = re.sub(r"^(programområde)\s*", "", programme_area, flags=re.I) or programme_area
        programme_area = programme_area[:1].upper() + programme_area[1:]
    cci = f.get("cci")
    record = ProjectRecord(
        id=f.get("id") or default_id,
        title=f.get("title") or title_hint or default_id,
        layout=layout,
        source_path=source_path,
        summary=summary,
        sections=sections or [],
        owner=_dedupe_owner(f.get("owner")),
        owner_org_number=f.get("owner_org_number"),
        region=f.get("region"),
        county=_as_list(f.get("county")),
        municipalities=_as_list(f.get("municipalities")),
        fund=fund,
        programme_area=programme_area,
        specific_objective=f.get("specific_objective"),
        thematic_objective=f.get("thematic_objective"),
        priority_axis=f.get("priority_axis"),
        intervention_type=f.get("intervention_type"),
        phase=_normalise_phase(f.get("phase")),
        start_date=start,
        end_date=end,
        total_budget=parse_amount(f.get("total_budget")),
        eu_support=parse_amount(f.get("eu_support")),
        cofinancing_rate=parse_rate(f.get("cofinancing_rate")),
        planned_participants=parse_int(f.get("planned_participants")),
        nuts2=f.get("nuts2"),
        cci=cci,
        contact_name=f.get("contact_name"),
        contact_email=f.get("contact_email"),
        contact_phone=f.get("contact_phone"),
    )
    for name in ("total_budget", "eu_support", "planned_participants"):
        value = getattr(record, name)
        if value is not None and not -(2**63) < value < 2**63:
            setattr(record, name, None)  # not a real figure, and more than the index can hold
    derived = []  # what the source did not state (see esfsearch.merge for how this ranks)
    if not f.get("id"):
        derived.append("id")
    if not f.get("title"):
        derived.append("title")
    if record.phase is None:
        record.phase = _phase_from_text(record.title)
        if record.phase:
            derived.append("phase")
    record.programme_period = _normalise_period(f.get("programme_period"))
    if record.programme_period is None:
        record.programme_period = derive_period(record.fund, start, programme_area, cci)
        if record.programme_period:
            derived.append("programme_period")
    record.derived = derived
    return record.finalise()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in (clean_value(str(x)) for x in value) if v]
    return split_list(value)


def _normalise_period(value: str | None) -> str | None:
    if not value:
        return None
    years = re.findall(r"(?:19|20)\d\d", value)
    return f"{years[0]}-{years[1]}" if len(years) >= 2 else None


def _phase_from_text(title: str | None) -> str | None:
    if title and re.search(r"\bförstudie", title, re.I):
        return "förstudie"
    return None


# ---------------------------------------------------------------- sections

SECTION_HEADINGS = (
    "sammanfattning",
    "bakgrund",
    "målsättning",
    "mål",
    "syfte",
    "målgrupp",
    "genomförande",
    "aktiviteter",
    "resultat",
    "förväntade resultat",
    "tillgänglighet för personer med funktionsnedsättning",
    "transnationellt samarbete",
    "jämställdhet",
    "horisontella principer",
    "organisation",
    "projektorganisation",
    "metod",
    "effekter",
    "summary",
    "background",
)


def _is_heading(block: list[str]) -> bool:
    if len(block) != 1:
        return False
    line = block[0]
    if line.lower() in SECTION_HEADINGS:
        return True
    return (
        len(line) <= 70
        and line[:1].isupper()
        and not line.endswith((".", ":", ",", ";", "?", "!"))
        and len(line.split()) <= 8
        and not re.search(r"\d{3}", line)
    )


def split_sections(body: str) -> tuple[str, list[Section]]:
    """Blank-line blocks; a lone short line is a heading for the blocks after it.

    Returns (summary, sections): the summary is the 'Sammanfattning' section if there is one, otherwise
    the text before the first heading, otherwise the first section's text.
    """
    blocks = [b.split("\n") for b in body.split("\n\n") if b.strip()]
    intro: list[str] = []
    sections: list[Section] = []
    current: Section | None = None
    for block in blocks:
        if _is_heading(block):
            current = Section(block[0], "")
            sections.append(current)
            continue
        text = "\n".join(block)
        if current is None:
            intro.append(text)
        else:
            current.text = f"{current.text}\n\n{text}".strip()
    sections = [s for s in sections if s.text]
    if not sections:
        return "\n\n".join(intro), []
    for s in sections:
        if s.heading.lower() in ("sammanfattning", "summary"):
            summary = s.text
            break
    else:
        summary = "\n\n".join(intro) or sections[0].text
    if intro and summary != "\n\n".join(intro):
        sections.insert(0, Section("Inledning", "\n\n".join(intro)))
    return summary, sections


# ---------------------------------------------------------------- layout 1+2: "Label:" / value lines

_LABEL_LINE = re.compile(r"^([A-ZÅÄÖÉ][^:\n]{1,60}):\s*(.*)$")


def read_label_record(text: str, *, source_path: str, default_id: str) -> list[ProjectRecord]:
    """Project-bank and ESF+ records: 'DNR - Title', blank, 'Label:' line then value line, blank, summary."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.lower().startswith("diarienummer:")), None)
    if start is None:
        raise LayoutError(Message(N_("no 'Diarienummer:' line")))
    header = " ".join(lines[:start]).strip()
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    i = start
    while i < len(lines) and lines[i].strip():
        m = _LABEL_LINE.match(lines[i])
        if not m:
            break
        label, inline = m.group(1).strip(), m.group(2).strip()
        value = inline
        if not inline and i + 1 < len(lines) and lines[i + 1].strip() and not _is_label(lines[i + 1]):
            value = lines[i + 1].strip()
            i += 1
        i += 1
        key = LABELS.get(label.lower())
        if key:
            if value and key not in fields:
                fields[key] = value
        else:
            extra[label] = value
    body = "\n".join(lines[i:]).strip()
    title_hint = None
    if header:
        m = re.match(r"^\S+\s+-\s+(.+)$", header)
        title_hint = m.group(1) if m else header
    is_plus = "fund" in fields or "cci" in fields or "nuts2" in fields
    layout = "esfplus" if is_plus else "projectbank"
    fund_hint = None
    if not is_plus and any(k.lower().startswith("beviljat esf") for k in _labels_in(lines[start:i])):
        fund_hint = "ESF"
    summary, sections = split_sections(body)
    return [
        build_record(
            fields,
            layout=layout,
            source_path=source_path,
            default_id=default_id,
            summary=summary,
            sections=sections,
            title_hint=title_hint,
            fund_hint=fund_hint,
        )
    ]


def _is_label(line: str) -> bool:
    m = _LABEL_LINE.match(line)
    return m is not None and not m.group(2).strip() and len(line) < 70


def _labels_in(lines: list[str]) -> Iterator[str]:
    for line in lines:
        m = _LABEL_LINE.match(line)
        if m:
            yield m.group(1)


# ---------------------------------------------------------------- layout 3: EBS2020 web page

# Glued labels, longest first so 'Total projektbudget' wins over shorter prefixes.
_GLUED = sorted(
    [
        "Programområde",
        "Projektfas",
        "Projektägare",
        "Kontaktperson",
        "E-post",
        "Telefonnummer",
        "Beviljat ESF-stöd",
        "Total projektbudget",
        "Projektperiod",
        "Region",
        "Diarienummer",
        "Organisationsnummer",
        "Specifikt mål",
        "Insatsområde",
    ],
    key=len,
    reverse=True,
)
_GLUED_RE = re.compile(r"^(" + "|".join(re.escape(g) for g in _GLUED) + r")(?=\S)(.+)$")
_FURNITURE = re.compile(
    r"^(logotyp på utskrifter|stäng|in english|skriv ut|tillbaka|till toppen|dela|meny|sök|"
    r".*\bdriftstopp\b.*|.*\bservicearbete\b.*)$",
    re.I,
)


def looks_like_ebs(text: str) -> bool:
    hits = sum(1 for line in text.split("\n")[:80] if _GLUED_RE.match(line))
    return hits >= 3


def read_ebs_page(text: str, *, source_path: str, default_id: str) -> list[ProjectRecord]:
    lines = text.split("\n")
    fields: dict[str, str] = {}
    first_field = last_field = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        m = _GLUED_RE.match(stripped)
        if first_field is None:
            if m and sum(1 for ln in lines[i : i + 4] if _GLUED_RE.match(ln.strip())) >= 3:
                first_field = i
            else:
                continue
        if not m:
            if not stripped or _FURNITURE.match(stripped):
                continue
            break  # the field block ends at the first line of prose
        last_field = i
        key = LABELS.get(m.group(1).lower())
        if key and key not in fields:
            fields[key] = m.group(2).strip()
    if first_field is None or last_field is None:
        raise LayoutError(Message(N_("no EBS2020 field lines")))
    title = None
    for line in reversed(lines[:first_field]):
        if line.strip() and not _FURNITURE.match(line.strip()):
            title = line.strip()
            break
    body_lines = [ln for ln in lines[last_field + 1 :] if not _FURNITURE.match(ln.strip())]
    body = "\n".join(body_lines).strip()
    municipalities: list[str] = []
    kommun = re.search(r"(?m)^Kommun(?:er)?\n\n?((?:[•\-*·] ?.+(?:\n|$))+)", body + "\n")
    if kommun:
        municipalities = [
            re.sub(r"^\s*[•\-*·]\s*", "", ln).strip() for ln in kommun.group(1).split("\n") if ln.strip()
        ]
        body = (body[: kommun.start()] + body[kommun.end() :]).strip()
    summary, sections = split_sections(body)
    if municipalities:
        fields["municipalities"] = municipalities  # type: ignore[assignment]
    # The page states the fund in its 'Beviljat ESF-stöd' field, not in its prose.
    fund_hint = "ESF" if "eu_support" in fields else None
    return [
        build_record(
            fields,
            layout="ebs2020",
            source_path=source_path,
            default_id=default_id,
            summary=summary,
            sections=sections,
            title_hint=title,
            fund_hint=fund_hint,
        )
    ]


# ---------------------------------------------------------------- layout 4: free text / slide decks

_SLIDE_CHROME = re.compile(
    r"^(ladda ner presentationen|presentation laddar\.? vänta\.?|liknande presentationer|"
    r"all rights reserved\.?|©.*|copyright .*|\d{1,3}|nästa bild|föregående bild|"
    r"ladda ner|dela presentationen|rapportera .*|bädda in.*)$",
    re.I,
)


def read_free_text(text: str, *, source_path: str, default_id: str) -> list[ProjectRecord]:
    """Slide decks and plain prose: first meaningful short line is the title; chrome dropped."""
    lines = list(text.split("\n"))
    kept = [ln for ln in lines if not _SLIDE_CHROME.match(ln.strip())]
    content = [ln for ln in kept if ln.strip()]
    if not content:
        raise LayoutError(Message(N_("no text left after removing page furniture")))
    title = None
    for ln in content[:5]:
        if len(ln) <= 120 and not ln.endswith((".", ",")):
            title = ln.strip()
            break
    if title is None:
        title = _first_words(content[0], 12)
    body_lines = list(content)
    if body_lines and body_lines[0].strip() == title:
        body_lines = body_lines[1:]
    summary = "\n".join(body_lines).strip() or title
    # No fund, period or other structured field from words in the prose: a text that mentions
    # "ESF-rådet" is not therefore an ESF project.
    return [
        build_record(
            {},
            layout="text",
            source_path=source_path,
            default_id=default_id,
            summary=summary,
            title_hint=title,
        )
    ]


def _first_words(text: str, n: int) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


# ---------------------------------------------------------------- layout 5: JSON / JSON Lines

JSON_KEYS: dict[str, str] = {
    "ärende-id": "id",
    "ärendeid": "id",
    "diarienummer": "id",
    "id": "id",
    "projektnamn": "title",
    "namn": "title",
    "title": "title",
    "projektbeskrivning": "summary",
    "beskrivning": "summary",
    "summary": "summary",
    "stödmottagare": "owner",
    "projektägare": "owner",
    "owner": "owner",
    "organisationsnummer": "owner_org_number",
    "beviljat_belopp_sek": "eu_support",
    "beviljat_belopp": "eu_support",
    "beviljat esf-stöd": "eu_support",
    "total_projektbudget": "total_budget",
    "total projektbudget": "total_budget",
    "projekt_starttid": "start_date",
    "startdatum": "start_date",
    "projekt_sluttid": "end_date",
    "slutdatum": "end_date",
    "län": "county",
    "kommuner": "municipalities",
    "kommun": "municipalities",
    "område": "region",
    "region": "region",
    "insatsområde": "priority_axis",
    "tematiskt_mål": "thematic_objective",
    "programområde": "programme_area",
    "specifikt_mål": "specific_objective",
    "fond": "fund",
    "berörd fond": "fund",
    "kontaktperson": "contact_name",
    "e-post": "contact_email",
    "telnr": "contact_phone",
    "projektledare": "contact_name",
}
# `beviljat_belopp_eur` is not mapped: the project bank always gives 0 there, which means "not given".
# Likewise an amount of 0 in a JSON record is read as missing, not as zero kronor.


def read_json(
    text: str, *, source_path: str, default_id: str
) -> tuple[list[ProjectRecord], list[RecordProblem]]:
    """A JSON list (or object, or JSON Lines) of project records; a broken record is reported, not fatal."""
    records: list[ProjectRecord] = []
    problems: list[RecordProblem] = []
    for got in iter_json(lambda: [text], source_path=source_path, default_id=default_id):
        if isinstance(got, RecordProblem):
            problems.append(got)
        else:
            records.append(got)
    return records, problems


def iter_json(
    pieces: Callable[[], Iterable[str]], *, source_path: str, default_id: str
) -> Iterator[ProjectRecord | RecordProblem]:
    """The records of a JSON text (a list, an object holding a list or being one record, or JSON
    Lines), and a problem for each broken one, read from `pieces` of the text one at a time, so that
    a large export is never held whole. `pieces()` gives the text anew: it is read twice, first to
    check it is JSON as a whole, because a syntax error anywhere (not a cut at the end) means no
    records at all: nothing is guessed. Raises LayoutError (before any record) for such a file."""
    if _json_lines_like(pieces):
        items = _json_lines(pieces(), source_path)
    else:
        items = _json_items(_Window(pieces()), source_path)
    for got in items:
        if isinstance(got, RecordProblem):
            yield got
            continue
        where, item = got
        at = Message(N_("{path} ({where})"), path=source_path, where=where)
        if isinstance(item, _Oversized):
            yield RecordProblem(at, item.reason())
            if item.value is _NOT_READ:
                continue
            item = item.value
        try:
            yield _json_record(item, source_path=source_path, default_id=f"{default_id}#{where.values['n']}")
        except (LayoutError, TypeError, ValueError) as exc:
            why = exc.args[0] if isinstance(exc, LayoutError) and exc.args else str(exc)
            yield RecordProblem(at, why)


def _json_lines_like(pieces: Callable[[], Iterable[str]]) -> bool:
    """Whether the text is JSON Lines, else one JSON document, checked whole. Raises LayoutError."""
    try:
        if sum(1 for _ in _json_items(_Window(pieces()), "")) == 0:  # all of it, not just the first
            raise LayoutError(Message(N_("JSON list is empty")))
        return False
    except LayoutError:
        # Not one JSON document: JSON Lines when it starts with an object and has a second line.
        if _several_lines(pieces()):
            return True
        raise


def _several_lines(pieces: Iterable[str]) -> bool:
    """Whether the text starts with "{" and has a second line that is not blank."""
    started = newline = False
    for piece in pieces:
        pos = 0
        if not started:
            pos = _skip_ws(piece, 0)
            if pos == len(piece):
                continue
            if piece[pos] != "{":
                return False
            started = True
        if not newline:
            pos = piece.find("\n", pos)
            if pos < 0:
                continue
            newline = True
        if _skip_ws(piece, pos) < len(piece):
            return True
    return False


_WS = re.compile(r"[ \t\n\r]*")


def _parse_int(digits: str) -> int | str:
    """A JSON integer; one too long for Python's int() (4 300 digits, a guard against slow
    conversion) stays its digits, so that the record is read and the value judged like any text."""
    return int(digits) if len(digits) <= 4000 else digits


_DECODER = json.JSONDecoder(parse_int=_parse_int)
_KEEP = 1 << 20  # characters of text read but not yet parsed, beyond which what is parsed is dropped
# One record's JSON (a list element, a line, a member of a one-record object) longer than this is not
# parsed whole: it is read through with each string cut to its first MAX_RECORD_CHARS characters (all a
# record keeps of its text anyway), and the cut reported; so one record costs at most a few times this
# much memory (~0.2 GB) however long it is. Real project records are a few thousand characters.
MAX_JSON_RECORD_CHARS = 32_000_000


def _skip_ws(text: str, pos: int) -> int:
    """The position of the first non-space character at or after `pos`."""
    m = _WS.match(text, pos)
    return m.end() if m else pos


class _Cut(Exception):
    """The text ends inside an array: `complete` elements were read, and it ends `inside` the next."""

    def __init__(self, complete: int, inside: bool, error: LayoutError) -> None:
        super().__init__(complete, inside)
        self.complete, self.inside, self.error = complete, inside, error


class _TooLarge(Exception):
    """A JSON value runs on past MAX_JSON_RECORD_CHARS: it is skipped, not parsed."""


_NOT_READ = object()


@dataclass(frozen=True)
class _Oversized:
    """A record whose JSON, `chars` characters, was too long to parse whole: `value` is it parsed with
    each string cut to MAX_RECORD_CHARS characters, or _NOT_READ when even that was too long."""

    chars: int
    value: Any = _NOT_READ

    def reason(self) -> Message:
        if self.value is _NOT_READ:
            return Message(
                N_(
                    "{chars:,} characters of JSON, more than one project record can be ({limit:,}), "
                    "even with its texts cut: not read"
                ),
                chars=self.chars,
                limit=MAX_JSON_RECORD_CHARS,
            )
        return Message(
            N_(
                "{chars:,} characters of JSON, more than one project record can be ({limit:,}): "
                "each of its texts is read up to its first {kept:,} characters"
            ),
            chars=self.chars,
            limit=MAX_JSON_RECORD_CHARS,
            kept=MAX_RECORD_CHARS,
        )


_SCAN_STRUCTURE = re.compile(r'["\[\]{}]')
_SCAN_STRING_END = re.compile(r'["\\]')
_SCAN_SCALAR_END = re.compile(r"[\s,\]}]")


class _Kept:
    """What `_Window.read_capped` keeps of a long value's text: all of it but the characters of a
    string past MAX_RECORD_CHARS; `parts` becomes None when that still exceeds MAX_JSON_RECORD_CHARS."""

    def __init__(self, mark: int) -> None:
        self.parts: list[str] | None = []
        self.chars = 0
        self.mark = mark  # where in the window's text what is not yet kept starts
        self.string_chars = 0  # of the string being read
        self.string_at = 0  # its first part in `parts`

    def add(self, text: str, upto: int) -> None:
        """Keep the text up to `upto` (outside strings, or a string's opening quote)."""
        self._append(text[self.mark : upto])
        self.mark = upto
        self.string_chars = 0
        self.string_at = len(self.parts) if self.parts is not None else 0

    def add_string(self, text: str, upto: int) -> None:
        """Keep the string's characters up to `upto`, as far as MAX_RECORD_CHARS of it."""
        room = MAX_RECORD_CHARS - self.string_chars
        piece = text[self.mark : upto]
        self.string_chars += len(piece)
        if room > 0:
            self._append(piece[:room])
        self.mark = upto

    def string_end(self, text: str, quote: int) -> None:
        """The string ends at `quote`: keep the rest of it and the quote; a cut string loses a
        half escape sequence at its cut."""
        self.add_string(text, quote)
        if self.parts is not None and self.string_chars > MAX_RECORD_CHARS:
            cut = "".join(self.parts[self.string_at :])
            for drop in range(7):  # "\\uXXXX" is the longest escape
                try:
                    json.loads(f'"{cut[: len(cut) - drop]}"')
                except json.JSONDecodeError:
                    continue
                self.parts[self.string_at :] = [cut[: len(cut) - drop]]
                break
        self.add(text, quote + 1)

    def _append(self, piece: str) -> None:
        if self.parts is None:
            return
        self.chars += len(piece)
        if self.chars > MAX_JSON_RECORD_CHARS:
            self.parts = None
        else:
            self.parts.append(piece)


class _Window:
    """The part of a JSON text being parsed: read piece by piece, dropped once parsed."""

    def __init__(self, pieces: Iterable[str]) -> None:
        self._pieces = iter(pieces)
        self.text = ""
        self.eof = False
        self.pos = 0  # where the array `_elements` read ends
        self._line = 1  # the line `text` starts on
        self._column = 0  # characters of that line before `text`

    def more(self) -> bool:
        """Read the next piece; False at the end of the text."""
        for piece in self._pieces:
            if piece:
                self.text += piece
                return True
        self.eof = True
        return False

    def skip_ws(self, pos: int) -> int:
        while (pos := _skip_ws(self.text, pos)) >= len(self.text) and self.more():
            pass
        return pos

    def drop(self, pos: int) -> int:
        """Forget the text before `pos` when there is enough of it; returns where `pos` is now."""
        if pos < _KEEP:
            return pos
        gone = self.text[:pos]
        newlines = gone.count("\n")
        self._line += newlines
        self._column = pos - gone.rfind("\n") - 1 if newlines else self._column + pos
        self.text = self.text[pos:]
        return 0

    def line(self, pos: int) -> int:
        return self._line + self.text.count("\n", 0, pos)

    def error(self, why: str, pos: int) -> LayoutError:
        newline = self.text.rfind("\n", 0, pos)
        column = pos - newline if newline >= 0 else self._column + pos + 1
        return LayoutError(
            Message(
                N_("invalid JSON: {why} at line {line} column {column}"),
                why=why,
                line=self.line(pos),
                column=column,
            )
        )

    def decode(self, pos: int) -> tuple[Any, int]:
        """The JSON value at `pos` and where it ends, reading on while it may go on past what is read
        (each time until twice as much is read: a long value is parsed a few times, not once a piece).
        Raises JSONDecodeError (positions in `text`) when the value is broken or the text ends in it."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, pos)
                if self.eof or len(self.text) - end >= 64:
                    return value, end  # (else a number, "1." of "1.5", may go on in the next piece)
            except json.JSONDecodeError as exc:
                near_end = len(self.text) - exc.pos < 64 or exc.msg.startswith("Unterminated string")
                if self.eof or not near_end:
                    raise
            if len(self.text) - pos > MAX_JSON_RECORD_CHARS:
                raise _TooLarge
            want = len(self.text) + max(len(self.text) - pos, 1)
            while len(self.text) < want and self.more():
                pass

    def read_capped(self, pos: int) -> tuple[_Oversized, int]:
        """The JSON value at `pos`, too long to parse whole, read through piece by piece (the text
        dropped as it goes) keeping each string's first MAX_RECORD_CHARS characters; and where it
        ends. Only its brackets and strings are followed while reading; what is kept is then parsed
        as JSON. Raises JSONDecodeError when that fails or the text ends inside the value."""
        depth, in_string, start, skipped = 0, False, pos, 0
        kept = _Kept(pos)
        while True:
            if in_string:
                m = _SCAN_STRING_END.search(self.text, pos)
                if m and m.group() == "\\" and m.end() < len(self.text):
                    pos = m.end() + 1  # the escaped character
                    continue
                if m and m.group() == '"':
                    kept.string_end(self.text, m.start())
                    in_string, pos = False, m.end()
                    if depth == 0:
                        return self._capped(kept, skipped + pos - start), pos
                    continue
                pos = m.start() if m else len(self.text)  # (a trailing backslash waits for more)
            elif depth == 0 and self.text[pos] not in '"[{':
                m = _SCAN_SCALAR_END.search(self.text, pos)
                if m:
                    kept.add(self.text, m.start())
                    return self._capped(kept, skipped + m.start() - start), m.start()
                pos = len(self.text)
            else:
                m = _SCAN_STRUCTURE.search(self.text, pos)
                if m:
                    pos = m.end()
                    if m.group() == '"':
                        kept.add(self.text, pos)
                        in_string = True
                    elif m.group() in "[{":
                        depth += 1
                    else:
                        depth -= 1
                        if depth == 0:
                            kept.add(self.text, pos)
                            return self._capped(kept, skipped + pos - start), pos
                    continue
                pos = len(self.text)
            # The text read so far is used up: keep what is kept of it, forget it, read on.
            if in_string:
                kept.add_string(self.text, pos)
            else:
                kept.add(self.text, pos)
            if pos - start >= _KEEP:
                skipped += pos - start
                pos = start = self.drop(pos)
                kept.mark = pos
            if not self.more():
                if depth == 0 and not in_string:
                    return self._capped(kept, skipped + len(self.text) - start), len(self.text)
                raise json.JSONDecodeError("Unterminated value", self.text, len(self.text))

    @staticmethod
    def _capped(kept: _Kept, chars: int) -> _Oversized:
        if kept.parts is None:
            return _Oversized(chars)
        return _Oversized(chars, _DECODER.decode("".join(kept.parts)))

    def at_end(self, exc: json.JSONDecodeError) -> bool:
        """Whether a value that failed to decode runs to the end of the text (a cut inside it)."""
        rest = self.text[exc.pos :].rstrip()
        return self.eof and (
            not rest
            or exc.msg.startswith("Unterminated string")
            or (exc.msg.startswith("Invalid \\uXXXX") and len(rest) < 6)
            or (
                exc.msg.startswith("Expecting value")
                and any(w.startswith(rest) for w in ("true", "false", "null"))
            )
        )


def _json_items(window: _Window, source_path: str) -> Iterator[tuple[Message, Any] | RecordProblem]:
    """(where, value) of each record of one JSON document; a cut array's complete records, then the
    cut (a problem). Raises LayoutError for anything not JSON, a cut inside an object included."""
    pos = window.skip_ws(0)
    if window.text[pos : pos + 1] == "[":
        try:
            yield from _elements(window, pos)
        except _Cut as cut:
            yield RecordProblem(source_path, _cut_reason(window, cut))
            return
        _nothing_after(window, window.pos)
        return
    if window.text[pos : pos + 1] == "{":
        try:
            yield from _object(window, pos)
        except _Cut as cut:
            raise cut.error from None
        return
    _value, pos = _decode(window, pos)
    _nothing_after(window, pos)
    raise LayoutError(Message(N_("JSON holds neither a list of records nor a record")))


def _elements(window: _Window, pos: int, found: list[Any] | None = None) -> Iterator[tuple[Message, Any]]:
    """The elements of the array at `pos`, each as read, then the text after the array must be
    nothing or (inside an object) the rest of it. Raises _Cut at the end of the text, LayoutError."""
    n = 0
    pos = window.skip_ws(pos + 1)
    if pos < len(window.text) and window.text[pos] == "]":
        window.pos = pos + 1
        return
    while True:
        if pos >= len(window.text):
            raise _Cut(n, False, window.error("Expecting value", pos))  # after "[" or a ","
        try:
            try:
                item, end = window.decode(pos)
                if end - pos > MAX_JSON_RECORD_CHARS:  # read whole only because the file is small
                    item = _capped_text(window.text[pos:end])
            except _TooLarge:
                item, end = window.read_capped(pos)
        except json.JSONDecodeError as exc:
            error = window.error(exc.msg, exc.pos)
            if window.eof and (window.at_end(exc) or exc.msg == "Unterminated value"):
                raise _Cut(n, True, error) from None
            raise error from None
        n += 1
        if found is not None and n == 1 and not isinstance(item, (dict, _Oversized)):
            found.append(item)  # not a list of records: a value of the record the object is
        elif found is not None and found:
            found.append(item)
        else:
            yield _record_at(n), item
        pos = window.skip_ws(end)
        if pos >= len(window.text):
            raise _Cut(n, False, window.error("Expecting ',' delimiter", pos))
        if window.text[pos] == "]":
            window.pos = pos + 1
            return
        if window.text[pos] != ",":
            raise window.error("Expecting ',' delimiter", pos)
        pos = window.drop(window.skip_ws(pos + 1))


def _object(window: _Window, pos: int) -> Iterator[tuple[Message, Any]]:
    """An object's records: those of the first list of objects it holds, as read; else the object."""
    members: dict[str, Any] = {}
    listed = False  # a list of records was found (and read)
    pos = window.skip_ws(pos + 1)
    if pos < len(window.text) and window.text[pos] == "}":
        pos += 1
    else:
        while True:
            if pos >= len(window.text) or window.text[pos] != '"':
                raise window.error("Expecting property name enclosed in double quotes", pos)
            key, pos = _decode(window, pos)
            pos = window.skip_ws(pos)
            if pos >= len(window.text) or window.text[pos] != ":":
                raise window.error("Expecting ':' delimiter", pos)
            pos = window.skip_ws(pos + 1)
            if not listed and window.text[pos : pos + 1] == "[":
                values: list[Any] = []
                for got in _elements(window, pos, values):
                    listed = True
                    yield got
                pos = window.pos
                members[key] = values
            else:
                value, pos = _member(window, pos)
                if not listed:
                    members[key] = value
            pos = window.skip_ws(pos)
            if pos < len(window.text) and window.text[pos] == "}":
                pos += 1
                break
            if pos >= len(window.text) or window.text[pos] != ",":
                raise window.error("Expecting ',' delimiter", pos)
            pos = window.drop(window.skip_ws(pos + 1))
    _nothing_after(window, pos)
    if not listed:
        cut = [v for v in members.values() if isinstance(v, _Oversized)]
        if cut:  # a record with a too long value: as cut (or not read), with its size
            chars = sum(v.chars for v in cut)
            read = all(v.value is not _NOT_READ for v in cut)
            whole = {k: v.value if isinstance(v, _Oversized) else v for k, v in members.items()}
            yield _record_at(1), _Oversized(chars, whole if read else _NOT_READ)
        else:
            yield _record_at(1), members


def _member(window: _Window, pos: int) -> tuple[Any, int]:
    """A member of an object; an _Oversized one when it is too long to be read whole."""
    try:
        value, end = window.decode(pos)
        if end - pos > MAX_JSON_RECORD_CHARS:  # read whole only because the file is small
            return _capped_text(window.text[pos:end]), end
        return value, end
    except _TooLarge:
        try:
            return window.read_capped(pos)
        except json.JSONDecodeError as exc:
            raise window.error(exc.msg, exc.pos) from None
    except json.JSONDecodeError as exc:
        raise window.error(exc.msg, exc.pos) from None


def _capped_text(text: str) -> _Oversized:
    """A too long value that is already read, cut as `_Window.read_capped` cuts one being read."""
    window = _Window([text])
    window.more()
    return window.read_capped(0)[0]


def _decode(window: _Window, pos: int) -> tuple[Any, int]:
    try:
        value, end = window.decode(pos)
        if end - pos > MAX_JSON_RECORD_CHARS:  # read whole only because the file is small
            raise _TooLarge
        return value, end
    except json.JSONDecodeError as exc:
        raise window.error(exc.msg, exc.pos) from None
    except _TooLarge:
        raise LayoutError(
            Message(
                N_(
                    "a JSON value at line {line} is longer than one project record can be "
                    "({limit:,} characters): not read"
                ),
                line=window.line(pos),
                limit=MAX_JSON_RECORD_CHARS,
            )
        ) from None


def _nothing_after(window: _Window, pos: int) -> None:
    pos = window.skip_ws(pos)
    if pos < len(window.text):
        raise window.error("Extra data", pos)


def _json_lines(pieces: Iterable[str], source_path: str) -> Iterator[tuple[Message, Any] | RecordProblem]:
    for n, line in enumerate(_lines(pieces), 1):
        if isinstance(line, str) and len(line) > MAX_JSON_RECORD_CHARS:  # read whole: the file is small
            try:
                line = _capped_text(line.strip())
            except json.JSONDecodeError as exc:
                line = exc
        if isinstance(line, json.JSONDecodeError):
            yield RecordProblem(f"{source_path}:{n}", Message(N_("invalid JSON line: {why}"), why=line.msg))
            continue
        if isinstance(line, _Oversized):
            yield Message(N_("line {n}"), n=n), line
            continue
        if not line.strip():
            continue
        try:
            yield Message(N_("line {n}"), n=n), _DECODER.decode(line)
        except json.JSONDecodeError as exc:
            yield RecordProblem(f"{source_path}:{n}", Message(N_("invalid JSON line: {why}"), why=exc.msg))


def _lines(pieces: Iterable[str]) -> Iterator[str | _Oversized | json.JSONDecodeError]:
    """The lines of the text; a line longer than MAX_JSON_RECORD_CHARS is never held: it comes read
    through and cut (_Window.read_capped), or as the error that stopped reading it."""
    rest = iter(pieces)
    after: list[str] = []  # what followed the newline of a long line
    held: list[str] = []  # the pieces of the line being read
    held_chars = 0
    while True:
        piece = after.pop() if after else next(rest, None)
        if piece is None:
            break
        lines = piece.split("\n")
        last = lines.pop()
        for line in lines:
            yield "".join([*held, line])
            held, held_chars = [], 0
        if held_chars + len(last) <= MAX_JSON_RECORD_CHARS:
            held.append(last)
            held_chars += len(last)
            continue
        yield _long_line([*held, last], rest, after)
        held, held_chars = [], 0
    yield "".join(held)


def _long_line(start: list[str], rest: Iterator[str], after: list[str]) -> _Oversized | json.JSONDecodeError:
    """The JSON of one long line that begins with `start`, read on from `rest` up to its newline
    (what follows the newline is put in `after`)."""

    def line_pieces() -> Iterator[str]:
        yield from start
        for piece in rest:
            newline = piece.find("\n")
            if newline >= 0:
                yield piece[:newline]
                after.append(piece[newline + 1 :])
                return
            yield piece

    pieces = line_pieces()
    window = _Window(pieces)
    try:
        value, end = window.read_capped(window.skip_ws(0))
        if window.skip_ws(end) < len(window.text):
            return json.JSONDecodeError("Extra data", window.text, end)
        return value
    except json.JSONDecodeError as exc:
        return exc
    finally:
        for _ in pieces:  # the rest of a line that failed
            pass


def _record_at(n: int) -> Message:
    """Where a record of a JSON list is: 'record 3'."""
    return Message(N_("record {n}"), n=n)


def _cut_reason(window: _Window, cut: _Cut) -> Message:
    complete, inside = cut.complete, cut.inside
    where = (
        Message(N_("inside record {record}"), record=complete + 1)
        if inside
        else Message(N_("after record {record}"), record=complete)
    )
    reason = Message(
        Nn_(
            "JSON cut off at line {line}, the end of the file, {where} (an interrupted download?): "
            "the {n} complete record before the cut is read",
            "JSON cut off at line {line}, the end of the file, {where} (an interrupted download?): "
            "the {n} complete records before the cut are read",
        ),
        line=window.line(len(window.text.rstrip())),
        where=where,
        n=complete,
    )
    return Message(N_("{reason}; the incomplete one is not"), reason=reason) if inside else reason


_JSON_LIST_FIELDS = ("county", "municipalities")
_JSON_NUMBER_FIELDS = ("eu_support", "total_budget", "id")


def _json_value(value: Any, target: str) -> Any:
    """A JSON value as the record field wants it; values of the wrong type are coerced when that is
    unambiguous (a number as a title, a list of names as a string) and dropped when not (an object)."""
    if value is None or isinstance(value, (bool, dict)):
        return None
    if isinstance(value, list):
        items = [str(v) for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        items = [v for v in items if v.strip()]
        return items if target in _JSON_LIST_FIELDS else (", ".join(items) or None)
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):  # NaN, Infinity
            return None
        return value if target in _JSON_NUMBER_FIELDS else str(value)
    return str(value)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "str | None": lambda v: v is None or isinstance(v, str),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "int | None": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**63),
    "dict[str, str]": lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
    "float | None": lambda v: (
        v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) < 1e300)
    ),
}


def _check_types(record: ProjectRecord) -> None:
    """An exported record read back must have the types the index expects (a number as a title
    would make the indexer fail later, far from the file that caused it)."""
    import dataclasses

    for f in dataclasses.fields(record):
        check = _TYPE_CHECKS.get(str(f.type))
        value = getattr(record, f.name)
        if check is not None and not check(value):
            raise LayoutError(
                Message(
                    N_("field {name} has a wrong value {value}"), name=repr(f.name), value=f"{value!r:.40}"
                )
            )
    if not record.id.strip() or not record.title.strip():
        raise LayoutError(Message(N_("record has an empty id or title")))
    if not all(isinstance(s.heading, str) and isinstance(s.text, str) for s in record.sections):
        raise LayoutError(Message(N_("field 'sections' holds something other than headings and texts")))


def _json_record(item: Any, *, source_path: str, default_id: str) -> ProjectRecord:
    if not isinstance(item, dict):
        raise LayoutError(Message(N_("not a record object but {kind}"), kind=type(item).__name__))
    if "layout" in item and "source_path" in item and set(item) <= set(RECORD_FIELDS):
        # Our own export format (esfsearch parse/query --json): read it back as it is.
        record = ProjectRecord.from_dict(item)
        record.source_path = source_path
        record.sources, record.origins, record.conflicts = [], {}, []  # this file is its one source
        _check_types(record)
        return record.finalise()
    fields: dict[str, Any] = {}
    for key, value in item.items():
        target = JSON_KEYS.get(str(key).strip().lower())
        if target and target not in fields:
            value = _json_value(value, target)
            if value not in (None, "", []):
                fields[target] = value
    if not fields.get("title") and not fields.get("summary"):
        raise LayoutError(Message(N_("record has neither a title nor a description")))
    summary = clean_text(str(fields.pop("summary", "") or ""))
    for amount_key in ("eu_support", "total_budget"):
        if amount_key in fields and isinstance(fields[amount_key], (int, float)):
            fields[amount_key] = str(int(fields[amount_key])) if fields[amount_key] else None
    if isinstance(fields.get("id"), (int, float)):
        fields["id"] = str(fields["id"])
    source = str(item.get("_source", "")).lower()
    fund_hint = "ERUF" if ("eruf" in source or "regionalfond" in source) else None
    if fund_hint is None and "regionalfond" in str(fields.get("region", "")).lower():
        fund_hint = "ERUF"
    return build_record(
        fields,
        layout="json",
        source_path=source_path,
        default_id=default_id,
        summary=summary,
        fund_hint=fund_hint,
    )


# ---------------------------------------------------------------- layout 6: Markdown


def read_markdown(text: str, *, source_path: str, default_id: str) -> list[ProjectRecord]:
    lines = text.split("\n")
    title = None
    body: list[str] = []
    for line in lines:
        if title is None and line.startswith("# "):
            title = line[2:].strip()
            continue
        m = re.match(r"^#{2,6}\s+(.*)$", line)
        body.append(f"\n{m.group(1).strip()}\n" if m else line)
    summary, sections = split_sections(re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip())
    summary = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", summary)
    if not title:
        raise LayoutError(Message(N_("Markdown without a '# Title' line")))
    # Like free text: no structured field from words in the prose (see read_free_text).
    return [
        build_record(
            {},
            layout="markdown",
            source_path=source_path,
            default_id=default_id,
            summary=summary or title,
            sections=sections,
            title_hint=title,
        )
    ]


# ---------------------------------------------------------------- detection

Reader = Callable[..., Any]


def detect_layout(text: str) -> str:
    head = text[:20000]
    stripped = head.lstrip()
    if stripped.startswith(("[", "{")):
        return "json"
    if re.search(r"(?m)^Diarienummer:\s*$", head) or re.search(r"(?m)^Diarienummer:\s*\S", head):
        return "label"
    if looks_like_ebs(head):
        return "ebs2020"
    if re.match(r"#\s+\S", stripped):
        return "markdown"
    return "text"


READERS: dict[str, Reader] = {
    "label": read_label_record,
    "ebs2020": read_ebs_page,
    "markdown": read_markdown,
    "text": read_free_text,
}
