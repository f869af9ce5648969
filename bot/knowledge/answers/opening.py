"""Opening hours and "open now?": schedules in words, an office's status, a given day."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from bot.core.languages import BEIJING
from bot.core.text import _, current
from bot.core.types import Outbound
from bot.knowledge.answers.common import Context, colon, gap, office_name, related, with_footer
from bot.knowledge.hours import (
    HOLIDAY_NAMES,
    DayKind,
    HolidayCalendar,
    OpeningStatus,
    opens_on,
    sessions_on,
    status_at,
)
from bot.knowledge.model import KnowledgeBase, Office, Provenance, Schedule, Session
from bot.knowledge.query import offices_named


def describe_schedule(schedule: Schedule) -> str:
    """`Monday to Friday, 08:30–17:30; Saturday, 08:30–12:30`: equal days grouped."""
    translator = current()
    groups: list[tuple[list[int], tuple[Session, ...]]] = []
    for weekday in sorted(schedule.weekdays):
        sessions = schedule.sessions_on(weekday)
        if groups and groups[-1][1] == sessions and groups[-1][0][-1] == weekday - 1:
            groups[-1][0].append(weekday)
        else:
            groups.append(([weekday], sessions))
    parts = []
    for days, sessions in groups:
        times = _(" and ").join(
            f"{translator.format_time(s.opens)}–{translator.format_time(s.closes)}"
            for s in sessions
        )
        parts.append(_("{days}, {times}").format(days=_day_range(days), times=times))
    return translator.format_list(parts)


def hours(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """Every schedule with its offices and lunch breaks; a named office or day gets its status."""
    knowledge = context.knowledge
    today = now.astimezone(BEIJING).date()
    days = context.lexicon
    if offices_named(query, knowledge.offices) or (
        query
        and not days.names_weekend(query)
        and (days.day(query, today, context.calendar) is not None or days.names_holiday(query))
    ):
        return open_now(context, now, query)
    lines = [_("Opening hours (Beijing time):")]
    used: list[Schedule] = []
    for schedule in knowledge.schedules.values():
        offices = [o for o in knowledge.offices if o.schedule_id == schedule.id]
        if not offices:
            continue
        used.append(schedule)
        lines.append("")
        lines.append(f"• {describe_schedule(schedule)}{colon().rstrip()}")
        lines += [f"  – {office_name(o)}" for o in offices]
        lines += ["  " + line for line in lunch_lines(schedule)]
        lines += [f"  {_(note)}" for note in schedule.conflicts]
    lines.append("")
    lines.append(
        _(
            "All centres are closed on Sundays and on Chinese statutory holidays; on "
            "an officially adjusted working day (调休) they open."
        )
    )
    lines += unpublished_hours(knowledge)
    text = with_footer("\n".join(lines), (s.provenance for s in used))
    return [Outbound(text=text, buttons=related("open_now", "address"))]


def status_line(context: Context, office: Office, now: dt.datetime) -> str:
    """`Open now, until 17:00` or `Closed now. Opens Monday 09:00.` for one office."""
    if office.schedule_id is None:
        return _("Opening hours not published: call 12367.")
    schedule = context.knowledge.schedules[office.schedule_id]
    return _status_text(status_at(schedule, now, context.calendar))


def open_now(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """Whether each office (or the ones named) is open now, or on the day asked about."""
    knowledge = context.knowledge
    translator = current()
    local = now.astimezone(BEIJING)
    named = offices_named(query, knowledge.offices)
    offices = named or [o for o in knowledge.offices if o.schedule_id is not None]
    day = context.lexicon.day(query, local.date(), context.calendar) if query else None
    at = context.lexicon.time(query) if query else None
    if at is not None and day is None:
        day = local.date()
    lines = [
        _("Now in Beijing: {weekday} {date}, {time}.").format(
            weekday=translator.format_weekday(local.weekday()),
            date=translator.format_date(local.date()),
            time=translator.format_time(local.time()),
        ),
        "",
    ]
    if day is not None and at is not None:
        lines += [
            _("On {weekday} {date} at {time}:").format(
                weekday=translator.format_weekday(day.weekday()),
                date=translator.format_date(day),
                time=translator.format_time(at),
            ),
            "",
        ]
    elif day is not None and day != local.date():
        lines += [
            _("On {weekday} {date}:").format(
                weekday=translator.format_weekday(day.weekday()),
                date=translator.format_date(day),
            ),
            "",
        ]
    if day is None and query and context.lexicon.names_holiday(query):
        lines += [
            _(
                "The official holiday schedule that gives the date of that holiday is not "
                "published yet, so I cannot say for that day. Here is the status now; check "
                "with 12367 before you go."
            ),
            "",
        ]
    provenances: list[Provenance] = []
    for office in offices:
        if office.schedule_id is None:
            lines.append(f"• {office_name(office)}{colon()}{status_line(context, office, now)}")
            continue
        schedule = knowledge.schedules[office.schedule_id]
        provenances.append(schedule.provenance)
        if day is not None and at is not None:
            status = time_line(context.calendar, schedule, day, at)
        elif day is not None and day != local.date():
            status = day_line(context.calendar, schedule, day)
        else:
            status = status_line(context, office, now)
        lines.append(f"• {office_name(office)}{colon()}{status}")
        if named:
            lines.append("  " + _("Hours: {hours}").format(hours=describe_schedule(schedule)))
            lines += ["  " + line for line in lunch_lines(schedule)]
    unpublished = [] if named else unpublished_hours(knowledge)
    if unpublished:
        lines += ["", *unpublished]
    text = with_footer("\n".join(lines), provenances)
    return [Outbound(text=text, buttons=related("hours", "address"))]


def unpublished_hours(knowledge: KnowledgeBase) -> list[str]:
    """The line naming the offices whose hours no source gives (none if all are known)."""
    unknown = [office_name(o) for o in knowledge.offices if o.schedule_id is None]
    if not unknown:
        return []
    return [
        _("Hours not published for: {offices}. Call 12367 before you go.").format(
            offices=current().format_list(unknown)
        )
    ]


def day_line(calendar: HolidayCalendar, schedule: Schedule, day: dt.date) -> str:
    """Whether and when an office opens on a given day, holidays included."""
    translator = current()
    opens = opens_on(schedule, day, calendar)
    if opens is None:
        return _(
            "The official holiday schedule for {year} is not published yet, so I cannot "
            "say for sure. On an ordinary week: {hours}. Check with 12367 before you go."
        ).format(year=day.year, hours=describe_schedule(schedule))
    if not opens:
        if calendar.day_kind(day) is DayKind.HOLIDAY:
            name = calendar.holiday_name(day)
            return _("Closed: statutory holiday ({holiday}).").format(
                holiday=_(HOLIDAY_NAMES.get(name or "", name or ""))
            )
        return _("Closed that day.")
    sessions = sessions_on(schedule, day, calendar)
    times = translator.format_list(
        [f"{translator.format_time(s.opens)}–{translator.format_time(s.closes)}" for s in sessions]
    )
    if calendar.day_kind(day) is DayKind.ADJUSTED_WORKDAY:
        return _("Open: {times} (an official adjusted working day).").format(times=times)
    return _("Open: {times}.").format(times=times)


def time_line(calendar: HolidayCalendar, schedule: Schedule, day: dt.date, at: dt.time) -> str:
    """Whether an office is open at a time of a given day, and when it opens or closes."""
    if not opens_on(schedule, day, calendar):
        return day_line(calendar, schedule, day)  # closed that day, or not yet known
    translator = current()
    sessions = sessions_on(schedule, day, calendar)
    values = {"time": translator.format_time(at)}
    for session in sessions:
        if session.opens <= at < session.closes:
            return _("Open at {time}, until {closes}.").format(
                closes=translator.format_time(session.closes), **values
            )
    later = [s for s in sessions if s.opens > at]
    if later and later[0] is not sessions[0]:
        return _("Closed at {time} for lunch; open again at {opens}.").format(
            opens=translator.format_time(later[0].opens), **values
        )
    if later:
        return _("Closed at {time}: opens at {opens}.").format(
            opens=translator.format_time(later[0].opens), **values
        )
    return _("Closed at {time}: it closes at {closes}.").format(
        closes=translator.format_time(sessions[-1].closes), **values
    )


def lunch_lines(schedule: Schedule) -> list[str]:
    """`Closed for lunch from 12:00 to 13:30.` for each break of the schedule's first day."""
    translator = current()
    daily = schedule.sessions_on(schedule.weekdays[0])
    return [
        _("Closed for lunch from {start} to {end}.").format(
            start=translator.format_time(first.closes),
            end=translator.format_time(second.opens),
        )
        for first, second in itertools.pairwise(daily)
    ]


