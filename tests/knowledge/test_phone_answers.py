"""Answers that fit a phone: the first message of every topic, in every language and at every
kind of moment, answers in at most 600 characters (350 in Chinese, Japanese and Korean), ends
with one source line, and leaves the rest one tap away; fee questions get the fee first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.app import BotApp, Resources
from bot.core.menu import Topic
from bot.core.text import use_translator
from bot.core.types import Outbound
from bot.knowledge.answers import DETAILS, KnowledgeAnswers
from bot.knowledge.hours import ChineseCalendar
from tests.conftest import Chat, payloads_of, text_of

LANGUAGES = ("en", "zh", "ru", "ko", "ja", "fr", "de", "es", "ar")
CJK = ("zh", "ja", "ko")
CHECKED = dt.date(2026, 11, 26)


def limit(language: str) -> int:
    """The most characters a first message may have in this language."""
    return 350 if language in CJK else 600


def beijing(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))


MOMENTS = {
    "weekday open": beijing(11, 26, 10),
    "weekday lunch": beijing(11, 26, 12, 30),
    "saturday morning": beijing(11, 28, 10),
    "saturday afternoon": beijing(11, 28, 13),
    "sunday": beijing(11, 29, 11),
    "national day": beijing(10, 1, 10),
    "spring festival": beijing(2, 17, 10),
    "adjusted working sunday": beijing(9, 20, 10),
    "night": beijing(11, 26, 23, 30),
    "new year's eve (next year unpublished)": beijing(12, 31, 23, 30),
    "a year without holiday data": beijing(3, 10, 10, year=2027),
}

PHRASES = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "dialogues" / "phrases.yaml").read_text("utf-8")
)


@pytest.fixture(scope="module")
def answers(resources: Resources) -> KnowledgeAnswers:
    return KnowledgeAnswers(resources.knowledge, ChineseCalendar(), resources.lexicon)


def assert_fits(message: Outbound, language: str, resources: Resources, what: str) -> None:
    """At most the language's limit, and one short source line (with the date) at the end."""
    text = message.text
    assert len(text) <= limit(language), f"{what}: {len(text)} characters\n{text}"
    source_lines = [line for line in text.splitlines() if "http" in line]
    assert len(source_lines) == 1, f"{what}: one source line expected\n{text}"
    date = resources.translators[language].format_date(CHECKED)
    assert text.endswith(source_lines[0]) and date in source_lines[0], f"{what}\n{text}"


@pytest.mark.parametrize("moment", list(MOMENTS), ids=str)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_first_message_fits_a_phone(
    resources: Resources, answers: KnowledgeAnswers, language: str, moment: str
) -> None:
    now = MOMENTS[moment]
    with use_translator(resources.translators[language]):
        for topic in Topic:
            first = answers.topic(topic.value, now)[0]
            assert_fits(first, language, resources, f"{topic} ({language}, {moment})")
        for office in resources.knowledge.offices:
            card = answers.office(office.id, now)[0]
            assert_fits(card, language, resources, f"card {office.id} ({language}, {moment})")


