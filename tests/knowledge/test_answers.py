"""The answers facade: every menu topic has an answer in the dispatch table, nothing else does."""

from __future__ import annotations

import re

import pytest

from bot.app import Resources
from bot.core.menu import Topic
from bot.knowledge.answers import TOPICS, KnowledgeAnswers
from bot.knowledge.hours import ChineseCalendar
from tests.conftest import WORKDAY_MORNING


def test_every_topic_has_an_answer() -> None:
    assert set(TOPICS) == {topic.value for topic in Topic}


@pytest.mark.parametrize("topic", list(Topic), ids=str)
def test_each_topic_answers_with_a_source(resources: Resources, topic: Topic) -> None:
    answers = KnowledgeAnswers(resources.knowledge, ChineseCalendar(), resources.lexicon)
    messages = answers.topic(topic.value, WORKDAY_MORNING)
    assert messages
    # One short last line: the (first, official) source and the date checked.
    footer = r"\n\nSource( \(not an official page\))?: http\S+, checked 2026-11-26$"
    assert re.search(footer, messages[0].text)


@pytest.mark.parametrize("name", ["nonsense", "renewal_text", "kb", "fee_line"])
def test_unknown_topic_is_a_key_error(resources: Resources, name: str) -> None:
    answers = KnowledgeAnswers(resources.knowledge, ChineseCalendar(), resources.lexicon)
    with pytest.raises(KeyError):
        answers.topic(name, WORKDAY_MORNING)
