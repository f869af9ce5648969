"""An update of a chat the store already knows: one trip to the database, and still exactly
once.

Contract for every store: a redelivered update is refused (`remember_update` answers False,
or the unit raises DuplicateUpdate) and nothing it wrote is kept. The SQLite store, the only
process on its file, keeps recent chats' committed conversations in memory and records the
update id with the commit; the last tests count its trips and check that what it keeps in
memory is what was committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core.ports import Conversation, DuplicateUpdate
from bot.storage.sqlite import SqliteStore

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


class Boom(Exception):
    """The step failed after its writes."""


async def _handle(
    store: SqliteStore, update_id: str, state: str, chat: str = "1", *, reads: bool = False
) -> bool:
    """What the engine does for one update (with `reads`, a step that reads the chat's
    subscriptions); False when the store refused it as a duplicate."""
    try:
        async with store.unit_of_work():
            await store.lock_chat("telegram", chat)
            if not await store.remember_update("telegram", update_id, NOW):
                return False
            conversation = await store.load_conversation("telegram", chat)
            if reads:  # a trip before the commit: a duplicate may be found here
                assert await store.subscriptions("telegram", chat) == []
            conversation = conversation or Conversation("telegram", chat)
            conversation.state = state
            await store.save_conversation(conversation, NOW)
            await store.outbox_add("telegram", chat, [f"reply to {update_id}"], NOW)
    except DuplicateUpdate:
        return False
    return True


async def _state(store: SqliteStore, chat: str = "1") -> str | None:
    conversation = await store.load_conversation("telegram", chat)
    return conversation.state if conversation is not None else None


async def test_a_redelivered_update_of_a_known_chat_is_refused(store: SqliteStore) -> None:
    assert await _handle(store, "1", "first")
    assert await _handle(store, "2", "second")  # the chat is known now
    assert await _handle(store, "2", "replayed") is False
    assert await _handle(store, "1", "replayed", reads=True) is False
    assert await _state(store) == "second"
    replies = [item.payload for item in await store.outbox_pending("telegram", 10)]
    assert replies == ["reply to 1", "reply to 2"]
    assert await _handle(store, "3", "third")  # the store goes on normally
    assert await _state(store) == "third"


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "s.sqlite3")
    await store.open()
    yield store
    await store.close()


def _count_trips(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each trip to aiosqlite's thread."""
    trips: list[str] = []
    run = store._run

    async def counted(work: Callable[[Any], Any]) -> Any:
        trips.append(getattr(work, "__name__", "?"))
        return await run(work)

    monkeypatch.setattr(store, "_run", counted)
    return trips


async def test_an_update_of_a_known_chat_is_one_trip(
    sqlite: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = _count_trips(sqlite, monkeypatch)
    assert await _handle(sqlite, "1", "first")
    assert len(trips) == 2  # unknown chat: the id and the conversation, then the commit
    trips.clear()
    assert await _handle(sqlite, "2", "second")
    assert len(trips) == 1  # known: everything goes with the commit
    trips.clear()
    assert await _handle(sqlite, "2", "replayed") is False
    assert len(trips) == 1
    assert await _state(sqlite) == "second"


async def test_what_is_kept_in_memory_is_what_was_committed(sqlite: SqliteStore) -> None:
    assert await _handle(sqlite, "1", "first")
    with pytest.raises(Boom):  # written, then failed: rolled back
        async with sqlite.unit_of_work():
            await sqlite.lock_chat("telegram", "1")
            assert await sqlite.remember_update("telegram", "2", NOW)
            conversation = await sqlite.load_conversation("telegram", "1")
            assert conversation is not None and conversation.state == "first"
            conversation.state = "lost"
            await sqlite.save_conversation(conversation, NOW)
            raise Boom
    assert await _state(sqlite) == "first"
    assert await _handle(sqlite, "2", "second")  # the failed update is handled when redelivered
    await sqlite.pause_chat("telegram", "1", NOW)  # the user blocked the bot
    async with sqlite.unit_of_work():
        await sqlite.lock_chat("telegram", "1")
        conversation = await sqlite.load_conversation("telegram", "1")
    assert conversation is not None and conversation.paused and conversation.state == "second"
    assert await sqlite.resume_chat("telegram", "1")
    assert await _handle(sqlite, "3", "third")
    async with sqlite.unit_of_work():
        conversation = await sqlite.load_conversation("telegram", "1")
    assert conversation is not None and not conversation.paused
    await sqlite.delete_chat("telegram", "1")  # /deletemydata
    async with sqlite.unit_of_work():
        await sqlite.lock_chat("telegram", "1")
        assert await sqlite.load_conversation("telegram", "1") is None
    await sqlite.close()  # and a restart reads the file, not memory
    await sqlite.open()
    assert await _handle(sqlite, "4", "fourth")
    assert await _state(sqlite) == "fourth"
