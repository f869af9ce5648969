"""The runtime's durable edges: inbox, outbox, paused chats and reminder parts, one contract for
SQLite, the memory twin and PostgreSQL.

PostgreSQL leases the outbox rows it hands out (tests/storage/test_postgres.py), so these tests
act on every row they were handed (done, retry or drop) before they ask again, as the sender
does; what they check then holds on every store.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.core.ports import PlannedRow
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SqliteStore

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
EXPIRY = dt.date(2027, 6, 15)
LATER = NOW + dt.timedelta(minutes=5)


def _at(moment: dt.datetime) -> list[PlannedRow]:
    return [PlannedRow("window_open", moment, moment + dt.timedelta(days=30))]


def _due(hours_ago: int = 1) -> list[PlannedRow]:
    due = NOW - dt.timedelta(hours=hours_ago)
    return [PlannedRow("window_open", due, due + dt.timedelta(days=30))]


# Inbox ---------------------------------------------------------------------------------------


async def test_inbox_keeps_arrival_order_and_ignores_repeats(store: SqliteStore) -> None:
    await store.inbox_add("telegram", [("10", '{"a": 1}'), ("9", '{"b": 2}')], NOW)
    await store.inbox_add("telegram", [("9", '{"b": "again"}'), ("11", '{"c": 3}')], NOW)
    await store.inbox_add("telegram", [], NOW)
    await store.inbox_add("wechat", [("10", "{}")], NOW)
    assert await store.inbox_pending("telegram", 10) == [
        ("10", '{"a": 1}'),
        ("9", '{"b": 2}'),  # the first copy is kept
        ("11", '{"c": 3}'),
    ]
    assert await store.inbox_pending("telegram", 2) == [("10", '{"a": 1}'), ("9", '{"b": 2}')]
    assert await store.inbox_pending("wechat", 10) == [("10", "{}")]


async def test_inbox_remove_forgets_one_update(store: SqliteStore) -> None:
    await store.inbox_add("telegram", [("1", "{}"), ("2", "{}"), ("3", "{}")], NOW)
    await store.inbox_remove("telegram", "2")
    await store.inbox_remove("telegram", "404")  # unknown: nothing happens
    await store.inbox_remove("wechat", "1")  # another channel's id: nothing happens
    assert [u for u, _ in await store.inbox_pending("telegram", 10)] == ["1", "3"]
    await store.inbox_add("telegram", [("2", "{}")], NOW)  # fetched again after removal
    assert [u for u, _ in await store.inbox_pending("telegram", 10)] == ["1", "3", "2"]


# Outbox --------------------------------------------------------------------------------------


async def test_outbox_keeps_the_order_parts_were_written_in(store: SqliteStore) -> None:
    await store.outbox_add("telegram", "1", ["a", "b"], NOW)
    await store.outbox_add("telegram", "2", ["c"], NOW)
    await store.outbox_add("telegram", "1", ["d"], NOW)
    await store.outbox_add("telegram", "1", [], NOW)
    await store.outbox_add("wechat", "1", ["w"], NOW)
    items = await store.outbox_pending("telegram", 10)
    assert [(i.chat_id, i.payload) for i in items] == [
        ("1", "a"),
        ("1", "b"),
        ("2", "c"),
        ("1", "d"),
    ]
    assert all(i.channel == "telegram" and i.attempts == 0 for i in items)
    assert all(i.not_before == NOW for i in items)
    assert [i.id for i in items] == sorted(i.id for i in items)
    for item in items:
        await store.outbox_done(item.id)
    assert await store.outbox_pending("telegram", 10) == []
    assert [i.payload for i in await store.outbox_pending("wechat", 10)] == ["w"]


async def test_outbox_limit_and_done(store: SqliteStore) -> None:
    await store.outbox_add("telegram", "1", ["a", "b", "c"], NOW)
    first = await store.outbox_pending("telegram", 2)
    assert [i.payload for i in first] == ["a", "b"]
    for item in first:
        await store.outbox_done(item.id)
    assert [i.payload for i in await store.outbox_pending("telegram", 2)] == ["c"]


async def test_outbox_retry_waits_and_counts_attempts(store: SqliteStore) -> None:
    await store.outbox_add("telegram", "1", ["a", "b"], NOW)
    a, _b = await store.outbox_pending("telegram", 10)
    await store.outbox_retry(a.id, LATER)  # the sender now skips b: its chat must wait
    items = await store.outbox_pending("telegram", 10)
    assert [(i.payload, i.not_before, i.attempts) for i in items] == [
        ("a", LATER, 1),
        ("b", NOW, 0),
    ]
    await store.outbox_retry(items[0].id, LATER + dt.timedelta(minutes=1))
    again = await store.outbox_pending("telegram", 10)
    assert [(i.id, i.attempts) for i in again] == [(a.id, 2), (items[1].id, 0)]
    assert again[0].not_before == LATER + dt.timedelta(minutes=1)
    await store.outbox_retry(404, LATER)  # unknown: nothing happens


async def test_a_retry_is_never_earlier_than_asked(store: SqliteStore) -> None:
    await store.outbox_add("telegram", "1", ["a"], NOW)
    (item,) = await store.outbox_pending("telegram", 10)
    asked = NOW + dt.timedelta(seconds=1, microseconds=300_000)  # "retry after 1 s", mid-second
    await store.outbox_retry(item.id, asked)
    (again,) = await store.outbox_pending("telegram", 10)
    assert again.not_before >= asked
    assert again.not_before - asked < dt.timedelta(seconds=1)


async def test_outbox_drop_and_done_remove_the_part(store: SqliteStore) -> None:
    await store.outbox_add("telegram", "1", ["a", "b", "c"], NOW)
    a, b, c = await store.outbox_pending("telegram", 10)
    await store.outbox_drop(a.id)
    await store.outbox_done(b.id)
    await store.outbox_retry(c.id, NOW)
    assert [i.payload for i in await store.outbox_pending("telegram", 10)] == ["c"]
    await store.outbox_drop(c.id)
    await store.outbox_drop(c.id)  # twice: nothing happens
    await store.outbox_done(404)
    assert await store.outbox_pending("telegram", 10) == []


# Paused chats --------------------------------------------------------------------------------


async def test_outbox_hold_keeps_the_parts_still_queued(store: SqliteStore) -> None:
    await store.outbox_add("telegram", "1", ["a", "b", "c"], NOW)
    a, b, c = await store.outbox_pending("telegram", 10)
    await store.outbox_done(a.id)
    held = await store.outbox_hold([b, c])
    assert [(i.id, i.payload) for i in held] == [(b.id, "b"), (c.id, "c")]
    assert (store.outbox_lease is None) == store.exclusive  # only a shared store leases
    for item in held:
        await store.outbox_done(item.id)


async def test_a_loaded_conversation_says_whether_the_chat_is_paused(store: SqliteStore) -> None:
    from bot.core.ports import Conversation

    await store.save_conversation(Conversation("telegram", "9", "en"), NOW)
    loaded = await store.load_conversation("telegram", "9")
    assert loaded is not None and not loaded.paused
    await store.pause_chat("telegram", "9", NOW)
    loaded = await store.load_conversation("telegram", "9")
    assert loaded is not None and loaded.paused
    assert await store.resume_chat("telegram", "9")
    loaded = await store.load_conversation("telegram", "9")
    assert loaded is not None and not loaded.paused


async def test_a_paused_chat_without_a_conversation_loads_as_paused(store: SqliteStore) -> None:
    # the engine asks to resume only a chat whose loaded conversation is paused, so a chat
    # paused before it ever stored a conversation must still come back paused
    assert await store.load_conversation("telegram", "8") is None
    await store.pause_chat("telegram", "8", NOW)
    loaded = await store.load_conversation("telegram", "8")
    assert loaded is not None and loaded.paused
    assert (loaded.language, loaded.state, loaded.data) == (None, "main", {})
    assert await store.load_conversation("wechat", "8") is None  # another channel's chat
    assert await store.resume_chat("telegram", "8")
    assert await store.load_conversation("telegram", "8") is None


async def test_claim_due_skips_a_paused_chat(store: SqliteStore) -> None:
    paused = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, _due(2), NOW)
    other = await store.add_subscription("t", "2", "self", "expiry", EXPIRY, _due(1), NOW)
    await store.pause_chat("t", "1", NOW)
    await store.pause_chat("t", "1", NOW)  # paused twice is paused once
    await store.pause_chat("wechat", "2", NOW)  # another channel's chat "2"
    assert [c.subscription.id for c in await store.claim_due(NOW, 10)] == [other.id]
    assert await store.claim_due(NOW, 10) == []  # still held
    assert await store.resume_chat("t", "1") is True
    assert await store.resume_chat("t", "1") is False  # only once
    assert await store.resume_chat("t", "3") is False  # never paused
    assert [c.subscription.id for c in await store.claim_due(NOW, 10)] == [paused.id]


async def test_soonest_due_is_when_the_loop_must_come_back(store: SqliteStore) -> None:
    assert await store.soonest_due() is None
    later = NOW + dt.timedelta(hours=3)
    soon = NOW + dt.timedelta(hours=1)
    await store.add_subscription("t", "1", "self", "expiry", EXPIRY, _at(later), NOW)
    assert await store.soonest_due() == later
    paused = await store.add_subscription("t", "2", "self", "expiry", EXPIRY, _at(soon), NOW)
    assert await store.soonest_due() == soon
    await store.pause_chat("t", "2", NOW)  # nothing is sent to a chat that blocked the bot
    assert await store.soonest_due() == later
    await store.resume_chat("t", "2")
    (claimed,) = await store.claim_due(soon, 10)
    assert claimed.subscription.id == paused.id
    assert await store.soonest_due() == later  # a claimed reminder is not pending
    retry = soon + dt.timedelta(seconds=30)
    await store.retry_later(claimed.id, retry)
    assert await store.soonest_due() == retry  # put off: due again at its retry


async def test_delete_chat_clears_the_pause(store: SqliteStore) -> None:
    await store.pause_chat("t", "1", NOW)
    await store.pause_chat("t", "2", NOW)
    await store.delete_chat("t", "1")
    assert await store.resume_chat("t", "1") is False
    assert await store.resume_chat("t", "2") is True  # another chat's pause is kept
    await store.pause_chat("t", "1", NOW)
    await store.delete_chat("t", "1")
    sub = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, _due(), NOW)
    assert [c.subscription.id for c in await store.claim_due(NOW, 10)] == [sub.id]


# Reminder parts ------------------------------------------------------------------------------


async def test_parts_sent_survive_a_retry(store: SqliteStore) -> None:
    await store.add_subscription("t", "1", "self", "expiry", EXPIRY, _due(), NOW)
    (first,) = await store.claim_due(NOW, 10)
    assert first.parts_sent == 0 and first.attempts == 1
    await store.mark_part_sent(first.id, 1)  # the text went, the calendar file did not
    await store.retry_later(first.id, LATER)
    assert await store.claim_due(NOW, 10) == []
    (again,) = await store.claim_due(LATER, 10)
    assert (again.id, again.parts_sent, again.attempts) == (first.id, 1, 2)
    await store.mark_part_sent(again.id, 2)
    await store.release_claims(LATER + dt.timedelta(seconds=1))  # its sender died
    (third,) = await store.claim_due(LATER, 10)
    assert (third.id, third.parts_sent) == (first.id, 2)


async def test_inbox_pending_received_before_leaves_newer_updates(store: SqliteStore) -> None:
    await store.inbox_add("telegram", [("1", "{}")], NOW - dt.timedelta(minutes=5))
    await store.inbox_add("telegram", [("2", "{}")], NOW)
    older = await store.inbox_pending(
        "telegram", 10, received_before=NOW - dt.timedelta(minutes=2)
    )
    everything = await store.inbox_pending("telegram", 10)
    if isinstance(store, MemoryStore):  # keeps no times: one process, everything is its own
        assert [u for u, _ in older] == ["1", "2"]
    else:
        assert [u for u, _ in older] == ["1"]
    assert [u for u, _ in everything] == ["1", "2"]


async def test_ready_lock_chat_and_pending_reminders(store: SqliteStore) -> None:
    assert await store.ready()
    async with store.unit_of_work():
        await store.lock_chat("telegram", "42")  # held until the unit ends; here: no-op or free
    await store.add_subscription("telegram", "42", "self", "expiry", EXPIRY, _due(), NOW)
    assert await store.pending_reminders() == 1
    (claimed,) = await store.claim_due(NOW, 10)
    assert await store.pending_reminders() == 1  # claimed still counts until sent
    await store.mark_sent(claimed.id, NOW)
    assert await store.pending_reminders() == 0


async def test_a_closed_store_is_not_ready(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "closed.sqlite3")
    assert not await store.ready()
    await store.open()
    assert await store.ready()
    await store.close()
    assert not await store.ready()


async def test_a_claim_taken_over_after_its_lease_is_not_held_by_the_first_process(
    store: SqliteStore,
) -> None:
    await store.add_subscription("telegram", "5", "self", "expiry", EXPIRY, _due(), NOW)
    (first,) = await store.claim_due(NOW, 10)
    assert await store.hold_claim(first.id, first.attempts, NOW)  # still ours: renewed
    await store.release_claims(NOW + dt.timedelta(minutes=11))  # its lease ran out
    (second,) = await store.claim_due(NOW + dt.timedelta(minutes=11), 10)
    assert second.id == first.id
    assert not await store.hold_claim(first.id, first.attempts, NOW)  # the first must not send
    assert await store.hold_claim(second.id, second.attempts, NOW)
