"""Parsing field values as they are written in Swedish project texts: amounts, dates, periods, rates."""

from __future__ import annotations

import re
from datetime import date

_AMOUNT = re.compile(r"^-?\d[\d\s\u00a0\u202f.]*(?:,\d+)?$")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_amount(text: str | int | float | None) -> int | None:
    """'11 256 577', '2 761 412 kr', '400 000 SEK' -> int SEK; None when missing or unreadable."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return int(text)
    value = re.sub(r"(?i)\s*(kr|kronor|sek|:-)\.?\s*$", "", str(text).strip())
    if not value or not _AMOUNT.match(value):
        return None
    value = value.split(",")[0]
    digits = re.sub(r"[\s\u00a0\u202f.]", "", value)
    try:
        return int(digits)
    except ValueError:
        return None


def parse_int(text: str | int | None) -> int | None:
    if text is None:
        return None
    if isinstance(text, int):
        return text
    m = re.match(r"^\s*(\d[\d\s\u00a0]*)\s*$", str(text))
    return int(re.sub(r"\D", "", m.group(1))) if m else None


def parse_date(text: str | None) -> date | None:
    """First ISO date in the text ('2016-10-14 01:17:38' included)."""
    if not text:
        return None
    m = _DATE.search(str(text))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_period(text: str | None) -> tuple[date | None, date | None]:
    """'2019-05-01 - 2021-12-31' or '2014-01-02 till 2014-12-31' -> (start, end)."""
    if not text:
        return None, None
    found = _DATE.findall(str(text))
    dates: list[date | None] = []
    for y, m, d in found[:2]:
        try:
            dates.append(date(int(y), int(m), int(d)))
        except ValueError:
            dates.append(None)
    while len(dates) < 2:
        dates.append(None)
    return dates[0], dates[1]


def parse_rate(text: str | float | None) -> float | None:
    """'50%' or '40 %' -> 50.0 (percent)."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    m = re.search(r"(\d+(?:[.,]\d+)?)\s*%?", str(text))
    return float(m.group(1).replace(",", ".")) if m else None


# Named programme areas that only existed in one ESF programme.
_AREA_PERIODS = {
    "ökat arbetskraftsutbud": "2007-2013",
    "ökade övergångar till arbete": "2014-2020",
    "sysselsättningsinitiativet för unga": "2014-2020",
}


def derive_period(
    fund: str | None, start: date | None, programme_area: str | None = None, cci: str | None = None
) -> str | None:
    """Programme period from what the source says; dates are the fallback."""
    if cci:
        m = re.match(r"(20\d\d)SE", cci)
        if m:
            first = int(m.group(1))
            for period in ("2007-2013", "2014-2020", "2021-2027"):
                lo, hi = map(int, period.split("-"))
                if lo <= first <= hi:
                    return period
    if fund and fund.upper() == "ESF+":
        return "2021-2027"
    if programme_area:
        area = programme_area.lower()
        for name, period in _AREA_PERIODS.items():
            if name in area:
                return period
    if start is None:
        return None
    year = start.year
    if 2007 <= year <= 2013:
        return "2007-2013"
    if 2014 <= year <= 2020:
        return "2014-2020"
    if year >= 2021:
        # ESF 2014-2020 projects (numeric programme areas) ran on into 2021-2023.
        if fund == "ESF" and programme_area and programme_area.strip()[:1].isdigit() and year <= 2023:
            return "2014-2020"
        return "2021-2027"
    return None


_AREA_PREFIX = re.compile(r"^\s*(?:programområde|po)\b\s*[:.]?\s*", re.I)
_AREA_CODE = re.compile(r"^(\d{1,2}|[A-Fa-f])(?=$|[\s.:,;–-])")


def programme_area_label(value: str | None) -> str | None:
    """One label per programme area, however the source writes it: '2', 'Programområde 2' and
    'Programområde 2 Ökade övergångar till arbete' are all 'Programområde 2' (ESF+ areas are letters:
    'Programområde D'). A value without a code ('Ökat arbetskraftsutbud') keeps its name."""
    if not value or not str(value).strip():
        return None
    text = " ".join(str(value).split())
    while True:
        stripped = _AREA_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    if not text:
        return None
    m = _AREA_CODE.match(text)
    if m:
        return f"Programområde {m.group(1).upper()}"
    return text[:1].upper() + text[1:]


def split_list(text: str | None) -> list[str]:
    """'Arvika, Eda, Filipstad' -> ['Arvika', 'Eda', 'Filipstad']."""
    if not text:
        return []
    items = [t.strip() for t in re.split(r"[,;\n]", str(text))]
    seen: dict[str, None] = {}
    for item in items:
        if item and item.lower() not in {k.lower() for k in seen}:
            seen[item] = None
    return list(seen)
