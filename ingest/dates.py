"""Swedish dates as they appear on report covers and signatures, turned into ISO strings."""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}
_MONTH_ALT = "|".join(MONTHS)
_ISO = re.compile(r"(?<![\d-])(19[89]\d|20\d\d)-(\d{1,2})-(\d{1,2})(?![\d-])")
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}})(?::e|:a)?\s+({_MONTH_ALT})\s+(19[89]\d|20\d\d)\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"(?<![\w])({_MONTH_ALT})\s+(19[89]\d|20\d\d)\b", re.IGNORECASE)
_SHORT_LINE = re.compile(r"^\s*(\d\d)-(\d\d)-(\d\d)\s*$", re.MULTILINE)
_YEAR = re.compile(r"(?<![\d:/-])(19[89]\d|20[0-4]\d)(?![\d:/-]| ?[-–] ?\d)")


def _iso(year: int, month: int, day: int) -> str | None:
    """An ISO date if the parts make a real day, else None."""
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def full_dates(text: str) -> list[tuple[int, str]]:
    """(offset, ISO date) for every day-precise date, in text order."""
    found = []
    for m in _ISO.finditer(text):
        if iso := _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            found.append((m.start(), iso))
    for m in _DAY_MONTH_YEAR.finditer(text):
        if iso := _iso(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1))):
            found.append((m.start(), iso))
    return sorted(found)


def month_years(text: str) -> list[tuple[int, int, int]]:
    """(offset, year, month) for 'Januari 2024'-style cover dates without a day."""
    return [(m.start(), int(m.group(2)), MONTHS[m.group(1).lower()]) for m in _MONTH_YEAR.finditer(text)]


def short_dates(text: str, year: int, month: int) -> list[str]:
    """Two-digit 'yy-mm-dd' signature lines, trusted only when they agree with the cover's month."""
    out = []
    for m in _SHORT_LINE.finditer(text):
        y, mo, d = 2000 + int(m.group(1)), int(m.group(2)), int(m.group(3))
        if y == year and mo == month and (iso := _iso(y, mo, d)):
            out.append(iso)
    return out


def latest_year(text: str, now_year: int | None = None) -> int | None:
    """The most recent past year mentioned outside ranges: a last resort for undated reports."""
    limit = now_year or dt.date.today().year
    years = [int(m.group(1)) for m in _YEAR.finditer(text)]
    years = [y for y in years if y <= limit]
    return max(years) if years else None
