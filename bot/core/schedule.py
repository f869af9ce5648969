"""What to remind, and when: a pure function of the event date (no clock, no I/O).

Rules (data/rules.yaml: renewal_window, change_window): a card is renewed within one month
before it expires; after a change of card details, a new card is applied for within one month
after the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.core.dates import add_months
from bot.core.languages import BEIJING

SEND_AT = dt.time(10, 0)  # Beijing time: a civil hour, while the service centres are open
GET_READY_LEAD = dt.timedelta(days=14)
LAST_WEEK_LEAD = dt.timedelta(days=7)
CHANGE_FIRST_DELAY = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class CardRules:
    """The legal periods the schedule depends on, read from data/rules.yaml."""

    months_before_expiry: int  # renewal_window: renew within this many months before expiry
    months_after_change: int  # change_window: apply within this many months after a change
    adult_years: int  # validity: a card runs this many years...
    minor_years: int  # ...or this many for a holder under 18


class EventKind(StrEnum):
    """What a subscription is about."""

    EXPIRY = "expiry"  # the card expires on the event date
    CHANGE = "change"  # a detail on the card changed on the event date


class ReminderKind(StrEnum):
    """Which reminder of a schedule."""

    GET_READY = "get_ready"  # two weeks before the renewal window opens
    WINDOW_OPEN = "window_open"  # the day the renewal window opens
    LAST_WEEK = "last_week"  # seven days before expiry
    CHANGE_FIRST = "change_first"  # a week after a change
    CHANGE_LAST = "change_last"  # seven days before the one-month deadline


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder: when to send it, and after when it would be meaningless."""

    kind: ReminderKind
    due_at: dt.datetime  # UTC
    stale_at: dt.datetime  # UTC; once reached, the reminder is skipped, not sent late


def at_send_time(day: dt.date) -> dt.datetime:
    """10:00 Beijing time on `day`, as UTC."""
    return dt.datetime.combine(day, SEND_AT, BEIJING).astimezone(dt.UTC)


def window(kind: EventKind, event: dt.date, rules: CardRules) -> tuple[dt.date, dt.date]:
    """The first and last day on which to apply (inclusive)."""
    if kind is EventKind.EXPIRY:
        return add_months(event, -rules.months_before_expiry), event
    return event, add_months(event, rules.months_after_change)


def plan(kind: EventKind, event: dt.date, rules: CardRules) -> list[PlannedReminder]:
    """Every reminder of a subscription, in order."""
    first, last = window(kind, event, rules)
    deadline = at_send_time(last + dt.timedelta(days=1))
    if kind is EventKind.EXPIRY:
        get_ready = at_send_time(first - GET_READY_LEAD)
        opens = at_send_time(first)
        last_week = at_send_time(last - LAST_WEEK_LEAD)
        return [
            PlannedReminder(ReminderKind.GET_READY, get_ready, opens),
            PlannedReminder(ReminderKind.WINDOW_OPEN, opens, last_week),
            PlannedReminder(ReminderKind.LAST_WEEK, last_week, deadline),
        ]
    first_due = at_send_time(first + CHANGE_FIRST_DELAY)
    last_due = at_send_time(last - LAST_WEEK_LEAD)
    return [
        PlannedReminder(ReminderKind.CHANGE_FIRST, first_due, last_due),
        PlannedReminder(ReminderKind.CHANGE_LAST, last_due, deadline),
    ]


def upcoming(
    kind: EventKind, event: dt.date, now: dt.datetime, rules: CardRules
) -> list[PlannedReminder]:
    """The reminders still ahead at `now` (a subscription made late gets only these)."""
    return [r for r in plan(kind, event, rules) if r.due_at > now]


def most_relevant(due: list[PlannedReminder], now: dt.datetime) -> PlannedReminder | None:
    """After downtime: of the reminders already due, the latest one that still makes sense."""
    fresh = [r for r in due if r.due_at <= now < r.stale_at]
    return max(fresh, key=lambda r: r.due_at) if fresh else None
