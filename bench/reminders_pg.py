"""Reminders at scale on PostgreSQL: 1,000,000 subscriptions in a throwaway cluster.

    python -m bench.reminders_pg [--subscriptions 1000000] [--repeat 50]

Starts a cluster with tests/pg_server.py (initdb in /tmp, 127.0.0.1 only, fsync off), makes the
schema with the real PostgresStore's migrations, bulk-loads subscriptions and their planned
reminders with COPY (the same data as bench/reminders.py: everything due before NOW was sent),
ANALYZE, then measures the due-reminder SELECT of claim_due, skip_stale, and a claim of 200
rows (put back after each repeat), and prints EXPLAIN (ANALYZE, BUFFERS) of the due query and
of the claim. The cluster is stopped and deleted at the end. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg

from bench.reminders import NOW, RULES
from bot.core.schedule import EventKind, plan
from bot.storage.postgres import (  # the store's own statements
    CLAIM,
    DUE_SELECT,
    SERVER_SETTINGS,
    SKIP_STALE,
    PostgresStore,
)
from tests.pg_server import PostgresServer

BATCH = 100_000  # subscriptions per COPY round


def rows(count: int) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """(subscriptions, reminders) records in batches; the data of bench/reminders.py."""
    rng = random.Random(7)
    start = dt.date(2026, 12, 1)
    subscriptions: list[tuple[Any, ...]] = []
    reminders: list[tuple[Any, ...]] = []
    for n in range(1, count + 1):
        expiry = start + dt.timedelta(days=rng.randrange(0, 3650))
        subscriptions.append((n, "telegram", str(10_000_000 + n), "self", "expiry", expiry, NOW))
        for r in plan(EventKind.EXPIRY, expiry, RULES):
            # Everything due before NOW was sent long ago: a steady state, not a backlog.
            status = "sent" if r.due_at < NOW else "pending"
            reminders.append((n, r.kind.value, r.due_at, r.stale_at, r.due_at, status))
        if len(subscriptions) >= BATCH:
            yield subscriptions, reminders
            subscriptions, reminders = [], []
    if subscriptions:
        yield subscriptions, reminders


async def build(dsn: str, count: int) -> tuple[float, int]:
    """Schema by the real store, then COPY and ANALYZE; (seconds, reminder rows)."""
    async with PostgresStore(dsn):
        pass
    started = time.perf_counter()
    db = await asyncpg.connect(dsn)
    try:
        for subscriptions, reminders in rows(count):
            await db.copy_records_to_table(
                "subscriptions",
                records=subscriptions,
                columns=[
                    "id",
                    "channel",
                    "chat_id",
                    "label",
                    "event_kind",
                    "event_date",
                    "created_at",
                ],
            )
            await db.copy_records_to_table(
                "reminders",
                records=reminders,
                columns=["subscription_id", "kind", "due_at", "stale_at", "not_before", "status"],
            )
        await db.execute(
            "SELECT setval(pg_get_serial_sequence('subscriptions', 'id'),"
            " (SELECT max(id) FROM subscriptions))"
        )
        await db.execute("VACUUM ANALYZE subscriptions")
        await db.execute("VACUUM ANALYZE reminders")
        total = int(await db.fetchval("SELECT count(*) FROM reminders"))
    finally:
        await db.close()
    return time.perf_counter() - started, total


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection with the settings of PostgresStore's pooled ones (no JIT)."""
    return await asyncpg.connect(dsn, server_settings=SERVER_SETTINGS)


