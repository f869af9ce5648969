"""kill -9 during dispatch: the bot runs as a real process on a real SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bot.core.ports import Conversation, PlannedRow
from bot.storage.sqlite import SqliteStore
from tests.channels.bot_api_server import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 40


async def _seed(path: Path) -> None:
    """Forty subscribers whose reminder fell due an hour ago (while the bot was down)."""
    now = dt.datetime.now(dt.UTC)
    async with SqliteStore(path) as store:
        for n in range(SUBSCRIBERS):
            chat = str(1000 + n)
            await store.save_conversation(Conversation("telegram", chat, "en"), now)
            expiry = now + dt.timedelta(days=30)
            row = PlannedRow("window_open", now - dt.timedelta(hours=1), expiry)
            await store.add_subscription(
                "telegram", chat, "self", "expiry", expiry.date(), [row], now
            )


def _start(api: FakeBotApi, database: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PRBOT_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": "123:crash-test",
            "TELEGRAM_API_URL": api.base_url,
            "PRBOT_DATABASE": str(database),
            "PRBOT_SEND_RATE": "25",
            "PYTHONPATH": str(ROOT),
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _delivered(api: FakeBotApi) -> Counter[str]:
    return Counter(str(p["chat_id"]) for p in api.of("sendMessage"))


def test_sigkill_during_dispatch_loses_no_reminder(tmp_path: Path) -> None:
    database = tmp_path / "crash.sqlite3"
    asyncio.run(_seed(database))
    with FakeBotApi() as api:
        api.send_delay = 0.02
        first = _start(api, database, tmp_path)
        try:
            api.wait_for("sendMessage", 10, timeout=60)
            first.send_signal(signal.SIGKILL)  # mid-dispatch: no clean-up of any kind
            first.wait(timeout=30)
        finally:
            first.kill()
        before_restart = _delivered(api)
        assert 10 <= sum(before_restart.values()) < SUBSCRIBERS

        second = _start(api, database, tmp_path)
        try:
            deadline = time.monotonic() + 90
            while len(_delivered(api)) < SUBSCRIBERS and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # would anything be sent twice?
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        finally:
            second.kill()
        assert second.returncode == 0

    delivered = _delivered(api)
    assert set(delivered) == {str(1000 + n) for n in range(SUBSCRIBERS)}  # nothing lost
    repeated = [chat for chat, count in delivered.items() if count > 1]
    assert len(repeated) <= 1  # at worst the one message in flight
    with sqlite3.connect(database) as db:
        statuses = Counter(s for (s,) in db.execute("SELECT status FROM reminders"))
    assert statuses == {"sent": SUBSCRIBERS}
