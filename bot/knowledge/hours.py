"""Opening hours in Beijing time: is an office open at a moment, and when does it open next.

Holidays come from the `chinese-calendar` package and, for a year it does not cover yet, from
data/holidays.yaml (the State Council's notice, copied by hand with its source).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from bot.core.languages import BEIJING
from bot.core.text import N_
from bot.knowledge.files import DataFile, repeats
from bot.knowledge.model import HolidaysFile, HolidayYear, Schedule, Session

# The names chinese_calendar gives, marked for translation.
HOLIDAY_NAMES: dict[str, str] = {
    "New Year's Day": N_("New Year's Day"),
    "Spring Festival": N_("Spring Festival"),
    "Tomb-sweeping Day": N_("Qingming Festival (Tomb-sweeping Day)"),
    "Labour Day": N_("Labour Day"),
    "Dragon Boat Festival": N_("Dragon Boat Festival"),
    "National Day": N_("National Day"),
    "Mid-autumn Festival": N_("Mid-Autumn Festival"),
    "Anti-Fascist 70th Day": N_("Victory Day (70th anniversary)"),
}
LOOKAHEAD_DAYS = 14


class DayKind(StrEnum):
    """What the official calendar says about a date."""

    ORDINARY = "ordinary"  # a weekday or weekend with no special arrangement
    HOLIDAY = "holiday"  # a statutory holiday (or a day of its bridged break)
    ADJUSTED_WORKDAY = "adjusted_workday"  # a weekend day made a working day (调休)
    UNKNOWN = "unknown"  # the calendar for that year is not published yet


class HolidayCalendar(Protocol):
    """China's statutory holidays and adjusted working days."""

    def day_kind(self, day: dt.date) -> DayKind:
        """What kind of day `day` is."""
        ...

    def holiday_name(self, day: dt.date) -> str | None:
        """The English name of the holiday on `day`, if any."""
        ...


#: What the package gives for a day: (on holiday or weekend, the holiday's name or None);
#: raises NotImplementedError for a year it does not cover.
HolidayDetail = Callable[[dt.date], tuple[bool, str | None]]


# The package's answers by date (None: a year it does not cover). Its data never changes in
# a running process, and an hours answer asks about forty days, each costing ~20 µs.
_DETAILS: dict[dt.date, tuple[bool, str | None] | None] = {}
_DETAILS_KEPT = 20_000  # dates: far more than a few years either side of today


def _package_detail(day: dt.date) -> tuple[bool, str | None]:
    try:
        detail = _DETAILS[day]
    except KeyError:
        import chinese_calendar

        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            detail = bool(on_holiday), None if name is None else str(name)
        except NotImplementedError:
            detail = None
        if len(_DETAILS) < _DETAILS_KEPT:
            _DETAILS[day] = detail
    if detail is None:
        raise NotImplementedError(f"no holiday data for {day.year}")
    return detail


class PublishedYears:
    """The years of data/holidays.yaml: each State Council notice, copied by hand."""

    def __init__(self, years: Iterable[HolidayYear] = ()) -> None:
        self._years = {year.year: year for year in years}
        self._holidays: dict[dt.date, str] = {}
        self._workdays: set[dt.date] = set()
        for year in self._years.values():
            for holiday in year.holidays:
                span = (holiday.end - holiday.start).days + 1
                for n in range(span):
                    self._holidays[holiday.start + dt.timedelta(days=n)] = holiday.name
            self._workdays |= set(year.workdays)

    @classmethod
    def load(cls, path: Path) -> PublishedYears:
        """Read and validate data/holidays.yaml (a holiday must have a name we translate)."""
        file = DataFile(path, "years", "year")
        published = file.validate(HolidaysFile, {"years": ("year", "year")})
        for index, _first in repeats(year.year for year in published.years):
            file.fail(f"year {published.years[index].year}: listed twice")
        for year in published.years:
            for holiday in year.holidays:
                if holiday.name not in HOLIDAY_NAMES:
                    known = ", ".join(sorted(HOLIDAY_NAMES))
                    file.fail(
                        f"year {year.year}: unknown holiday name {holiday.name!r} (known: {known})"
                    )
        return cls(published.years)

    @property
    def years(self) -> frozenset[int]:
        """The years this file covers."""
        return frozenset(self._years)

    def day_kind(self, day: dt.date) -> DayKind:
        """Classify a date; UNKNOWN for a year without a notice here."""
        if day.year not in self._years:
            return DayKind.UNKNOWN
        if day in self._holidays:
            return DayKind.HOLIDAY
        if day in self._workdays:
            return DayKind.ADJUSTED_WORKDAY
        return DayKind.ORDINARY

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday's English name (the package's wording), if `day` is one."""
        return self._holidays.get(day)


class ChineseCalendar:
    """The `chinese_calendar` package, then data/holidays.yaml for a year the package lacks.

    `detail` stands for the package's `get_holiday_detail` (tests pass a fake, so that a new
    release of the package cannot change what they see).
    """

    def __init__(
        self, published: PublishedYears | None = None, detail: HolidayDetail | None = None
    ) -> None:
        self._published = published or PublishedYears()
        self._detail = detail or _package_detail

    def day_kind(self, day: dt.date) -> DayKind:
        """Classify a date; UNKNOWN for years neither the package nor the file covers."""
        try:
            on_holiday, name = self._detail(day)
        except NotImplementedError:
            return self._published.day_kind(day)
        if on_holiday and name is not None:
            return DayKind.HOLIDAY
        if not on_holiday and day.weekday() >= 5:
            return DayKind.ADJUSTED_WORKDAY
        return DayKind.ORDINARY

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday's English name as the package gives it (e.g. "National Day")."""
        try:
            on_holiday, name = self._detail(day)
        except NotImplementedError:
            return self._published.holiday_name(day)
        return name if on_holiday and name is not None else None


