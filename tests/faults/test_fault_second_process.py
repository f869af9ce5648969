"""Two prbot processes on one SQLite file: the second refuses with one line, the first goes on,
and when both start at the same moment every due reminder is sent exactly once."""

from __future__ import annotations

import time
from pathlib import Path

from tests.channels.bot_api_server import FakeBotApi
from tests.faults.helpers import (
    assert_one_line_failure,
    count_by_chat,
    reminder_statuses,
    running_bot,
    seed_reminders,
    text_update,
    texts_by_chat,
    wait_polling,
    wait_until,
)

SUBSCRIBERS = 40


def test_a_second_process_on_the_same_file_refuses_and_the_first_goes_on(
    tmp_path: Path,
) -> None:
    database = tmp_path / "shared.sqlite3"
    with (
        FakeBotApi() as api,
        running_bot(api.base_url, database, tmp_path, name="first") as first,
    ):
        wait_polling(api, first)
        with running_bot(api.base_url, database, tmp_path, name="second") as second:
            returncode = second.wait(timeout=30)
        reason = assert_one_line_failure(second, database, returncode)
        assert "another prbot process" in reason, reason

        api.push_update(text_update(880_001, "/fees"))
        wait_until(lambda: "880001" in texts_by_chat(api), 20, "the first bot's answer")
        assert texts_by_chat(api)["880001"][0].startswith("• Permanent residence application")
        assert first.terminate() == 0, first.stderr()


def test_two_processes_started_together_send_each_reminder_once(tmp_path: Path) -> None:
    database = tmp_path / "reminders.sqlite3"
    chats = [990_000 + n for n in range(SUBSCRIBERS)]
    seed_reminders(database, chats)
    with (
        FakeBotApi() as api,
        running_bot(api.base_url, database, tmp_path, name="a") as one,
        running_bot(api.base_url, database, tmp_path, name="b") as two,
    ):
        wait_until(
            lambda: (
                len(count_by_chat(api, "sendDocument")) >= SUBSCRIBERS
                or (one.returncode is not None and two.returncode is not None)
            ),
            60,
            "every reminder",
        )
        time.sleep(1.0)  # anything sent twice would arrive now
        stopped = [bot for bot in (one, two) if bot.returncode is not None]
        assert len(stopped) == 1, f"{one.stderr()}\n{two.stderr()}"
        (loser,) = stopped
        (winner,) = [bot for bot in (one, two) if bot is not loser]
        reason = assert_one_line_failure(loser, database, loser.wait(1))
        assert "another prbot process" in reason, reason
        assert winner.terminate() == 0, winner.stderr()

    expected = {str(c): 1 for c in chats}
    assert count_by_chat(api, "sendMessage") == expected
    assert count_by_chat(api, "sendDocument") == expected  # the calendar file, once
    assert reminder_statuses(database) == {"sent": SUBSCRIBERS}
