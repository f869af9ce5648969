"""What a chat can see of its own data (/mydata): one contract for all three stores."""

from __future__ import annotations

import datetime as dt

from bot.core.ports import PlannedRow, Rating, ReminderRecord
from bot.storage.sqlite import SqliteStore

CREATED = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _rows(first: dt.datetime) -> list[PlannedRow]:
    return [
        PlannedRow("get_ready", first, first + 20 * DAY),
        PlannedRow("window_open", first + 14 * DAY, first + 40 * DAY),
    ]


async def test_history_keeps_stopped_subscriptions_and_every_reminder(store: SqliteStore) -> None:
    first = CREATED + 30 * DAY
    kept = await store.add_subscription(
        "t", "1", "self", "expiry", dt.date(2027, 1, 15), _rows(first), CREATED
    )
    stopped = await store.add_subscription(
        "t", "1", "child", "change", dt.date(2026, 11, 20), _rows(first), CREATED + DAY
    )
    await store.add_subscription(
        "t", "2", "self", "expiry", dt.date(2027, 3, 1), _rows(first), CREATED
    )
    (claimed, _other_sub, _other_chat) = await store.claim_due(first, 10)
    assert claimed.subscription.id == kept.id
    await store.mark_sent(claimed.id, first + dt.timedelta(minutes=1))
    assert await store.cancel_subscription("t", "1", stopped.id)

    history = await store.subscription_history("t", "1")
    assert [(h.subscription.id, h.subscription.active) for h in history] == [
        (kept.id, True),
        (stopped.id, False),
    ]
    assert [h.created_at for h in history] == [CREATED, CREATED + DAY]
    assert history[0].subscription.label == "self"
    assert history[1].subscription.event_kind == "change"
    assert history[1].subscription.event_date == dt.date(2026, 11, 20)
    assert history[0].reminders == (
        ReminderRecord("get_ready", first, "sent", first + dt.timedelta(minutes=1)),
        ReminderRecord("window_open", first + 14 * DAY, "pending", None),
    )
    assert [(r.kind, r.status) for r in history[1].reminders] == [
        ("get_ready", "cancelled"),
        ("window_open", "cancelled"),
    ]
    assert await store.subscriptions("t", "1") == [history[0].subscription]  # active only
    assert await store.subscription_history("t", "3") == []


async def test_ratings_are_the_chats_own_latest(store: SqliteStore) -> None:
    await store.record_feedback("t", "1", "fees", False, CREATED)
    await store.record_feedback("t", "1", "hours", True, CREATED + DAY)
    await store.record_feedback("t", "1", "fees", True, CREATED + 2 * DAY)  # changed its mind
    await store.record_feedback("t", "2", "loss", False, CREATED)
    assert await store.ratings("t", "1") == [
        Rating("hours", True, CREATED + DAY),
        Rating("fees", True, CREATED + 2 * DAY),
    ]
    assert await store.ratings("t", "3") == []


async def test_deleting_the_chat_leaves_nothing_to_show(store: SqliteStore) -> None:
    sub = await store.add_subscription(
        "t", "1", "self", "expiry", dt.date(2027, 1, 15), _rows(CREATED + DAY), CREATED
    )
    await store.cancel_subscription("t", "1", sub.id)
    await store.record_feedback("t", "1", "fees", True, CREATED)
    await store.record_feedback("t", "2", "fees", False, CREATED)
    await store.delete_chat("t", "1")
    assert await store.subscription_history("t", "1") == []
    assert await store.ratings("t", "1") == []
    assert [r.topic for r in await store.ratings("t", "2")] == ["fees"]
    (fees,) = [s for s in await store.topic_stats() if s.topic == "fees"]
    assert (fees.helpful, fees.unhelpful) == (0, 1)
