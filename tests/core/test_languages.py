"""Every language end to end: start, menu, a question per topic, a reminder, switching."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.dates import format_date

from bot.app import BotApp
from bot.core.text import use_translator
from bot.i18n import BABEL_LOCALES, LANGUAGE_ORDER
from tests.conftest import WORKDAY_MORNING, Chat, payloads_of, text_of

PHRASES_FILE = Path(__file__).resolve().parents[1] / "dialogues" / "phrases.yaml"
PHRASES: dict[str, dict[str, str]] = (
    yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8")) if PHRASES_FILE.exists() else {}
)
REMIND_QUESTION = (
    "I can remind you before your card must be renewed: a card is renewed within one "
    "month before it expires, and after a change of card details a new card is applied "
    "for within one month. What should I remind you about?"
)
GREETING = (
    "Hello! I answer questions about the Beijing Foreign Permanent Resident ID Card: who "
    "can apply, fees, offices and opening hours, renewal, changes and lost cards."
)


def translate(app: BotApp, language: str, message: str) -> str:
    return app.translators[language].gettext(message)


def first_line_of_topic(app: BotApp, language: str, topic: str) -> str:
    """The first line of the bot's answer to a topic, in that language."""
    with use_translator(app.translators[language]):
        answer = app.engine.services.answers.topic(topic, WORKDAY_MORNING)
    return answer[0].text.splitlines()[0].removeprefix("• ")  # a typed fee question: 💰 first


@pytest.mark.parametrize("language", LANGUAGE_ORDER)
async def test_start_and_menu(app: BotApp, language: str) -> None:
    replies = await Chat(app, language=language).say("/start")
    greeting = translate(app, language, GREETING)
    assert greeting in text_of(replies)
    if language != "en":
        assert greeting != GREETING
    labels = [b.label for r in replies for row in r.buttons for b in row]
    assert translate(app, language, "💰 Fees") in labels
    assert "t:fees" in payloads_of(replies)


def _topic_cases() -> list[Any]:
    cases = []
    for language in LANGUAGE_ORDER:
        for topic, phrase in PHRASES.get(language, {}).items():
            cases.append(pytest.param(language, topic, phrase, id=f"{language}-{topic}"))
    return cases


@pytest.mark.parametrize(("language", "topic", "phrase"), _topic_cases())
async def test_free_text_question_per_topic(
    app: BotApp, language: str, topic: str, phrase: str
) -> None:
    replies = await Chat(app, language=language).say(phrase)
    text = text_of(replies)
    if topic == "reminders":
        assert "ev:expiry" in payloads_of(replies)
        expected = translate(app, language, REMIND_QUESTION)
    elif topic == "help":
        expected = translate(app, language, "You can ask me in your own words, for example:")
    else:
        expected = first_line_of_topic(app, language, topic)
        # "where is the application office?" reads as either: the office's address, or the
        # halls that take applications (each with its address a tap away); both are right
        if topic == "address" and expected not in text:
            expected = first_line_of_topic(app, language, "where_to_apply")
    assert expected in text, f"{phrase!r} did not get the {topic} answer:\n{text}"


@pytest.mark.parametrize("language", LANGUAGE_ORDER)
async def test_reminder_subscription(app: BotApp, language: str) -> None:
    chat = Chat(app, language=language)
    await chat.say("/remind")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    typed = format_date(dt.date(2027, 6, 15), format="long", locale=BABEL_LOCALES[language])
    replies = await chat.say(typed)
    shown = app.translators[language].format_date(dt.date(2027, 5, 15))
    assert shown in text_of(replies)
    assert "rsave" in payloads_of(replies)
    saved = await chat.press("rsave")
    assert any(r.attachment is not None for r in saved)
    (subscription,) = await app.store.subscriptions("test", chat.chat_id)
    assert subscription.event_date == dt.date(2027, 6, 15)


@pytest.mark.parametrize("language", [code for code in LANGUAGE_ORDER if code != "en"])
async def test_switching_language(app: BotApp, language: str) -> None:
    chat = Chat(app, language="en")
    offered = await chat.say("/language")
    assert f"lang:{language}" in payloads_of(offered)
    replies = await chat.press(f"lang:{language}")
    done = translate(app, language, "Done: I will answer in English from now on.")
    assert done in text_of(replies) and done != "Done: I will answer in English from now on."
    fees = await chat.say("/fees")
    assert first_line_of_topic(app, language, "fees") in text_of(fees)


TOPICS = ("fees", "hours", "open_now", "address", "eligibility", "renewal", "change", "loss",
          "process", "collection", "documents", "processing_time", "contact")


@pytest.mark.parametrize("language", LANGUAGE_ORDER)
async def test_no_answer_leaves_a_placeholder_or_exceeds_the_limit(
    app: BotApp, language: str
) -> None:
    chat = Chat(app, language=language)
    for topic in TOPICS:
        for reply in await chat.press(f"t:{topic}"):
            assert "{" not in reply.text and "}" not in reply.text, (topic, reply.text)
            assert len(reply.text) <= 4096


async def test_arabic_reads_right_to_left_with_its_numbers_intact(app: BotApp) -> None:
    text = text_of(await Chat(app, language="ar").say("/fees"))
    first = next(ch for ch in text if ch.isalpha())
    assert "\u0600" <= first <= "\u06ff"  # starts with an Arabic letter: the client shows RTL
    assert "1,500" in text and "600" in text and "2026" in text
    assert not any(ch in text for ch in "\u202a\u202b\u202d\u202e")  # no embedding overrides
