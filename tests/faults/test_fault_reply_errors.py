"""The Bot API answers a reply with 500 (twice) for one user and 429 for another: both get
their answer after the retries, nothing is dropped, and a third user is not held up."""

from __future__ import annotations

import time
from pathlib import Path

from tests.faults.helpers import (
    PerChatBotApi,
    push_all,
    running_bot,
    sends,
    text_update,
    texts_by_chat,
    wait_polling,
    wait_until,
)

FAILING, LIMITED, CALM = "600001", "600002", "600003"
SERVER_ERROR = (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
TOO_MANY = (
    429,
    {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    },
)


def test_500_and_429_delay_a_reply_without_losing_it_or_holding_up_others(
    tmp_path: Path,
) -> None:
    database = tmp_path / "errors.sqlite3"
    with PerChatBotApi() as api:
        api.chat_failures = {FAILING: [SERVER_ERROR, SERVER_ERROR], LIMITED: [TOO_MANY]}
        with running_bot(api.base_url, database, tmp_path) as bot:
            wait_polling(api, bot)
            started = time.monotonic()
            push_all(api, [text_update(int(chat), "/fees") for chat in (FAILING, LIMITED, CALM)])
            # attempts: 3 for the 500s (retries after 2 s and 4 s), 2 for the 429, 1 for the calm
            wait_until(
                lambda: len(api.of("sendMessage")) >= 6, 30, "every reply after its retries"
            )
            took = time.monotonic() - started
            time.sleep(0.5)  # nothing more should come
            assert bot.terminate() == 0, bot.stderr()

    attempts = texts_by_chat(api)
    assert {chat: len(texts) for chat, texts in attempts.items()} == {
        FAILING: 3,
        LIMITED: 2,
        CALM: 1,
    }
    for texts in attempts.values():
        assert all(text.startswith("• Permanent residence application") for text in texts)
    delivered = [str(p["chat_id"]) for _method, p in sends(api)]
    # The last attempt of each chat is the one that got through.
    last = {chat: max(i for i, c in enumerate(delivered) if c == chat) for chat in attempts}
    assert last[CALM] < last[LIMITED] < last[FAILING]
    print(f"\n500 retries after {api.gaps(FAILING)} s, 429 retry after {api.gaps(LIMITED)} s")
    assert took < 20.0


def test_a_retry_waits_the_full_retry_after_and_backoff(tmp_path: Path) -> None:
    """A 429 with retry_after=1 must not be answered by a new attempt within that second (the
    Bot API then answers 429 again, and for longer), and the 500 backoff is 2 s."""
    database = tmp_path / "retry.sqlite3"
    with PerChatBotApi() as api:
        api.chat_failures = {FAILING: [SERVER_ERROR], LIMITED: [TOO_MANY]}
        api.align_failures = 0.5  # each failure is answered at the middle of a second
        with running_bot(api.base_url, database, tmp_path) as bot:
            wait_polling(api, bot)
            push_all(api, [text_update(int(chat), "/fees") for chat in (FAILING, LIMITED)])
            wait_until(lambda: len(api.send_times) >= 2, 20, "the two refused attempts")
            time.sleep(0.2)
            api.push_update(text_update(int(CALM), "/fees"))  # another user writes meanwhile
            wait_until(lambda: len(api.send_times) >= 5, 20, "every reply")
            assert bot.terminate() == 0, bot.stderr()

    assert len(api.gaps(FAILING)) == 1 and len(api.gaps(LIMITED)) == 1
    print(f"\n500 retry after {api.gaps(FAILING)} s, 429 retry after {api.gaps(LIMITED)} s")
    assert api.gaps(LIMITED)[0] >= 1.0, "sent again before the 429's retry_after had passed"
    assert api.gaps(FAILING)[0] >= 2.0, "the first retry after a 500 came before 2 s"