def unpublished_years(calendar: HolidayCalendar, today: dt.date) -> list[int]:
    """The years whose holiday schedule is not published, among the next LOOKAHEAD_DAYS."""
    years: list[int] = []
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        if day.year not in years and calendar.day_kind(day) is DayKind.UNKNOWN:
            years.append(day.year)
    return years


@dataclass(frozen=True, slots=True)
class OpeningStatus:
    """Whether an office is open at a moment and what comes next."""

    open_now: bool  # False also when unknown; then `closes_at` is the ordinary closing time
    closes_at: dt.datetime | None  # when open: the end of the current session
    next_opening: dt.datetime | None  # when closed: the next session start, if known
    reason: str  # open, unknown, lunch, before, after, sunday, holiday, day_off
    calendar_known: bool  # False: holiday arrangements for a day involved are not published
    holiday: str | None = None


def opens_on(schedule: Schedule, day: dt.date, calendar: HolidayCalendar) -> bool | None:
    """Whether the office opens on `day`; None when the holiday calendar is not published."""
    kind = calendar.day_kind(day)
    if kind is DayKind.HOLIDAY and schedule.closed_for(calendar.holiday_name(day)):
        return False
    if kind is DayKind.ADJUSTED_WORKDAY:
        return True
    if day.weekday() not in schedule.weekdays:
        return False
    if kind is DayKind.UNKNOWN and (
        schedule.closed_on_statutory_holidays or schedule.closed_on_holidays
    ):
        return None
    return True


def sessions_on(
    schedule: Schedule, day: dt.date, calendar: HolidayCalendar
) -> tuple[Session, ...]:
    """The sessions held on `day`; an adjusted working weekend day runs like a Monday."""
    if calendar.day_kind(day) is DayKind.ADJUSTED_WORKDAY:
        return schedule.sessions_on(0)
    return schedule.sessions_on(day.weekday())


def status_at(schedule: Schedule, moment: dt.datetime, calendar: HolidayCalendar) -> OpeningStatus:
    """The opening status of a schedule at `moment` (any timezone; judged in Beijing time)."""
    local = moment.astimezone(BEIJING)
    today = local.date()
    opens_today = opens_on(schedule, today, calendar)
    known = opens_today is not None
    if opens_today is None:  # no holiday data for this year: judge by the ordinary week
        today_sessions = schedule.sessions_on(today.weekday())
    else:
        today_sessions = sessions_on(schedule, today, calendar) if opens_today else ()
    for session in today_sessions:
        start = dt.datetime.combine(today, session.opens, BEIJING)
        end = dt.datetime.combine(today, session.closes, BEIJING)
        if start <= local < end:
            return OpeningStatus(known, end, None, "open" if known else "unknown", known)
    next_opening, next_known = _next_opening(schedule, local, calendar)
    if today_sessions:
        first = dt.datetime.combine(today, today_sessions[0].opens, BEIJING)
        last = dt.datetime.combine(today, today_sessions[-1].closes, BEIJING)
        reason = "before" if local < first else "after" if local >= last else "lunch"
    elif calendar.day_kind(today) is DayKind.HOLIDAY and schedule.closed_for(
        calendar.holiday_name(today)
    ):
        reason = "holiday"
    elif today.weekday() == 6:
        reason = "sunday"
    else:
        reason = "day_off"
    return OpeningStatus(
        False,
        None,
        next_opening,
        reason,
        known and next_known,
        calendar.holiday_name(today) if reason == "holiday" else None,
    )


def _next_opening(
    schedule: Schedule, local: dt.datetime, calendar: HolidayCalendar
) -> tuple[dt.datetime | None, bool]:
    """The next session start after `local`, and whether every day looked at was known."""
    known = True
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + dt.timedelta(days=offset)
        opens = opens_on(schedule, day, calendar)
        if opens is None:
            known = False
            opens = day.weekday() in schedule.weekdays  # the ordinary week, said as uncertain
        if not opens:
            continue
        for session in sessions_on(schedule, day, calendar):
            start = dt.datetime.combine(day, session.opens, BEIJING)
            if start > local:
                return start, known
    return None, known
