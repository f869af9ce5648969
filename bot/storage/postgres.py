"""The PostgreSQL store (asyncpg): a connection pool, units of work, several processes at once.

Held to the same contract as SqliteStore (tests/storage/): the Python side sees the same types
(aware UTC datetimes truncated to the second, dt.date, dicts), while the database keeps
`timestamptz`, `date` and `jsonb`.

Transactions. `unit_of_work()` takes ONE connection from the pool, opens ONE transaction on it
and pins it in a ContextVar for the current task. Every store method called inside (by the same
task) runs on that connection and joins that transaction: no nested BEGIN, no second
connection. So an update's dedupe record, the conversation and the step's writes commit
together or not at all. Outside a unit of work each method is its own short transaction on a
pooled connection, as with SqliteStore.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from types import TracebackType
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.core.ports import (
    ClaimedReminder,
    Conversation,
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

# Key of the advisory lock under which the schema is migrated (any fixed 64-bit number).
MIGRATION_LOCK = 0x7072_626F_745F_6D67  # "prbot_mg"

# First key of the two-key advisory lock under which a channel's outbox is handed out (the
# second key is the channel's hash); the two-key space never meets MIGRATION_LOCK's.
OUTBOX_LOCK = 0x6F757462  # "outb"

# How long a replica may hold the outbox rows it was handed before another may take them.
OUTBOX_LEASE = dt.timedelta(seconds=60)

Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# What asyncpg raises, plus network errors: translated to StoreError at the boundary.
_DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


def migrations() -> list[tuple[int, str]]:
    """The PostgreSQL schema migrations shipped with the package, as (version, SQL), in order."""
    folder = resources.files("bot.storage") / "migrations_pg"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


@dataclass(frozen=True, slots=True)
class _Unit:
    """An open unit of work: its pinned connection and the task that owns it."""

    connection: Connection
    task: asyncio.Task[Any] | None


# The open units of work of the current context, per store (a store may be used next to
# another, e.g. two databases in a test). Never mutated: opening a unit sets a new mapping.
_UNITS: ContextVar[Mapping[PostgresStore, _Unit] | None] = ContextVar(
    "prbot_pg_units", default=None
)


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn driver and network errors into StoreError, keeping the cause."""
    try:
        yield
    except _DRIVER_ERRORS as err:
        raise StoreError(f"{what}: {err}") from err


def _not_before(moment: dt.datetime) -> dt.datetime:
    """A retry time, rounded up to the second: never earlier than the platform asked."""
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    return _utc(moment)


def _utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC to the second, as SqliteStore stores it (naive means local, as there)."""
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _rowcount(status: str) -> int:
    """The row count of a command status such as 'UPDATE 3' or 'INSERT 0 1'."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# Settings sent when a connection starts (so the pool's RESET ALL on release keeps them).
# No JIT: it compiles a statement whose estimated cost passes jit_above_cost (100,000). At a
# million subscriptions the planner over-estimates the due rows of `skip_stale` (its
# statistics on `not_before` are mostly of sent rows) and spent about 120 ms compiling an
# UPDATE that runs in about 15 ms (docs/performance.md, PostgreSQL). The store only runs
# short indexed statements, which JIT never speeds up.
SERVER_SETTINGS = {"jit": "off"}


async def _init_connection(connection: Any) -> None:
    """jsonb in and out as Python objects, on every new pooled connection."""
    await connection.set_type_codec(
        "jsonb", encoder=_json_dumps, decoder=json.loads, schema="pg_catalog"
    )


