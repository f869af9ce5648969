"""Opening hours and "open now?": schedules in words, an office's status, a given day."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from bot.core.text import _, current
from bot.core.types import Outbound
from bot.knowledge.answers.common import (
    Context,
    colon,
    details_reply,
    gap,
    more_button,
    office_name,
    related,
    short_name,
    with_footer,
)
from bot.knowledge.hours import (
    BEIJING,
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
        times = _(" and ").join(_session_text(s) for s in sessions)
        parts.append(_("{days}, {times}").format(days=_day_range(days), times=times))
    return translator.format_list(parts)


def _session_text(session: Session) -> str:
    """`09:00–17:00`, or `08:30–12:30 (by appointment only)`."""
    translator = current()
    times = f"{translator.format_time(session.opens)}–{translator.format_time(session.closes)}"
    if session.by_appointment:
        return _("{times} (by appointment only)").format(times=times)
    return times


def holiday_line(schedule: Schedule) -> str:
    """What the offices on this schedule do on statutory holidays and adjusted working days."""
    if schedule.closed_on_statutory_holidays:
        return _("Closed on statutory holidays; open on officially adjusted working days (调休).")
    if schedule.closed_on_holidays:
        names = [_(HOLIDAY_NAMES.get(n, n)) for n in schedule.closed_on_holidays]
        return _(
            "Open on statutory holidays too, except during the {holidays} holidays; check "
            "before you go."
        ).format(holidays=current().format_list(names))
    return _("Open on statutory holidays too; check before you go.")


def schedule_lines(schedule: Schedule) -> list[str]:
    """An office's hours as it is shown everywhere: the week, lunch, holidays."""
    return [
        _("Hours: {hours}").format(hours=describe_schedule(schedule)),
        *lunch_lines(schedule),
        holiday_line(schedule),
    ]


