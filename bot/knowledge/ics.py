"""The application window as an iCalendar file (RFC 5545) that phone calendars import."""

from __future__ import annotations

import datetime as dt

PRODUCT = "-//prbot//Beijing Permanent Resident ID Card reminders//EN"


def window_calendar(
    *,
    uid: str,
    first: dt.date,
    last: dt.date,
    summary: str,
    description: str,
    location: str,
    stamp: dt.datetime,
) -> bytes:
    """An all-day event from `first` to `last` (inclusive) with an alarm on its first morning."""
    # Imported on first use: most processes never write a calendar file, and icalendar
    # (with its time zone tables) is a tenth of the bot's import time.
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", first)
    event.add("dtend", last + dt.timedelta(days=1))  # DTEND of an all-day event is exclusive
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    event.add("transp", "TRANSPARENT")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", dt.timedelta(hours=9))  # 09:00 on the first day
    event.add_component(alarm)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
