"""One contract for every store: the SQLite file, its in-memory twin and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from bot.core.ports import Conversation
from bot.storage.sqlite import SqliteStore, migrations

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


async def test_unknown_chat_has_no_conversation(store: SqliteStore) -> None:
    assert await store.load_conversation("telegram", "1") is None


async def test_conversation_round_trip(store: SqliteStore) -> None:
    saved = Conversation("telegram", "1", "zh", "main", {"label": "孩子", "date": "2027-06-15"})
    await store.save_conversation(saved, NOW)
    loaded = await store.load_conversation("telegram", "1")
    assert loaded == saved
    saved.state = "other"
    assert (await store.load_conversation("telegram", "1")) != saved  # stored copy unaffected


async def test_update_overwrites(store: SqliteStore) -> None:
    await store.save_conversation(Conversation("telegram", "1", "en"), NOW)
    await store.save_conversation(Conversation("telegram", "1", "ru", "main", {"a": 1}), NOW)
    loaded = await store.load_conversation("telegram", "1")
    assert loaded is not None and loaded.language == "ru" and loaded.data == {"a": 1}


async def test_chats_are_separate_per_channel(store: SqliteStore) -> None:
    await store.save_conversation(Conversation("telegram", "1", "en"), NOW)
    assert await store.load_conversation("wechat", "1") is None


async def test_update_ids_deduplicate(store: SqliteStore) -> None:
    assert await store.remember_update("telegram", "10", NOW) is True
    assert await store.remember_update("telegram", "10", NOW) is False
    assert await store.remember_update("wechat", "10", NOW) is True


async def test_delete_chat_erases_it(store: SqliteStore) -> None:
    await store.save_conversation(Conversation("telegram", "1", "en"), NOW)
    await store.save_conversation(Conversation("telegram", "2", "en"), NOW)
    await store.delete_chat("telegram", "1")
    assert await store.load_conversation("telegram", "1") is None
    assert await store.load_conversation("telegram", "2") is not None


async def test_sqlite_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "restart.sqlite3"
    async with SqliteStore(path) as first:
        await first.save_conversation(Conversation("telegram", "9", "zh", "main", {"k": 1}), NOW)
        assert await first.remember_update("telegram", "77", NOW)
    async with SqliteStore(path) as second:
        loaded = await second.load_conversation("telegram", "9")
        assert loaded == Conversation("telegram", "9", "zh", "main", {"k": 1})
        assert await second.remember_update("telegram", "77", NOW) is False
        assert await second.schema_version() == max(v for v, _ in migrations())


async def test_sqlite_file_is_wal_and_holds_no_personal_columns(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite3"
    async with SqliteStore(path):
        pass
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {
            row[1].lower()
            for (table,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")
            for row in raw.execute(f"PRAGMA table_info({table})")
        }
    assert not any(word in c for c in columns for word in ("name", "passport", "card_no", "phone"))
