"""Opening hours and "open now?": schedules in words, an office's status, a given day."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from bot.core.languages import BEIJING
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
    HOLIDAY_NAMES,
    DayKind,
    HolidayCalendar,
    OpeningStatus,
    opens_on,
    sessions_on,
    status_at,
    unpublished_years,
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
        return _("Closed on statutory holidays, open on adjusted working days (调休).")
    if schedule.closed_on_holidays:
        names = [_(HOLIDAY_NAMES.get(n, n)) for n in schedule.closed_on_holidays]
        return _("Also open on public holidays, except the {holidays} break; check first.").format(
            holidays=current().format_list(names)
        )
    return _("Open on statutory holidays too; check before you go.")


def schedule_lines(schedule: Schedule, *, usual_holidays: bool = True) -> list[str]:
    """An office's hours as it is shown everywhere: the week, lunch, holidays. Without
    `usual_holidays` the holiday rule is said only where it is an exception (an office that
    opens on statutory holidays), for the shortest answers."""
    lines = [_("Hours: {hours}").format(hours=describe_schedule(schedule)), *lunch_lines(schedule)]
    if usual_holidays or not schedule.closed_on_statutory_holidays:
        lines.append(holiday_line(schedule))
    return lines


def hours(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The main hall today and its hours, which centres share them; the rest one tap away.

    A named office, day, holiday or time of day gets that status instead (:func:`open_now`).
    """
    knowledge = context.knowledge
    today = now.astimezone(BEIJING).date()
    days = context.lexicon
    if offices_named(query, knowledge.offices) or (
        query
        and not days.names_weekend(query)
        and (days.day(query, today, context.calendar) is not None or days.names_holiday(query))
    ):
        return open_now(context, now, query)
    main = knowledge.main_office
    status, known = office_status(context, main, now)
    lines = [f"{short_name(main)}{colon()}{status}"]
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
            _("Different hours at {offices}; {count} more centres publish none.").format(
                offices=current().format_list([short_name(o) for o in others]),
                count=len(unknown),
            )
        )
    years = unpublished_years(context.calendar, now.astimezone(BEIJING).date())
    if years or not known:
        lines.append(year_caveat(years))
    text = with_footer("\n".join(lines), provenances)
    buttons = (
        (
            more_button(_("🏢 All offices"), "hours", "offices"),
            more_button(_("📚 Sources differ"), "hours", "sources"),
        ),
        *related("open_now", "address"),
    )
    return [Outbound(text=text, buttons=buttons)]


def open_now_details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
    """The hours details, reached from "open now?" and leading back to it."""
    return hours_details(context, now, section, topic="open_now")


def hours_details(
    context: Context, now: dt.datetime, section: str, topic: str = "hours"
) -> list[Outbound]:
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
    if other == "sources":
        button = more_button(_("📚 Sources differ"), topic, other)
    else:
        button = more_button(_("🏢 All offices"), topic, other)
    return details_reply("\n".join(lines), (s.provenance for s in used), topic, ((button,),))


def office_status(
    context: Context, office: Office, now: dt.datetime, *, holiday_note: bool = True
) -> tuple[str, bool]:
    """An office's status in a sentence or two, and whether the holiday calendar it depends
    on is published (if not, say :func:`calendar_caveat` once below the statuses).

    Open on a statutory holiday, the status says so (`holiday_note`), unless the answer shows
    the office's holiday rule next to it anyway."""
    if office.schedule_id is None:
        return _("Opening hours not published: call 12367."), True
    schedule = context.knowledge.schedules[office.schedule_id]
    status = status_at(schedule, now, context.calendar)
    text = _status_text(status, now.astimezone(BEIJING).date())
    if _session_at(schedule, status, now, context.calendar):
        text += gap() + _("By appointment only.")
    today = now.astimezone(BEIJING).date()
    holiday = context.calendar.day_kind(today) is DayKind.HOLIDAY
    if holiday_note and status.open_now and holiday:
        text += gap() + _holiday_open(context.calendar.holiday_name(today))
    return text, status.calendar_known


def status_line(context: Context, office: Office, now: dt.datetime) -> str:
    """`Open now, until 17:00` or `Closed now. Opens Monday 09:00.` for one office."""
    text, known = office_status(context, office, now)
    return text if known else text + gap() + calendar_caveat()


def year_caveat(years: Sequence[int]) -> str:
    """The caveat naming the first year whose holiday schedule is not out, if one is known."""
    if not years:
        return calendar_caveat()
    return _(
        "The official holiday schedule for {year} is not published yet: call 12367 before you go."
    ).format(year=years[0])


def calendar_caveat() -> str:
    """Said once under statuses that depend on a holiday calendar not yet published."""
    return _("Holiday dates for this period are not out yet: call 12367 before you go.")