def hours(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The main hall today and its hours, which centres share them; the rest one tap away."""
    knowledge = context.knowledge
    if offices_named(query, knowledge.offices):
        return open_now(context, now, query)
    main = knowledge.main_office
    lines = [f"{short_name(main)}{colon()}{status_line(context, main, now)}"]
    provenances: list[Provenance] = []
    if main.schedule_id is not None:
        schedule = knowledge.schedules[main.schedule_id]
        provenances.append(schedule.provenance)
        lines += schedule_lines(schedule)
        same = [o for o in knowledge.offices if o is not main and o.schedule_id == schedule.id]
        if same:
            lines.append(
                _("The same hours at: {offices}.").format(
                    offices=current().format_list([short_name(o) for o in same])
                )
            )
    others = [o for o in knowledge.offices if o.schedule_id not in (None, main.schedule_id)]
    unknown = [o for o in knowledge.offices if o.schedule_id is None]
    if others or unknown:
        lines.append(
            _(
                "Different hours at {offices}, and {count} centres publish none: tap "
                "“All offices”."
            ).format(
                offices=current().format_list([short_name(o) for o in others]),
                count=len(unknown),
            )
        )
    text = with_footer("\n".join(lines), provenances)
    buttons = (
        (
            more_button(_("🏢 All offices"), "hours", "offices"),
            more_button(_("📚 Sources differ"), "hours", "sources"),
        ),
        *related("open_now", "address"),
    )
    return [Outbound(text=text, buttons=buttons)]


def hours_details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
    """Every schedule with its offices (`offices`), or what other sources say (`sources`)."""
    knowledge = context.knowledge
    used = [
        s
        for s in knowledge.schedules.values()
        if any(o.schedule_id == s.id for o in knowledge.offices)
    ]
    lines: list[str] = []
    if section == "offices":
        lines.append(_("Opening hours (Beijing time):"))
        for schedule in used:
            offices = [o for o in knowledge.offices if o.schedule_id == schedule.id]
            lines.append("")
            lines += [f"• {office_name(o)}" for o in offices]
            lines += ["  " + line for line in schedule_lines(schedule)]
        unpublished = unpublished_hours(knowledge)
        if unpublished:
            lines += ["", *unpublished]
    elif section == "sources":
        lines.append(_("What the sources say about opening hours:"))
        for schedule in used:
            lines += [f"• {_(note)}" for note in schedule.conflicts]
    else:
        return []
    other = "sources" if section == "offices" else "offices"
    label = _("📚 Sources differ") if other == "sources" else _("🏢 All offices")
    return details_reply(
        "\n".join(lines),
        (s.provenance for s in used),
        "hours",
        ((more_button(label, "hours", other),),),
    )


def status_line(context: Context, office: Office, now: dt.datetime) -> str:
    """`Open now, until 17:00` or `Closed now. Opens Monday 09:00.` for one office."""
    if office.schedule_id is None:
        return _("Opening hours not published: call 12367.")
    schedule = context.knowledge.schedules[office.schedule_id]
    status = status_at(schedule, now, context.calendar)
    text = _status_text(status)
    if _session_at(schedule, status, now, context.calendar):
        text += gap() + _("By appointment only.")
    return text


def _session_at(
    schedule: Schedule, status: OpeningStatus, now: dt.datetime, calendar: HolidayCalendar
) -> bool:
    """Whether the session the status speaks of (the current or the next) needs an appointment."""
    moment = now.astimezone(BEIJING) if status.open_now else status.next_opening
    if moment is None:
        return False
    for session in sessions_on(schedule, moment.date(), calendar):
        start = dt.datetime.combine(moment.date(), session.opens, BEIJING)
        end = dt.datetime.combine(moment.date(), session.closes, BEIJING)
        if start <= moment < end:
            return session.by_appointment
    return False


def open_now(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """Whether each office (or the ones named) is open now, or on the day asked about."""
    knowledge = context.knowledge
    translator = current()
    local = now.astimezone(BEIJING)
    named = offices_named(query, knowledge.offices)
    offices = named or [o for o in knowledge.offices if o.schedule_id is not None]
    day = context.lexicon.day(query, local.date()) if query else None
    other_day = day is not None and day != local.date()
    lines = [
        _("Now in Beijing: {weekday} {date}, {time}.").format(
            weekday=translator.format_weekday(local.weekday()),
            date=translator.format_date(local.date()),
            time=translator.format_time(local.time()),
        )
    ]
    if day is not None and other_day:
        lines.append(
            _("On {weekday} {date}:").format(
                weekday=translator.format_weekday(day.weekday()),
                date=translator.format_date(day),
            )
        )
    provenances: list[Provenance] = []
    groups: dict[str, list[Office]] = {}
    for office in offices:
        if office.schedule_id is None:
            groups.setdefault(status_line(context, office, now), []).append(office)
            continue
        schedule = knowledge.schedules[office.schedule_id]
        provenances.append(schedule.provenance)
        if day is not None and other_day:
            status = day_line(context.calendar, schedule, day)
        else:
            status = status_line(context, office, now)
        groups.setdefault(status, []).append(office)
    for status, members in groups.items():
        names = translator.format_list([short_name(o) for o in members])
        lines.append(f"• {names}{colon()}{status}")
        for office in members if named else ():
            if office.schedule_id is not None:
                schedule = knowledge.schedules[office.schedule_id]
                lines += ["  " + line for line in schedule_lines(schedule)]
    unknown = [o for o in knowledge.offices if o.schedule_id is None]
    if unknown and not named:
        lines.append(
            _("{count} centres do not publish their hours: tap “All offices”.").format(
                count=len(unknown)
            )
        )
    text = with_footer("\n".join(lines), provenances)
    buttons = (
        (more_button(_("🏢 All offices"), "hours", "offices"),),
        *related("hours", "address"),
    )
    return [Outbound(text=text, buttons=buttons)]


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
    times = translator.format_list([_session_text(s) for s in sessions])
    if calendar.day_kind(day) is DayKind.ADJUSTED_WORKDAY:
        return _("Open: {times} (an official adjusted working day).").format(times=times)
    return _("Open: {times}.").format(times=times)


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
