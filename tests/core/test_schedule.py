"""The reminder schedule: which reminders, on which day, at 10:00 Beijing time."""

from __future__ import annotations

import datetime as dt

from bot.core.schedule import (
    CardRules,
    EventKind,
    ReminderKind,
    most_relevant,
    plan,
    upcoming,
    window,
)

# Renew within 1 month before expiry; apply within 1 month after a change; 10 / 5 years.
RULES = CardRules(months_before_expiry=1, months_after_change=1, adult_years=10, minor_years=5)


def test_the_rules_in_data_are_the_ones_these_tests_assume() -> None:
    from bot.config import PROJECT_ROOT
    from bot.knowledge.answers import card_rules
    from bot.knowledge.loader import load_knowledge

    assert card_rules(load_knowledge(PROJECT_ROOT / "data")) == RULES


def beijing(day: dt.date) -> dt.datetime:
    """10:00 in Beijing is 02:00 UTC."""
    return dt.datetime.combine(day, dt.time(2, 0), dt.UTC)


def test_expiry_schedule() -> None:
    reminders = plan(EventKind.EXPIRY, dt.date(2027, 6, 15), RULES)
    assert [(r.kind, r.due_at) for r in reminders] == [
        (ReminderKind.GET_READY, beijing(dt.date(2027, 5, 1))),
        (ReminderKind.WINDOW_OPEN, beijing(dt.date(2027, 5, 15))),
        (ReminderKind.LAST_WEEK, beijing(dt.date(2027, 6, 8))),
    ]
    # each reminder turns pointless when the next one is due; the last one after expiry
    assert reminders[0].stale_at == reminders[1].due_at
    assert reminders[1].stale_at == reminders[2].due_at
    assert reminders[2].stale_at == beijing(dt.date(2027, 6, 16))


def test_expiry_on_the_31st_of_march_opens_on_the_last_day_of_february() -> None:
    assert window(EventKind.EXPIRY, dt.date(2027, 3, 31), RULES)[0] == dt.date(2027, 2, 28)
    assert window(EventKind.EXPIRY, dt.date(2028, 3, 31), RULES)[0] == dt.date(2028, 2, 29)
    opens = plan(EventKind.EXPIRY, dt.date(2028, 3, 31), RULES)[1]
    assert opens.due_at == beijing(dt.date(2028, 2, 29))


def test_change_schedule() -> None:
    reminders = plan(EventKind.CHANGE, dt.date(2027, 1, 31), RULES)
    assert [(r.kind, r.due_at) for r in reminders] == [
        (ReminderKind.CHANGE_FIRST, beijing(dt.date(2027, 2, 7))),
        (ReminderKind.CHANGE_LAST, beijing(dt.date(2027, 2, 21))),  # 28 Feb minus 7 days
    ]


def test_a_subscription_made_inside_the_window_gets_only_what_is_ahead() -> None:
    now = beijing(dt.date(2027, 5, 20))
    assert [r.kind for r in upcoming(EventKind.EXPIRY, dt.date(2027, 6, 15), now, RULES)] == [
        ReminderKind.LAST_WEEK
    ]


def test_after_downtime_only_the_most_relevant_reminder_is_kept() -> None:
    reminders = plan(EventKind.EXPIRY, dt.date(2027, 6, 15), RULES)
    after_window_opened = beijing(dt.date(2027, 5, 20))
    assert most_relevant(reminders[:2], after_window_opened) == reminders[1]
    after_expiry = beijing(dt.date(2027, 6, 20))
    assert most_relevant(reminders, after_expiry) is None
    # a "get ready" after the window opened is meaningless
    assert most_relevant(reminders[:1], after_window_opened) is None
