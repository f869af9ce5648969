"""Reading days, dates, times and lengths out of questions (data/lexicon.yaml and Babel)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import Resources

TODAY = dt.date(2026, 11, 26)  # a Thursday


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("are you open on 1 May?", dt.date(2027, 5, 1)),
        ("habt ihr am 1. Mai offen?", dt.date(2027, 5, 1)),
        ("ouvert le 1er mai ?", dt.date(2027, 5, 1)),
        ("¿abren el 20 de agosto de 2027?", dt.date(2027, 8, 20)),
        ("вы работаете 1 мая?", dt.date(2027, 5, 1)),
        ("هل أنتم مفتوحون يوم ١ مايو؟", dt.date(2027, 5, 1)),
        ("5月1日开门吗", dt.date(2027, 5, 1)),
        ("5월 1일에 열어요?", dt.date(2027, 5, 1)),
        ("open on May 3rd?", dt.date(2027, 5, 3)),
        ("expires 20.08.2027", dt.date(2027, 8, 20)),
        ("samstags geöffnet?", dt.date(2026, 11, 28)),
        ("¿abren los sábados?", dt.date(2026, 11, 28)),
        ("this Saturday open?", dt.date(2026, 11, 28)),
        ("下周一开门吗", dt.date(2026, 11, 30)),
        ("übermorgen offen?", dt.date(2026, 11, 28)),
        ("pasado mañana abren?", dt.date(2026, 11, 28)),
        ("国庆节开门吗", dt.date(2027, 10, 1)),  # the fixed date: 2027's calendar is not out
        ("how much is the fee", None),
        ("is it open now", None),
        ("may I renew 5 years early", None),
        ("30 February", None),
        ("call 12367", None),
    ],
)
def test_the_day_a_question_asks_about(
    resources: Resources, question: str, day: dt.date | None
) -> None:
    assert resources.lexicon.day(question, TODAY) == day


@pytest.mark.parametrize(
    ("question", "time"),
    [
        ("open at 12:30 tomorrow?", dt.time(12, 30)),
        ("are you open at 5pm", dt.time(17, 0)),
        ("open at 5 p.m. on saturday", dt.time(17, 0)),
        ("at 9am", dt.time(9, 0)),
        ("下午3点开门吗", dt.time(15, 0)),
        ("오후 3시에 열어요?", dt.time(15, 0)),
        ("ouvert à 15h30 ?", dt.time(15, 30)),
        ("habt ihr um 15 Uhr offen", dt.time(15, 0)),
        ("3시간 걸려요?", None),
        ("3時間かかる", None),
        ("expires 20.08.2027", None),
        ("married 5 years", None),
        ("call 12367", None),
    ],
)
def test_the_time_a_question_asks_about(
    resources: Resources, question: str, time: dt.time | None
) -> None:
    assert resources.lexicon.time(question) == time


@pytest.mark.parametrize(
    ("question", "lengths"),
    [
        ("Married 3 years, can I apply?", {"marriage": 3}),
        ("结婚三年了可以申请永居吗", {"marriage": 3}),
        ("verheiratet seit drei Jahren", {"marriage": 3}),
        ("я замужем за китайцем 3 года", {"marriage": 3}),
        ("متزوج من صينية منذ 3 سنوات", {"marriage": 3}),
        ("lived in china for 4 years", {"residence": 4}),
        ("my card expires 2027年8月20日", {}),
        ("how much is it", {}),
    ],
)
def test_lengths_of_time(resources: Resources, question: str, lengths: dict[str, int]) -> None:
    assert resources.lexicon.lengths(question) == lengths


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Back!", "back"),
        ("返回", "back"),
        ("zurück", "back"),
        ("назад", "back"),
        (" cancel ", "cancel"),
        ("取消", "cancel"),
        ("إلغاء", "cancel"),
        ("cancel my reminder", None),
        ("how do I go back to China", None),
        ("Why?", "vague"),
        ("Details please!", "more"),
        ("Dites-m'en plus", "more"),  # the hyphen and apostrophe do not matter
        ("plus de détails s'il vous plaît", "more"),
        ("자세히알려주세요", "more"),  # Korean typed without spaces
        ("تفاصيل أكثر", "more"),  # the hamza folds
        ("Können Sie das erklären?", "more"),
        ("more details about the fees", None),  # names a topic: a question
    ],
)
def test_control_words_are_whole_messages(
    resources: Resources, text: str, word: str | None
) -> None:
    assert resources.lexicon.control(text) == word
