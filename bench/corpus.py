"""Deterministic generator of a realistic ESF project corpus for benchmarks.

    python bench/corpus.py --n 20000 --out DIR [--seed 1] [--sources DIR]

or, from Python, ``generate(n, out, seed=1) -> {layout: records}``.

Every record is written in one of the project's real source layouts:

* ``projektbank`` - project-bank record text file, the shape of seeds 000/004
  ("DNR - Title", blank line, "Label:"/value line pairs, blank line, summary);
* ``esfplus``     - ESF+ 2021-2027 record, the shape of seed 002;
* ``ebs2020``     - EBS2020 web page text, the shape of seed 001 (page furniture,
  labels glued to values, headed sections, a "Kommun" bullet list);
* ``json``        - JSON files holding a list of records with the keys of
  projektbanken-eruf-2014-2020/projects.json (500 records a file);
* ``markdown``    - ``# Title`` then paragraphs, like the regeringen.se texts.

Nothing is invented: summaries are real sentences (from the project-bank
descriptions, the seeds and the Swedish government texts) recombined; titles,
owners, municipalities, counties, regions and objectives come from the same
sources; contact names are common Swedish first names and surnames. The only
synthetic values are ids, dates, amounts, phone numbers and postcodes.

A fixed seed (and the same source texts) gives byte-identical output: sources
are read in sorted order, nothing depends on set/hash order, and each layout
has its own ``random.Random`` seeded from a string (stable across processes).
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import json
import math
import random
import re
import sys
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

LAYOUTS = ("projektbank", "esfplus", "ebs2020", "json", "markdown")

# Share of records per layout. The project bank (text export of ESF 2014-2020
# records) is the bulk, then ESF+ records and the regional-fund JSON exports;
# the EBS2020 page scrapes and Markdown texts are the minority.
MIX = {"projektbank": 0.40, "esfplus": 0.20, "ebs2020": 0.15, "json": 0.20, "markdown": 0.05}

JSON_PER_FILE = 500
FILES_PER_DIR = 1000

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE_ROOTS = (REPO / "corpus", Path("/work/shared/data"), Path("/work/shared"))

# ---------------------------------------------------------------------------
# Facts: ESF programme regions (NUTS-2) and which county is in which.
# ---------------------------------------------------------------------------
COUNTY_REGION = {
    "Stockholm": ("Stockholm", "SE11"),
    "Uppsala": ("Östra Mellansverige", "SE12"),
    "Södermanland": ("Östra Mellansverige", "SE12"),
    "Östergötland": ("Östra Mellansverige", "SE12"),
    "Örebro": ("Östra Mellansverige", "SE12"),
    "Västmanland": ("Östra Mellansverige", "SE12"),
    "Jönköping": ("Småland och öarna", "SE21"),
    "Kronoberg": ("Småland och öarna", "SE21"),
    "Kalmar": ("Småland och öarna", "SE21"),
    "Gotland": ("Småland och öarna", "SE21"),
    "Blekinge": ("Sydsverige", "SE22"),
    "Skåne": ("Sydsverige", "SE22"),
    "Halland": ("Västsverige", "SE23"),
    "Västra Götaland": ("Västsverige", "SE23"),
    "Värmland": ("Norra Mellansverige", "SE31"),
    "Dalarna": ("Norra Mellansverige", "SE31"),
    "Gävleborg": ("Norra Mellansverige", "SE31"),
    "Västernorrland": ("Mellersta Norrland", "SE32"),
    "Jämtland": ("Mellersta Norrland", "SE32"),
    "Västerbotten": ("Övre Norrland", "SE33"),
    "Norrbotten": ("Övre Norrland", "SE33"),
}
REGION_OWNER = {
    "Stockholm": "Region Stockholm",
    "Uppsala": "Region Uppsala",
    "Södermanland": "Region Sörmland",
    "Östergötland": "Region Östergötland",
    "Örebro": "Region Örebro län",
    "Västmanland": "Region Västmanland",
    "Jönköping": "Region Jönköpings län",
    "Kronoberg": "Region Kronoberg",
    "Kalmar": "Region Kalmar län",
    "Gotland": "Region Gotland",
    "Blekinge": "Region Blekinge",
    "Skåne": "Region Skåne",
    "Halland": "Region Halland",
    "Västra Götaland": "Västra Götalandsregionen",
    "Värmland": "Region Värmland",
    "Dalarna": "Region Dalarna",
    "Gävleborg": "Region Gävleborg",
    "Västernorrland": "Region Västernorrland",
    "Jämtland": "Region Jämtland Härjedalen",
    "Västerbotten": "Region Västerbotten",
    "Norrbotten": "Region Norrbotten",
}
# Seed 001 lists Södermanland's municipalities; projects.json covers the rest.
SEED_MUNICIPALITIES = {
    "Södermanland": [
        "Eskilstuna",
        "Flen",
        "Gnesta",
        "Katrineholm",
        "Nyköping",
        "Oxelösund",
        "Strängnäs",
        "Trosa",
        "Vingåker",
    ],
}
# projects.json writes a few names without their space; the other layouts don't.
NAME_FIXES = {"LillaEdet": "Lilla Edet", "UpplandsVäsby": "Upplands Väsby", "ÖstraGöinge": "Östra Göinge"}
CITY_OWNERS = {
    "Stockholm": "Stockholms stad",
    "Göteborg": "Göteborgs Stad",
    "Malmö": "Malmö stad",
    "Falun": "Falu kommun",
}
DEPARTMENTS = [
    "Arbetsmarknadsförvaltningen",
    "Tillväxtavdelningen",
    "Arbetslivsförvaltningen",
    "Vuxenutbildningen",
    "Socialförvaltningen",
    "Utbildningsförvaltningen",
    "Kommunledningsförvaltningen",
    "Näringslivsavdelningen",
]
FIRST_NAMES = [
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Kristina",
    "Lena",
    "Emma",
    "Kerstin",
    "Malin",
    "Ingrid",
    "Jenny",
    "Sofia",
    "Linda",
    "Helena",
    "Annika",
    "Camilla",
    "Erik",
    "Lars",
    "Karl",
    "Anders",
    "Johan",
    "Per",
    "Mikael",
    "Jan",
    "Peter",
    "Thomas",
    "Daniel",
    "Fredrik",
    "Magnus",
    "Stefan",
    "Mattias",
    "Henrik",
    "Jonas",
]
SURNAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Lindström",
    "Olofsson",
    "Lindqvist",
    "Lindgren",
    "Berg",
    "Axelsson",
    "Bergström",
    "Lundberg",
    "Lundgren",
    "Lind",
    "Lundqvist",
    "Mattsson",
    "Berglund",
    "Fredriksson",
    "Sandberg",
]
AREA_CODES = [
    "08",
    "010",
    "011",
    "013",
    "016",
    "018",
    "019",
    "021",
    "023",
    "026",
    "031",
    "033",
    "035",
    "036",
    "040",
    "042",
    "044",
    "046",
    "054",
    "060",
    "063",
    "090",
    "0155",
    "0150",
    "0171",
    "0240",
    "0243",
    "0451",
    "0470",
    "0480",
    "0498",
    "0520",
    "0611",
    "0920",
    "0980",
]

# ESF 2014-2020 programme areas, specific objectives and intervention types.
ESF_AREAS = {
    "1": ("Kompetensförsörjning", ["1.1", "1.2"], ["106", "117", "118"]),
    "2": ("Ökat arbetskraftsutbud", ["2.1", "2.2", "2.3"], ["102", "103", "109"]),
    "3": ("Sysselsättningsinitiativet för unga", ["3.1"], ["103"]),
}
ESF_AREA_WEIGHTS = [("1", 0.40), ("2", 0.50), ("3", 0.10)]
# ESF+ 2021-2027.
ESFPLUS_AREAS = {"A": ["A1", "A2"], "B": ["B1", "B2"], "C": ["C1", "C2"], "D": ["D1"], "E": ["E1"]}
ESFPLUS_INTERVENTIONS = ["134", "136", "138", "143", "145", "149", "150", "152", "163", "175"]
EBS_PHASES = [("Genomförande", 0.75), ("Analys och planering", 0.15), ("Förprojektering", 0.10)]

EBS_FURNITURE = "Logotyp på utskrifter\n\nStäng\n\n"
EBS_NOTICE = (
    "EBS2020 har driftstopp på söndag den 29 mars 2020\n\n"
    "Driftstopp pga servicearbete söndagen 29/3 från kl 15.00 och framåt, arbetet "
    "förväntas vara klart på måndag 30/3.\u00a0\n\n"
)
EBS_EXTRA_SECTIONS = [
    "Tillgänglighet för personer med funktionsnedsättning",
    "Transnationellt samarbete",
    "Jämställdhet",
    "Icke-diskriminering",
]
JSON_SOURCE = "http://projektbank.tillvaxtverket.se/projektbanken2020#page=eruf"

# Stems that mark a government sentence as on the ESF topic.
TOPIC = re.compile(
    r"arbetsmarknad|arbetslös|kompetens|utbildning|sysselsättning|integration|nyanlända|"
    r"ungdomar|samverkan|jämställd|tillgänglighet|funktionsnedsättning|företag|kommuner|"
    r"projekt|insatser|deltagare|anställ|lärande|socialfond|etablering|försörjning|"
    r"diskriminering|innovation|regional",
    re.I,
)
GOVERNMENT = re.compile(
    r"[Rr]egering|[Dd]epartement|[Uu]ppdrag|redovisa|[Mm]yndigheten ska|"
    r"\bSFS\b|\bprop\.|\bdir\.|[Bb]etänkande|[Rr]ekvisition|[Aa]nslag|[Uu]tgiftsområde|senast den|"
    r"[Mm]yndighet|verket\b|styrelsen\b|inspektionen\b|[Ss]tatskontoret|[Ll]agen\b|"
    r"[Ff]örordning|[Pp]romemoria|[Uu]tredning|miljoner kronor|miljarder|Sveriges riksdag"
)
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖÉ\"”])")
OPENER = re.compile(r"^(Projektet|Projektets|Syftet|Förstudien|Målet|Förstudiens|Det övergripande)\b")
BAD = re.compile(r"https?:|www\.|@|\t|\||\*|_{2}|\[|\]")


# ---------------------------------------------------------------------------
# Source texts -> pools
# ---------------------------------------------------------------------------
@dataclass
class Pools:
    project: list[str] = field(default_factory=list)  # sentences of project descriptions
    topical: list[str] = field(default_factory=list)  # on-topic government sentences
    general: list[str] = field(default_factory=list)  # other non-administrative ones
    government: list[str] = field(default_factory=list)  # all usable government sentences
    openers: list[str] = field(default_factory=list)
    intros: list[str] = field(default_factory=list)  # sentences ending with ':'
    bullets: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # project names
    gov_titles: list[str] = field(default_factory=list)
    json_owners: list[tuple[str, str]] = field(default_factory=list)  # (owner, county)
    county_munis: dict[str, list[str]] = field(default_factory=dict)
    objectives: list[tuple[str, str]] = field(default_factory=list)  # (insatsområde, tematiskt mål)
    eruf_area: dict[str, str] = field(default_factory=dict)  # county -> område
    sources: dict[str, str] = field(default_factory=dict)


def _find(rel: str, roots: tuple[Path, ...]) -> Path | None:
    for root in roots:
        p = root / rel
        if p.exists():
            return p
    return None


def _lines(text: str, soft_wrap: bool) -> Iterator[str]:
    """Logical lines: paragraphs (and list items) of a text.

    projects.json flattens paragraphs into runs of two or more spaces; the
    Markdown texts hard-wrap paragraphs (soft_wrap: join lines up to a blank
    line or a list item); seed texts have one paragraph a line.
    """
    if not soft_wrap:
        yield from re.split(r"\n|\s{2,}", text)
        return
    for para in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in para.split("\n"):
            line = line.strip()
            if line[:2] in ("- ", "* ", "• ", "– ") or line.startswith("#"):
                if current:
                    yield " ".join(current)
                current = [line]
            elif line:
                current.append(line)
        if current:
            yield " ".join(current)


def _sentences(text: str, soft_wrap: bool = False) -> Iterator[tuple[str, str]]:
    """Yield (kind, text) with kind 'sentence', 'intro' or 'bullet'."""
    for line in _lines(text, soft_wrap):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line[:2] in ("- ", "• ", "– ", "* "):
            item = line[2:].strip()
            if 3 <= len(item.split()) <= 40 and not BAD.search(item) and item[:1].isalpha():
                yield "bullet", item
            continue
        for s in SENTENCE_SPLIT.split(line):
            s = s.strip()
            words = len(s.split())
            if not (5 <= words <= 55) or BAD.search(s):
                continue
            if not (s[0].isupper() and s[0].isalpha()):
                continue
            if s[-1] in ".!?":
                yield "sentence", s
            elif s[-1] == ":" and words <= 30:
                yield "intro", s


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


@lru_cache(maxsize=4)
def load_pools(sources: str | None = None) -> Pools:
    roots = (Path(sources),) if sources else DEFAULT_SOURCE_ROOTS
    pools = Pools()
    seeds = _find("seeds", roots)
    projects = _find("projektbanken-eruf-2014-2020/projects.json", roots)
    if projects is None:
        raise FileNotFoundError(
            "projektbanken-eruf-2014-2020/projects.json not found under " + ", ".join(map(str, roots))
        )
    gov_dirs = [p for p in (_find("regeringsuppdrag", roots), _find("regeringen-esf", roots)) if p]
    pools.sources = {
        "projects": str(projects),
        "seeds": str(seeds),
        "government": ", ".join(map(str, gov_dirs)),
    }

    project, intros, bullets = [], [], []
    owners: list[tuple[str, str]] = []
    county_munis: dict[str, set[str]] = {}
    objectives: list[tuple[str, str]] = []
    eruf_area: dict[str, str] = {}
    names: list[str] = []
    for rec in json.loads(projects.read_text(encoding="utf-8")):
        desc = rec["projektbeskrivning"]
        if len(desc) > 40:
            for kind, s in _sentences(desc):
                (project if kind == "sentence" else intros if kind == "intro" else bullets).append(s)
        names.append(rec["projektnamn"].strip())
        counties = [c.strip() for c in rec["län"].split(",") if c.strip()]
        munis = [NAME_FIXES.get(m.strip(), m.strip()) for m in rec["kommuner"].split(",") if m.strip()]
        if len(counties) == 1:
            county_munis.setdefault(counties[0], set()).update(munis)
            eruf_area.setdefault(counties[0], rec["område"])
            owners.append((rec["stödmottagare"].strip(), counties[0]))
        objectives.append((rec["insatsområde"], rec["tematiskt_mål"]))
    for county, munis in SEED_MUNICIPALITIES.items():
        county_munis.setdefault(county, set()).update(munis)

    if seeds:
        for path in sorted(seeds.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            lines = text.split("\n")
            if path.name.startswith("003"):  # slide deck: no usable prose layout
                continue
            if " - " in lines[0] and "/" in lines[0] or re.match(r"\d\d-\d{3}-S\d\d", lines[0]):
                names.append(lines[0].split(" - ", 1)[1].strip())
                body = text.split("\n\n", 2)[-1]
            else:  # EBS page: title is the line before "Programområde..."
                idx = next(i for i, ln in enumerate(lines) if ln.startswith("Programområde"))
                names.append(lines[idx - 2].strip())
                body = "\n".join(ln for ln in lines[idx:] if not ln.startswith("  •"))
            for kind, s in _sentences(body):
                (project if kind == "sentence" else intros if kind == "intro" else bullets).append(s)

    topical, general, government, gov_titles = [], [], [], []
    for d in gov_dirs:
        for path in sorted(d.rglob("*.md")):
            text = path.read_text(encoding="utf-8")
            first, _, rest = text.partition("\n")
            if first.startswith("# "):
                gov_titles.append(first[2:].strip())
            for kind, s in _sentences(rest, soft_wrap=True):
                if kind != "sentence":
                    continue
                government.append(s)
                if not GOVERNMENT.search(s):
                    (topical if TOPIC.search(s) else general).append(s)

    pools.project = _dedupe(project)
    pools.intros = _dedupe(intros)
    pools.bullets = _dedupe(bullets)
    pools.openers = [s for s in pools.project if OPENER.match(s)]
    pools.topical = _dedupe(topical)
    pools.general = _dedupe(general)
    pools.government = _dedupe(government) or pools.project
    pools.gov_titles = _dedupe(gov_titles) or _dedupe(names)
    pools.names = _dedupe(n for n in names if n)
    pools.json_owners = list(dict.fromkeys(owners))
    pools.county_munis = {c: sorted(m) for c, m in sorted(county_munis.items()) if c in COUNTY_REGION}
    pools.objectives = objectives
    pools.eruf_area = eruf_area
    return pools


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def _fold(s: str) -> str:
    s = s.lower().replace("å", "a").replace("ä", "a").replace("ö", "o")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return s


def _slug(s: str, sep: str = "-") -> str:
    return re.sub(r"[^a-z0-9]+", sep, _fold(s)).strip(sep)


def amount(n: int, nbsp: bool = False) -> str:
    """11256577 -> '11 256 577' (thousands separated by a space, NBSP on EBS pages)."""
    s = f"{n:,}".replace(",", "\u00a0" if nbsp else " ")
    return s


def _luhn_complete(digits: str) -> str:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str((10 - total % 10) % 10)


def _weighted(rng: random.Random, pairs):
    r = rng.random()
    acc = 0.0
    for value, w in pairs:
        acc += w
        if r < acc:
            return value
    return pairs[-1][0]


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    t = y * 12 + (m - 1) + k
    return t // 12, t % 12 + 1


class UniqueIds:
    """Random ids without repeats, deterministic for a given rng."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def draw(self, rng: random.Random, make) -> str:
        while True:
            value = make(rng)
            if value not in self.used:
                self.used.add(value)
                return value


