"""Reminders at scale: 1,000,000 subscriptions in SQLite.

    python -m bench.reminders [--subscriptions 1000000] [--db /tmp/prbot-bench.sqlite3]

Measures the time to find due reminders (and shows the query plan: it must use the partial
index), the claim and skip transactions, dispatch throughput with the real rate limiter, and
the process's peak memory. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.core.ports import Subscription
from bot.core.schedule import EventKind, plan
from bot.core.text import SourceTranslator
from bot.core.types import Outbound
from bot.knowledge.answers import card_rules
from bot.knowledge.loader import load_knowledge
from bot.reminders.dispatcher import Dispatcher, DispatchSettings, SweepResult
from bot.storage.sqlite import SqliteStore

NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
RULES = card_rules(load_knowledge(PROJECT_ROOT / "data"))
DUE_QUERY = (
    "SELECT id FROM reminders WHERE status = 'pending' AND not_before <= ?"
    " ORDER BY not_before LIMIT 200"
)


def iso(moment: dt.datetime) -> str:
    """The stored time format."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


async def create_schema(path: Path) -> None:
    """The schema, made by the real store's migrations."""
    async with SqliteStore(path):
        pass


def build(path: Path, count: int) -> None:
    """Create the schema with the real store, then bulk-load subscriptions and reminders."""
    path.unlink(missing_ok=True)
    asyncio.run(create_schema(path))
    rng = random.Random(7)
    start = dt.date(2026, 12, 1)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous=OFF")
        subscriptions = []
        reminders = []
        for n in range(1, count + 1):
            expiry = start + dt.timedelta(days=rng.randrange(0, 3650))
            subscriptions.append(
                (
                    n,
                    "telegram",
                    str(10_000_000 + n),
                    "self",
                    "expiry",
                    expiry.isoformat(),
                    iso(NOW),
                )
            )
            for r in plan(EventKind.EXPIRY, expiry, RULES):
                reminders.append((n, r.kind.value, iso(r.due_at), iso(r.stale_at), iso(r.due_at)))
        db.executemany(
            "INSERT INTO subscriptions (id, channel, chat_id, label, event_kind, event_date,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            subscriptions,
        )
        db.executemany(
            "INSERT INTO reminders (subscription_id, kind, due_at, stale_at, not_before)"
            " VALUES (?, ?, ?, ?, ?)",
            reminders,
        )
        # Everything due before NOW was sent long ago: a steady state, not a backlog.
        db.execute("UPDATE reminders SET status = 'sent' WHERE due_at < ?", (iso(NOW),))
        db.execute("ANALYZE")


def timed(action: object, repeat: int = 50) -> tuple[float, float]:
    """(median, max) milliseconds of a callable."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


class NullNotifier:
    """Accepts every message at once."""

    def __init__(self) -> None:
        self.count = 0

    async def send(self, chat_id: str, messages: list[Outbound]) -> None:
        """Count the message."""
        self.count += 1


class NullAnswers:
    """A fixed reminder text, so the figure is the loop and the database, not composing."""

    def reminder(self, kind: str, subscription: Subscription, now: dt.datetime) -> list[Outbound]:
        """A short message."""
        return [Outbound(text=f"{kind} {subscription.event_date}")]


class StepClock:
    """The real clock shifted to the benchmark's moment."""

    def __init__(self, moment: dt.datetime) -> None:
        self._offset = moment - dt.datetime.now(dt.UTC)

    def now(self) -> dt.datetime:
        """Shifted now."""
        return dt.datetime.now(dt.UTC) + self._offset


async def dispatch(path: Path, moment: dt.datetime, rate: float, limit: int) -> tuple[int, float]:
    """Send up to `limit` due reminders at `rate` per second; (sent, seconds)."""
    notifier = NullNotifier()
    async with SqliteStore(path) as store:
        dispatcher = Dispatcher(
            store=store,
            answers=NullAnswers(),  # type: ignore[arg-type]
            notifiers={"telegram": notifier},
            translators={"en": SourceTranslator()},
            clock=StepClock(moment),
            settings=DispatchSettings(rate_per_second=rate, per_chat_interval=0, batch=limit),
        )
        await store.skip_stale(moment)
        start = time.perf_counter()
        batch = await store.claim_due(moment, limit)
        result = SweepResult()
        for reminder in batch:
            await dispatcher.deliver(reminder, result)
        return notifier.count, time.perf_counter() - start


def main() -> None:
    """Build the database and print the figures as a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/prbot-bench.sqlite3"))
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.db, args.subscriptions)
        return
    started = time.perf_counter()
    # Built in a child process, so this process's peak memory is the bot's work alone.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.reminders",
            "--build-only",
            "--db",
            str(args.db),
            "--subscriptions",
            str(args.subscriptions),
        ],
        check=True,
    )
    build_seconds = time.perf_counter() - started
    with sqlite3.connect(args.db) as db:
        reminder_rows = db.execute("SELECT COUNT(*) FROM reminders").fetchone()[0]
        plan_rows = db.execute("EXPLAIN QUERY PLAN " + DUE_QUERY, (iso(NOW),)).fetchall()
        plan_text = "; ".join(str(row[-1]) for row in plan_rows)
        next_morning = iso(NOW + dt.timedelta(days=1))
        due_median, due_max = timed(lambda: db.execute(DUE_QUERY, (next_morning,)).fetchall())
        due_count = len(db.execute(DUE_QUERY, (next_morning,)).fetchall())
    moment = NOW + dt.timedelta(days=1)

    async def claim_and_skip() -> tuple[float, float]:
        """Median milliseconds of the skip and the claim transactions (claims put back)."""
        skips, claims = [], []
        async with SqliteStore(args.db) as store:
            for _ in range(11):
                start = time.perf_counter()
                await store.skip_stale(moment)
                skips.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                await store.claim_due(moment, 200)
                claims.append((time.perf_counter() - start) * 1000)
                await store.release_claims(moment + dt.timedelta(seconds=1))
        return statistics.median(skips), statistics.median(claims)

    skip_ms, claim_ms = asyncio.run(claim_and_skip())
    limited_sent, limited_seconds = asyncio.run(dispatch(args.db, moment, 25.0, 250))
    asyncio.run(claim_and_skip())  # put things back
    free_sent, free_seconds = asyncio.run(
        dispatch(args.db, NOW + dt.timedelta(days=30), 1_000_000.0, 2000)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| measure | value |")
    print("|---|---|")
    print(f"| subscriptions / reminder rows | {args.subscriptions:,} / {reminder_rows:,} |")
    print(f"| building the file (bulk insert) | {build_seconds:.1f} s |")
    print(
        f"| due-reminder query, median / max of 50 ({due_count} due) | "
        f"{due_median:.2f} ms / {due_max:.2f} ms |"
    )
    print(f"| its query plan | `{plan_text}` |")
    print(f"| skip-stale transaction, median of 11 | {skip_ms:.1f} ms |")
    print(f"| claim transaction (200 rows), median of 11 | {claim_ms:.1f} ms |")
    print(
        f"| dispatch at the configured 25 msg/s | {limited_sent} in {limited_seconds:.1f} s "
        f"= {limited_sent / limited_seconds:.1f} msg/s |"
    )
    print(
        f"| dispatch capacity without the rate limit (claim, send to a null notifier, mark) | "
        f"{free_sent} in {free_seconds:.2f} s = {free_sent / free_seconds:.0f} msg/s |"
    )
    print(f"| peak memory of the benchmark process | {peak:.0f} MiB |")


if __name__ == "__main__":
    main()
