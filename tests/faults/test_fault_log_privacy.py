"""The INFO log carries no chat id and no message text, across a burst that makes the bot log
as much as it can: answers, an unplaced question, a 500 and a 403 on replies, a block, a due
reminder and an unreadable update."""

from __future__ import annotations

import time
from pathlib import Path

from tests.faults.helpers import (
    PerChatBotApi,
    push_all,
    running_bot,
    seed_reminders,
    text_update,
    texts_by_chat,
    wait_until,
)

BASE = 987_654_321
USERS = [BASE + n for n in range(12)]
FAILING, BLOCKING, KICKER, SUBSCRIBER = USERS[0], USERS[1], USERS[2], USERS[3]


def test_the_info_log_has_no_chat_ids_and_no_message_texts(tmp_path: Path) -> None:
    database = tmp_path / "privacy.sqlite3"
    seed_reminders(database, [SUBSCRIBER])  # due an hour ago: sent at start-up
    burst = []
    for n, chat in enumerate(USERS):
        burst.append(text_update(chat, f"zebra-question-{n}"))
        burst.append(text_update(chat, "/fees"))
    unreadable = text_update(USERS[4], "zebra-question-unreadable")
    del unreadable["message"]["date"]
    burst.append(unreadable)
    kicked = text_update(KICKER, "zebra-question-kicked")
    kicked["my_chat_member"] = {
        "chat": kicked["message"]["chat"],
        "from": kicked["message"]["from"],
        "date": int(time.time()),
        "old_chat_member": {"user": kicked["message"]["from"], "status": "member"},
        "new_chat_member": {
            "user": kicked["message"]["from"],
            "status": "kicked",
            "until_date": 0,
        },
    }
    del kicked["message"]
    burst.append(kicked)

    with PerChatBotApi() as api:
        error = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        forbidden = {
            "ok": False,
            "error_code": 403,
            "description": "Forbidden: bot was blocked by the user",
        }
        api.chat_failures = {str(FAILING): [(500, error)], str(BLOCKING): [(403, forbidden)]}
        with running_bot(api.base_url, database, tmp_path, PRBOT_LOG_LEVEL="INFO") as bot:
            push_all(api, burst)
            answered = [c for c in USERS if c != BLOCKING]

            def everyone_answered() -> bool:
                replies = texts_by_chat(api)
                return all(
                    any("• Permanent residence application" in t for t in replies.get(str(c), []))
                    for c in answered
                )

            log = lambda: bot.stderr()[-4000:]  # noqa: E731
            wait_until(everyone_answered, 40, "every answer", detail=log)
            sent = lambda: "sendDocument" in {m for m, _p in api.calls}  # noqa: E731
            wait_until(sent, 40, "the reminder", detail=log)
            assert bot.terminate() == 0, bot.stderr()
        output = bot.stderr()

    assert " WARNING " in output and " INFO " in output  # the log did speak
    assert "zebra" not in output
    assert str(BASE)[:6] not in output  # no chat id, not even part of one