RULE_WORDS = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "data" / "lexicon.yaml").read_text("utf-8")
)["rule_words"]
# a topic and a rule of its details that a question can bring into its first answer
NAMED_RULES = (
    ("change", "new_passport"),
    ("status", "card_2023"),
    ("status", "cancellation"),
    ("process", "agent_filing"),
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_first_message_led_by_a_named_rule_fits(
    resources: Resources, answers: KnowledgeAnswers, language: str
) -> None:
    now = MOMENTS["weekday open"]
    with use_translator(resources.translators[language]):
        for topic, rule in NAMED_RULES:
            query = RULE_WORDS[rule][language][0]
            first = answers.topic(topic, now, query)[0]
            plain = answers.topic(topic, now)[0]
            assert first.text != plain.text, f"{topic} ({language}): {query!r} changed nothing"
            assert_fits(first, language, resources, f"{topic} asked with {query!r} ({language})")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_typed_questions_get_a_first_message_that_fits(
    app: BotApp, resources: Resources, language: str
) -> None:
    questions = [q for intent, q in PHRASES[language].items() if intent in set(Topic)]
    assert len(questions) == len(Topic)
    for moment in ("weekday open", "saturday afternoon", "national day", "night"):
        app.engine.services.clock.current = MOMENTS[moment]  # type: ignore[attr-defined]
        for question in questions:
            first = (await Chat(app, language=language).say(question))[0]
            assert_fits(first, language, resources, f"{question!r} ({moment})")


@pytest.mark.parametrize(
    "question",
    [
        "Is Shijingshan open on Saturday?",
        "When does the Government Service Center open?",
        "where is the Chaoyang office",
        "opening hours of Zhongguancun",
        "is it open on sunday?",
    ],
)
async def test_questions_naming_an_office_or_a_day_fit(
    app: BotApp, resources: Resources, question: str
) -> None:
    for now in MOMENTS.values():
        app.engine.services.clock.current = now  # type: ignore[attr-defined]
        for reply in await Chat(app).say(question):
            if reply.text and "http" in reply.text:
                assert_fits(reply, "en", resources, f"{question!r} at {now}")


# The details -------------------------------------------------------------------------------

#: Topics whose first answer leaves something one tap away, and a line only the details have.
DETAIL_MARKERS = {
    ("hours", "offices"): "Closed for lunch from 12:00 to 13:30",
    ("hours", "sources"): "a 2014 page gave 09:00 to 12:00",
    ("open_now", "offices"): "Hours not published for:",
    ("renewal", "more"): "Shanghai asks for renewal no later than 30 days",
    ("renewal", "documents"): "Shanghai's official list asks for the form and 2 photos",
    ("change", "more"): "The card shows your name, sex, date of birth",
    ("change", "documents"): "Shanghai's official list",
    ("loss", "more"): "publish a cancellation notice in a newspaper",
    ("loss", "documents"): "a loss statement for a lost card",
    ("collection", "more"): "must collect the card within 30 days after entering China",
    ("processing_time", "more"): "180 working days in Beijing",
    ("process", "more"): "Beijing International Travel Health Care Center",
    ("documents", "more"): "If you still hold a Chinese household registration",
    ("contact", "more"): "answers 24 hours a day in Chinese and English",
    ("authority", "more"): "National announcements from 2023 call it a card issued by",
    ("where_to_apply", "more"): "Renewals and replacements are handled at more halls",
    ("status", "more"): "In June 2017 the old Foreigner Permanent Residence Permit was replaced",
}


DETAIL_IDS = [f"{topic}:{section}" for topic, section in DETAIL_MARKERS]


def test_every_detail_section_is_known() -> None:
    offered = {(topic, section) for topic, section in DETAIL_MARKERS}
    by_record = {"office", "pathway", "pdocs"}  # `more:<kind>:<record id>`, tested below
    assert {topic for topic, _section in offered} | by_record == set(DETAILS)


@pytest.mark.parametrize(("topic", "section"), list(DETAIL_MARKERS), ids=DETAIL_IDS)
def test_details_replace_the_short_answer(
    answers: KnowledgeAnswers, topic: str, section: str
) -> None:
    (details,) = answers.details(topic, section, MOMENTS["weekday open"])
    assert details.edit  # sent in place of the message whose button was pressed
    assert DETAIL_MARKERS[(topic, section)] in details.text


@pytest.mark.parametrize(("topic", "section"), list(DETAIL_MARKERS), ids=DETAIL_IDS)
async def test_details_buttons_lead_to_the_details_and_back(
    app: BotApp, topic: str, section: str
) -> None:
    chat = Chat(app)
    first = await chat.press(f"t:{topic}")
    marker = DETAIL_MARKERS[(topic, section)]
    assert marker not in text_of(first), "the detail is already in the first answer"
    assert f"more:{topic}:{section}" in payloads_of(first)
    details = await chat.press(f"more:{topic}:{section}")
    assert len(details) == 1
    assert marker in details[0].text
    assert "Information, not legal advice. For your own case: hotline 12367." in details[0].text
    assert f"t:{topic}" in payloads_of(details), "a way back to the short answer"
    back = await chat.press(f"t:{topic}")
    assert text_of(back) == text_of(first)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_details_in_every_language(app: BotApp, resources: Resources, language: str) -> None:
    chat = Chat(app, language=language)
    for topic, section in DETAIL_MARKERS:
        reply = await chat.press(f"more:{topic}:{section}")
        assert "12367" in reply[0].text
        back = resources.translators[language].gettext("↩ Back")
        assert back in [b.label for row in reply[0].buttons for b in row]


async def test_address_leads_to_every_office(app: BotApp) -> None:
    chat = Chat(app)
    card = await chat.say("/address")
    assert len(card) == 1
    assert "🚕 For the taxi driver: 东城区安定门东大街2号" in card[0].text
    assert "No. 2 Andingmen East Street" not in card[0].text, "the English address is a tap away"
    assert any(b.url and "amap.com" in b.url for row in card[0].buttons for b in row)
    details = await chat.press("more:office:main")
    assert "No. 2 Andingmen East Street" in details[0].text
    assert "Yonghegong" in details[0].text and "+86 10 8402 0101" in details[0].text
    assert "oc:main" in payloads_of(details)
    offices = await chat.press("of:")
    assert "Tongzhou" in offices[0].text and "oc:zhongguancun" in payloads_of(offices)
    zhongguancun = await chat.press("oc:zhongguancun")
    assert "海淀区双榆树北里甲22号院" in zhongguancun[0].text


def test_office_pages_replace_the_message_they_come_from(answers: KnowledgeAnswers) -> None:
    now = MOMENTS["weekday open"]
    assert answers.office_list(None).edit and answers.office_list("first_application").edit
    assert answers.office("zhongguancun", now)[0].edit
    assert answers.details("office", "zhongguancun", now)[0].edit
    assert not answers.topic("address", now)[0].edit  # a new question gets a new message


@pytest.mark.parametrize(
    "payload", ["more:hours:nope", "more:nope:offices", "more:office:nope", "more:", "more:fees:x"]
)
async def test_an_unknown_details_button_is_refused(app: BotApp, payload: str) -> None:
    assert "no longer valid" in text_of(await Chat(app).press(payload))


# Pathways ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_pathway_answer_fits_a_phone(
    resources: Resources, answers: KnowledgeAnswers, language: str
) -> None:
    """A pathway (typed or chosen), its documents and every result of the check: at most a
    screen, the rest one tap away."""
    now = MOMENTS["weekday open"]
    pathways = resources.knowledge.pathways
    ids = [p.id for p in pathways if p.id != "general"]
    with use_translator(resources.translators[language]):
        for found in pathways:
            assert_fits(answers.pathway(found.id, now)[0], language, resources, found.id)
            typed = answers.pathway(found.id, now, "married 3 years, lived here 4 years")[0]
            assert_fits(typed, language, resources, f"{found.id} with lengths")
            for documents in answers.pathway_documents(found.id, now):
                assert_fits(documents, language, resources, f"documents of {found.id}")
        for count in (1, 2, 3, 4):
            fits = ids[-count:]
            (result,) = answers.eligibility_result(fits, [], now)
            assert_fits(result, language, resources, f"check result {fits}")


