"""The answers composed within a minute are kept, and a kept answer is never a stale one.

Each check compares what the memo gives with what a memo of size 0 (compose every time)
gives for the same topic, question, language and moment: across a minute, across midnight,
across a change of language, and for different questions to one topic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.app import BotApp, Resources
from bot.core.menu import Topic
from bot.core.text import use_translator
from bot.core.types import Outbound
from bot.knowledge.answers import ANSWER_MEMO, MEMO_QUERY, KnowledgeAnswers
from bot.knowledge.hours import HolidayCalendar
from tests.conftest import Chat, text_of

BEIJING = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    """A moment of November 2026 in Beijing (the 26th is a Thursday)."""
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=BEIJING)


@pytest.fixture
def answers(resources: Resources, calendar: HolidayCalendar) -> KnowledgeAnswers:
    return KnowledgeAnswers(resources.knowledge, calendar, resources.lexicon)


@pytest.fixture
def fresh(resources: Resources, calendar: HolidayCalendar) -> KnowledgeAnswers:
    """The same answers without a memo: composed every time."""
    plain = KnowledgeAnswers(resources.knowledge, calendar, resources.lexicon)
    plain.memo.resize(0)
    return plain


def texts(messages: list[Outbound]) -> list[str]:
    return [m.text for m in messages]


def test_same_minute_same_question_is_kept(answers: KnowledgeAnswers) -> None:
    first = answers.topic("hours", at(26, 10, 0, 5), "opening hours")
    hits = answers.memo.hits
    again = answers.topic("hours", at(26, 10, 0, 55), "opening hours")
    assert answers.memo.hits == hits + 1
    assert again == first
    assert again is not first  # a list of its own: a caller changing it changes no other


@pytest.mark.parametrize(
    ("topic", "query", "before", "after", "shown_before", "shown_after"),
    [
        # the minute shown in "Now in Beijing" moves on
        ("open_now", "", at(26, 10, 0, 59), at(26, 10, 1, 0), "10:00.", "10:01."),
        # the main hall closes at 17:00: open a second before, closed at 17:00:00
        ("open_now", "", at(26, 16, 59, 59), at(26, 17, 0, 0), "until 17:00", "Closed now"),
        ("hours", "", at(26, 16, 59, 59), at(26, 17, 0, 0), "until 17:00", "Closed now"),
        # across midnight: Saturday night (next opening Monday), then Sunday (closed on Sundays)
        ("hours", "", at(28, 23, 59, 59), at(29, 0, 0, 0), "Next opening: Monday", "Sundays"),
        ("open_now", "", at(27, 23, 59, 59), at(28, 0, 0, 0), "Friday", "Saturday"),
        # "tomorrow" is another day after midnight
        ("open_now", "open tomorrow?", at(26, 23, 59, 59), at(27, 0, 0, 0), "Friday", "Saturday"),
    ],
)
def test_a_new_minute_or_day_is_composed_again(
    answers: KnowledgeAnswers,
    fresh: KnowledgeAnswers,
    topic: str,
    query: str,
    before: dt.datetime,
    after: dt.datetime,
    shown_before: str,
    shown_after: str,
) -> None:
    first = answers.topic(topic, before, query)
    second = answers.topic(topic, after, query)
    assert texts(first) == texts(fresh.topic(topic, before, query))
    assert texts(second) == texts(fresh.topic(topic, after, query))
    assert shown_before in first[0].text
    assert shown_after in second[0].text
    assert texts(first) != texts(second)


def test_each_language_gets_its_own_answer(
    answers: KnowledgeAnswers, fresh: KnowledgeAnswers, app: BotApp
) -> None:
    moment = at(26, 10, 0)
    for language in ("en", "zh", "en", "ru", "zh"):
        with use_translator(app.translators[language]):
            for topic in Topic:
                got = answers.topic(topic.value, moment)
                assert got == fresh.topic(topic.value, moment), (language, topic)
    with use_translator(app.translators["zh"]):
        assert "开放" in answers.topic("hours", moment)[0].text
    with use_translator(app.translators["en"]):
        assert "Open now" in answers.topic("hours", moment)[0].text


def test_each_question_gets_its_own_answer(
    answers: KnowledgeAnswers, fresh: KnowledgeAnswers
) -> None:
    moment = at(26, 10, 0)
    for query in ("", "card fee", "renewal fee", "what does the lost card cost", "fees"):
        assert answers.topic("fees", moment, query) == fresh.topic("fees", moment, query)
    for query in ("", "shijingshan", "open on saturday?", "at 12:30", "tomorrow"):
        assert answers.topic("open_now", moment, query) == fresh.topic("open_now", moment, query)
    renewal = answers.topic("renewal", moment, "my card expires on 1 March 2027")
    assert renewal == fresh.topic("renewal", moment, "my card expires on 1 March 2027")
    assert renewal != answers.topic("renewal", moment, "")


def test_details_are_kept_the_same_way(answers: KnowledgeAnswers, fresh: KnowledgeAnswers) -> None:
    moment = at(26, 10, 0)
    for section in ("offices", "sources", "nonsense"):
        assert answers.details("hours", section, moment) == fresh.details("hours", section, moment)
    kept = answers.details("hours", "offices", moment)
    assert answers.details("hours", "offices", moment) == kept
    assert answers.details("hours", "sources", moment) != kept


def test_bounded_and_cleared_each_minute(answers: KnowledgeAnswers) -> None:
    moment = at(26, 10, 0)
    for n in range(ANSWER_MEMO + 20):
        answers.topic("fees", moment, f"fee {n}")
    assert len(answers.memo) == ANSWER_MEMO
    answers.topic("fees", moment + dt.timedelta(minutes=1), "fee")
    assert len(answers.memo) == 1  # nothing of the earlier minute is kept
    answers.topic("fees", moment + dt.timedelta(minutes=1), "x" * (MEMO_QUERY + 1))
    assert len(answers.memo) == 1  # a long question is not kept
    answers.topic("fees", moment, "fee")
    assert len(answers.memo) == 1  # an earlier minute again: the other minute's answer is gone
    assert answers.memo.hits == 0


async def test_a_chat_that_changes_language_gets_the_new_one(app: BotApp) -> None:
    chat = Chat(app, language="en")
    english = text_of(await chat.say("/hours"))
    assert "Open now" in english
    await chat.press("lang:zh")
    chinese = text_of(await chat.say("/hours"))
    assert chinese != english
    assert "开放" in chinese
    other = Chat(app, chat_id="1002", language="en")
    assert text_of(await other.say("/hours")) == english  # the same minute, kept, English


def test_prbot_memo_off_composes_every_time(resources: Resources, tmp_path: Path) -> None:
    from bot.app import build_app
    from tests.conftest import make_settings

    app = build_app(make_settings(tmp_path / "db.sqlite3", memo=False), resources=resources)
    answers = app.engine.services.answers
    assert isinstance(answers, KnowledgeAnswers)
    assert answers.memo.size == 0
    answers.topic("fees", at(26, 10, 0))
    assert len(answers.memo) == 0
    on = build_app(make_settings(tmp_path / "db2.sqlite3"), resources=resources)
    assert isinstance(on.engine.services.answers, KnowledgeAnswers)
    assert on.engine.services.answers.memo.size == ANSWER_MEMO