@dataclass
class Owner:
    name: str
    county: str
    municipality: str  # home municipality (postal town)
    kind: str  # kommun / region / other
    domain: str


class World:
    """Everything drawn from the sources, organised for fast sampling."""

    def __init__(self, pools: Pools) -> None:
        self.p = pools
        self.counties = sorted(pools.county_munis)
        self.munis = [(m, c) for c in self.counties for m in pools.county_munis[c]]
        owners: list[Owner] = []
        for m, c in self.munis:
            if m in CITY_OWNERS:
                name = CITY_OWNERS[m]
            elif m[-1] in "aeiouyåäösxz":
                name = f"{m} kommun"
            else:
                name = f"{m}s kommun"
            owners.append(Owner(name, c, m, "kommun", f"{_slug(m, '')}.se"))
        self.kommun_owners = owners
        self.region_owners = [
            Owner(REGION_OWNER[c], c, pools.county_munis[c][0], "region", f"region{_slug(c, '')}.se")
            for c in self.counties
        ]
        others = []
        for name, county in pools.json_owners:
            if county not in pools.county_munis:
                continue
            words = _slug(name, " ").split()[:2] or ["info"]
            home = pools.county_munis[county][len(name) % len(pools.county_munis[county])]
            others.append(Owner(name, county, home, "other", ".".join(words) + ".se"))
        self.other_owners = others
        # where summary sentences come from: project descriptions first, then
        # on-topic government prose, then other (non-administrative) prose
        self.sent_sources = [
            (pools.project, 0.50),
            (pools.topical or pools.project, 0.90),
            (pools.general or pools.project, 1.0),
        ]

    # -- people and places --------------------------------------------------
    def owner(self, rng: random.Random) -> Owner:
        r = rng.random()
        if r < 0.55:
            return rng.choice(self.kommun_owners)
        if r < 0.68:
            return rng.choice(self.region_owners)
        return rng.choice(self.other_owners) if self.other_owners else rng.choice(self.kommun_owners)

    def municipalities(self, rng: random.Random, owner: Owner, whole_county: float = 0.15) -> list[str]:
        munis = self.p.county_munis[owner.county]
        if owner.kind == "region" or rng.random() < whole_county:
            return list(munis)
        k = min(len(munis), 1 + int(rng.expovariate(0.6)))
        chosen = {owner.municipality} | set(rng.sample(munis, k - 1 if k > 1 else 0))
        return sorted(chosen, key=munis.index)

    def contact(self, rng: random.Random, owner: Owner) -> tuple[str, str]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        return f"{first} {last}", f"{_fold(first)}.{_fold(last)}@{owner.domain}"

    def title(self, rng: random.Random, owner: Owner, year: int) -> str:
        name = rng.choice(self.p.names)
        r = rng.random()
        if r < 0.55:
            return name
        if r < 0.75:
            return f"{name} {owner.municipality}"
        if r < 0.90:
            return f"{name} {year}-{year + rng.choice((1, 2, 3))}"
        return f"Förstudie: {name}"

    # -- text ------------------------------------------------------------
    def _sentence(self, rng: random.Random) -> str:
        r = rng.random()
        pool = next((p for p, upto in self.sent_sources if r < upto), self.sent_sources[-1][0])
        return pool[int(rng.random() * len(pool))]

    def paragraphs(self, rng: random.Random, target_words: int, gov: bool = False) -> list[list[str]]:
        """A summary as paragraphs; each paragraph is a list of lines (bullets are lines)."""
        paras: list[list[str]] = []
        words = 0
        used: set[str] = set()
        first = True
        while words < target_words:
            if not gov and not first and self.p.intros and self.p.bullets and rng.random() < 0.12:
                lines = [rng.choice(self.p.intros)]
                lines += ["- " + rng.choice(self.p.bullets) for _ in range(rng.randint(2, 5))]
                paras.append(lines)
                words += sum(len(x.split()) for x in lines)
                continue
            sents: list[str] = []
            for _ in range(rng.randint(1, 5)):
                if first and not gov and self.p.openers:
                    s = rng.choice(self.p.openers)
                elif gov:
                    s = self.p.government[int(rng.random() * len(self.p.government))]
                else:
                    s = self._sentence(rng)
                first = False
                if s in used:
                    continue
                used.add(s)
                sents.append(s)
                words += len(s.split())
                if words >= target_words:
                    break
            if sents:
                paras.append([" ".join(sents)])
        return paras

    @staticmethod
    def target_words(rng: random.Random, median: float = 230.0) -> int:
        return int(min(1200, max(40, math.exp(rng.gauss(math.log(median), 0.45)))))


