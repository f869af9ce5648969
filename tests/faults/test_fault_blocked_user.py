"""A user who blocks the bot gets no reminder; when they write again, the reply starts with the
"Welcome back" notice and the held reminder follows."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.channels.fake_bot_api import BOT_USER
from tests.faults.helpers import (
    PerChatBotApi,
    make_due_now,
    push_all,
    running_bot,
    seed_reminders,
    sends,
    text_update,
    texts_by_chat,
    wait_polling,
    wait_until,
)

BLOCKER, SLOW_BLOCKER, OTHER = 630_001, 630_003, 630_002
TOO_MANY = (
    429,
    {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests",
        "parameters": {"retry_after": 3},
    },
)


def _kicked(chat_id: int, update_id: int) -> dict[str, object]:
    person = {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "private", "first_name": "Ana"},
            "from": person,
            "date": int(time.time()),
            "old_chat_member": {"user": BOT_USER, "status": "member"},
            "new_chat_member": {"user": BOT_USER, "status": "kicked", "until_date": 0},
        },
    }


@pytest.fixture(scope="module")
def blocked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One bot run: two users block the bot, their reminders fall due, then each writes /fees
    (the Bot API answers the second one's first reply part with 429, retry after 3 s). What
    each chat really got, in order."""
    tmp_path = tmp_path_factory.mktemp("blocked")
    database = tmp_path / "blocked.sqlite3"
    # The reminders are due only later; they are made due once the blocks were handled.
    seed_reminders(database, [BLOCKER, SLOW_BLOCKER, OTHER], in_future=True)
    with (
        PerChatBotApi() as api,
        running_bot(api.base_url, database, tmp_path, PRBOT_REMINDER_INTERVAL="0.5") as bot,
    ):
        wait_polling(api, bot)
        push_all(api, [_kicked(BLOCKER, 931_001), _kicked(SLOW_BLOCKER, 931_002)])
        wait_until(
            lambda: bot.stderr().count("reminders are paused") == 2, 20, "the blocks handled"
        )
        make_due_now(database, [BLOCKER, SLOW_BLOCKER, OTHER])

        # The other chat's reminder comes; then a few more sweeps.
        wait_until(lambda: str(OTHER) in texts_by_chat(api), 20, "the other reminder")
        time.sleep(1.5)
        while_blocked = [str(p["chat_id"]) for _m, p in sends(api)]
        reminder = texts_by_chat(api)[str(OTHER)][0]

        def answered(chat: int) -> bool:
            texts = texts_by_chat(api).get(str(chat), [])
            fees = any("• Permanent residence application" in t for t in texts)
            return reminder in texts and fees

        api.push_update(text_update(BLOCKER, "/fees", update_id=931_003))
        wait_until(lambda: answered(BLOCKER), 40, "the reply and the held reminder")
        api.chat_failures = {str(SLOW_BLOCKER): [TOO_MANY]}
        api.push_update(text_update(SLOW_BLOCKER, "/fees", update_id=931_004))
        wait_until(lambda: answered(SLOW_BLOCKER), 40, "the slow reply and the held reminder")
        time.sleep(0.5)
        assert bot.terminate() == 0, bot.stderr()
    replies = texts_by_chat(api)
    return {
        "while_blocked": while_blocked,
        "reminder": reminder,
        "texts": replies[str(BLOCKER)],
        "slow_texts": api.delivered_texts(str(SLOW_BLOCKER)),
    }


def test_a_blocked_chat_gets_no_reminder_until_the_user_writes_again(
    blocked: dict[str, Any],
) -> None:
    assert str(BLOCKER) not in blocked["while_blocked"]
    assert str(SLOW_BLOCKER) not in blocked["while_blocked"]
    texts, reminder = blocked["texts"], blocked["reminder"]
    assert texts[0].startswith("Welcome back"), texts[0]
    assert sum("• Permanent residence application" in text for text in texts) == 1, texts
    assert texts.count(reminder) == 1, texts
    assert len(texts) == 3, texts


def test_the_held_reminder_comes_after_the_whole_reply(blocked: dict[str, Any]) -> None:
    """The reply ('Welcome back' + the answer) waits 3 s for a 429: the held reminder still
    comes after it, not before or in the middle of it."""
    texts, reminder = blocked["slow_texts"], blocked["reminder"]
    assert texts[0].startswith("Welcome back"), texts[0]
    fees = next(i for i, text in enumerate(texts) if "• Permanent residence application" in text)
    assert fees < texts.index(reminder), texts
