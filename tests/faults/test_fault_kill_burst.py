"""kill -9 in the middle of a burst of questions, then a restart on the same database: every
question gets its answer, in order per chat, and at most the reply in flight is sent twice."""

from __future__ import annotations

import time
from pathlib import Path

from tests.channels.bot_api_server import FakeBotApi
from tests.faults.helpers import (
    push_all,
    running_bot,
    text_update,
    texts_by_chat,
    wait_polling,
    wait_until,
)

USERS = 60
# Each question with the start of its answer. ("how much is the renewal fee" gets the same
# answer as /fees, so the free-text question here asks about renewing, to tell them apart.)
QUESTIONS = (
    ("/fees", "• Permanent residence application fee"),
    ("how do I renew my card", "💰 Fee: CN¥300 per card.\nRenewing your card"),
    ("/hours", "Andingmen (main hall): "),
)
KILL_AFTER = 40  # replies sent before the kill (of 180)


def _answered(text: str) -> int:
    """Which question a reply answers (its index in QUESTIONS)."""
    for index, (_question, start) in enumerate(QUESTIONS):
        if text.startswith(start):
            return index
    raise AssertionError(f"a reply that answers none of the questions: {text[:80]!r}")


def _collapsed(answers: list[int]) -> tuple[list[int], int]:
    """The answers with back-to-back repeats removed, and how many repeats there were."""
    kept: list[int] = []
    for answer in answers:
        if not kept or kept[-1] != answer:
            kept.append(answer)
    return kept, len(answers) - len(kept)


def test_kill9_during_a_burst_then_restart_answers_every_question_in_order(
    tmp_path: Path,
) -> None:
    database = tmp_path / "burst.sqlite3"
    chats = [700_000 + n for n in range(USERS)]
    complete = [0, 1, 2]

    def all_answered() -> bool:
        replies = texts_by_chat(api)
        return all(
            _collapsed([_answered(t) for t in replies.get(str(c), [])])[0] == complete
            for c in chats
        )

    with FakeBotApi() as api:
        api.send_delay = 0.02  # a wider window for the kill to land while a reply is in flight
        with running_bot(api.base_url, database, tmp_path, name="first") as first:
            wait_polling(api, first)
            # Every user's three questions, in order, all pushed at once.
            burst = [text_update(chat, q) for q, _start in QUESTIONS for chat in chats]
            push_all(api, burst)
            api.wait_for("sendMessage", KILL_AFTER, timeout=30)
            first.kill9()
        before = len(api.of("sendMessage"))
        assert KILL_AFTER <= before < len(burst), "the kill should land in the middle"

        with running_bot(api.base_url, database, tmp_path, name="second") as second:
            wait_until(all_answered, 60, "every question to be answered after the restart")
            time.sleep(0.5)  # would anything more arrive (a second copy)?
            assert second.terminate() == 0, second.stderr()

    replies = texts_by_chat(api)
    assert set(replies) == {str(c) for c in chats}
    duplicates = 0
    for chat in chats:
        answers = [_answered(t) for t in replies[str(chat)]]
        kept, repeated = _collapsed(answers)
        assert kept == complete, f"chat {chat} got answers {answers}"
        duplicates += repeated
    total = len(api.of("sendMessage"))
    assert total == len(burst) + duplicates
    print(f"\nkill -9 after {before} of {len(burst)} replies; {duplicates} sent twice")
    assert duplicates <= 2  # one kill; one part in flight at a time, so expect at most 1