# ---------------------------------------------------------------------------
# Record renderers. Each returns (record id, text).
# ---------------------------------------------------------------------------
def _period(
    rng: random.Random, first: tuple[int, int], last: tuple[int, int], feasibility: bool
) -> tuple[date, date]:
    span = (last[0] * 12 + last[1]) - (first[0] * 12 + first[1])
    y, m = _add_months(first[0], first[1], rng.randint(0, span))
    months = rng.randint(3, 10) if feasibility else rng.randint(12, 40)
    start = date(y, m, rng.choice((1, 1, 1, 2, 15)))
    ey, em = _add_months(y, m, months - 1)
    return start, _month_end(ey, em)


def _budget(rng: random.Random, feasibility: bool) -> tuple[int, int]:
    lo, hi = (
        (math.log(150_000), math.log(1_500_000)) if feasibility else (math.log(800_000), math.log(40_000_000))
    )
    total = int(math.exp(rng.uniform(lo, hi)))
    if rng.random() < 0.25:
        return total, total
    return total, int(total * rng.uniform(0.4, 0.95))


def _labels(pairs: list[tuple[str, str | None]]) -> str:
    out = []
    for label, value in pairs:
        out.append(f"{label}:")
        if value not in (None, ""):
            out.append(value)
    return "\n".join(out)