async def timed(action: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    """(median, max) milliseconds of an async callable."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


async def explain(db: asyncpg.Connection, sql: str, *args: object) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement, rolled back (the claim writes)."""
    tr = db.transaction()
    await tr.start()
    try:
        lines = await db.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
    finally:
        await tr.rollback()
    return "\n".join(str(line[0]) for line in lines)


async def measure(dsn: str, repeat: int) -> dict[str, Any]:
    """The figures and plans on a loaded database."""
    moment = NOW + dt.timedelta(days=1)
    out: dict[str, Any] = {}
    db = await connect(dsn)
    try:
        out["pending"] = int(
            await db.fetchval("SELECT count(*) FROM reminders WHERE status = 'pending'")
        )
        out["due"] = len(await db.fetch(DUE_SELECT, moment, 200))
        out["due_ms"] = await timed(lambda: db.fetch(DUE_SELECT, moment, 200), repeat)
        out["due_plan"] = await explain(db, DUE_SELECT, moment, 200)
        out["claim_plan"] = await explain(db, CLAIM, moment, 200)
    finally:
        await db.close()
    skips, claims, claimed = [], [], 0
    async with PostgresStore(dsn) as store:
        for _ in range(11):
            start = time.perf_counter()
            await store.skip_stale(moment)
            skips.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            claimed = len(await store.claim_due(moment, 200))
            claims.append((time.perf_counter() - start) * 1000)
            await store.release_claims(moment + dt.timedelta(seconds=1))
    out["skip_ms"] = (statistics.median(skips), max(skips))
    db = await connect(dsn)
    try:
        out["skip_plan"] = await explain(db, SKIP_STALE, moment)
    finally:
        await db.close()
    out["claim_ms"] = (statistics.median(claims), max(claims))
    out["claimed"] = claimed
    # A month later: a claim that really has 200 rows to take (the day after NOW has fewer).
    later = NOW + dt.timedelta(days=30)
    full = []
    async with PostgresStore(dsn) as store:
        await store.skip_stale(later)
        for _ in range(11):
            start = time.perf_counter()
            got = len(await store.claim_due(later, 200))
            full.append((time.perf_counter() - start) * 1000)
            await store.release_claims(later + dt.timedelta(seconds=1))
    out["claim_full_ms"] = (statistics.median(full), max(full), got)
    db = await connect(dsn)
    try:
        out["claim_full_plan"] = await explain(db, CLAIM, later, 200)
        out["due_full_ms"] = await timed(lambda: db.fetch(DUE_SELECT, later, 200), repeat)
    finally:
        await db.close()
    return out


def main() -> None:
    """Start a cluster, build, measure, print a Markdown table and the plans, stop."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    server = PostgresServer()
    server.start()
    try:
        dsn = server.dsn(server.create_database("bench"))
        build_seconds, reminder_rows = asyncio.run(build(dsn, args.subscriptions))
        out = asyncio.run(measure(dsn, args.repeat))
    finally:
        server.stop()
    n = args.repeat
    print("| measure | value |")
    print("|---|---|")
    print(f"| subscriptions / reminder rows | {args.subscriptions:,} / {reminder_rows:,} |")
    print(f"| pending reminder rows | {out['pending']:,} |")
    print(f"| loading (COPY, VACUUM ANALYZE) | {build_seconds:.1f} s |")
    print(
        f"| due-reminder query, next morning ({out['due']} due), median / max of {n} | "
        f"{out['due_ms'][0]:.2f} ms / {out['due_ms'][1]:.2f} ms |"
    )
    print(
        f"| due-reminder query, a month later (200 of a backlog), median / max of {n} | "
        f"{out['due_full_ms'][0]:.2f} ms / {out['due_full_ms'][1]:.2f} ms |"
    )
    print(
        f"| skip_stale, median / max of 11 | "
        f"{out['skip_ms'][0]:.1f} ms / {out['skip_ms'][1]:.1f} ms |"
    )
    print(
        f"| claim_due(limit 200), next morning ({out['claimed']} rows), median / max of 11 | "
        f"{out['claim_ms'][0]:.1f} ms / {out['claim_ms'][1]:.1f} ms |"
    )
    full = out["claim_full_ms"]
    print(
        f"| claim_due(limit 200), a month later ({full[2]} rows), median / max of 11 | "
        f"{full[0]:.1f} ms / {full[1]:.1f} ms |"
    )
    for title, key in (
        ("due-reminder query, next morning", "due_plan"),
        ("claim, next morning", "claim_plan"),
        ("skip_stale, next morning (after the timed runs: nothing left to skip)", "skip_plan"),
        ("claim, a month later (200 rows)", "claim_full_plan"),
    ):
        print(f"\nEXPLAIN (ANALYZE, BUFFERS), {title}:\n\n```\n{out[key]}\n```")


if __name__ == "__main__":
    main()
