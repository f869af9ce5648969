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


def _first_line(app: BotApp, language: str, topic: str) -> str:
    """The first line of a topic's answer, in a language."""
    with use_translator(app.translators[language]):
        answer = app.engine.services.answers.topic(topic, WORKDAY_MORNING)
    return answer[0].text.splitlines()[0]


# The card answers a question about another matter must not get.
CARD_TOPICS = (
    "fees",
    "processing_time",
    "renewal",
    "hours",
    "open_now",
    "address",
    "where_to_apply",
    "eligibility",
    "process",
)


def _assert_outside(app: BotApp, language: str, text: str, said: str, permit: bool) -> None:
    """The reply says the question is outside what the bot knows; names the exit-entry
    administration and 12367 (rule other_matters) exactly when a visa or permit is named;
    and gives none of the card answers."""
    translator = app.translators[language]
    assert translator.gettext(OUTSIDE) in said
    rule = translator.gettext(app.knowledge.rules["other_matters"].text)
    assert (rule in said) is permit
    assert ("12367" in said) is permit
    for topic in CARD_TOPICS:
        assert _first_line(app, language, topic) not in said, f"{text!r} got the {topic} answer"


@pytest.mark.parametrize(("language", "text", "permit"), OUT_OF_SCOPE)
async def test_out_of_scope_gets_the_plain_answer_and_no_pr_facts(
    app: BotApp, language: str, text: str, permit: bool
) -> None:
    said = text_of(await Chat(app, language=language).say(text))
    _assert_outside(app, language, text, said, permit)
    if language != "en":
        assert app.translators[language].gettext(OUTSIDE) != OUTSIDE


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "how do I get an American green card"),
        ("en", "is the green card lottery open this year"),
        ("zh", "美国绿卡怎么申请"),
        ("es", "¿cómo consigo la residencia permanente en España?"),
        ("de", "wie bekomme ich eine amerikanische Green Card"),
        ("ko", "미국 영주권 어떻게 받아요"),
        ("ru", "как получить грин карту США"),
        # a country from `out_of_scope.countries` beside a name of the subject
        ("en", "permanent residence in new zealand requirements"),
        ("fr", "comment renouveler ma résidence permanente au Canada"),
        ("zh", "加拿大绿卡怎么续"),
        ("ja", "カナダの永住権の更新方法"),
        ("ar", "كم رسوم الإقامة الدائمة في ألمانيا"),
        # a country's adjective or name from `out_of_scope.nationalities` before or after one
        ("en", "japanese permanent residency requirements"),
        ("en", "how long does permanent residency australia take"),
        ("de", "Voraussetzungen für den kanadischen Daueraufenthalt"),
        ("ru", "как получить канадское ПМЖ"),
    ],
)
async def test_another_countrys_permanent_residence_is_outside(
    app: BotApp, language: str, text: str
) -> None:
    """'Green card' names the bot's subject, so these had been answered with who can get
    permanent residence in Beijing."""
    said = text_of(await Chat(app, language=language).say(text))
    _assert_outside(app, language, text, said, permit=False)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I have an American green card, can I get Chinese PR?"),
        ("en", "I'm American, can I get a green card?"),
        ("zh", "我有美国绿卡，可以申请中国绿卡吗"),
    ],
)
async def test_the_card_named_beside_another_countrys_is_answered(
    app: BotApp, language: str, text: str
) -> None:
    said = text_of(await Chat(app, language=language).say(text))
    assert app.translators[language].gettext(OUTSIDE) not in said
    overview = app.translators[language].gettext("Who can get permanent residence in Beijing:")
    assert overview in said


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("I'm a Japanese PR card holder, how do I renew it", "Renewing your card:"),
        (
            "I'm a Japanese permanent resident of China, how do I renew my card?",
            "Renewing your card:",
        ),
    ],
)
async def test_a_nationality_beside_the_holder_is_answered(
    app: BotApp, text: str, answer: str
) -> None:
    """`nationalities` are joined to the status's names only: a holder who names their
    nationality still gets the card's answer."""
    said = text_of(await Chat(app, language="en").say(text))
    assert app.translators["en"].gettext(OUTSIDE) not in said
    assert answer in said


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "is there an income tax threshold for the pilot employment route"),
        ("ru", "какой порог подоходного налога для пилотной программы"),
        ("ar", "كم حد ضريبة الدخل المطلوب في البرنامج التجريبي"),
    ],
)
async def test_a_criterion_in_tax_words_is_answered(app: BotApp, language: str, text: str) -> None:
    """'Income tax' names another matter, but its threshold is a rule of the salary route
    (a `card_use` phrase)."""
    said = text_of(await Chat(app, language=language).say(text))
    translator = app.translators[language]
    assert translator.gettext(OUTSIDE) not in said
    salary = next(p.title for p in app.knowledge.pathways if p.id == "salary_tax")
    assert translator.gettext(salary) in said