def _dnr(ids: UniqueIds, rng: random.Random, year: int, cap: int) -> str:
    return ids.draw(rng, lambda r: f"{year}/{r.randint(1, cap):05d}")


def render_projektbank(w: World, rng: random.Random, ids: UniqueIds, cap: int):
    owner = w.owner(rng)
    feas = rng.random() < 0.2
    start, end = _period(rng, (2014, 9), (2021, 12), feas)
    dnr = _dnr(ids, rng, max(2014, start.year - rng.choice((0, 0, 1))), cap)
    title = w.title(rng, owner, start.year)
    total, esf = _budget(rng, feas)
    area = _weighted(rng, ESF_AREA_WEIGHTS)
    _, objectives, interventions = ESF_AREAS[area]
    name, email = w.contact(rng, owner)
    owner_name = owner.name
    if owner.kind == "kommun" and rng.random() < 0.4:
        owner_name = f"{owner.name}, {rng.choice(DEPARTMENTS + [owner.name])}"
    like_000 = rng.random() < 0.5
    pairs: list[tuple[str, str | None]] = [("Diarienummer", dnr), ("Namn", title)]
    if like_000:
        pairs += [("Startdatum", None), ("Slutdatum", None)]
    pairs += [
        ("Projektnummer", dnr),
        ("Projektägare", owner_name),
        ("Region", COUNTY_REGION[owner.county][0]),
        ("Planerat antal deltagare", "0" if feas or rng.random() < 0.15 else str(rng.randint(8, 400))),
        ("Projektperiod", f"{start.isoformat()} - {end.isoformat()}"),
        ("Total projektbudget", amount(total)),
        ("Beviljat ESF-stöd", amount(esf)),
        ("Kontaktperson", name),
        ("E-post", email),
        ("Stödmottagare postnr", f"{rng.randint(10000, 98499)}"),
    ]
    if like_000:
        pairs.append(("Stödmottagarens address", None))
    pairs += [
        ("Programområde", area),
        ("Specifikt mål", rng.choice(objectives)),
        ("Unionens medfinansieringsgrad", "50%" if rng.random() < 0.9 else "60%"),
        ("Interventionstyp", rng.choice(interventions)),
    ]
    paras = w.paragraphs(rng, w.target_words(rng))
    body = "\n".join(line for p in paras for line in p)
    text = f"{dnr} - {title}\n\n{_labels(pairs)}\n\n{body}"
    return dnr, title, text