def _holiday_open(name: str | None) -> str:
    holiday = _(HOLIDAY_NAMES.get(name or "", name or ""))
    return _("Today is a public holiday ({holiday}): check before you go.").format(holiday=holiday)


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
    day = context.lexicon.day(query, local.date(), context.calendar) if query else None
    at = context.lexicon.time(query) if query else None
    if at is not None and day is None:
        day = local.date()
    other_day = day is not None and day != local.date()
    lines = [
        _("Now in Beijing: {weekday} {date}, {time}.").format(
            weekday=translator.format_weekday(local.weekday()),
            date=translator.format_date(local.date()),
            time=translator.format_time(local.time()),
        )
    ]
    if day is not None and at is not None:
        lines.append(
            _("On {weekday} {date} at {time}:").format(
                weekday=translator.format_weekday(day.weekday()),
                date=translator.format_date(day),
                time=translator.format_time(at),
            )
        )
    elif day is not None and other_day:
        lines.append(
            _("On {weekday} {date}:").format(
                weekday=translator.format_weekday(day.weekday()),
                date=translator.format_date(day),
            )
        )
    if day is None and query and context.lexicon.names_holiday(query):
        lines.append(
            _(
                "The official holiday schedule that gives the date of that holiday is not "
                "published yet, so I cannot say for that day. Here is the status now; check "
                "with 12367 before you go."
            )
        )
    provenances: list[Provenance] = []
    groups: dict[str, list[Office]] = {}
    certain = True
    for office in offices:
        schedule = (
            knowledge.schedules[office.schedule_id] if office.schedule_id is not None else None
        )
        if schedule is not None:
            provenances.append(schedule.provenance)
        if schedule is not None and day is not None and (at is not None or other_day):
            status, known = day_status(context.calendar, schedule, day)
            if at is not None and opens_on(schedule, day, context.calendar) is not None:
                status = time_line(context.calendar, schedule, day, at)
        else:
            status, known = office_status(context, office, now)
        certain = certain and known
        groups.setdefault(status, []).append(office)
    for status, members in groups.items():
        names = translator.format_list([short_name(o) for o in members])
        lines.append(f"• {names}{colon()}{status}")
        for office in members if named else ():
            if office.schedule_id is not None:
                schedule = knowledge.schedules[office.schedule_id]
                lines += ["  " + line for line in schedule_lines(schedule)]
    if not certain:
        asked = day if day is not None and other_day else now.astimezone(BEIJING).date()
        lines.append(year_caveat(unpublished_years(context.calendar, asked)))
    unknown = [o for o in knowledge.offices if o.schedule_id is None]
    if unknown and not named:
        lines.append(_("{count} more centres publish no hours.").format(count=len(unknown)))
    text = with_footer("\n".join(lines), provenances)
    buttons = (
        (more_button(_("🏢 All offices"), "open_now", "offices"),),
        *related("hours", "address"),
    )
    return [Outbound(text=text, buttons=buttons)]


def unpublished_hours(knowledge: KnowledgeBase) -> list[str]:
    """The line naming the offices whose hours no source gives (none if all are known)."""
    unknown = [short_name(o) for o in knowledge.offices if o.schedule_id is None]
    if not unknown:
        return []
    return [
        _("Hours not published for: {offices}. Call 12367 before you go.").format(
            offices=current().format_list(unknown)
        )
    ]


def day_status(calendar: HolidayCalendar, schedule: Schedule, day: dt.date) -> tuple[str, bool]:
    """Whether and when an office opens on a day, and whether the holiday calendar is known
    (if not: the ordinary week's hours, and :func:`calendar_caveat` said once)."""
    if opens_on(schedule, day, calendar) is not None:
        return day_line(calendar, schedule, day), True
    sessions = schedule.sessions_on(day.weekday())
    if not sessions:
        return _("Usually closed that day."), False
    times = current().format_list([_session_text(s) for s in sessions])
    if schedule.closed_on_statutory_holidays:  # a 1 May or 1 October of a year not out yet
        return _("Usually open: {times}; closed if that day is a public holiday.").format(
            times=times
        ), False
    return _("Usually open: {times}.").format(times=times), False


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


def _status_text(status: OpeningStatus, today: dt.date) -> str:
    """The status in words; the next opening by weekday within a week, by date beyond."""
    translator = current()
    if status.reason == "unknown" and status.closes_at is not None:
        return _("Usually open at this time, until {time}.").format(
            time=translator.format_time(status.closes_at.timetz().replace(tzinfo=None))
        )
    if status.open_now and status.closes_at is not None:
        return _("Open now, until {time}.").format(
            time=translator.format_time(status.closes_at.timetz().replace(tzinfo=None))
        )
    reasons = {
        "lunch": _("Closed now for lunch."),
        "sunday": _("Closed now: closed on Sundays."),
        "holiday": _("Closed now: statutory holiday."),
        "day_off": _("Closed today."),
    }
    text = reasons.get(status.reason, _("Closed now."))
    local = status.next_opening
    if local is None:
        return text
    time = translator.format_time(local.time())
    ahead = (local.date() - today).days
    if ahead == 0:
        following = _("Opens today at {time}.").format(time=time)
    elif ahead < 7:
        following = _("Next opening: {weekday}, {time}.").format(
            weekday=translator.format_weekday(local.weekday()), time=time
        )
    else:
        following = _("Next opening: {weekday} {date}, {time}.").format(
            weekday=translator.format_weekday(local.weekday()),
            date=translator.format_date(local.date()),
            time=time,
        )
    return text + gap() + following