async def test_the_card_lost_in_another_country_is_still_the_card(app: BotApp) -> None:
    """A country beside the card's name says where it is, not whose it is."""
    said = text_of(await Chat(app).say("I lost my PR card in the US, what do I do?"))
    assert OUTSIDE not in said
    assert "If your card is lost or damaged:" in said


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
        ("en", "who can apply for permanent residence"),  # was a choice of two pathways
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


# Questions about another matter that share a card topic's words (a fee, a waiting time, an
# expiry, opening hours, an office): written for this test, not examples or test-set
# sentences. The last field: a visa or permit is named, so the reply says who handles those.
SHARED_WORDS = [
    ("en", "what does it cost to extend a visa here", True),
    ("en", "how many weeks until my new work permit is issued", True),
    ("en", "my z visa runs out next tuesday, what now", True),
    ("en", "till what time is the bank open today", False),
    ("en", "where can i find the local tax office", False),
    ("zh", "延签证要交多少钱", True),
    ("zh", "办工作许可一般多长时间", True),
    ("zh", "下周我的签证就过期了怎么办", True),
    ("zh", "银行今天几点关门啊", False),
    ("de", "was kostet es ein visum zu verlängern", True),
    ("de", "wie viele wochen braucht man für die arbeitserlaubnis", True),
    ("de", "bis wann hat die bank heute geöffnet", False),
    ("ru", "сколько платить за продление визы", True),
    ("ru", "сколько ждать разрешение на работу", True),
    ("ru", "во сколько сегодня закрывается банк", False),
    ("es", "cuánto se paga por prorrogar el visado", True),
    ("es", "cuánto tardan en dar el permiso de trabajo", True),
    ("fr", "combien ça coûte de prolonger un visa", True),
    ("fr", "mon visa se termine mardi prochain, je fais quoi", True),
    ("ja", "就労許可が出るまで何週間かかる", True),
    ("ko", "비자 연장하려면 돈 얼마 내요", True),
    ("ko", "은행 오늘 몇 시까지 해요", False),
    ("ar", "كم أدفع لتمديد الفيزا", True),
    ("ar", "متى يفتح البنك اليوم", False),
]


@pytest.mark.parametrize(("language", "text", "permit"), SHARED_WORDS)
async def test_another_matter_in_card_words_gets_no_card_answer(
    app: BotApp, language: str, text: str, permit: bool
) -> None:
    """ "How much is a visa extension" is not the card's fee, "when does the bank close" not
    the halls' hours: the bot says it is outside what it knows, names the exit-entry
    administration and 12367 for a visa or permit (rule other_matters), and gives none of
    the card answers."""
    said = text_of(await Chat(app, language=language).say(text))
    _assert_outside(app, language, text, said, permit)


@pytest.mark.parametrize(
    ("language", "text", "topic"),
    [
        ("en", "can i pay the fee with a bank card", "fees"),
        ("de", "kann ich die gebühr mit bankkarte zahlen", "fees"),
        ("zh", "办永居证能刷银行卡付费吗", "fees"),
        # a Visa card is a bank card: these had been told "outside what I know" with 12367
        ("en", "can I pay the fee with my visa card at the counter", "fees"),
        ("fr", "est-ce qu'ils prennent la carte Visa pour payer les frais", "fees"),
        ("ko", "수수료 비자카드로 결제돼요?", "fees"),
    ],
)
async def test_card_question_naming_a_bank_or_permit_is_still_answered(
    app: BotApp, language: str, text: str, topic: str
) -> None:
    """The other matter's words do not reject a card question that uses them."""
    replies = await Chat(app, language=language).say(text)
    said = text_of(replies)
    assert app.translators[language].gettext(OUTSIDE) not in said
    assert _first_line(app, language, topic) in said


