"""Out of scope and general-versus-specific questions, through the real engine and catalogs.

A question about a visa, a work permit or the weather gets a plain "outside what I know",
where to ask (12367, from data/rules.yaml) and no permanent-residence answer; a general
question about permanent residence gets the overview of who can apply; a described situation
gets its pathway, or the two closest with a question to decide.
"""

from __future__ import annotations

import pytest

from bot.app import BotApp
from bot.core.text import use_translator
from tests.conftest import WORKDAY_MORNING, Chat, payloads_of, text_of

OUTSIDE = (
    "That is outside what I know: I only answer questions about the Beijing foreign "
    "permanent resident ID card (permanent residence)."
)

# Written for this test, not taken from the examples or any test set. The last field: the
# question names a visa or permit, so the reply says who handles those (data/rules.yaml).
OUT_OF_SCOPE = [
    ("en", "could you tell me how to extend my tourist visa by another month", True),
    ("en", "what will the weather be like tomorrow in beijing", False),
    ("en", "my employer needs to renew my work permit, what papers", True),
    ("zh", "我的旅游签证想再延一个月怎么弄", True),
    ("zh", "明天北京天气好吗", False),
    ("ru", "как мне продлить туристическую визу еще на месяц", True),
    ("de", "wie wird das wetter morgen in peking", False),
    ("es", "como puedo extender mi visa de turista otro mes", True),
    ("fr", "comment prolonger mon visa touristique d'un mois", True),
    ("ar", "كيف امدد الفيزا السياحية شهر ثاني", True),
    ("ja", "観光ビザをもう1か月延ばしたい", True),
    ("ko", "관광비자 한달 더 연장하고 싶어요", True),
]


def _topic_first_lines(app: BotApp, language: str) -> list[str]:
    lines = []
    with use_translator(app.translators[language]):
        for topic in ("renewal", "eligibility", "hours", "open_now", "fees", "process"):
            answer = app.engine.services.answers.topic(topic, WORKDAY_MORNING)
            lines.append(answer[0].text.splitlines()[0])
    return lines


@pytest.mark.parametrize(("language", "text", "permit"), OUT_OF_SCOPE)
async def test_out_of_scope_gets_the_plain_answer_and_no_pr_facts(
    app: BotApp, language: str, text: str, permit: bool
) -> None:
    replies = await Chat(app, language=language).say(text)
    said = text_of(replies)
    translator = app.translators[language]
    assert translator.gettext(OUTSIDE) in said
    rule = app.knowledge.rules["other_matters"]
    assert (translator.gettext(rule.text) in said) is permit
    if language != "en":
        assert translator.gettext(OUTSIDE) != OUTSIDE
    for first_line in _topic_first_lines(app, language):
        assert first_line not in said, f"{text!r} got a permanent-residence answer"


async def test_out_of_scope_may_offer_a_plausible_card_topic(app: BotApp) -> None:
    replies = await Chat(app).say("how do I extend my tourist visa")
    assert OUTSIDE in text_of(replies)
    assert "t:renewal" in payloads_of(replies)  # "did you mean": card renewal, as a button
    assert "Card renewal" not in replies[0].text


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "how do I get PR"),
        ("en", "who can get a Chinese green card"),
        ("zh", "绿卡怎么拿啊"),
        ("ru", "как получить ПМЖ"),
        ("ko", "영주권 어떻게 받아요"),
        ("ja", "永住権を取るには"),
        ("fr", "comment obtenir la résidence permanente"),
        ("de", "wie bekomme ich einen Daueraufenthalt"),
        ("es", "cómo obtener la residencia permanente"),
        ("ar", "كيف احصل على الإقامة الدائمة"),
    ],
)
async def test_general_question_gets_the_overview(app: BotApp, language: str, text: str) -> None:
    replies = await Chat(app, language=language).say(text)
    overview = app.translators[language].gettext("Who can get permanent residence in Beijing:")
    assert overview in text_of(replies)
    assert not any(p.startswith("pw:") for p in payloads_of(replies))


@pytest.mark.parametrize(
    ("text", "pathway"),
    [
        ("my husband is Chinese", "spouse"),
        ("I have invested in Beijing", "investment"),
        ("I am the deputy general manager of a foreign company", "senior_employment"),
        ("can my wife get PR", "spouse"),
        ("can my husband get a green card", "spouse"),
    ],
)
async def test_described_situation_gets_its_pathway(app: BotApp, text: str, pathway: str) -> None:
    replies = await Chat(app).say(text)
    title = next(p.title for p in app.knowledge.pathways if p.id == pathway)
    assert title in text_of(replies)
    assert "Who can get permanent residence in Beijing:" not in text_of(replies)


async def test_two_close_pathways_are_offered_with_a_question(app: BotApp) -> None:
    # people of Chinese origin have several routes: with a doctorate, or through their employer
    replies = await Chat(app).say("I am of Chinese origin and work in Beijing")
    text = text_of(replies)
    assert "Which of these describes you better?" in text
    offered = [p for p in payloads_of(replies) if p.startswith("pw:")]
    assert sorted(offered) == ["pw:chinese_origin_doctorate", "pw:chinese_origin_zgc"]
    chosen = await Chat(app).press("pw:chinese_origin_doctorate")
    title = next(p.title for p in app.knowledge.pathways if p.id == "chinese_origin_doctorate")
    assert title in text_of(chosen)


async def test_habitual_weekday_gets_that_days_hours(app: BotApp) -> None:
    """ "samstags" (on Saturdays) is Saturday, not today: the Thursday test clock's next one."""
    replies = await Chat(app, language="de").say("Habt ihr samstags offen?")
    assert "28. November 2026" in text_of(replies)
