"""The SQLite store (aiosqlite): one owned connection, WAL, one writer, versioned schema."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

from bot.core.ports import (
    ClaimedReminder,
    Conversation,
    DuplicateUpdate,
    OutboxItem,
    PlannedRow,
    Rating,
    ReminderRecord,
    StoreError,
    Subscription,
    SubscriptionRecord,
    TopicStats,
)
from bot.storage.queries import SOONEST_DUE

log = logging.getLogger(__name__)

UPDATE_MEMORY = dt.timedelta(days=2)  # how long handled update ids are kept for dedup

T = TypeVar("T")
# A statement waiting for the unit of work's next trip to aiosqlite's thread:
# (sql, parameters, executemany?)
Deferred = tuple[str, Any, bool]
# A chat's row of _CONVERSATION: (stored?, language, state, data as JSON, paused?)
Row = tuple[Any, ...]
Chat = tuple[str, str]
ROWS_KEPT = 512  # recent chats whose committed conversation row is kept in memory
_RECORD_UPDATE = "INSERT INTO processed_updates (channel, update_id, seen_at) VALUES (?, ?, ?)"
_PRUNE_UPDATES = "DELETE FROM processed_updates WHERE seen_at < ?"


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


def _iso_not_before(moment: dt.datetime) -> str:
    """A retry time, rounded up to the second: never earlier than the platform asked."""
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    return _iso(moment)


class SqliteStore:
    """Conversations, subscriptions and reminders in one SQLite file.

    One process per file: `open()` takes an exclusive lock on `<file>.lock` beside it, so a
    second `prbot` refuses to start instead of sending every reminder twice. Every statement
    runs under one asyncio lock, so a unit of work (an update's whole handling) is never seen
    half-done by another task, and commits as one transaction.

    Every trip to aiosqlite's thread costs a wake-up of the event loop (tens of microseconds,
    more on a busy machine), so a unit of work makes as few as it can: its BEGIN and the
    writes whose result nobody reads (the conversation, the outbox, the inbox, counters) wait
    and go with the next statement that must run now, or with the COMMIT. A typical update
    is three trips (record its id, load the conversation, write and commit) instead of
    eleven. Order is kept: whatever touches the connection directly runs the waiting
    statements first.

    As the only process on its file, the store also keeps the committed conversation rows of
    the last ROWS_KEPT chats: an update of such a chat reads its conversation from memory and
    records its id with the commit (a duplicate then fails there and the unit is rolled back,
    `DuplicateUpdate`), so it is one trip in all.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self._path = str(path)
        self._read_only = read_only
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._in_unit: ContextVar[bool] = ContextVar(f"sqlite-unit-{id(self)}", default=False)
        self._lock_fd: int | None = None
        self._writes = 0
        self._deferred: list[Deferred] = []  # the unit of work's statements not run yet
        self._begun = False  # the unit of work's BEGIN has run
        self._chat: tuple[str, str] | None = None  # the unit's chat (lock_chat)
        # its conversation row, read ahead with the update id and not written since
        self._read_ahead: tuple[tuple[str, str], list[tuple[Any, ...]]] | None = None
        # committed conversation rows of recent chats (only while this process holds the
        # file's lock), and the unit's changes to them, applied when it commits (None: the
        # chat's row is not known any more)
        self._rows: OrderedDict[Chat, Row] = OrderedDict()
        self._unit_rows: dict[Chat, Row | None] = {}

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    @property
    def exclusive(self) -> bool:
        """True once this process holds the file's lock: no other process can be using it."""
        return self._lock_fd is not None or self._path == ":memory:"

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StoreError("the store is not open")
        return self._db

    async def open(self) -> None:
        """Lock, open and check the file, set it up for one writer, bring the schema up to date.

        Raises StoreError with a one-line reason: the path cannot be used, another process
        holds it, the file is not a database or is damaged, or it cannot be written.
        """
        try:
            if self._path != ":memory:" and not self._read_only:
                parent = Path(self._path).parent
                blocking = next((p for p in (parent, *parent.parents) if p.is_file()), None)
                if blocking is not None:
                    raise StoreError(f"{blocking} is a file, not a folder")
                parent.mkdir(parents=True, exist_ok=True)
                self._lock_fd = _lock_beside(Path(self._path))
            uri = f"file:{self._path}?mode=ro" if self._read_only else self._path
            self._db = await aiosqlite.connect(uri, isolation_level=None, uri=self._read_only)
            await self._db.execute("PRAGMA busy_timeout=2000")
            if not self._read_only:
                await self._db.execute("PRAGMA journal_mode=WAL")
                await self._db.execute("PRAGMA synchronous=NORMAL")
            await self._db.execute("PRAGMA foreign_keys=ON")
            await self._check()
            if not self._read_only:
                await self._migrate()
        except (sqlite3.Error, OSError) as err:
            await self.close()
            raise StoreError(_reason(err)) from err
        except StoreError:
            await self.close()
            raise

    async def _check(self) -> None:
        """PRAGMA quick_check, and a write that is rolled back (is it writable?)."""
        async with self.db.execute("PRAGMA quick_check") as cursor:
            rows = [tuple(r) for r in await cursor.fetchall()]
        if rows != [("ok",)]:
            raise StoreError(f"the database is damaged ({rows[0][0] if rows else 'no answer'})")
        if not self._read_only:  # a real write, rolled back: a read-only file fails here
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                await self.db.execute("CREATE TABLE prbot_write_probe (x INTEGER)")
            finally:
                await self.db.execute("ROLLBACK")

    async def close(self) -> None:
        """Close the connection and release the lock (idempotent)."""
        if self._db is not None:
            db, self._db = self._db, None
            try:
                await db.close()
            except sqlite3.Error as err:
                log.warning("closing the database failed: %s", err)
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            os.close(fd)

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

    async def ready(self) -> bool:
        """True when the file answers and its schema is the one this code ships."""
        if self._db is None:
            return False
        try:
            return await self.schema_version() >= migrations()[-1][0]
        except (sqlite3.Error, ValueError):
            return False

    async def lock_chat(self, channel: str, chat_id: str) -> None:
        """No lock is needed (one process per file, and the engine orders a chat's updates);
        inside a unit of work it names the chat, whose conversation the next trip reads
        ahead (see `load_conversation`)."""
        if self._in_unit.get():
            self._chat = (channel, chat_id)

    async def pending_reminders(self) -> int:
        """How many reminders wait to be sent (pending or claimed)."""
        rows = await self._fetch(
            "SELECT count(*) FROM reminders WHERE status IN ('pending', 'claimed')", ()
        )
        return int(rows[0][0])

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """One transaction for everything the store does inside the block (nesting joins it)."""
        if self._in_unit.get():
            yield
            return
        async with self._write_lock:
            token = self._in_unit.set(True)
            db = self.db
            self._deferred = [("BEGIN IMMEDIATE", (), False)]
            self._begun = False
            self._chat = None
            self._read_ahead = None
            self._unit_rows = {}
            committed = False
            try:
                try:
                    yield
                except BaseException:
                    if self._begun:
                        await _rollback(db)
                    raise
                if self._deferred == [("BEGIN IMMEDIATE", (), False)]:
                    committed = True
                    return  # nothing was read or written: no transaction at all
                try:
                    await self._run(_commit)
                except (sqlite3.Error, DuplicateUpdate) as err:
                    if self._begun:
                        await _rollback(db)
                    if isinstance(err, DuplicateUpdate):
                        raise
                    raise StoreError(_reason(err)) from err
                committed = True
            finally:
                self._keep_rows(committed)
                self._deferred = []
                self._begun = False
                self._chat = None
                self._read_ahead = None
                self._in_unit.reset(token)

    def _keep_rows(self, committed: bool) -> None:
        """After a unit of work: its chats' rows as committed, or forgotten if it failed."""
        changes, self._unit_rows = self._unit_rows, {}
        if not self.exclusive:
            return
        for chat, row in changes.items():
            self._rows.pop(chat, None)
            if committed and row is not None:
                self._rows[chat] = row
        while len(self._rows) > ROWS_KEPT:
            self._rows.popitem(last=False)

    def _changed(self, chat: Chat, row: Row | None = None) -> None:
        """A chat's row changes with this unit (`row`: to what, if known); outside a unit
        of work, it is forgotten at once."""
        if self._in_unit.get():
            self._unit_rows[chat] = row
        else:
            self._rows.pop(chat, None)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` in aiosqlite's thread, after the unit's waiting statements: one
        trip. Raises sqlite3.Error."""
        db = self.db
        deferred: list[Deferred] = []
        if self._in_unit.get() and self._deferred:
            deferred, self._deferred = self._deferred, []

        def job() -> T:
            connection = db._conn  # aiosqlite's sqlite3 connection, used in its own thread
            for sql, params, many in deferred:
                if many:
                    connection.executemany(sql, params)
                elif sql is _RECORD_UPDATE:  # recorded without asking (`remember_update`)
                    try:
                        connection.execute(sql, params)
                    except sqlite3.IntegrityError:
                        raise DuplicateUpdate from None
                else:
                    connection.execute(sql, params)
                    if sql == "BEGIN IMMEDIATE":
                        self._begun = True  # read back in the event loop after this trip
            return work(connection)

        # aiosqlite runs a function in its thread with `_execute` (what execute() uses).
        result: T = await db._execute(job)  # type: ignore[no-untyped-call]
        return result

    async def _later(self, sql: str, params: Any, *, many: bool = False) -> None:
        """A write whose result nobody reads: inside a unit of work it waits for the next
        trip; outside it runs now. Raises StoreError."""
        if self._in_unit.get():
            self._deferred.append((sql, params, many))
            self._read_ahead = None
            return
        try:
            async with self._write_lock:
                if many:
                    await self._run(lambda c: c.executemany(sql, params))
                else:
                    await self._run(lambda c: c.execute(sql, params))
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE), or the unit of work already open."""
        async with self.unit_of_work():
            await self._flush()
            yield self.db

    async def _flush(self) -> None:
        """Run the unit's waiting statements (before the connection is used directly)."""
        self._read_ahead = None
        if self._in_unit.get() and self._deferred:
            try:
                await self._run(_nothing)
            except sqlite3.Error as err:
                raise StoreError(_reason(err)) from err

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for one statement: inside the unit of work, or between two."""
        if self._in_unit.get():
            await self._flush()
            yield self.db
            return
        async with self._write_lock:
            yield self.db

    async def load_conversation(self, channel: str, chat_id: str) -> Conversation | None:
        """The stored conversation of a chat, if any (a paused chat always has one).

        In a unit of work the row may already be here: `remember_update` reads the chat's
        row (named by `lock_chat`) in the same trip, and any write since forgets it.
        """
        chat = (channel, chat_id)
        ahead, self._read_ahead = self._read_ahead, None
        in_unit = self._in_unit.get()
        row = self._known_row(chat) if in_unit else None
        if row is None:
            if ahead is not None and ahead[0] == chat and in_unit:
                row = ahead[1][0]
            else:
                row = (await self._fetch(_CONVERSATION, chat))[0]
            if in_unit:  # as read in this unit: kept if it commits
                self._unit_rows[chat] = row
        stored, language, state, data, paused = row
        if stored:
            return Conversation(channel, chat_id, language, state, json.loads(data), bool(paused))
        return Conversation(channel, chat_id, paused=True) if paused else None

    async def save_conversation(self, conversation: Conversation, now: dt.datetime) -> None:
        """Insert or update a conversation."""
        stamp = _iso(now)
        chat = (conversation.channel, conversation.chat_id)
        data = json.dumps(conversation.data, ensure_ascii=False, sort_keys=True)
        known = self._known_row(chat) if self._in_unit.get() else None
        row = (1, conversation.language, conversation.state, data, known[4]) if known else None
        await self._later(
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
                data,
                stamp,
                stamp,
            ),
        )
        self._changed(chat, row)

    def _known_row(self, chat: Chat) -> Row | None:
        """A chat's conversation row as this unit of work sees it, if known without a trip."""
        if chat in self._unit_rows:
            return self._unit_rows[chat]
        return self._rows.get(chat) if self.exclusive else None

    async def remember_update(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an update id; False if it was seen before. Old ids are pruned now and then."""
        self._writes += 1
        prune = self._writes % 500 == 0
        chat = self._chat if self._in_unit.get() else None
        if chat is not None and self._known_row(chat) is not None:
            # the conversation is in memory: no trip for the answer, which the commit gives
            # (a duplicate fails there: DuplicateUpdate, and the unit is rolled back)
            self._deferred.append((_RECORD_UPDATE, (channel, update_id, _iso(now)), False))
            if prune:
                self._deferred.append((_PRUNE_UPDATES, (_iso(now - UPDATE_MEMORY),), False))
            return True
        ahead: list[list[tuple[Any, ...]]] = []

        def remember(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO processed_updates (channel, update_id, seen_at)"
                " VALUES (?, ?, ?)",
                (channel, update_id, _iso(now)),
            )
            fresh = cursor.rowcount == 1
            if prune:
                connection.execute(_PRUNE_UPDATES, (_iso(now - UPDATE_MEMORY),))
            if chat is not None and fresh:  # the conversation the engine reads next
                ahead.append([tuple(r) for r in connection.execute(_CONVERSATION, chat)])
            return fresh

        try:
            async with self.unit_of_work():
                fresh = await self._run(remember)
                self._read_ahead = (chat, ahead[0]) if chat is not None and ahead else None
                return fresh
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err

    async def delete_chat(self, channel: str, chat_id: str) -> None:
        """Erase everything stored about a chat: conversation, subscriptions, reminders."""
        try:
            async with self.transaction() as db:
                await db.execute(
                    "DELETE FROM chats WHERE channel = ? AND chat_id = ?", (channel, chat_id)
                )
                await db.execute(
                    "DELETE FROM subscriptions WHERE channel = ? AND chat_id = ?",
                    (channel, chat_id),
                )
                await db.execute(
                    "DELETE FROM feedback WHERE channel = ? AND chat_id = ?", (channel, chat_id)
                )
                await db.execute(
                    "DELETE FROM paused_chats WHERE channel = ? AND chat_id = ?",
                    (channel, chat_id),
                )
                self._changed((channel, chat_id))
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err

    # Subscriptions and reminders ---------------------------------------------------------

    async def add_subscription(
        self,
        channel: str,
        chat_id: str,
        label: str,
        event_kind: str,
        event_date: dt.date,
        reminders: list[PlannedRow],
        now: dt.datetime,
    ) -> Subscription:
        """Store a subscription and its reminders in one transaction."""
        try:
            async with self.transaction() as db:
                cursor = await db.execute(
                    "INSERT INTO subscriptions (channel, chat_id, label, event_kind, event_date,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (channel, chat_id, label, event_kind, event_date.isoformat(), _iso(now)),
                )
                subscription_id = int(cursor.lastrowid or 0)
                await _insert_reminders(db, subscription_id, reminders)
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err
        return Subscription(subscription_id, channel, chat_id, label, event_kind, event_date)

    async def replace_schedule(
        self,
        subscription_id: int,
        channel: str,
        chat_id: str,
        event_kind: str,
        event_date: dt.date,
        reminders: list[PlannedRow],
    ) -> Subscription | None:
        """New event date and reminders for one of the chat's own subscriptions."""
        try:
            async with self.transaction() as db:
                cursor = await db.execute(
                    "UPDATE subscriptions SET event_kind = ?, event_date = ?, active = 1,"
                    " failures = 0 WHERE id = ? AND channel = ? AND chat_id = ?",
                    (event_kind, event_date.isoformat(), subscription_id, channel, chat_id),
                )
                if cursor.rowcount != 1:
                    return None
                await db.execute(
                    "UPDATE reminders SET status = 'cancelled' WHERE subscription_id = ?"
                    " AND status IN ('pending', 'claimed')",
                    (subscription_id,),
                )
                await _insert_reminders(db, subscription_id, reminders)
                async with db.execute(
                    _SUBSCRIPTION_SELECT + " WHERE id = ?", (subscription_id,)
                ) as rows:
                    row = await rows.fetchone()
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err
        return _subscription(row) if row else None

    async def subscriptions(self, channel: str, chat_id: str) -> list[Subscription]:
        """The chat's active subscriptions, oldest first."""
        return [
            _subscription(row)
            for row in await self._fetch(
                _SUBSCRIPTION_SELECT
                + " WHERE channel = ? AND chat_id = ? AND active = 1 ORDER BY id",
                (channel, chat_id),
            )
        ]

    async def subscription_history(self, channel: str, chat_id: str) -> list[SubscriptionRecord]:
        """Every subscription the chat has, stopped ones too, oldest first; each with all its
        reminders (sent, pending, skipped, cancelled) by due time."""
        subscriptions = await self._fetch(
            "SELECT id, channel, chat_id, label, event_kind, event_date, active, failures,"
            " created_at FROM subscriptions WHERE channel = ? AND chat_id = ? ORDER BY id",
            (channel, chat_id),
        )
        reminders = await self._fetch(
            "SELECT r.subscription_id, r.kind, r.due_at, r.status, r.sent_at FROM reminders r"
            " JOIN subscriptions s ON s.id = r.subscription_id"
            " WHERE s.channel = ? AND s.chat_id = ? ORDER BY r.due_at, r.id",
            (channel, chat_id),
        )
        by_subscription: dict[int, list[ReminderRecord]] = {}
        for row in reminders:
            by_subscription.setdefault(int(row[0]), []).append(
                ReminderRecord(
                    str(row[1]),
                    dt.datetime.fromisoformat(row[2]),
                    str(row[3]),
                    dt.datetime.fromisoformat(row[4]) if row[4] else None,
                )
            )
        return [
            SubscriptionRecord(
                _subscription(row),
                dt.datetime.fromisoformat(row[8]),
                tuple(by_subscription.get(int(row[0]), ())),
            )
            for row in subscriptions
        ]

    async def next_due(self, subscription_id: int) -> dt.datetime | None:
        """When the subscription's next pending reminder is due."""
        rows = await self._fetch(
            "SELECT MIN(due_at) FROM reminders WHERE subscription_id = ?"
            " AND status IN ('pending', 'claimed')",
            (subscription_id,),
        )
        value = rows[0][0] if rows else None
        return dt.datetime.fromisoformat(value) if value else None

    async def cancel_subscription(self, channel: str, chat_id: str, subscription_id: int) -> bool:
        """Deactivate one of the chat's own subscriptions; False if it is not theirs."""
        try:
            async with self.transaction() as db:
                cursor = await db.execute(
                    "UPDATE subscriptions SET active = 0 WHERE id = ? AND channel = ?"
                    " AND chat_id = ? AND active = 1",
                    (subscription_id, channel, chat_id),
                )
                if cursor.rowcount != 1:
                    return False
                await _cancel_pending(db, subscription_id)
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err
        return True

    async def release_claims(self, claimed_before: dt.datetime) -> int:
        """Put back claims older than `claimed_before` (their sender died): at-least-once."""
        return await self._write(
            "UPDATE reminders SET status = 'pending', claimed_at = NULL"
            " WHERE status = 'claimed' AND claimed_at < ?",
            (_iso(claimed_before),),
        )

    async def skip_stale(self, now: dt.datetime) -> int:
        """Skip due reminders that became pointless or were overtaken by a later due one."""
        stamp = _iso(now)
        return await self._write(
            "UPDATE reminders SET status = 'skipped' WHERE status = 'pending'"
            " AND not_before <= :now AND (stale_at <= :now OR EXISTS ("
            "  SELECT 1 FROM reminders later WHERE later.subscription_id ="
            "  reminders.subscription_id AND later.status = 'pending'"
            "  AND later.due_at <= :now AND later.due_at > reminders.due_at"
            "  AND later.stale_at > :now))",
            {"now": stamp},
        )

    async def claim_due(self, now: dt.datetime, limit: int) -> list[ClaimedReminder]:
        """Claim up to `limit` due reminders, oldest first, in one transaction."""
        stamp = _iso(now)
        try:
            async with self.transaction() as db:
                async with db.execute(
                    "SELECT r.id FROM reminders r JOIN subscriptions s ON s.id = r.subscription_id"
                    " WHERE r.status = 'pending' AND r.not_before <= ? AND NOT EXISTS ("
                    "  SELECT 1 FROM paused_chats p WHERE p.channel = s.channel"
                    "  AND p.chat_id = s.chat_id)"
                    " ORDER BY r.not_before LIMIT ?",
                    (stamp, limit),
                ) as cursor:
                    ids = [int(row[0]) for row in await cursor.fetchall()]
                if not ids:
                    return []
                marks = ",".join("?" * len(ids))
                await db.execute(
                    f"UPDATE reminders SET status = 'claimed', claimed_at = ?,"
                    f" attempts = attempts + 1 WHERE id IN ({marks})",
                    (stamp, *ids),
                )
                async with db.execute(
                    "SELECT r.id, r.kind, r.due_at, r.attempts, s.id, s.channel, s.chat_id,"
                    " s.label, s.event_kind, s.event_date, s.active, s.failures, c.language,"
                    " r.parts_sent"
                    " FROM reminders r JOIN subscriptions s ON s.id = r.subscription_id"
                    " LEFT JOIN chats c ON c.channel = s.channel AND c.chat_id = s.chat_id"
                    f" WHERE r.id IN ({marks}) ORDER BY r.not_before",
                    ids,
                ) as cursor:
                    rows = await cursor.fetchall()
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err
        return [
            ClaimedReminder(
                id=int(row[0]),
                kind=str(row[1]),
                due_at=dt.datetime.fromisoformat(row[2]),
                attempts=int(row[3]),
                subscription=_subscription(row[4:12]),
                language=row[12],
                parts_sent=int(row[13]),
            )
            for row in rows
        ]

    async def soonest_due(self) -> dt.datetime | None:
        """When the soonest pending reminder of a chat not paused falls due, if any."""
        rows = await self._fetch(SOONEST_DUE, ())
        soonest = rows[0][0]
        return None if soonest is None else dt.datetime.fromisoformat(soonest)

    async def mark_sent(self, reminder_id: int, now: dt.datetime) -> None:
        """The reminder was delivered; also resets the subscription's failure count."""
        try:
            async with self.transaction() as db:
                await db.execute(
                    "UPDATE reminders SET status = 'sent', sent_at = ? WHERE id = ?",
                    (_iso(now), reminder_id),
                )
                await db.execute(
                    "UPDATE subscriptions SET failures = 0 WHERE id ="
                    " (SELECT subscription_id FROM reminders WHERE id = ?)",
                    (reminder_id,),
                )
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err

    async def retry_later(self, reminder_id: int, not_before: dt.datetime) -> None:
        """Delivery failed for a passing reason: try again from `not_before`."""
        await self._write(
            "UPDATE reminders SET status = 'pending', claimed_at = NULL, not_before = ?"
            " WHERE id = ? AND status = 'claimed'",
            (_iso_not_before(not_before), reminder_id),
        )

    async def record_blocked(
        self, reminder_id: int, not_before: dt.datetime, max_failures: int
    ) -> bool:
        """The user blocked the bot: count it; deactivate after `max_failures` in a row."""
        try:
            async with self.transaction() as db:
                async with db.execute(
                    "SELECT subscription_id FROM reminders WHERE id = ?", (reminder_id,)
                ) as cursor:
                    row = await cursor.fetchone()
                if row is None:
                    return False
                subscription_id = int(row[0])
                await db.execute(
                    "UPDATE subscriptions SET failures = failures + 1 WHERE id = ?",
                    (subscription_id,),
                )
                async with db.execute(
                    "SELECT failures FROM subscriptions WHERE id = ?", (subscription_id,)
                ) as cursor:
                    failures_row = await cursor.fetchone()
                failures = int(failures_row[0]) if failures_row else 0
                if failures >= max_failures:
                    await db.execute(
                        "UPDATE subscriptions SET active = 0 WHERE id = ?", (subscription_id,)
                    )
                    await _cancel_pending(db, subscription_id)
                    return True
                await db.execute(
                    "UPDATE reminders SET status = 'pending', claimed_at = NULL, not_before = ?"
                    " WHERE id = ?",
                    (_iso_not_before(not_before), reminder_id),
                )
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err
        return False

    async def hold_claim(self, reminder_id: int, attempts: int, now: dt.datetime) -> bool:
        """Renew this process's claim before sending; False if it is no longer its claim."""
        held = await self._write(
            "UPDATE reminders SET claimed_at = ? WHERE id = ? AND status = 'claimed'"
            " AND attempts = ?",
            (_iso(now), reminder_id, attempts),
        )
        return held == 1

    async def mark_part_sent(self, reminder_id: int, parts_sent: int) -> None:
        """Record that the first `parts_sent` parts of a claimed reminder were delivered."""
        await self._write(
            "UPDATE reminders SET parts_sent = ? WHERE id = ?", (parts_sent, reminder_id)
        )

    async def pause_chat(self, channel: str, chat_id: str, now: dt.datetime) -> None:
        """The user blocked the bot: hold the chat's reminders until they write again."""
        await self._write(
            "INSERT OR IGNORE INTO paused_chats (channel, chat_id, since) VALUES (?, ?, ?)",
            (channel, chat_id, _iso(now)),
        )
        self._changed((channel, chat_id))

    async def resume_chat(self, channel: str, chat_id: str) -> bool:
        """The user wrote again: release held reminders; True if the chat was paused."""
        changed = await self._write(
            "DELETE FROM paused_chats WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        )
        self._changed((channel, chat_id))
        return changed > 0

    async def reminder_rows(self, subscription_id: int) -> list[tuple[str, str, str]]:
        """(kind, due_at, status) of a subscription's reminders, for /mydata and tests."""
        rows = await self._fetch(
            "SELECT kind, due_at, status FROM reminders WHERE subscription_id = ?"
            " ORDER BY due_at, id",
            (subscription_id,),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    # Inbox and outbox ----------------------------------------------------------------------

    async def inbox_add(
        self, channel: str, items: list[tuple[str, str]], now: dt.datetime
    ) -> None:
        """Keep fetched updates as (update_id, raw JSON) until handled; repeats are ignored."""
        if not items:
            return
        stamp = _iso(now)
        async with self.unit_of_work():
            await self._later(
                "INSERT OR IGNORE INTO inbox (channel, update_id, payload, received_at)"
                " VALUES (?, ?, ?, ?)",
                [(channel, update_id, payload, stamp) for update_id, payload in items],
                many=True,
            )

    async def inbox_pending(
        self, channel: str, limit: int, received_before: dt.datetime | None = None
    ) -> list[tuple[str, str]]:
        """Updates fetched but not handled yet, in arrival order (received before
        `received_before` when it is given)."""
        if received_before is None:
            rows = await self._fetch(
                "SELECT update_id, payload FROM inbox WHERE channel = ? ORDER BY id LIMIT ?",
                (channel, limit),
            )
        else:
            rows = await self._fetch(
                "SELECT update_id, payload FROM inbox WHERE channel = ? AND received_at < ?"
                " ORDER BY id LIMIT ?",
                (channel, _iso(received_before), limit),
            )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def inbox_remove(self, channel: str, update_id: str) -> None:
        """The update was handled (or cannot be): forget it."""
        await self._later(
            "DELETE FROM inbox WHERE channel = ? AND update_id = ?", (channel, update_id)
        )

    async def outbox_add(
        self, channel: str, chat_id: str, payloads: list[str], now: dt.datetime
    ) -> None:
        """Queue encoded message parts for a chat, in order."""
        if not payloads:
            return
        stamp = _iso(now)
        async with self.unit_of_work():
            await self._later(
                "INSERT INTO outbox (channel, chat_id, payload, not_before, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(channel, chat_id, payload, stamp, stamp) for payload in payloads],
                many=True,
            )

    async def outbox_pending(self, channel: str, limit: int) -> list[OutboxItem]:
        """Queued parts of a channel, oldest first, including those waiting for a retry."""
        rows = await self._fetch(
            "SELECT id, chat_id, payload, not_before, attempts FROM outbox WHERE channel = ?"
            " ORDER BY id LIMIT ?",
            (channel, limit),
        )
        return [
            OutboxItem(
                int(r[0]),
                channel,
                str(r[1]),
                str(r[2]),
                dt.datetime.fromisoformat(r[3]),
                int(r[4]),
            )
            for r in rows
        ]

    @property
    def outbox_lease(self) -> dt.timedelta | None:
        """No lease: one process per file (the lock beside it)."""
        return None

    async def outbox_hold(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Every part is this process's (one process per file): all of them."""
        return list(items)

    async def outbox_done(self, item_id: int) -> None:
        """The platform accepted the part."""
        await self._write("DELETE FROM outbox WHERE id = ?", (item_id,))

    async def outbox_retry(self, item_id: int, not_before: dt.datetime) -> None:
        """Sending failed for a passing reason: try again from `not_before`."""
        await self._write(
            "UPDATE outbox SET not_before = ?, attempts = attempts + 1 WHERE id = ?",
            (_iso_not_before(not_before), item_id),
        )

    async def outbox_drop(self, item_id: int) -> None:
        """The part can never be delivered (the chat is gone or the request is invalid)."""
        await self._write("DELETE FROM outbox WHERE id = ?", (item_id,))

    async def outbox_waiting(self, channel: str, chat_id: str) -> bool:
        """True while replies to this chat wait to be sent (a reminder then waits too)."""
        rows = await self._fetch(
            "SELECT 1 FROM outbox WHERE channel = ? AND chat_id = ? LIMIT 1", (channel, chat_id)
        )
        return bool(rows)

    # Feedback ----------------------------------------------------------------------------

    async def count_topic(self, topic: str) -> None:
        """One more answer on this topic."""
        await self._later(
            "INSERT INTO topic_counts (topic, asked) VALUES (?, 1)"
            " ON CONFLICT (topic) DO UPDATE SET asked = asked + 1",
            (topic,),
        )

    async def record_feedback(
        self, channel: str, chat_id: str, topic: str, helpful: bool, now: dt.datetime
    ) -> None:
        """The chat's rating of a topic (a later rating replaces an earlier one)."""
        await self._write(
            "INSERT INTO feedback (channel, chat_id, topic, helpful, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, chat_id, topic) DO UPDATE SET"
            " helpful = excluded.helpful, created_at = excluded.created_at",
            (channel, chat_id, topic, int(helpful), _iso(now)),
        )

    async def ratings(self, channel: str, chat_id: str) -> list[Rating]:
        """The chat's ratings, one per topic (the latest), oldest first."""
        rows = await self._fetch(
            "SELECT topic, helpful, created_at FROM feedback WHERE channel = ? AND chat_id = ?"
            " ORDER BY created_at, topic",
            (channel, chat_id),
        )
        return [Rating(str(r[0]), bool(r[1]), dt.datetime.fromisoformat(r[2])) for r in rows]

    async def record_unplaced(self, text: str, language: str | None, now: dt.datetime) -> None:
        """A question the bot could not place, without the chat's identity."""
        await self._later(
            "INSERT INTO unplaced_questions (language, text, created_at) VALUES (?, ?, ?)",
            (language, text, _iso(now)),
        )

    async def topic_stats(self) -> list[TopicStats]:
        """Counts per topic, most asked first."""
        rows = await self._fetch(
            "SELECT topic, SUM(asked), SUM(up), SUM(down) FROM ("
            " SELECT topic, asked, 0 AS up, 0 AS down FROM topic_counts"
            " UNION ALL SELECT topic, 0, helpful, 1 - helpful FROM feedback"
            ") GROUP BY topic ORDER BY SUM(asked) DESC, topic",
            (),
        )
        return [TopicStats(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    async def unplaced(self, limit: int) -> list[tuple[str, str | None, str]]:
        """The latest unplaced questions as (created_at, language, text)."""
        rows = await self._fetch(
            "SELECT created_at, language, text FROM unplaced_questions ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), r[1], str(r[2])) for r in rows]

    async def _fetch(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        try:
            if self._in_unit.get():
                return await self._run(lambda c: [tuple(r) for r in c.execute(sql, params)])
            async with self._write_lock:
                return await self._run(lambda c: [tuple(r) for r in c.execute(sql, params)])
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err

    async def _write(self, sql: str, params: tuple[object, ...] | dict[str, object]) -> int:
        """One statement: inside the unit of work, or on its own (SQLite makes a single
        statement atomic by itself, so no BEGIN and COMMIT round trips are needed)."""
        try:
            if self._in_unit.get():
                self._read_ahead = None
                return await self._run(lambda c: int(c.execute(sql, params).rowcount))
            async with self._write_lock:
                return await self._run(lambda c: int(c.execute(sql, params).rowcount))
        except sqlite3.Error as err:
            raise StoreError(_reason(err)) from err


# always one row: whether the chat has a conversation, the conversation, and whether the
# chat is paused (a paused chat may have no conversation stored)
_CONVERSATION = (
    "SELECT c.chat_id IS NOT NULL, c.language, c.state, c.data, EXISTS (SELECT 1"
    " FROM paused_chats p WHERE p.channel = ?1 AND p.chat_id = ?2)"
    " FROM (SELECT 1) AS one LEFT JOIN chats c ON c.channel = ?1 AND c.chat_id = ?2"
)

_SUBSCRIPTION_SELECT = (
    "SELECT id, channel, chat_id, label, event_kind, event_date, active, failures"
    " FROM subscriptions"
)


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=int(row[0]),
        channel=str(row[1]),
        chat_id=str(row[2]),
        label=str(row[3]),
        event_kind=str(row[4]),
        event_date=dt.date.fromisoformat(row[5]),
        active=bool(row[6]),
        failures=int(row[7]),
    )


async def _insert_reminders(
    db: aiosqlite.Connection, subscription_id: int, reminders: list[PlannedRow]
) -> None:
    await db.executemany(
        "INSERT INTO reminders (subscription_id, kind, due_at, stale_at, not_before)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (subscription_id, r.kind, _iso(r.due_at), _iso(r.stale_at), _iso(r.due_at))
            for r in reminders
        ],
    )


async def _cancel_pending(db: aiosqlite.Connection, subscription_id: int) -> None:
    await db.execute(
        "UPDATE reminders SET status = 'cancelled' WHERE subscription_id = ?"
        " AND status IN ('pending', 'claimed')",
        (subscription_id,),
    )


def _lock_beside(database: Path) -> int:
    """Take the exclusive lock file `<database>.lock`; StoreError if another process has it."""
    lock_path = database.with_name(database.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(
            f"another prbot process is using it (lock {lock_path}); "
            "one process per SQLite file, use PostgreSQL for more"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _reason(err: BaseException) -> str:
    """A one-line reason for a database error."""
    if isinstance(err, OSError) and err.strerror:
        where = f" ({err.filename})" if err.filename else ""
        return f"{err.strerror.lower()}{where}"
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    if "readonly" in text or "read-only" in text:
        return "the file is read-only"
    if "not a database" in text:
        return "the file is not a SQLite database"
    if "malformed" in text:
        return f"the database is damaged ({text})"
    return text


def _commit(connection: sqlite3.Connection) -> None:
    connection.execute("COMMIT")


def _nothing(connection: sqlite3.Connection) -> None:
    return None


async def _rollback(db: aiosqlite.Connection) -> None:
    try:
        await db.execute("ROLLBACK")
    except sqlite3.Error as err:  # the transaction may already be gone (disk I/O error)
        log.warning("rollback failed: %s", _reason(err))


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside literals here)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