async def test_a_visa_fee_beside_a_visa_card_is_still_another_matter(app: BotApp) -> None:
    """Only the visa words inside a card's name are set aside: a visa named apart from it is
    still a visa."""
    said = text_of(await Chat(app).say("can I pay my tourist visa extension fee by visa card"))
    _assert_outside(app, "en", "", said, permit=True)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("kam el rusoom ta3 el green card?", "fees"),
        ("da3et el beta2a mn embare7, a3mel eh?", "loss"),
    ],
)
async def test_arabic_typed_in_latin_letters_is_answered_in_arabic(
    app: BotApp, text: str, topic: str
) -> None:
    """Arabizi: Arabic in Latin letters and digits (3 for ع, 2 for ء). The matcher had
    compared it with the Latin-script languages only, and answered "not sure" in English."""
    said = text_of(await Chat(app).say(text))
    assert _first_line(app, "ar", topic) in said


@pytest.mark.parametrize(
    ("language", "text", "topic"),
    [
        ("ko", "안녕하세요 카드 잃어버렸는데 어떻게 해요", "loss"),
        ("zh", "你好 请问续证要带什么材料", "documents"),
    ],
)
async def test_a_question_after_a_greeting_gets_its_answer(
    app: BotApp, language: str, text: str, topic: str
) -> None:
    """The greeting (a keyword of help) had made these a help request: the bot answered
    with its menu."""
    said = text_of(await Chat(app, language=language).say(text))
    assert _first_line(app, language, topic) in said


async def test_a_greeting_that_asks_nothing_else_still_gets_the_menu(app: BotApp) -> None:
    said = text_of(await Chat(app).say("Good evening, is there anyone there?"))
    assert "/fees" in said and "12367" in said  # the help text, as /help gives it


async def test_permit_as_a_criterion_of_permanent_residence_is_answered(app: BotApp) -> None:
    """Naming permanent residence keeps a question about a work permit in scope: it gets the
    eligibility answer (the overview, or a pathway), not "outside what I know"."""
    replies = await Chat(app).say("is a work permit enough to qualify for permanent residence")
    said = text_of(replies)
    assert OUTSIDE not in said
    overview = "Who can get permanent residence in Beijing:"
    assert overview in said or any(p.title in said for p in app.knowledge.pathways)


WELCOME = (
    "You're welcome! Ask me anything else about the permanent residence card, or open the menu:"
)


@pytest.mark.parametrize(
    ("hint", "text", "language"),
    [
        ("en", "thanks", "en"),
        ("en", "Ok!", "en"),
        ("en", "thank you very much", "en"),
        ("zh", "谢谢", "zh"),
        ("en", "спасибо", "ru"),  # another script: said in its language
        ("de", "Danke schön!", "de"),
        ("fr", "merci beaucoup", "fr"),
        ("es", "vale, gracias", "es"),
        ("ja", "ありがとうございます", "ja"),
        ("ko", "감사합니다", "ko"),
        ("ar", "شكرا جزيلا", "ar"),
    ],
)
async def test_a_thanks_gets_you_are_welcome_not_outside(
    app: BotApp, hint: str, text: str, language: str
) -> None:
    replies = await Chat(app, language=hint).say(text)
    translator = app.translators[language]
    said = text_of(replies)
    assert translator.gettext(WELCOME) in said
    if language != "en":
        assert translator.gettext(WELCOME) != WELCOME
    assert translator.gettext(OUTSIDE) not in said
    assert "menu" in payloads_of(replies)  # one button opens the topics
    assert await app.store.unplaced(10) == []  # not a question the bot failed to place


async def test_thanks_inside_a_sentence_is_still_a_question(app: BotApp) -> None:
    said = text_of(await Chat(app).say("thanks, and how much does the card cost?"))
    assert WELCOME not in said
    assert _first_line(app, "en", "fees") in said


HOW_TO_ASK = "You can ask me in your own words, for example:"