# The reminder statements, named so that bench/reminders_pg.py measures exactly these.
# DUE_SELECT: the due reminders of unpaused chats, oldest first ($1 now, $2 limit).
DUE_SELECT = (
    "SELECT r.id FROM reminders r WHERE r.status = 'pending'"
    " AND r.not_before <= $1 AND NOT EXISTS ("
    "  SELECT 1 FROM subscriptions s JOIN paused_chats p"
    "  ON p.channel = s.channel AND p.chat_id = s.chat_id"
    "  WHERE s.id = r.subscription_id)"
    " ORDER BY r.not_before, r.id LIMIT $2"
)
# CLAIM: claim_due in one statement (FOR UPDATE SKIP LOCKED, then UPDATE … RETURNING).
CLAIM = (
    "WITH due AS (" + DUE_SELECT + " FOR UPDATE OF r SKIP LOCKED"
    "), claimed AS ("
    "  UPDATE reminders r SET status = 'claimed', claimed_at = $1,"
    "  attempts = r.attempts + 1 FROM due WHERE r.id = due.id"
    "  RETURNING r.id, r.kind, r.due_at, r.attempts, r.not_before,"
    "  r.subscription_id, r.parts_sent"
    ")"
    " SELECT c.id, c.kind, c.due_at, c.attempts, s.id, s.channel, s.chat_id,"
    " s.label, s.event_kind, s.event_date, s.active, s.failures, ch.language,"
    " c.parts_sent"
    " FROM claimed c JOIN subscriptions s ON s.id = c.subscription_id"
    " LEFT JOIN chats ch ON ch.channel = s.channel AND ch.chat_id = s.chat_id"
    " ORDER BY c.not_before, c.id"
)
# SKIP_STALE: due reminders that became pointless or were overtaken by a later due one.
SKIP_STALE = (
    "UPDATE reminders SET status = 'skipped' WHERE status = 'pending'"
    " AND not_before <= $1 AND (stale_at <= $1 OR EXISTS ("
    "  SELECT 1 FROM reminders later WHERE later.subscription_id ="
    "  reminders.subscription_id AND later.status = 'pending'"
    "  AND later.due_at <= $1 AND later.due_at > reminders.due_at"
    "  AND later.stale_at > $1))"
)


