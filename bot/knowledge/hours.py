"""Opening hours in Beijing time: is an office open at a moment, and when does it open next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.core.languages import BEIJING
from bot.core.text import N_
from bot.knowledge.model import Schedule, Session

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


class ChineseCalendar:
    """The `chinese_calendar` package: the State Council's yearly holiday arrangements."""

    def day_kind(self, day: dt.date) -> DayKind:
        """Classify a date; UNKNOWN for years the package does not cover yet."""
        import chinese_calendar

        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return DayKind.UNKNOWN
        if on_holiday and name is not None:
            return DayKind.HOLIDAY
        if not on_holiday and day.weekday() >= 5:
            return DayKind.ADJUSTED_WORKDAY
        return DayKind.ORDINARY

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday's English name as the package gives it (e.g. "National Day")."""
        import chinese_calendar

        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None
        return str(name) if on_holiday and name is not None else None


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
    if kind is DayKind.HOLIDAY and schedule.closed_on_statutory_holidays:
        return False
    if kind is DayKind.ADJUSTED_WORKDAY:
        return True
    if day.weekday() not in schedule.weekdays:
        return False
    if kind is DayKind.UNKNOWN and schedule.closed_on_statutory_holidays:
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
    elif calendar.day_kind(today) is DayKind.HOLIDAY and schedule.closed_on_statutory_holidays:
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
