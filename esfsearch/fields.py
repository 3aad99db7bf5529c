"""The field registry: every field of a project record, stated once.

A `Field` says what the field is called (its record attribute, its label and its names in the query
language), how a filter on it matches (`kind`) and which index field that filter
searches, whether it is a facet, a sort key, a CLI filter option, part of a short hit row, and how its
value is displayed. The schema, the query language, the search facets and sorts, the CLI's options and
tables, the TUI's detail view, the CSV/JSON rows and the evaluation's filter checks all read this table:
adding a field is one entry here (plus a test).

Plain data: no Whoosh, no UI. Labels are English msgids, marked with N_ for the message catalogue:
whoever shows one translates it (`_(field.label)`, or `heading()` for a line's label).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, overload

from .i18n import N_, _
from .records import ProjectRecord
from .values import programme_area_label

# How a filter on the field matches (see querylang.filter_query).
WORDS = "words"  # a phrase of the value's words, in any of the field's values ('region:"övre norrland"')
VALUE = "value"  # one exact value, case and accents aside; 'prefix*' allowed ('fond:esf+')
NUMBER = "number"  # a number or range ('stöd:>5m', 'budget:1m..2m')
DATE = "date"  # a date or range ('start:>=2016-01')
YEAR = "year"  # the project's years overlap the year or range ('år:2018..2020')
CONTACT = "contact"  # WORDS over the contact name, e-mail and phone; one word at a time ('kontakt:anna')

# How a value is shown (see presentation.format_value).
PLAIN = "plain"  # text; lists joined with ", "
MONEY = "money"  # '1 250 000 kr'
PERCENT = "percent"  # '50 %'
PATHS = "paths"  # source files, each as its folder and name


@dataclass(frozen=True)
class FilterOption:
    """A CLI option that adds a filter on the field: `--region X` (text and value fields, repeatable),
    `--year X`, `--min-budget N`/`--max-budget N` (number fields), `--start-from D` (date fields)."""

    flag: str  # without dashes; number fields get min-/max- in front
    help: str  # an N_() msgid; a number field's has {bound}, where "at least: …" or "at most …" goes
    name: str | None = None  # the filter name the option writes (default: `flag`); one of the field's names
    op: str = ""  # date fields: '>=' (from) or '<=' (before)


@dataclass(frozen=True)
class Field:
    name: str  # record attribute; the key in JSON and CSV rows
    label: str  # its name in messages, lower case ('granted EU support (SEK)'); an English msgid
    kind: str = ""  # filter kind (WORDS, VALUE, ...); "": not a filter
    names: tuple[str, ...] = ()  # names in the query language, Swedish and English
    index_field: str = ""  # the index field a filter on it searches ("": none)
    help: str = ""  # what a filter matches, when the label does not say it
    short: str = ""  # the label in one-line summaries ('Searched: … · EU support > 5 mkr')
    facet: str | None = None  # facet name (counted from the index field `<facet>_f`)
    default_facet: bool = False  # counted by `--facets` and shown in the TUI's filter panel
    facet_label: str = ""  # heading of the facet (default: the label, capitalised)
    option: FilterOption | None = None  # CLI filter option of `query` and `saved add`
    display: str = PLAIN
    decimal: bool = False  # a number field holds decimals (else whole numbers)
    summary: bool = False  # in the short hit row (`query --json/--csv`)
    shown: bool = True  # a line in `show` and the TUI detail
    derive: Callable[[ProjectRecord], Any] | None = None  # computed from the record, not an attribute
    facet_value: Callable[[ProjectRecord], Any] | None = None  # facet value, when not the field's value

    def value(self, record: ProjectRecord) -> Any:
        """The field's value in a record (computed for derived fields)."""
        if self.derive is not None:
            return self.derive(record)
        return getattr(record, self.name, None)

    def values(self, record: ProjectRecord) -> list:
        """The value as a list of non-empty values (list fields have several)."""
        value = self.value(record)
        items = value if isinstance(value, (list, tuple)) else [value]
        return [v for v in items if v not in (None, "")]

    @property
    def contact(self) -> bool:
        """Personal data, left out with --no-contacts (the record type lists those fields)."""
        return self.name in ProjectRecord.CONTACT_FIELDS

    @property
    def facet_index(self) -> str:
        """The index field the facet is counted from ("" when the field is no facet)."""
        return f"{self.facet}_f" if self.facet else ""

    @property
    def short_label(self) -> str:
        """The msgid of the label in one-line summaries (translate it where it is shown)."""
        return self.short or self.label

    def heading(self, facet: bool = False) -> str:
        """The label as a line's or a facet's heading, in the current language: 'Granted EU support (SEK)'."""
        if facet and self.facet_label:
            return _(self.facet_label)
        label = _(self.label)
        return label[:1].upper() + label[1:]