def render_esfplus(w: World, rng: random.Random, ids: UniqueIds, cap: int):
    owner = w.owner(rng)
    feas = rng.random() < 0.25
    start, end = _period(rng, (2022, 1), (2026, 6), feas)
    if rng.random() < 0.5:
        end = start + timedelta(days=rng.randint(90, 1100))
    yy = max(21, start.year - 2000 - rng.choice((0, 1, 1)))
    pid = ids.draw(rng, lambda r: f"{yy:02d}-{r.randint(1, cap):03d}-S{r.randint(1, 60):02d}")
    title = w.title(rng, owner, start.year)
    if rng.random() < 0.3:
        title = title[:1].lower() + title[1:]  # seed 002 has a lower-case title
    area = rng.choice(sorted(ESFPLUS_AREAS))
    if owner.kind == "kommun":
        org = _luhn_complete(f"212000{rng.randint(0, 999):03d}")
    elif owner.kind == "region":
        org = _luhn_complete(f"232100{rng.randint(0, 999):03d}")
    else:
        org = _luhn_complete(f"{rng.choice(('55', '71', '80', '82', '20'))}{rng.randint(0, 9_999_999):07d}")
    region, nuts = COUNTY_REGION[owner.county]
    pairs = [
        ("Diarienummer", pid),
        ("Namn", title),
        ("Startdatum", start.isoformat()),
        ("Slutdatum", end.isoformat()),
        ("Land som berörs", "Sverige"),
        ("Berörd fond", "ESF+"),
        ("Program CCI", "2021SE05SFPR"),
        ("Projektägare organisationsnummer", org),
        ("Projektägare", owner.name.upper() if rng.random() < 0.7 else owner.name),
        ("Unionens medfinansieringsgrad", "40%" if rng.random() < 0.85 else "50%"),
        ("Programområde", area),
        ("Specifikt mål", rng.choice(ESFPLUS_AREAS[area])),
        ("Sekundärtema - Motverka barnfattigdom", "Ja" if rng.random() < 0.15 else "Nej"),
        ("Region", region),
        ("NUTS-2 kod", nuts),
        ("Stödmottagare postnr", f"{rng.randint(10000, 98499)}"),
        ("Stödmottagare ort", owner.municipality.upper()),
        ("Interventionstyp", rng.choice(ESFPLUS_INTERVENTIONS)),
        ("Insats av strategisk betydelse", "Ja" if rng.random() < 0.1 else "Nej"),
    ]
    paras = w.paragraphs(rng, w.target_words(rng))
    body = "\n".join(line for p in paras for line in p)
    return pid, title, f"{pid} - {title}\n\n{_labels(pairs)}\n\n{body}"


