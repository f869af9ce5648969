"""kill -9 of the replica sending reminders, with two `prbot serve` replicas on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections import Counter
from pathlib import Path

import asyncpg

from bot.core.ports import Conversation, PlannedRow
from bot.storage.postgres import PostgresStore
from tests.channels.bot_api_server import FakeBotApi
from tests.channels.telegram_serve import WebhookReplica

SUBSCRIBERS = 200
FIRST_CHAT = 700_000
# A claim older than the lease is taken over by the live replica (sweeping every second).
ENV = {"PRBOT_REMINDER_LEASE": "5", "PRBOT_REMINDER_INTERVAL": "1"}


async def _seed(dsn: str) -> None:
    """Subscribers whose reminder fell due an hour ago (while no replica was up)."""
    now = dt.datetime.now(dt.UTC)
    async with PostgresStore(dsn) as store:
        for n in range(SUBSCRIBERS):
            chat = str(FIRST_CHAT + n)
            await store.save_conversation(Conversation("telegram", chat, "en"), now)
            expiry = now + dt.timedelta(days=30)
            row = PlannedRow("window_open", now - dt.timedelta(hours=1), expiry)
            await store.add_subscription(
                "telegram", chat, "self", "expiry", expiry.date(), [row], now
            )


async def _statuses(dsn: str) -> Counter[str]:
    db = await asyncpg.connect(dsn)
    try:
        return Counter(str(r[0]) for r in await db.fetch("SELECT status FROM reminders"))
    finally:
        await db.close()


def _delivered(api: FakeBotApi) -> Counter[str]:
    return Counter(str(p["chat_id"]) for p in api.of("sendMessage"))


def _sent_by(replica: WebhookReplica) -> float:
    text = replica.client.get("/metrics").text
    match = re.search(r'^prbot_reminders_total\{outcome="sent"\} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_killing_the_replica_that_sends_reminders_loses_none(
    postgres_database: str, tmp_path: Path
) -> None:
    asyncio.run(_seed(postgres_database))
    with FakeBotApi() as api:
        api.send_delay = 0.02
        replicas = [
            WebhookReplica(api.base_url, postgres_database, tmp_path, extra_env=ENV)
            for _ in range(2)
        ]
        try:
            for replica in replicas:
                replica.wait_ready()
            api.wait_for("sendMessage", 20, timeout=60)
            sending = max(replicas, key=_sent_by)  # one sweep claimed them all (batch 200)
            sending.kill()  # mid-dispatch: its claims stay until their lease ends
            api.send_delay = 0.0  # the crash window is past: the rest may go fast
            before = _delivered(api)
            assert 20 <= len(before) < SUBSCRIBERS

            # every row ends `sent`, the one in flight at the kill too: its claim was renewed
            # just before the kill, so it comes back a lease later than the others
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and (
                len(_delivered(api)) < SUBSCRIBERS
                or asyncio.run(_statuses(postgres_database)) != {"sent": SUBSCRIBERS}
            ):
                time.sleep(0.2)
            time.sleep(1.0)  # would anything be sent twice?
        finally:
            for replica in replicas:
                replica.stop()

    delivered = _delivered(api)
    assert set(delivered) == {str(FIRST_CHAT + n) for n in range(SUBSCRIBERS)}  # none lost
    repeated = [chat for chat, count in delivered.items() if count > 1]
    assert len(repeated) <= 1  # at worst the one message in flight
    assert asyncio.run(_statuses(postgres_database)) == {"sent": SUBSCRIBERS}
