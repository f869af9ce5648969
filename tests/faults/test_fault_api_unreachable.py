"""The Bot API cannot be reached when the bot starts: it says it retries (no crash) and answers
once the API appears on that port."""

from __future__ import annotations

import time
from pathlib import Path

from tests.faults.helpers import (
    BotProcess,
    PerChatBotApi,
    running_bot,
    text_update,
    texts_by_chat,
    traceback_free,
    wait_until,
)
from tests.serve_process import free_port


def _wait_for_a_retry_line(bot: BotProcess) -> None:
    """Until the bot logs that the Bot API cannot be reached (or exits)."""
    wait_until(
        lambda: "cannot be reached" in bot.stderr() or bot.returncode is not None,
        30,
        "a retry line",
    )


def test_the_bot_retries_until_the_bot_api_appears_then_answers(tmp_path: Path) -> None:
    database = tmp_path / "unreachable.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}/bot"
    with running_bot(url, database, tmp_path) as bot:
        _wait_for_a_retry_line(bot)
        assert bot.returncode is None, bot.stderr()
        retry_lines = [line for line in bot.stderr_lines() if "cannot be reached" in line]
        assert " WARNING " in retry_lines[0] and "retrying" in retry_lines[0], retry_lines
        time.sleep(1.5)  # a few seconds without any API
        assert bot.returncode is None, bot.stderr()

        with PerChatBotApi(port=port) as api:
            api.push_update(text_update(620_001, "/fees"))
            wait_until(lambda: "620001" in texts_by_chat(api), 30, "the answer")
            assert texts_by_chat(api)["620001"][0].startswith("• Permanent residence application")
            assert bot.terminate() == 0, bot.stderr()
    assert traceback_free(bot.stderr()), bot.stderr()


def test_stopped_before_the_bot_api_ever_answered_it_closes_its_connections(
    tmp_path: Path,
) -> None:
    """SIGTERM while getMe still fails: exit 0, and no connection pool is left open (aiohttp
    would log "Unclosed client session" as an error at exit)."""
    database = tmp_path / "never.sqlite3"
    url = f"http://127.0.0.1:{free_port()}/bot"
    with running_bot(url, database, tmp_path) as bot:
        _wait_for_a_retry_line(bot)
        assert bot.terminate() == 0, bot.stderr()
    assert "Unclosed" not in bot.stderr(), bot.stderr()
    assert " ERROR " not in bot.stderr(), bot.stderr()
    assert traceback_free(bot.stderr()), bot.stderr()