def render_ebs(w: World, rng: random.Random, ids: UniqueIds, cap: int):
    owner = w.owner(rng)
    feas = rng.random() < 0.2
    start, end = _period(rng, (2014, 1), (2020, 6), feas)
    dnr = _dnr(ids, rng, max(2014, start.year - rng.choice((0, 0, 1))), cap)
    title = w.title(rng, owner, start.year)
    total, esf = _budget(rng, feas)
    area = _weighted(rng, ESF_AREA_WEIGHTS)
    name, email = w.contact(rng, owner)
    phone = f"{rng.choice(AREA_CODES)}-{rng.randint(10, 999)} {rng.randint(10, 99)}"
    if rng.random() < 0.5:
        phone += f" {rng.randint(10, 99)}"
    head = [
        f"ProgramområdeProgramområde {area} {ESF_AREAS[area][0]}",
        f"Projektfas{'Förprojektering' if feas else _weighted(rng, EBS_PHASES)}",
        f"Projektägare{owner.name}",
        f"Kontaktperson{name}",
        f"E-post{email}",
        f"Telefonnummer{phone}",
        f"Beviljat ESF-stöd{amount(esf, nbsp=True)} kr",
        f"Total projektbudget{amount(total, nbsp=True)} kr",
        f"Projektperiod{start.isoformat()} till {end.isoformat()}",
        f"Region{COUNTY_REGION[owner.county][0]}",
        "In English",
    ]
    target = w.target_words(rng)
    sections = [
        ("Sammanfattning", max(40, target // 4)),
        ("Bakgrund", max(60, target // 2)),
        ("Målsättning", max(30, target // 5)),
    ]
    for extra in EBS_EXTRA_SECTIONS:
        if rng.random() < 0.3:
            sections.append((extra, rng.randint(25, 90)))
    parts = [EBS_FURNITURE + (EBS_NOTICE if rng.random() < 0.3 else "") + title, "\n".join(head)]
    for heading, words in sections:
        paras = w.paragraphs(rng, words)
        parts.append(heading)
        parts.append("\n".join(line for p in paras for line in p))
    munis = w.municipalities(rng, owner)
    parts.append("\nKommun")
    parts.append("\n".join(f"  • {m}" for m in munis))
    return dnr, title, "\n\n".join(parts)


def render_json(w: World, rng: random.Random, ids: UniqueIds, cap: int):
    owner = w.owner(rng)
    start, end = _period(rng, (2014, 9), (2016, 10), False)
    end = _month_end(*_add_months(end.year, end.month, rng.randint(0, 30)))
    eid = ids.draw(rng, lambda r: f"{20200000 + r.randint(1, cap):08d}")
    munis = w.municipalities(rng, owner, whole_county=0.3)
    title = w.title(rng, owner, start.year)
    paras = w.paragraphs(rng, w.target_words(rng, median=170))
    desc = "  ".join("  ".join(p) for p in paras)
    if len(desc) > 3999:  # the source field is cut at 3 999 characters
        desc = desc[:3999]
    if rng.random() < 0.28:
        sek = rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30)) * rng.choice((100_000, 1_000_000))
    else:
        sek = int(math.exp(rng.uniform(math.log(180_000), math.log(60_000_000))))
    insats, tema = rng.choice(w.p.objectives)
    rec = {
        "_source": JSON_SOURCE,
        "ärende-id": eid,
        "stödmottagare": owner.name,
        "beviljat_belopp_sek": sek,
        "beviljat_belopp_eur": 0,
        "projektnamn": title,
        "projektbeskrivning": desc,
        "projekt_starttid": start.isoformat(),
        "projekt_sluttid": end.isoformat(),
        "län": owner.county,
        "kommuner": ", ".join(m.replace(" ", "") if m in NAME_FIXES.values() else m for m in munis),
        "uppdateringsdatum": "2016-10-14 01:17:38",
        "område": w.p.eruf_area.get(owner.county, COUNTY_REGION[owner.county][0]),
        "insatsområde": insats,
        "tematiskt_mål": tema,
    }
    return eid, title, rec


def render_markdown(w: World, rng: random.Random, ids: UniqueIds, cap: int):
    title = rng.choice(w.p.gov_titles)
    paras = w.paragraphs(rng, w.target_words(rng, median=200), gov=True)
    blocks = ["\n".join(p) for p in paras]
    if len(blocks) > 3 and rng.random() < 0.3:
        blocks.insert(
            rng.randint(1, len(blocks) - 1), rng.choice(("## Bakgrund", "## Skälen för regeringens beslut"))
        )
    return None, title, f"# {title}\n\n" + "\n\n".join(blocks) + "\n"


RENDERERS = {
    "projektbank": render_projektbank,
    "esfplus": render_esfplus,
    "ebs2020": render_ebs,
    "json": render_json,
    "markdown": render_markdown,
}


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------
def split_counts(n: int) -> dict[str, int]:
    """Largest-remainder apportionment of n over MIX (exact, deterministic)."""
    raw = {k: n * MIX[k] for k in LAYOUTS}
    counts = {k: int(v) for k, v in raw.items()}
    rest = n - sum(counts.values())
    for k in sorted(LAYOUTS, key=lambda k: (-(raw[k] - counts[k]), LAYOUTS.index(k)))[:rest]:
        counts[k] += 1
    return counts


def _subdir(layout: str, i: int) -> str:
    return f"{layout}/{i // FILES_PER_DIR:03d}"


def iter_records(n: int, seed: int = 1, sources: str | None = None) -> Iterator[dict]:
    """Yield {"layout", "id", "title", "name", "text"|"record"} in output order.

    ``name`` is the file path relative to the output folder; JSON records carry
    their dict in ``record`` and share a file per JSON_PER_FILE records.
    """
    w = World(load_pools(sources))
    counts = split_counts(n)
    dnr_ids, plus_ids, json_ids = UniqueIds(), UniqueIds(), UniqueIds()
    n_dnr = counts["projektbank"] + counts["ebs2020"]
    dnr_cap = max(2000, 3 * n_dnr // 8)  # per year, 8 years
    plus_cap = max(150, 3 * counts["esfplus"] // (5 * 60) + 1)  # calls per year (5 years, S01-S60)
    json_cap = max(9999, 3 * counts["json"])
    caps = {"projektbank": dnr_cap, "ebs2020": dnr_cap, "esfplus": plus_cap, "json": json_cap, "markdown": 0}
    ids = {
        "projektbank": dnr_ids,
        "ebs2020": dnr_ids,
        "esfplus": plus_ids,
        "json": json_ids,
        "markdown": UniqueIds(),
    }
    for layout in LAYOUTS:
        rng = random.Random(f"esfsearch-bench:{seed}:{layout}")
        render = RENDERERS[layout]
        for i in range(counts[layout]):
            rid, title, payload = render(w, rng, ids[layout], caps[layout])
            if layout == "json":
                f = i // JSON_PER_FILE
                name = f"{_subdir(layout, f)}/projects-{f:05d}.json"
                yield {"layout": layout, "id": rid, "title": title, "name": name, "record": payload}
                continue
            if layout == "markdown":
                rid = f"md-{i:06d}"
                fname = f"{_slug(title)[:80].rstrip('-')}-{i:06d}.md"
            else:
                fname = f"{i:06d}_{hashlib.sha1(rid.encode()).hexdigest()[:16]}.txt"
            name = f"{_subdir(layout, i)}/{fname}"
            yield {"layout": layout, "id": rid, "title": title, "name": name, "text": payload}


def generate(n: int, out: Path, seed: int = 1, sources: str | None = None) -> dict[str, int]:
    """Write n records under out/<layout>/<NNN>/...; return records per layout."""
    out = Path(out)
    counts = dict.fromkeys(LAYOUTS, 0)
    made: set[Path] = set()
    batch: list[dict] = []
    batch_name = None

    def flush() -> None:
        if batch:
            p = out / batch_name
            p.write_text(json.dumps(batch, ensure_ascii=False, indent=1), encoding="utf-8")
            batch.clear()

    for rec in iter_records(n, seed, sources):
        counts[rec["layout"]] += 1
        path = out / rec["name"]
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        if rec["layout"] == "json":
            if rec["name"] != batch_name:
                flush()
                batch_name = rec["name"]
            batch.append(rec["record"])
            continue
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(rec["text"])
    flush()
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20000, help="number of records (default 20000)")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--sources",
        default=None,
        help="folder with seeds/, projektbanken-eruf-2014-2020/, regeringsuppdrag/ ... "
        "(default: the repo's corpus/, then /work/shared/data and /work/shared)",
    )
    args = ap.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        print(
            f"warning: {args.out} is not empty; files of earlier runs are kept and counted", file=sys.stderr
        )
    t0 = time.perf_counter()
    pools = load_pools(args.sources)
    t1 = time.perf_counter()
    counts = generate(args.n, args.out, args.seed, args.sources)
    t2 = time.perf_counter()
    files = sum(1 for p in args.out.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(
        f"{args.n} records (seed {args.seed}) -> {args.out}: {files} files, {size / 1e6:.1f} MB, "
        f"{t2 - t0:.1f} s (sources {t1 - t0:.1f} s)"
    )
    for layout in LAYOUTS:
        print(f"  {layout:<12} {counts[layout]:>8}")
    print(
        f"  sentences: {len(pools.project)} project, {len(pools.topical)} + {len(pools.general)} government, "
        f"{len(pools.government)} for Markdown; {len(pools.names)} project names"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