@pytest.mark.parametrize(
    ("hint", "text", "language"),
    [
        ("en", "why", "en"),
        ("en", "Why?", "en"),
        ("en", "details", "en"),
        ("en", "how", "en"),
        ("de", "warum", "de"),
        ("fr", "pourquoi ?", "fr"),
        ("es", "¿por qué?", "es"),
        ("en", "почему", "ru"),  # another script: said in its language
        ("zh", "为什么", "zh"),
        ("zh", "详情", "zh"),
        ("ja", "なぜ", "ja"),
        ("ko", "왜요", "ko"),
        ("ar", "لماذا", "ar"),
    ],
)
async def test_a_word_that_asks_but_names_no_topic_gets_how_to_ask(
    app: BotApp, hint: str, text: str, language: str
) -> None:
    """ "why" had listed the chat's reminders, "details" answered card changes, "warum"
    opened the language choice and "how" was declared outside what the bot knows."""
    replies = await Chat(app, language=hint).say(text)
    translator = app.translators[language]
    said = text_of(replies)
    assert translator.gettext(HOW_TO_ASK) in said
    assert translator.gettext(OUTSIDE) not in said
    # not the language choice (lang:xx) nor the reminders list ("Add a reminder")
    assert not any(p.startswith("lang:") or p == "remind:new" for p in payloads_of(replies))


async def test_a_word_naming_no_topic_inside_the_wizard_asks_the_step_again(
    app: BotApp,
) -> None:
    chat = Chat(app)
    step = await chat.say("/remind")
    again = await chat.say("why")
    assert payloads_of(again) == payloads_of(step)  # the same step, with its buttons
    stored = await app.store.load_conversation("test", chat.chat_id)
    assert stored is not None and stored.state == "remind_event"


@pytest.mark.parametrize(
    ("language", "question", "more"),
    [
        ("en", "how long does it take to get PR", "details please"),
        ("en", "how do I renew my card", "tell me more"),
        ("zh", "申请永居要多久", "详细点"),
        ("ru", "как продлить карту постоянного жителя", "подробнее пожалуйста"),
        ("de", "wie lange dauert der Antrag", "mehr Details bitte"),
        ("fr", "comment renouveler ma carte de résident permanent", "plus de détails svp"),
        ("es", "cómo renuevo mi tarjeta de residencia permanente", "más detalles por favor"),
        ("ja", "永住証の更新方法を教えて", "詳しく教えて"),
        ("ko", "영주증 갱신은 어떻게 하나요", "자세히 알려주세요"),
        ("ar", "كيف أجدد بطاقة الإقامة الدائمة", "المزيد من التفاصيل"),
    ],
)
async def test_more_details_typed_after_an_answer_opens_its_details(
    app: BotApp, language: str, question: str, more: str
) -> None:
    """ "details please" had answered card changes, and "details" alone how to ask, even
    right after an answer with a "More details" button."""
    pressing = Chat(app, chat_id="2001", language=language)
    answer = await pressing.say(question)
    details = [p for p in payloads_of(answer) if p.startswith("more:")]
    assert details, text_of(answer)
    pressed = await pressing.press(details[0])
    typing = Chat(app, chat_id="2002", language=language)
    assert text_of(await typing.say(question)) == text_of(answer)
    replies = await typing.say(more)
    assert text_of(replies) == text_of(pressed)  # the same details as the button
    assert app.translators[language].gettext(HOW_TO_ASK) not in text_of(replies)


async def test_more_details_with_nothing_more_to_show_gets_how_to_ask(app: BotApp) -> None:
    chat = Chat(app)
    await chat.say("how long does it take to get PR")
    await chat.say("more details")  # the details, whose buttons are Back and the menu
    again = await chat.say("more details")
    assert HOW_TO_ASK in text_of(again)
    step = await chat.say("/remind")  # in a wizard: the step again, as "why" does
    assert payloads_of(await chat.say("details please")) == payloads_of(step)


@pytest.mark.parametrize(
    ("hint", "text", "language"),
    [
        ("zh", "永居证", "zh"),  # had been taken for Japanese and answered as a lost card
        ("en", "永居证", "zh"),
        ("en", "green card", "en"),
        ("en", "PR card", "en"),  # had been answered as a renewal
        ("en", "永住権", "ja"),
        ("en", "ПМЖ", "ru"),
        ("en", "영주권", "ko"),
        ("de", "Daueraufenthalt", "de"),
    ],
)
async def test_the_subject_named_alone_gets_the_topics(
    app: BotApp, hint: str, text: str, language: str
) -> None:
    replies = await Chat(app, language=hint).say(text)
    translator = app.translators[language]
    assert translator.gettext("What would you like to know?") in text_of(replies)
    assert "t:fees" in payloads_of(replies) and "t:renewal" in payloads_of(replies)


async def test_the_subject_inside_a_question_is_still_a_question(app: BotApp) -> None:
    said = text_of(await Chat(app, language="zh").say("永居证丢了怎么办"))
    assert _first_line(app, "zh", "loss") in said
