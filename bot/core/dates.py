"""Dates as people type them, in many languages, and calendar-month arithmetic.

Numeric forms are read here, so that an ambiguous `03/04/2027` is reported as ambiguous
instead of silently guessed and an impossible `31/02/2027` is told apart from garbage. Month
names in any of the bot's languages (`15 June 2027`, `15 июня 2027`, `2027年6月15日`) are left to
dateparser, which knows them all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.core.languages import CODES

LANGUAGES = CODES

_YEAR_FIRST = re.compile(r"^(\d{4})\s*[-/.年년]\s*(\d{1,2})\s*[-/.月월]\s*(\d{1,2})\s*[日일]?\.?$")
_YEAR_LAST = re.compile(r"^(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})\.?$")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass(frozen=True, slots=True)
class Exact:
    """One valid date."""

    date: dt.date


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Two valid readings (day/month or month/day); the user must choose."""

    options: tuple[dt.date, dt.date]


@dataclass(frozen=True, slots=True)
class Impossible:
    """Looks like a date but no such day exists (31 February)."""

    year: int
    month: int
    day: int


@dataclass(frozen=True, slots=True)
class Unreadable:
    """No date found in the text."""


ParsedDate = Exact | Ambiguous | Impossible | Unreadable


def _make(year: int, month: int, day: int) -> Exact | Impossible:
    try:
        return Exact(dt.date(year, month, day))
    except ValueError:
        return Impossible(year, month, day)


def parse_date(text: str) -> ParsedDate:
    """Read a full date (day, month and year) from what a user typed."""
    cleaned = unicodedata.normalize("NFKC", text).translate(_ARABIC_DIGITS).strip()
    cleaned = cleaned.rstrip("。.!！ ")
    if not cleaned or len(cleaned) > 60:
        return Unreadable()
    match = _YEAR_FIRST.match(cleaned)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day)
    match = _YEAR_LAST.match(cleaned)
    if match:
        first, separator, second, year_text = match.groups()
        a, b, year = int(first), int(second), int(year_text)
        if year < 100:  # 15.06.27: cards are issued and expire in this century
            year += 2000
        if separator == ".":  # 15.06.2027: day first wherever dots are used
            return _make(year, b, a)
        if a > 12 or b > 12 or a == b:
            day, month = (a, b) if a > 12 or a == b else (b, a)
            return _make(year, month, day)
        day_first, month_first = _make(year, b, a), _make(year, a, b)
        if isinstance(day_first, Exact) and isinstance(month_first, Exact):
            return Ambiguous((day_first.date, month_first.date))
        return day_first if isinstance(day_first, Exact) else month_first
    if not re.search(r"\d{4}", cleaned):
        return Unreadable()
    found = _date_parser().get_date_data(cleaned)
    if found is None or found.date_obj is None:
        return _impossible_with_month_name(cleaned)
    return Exact(found.date_obj.date())


def _impossible_with_month_name(text: str) -> ParsedDate:
    """`31 February 2027`: report the impossible day rather than 'unreadable'."""
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    years = [n for n in numbers if n >= 1000]
    days = [n for n in numbers if 28 < n <= 31]
    if len(years) != 1 or len(days) != 1:
        return Unreadable()
    for day in (28, 1):  # find the month with a day that certainly exists
        probe = re.sub(rf"\b{days[0]}\b", str(day), text, count=1)
        found = _date_parser().get_date_data(probe)
        if found is not None and found.date_obj is not None:
            month = found.date_obj.month
            return Impossible(years[0], month, days[0])
    return Unreadable()


@lru_cache(maxsize=1)
def _date_parser() -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=list(LANGUAGES),
        settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"]},
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (or earlier), clamped to the month's end.

    31 March minus one month is 28 February (29 in a leap year).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))
