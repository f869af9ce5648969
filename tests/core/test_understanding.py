"""Issue 11, the dialogue side: reminders by words, questions inside wizards, dates in
questions, the reply's language and the new topics; all through the real app.

The clock stands at Thursday 26 November 2026, 10:00 in Beijing.
"""

from __future__ import annotations

import pytest

from bot.app import BotApp
from tests.conftest import Chat, payloads_of, text_of


async def subscribe(chat: Chat, date: str = "2027-06-15") -> None:
    await chat.press("remind:new")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    await chat.say(date)
    await chat.press("rsave")
    assert len(await chat.app.store.subscriptions("test", chat.chat_id)) >= 1


# Reminders by words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "question", "listed"),
    [
        ("en", "show my reminders", "You have 1 reminder:"),
        ("en", "cancel my reminder", "You have 1 reminder:"),
        ("en", "stop the reminder", "You have 1 reminder:"),
        ("zh", "我的提醒", "您有1条提醒："),
        ("zh", "取消我的提醒", "您有1条提醒："),
        ("de", "meine Erinnerungen", "Sie haben 1 Erinnerung:"),
    ],
)
async def test_reminders_by_words_list_them_with_stop_buttons(
    app: BotApp, language: str, question: str, listed: str
) -> None:
    chat = Chat(app, language=language)
    await subscribe(chat)
    replies = await chat.say(question)
    assert listed in text_of(replies)
    assert "unsub:1" in payloads_of(replies) and "remind:new" in payloads_of(replies)
    assert "ev:expiry" not in payloads_of(replies)  # no new reminder started


async def test_menu_reminder_button_shows_existing_first_then_offers_a_new_one(
    app: BotApp,
) -> None:
    chat = Chat(app)
    first = await chat.press("remind")  # nothing set yet: straight into the wizard
    assert "What should I remind you about?" in text_of(first)
    await chat.press("cancel")
    await subscribe(chat)
    replies = await chat.press("remind")
    assert "You have 1 reminder:" in text_of(replies)
    assert "What should I remind you about?" not in text_of(replies)
    assert payloads_of(replies) == ["unsub:1", "remind:new"]
    new = await chat.press("remind:new")
    assert "What should I remind you about?" in text_of(new)


async def test_my_reminders_without_any_offers_to_add_one(app: BotApp) -> None:
    replies = await Chat(app, language="zh").say("我的提醒")
    assert "没有" in text_of(replies) and payloads_of(replies) == ["remind:new"]


async def test_reminders_by_words_in_a_group_point_to_a_private_chat(app: BotApp) -> None:
    from bot.core.types import Inbound, InboundKind

    now = app.engine.services.clock.now()
    for words in ("show my reminders", "remind me to renew"):
        replies = await app.engine.handle(
            Inbound("test", "-500", InboundKind.TEXT, now, text=words, private=False)
        )
        assert "only in a private chat" in text_of(replies)
        assert not await app.store.subscriptions("test", "-500")
