"""The unit of work: everything a store does inside one commits together or not at all.

Contract for every store: the SQLite file, its in-memory twin and PostgreSQL. What only
PostgreSQL has (one pinned connection, other tasks kept out) is in test_postgres.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.ports import Conversation, PlannedRow, StoreError
from bot.storage.memory import MemoryStore
from bot.storage.postgres import PostgresStore

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
EXPIRY = dt.date(2027, 6, 15)
ROW = PlannedRow("window_open", NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=30))


class Boom(Exception):
    """The step failed after its writes."""


async def _one_update(store: PostgresStore, update_id: str) -> None:
    """What handling one update writes: the dedupe record, the conversation, a step's rows."""
    assert await store.remember_update("telegram", update_id, NOW)
    await store.save_conversation(Conversation("telegram", "1", "en", "remind", {"n": 1}), NOW)
    await store.add_subscription("telegram", "1", "self", "expiry", EXPIRY, [ROW], NOW)
    await store.count_topic("renewal")


async def test_a_successful_unit_commits_everything(store: PostgresStore) -> None:
    async with store.unit_of_work():
        await _one_update(store, "10")
    assert await store.remember_update("telegram", "10", NOW) is False
    conversation = await store.load_conversation("telegram", "1")
    assert conversation == Conversation("telegram", "1", "en", "remind", {"n": 1})
    assert [s.event_date for s in await store.subscriptions("telegram", "1")] == [EXPIRY]
    assert [(t.topic, t.asked) for t in await store.topic_stats()] == [("renewal", 1)]


async def test_a_failing_unit_rolls_everything_back(store: PostgresStore) -> None:
    with pytest.raises(Boom):  # the caller's exception goes on, unchanged
        async with store.unit_of_work():
            await _one_update(store, "10")
            raise Boom
    assert await store.load_conversation("telegram", "1") is None
    assert await store.subscriptions("telegram", "1") == []
    assert await store.topic_stats() == []
    assert await store.remember_update("telegram", "10", NOW) is True  # redelivery is handled


async def _handle_into_outbox(store: PostgresStore, update_id: str) -> None:
    """What the runtime writes for one update: dedupe record, conversation, queued reply."""
    assert await store.remember_update("telegram", update_id, NOW)
    await store.save_conversation(Conversation("telegram", "1", "en", "main", {"n": 2}), NOW)
    await store.outbox_add("telegram", "1", ["part 1", "part 2"], NOW)


async def test_a_unit_commits_the_reply_with_the_conversation(store: PostgresStore) -> None:
    async with store.unit_of_work():
        await _handle_into_outbox(store, "20")
    assert await store.remember_update("telegram", "20", NOW) is False
    conversation = await store.load_conversation("telegram", "1")
    assert conversation == Conversation("telegram", "1", "en", "main", {"n": 2})
    queued = await store.outbox_pending("telegram", 10)
    assert [i.payload for i in queued] == ["part 1", "part 2"]


async def test_a_failing_unit_queues_no_reply(store: PostgresStore) -> None:
    with pytest.raises(Boom):
        async with store.unit_of_work():
            await _handle_into_outbox(store, "20")
            raise Boom
    assert await store.load_conversation("telegram", "1") is None
    assert await store.outbox_pending("telegram", 10) == []
    assert await store.remember_update("telegram", "20", NOW) is True


async def test_reads_inside_a_unit_see_its_own_writes(store: PostgresStore) -> None:
    async with store.unit_of_work():
        await store.save_conversation(Conversation("telegram", "1", "ru"), NOW)
        loaded = await store.load_conversation("telegram", "1")
        assert loaded is not None and loaded.language == "ru"
        sub = await store.add_subscription("telegram", "1", "self", "expiry", EXPIRY, [ROW], NOW)
        assert await store.next_due(sub.id) == ROW.due_at


async def test_a_store_error_inside_rolls_the_unit_back(store: PostgresStore) -> None:
    if isinstance(store, MemoryStore):
        pytest.skip("the memory store checks no constraint, so it never refuses a write")
    with pytest.raises(StoreError):
        async with store.unit_of_work():
            await store.save_conversation(Conversation("telegram", "1", "en"), NOW)
            # violates the CHECK on event_kind: the database refuses, the unit is undone
            await store.add_subscription("telegram", "1", "self", "bogus", EXPIRY, [], NOW)
    assert await store.load_conversation("telegram", "1") is None


async def test_a_nested_unit_joins_the_outer_one(store: PostgresStore) -> None:
    with pytest.raises(Boom):
        async with store.unit_of_work():
            async with store.unit_of_work():
                await store.save_conversation(Conversation("telegram", "1", "en"), NOW)
            raise Boom  # the inner block had ended, but nothing was committed yet
    assert await store.load_conversation("telegram", "1") is None

    async with store.unit_of_work(), store.unit_of_work():
        await store.save_conversation(Conversation("telegram", "2", "en"), NOW)
    assert await store.load_conversation("telegram", "2") is not None


async def test_the_store_works_normally_after_a_unit(store: PostgresStore) -> None:
    with pytest.raises(Boom):
        async with store.unit_of_work():
            await store.count_topic("fees")
            raise Boom
    await store.count_topic("fees")  # outside any unit: its own transaction, committed
    assert [(t.topic, t.asked) for t in await store.topic_stats()] == [("fees", 1)]
