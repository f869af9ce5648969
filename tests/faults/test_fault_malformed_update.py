"""Updates python-telegram-bot cannot parse, then a normal one: the normal one is answered, the
poller does not spin, and each bad update leaves one warning line without any user data."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.channels.bot_api_server import FakeBotApi
from tests.faults.helpers import (
    push_all,
    running_bot,
    text_update,
    texts_by_chat,
    wait_polling,
    wait_until,
)

SECRET = "secret-words-of-a-user"
BAD_CHATS = (424_242_001, 424_242_002, 424_242_003)
GOOD_CHAT = 515_151


def _message(chat_id: int, text: str = SECRET) -> dict[str, Any]:
    return {
        "message_id": 7,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "text": text,
    }


def _malformed() -> list[dict[str, Any]]:
    no_date = _message(BAD_CHATS[0])
    del no_date["date"]
    no_chat_type = _message(BAD_CHATS[1])
    del no_chat_type["chat"]["type"]
    bad_entity = _message(BAD_CHATS[2], f"/fees {SECRET}")
    bad_entity["entities"] = [{"type": "bot_command"}]  # no offset, no length
    poll = {"id": "poll-1", "question": SECRET}  # none of the other required fields
    return [
        {"update_id": 930_001, "message": no_date},
        {"update_id": 930_002, "message": no_chat_type},
        {"update_id": 930_003, "message": bad_entity},
        {"update_id": 930_004, "poll": poll},
    ]


def test_unreadable_updates_are_skipped_and_the_next_user_is_answered(tmp_path: Path) -> None:
    database = tmp_path / "malformed.sqlite3"
    malformed = _malformed()
    with FakeBotApi() as api:
        with running_bot(api.base_url, database, tmp_path) as bot:
            wait_polling(api, bot)
            push_all(api, [*malformed, text_update(GOOD_CHAT, "/fees", update_id=930_005)])
            wait_until(lambda: str(GOOD_CHAT) in texts_by_chat(api), 20, "the /fees answer")
            first = texts_by_chat(api)[str(GOOD_CHAT)][0]
            assert first.startswith("• Permanent residence application")

            polls_before = len(api.of("getUpdates"))
            time.sleep(3.0)
            polls = len(api.of("getUpdates")) - polls_before
            assert polls < 20, f"{polls} getUpdates calls in 3 s: the poller spins"
            assert bot.terminate() == 0, bot.stderr()

        assert set(texts_by_chat(api)) == {str(GOOD_CHAT)}  # nothing said to the bad ones
        output = bot.stderr()

    for update in malformed:
        update_id = str(update["update_id"])
        lines = [line for line in output.splitlines() if update_id in line]
        assert len(lines) == 1, f"update {update_id}: {lines}"
        assert " WARNING " in lines[0], lines[0]
    assert SECRET not in output
    for chat_id in (*BAD_CHATS, GOOD_CHAT):
        assert str(chat_id) not in output
    assert "Traceback" not in output