def facet_area(record: ProjectRecord) -> str | None:
    """Programme area for ESF records, thematic objective for ERUF ones: the 'what is it about' facet."""
    if record.programme_area:
        return programme_area_label(record.programme_area)
    return record.thematic_objective or record.priority_axis


def _start_year(record: ProjectRecord) -> str | None:
    return str(record.start_date.year) if record.start_date else None


def _contact(record: ProjectRecord) -> list[str | None]:
    return [record.contact_name, record.contact_email, record.contact_phone]


def json_value(value: Any) -> Any:
    """A field value as JSON has it: dates as ISO text, tuples as lists."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value


@overload
def yyyymmdd(d: date) -> int: ...
@overload
def yyyymmdd(d: None) -> None: ...
def yyyymmdd(d: date | None) -> int | None:
    """A date as the number the index stores for it (2016-03-05 -> 20160305)."""
    return d.year * 10000 + d.month * 100 + d.day if d else None


# In display order (`show`, the TUI detail, CSV and JSON columns).
REGISTRY: tuple[Field, ...] = (
    Field("id", N_("id"), VALUE, ("id", "diarienummer", "dnr"), "id_v", summary=True),
    Field("title", N_("title"), WORDS, ("titel", "title"), "title_words", summary=True, shown=False),
    Field(
        "owner",
        N_("owner"),
        WORDS,
        ("ägare", "agare", "owner", "projektägare", "projektagare", "stödmottagare", "stodmottagare"),
        "owner",
        option=FilterOption("owner", N_("Project owner (words of its name)")),
        summary=True,
    ),
    Field(
        "owner_org_number",
        N_("owner org number"),
        WORDS,
        ("orgnr", "organisationsnummer", "org"),
        "owner_org_number",
        short=N_("org number"),
    ),
    Field(
        "region",
        N_("region"),
        WORDS,
        ("region", "område", "omrade"),
        "region",
        facet="region",
        default_facet=True,
        option=FilterOption("region", N_("Region (område), e.g. 'Övre Norrland'")),
        summary=True,
    ),
    Field(
        "county",
        N_("county"),
        WORDS,
        ("län", "lan", "county"),
        "county",
        facet="county",
        option=FilterOption("county", N_("County (län)")),
        summary=True,
    ),
    Field(
        "municipalities",
        N_("municipality"),
        WORDS,
        ("kommun", "kommuner", "municipality"),
        "municipality",
        option=FilterOption("municipality", N_("Municipality (kommun)"), name="kommun"),
        summary=True,
    ),
    Field(
        "fund",
        N_("fund"),
        VALUE,
        ("fond", "fund"),
        "fund_v",
        facet="fund",
        default_facet=True,
        option=FilterOption("fund", N_("Fund: ESF, ESF+ or ERUF")),
        summary=True,
    ),
    Field(
        "programme_period",
        N_("programme period"),
        VALUE,
        ("period", "programperiod"),
        "period_v",
        short=N_("period"),
        facet="period",
        default_facet=True,
        option=FilterOption("period", N_("Programme period, e.g. 2014-2020")),
        summary=True,
    ),
    Field(
        "programme_area",
        N_("programme area"),
        WORDS,
        ("programområde", "programomrade", "po"),
        "programme_area",
        option=FilterOption("area", N_("Programme area (programområde)"), name="programområde"),
        summary=True,
    ),
    # derived (not a line of its own in `show`): programme area or thematic objective
    Field(
        "area",
        N_("area"),
        VALUE,
        ("area", "fokus"),
        "area_v",
        help=N_("programme area or thematic objective (the area facet)"),
        facet="area",
        default_facet=True,
        facet_label=N_("Programme area"),
        shown=False,
        derive=facet_area,
    ),
    Field(
        "specific_objective",
        N_("specific objective"),
        WORDS,
        ("specifikt", "mål", "objective"),
        "specific_objective",
    ),
    Field(
        "thematic_objective",
        N_("thematic objective"),
        WORDS,
        ("tematiskt", "tema", "thematic"),
        "thematic_objective",
    ),
    Field(
        "priority_axis",
        N_("priority axis"),
        WORDS,
        ("insatsområde", "insatsomrade", "axis", "priority"),
        "priority_axis",
    ),
    Field(
        "intervention_type",
        N_("intervention type"),
        WORDS,
        ("interventionstyp", "intervention"),
        "intervention_type",
    ),
    Field(
        "phase",
        N_("phase"),
        VALUE,
        ("fas", "phase"),
        "phase_v",
        facet="phase",
        option=FilterOption("phase", N_("förstudie or genomförande")),
        summary=True,
    ),
    Field(
        "start_date",
        N_("start date"),
        DATE,
        ("start",),
        "start",
        short=N_("start"),
        option=FilterOption("start-from", N_("Started on or after (YYYY[-MM[-DD]])"), name="start", op=">="),
        summary=True,
    ),
    Field(
        "end_date",
        N_("end date"),
        DATE,
        ("slut", "end"),
        "end",
        short=N_("end"),
        option=FilterOption("end-before", N_("Ended on or before (YYYY[-MM[-DD]])"), name="end", op="<="),
        summary=True,
    ),
    # derived: the years from start to end
    Field(
        "year",
        N_("year"),
        YEAR,
        ("år", "ar", "year"),
        "year",
        facet="year",
        option=FilterOption("year", N_("Year or range the project ran: 2019, 2018..2020")),
        shown=False,
        derive=lambda r: r.years,
        facet_value=_start_year,
    ),
    Field(
        "total_budget",
        N_("total budget (SEK)"),
        NUMBER,
        ("budget",),
        "total_budget",
        short=N_("budget"),
        option=FilterOption("budget", N_("Total budget {bound}")),
        display=MONEY,
        summary=True,
    ),
    Field(
        "eu_support",
        N_("granted EU support (SEK)"),
        NUMBER,
        ("stöd", "stod", "support", "beviljat"),
        "eu_support",
        short=N_("EU support"),
        option=FilterOption("support", N_("Granted EU support {bound}")),
        display=MONEY,
        summary=True,
    ),
    Field(
        "cofinancing_rate",
        N_("co-financing rate (%)"),
        NUMBER,
        ("medfinansiering", "rate"),
        "cofinancing_rate",
        short=N_("co-financing rate"),
        display=PERCENT,
        decimal=True,
    ),
    Field(
        "planned_participants",
        N_("planned participants"),
        NUMBER,
        ("deltagare", "participants"),
        "participants",
        short=N_("participants"),
    ),
    Field("nuts2", N_("NUTS-2 code"), WORDS, ("nuts", "nuts2"), "nuts2", short=N_("NUTS-2")),
    Field("cci", N_("programme CCI"), WORDS, ("cci",), "cci", short=N_("CCI")),
    Field(
        "contact_name",
        N_("contact name"),
    ),
    Field(
        "contact_email",
        N_("contact e-mail"),
    ),
    Field(
        "contact_phone",
        N_("contact phone"),
    ),
    # derived: name, e-mail and phone
    Field(
        "contact",
        N_("contact name, e-mail or phone"),
        CONTACT,
        ("kontakt", "contact"),
        "contact",
        shown=False,
        derive=_contact,
    ),
    Field("layout", N_("source layout"), VALUE, ("layout", "format"), "layout_v", facet="layout"),
    Field("source_path", N_("source file"), summary=True),
    # Provenance (esfsearch.merge): a project merged from several files shows them, the file each
    # value came from (a column of its own) and the values its sources disagree on (lines of their own).
    Field("sources", N_("source files"), display=PATHS),
    Field("conflicts", N_("conflict"), shown=False),
    Field("derived", N_("fields inferred rather than read"), shown=False),
    Field("origins", N_("the file each field came from"), shown=False),
    Field("content_hash", N_("content hash"), shown=False),
    # The description itself: shown as the text below the fields.
    Field("summary", N_("summary"), shown=False),
    Field("sections", N_("sections"), shown=False),
)

BY_NAME: dict[str, Field] = {f.name: f for f in REGISTRY}
SUMMARY_FIELDS = tuple(f.name for f in REGISTRY if f.summary)
FACETS: dict[str, Field] = {f.facet: f for f in REGISTRY if f.facet}
DEFAULT_FACETS = tuple(name for name, f in FACETS.items() if f.default_facet)

# Sort orders: name -> (field, largest/newest first). "relevance" (None) ranks by score.
SORTS: dict[str, tuple[str, bool] | None] = {
    "relevance": None,
    "start": ("start_date", True),
    "start-asc": ("start_date", False),
    "end": ("end_date", True),
    "amount": ("eu_support", True),  # largest granted support first
    "budget": ("total_budget", True),
}


def filter_fields() -> dict[str, Field]:
    """Every name of the query language (lower case) -> its field."""
    return {alias: f for f in REGISTRY if f.kind for alias in f.names}


def option_fields() -> list[Field]:
    """The fields with a CLI filter option, in the order the options are listed."""
    return [f for f in REGISTRY if f.option is not None]