def _day_range(weekdays: Sequence[int]) -> str:
    translator = current()
    days = sorted(weekdays)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return _("{first} to {last}").format(
            first=translator.format_weekday(days[0]), last=translator.format_weekday(days[-1])
        )
    return translator.format_list([translator.format_weekday(d) for d in days])


def _status_text(status: OpeningStatus) -> str:
    translator = current()
    if status.reason == "unknown" and status.closes_at is not None:
        return _(
            "On an ordinary week it is open now, until {time}, but the official holiday "
            "schedule for this year is not published yet: check with 12367 before you go."
        ).format(time=translator.format_time(status.closes_at.timetz().replace(tzinfo=None)))
    if status.open_now and status.closes_at is not None:
        return _("Open now, until {time}.").format(
            time=translator.format_time(status.closes_at.timetz().replace(tzinfo=None))
        )
    reasons = {
        "lunch": _("Closed now for lunch."),
        "before": _("Closed now: not open yet today."),
        "after": _("Closed now: closed for the day."),
        "sunday": _("Closed now: closed on Sundays."),
        "holiday": _("Closed now: statutory holiday."),
        "day_off": _("Closed today."),
    }
    text = reasons.get(status.reason, _("Closed now."))
    if status.next_opening is not None:
        local = status.next_opening
        text += gap() + _("Next opening: {weekday} {date}, {time}.").format(
            weekday=translator.format_weekday(local.weekday()),
            date=translator.format_date(local.date()),
            time=translator.format_time(local.time()),
        )
    if not status.calendar_known:
        text += gap() + _(
            "The official holiday schedule for that time is not published yet, "
            "so check with 12367 before you go."
        )
    return text