async def test_a_long_pathway_keeps_its_conditions_and_documents_one_tap_away(
    app: BotApp,
) -> None:
    chat = Chat(app)
    card = await chat.say("my husband is chinese, we have been married for 3 years")
    text = text_of(card)
    assert text.startswith("This route asks for at least 5 years of marriage; with 3, 2 years")
    assert "Spouse reunion" in text and "Documents:" not in text
    assert "pd:spouse" in payloads_of(card) and "more:pathway:spouse" in payloads_of(card)
    full = await chat.press("more:pathway:spouse")
    assert "Conditions:" in full[0].text and "Good to know:" in full[0].text
    assert "pw:spouse" in payloads_of(full), "the way back to the short card"
    documents = await chat.press("pd:spouse")
    assert documents[0].text.startswith("Documents for: Spouse reunion")
    assert "more documents: tap “All documents”" in documents[0].text
    everything = await chat.press("more:pdocs:spouse")
    assert "pd:spouse" in payloads_of(everything)
    assert len(everything[0].text) > len(documents[0].text)


def test_pathway_details_replace_the_card(answers: KnowledgeAnswers) -> None:
    now = MOMENTS["weekday open"]
    assert answers.details("pathway", "spouse", now)[0].edit
    assert answers.details("pdocs", "spouse", now)[0].edit


