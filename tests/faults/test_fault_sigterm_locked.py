"""SIGTERM while another process holds the database locked: the bot still stops within 10 s with
exit code 0, and a question that arrived during the lock is answered after a restart."""

from __future__ import annotations

import time
from pathlib import Path

from tests.channels.bot_api_server import FakeBotApi
from tests.faults.helpers import (
    ExclusiveLock,
    running_bot,
    text_update,
    texts_by_chat,
    traceback_free,
    wait_polling,
    wait_until,
)


def test_sigterm_while_the_database_is_locked_exits_0_within_10_s(tmp_path: Path) -> None:
    database = tmp_path / "locked.sqlite3"
    with FakeBotApi() as api:
        with running_bot(api.base_url, database, tmp_path, name="first") as bot:
            wait_polling(api, bot)
            with ExclusiveLock(database):
                api.push_update(text_update(610_001, "/fees"))  # a user writes meanwhile
                polls = len(api.of("getUpdates"))
                wait_until(lambda: len(api.of("getUpdates")) > polls, 10, "the update fetched")
                time.sleep(0.5)  # the bot is now waiting on the lock
                started = time.monotonic()
                returncode = bot.terminate(timeout=15)
                took = time.monotonic() - started
            assert returncode == 0, bot.stderr()
            print(f"\nSIGTERM while locked: exit {returncode} after {took:.1f} s")
            assert took < 10.0, f"SIGTERM took {took:.1f} s"
            assert traceback_free(bot.stderr()), bot.stderr()

        # Nothing was confirmed while the lock was held: the question is answered after a restart.
        with running_bot(api.base_url, database, tmp_path, name="second") as again:
            wait_until(lambda: "610001" in texts_by_chat(api), 30, "the answer after the restart")
            assert texts_by_chat(api)["610001"][0].startswith("• Permanent residence application")
            assert again.terminate() == 0, again.stderr()
