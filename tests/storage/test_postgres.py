"""What only PostgreSQL has: column types, migrations under a lock, several processes at once,
one pinned connection per unit of work, and driver errors turned into StoreError."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import asyncpg
import pytest

from bot.core.ports import Conversation, PlannedRow, StoreError, SystemClock
from bot.core.render import encode_part
from bot.core.types import Outbound
from bot.reminders.dispatcher import RateLimiter
from bot.runtime import OutboxSender
from bot.storage import postgres
from bot.storage.postgres import PostgresStore, migrations

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
EXPIRY = dt.date(2027, 6, 15)


def _row(due: dt.datetime) -> PlannedRow:
    return PlannedRow("window_open", due, due + dt.timedelta(days=30))


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


async def test_survives_restart(postgres_database: str) -> None:
    async with PostgresStore(postgres_database) as first:
        await first.save_conversation(Conversation("telegram", "9", "zh", "main", {"k": 1}), NOW)
        assert await first.remember_update("telegram", "77", NOW)
    async with PostgresStore(postgres_database) as second:
        loaded = await second.load_conversation("telegram", "9")
        assert loaded == Conversation("telegram", "9", "zh", "main", {"k": 1})
        assert await second.remember_update("telegram", "77", NOW) is False
        assert await second.schema_version() == max(v for v, _ in migrations())


async def test_columns_are_timestamptz_date_and_jsonb(postgres_database: str) -> None:
    async with PostgresStore(postgres_database):
        pass
    types = {
        (r["table_name"], r["column_name"]): r["data_type"]
        for r in await _fetch(
            postgres_database,
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public'",
        )
    }
    assert types["chats", "data"] == "jsonb"
    assert types["subscriptions", "event_date"] == "date"
    stamps = [c for c in types if c[1].endswith("_at") and c[0] != "schema_version"]
    assert stamps and all(types[c] == "timestamp with time zone" for c in stamps)
    names = {column for _, column in types}
    assert not any(w in c for c in names for w in ("name", "passport", "card_no", "phone"))


async def test_python_sees_the_same_types_as_from_sqlite(postgres_database: str) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    due = dt.datetime(2027, 5, 1, 10, 0, 0, 123456, tzinfo=beijing)  # stored to the second
    async with PostgresStore(postgres_database) as store:
        sub = await store.add_subscription("t", "1", "self", "expiry", EXPIRY, [_row(due)], NOW)
        next_due = await store.next_due(sub.id)
        assert next_due == dt.datetime(2027, 5, 1, 2, 0, tzinfo=dt.UTC)
        assert next_due is not None and next_due.utcoffset() == dt.timedelta(0)
        (claimed,) = await store.claim_due(next_due, 10)
        assert claimed.due_at == next_due and claimed.due_at.tzinfo is not None
        assert type(claimed.subscription.event_date) is dt.date
        assert await store.reminder_rows(sub.id) == [
            ("window_open", "2027-05-01T02:00:00+00:00", "claimed")
        ]
        await store.record_unplaced("hello?", None, NOW)
        assert await store.unplaced(5) == [("2026-11-26T02:00:00+00:00", None, "hello?")]


async def test_feedback_counts(postgres_database: str) -> None:
    async with PostgresStore(postgres_database) as store:
        await store.count_topic("fees")
        await store.count_topic("fees")
        await store.count_topic("hours")
        await store.record_feedback("t", "1", "fees", True, NOW)
        await store.record_feedback("t", "2", "fees", False, NOW)
        await store.record_feedback("t", "2", "fees", True, NOW)  # a later rating replaces
        await store.record_feedback("t", "1", "lost", False, NOW)
        stats = [(s.topic, s.asked, s.helpful, s.unhelpful) for s in await store.topic_stats()]
        assert stats == [("fees", 2, 2, 0), ("hours", 1, 0, 0), ("lost", 0, 0, 1)]
        await store.delete_chat("t", "1")
        assert [s.topic for s in await store.topic_stats()] == ["fees", "hours"]


async def test_migrations_run_once_when_replicas_start_together(
    postgres_empty_database: str,
) -> None:
    stores = [PostgresStore(postgres_empty_database) for _ in range(4)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        versions = await _fetch(postgres_empty_database, "SELECT version FROM schema_version")
        assert sorted(r["version"] for r in versions) == [v for v, _ in migrations()]
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_an_older_schema_is_brought_up_to_date(
    postgres_empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = migrations()
    monkeypatch.setattr(postgres, "migrations", lambda: everything[:1])
    async with PostgresStore(postgres_empty_database) as old:
        assert await old.schema_version() == 1
        await old.save_conversation(Conversation("telegram", "1", "en"), NOW)
    monkeypatch.setattr(postgres, "migrations", lambda: everything)
    async with PostgresStore(postgres_empty_database) as new:
        assert await new.schema_version() == everything[-1][0]
        assert await new.load_conversation("telegram", "1") is not None


async def test_claims_pass_over_rows_another_process_is_claiming(postgres_database: str) -> None:
    async with PostgresStore(postgres_database) as one, PostgresStore(postgres_database) as two:
        for chat, hours in (("1", 2), ("2", 1)):
            due = NOW - dt.timedelta(hours=hours)
            await one.add_subscription("t", chat, "self", "expiry", EXPIRY, [_row(due)], NOW)
        async with one.unit_of_work():
            (first,) = await one.claim_due(NOW, 1)  # locked until this unit commits
            # the other sweeper neither waits for the locked row nor claims it again
            others = await asyncio.wait_for(two.claim_due(NOW, 10), timeout=5)
            assert first.subscription.chat_id == "1"
            assert [c.subscription.chat_id for c in others] == ["2"]
        assert await two.claim_due(NOW, 10) == []


async def test_concurrent_sweepers_claim_each_reminder_once(postgres_database: str) -> None:
    stores = [PostgresStore(postgres_database, min_size=1, max_size=2) for _ in range(4)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        for chat in range(60):
            due = NOW - dt.timedelta(minutes=chat)
            await stores[0].add_subscription(
                "t", str(chat), "self", "expiry", EXPIRY, [_row(due)], NOW
            )

        async def sweep(store: PostgresStore) -> list[int]:
            claimed: list[int] = []
            while batch := await store.claim_due(NOW, 3):
                claimed.extend(c.id for c in batch)
            return claimed

        results = await asyncio.gather(*(sweep(store) for store in stores))
        every = [reminder for result in results for reminder in result]
        assert len(every) == len(set(every)) == 60
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_a_unit_of_work_pins_one_connection_and_one_transaction(
    postgres_database: str,
) -> None:
    async with PostgresStore(postgres_database) as store, PostgresStore(postgres_database) as peer:
        async with store.unit_of_work():
            async with store.transaction() as first, store.transaction() as second:
                assert first is second
                xid = await first.fetchval("SELECT pg_current_xact_id()::text")
            await store.save_conversation(Conversation("telegram", "1", "en"), NOW)
            async with store.transaction() as again:
                assert await again.fetchval("SELECT pg_current_xact_id()::text") == xid
            assert await peer.load_conversation("telegram", "1") is None  # not committed yet
        assert await peer.load_conversation("telegram", "1") is not None
        async with store.transaction() as one:
            outside = await one.fetchval("SELECT pg_current_xact_id()::text")
        assert outside != xid


async def test_a_unit_of_work_is_not_shared_with_other_tasks(postgres_database: str) -> None:
    async with PostgresStore(postgres_database) as store, store.unit_of_work():
        task = asyncio.create_task(store.load_conversation("telegram", "1"))
        with pytest.raises(StoreError, match="task"):
            await task


async def test_units_of_two_stores_do_not_mix(postgres_database: str) -> None:
    async with PostgresStore(postgres_database) as one, PostgresStore(postgres_database) as two:
        with pytest.raises(RuntimeError):
            async with one.unit_of_work():
                await one.save_conversation(Conversation("telegram", "1", "en"), NOW)
                await two.save_conversation(Conversation("telegram", "2", "en"), NOW)
                raise RuntimeError
        assert await one.load_conversation("telegram", "1") is None
        assert await one.load_conversation("telegram", "2") is not None  # two had no unit


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_errors_become_store_errors(postgres_database: str) -> None:
    unreachable = PostgresStore(f"postgresql://prbot@127.0.0.1:{_closed_port()}/nothing")
    with pytest.raises(StoreError) as refused:
        await unreachable.open()
    assert isinstance(refused.value.__cause__, OSError)
    with pytest.raises(StoreError, match="not open"):
        await unreachable.load_conversation("telegram", "1")

    async with PostgresStore(postgres_database) as store:
        with pytest.raises(StoreError) as refused:
            await store.add_subscription("t", "1", "self", "bogus", EXPIRY, [], NOW)
        assert isinstance(refused.value.__cause__, asyncpg.CheckViolationError)
        assert await store.subscriptions("t", "1") == []  # and nothing half-written


async def test_missing_database_is_a_store_error(postgres_dsn: str) -> None:
    missing = postgres_dsn.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(StoreError) as refused:
        await PostgresStore(missing).open()
    assert isinstance(refused.value.__cause__, asyncpg.InvalidCatalogNameError)


async def test_two_replicas_never_hold_the_same_outbox_row(postgres_database: str) -> None:
    async with PostgresStore(postgres_database) as one, PostgresStore(postgres_database) as two:
        for chat in range(20):
            await one.outbox_add("telegram", str(chat), [f"{chat}.{n}" for n in range(3)], NOW)
        by_chat: dict[str, list[int]] = {}
        holder: dict[str, set[str]] = {}

        async def ask(name: str, store: PostgresStore) -> None:
            # leases are kept (nothing is sent), so every row may be handed out once only
            while batch := await store.outbox_pending("telegram", 4):
                for item in batch:
                    by_chat.setdefault(item.chat_id, []).append(item.id)
                    holder.setdefault(item.chat_id, set()).add(name)

        await asyncio.gather(
            *(ask(name, s) for _ in range(3) for name, s in (("1", one), ("2", two)))
        )
        handed = [row for rows in by_chat.values() for row in rows]
        assert len(handed) == len(set(handed))  # no row twice while its lease is current
        assert len(by_chat) == 20  # every chat's head was handed out
        assert all(len(names) == 1 for names in holder.values())  # a chat has one holder
        assert all(rows == sorted(rows) for rows in by_chat.values())  # its head, in order
        assert await one.outbox_pending("telegram", 100) == []
        assert await two.outbox_pending("telegram", 100) == []


async def _expire_leases(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("UPDATE outbox SET claimed_until = now() - interval '1 second'")
    finally:
        await connection.close()


async def test_an_expired_outbox_lease_hands_the_rows_to_another_replica(
    postgres_database: str,
) -> None:
    async with PostgresStore(postgres_database) as one, PostgresStore(postgres_database) as two:
        await one.outbox_add("telegram", "1", ["a", "b"], NOW)
        held = await one.outbox_pending("telegram", 10)
        assert [i.payload for i in held] == ["a", "b"]
        assert await two.outbox_pending("telegram", 10) == []
        await one.outbox_add("telegram", "1", ["c"], NOW)  # the chat is held: c waits too
        await one.outbox_add("telegram", "2", ["x"], NOW)
        assert [i.payload for i in await two.outbox_pending("telegram", 10)] == ["x"]
        await _expire_leases(postgres_database)  # replica one died while sending
        taken = await two.outbox_pending("telegram", 10)
        assert [(i.payload, i.attempts) for i in taken] == [("a", 0), ("b", 0), ("c", 0), ("x", 0)]
        assert await one.outbox_pending("telegram", 10) == []


async def test_an_outbox_retry_gives_the_chat_back(postgres_database: str) -> None:
    async with PostgresStore(postgres_database) as one, PostgresStore(postgres_database) as two:
        await one.outbox_add("telegram", "1", ["a", "b"], NOW)
        a, _b = await one.outbox_pending("telegram", 10)
        await one.outbox_retry(a.id, NOW)  # b is skipped by its holder: freed as well
        again = await two.outbox_pending("telegram", 10)
        assert [(i.payload, i.attempts) for i in again] == [("a", 1), ("b", 0)]


async def test_a_part_queued_while_the_outbox_is_handed_out_gets_a_whole_lease(
    postgres_database: str,
) -> None:
    """outbox_pending waits for the other replica's turn inside its transaction; a part
    committed meanwhile, and stamped in a later second than that transaction began, is due
    now, not waiting for a retry: leased until its stamp (already past), a second replica
    would be handed it at once and send it as well."""
    async with PostgresStore(postgres_database) as one, PostgresStore(postgres_database) as two:
        turn = await asyncpg.connect(postgres_database)  # the other replica's turn, held
        try:
            await turn.execute(
                "SELECT pg_advisory_lock($1, hashtext('telegram'))", postgres.OUTBOX_LOCK
            )
            handing = asyncio.create_task(one.outbox_pending("telegram", 10))
            began = None
            while began is None:  # its transaction has begun and waits for the turn
                await asyncio.sleep(0.01)
                began = await turn.fetchval(
                    "SELECT xact_start FROM pg_stat_activity WHERE wait_event = 'advisory'"
                )
            next_second = began.replace(microsecond=0) + dt.timedelta(seconds=1)
            await asyncio.sleep((next_second - dt.datetime.now(dt.UTC)).total_seconds() + 0.05)
            await two.outbox_add("telegram", "1", ["a"], dt.datetime.now(dt.UTC))
            await turn.execute(
                "SELECT pg_advisory_unlock($1, hashtext('telegram'))", postgres.OUTBOX_LOCK
            )
            (held,) = await asyncio.wait_for(handing, 5)
        finally:
            await turn.close()
        assert held.payload == "a"
        assert held.lease is not None
        assert held.lease > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
        assert await two.outbox_pending("telegram", 10) == []  # one holder: sent once


async def test_a_chat_waiting_for_a_retry_is_leased_only_until_then(
    postgres_database: str,
) -> None:
    async with PostgresStore(postgres_database) as store:
        await store.outbox_add("telegram", "1", ["a", "b"], NOW)
        a, _b = await store.outbox_pending("telegram", 10)
        soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=20)
        await store.outbox_retry(a.id, soon)
        assert [i.payload for i in await store.outbox_pending("telegram", 10)] == ["a", "b"]
        leases = await _fetch(postgres_database, "SELECT claimed_until FROM outbox ORDER BY id")
        assert [r["claimed_until"] for r in leases] == [soon, soon]  # not a full minute


async def test_replicas_send_every_outbox_row_once_and_each_chat_in_order(
    postgres_database: str,
) -> None:
    stores = [PostgresStore(postgres_database, min_size=1, max_size=2) for _ in range(3)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        for chat in range(15):
            await stores[0].outbox_add("telegram", str(chat), [f"{n}" for n in range(4)], NOW)
        sent: list[tuple[int, str, int]] = []  # (row, chat, replica) in the order sent

        async def replica(number: int, store: PostgresStore) -> None:
            while len(sent) < 60:
                batch = await store.outbox_pending("telegram", 5)
                for item in batch:
                    sent.append((item.id, item.chat_id, number))
                    await asyncio.sleep(0)  # the platform call: others run meanwhile
                    await store.outbox_done(item.id)
                if not batch:
                    await asyncio.sleep(0.005)

        await asyncio.wait_for(
            asyncio.gather(*(replica(n, store) for n, store in enumerate(stores))), timeout=20
        )
        rows = [row for row, _, _ in sent]
        assert len(rows) == len(set(rows)) == 60
        for chat in {chat for _, chat, _ in sent}:
            of_chat = [row for row, c, _ in sent if c == chat]
            assert of_chat == sorted(of_chat)  # a chat's parts go out in order
        assert len({replica for _, _, replica in sent}) > 1  # the work was shared
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_lock_chat_holds_one_chat_across_replicas_until_the_unit_ends(
    postgres_database: str,
) -> None:
    async with (
        PostgresStore(postgres_database) as first,
        PostgresStore(postgres_database) as second,
    ):
        events: list[str] = []
        held = asyncio.Event()
        release = asyncio.Event()

        async def holder() -> None:
            async with first.unit_of_work():
                await first.lock_chat("telegram", "42")
                held.set()
                await release.wait()
                events.append("first done")

        async def waiter(chat: str) -> None:
            await held.wait()
            async with second.unit_of_work():
                await second.lock_chat("telegram", chat)
                events.append(f"second got {chat}")

        task = asyncio.create_task(holder())
        await asyncio.wait_for(waiter("43"), 5)  # another chat: not held up
        blocked = asyncio.create_task(waiter("42"))
        await asyncio.sleep(0.3)
        assert not blocked.done()
        release.set()
        await asyncio.wait_for(asyncio.gather(task, blocked), 5)
        assert events == ["second got 43", "first done", "second got 42"]


async def test_ready_needs_an_open_pool_and_the_current_schema(postgres_database: str) -> None:
    store = PostgresStore(postgres_database)
    assert not await store.ready()
    async with store:
        assert await store.ready()
        async with store.transaction() as db:
            await db.execute("DELETE FROM schema_version WHERE version = $1", migrations()[-1][0])
        assert not await store.ready()  # an older schema than this code needs
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO schema_version (version) VALUES ($1)", migrations()[-1][0]
            )
        assert await store.ready()


async def test_outbox_hold_renews_a_lease_only_for_its_holder(postgres_database: str) -> None:
    lease = dt.timedelta(seconds=30)
    async with (
        PostgresStore(postgres_database, outbox_lease=lease) as one,
        PostgresStore(postgres_database, outbox_lease=lease) as two,
    ):
        await one.outbox_add("telegram", "1", ["a", "b"], NOW)
        await one.outbox_add("telegram", "2", ["x"], NOW)
        a, b, x = await one.outbox_pending("telegram", 10)
        assert a.lease is not None and a.lease == b.lease == x.lease
        await asyncio.sleep(0.05)
        renewed = await one.outbox_hold([b, x])
        assert [i.payload for i in renewed] == ["b", "x"]
        assert all(i.lease is not None and i.lease > a.lease for i in renewed)
        await _expire_leases(postgres_database)  # replica one stalled past its lease
        taken = await two.outbox_pending("telegram", 10)
        assert [i.payload for i in taken] == ["a", "b", "x"]
        await two.outbox_done(taken[2].id)
        # one wakes up: none of it is its own any more (taken by two, or sent and gone)
        assert await one.outbox_hold(renewed) == []
        assert [i.payload for i in await two.outbox_hold(taken)] == ["a", "b"]
        assert await one.outbox_hold([]) == []


class _SlowPlatform:
    """A notifier whose every call takes `seconds`; records (chat, text, replica)."""

    def __init__(self, seconds: float, sent: list[tuple[str, str, int]], replica: int) -> None:
        self.seconds, self.sent, self.replica = seconds, sent, replica

    def reminder_parts(self, notice: object) -> list[Outbound]:
        return []

    async def send(self, chat_id: str, part: Outbound) -> None:
        await asyncio.sleep(self.seconds)
        self.sent.append((chat_id, part.text, self.replica))


class _AheadClock(SystemClock):
    """The clock of a replica's host running ahead of the database's."""

    def __init__(self, ahead: dt.timedelta) -> None:
        self.ahead = ahead

    def now(self) -> dt.datetime:
        return super().now() + self.ahead


async def test_a_sender_whose_clock_runs_ahead_waits_for_the_retry_as_the_database_does(
    postgres_database: str,
) -> None:
    """A part waiting for a retry is handed only until it is due, by the database's clock. A
    replica whose clock is 5 s ahead had found it due and sent it, while its lease ran out
    and the next replica to pick it sent it again; it now waits as the store says."""
    async with PostgresStore(postgres_database) as store:
        await store.outbox_add("telegram", "1", [encode_part(Outbound("hello"))], NOW)
        (part,) = await store.outbox_pending("telegram", 10)
        due = await _fetch(
            postgres_database, "SELECT date_trunc('second', now()) + interval '2 seconds' AS due"
        )
        await store.outbox_retry(part.id, due[0]["due"])
        sent: list[tuple[str, str, int]] = []
        clock = _AheadClock(dt.timedelta(seconds=5))
        sender = OutboxSender(
            store,
            "telegram",
            _SlowPlatform(0.0, sent, 0),
            RateLimiter(clock, asyncio.sleep, per_second=1000.0, per_chat=1000.0, burst=10),
            clock,
        )
        await sender.drain()
        assert sent == []  # not yet due by the database's clock
        await asyncio.sleep(2.3)  # due by the database's clock now
        await sender.drain()
        assert sent == [("1", "hello", 0)]
        assert await store.outbox_pending("telegram", 10) == []


async def test_a_batch_slower_than_the_lease_is_still_sent_once(postgres_database: str) -> None:
    """Sending one batch takes 2.4 s against a 1 s lease: the holder renews it on the way, so
    the second replica, polling all along, never sends a part of it as well."""
    lease = dt.timedelta(seconds=1)
    stores = [PostgresStore(postgres_database, outbox_lease=lease) for _ in range(2)]
    await asyncio.gather(*(store.open() for store in stores))
    sent: list[tuple[str, str, int]] = []
    clock = SystemClock()
    senders = [
        OutboxSender(
            store,
            "telegram",
            _SlowPlatform(0.2, sent, number),
            RateLimiter(clock, asyncio.sleep, per_second=1000.0, per_chat=0.001, burst=10),
            clock,
        )
        for number, store in enumerate(stores)
    ]
    try:
        for chat in range(6):
            parts = [encode_part(Outbound(f"{chat}.{n}")) for n in range(2)]
            await stores[0].outbox_add("telegram", str(chat), parts, NOW)
        first = asyncio.create_task(senders[0].drain())
        await asyncio.sleep(0.1)  # the first replica holds the whole batch now

        async def poll() -> None:
            while not first.done():
                await senders[1].drain()
                await asyncio.sleep(0.05)

        await asyncio.wait_for(asyncio.gather(first, poll()), timeout=30)
        assert sorted((c, t) for c, t, _ in sent) == sorted(
            (str(c), f"{c}.{n}") for c in range(6) for n in range(2)
        )  # every part once
        assert {replica for _, _, replica in sent} == {0}
    finally:
        await asyncio.gather(*(store.close() for store in stores))