@pytest.mark.parametrize("payload", ["more:pathway:nope", "more:pdocs:nope", "more:pdocs:general"])
async def test_an_unknown_pathway_details_button_is_refused(app: BotApp, payload: str) -> None:
    assert "no longer valid" in text_of(await Chat(app).press(payload))


# The fee first -----------------------------------------------------------------------------

#: Questions naming one fee, in every language, and the fee each names.
FEE_QUESTIONS = {
    "en": [("How much is the renewal fee?", "renewal"), ("fee for a lost card", "replacement")],
    "zh": [("换证费用多少钱？", "renewal"), ("证件丢了补办要多少钱？", "replacement")],
    "ru": [
        ("Сколько стоит продление карты?", "renewal"),
        ("Сколько стоит замена потерянной карты?", "replacement"),
    ],
    "ko": [
        ("카드 갱신 비용은 얼마인가요?", "renewal"),
        ("분실한 카드 재발급 비용은 얼마인가요?", "replacement"),
    ],
    "ja": [
        ("カードの更新手数料はいくらですか？", "renewal"),
        ("紛失したカードの再発行はいくらですか？", "replacement"),
    ],
    "fr": [
        ("Combien coûte le renouvellement de la carte ?", "renewal"),
        ("Combien coûte le remplacement d'une carte perdue ?", "replacement"),
    ],
    "de": [
        ("Was kostet die Verlängerung der Karte?", "renewal"),
        ("Was kostet der Ersatz für einen verlorenen Ausweis?", "replacement"),
    ],
    "es": [
        ("¿Cuánto cuesta la renovación de la tarjeta?", "renewal"),
        ("¿Cuánto cuesta reponer una tarjeta perdida?", "replacement"),
    ],
    "ar": [
        ("كم تكلفة تجديد البطاقة؟", "renewal"),
        ("كم تكلفة استبدال بطاقة مفقودة؟", "replacement"),
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_fees_topic_puts_the_fee_asked_for_first(
    resources: Resources, answers: KnowledgeAnswers, language: str
) -> None:
    translator = resources.translators[language]
    with use_translator(translator):
        for question, fee_id in FEE_QUESTIONS[language]:
            first_line = answers.topic("fees", MOMENTS["weekday open"], question)[0].text
            first_line = first_line.splitlines()[0]
            assert first_line == "💰 " + answers.fee_line(fee_id), question
        plain = answers.topic("fees", MOMENTS["weekday open"])[0].text
        assert plain.startswith("• " + answers.fee_line("application"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_fee_questions_in_any_topic_show_the_fee_first(
    app: BotApp, resources: Resources, language: str
) -> None:
    """Wherever a fee question lands (fees, renewal or loss), its first line gives the fee."""
    amounts = {
        fee.id: resources.translators[language].format_money(fee.amount, fee.currency)
        for fee in resources.knowledge.fees
    }
    for question, fee_id in FEE_QUESTIONS[language]:
        first = (await Chat(app, language=language).say(question))[0].text
        assert first.startswith("💰"), f"{question!r}:\n{first}"
        assert amounts[fee_id] in first.splitlines()[0], f"{question!r}:\n{first}"


@pytest.mark.parametrize(
    ("command", "fee_id"), [("renewal", "renewal"), ("change", "renewal"), ("lost", "replacement")]
)
@pytest.mark.parametrize("language", LANGUAGES)
async def test_card_answers_start_with_their_fee(
    app: BotApp, resources: Resources, language: str, command: str, fee_id: str
) -> None:
    fee = resources.knowledge.fee(fee_id)
    amount = resources.translators[language].format_money(fee.amount, fee.currency)
    first = (await Chat(app, language=language).say(f"/{command}"))[0].text
    assert first.startswith("💰") and amount in first.splitlines()[0]