class PostgresStore:
    """Conversations, subscriptions and reminders in PostgreSQL; safe for several processes."""

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        outbox_lease: dt.timedelta = OUTBOX_LEASE,
    ) -> None:
        self._dsn = dsn
        self._min_size = min_size
        self._max_size = max_size
        self._outbox_lease = outbox_lease
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None
        self._writes = 0

    def __repr__(self) -> str:
        return f"PostgresStore(<dsn>, open={self._pool is not None})"

    @property
    def exclusive(self) -> bool:
        """Never: several replicas may share the database, so claims expire with their lease."""
        return False

    @property
    def pool(self) -> asyncpg.Pool[asyncpg.Record]:
        """The open pool."""
        if self._pool is None:
            raise StoreError("the store is not open")
        return self._pool

    async def open(self) -> None:
        """Create the pool and bring the schema up to date (one replica migrates at a time)."""
        if self._pool is not None:
            return
        try:
            with _translated("cannot open the PostgreSQL database"):
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=self._min_size,
                    max_size=self._max_size,
                    init=_init_connection,
                    server_settings=SERVER_SETTINGS,
                )
                await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), timeout=10)
            except Exception:  # a pool that will not close in time is torn down
                pool.terminate()

    async def __aenter__(self) -> PostgresStore:
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
        """The highest schema version recorded in the database (0 before any migration)."""
        with _translated("cannot read the schema version"):
            async with self._connection() as db:
                exists = await db.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
                if not exists:
                    return 0
                value = await db.fetchval("SELECT max(version) FROM schema_version")
        return int(value or 0)

    async def _migrate(self) -> None:
        """Apply the missing migrations in one transaction, under an advisory lock.

        The lock is transaction-scoped, so a second replica starting at the same moment waits
        here, then sees the versions the first one recorded and applies nothing.
        """
        async with self.transaction() as db:
            await db.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version integer PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            current = int(
                await db.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
            )
            for version, sql in migrations():
                if version <= current:
                    continue
                await db.execute(sql)
                await db.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
                log.info("PostgreSQL database migrated to schema version %d", version)

    async def ready(self) -> bool:
        """True when the database answers and its schema is the one this code ships."""
        try:
            return await self.schema_version() >= migrations()[-1][0]
        except StoreError:
            return False

    async def lock_chat(self, channel: str, chat_id: str) -> None:
        """Inside a unit of work: wait until no other replica is in one for this chat.

        A transaction-level advisory lock on the chat's key, released at commit or rollback,
        so two replicas never handle one chat's updates at the same time.
        """
        with _translated("cannot lock the chat"):
            async with self.transaction() as db:
                await db.execute(
                    "SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))", channel, chat_id
                )

    async def pending_reminders(self) -> int:
        """How many reminders wait to be sent (pending or claimed)."""
        rows = await self._fetch(
            "SELECT count(*) FROM reminders WHERE status IN ('pending', 'claimed')"
        )
        return int(rows[0][0])

    # Units of work and transactions -------------------------------------------------------

    def _unit(self) -> _Unit | None:
        """The unit of work this task has open on this store, if any."""
        unit = (_UNITS.get() or {}).get(self)
        if unit is not None and unit.task is not asyncio.current_task():
            # A task started inside a unit of work inherits the ContextVar; one connection
            # cannot run two commands at once, so sharing it would fail in the driver.
            raise StoreError("a unit of work belongs to the task that opened it")
        return unit

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """One connection and one transaction for everything the store does inside.

        Commits when the block ends normally, rolls back when it raises (the exception goes
        on). A unit of work opened inside another on the same store joins the outer one.
        """
        units = _UNITS.get() or {}
        if self._unit() is not None:
            yield
            return
        with _translated("cannot start a unit of work"):
            connection = await self.pool.acquire()
        try:
            transaction = connection.transaction()
            with _translated("cannot start a unit of work"):
                await transaction.start()
            token = _UNITS.set({**units, self: _Unit(connection, asyncio.current_task())})
            try:
                yield
            except BaseException:
                _UNITS.reset(token)
                try:
                    await transaction.rollback()
                except _DRIVER_ERRORS:
                    log.warning("rollback of a unit of work failed", exc_info=True)
                raise
            _UNITS.reset(token)
            with _translated("cannot commit the unit of work"):
                await transaction.commit()
        finally:
            try:  # never hide the block's own exception behind a failed release
                await self.pool.release(connection)
            except Exception:
                log.warning("releasing the unit of work's connection failed", exc_info=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A write transaction: the current unit of work's, or a short one of its own."""
        unit = self._unit()
        if unit is not None:
            yield unit.connection
            return
        async with self.pool.acquire() as connection, connection.transaction():
            yield connection

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A connection to read on: the current unit of work's, or one from the pool."""
        unit = self._unit()
        if unit is not None:
            yield unit.connection
            return
        async with self.pool.acquire() as connection:
            yield connection

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        with _translated("cannot read"):
            async with self._connection() as db:
                return list(await db.fetch(sql, *args))

    async def _write(self, sql: str, *args: object) -> int:
        with _translated("cannot write"):
            async with self.transaction() as db:
                return _rowcount(await db.execute(sql, *args))

    # Conversations ----------------------------------------------------------------------

    async def load_conversation(self, channel: str, chat_id: str) -> Conversation | None:
        """The stored conversation of a chat, if any (a paused chat always has one)."""
        rows = await self._fetch(
            "SELECT c.chat_id IS NOT NULL, c.language, c.state, c.data, EXISTS (SELECT 1"
            " FROM paused_chats p WHERE p.channel = $1 AND p.chat_id = $2)"
            " FROM (SELECT 1) AS one LEFT JOIN chats c ON c.channel = $1 AND c.chat_id = $2",
            channel,
            chat_id,
        )
        stored, language, state, data, paused = rows[0]
        if stored:
            return Conversation(channel, chat_id, language, state, data, bool(paused))
        return Conversation(channel, chat_id, paused=True) if paused else None

    async def save_conversation(self, conversation: Conversation, now: dt.datetime) -> None:
        """Insert or update a conversation."""
        stamp = _utc(now)
        await self._write(
            "INSERT INTO chats (channel, chat_id, language, state, data, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $6)"
            " ON CONFLICT (channel, chat_id) DO UPDATE SET language = excluded.language,"
            " state = excluded.state, data = excluded.data, updated_at = excluded.updated_at",
            conversation.channel,
            conversation.chat_id,
            conversation.language,
            conversation.state,
            conversation.data,
            stamp,
        )

    async def remember_update(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an update id; False if it was seen before. Old ids are pruned now and then."""
        with _translated("cannot record the update"):
            async with self.transaction() as db:
                status = await db.execute(
                    "INSERT INTO processed_updates (channel, update_id, seen_at)"
                    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    channel,
                    update_id,
                    _utc(now),
                )
                fresh = _rowcount(status) == 1
                self._writes += 1
                if self._writes % 500 == 0:
                    await db.execute(
                        "DELETE FROM processed_updates WHERE seen_at < $1",
                        _utc(now - UPDATE_MEMORY),
                    )
        return fresh

    async def delete_chat(self, channel: str, chat_id: str) -> None:
        """Erase everything stored about a chat: conversation, subscriptions, reminders."""
        with _translated("cannot delete the chat"):
            async with self.transaction() as db:
                for table in ("chats", "subscriptions", "feedback", "paused_chats"):
                    await db.execute(
                        f"DELETE FROM {table} WHERE channel = $1 AND chat_id = $2",
                        channel,
                        chat_id,
                    )

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
        with _translated("cannot add the subscription"):
            async with self.transaction() as db:
                subscription_id = int(
                    await db.fetchval(
                        "INSERT INTO subscriptions (channel, chat_id, label, event_kind,"
                        " event_date, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        channel,
                        chat_id,
                        label,
                        event_kind,
                        event_date,
                        _utc(now),
                    )
                )
                await _insert_reminders(db, subscription_id, reminders)
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
        with _translated("cannot replace the schedule"):
            async with self.transaction() as db:
                row = await db.fetchrow(
                    "UPDATE subscriptions SET event_kind = $1, event_date = $2, active = true,"
                    " failures = 0 WHERE id = $3 AND channel = $4 AND chat_id = $5"
                    f" RETURNING {_SUBSCRIPTION_COLUMNS}",
                    event_kind,
                    event_date,
                    subscription_id,
                    channel,
                    chat_id,
                )
                if row is None:
                    return None
                await _cancel_pending(db, subscription_id)
                await _insert_reminders(db, subscription_id, reminders)
        return _subscription(row)

    async def subscriptions(self, channel: str, chat_id: str) -> list[Subscription]:
        """The chat's active subscriptions, oldest first."""
        rows = await self._fetch(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions"
            " WHERE channel = $1 AND chat_id = $2 AND active ORDER BY id",
            channel,
            chat_id,
        )
        return [_subscription(row) for row in rows]

    async def subscription_history(self, channel: str, chat_id: str) -> list[SubscriptionRecord]:
        """Every subscription the chat has, stopped ones too, oldest first; each with all its
        reminders (sent, pending, skipped, cancelled) by due time."""
        subscriptions = await self._fetch(
            f"SELECT {_SUBSCRIPTION_COLUMNS}, created_at FROM subscriptions"
            " WHERE channel = $1 AND chat_id = $2 ORDER BY id",
            channel,
            chat_id,
        )
        reminders = await self._fetch(
            "SELECT r.subscription_id, r.kind, r.due_at, r.status, r.sent_at FROM reminders r"
            " JOIN subscriptions s ON s.id = r.subscription_id"
            " WHERE s.channel = $1 AND s.chat_id = $2 ORDER BY r.due_at, r.id",
            channel,
            chat_id,
        )
        by_subscription: dict[int, list[ReminderRecord]] = {}
        for row in reminders:
            by_subscription.setdefault(int(row[0]), []).append(
                ReminderRecord(str(row[1]), row[2], str(row[3]), row[4])
            )
        return [
            SubscriptionRecord(
                _subscription(row), row[8], tuple(by_subscription.get(int(row[0]), ()))
            )
            for row in subscriptions
        ]

    async def next_due(self, subscription_id: int) -> dt.datetime | None:
        """When the subscription's next pending reminder is due."""
        rows = await self._fetch(
            "SELECT min(due_at) FROM reminders WHERE subscription_id = $1"
            " AND status IN ('pending', 'claimed')",
            subscription_id,
        )
        value: dt.datetime | None = rows[0][0] if rows else None
        return value

    async def cancel_subscription(self, channel: str, chat_id: str, subscription_id: int) -> bool:
        """Deactivate one of the chat's own subscriptions; False if it is not theirs."""
        with _translated("cannot cancel the subscription"):
            async with self.transaction() as db:
                status = await db.execute(
                    "UPDATE subscriptions SET active = false WHERE id = $1 AND channel = $2"
                    " AND chat_id = $3 AND active",
                    subscription_id,
                    channel,
                    chat_id,
                )
                if _rowcount(status) != 1:
                    return False
                await _cancel_pending(db, subscription_id)
        return True

    async def release_claims(self, claimed_before: dt.datetime) -> int:
        """Put back claims older than `claimed_before` (their sender died): at-least-once."""
        return await self._write(
            "UPDATE reminders SET status = 'pending', claimed_at = NULL"
            " WHERE status = 'claimed' AND claimed_at < $1",
            _utc(claimed_before),
        )

    async def skip_stale(self, now: dt.datetime) -> int:
        """Skip due reminders that became pointless or were overtaken by a later due one."""
        return await self._write(SKIP_STALE, _utc(now))

    async def claim_due(self, now: dt.datetime, limit: int) -> list[ClaimedReminder]:
        """Claim up to `limit` due reminders, oldest first, in one transaction.

        `FOR UPDATE SKIP LOCKED`: rows another process is claiming right now are passed over
        instead of waited for, so two sweepers never claim the same reminder. Reminders of a
        paused chat (one that blocked the bot) are left pending until it is resumed.
        """
        with _translated("cannot claim reminders"):
            async with self.transaction() as db:
                rows = await db.fetch(
                    CLAIM,
                    _utc(now),
                    limit,
                )
        return [
            ClaimedReminder(
                id=int(row[0]),
                kind=str(row[1]),
                due_at=row[2],
                attempts=int(row[3]),
                subscription=_subscription(tuple(row)[4:12]),
                language=row[12],
                parts_sent=int(row[13]),
            )
            for row in rows
        ]

    async def soonest_due(self) -> dt.datetime | None:
        """When the soonest pending reminder of a chat not paused falls due, if any."""
        rows = await self._fetch(SOONEST_DUE)
        soonest: dt.datetime | None = rows[0][0]
        return soonest

    async def mark_sent(self, reminder_id: int, now: dt.datetime) -> None:
        """The reminder was delivered; also resets the subscription's failure count."""
        with _translated("cannot mark the reminder sent"):
            async with self.transaction() as db:
                await db.execute(
                    "WITH sent AS (UPDATE reminders SET status = 'sent', sent_at = $2"
                    " WHERE id = $1 RETURNING subscription_id)"
                    " UPDATE subscriptions SET failures = 0 FROM sent"
                    " WHERE subscriptions.id = sent.subscription_id",
                    reminder_id,
                    _utc(now),
                )

    async def retry_later(self, reminder_id: int, not_before: dt.datetime) -> None:
        """Delivery failed for a passing reason: try again from `not_before`."""
        await self._write(
            "UPDATE reminders SET status = 'pending', claimed_at = NULL, not_before = $1"
            " WHERE id = $2 AND status = 'claimed'",
            _not_before(not_before),
            reminder_id,
        )

    async def record_blocked(
        self, reminder_id: int, not_before: dt.datetime, max_failures: int
    ) -> bool:
        """The user blocked the bot: count it; deactivate after `max_failures` in a row."""
        with _translated("cannot record the blocked delivery"):
            async with self.transaction() as db:
                row = await db.fetchrow(
                    "UPDATE subscriptions SET failures = failures + 1 WHERE id ="
                    " (SELECT subscription_id FROM reminders WHERE id = $1)"
                    " RETURNING id, failures",
                    reminder_id,
                )
                if row is None:
                    return False
                subscription_id, failures = int(row[0]), int(row[1])
                if failures >= max_failures:
                    await db.execute(
                        "UPDATE subscriptions SET active = false WHERE id = $1", subscription_id
                    )
                    await _cancel_pending(db, subscription_id)
                    return True
                await db.execute(
                    "UPDATE reminders SET status = 'pending', claimed_at = NULL,"
                    " not_before = $1 WHERE id = $2",
                    _not_before(not_before),
                    reminder_id,
                )
        return False

    async def hold_claim(self, reminder_id: int, attempts: int, now: dt.datetime) -> bool:
        """Renew this process's claim before sending; False if it is no longer its claim."""
        held = await self._write(
            "UPDATE reminders SET claimed_at = $1 WHERE id = $2 AND status = 'claimed'"
            " AND attempts = $3",
            _utc(now),
            reminder_id,
            attempts,
        )
        return held == 1

    async def mark_part_sent(self, reminder_id: int, parts_sent: int) -> None:
        """Record that the first `parts_sent` parts of a claimed reminder were delivered."""
        await self._write(
            "UPDATE reminders SET parts_sent = $1 WHERE id = $2", parts_sent, reminder_id
        )

    async def pause_chat(self, channel: str, chat_id: str, now: dt.datetime) -> None:
        """The user blocked the bot: hold the chat's reminders until they write again."""
        await self._write(
            "INSERT INTO paused_chats (channel, chat_id, since) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            channel,
            chat_id,
            _utc(now),
        )

    async def resume_chat(self, channel: str, chat_id: str) -> bool:
        """The user wrote again: release held reminders; True if the chat was paused."""
        changed = await self._write(
            "DELETE FROM paused_chats WHERE channel = $1 AND chat_id = $2", channel, chat_id
        )
        return changed > 0

    async def reminder_rows(self, subscription_id: int) -> list[tuple[str, str, str]]:
        """(kind, due_at, status) of a subscription's reminders, for /mydata and tests."""
        rows = await self._fetch(
            "SELECT kind, due_at, status FROM reminders WHERE subscription_id = $1"
            " ORDER BY due_at, id",
            subscription_id,
        )
        return [(str(r[0]), _stamp(r[1]), str(r[2])) for r in rows]

    # Inbox and outbox ----------------------------------------------------------------------

    async def inbox_add(
        self, channel: str, items: list[tuple[str, str]], now: dt.datetime
    ) -> None:
        """Keep fetched updates as (update_id, raw JSON) until handled; repeats are ignored."""
        if not items:
            return
        stamp = _utc(now)
        with _translated("cannot keep the fetched updates"):
            async with self.transaction() as db:
                await db.executemany(
                    "INSERT INTO inbox (channel, update_id, payload, received_at)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    [(channel, update_id, payload, stamp) for update_id, payload in items],
                )

    async def inbox_pending(
        self, channel: str, limit: int, received_before: dt.datetime | None = None
    ) -> list[tuple[str, str]]:
        """Updates fetched but not handled yet, in arrival order (only those received before
        `received_before` when it is given: older ones were abandoned by their replica)."""
        rows = await self._fetch(
            "SELECT update_id, payload FROM inbox WHERE channel = $1"
            " AND ($3::timestamptz IS NULL OR received_at < $3) ORDER BY id LIMIT $2",
            channel,
            limit,
            None if received_before is None else _utc(received_before),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def inbox_remove(self, channel: str, update_id: str) -> None:
        """The update was handled (or cannot be): forget it."""
        await self._write(
            "DELETE FROM inbox WHERE channel = $1 AND update_id = $2", channel, update_id
        )

    async def outbox_add(
        self, channel: str, chat_id: str, payloads: list[str], now: dt.datetime
    ) -> None:
        """Queue encoded message parts for a chat, in order."""
        if not payloads:
            return
        stamp = _utc(now)
        with _translated("cannot queue the reply"):
            async with self.transaction() as db:
                await db.executemany(
                    "INSERT INTO outbox (channel, chat_id, payload, not_before, created_at)"
                    " VALUES ($1, $2, $3, $4, $4)",
                    [(channel, chat_id, payload, stamp) for payload in payloads],
                )

    async def outbox_pending(self, channel: str, limit: int) -> list[OutboxItem]:
        """Queued parts of a channel, oldest first, including those waiting for a retry.

        Several replicas share the outbox, so the rows returned are leased to the caller: their
        `claimed_until` is set to the database's now() plus the lease (60 s by default), and
        until then no other call, from this process or another, is handed them. The lease is
        per chat: a chat with any currently leased row is passed over entirely, so one replica
        at a time sends a chat's parts, and in order (a `limit` that cuts a chat's queue
        leaves its tail to the same holder's next call, once the head is done). Calls for one
        channel take turns under a transaction-level advisory lock, and the rows are picked
        with `FOR UPDATE SKIP LOCKED`, so two concurrent calls never pick the same row nor
        split a chat. When a chat's first part waits for a retry (`not_before` ahead of the
        database's clock) its rows are leased only until then, so the retry is not delayed.

        The holder ends a lease with outbox_done or outbox_drop (the row is deleted) or
        outbox_retry (the row, and the rest of the chat the holder will now skip, are free
        again). A holder that dies leaves its rows to whoever calls after the lease expired:
        at-least-once, like reminders. A holder still sending when half the lease has passed
        renews it with outbox_hold, which also tells it which parts another replica took
        meanwhile (a holder that stalled past its lease). Each part carries its lease's end,
        which tells the holder's claim apart from a later one. SqliteStore has no lease (one
        process per file), which is why the signature carries none.
        """
        with _translated("cannot read the outbox"):
            async with self.transaction() as db:
                await db.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))", OUTBOX_LOCK, channel
                )
                # The clock is read once, as the statement runs, not with now(): that is
                # when the transaction began, before the wait for the turn above, and a part
                # committed during the wait, stamped in a later second, would look like one
                # waiting for a retry: leased only until its stamp, already past, so another
                # replica would be handed it at once and send it as well.
                rows = await db.fetch(
                    "WITH clock AS MATERIALIZED (SELECT clock_timestamp() AS now"
                    "), busy AS ("
                    "  SELECT DISTINCT chat_id FROM outbox"
                    "  WHERE channel = $1 AND claimed_until > (SELECT now FROM clock)"
                    "), picked AS ("
                    "  SELECT o.id, o.chat_id, o.not_before FROM outbox o WHERE o.channel = $1"
                    "  AND (o.claimed_until IS NULL OR o.claimed_until <= (SELECT now FROM clock))"
                    "  AND o.chat_id NOT IN (SELECT chat_id FROM busy)"
                    "  ORDER BY o.id LIMIT $2 FOR UPDATE SKIP LOCKED"
                    "), leases AS ("
                    "  SELECT id, CASE WHEN first_value(not_before) OVER chat > clock.now"
                    "  THEN least(first_value(not_before) OVER chat, clock.now + $3::interval)"
                    "  ELSE clock.now + $3::interval END AS until"
                    "  FROM picked, clock WINDOW chat AS (PARTITION BY chat_id ORDER BY id)"
                    ")"
                    " UPDATE outbox o SET claimed_until = leases.until FROM leases"
                    " WHERE o.id = leases.id"
                    " RETURNING o.id, o.chat_id, o.payload, o.not_before, o.attempts,"
                    " o.claimed_until",
                    channel,
                    limit,
                    self._outbox_lease,
                )
        return [
            OutboxItem(int(r[0]), channel, str(r[1]), str(r[2]), r[3], int(r[4]), r[5])
            for r in sorted(rows, key=lambda r: int(r[0]))
        ]

    @property
    def outbox_lease(self) -> dt.timedelta | None:
        """How long outbox_pending leases the parts it hands out."""
        return self._outbox_lease

    async def outbox_hold(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Renew the lease of parts this caller still holds: those whose lease is still the
        one they were handed with (a part another replica took since has a lease of its own,
        and a part sent or dropped is gone). Renewed up to a full lease from now."""
        if not items:
            return []
        with _translated("cannot renew the outbox lease"):
            async with self.transaction() as db:
                rows = await db.fetch(
                    "UPDATE outbox o SET claimed_until = now() + $3::interval"
                    " FROM unnest($1::bigint[], $2::timestamptz[]) AS held(id, lease)"
                    " WHERE o.id = held.id AND o.claimed_until = held.lease"
                    " RETURNING o.id, o.claimed_until",
                    [item.id for item in items],
                    [item.lease for item in items],
                    self._outbox_lease,
                )
        renewed = {int(r[0]): r[1] for r in rows}
        return [
            dataclasses.replace(item, lease=renewed[item.id])
            for item in items
            if item.id in renewed
        ]

    async def outbox_done(self, item_id: int) -> None:
        """The platform accepted the part (its lease ends with the row)."""
        await self._write("DELETE FROM outbox WHERE id = $1", item_id)

    async def outbox_retry(self, item_id: int, not_before: dt.datetime) -> None:
        """Sending failed for a passing reason: try again from `not_before`.

        Ends the lease of the part and of the chat's other leased parts (the holder skips
        them now that the chat waits), so whichever replica asks after `not_before` sends
        the chat's queue, in order.
        """
        await self._write(
            "WITH item AS ("
            "  UPDATE outbox SET not_before = $2, attempts = attempts + 1, claimed_until = NULL"
            "  WHERE id = $1 RETURNING channel, chat_id"
            ")"
            " UPDATE outbox o SET claimed_until = NULL FROM item"
            " WHERE o.channel = item.channel AND o.chat_id = item.chat_id AND o.id <> $1"
            " AND o.claimed_until IS NOT NULL",
            item_id,
            _not_before(not_before),
        )

    async def outbox_drop(self, item_id: int) -> None:
        """The part can never be delivered (the chat is gone or the request is invalid)."""
        await self._write("DELETE FROM outbox WHERE id = $1", item_id)

    async def outbox_waiting(self, channel: str, chat_id: str) -> bool:
        """True while replies to this chat wait to be sent (a reminder then waits too)."""
        rows = await self._fetch(
            "SELECT 1 FROM outbox WHERE channel = $1 AND chat_id = $2 LIMIT 1", channel, chat_id
        )
        return bool(rows)

    # Feedback ----------------------------------------------------------------------------

    async def count_topic(self, topic: str) -> None:
        """One more answer on this topic."""
        await self._write(
            "INSERT INTO topic_counts (topic, asked) VALUES ($1, 1)"
            " ON CONFLICT (topic) DO UPDATE SET asked = topic_counts.asked + 1",
            topic,
        )

    async def record_feedback(
        self, channel: str, chat_id: str, topic: str, helpful: bool, now: dt.datetime
    ) -> None:
        """The chat's rating of a topic (a later rating replaces an earlier one)."""
        await self._write(
            "INSERT INTO feedback (channel, chat_id, topic, helpful, created_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, chat_id, topic) DO UPDATE SET"
            " helpful = excluded.helpful, created_at = excluded.created_at",
            channel,
            chat_id,
            topic,
            helpful,
            _utc(now),
        )

    async def ratings(self, channel: str, chat_id: str) -> list[Rating]:
        """The chat's ratings, one per topic (the latest), oldest first."""
        rows = await self._fetch(
            "SELECT topic, helpful, created_at FROM feedback WHERE channel = $1 AND chat_id = $2"
            ' ORDER BY created_at, topic COLLATE "C"',
            channel,
            chat_id,
        )
        return [Rating(str(r[0]), bool(r[1]), r[2]) for r in rows]

    async def record_unplaced(self, text: str, language: str | None, now: dt.datetime) -> None:
        """A question the bot could not place, without the chat's identity."""
        await self._write(
            "INSERT INTO unplaced_questions (language, text, created_at) VALUES ($1, $2, $3)",
            language,
            text,
            _utc(now),
        )

    async def topic_stats(self) -> list[TopicStats]:
        """Counts per topic, most asked first."""
        rows = await self._fetch(
            "SELECT topic, sum(asked), sum(up), sum(down) FROM ("
            " SELECT topic, asked, 0 AS up, 0 AS down FROM topic_counts"
            " UNION ALL SELECT topic, 0, helpful::int, (NOT helpful)::int FROM feedback"
            ') AS counts GROUP BY topic ORDER BY sum(asked) DESC, topic COLLATE "C"'
        )
        return [TopicStats(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    async def unplaced(self, limit: int) -> list[tuple[str, str | None, str]]:
        """The latest unplaced questions as (created_at, language, text)."""
        rows = await self._fetch(
            "SELECT created_at, language, text FROM unplaced_questions ORDER BY id DESC LIMIT $1",
            limit,
        )
        return [(_stamp(r[0]), r[1], str(r[2])) for r in rows]


_SUBSCRIPTION_COLUMNS = "id, channel, chat_id, label, event_kind, event_date, active, failures"


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=int(row[0]),
        channel=str(row[1]),
        chat_id=str(row[2]),
        label=str(row[3]),
        event_kind=str(row[4]),
        event_date=row[5],
        active=bool(row[6]),
        failures=int(row[7]),
    )


async def _insert_reminders(
    db: Connection, subscription_id: int, reminders: list[PlannedRow]
) -> None:
    if not reminders:
        return
    await db.executemany(
        "INSERT INTO reminders (subscription_id, kind, due_at, stale_at, not_before)"
        " VALUES ($1, $2, $3, $4, $3)",
        [(subscription_id, r.kind, _utc(r.due_at), _utc(r.stale_at)) for r in reminders],
    )


async def _cancel_pending(db: Connection, subscription_id: int) -> None:
    await db.execute(
        "UPDATE reminders SET status = 'cancelled' WHERE subscription_id = $1"
        " AND status IN ('pending', 'claimed')",
        subscription_id,
    )
