"""The SQLite store (aiosqlite): one owned connection, WAL, one writer, versioned schema."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.core.ports import Conversation, StoreError

log = logging.getLogger(__name__)

UPDATE_MEMORY = dt.timedelta(days=2)  # how long handled update ids are kept for dedup


def migrations() -> list[tuple[int, str]]:
    """The schema migrations shipped with the package, as (version, SQL), in order."""
    folder = resources.files("bot.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class SqliteStore:
    """Conversations, subscriptions and reminders in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._writes = 0

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StoreError("the store is not open")
        return self._db

    async def open(self) -> None:
        """Open the file, set it up for one writer and bring the schema up to date."""
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = await aiosqlite.connect(self._path, isolation_level=None)
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA synchronous=NORMAL")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._db.execute("PRAGMA foreign_keys=ON")
            await self._migrate()
        except sqlite3.Error as err:
            await self.close()
            raise StoreError(f"cannot open the database {self._path}: {err}") from err

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def __aenter__(self) -> SqliteStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The schema version recorded in the file."""
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for version, sql in migrations():
            if version <= current:
                continue
            async with self.transaction() as db:
                for statement in _statements(sql):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version={version:d}")
            log.info("database migrated to schema version %d", version)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE), one at a time."""
        async with self._write_lock:
            db = self.db
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            else:
                await db.execute("COMMIT")

    async def load_conversation(self, channel: str, chat_id: str) -> Conversation | None:
        """The stored conversation of a chat, if any."""
        try:
            async with self.db.execute(
                "SELECT language, state, data FROM chats WHERE channel = ? AND chat_id = ?",
                (channel, chat_id),
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as err:
            raise StoreError(str(err)) from err
        if row is None:
            return None
        language, state, data = row
        return Conversation(channel, chat_id, language, state, json.loads(data))

    async def save_conversation(self, conversation: Conversation, now: dt.datetime) -> None:
        """Insert or update a conversation."""
        stamp = _iso(now)
        try:
            async with self.transaction() as db:
                await db.execute(
                    "INSERT INTO chats (channel, chat_id, language, state, data, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (channel, chat_id) DO UPDATE SET language = excluded.language,"
                    " state = excluded.state, data = excluded.data,"
                    " updated_at = excluded.updated_at",
                    (
                        conversation.channel,
                        conversation.chat_id,
                        conversation.language,
                        conversation.state,
                        json.dumps(conversation.data, ensure_ascii=False, sort_keys=True),
                        stamp,
                        stamp,
                    ),
                )
        except sqlite3.Error as err:
            raise StoreError(str(err)) from err

    async def remember_update(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an update id; False if it was seen before. Old ids are pruned now and then."""
        try:
            async with self.transaction() as db:
                cursor = await db.execute(
                    "INSERT OR IGNORE INTO processed_updates (channel, update_id, seen_at)"
                    " VALUES (?, ?, ?)",
                    (channel, update_id, _iso(now)),
                )
                fresh = cursor.rowcount == 1
                self._writes += 1
                if self._writes % 500 == 0:
                    await db.execute(
                        "DELETE FROM processed_updates WHERE seen_at < ?",
                        (_iso(now - UPDATE_MEMORY),),
                    )
        except sqlite3.Error as err:
            raise StoreError(str(err)) from err
        return fresh

    async def delete_chat(self, channel: str, chat_id: str) -> None:
        """Erase everything stored about a chat."""
        try:
            async with self.transaction() as db:
                await db.execute(
                    "DELETE FROM chats WHERE channel = ? AND chat_id = ?", (channel, chat_id)
                )
        except sqlite3.Error as err:
            raise StoreError(str(err)) from err


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside literals here)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
