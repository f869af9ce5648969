"""Subscriptions and reminder rows: one contract for SQLite, the memory twin and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from bot.core.ports import Conversation, PlannedRow
from bot.core.schedule import CardRules, EventKind, most_relevant, plan
from bot.storage.sqlite import SqliteStore

EXPIRY = dt.date(2027, 6, 15)
RULES = CardRules(months_before_expiry=1, months_after_change=1, adult_years=10, minor_years=5)
CREATED = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def rows(kind: EventKind = EventKind.EXPIRY, day: dt.date = EXPIRY) -> list[PlannedRow]:
    return [PlannedRow(r.kind.value, r.due_at, r.stale_at) for r in plan(kind, day, RULES)]


def at(day: dt.date, hour: int = 3) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


async def test_add_and_list(store: SqliteStore) -> None:
    sub = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    listed = await store.subscriptions("t", "1")
    assert [(s.id, s.label, s.event_date) for s in listed] == [(sub.id, "self", EXPIRY)]
    assert await store.next_due(sub.id) == at(dt.date(2027, 5, 1), 2)
    assert await store.subscriptions("t", "2") == []


async def test_nothing_is_due_before_its_time(store: SqliteStore) -> None:
    await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    assert await store.claim_due(at(dt.date(2027, 4, 30)), 10) == []


async def test_claim_send_mark(store: SqliteStore) -> None:
    await store.save_conversation(Conversation("t", "1", "zh"), CREATED)
    sub = await store.add_subscription("t", "1", "child", "expiry", EXPIRY, rows(), CREATED)
    now = at(dt.date(2027, 5, 1))
    (claimed,) = await store.claim_due(now, 10)
    assert claimed.kind == "get_ready" and claimed.language == "zh"
    assert claimed.subscription.id == sub.id and claimed.subscription.label == "child"
    assert await store.claim_due(now, 10) == []  # claimed rows are not claimed twice
    await store.mark_sent(claimed.id, now)
    assert await store.release_claims(now + dt.timedelta(days=1)) == 0  # sent stays sent
    assert await store.claim_due(now, 10) == []
    assert await store.next_due(sub.id) == at(dt.date(2027, 5, 15), 2)


async def test_abandoned_claim_is_released_and_sent_again(store: SqliteStore) -> None:
    await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    now = at(dt.date(2027, 5, 1))
    (first,) = await store.claim_due(now, 10)
    # the process dies here, before mark_sent; the next start releases every old claim
    assert await store.release_claims(now + dt.timedelta(seconds=1)) == 1
    (again,) = await store.claim_due(now, 10)
    assert again.id == first.id and again.attempts == 2


async def test_downtime_keeps_only_the_most_relevant_reminder(store: SqliteStore) -> None:
    sub = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    back = at(dt.date(2027, 5, 20))  # down from before 1 May until after 15 May
    assert await store.skip_stale(back) == 1
    (claimed,) = await store.claim_due(back, 10)
    expected = most_relevant(plan(EventKind.EXPIRY, EXPIRY, RULES), back)
    assert expected is not None and claimed.kind == expected.kind.value == "window_open"
    statuses = [status for _, _, status in await store.reminder_rows(sub.id)]
    assert statuses == ["skipped", "claimed", "pending"]


async def test_nothing_stale_is_sent_after_expiry(store: SqliteStore) -> None:
    await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    long_after = at(dt.date(2027, 7, 1))
    assert await store.skip_stale(long_after) == 3
    assert await store.claim_due(long_after, 10) == []


async def test_retry_later_moves_the_reminder(store: SqliteStore) -> None:
    await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    now = at(dt.date(2027, 5, 1))
    (claimed,) = await store.claim_due(now, 10)
    await store.retry_later(claimed.id, now + dt.timedelta(minutes=5))
    assert await store.claim_due(now + dt.timedelta(minutes=4), 10) == []
    assert len(await store.claim_due(now + dt.timedelta(minutes=5), 10)) == 1


async def test_blocked_three_times_in_a_row_deactivates(store: SqliteStore) -> None:
    await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    now = at(dt.date(2027, 5, 1))
    for attempt in range(1, 4):
        (claimed,) = await store.claim_due(now, 10)
        deactivated = await store.record_blocked(claimed.id, now, max_failures=3)
        assert deactivated is (attempt == 3)
    assert await store.subscriptions("t", "1") == []
    assert await store.claim_due(now + dt.timedelta(days=60), 10) == []


async def test_a_delivery_resets_the_failure_count(store: SqliteStore) -> None:
    sub = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    now = at(dt.date(2027, 5, 1))
    for _ in range(2):
        (claimed,) = await store.claim_due(now, 10)
        await store.record_blocked(claimed.id, now, max_failures=3)
    (claimed,) = await store.claim_due(now, 10)
    await store.mark_sent(claimed.id, now)
    (listed,) = await store.subscriptions("t", "1")
    assert listed.id == sub.id and listed.failures == 0


async def test_users_cannot_touch_each_others_subscriptions(store: SqliteStore) -> None:
    alice = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    assert await store.cancel_subscription("t", "2", alice.id) is False
    assert await store.cancel_subscription("wechat", "1", alice.id) is False
    assert await store.replace_schedule(alice.id, "t", "2", "expiry", EXPIRY, []) is None
    assert [s.id for s in await store.subscriptions("t", "1")] == [alice.id]
    assert await store.cancel_subscription("t", "1", alice.id) is True
    assert await store.cancel_subscription("t", "1", alice.id) is False


async def test_replace_schedule_after_renewal(store: SqliteStore) -> None:
    sub = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    new_expiry = dt.date(2037, 6, 1)
    replaced = await store.replace_schedule(
        sub.id, "t", "1", "expiry", new_expiry, rows(day=new_expiry)
    )
    assert replaced is not None and replaced.event_date == new_expiry
    assert await store.next_due(sub.id) == at(dt.date(2037, 4, 17), 2)
    assert await store.claim_due(at(dt.date(2027, 6, 1)), 10) == []  # old rows cancelled


async def test_delete_chat_erases_subscriptions_and_reminders(store: SqliteStore) -> None:
    sub = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, rows(), CREATED)
    other = await store.add_subscription("t", "2", "self", "expiry", EXPIRY, rows(), CREATED)
    await store.delete_chat("t", "1")
    assert await store.subscriptions("t", "1") == []
    assert await store.reminder_rows(sub.id) == []
    assert len(await store.reminder_rows(other.id)) == 3


async def test_claims_come_oldest_first_and_respect_the_limit(store: SqliteStore) -> None:
    for chat in range(5):
        day = EXPIRY + dt.timedelta(days=chat)
        await store.add_subscription("t", str(chat), "self", "expiry", day, rows(day=day), CREATED)
    now = at(dt.date(2027, 5, 10))
    first = await store.claim_due(now, 2)
    assert [c.subscription.chat_id for c in first] == ["0", "1"]
    rest = await store.claim_due(now, 10)
    assert [c.subscription.chat_id for c in rest] == ["2", "3", "4"]
