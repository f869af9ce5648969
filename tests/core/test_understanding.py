"""Issue 11, the dialogue side: reminders by words, questions inside wizards, dates in
questions, the reply's language and the new topics; all through the real app.

The clock stands at Thursday 26 November 2026, 10:00 in Beijing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import BotApp
from tests.conftest import Chat, FakeClock, payloads_of, text_of
from tests.core.test_languages import first_line_of_topic, translate


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


@pytest.mark.parametrize(
    ("language", "request_text", "listed", "wizard"),
    [
        (
            "en",
            "remind me before my card expires",
            "You have 1 reminder:",
            "What should I remind you about?",
        ),
        ("zh", "证件到期前提醒我", "您有1条提醒：", "您希望我提醒您哪件事？"),
    ],
)
async def test_a_typed_reminder_request_shows_the_reminders_already_set_first(
    app: BotApp, language: str, request_text: str, listed: str, wizard: str
) -> None:
    chat = Chat(app, language=language)
    first = await chat.say(request_text)  # nothing set yet: straight into the wizard
    assert wizard in text_of(first) and "ev:expiry" in payloads_of(first)
    await chat.press("cancel")
    await subscribe(chat)
    replies = await chat.say(request_text)
    assert listed in text_of(replies) and wizard not in text_of(replies)
    assert payloads_of(replies) == ["unsub:1", "remind:new"]
    assert wizard in text_of(await chat.press("remind:new"))


async def test_my_reminders_without_any_offers_to_add_one(app: BotApp) -> None:
    replies = await Chat(app, language="zh").say("我的提醒")
    assert "没有" in text_of(replies) and payloads_of(replies) == ["remind:new", "menu"]


async def test_reminders_by_words_in_a_group_point_to_a_private_chat(app: BotApp) -> None:
    from bot.core.types import Inbound, InboundKind

    now = app.engine.services.clock.now()
    for words in ("show my reminders", "remind me to renew"):
        replies = await app.engine.handle(
            Inbound("test", "-500", InboundKind.TEXT, now, text=words, private=False)
        )
        assert "only in a private chat" in text_of(replies)
        assert not await app.store.subscriptions("test", "-500")


# Dates, days and times inside questions ----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "question", "window"),
    [
        (
            "en",
            "my card runs out on 20 August 2027, from when can I renew?",
            "Your card expires on August 20, 2027: you can renew it from July 20, 2027 to "
            "August 20, 2027.",
        ),
        (
            "de",
            "Meine Karte läuft am 20. August 2027 ab, ab wann kann ich verlängern?",
            "Ihre Karte läuft am 20. August 2027 ab: Sie können sie vom 20. Juli 2027 bis "
            "zum 20. August 2027 verlängern.",
        ),
        (
            "ru",
            "моя карта истекает 20 августа 2027, с какого числа можно продлить?",
            "Ваша карта истекает 20 августа 2027\u202fг.: продлить её можно с 20 июля "
            "2027\u202fг. по 20 августа 2027\u202fг. включительно.",
        ),
        (
            "zh",
            "我的永居证2027年8月20日到期，什么时候可以换证？",
            "您的证件于2027年8月20日到期：可在2027年7月20日至2027年8月20日期间申请换发。",
        ),
    ],
)
async def test_expiry_date_in_a_renewal_question_gets_its_window_and_a_reminder_button(
    app: BotApp, language: str, question: str, window: str
) -> None:
    chat = Chat(app, language=language)
    replies = await chat.say(question)
    assert window in text_of(replies)
    assert payloads_of(replies)[0] == "rexp:2027-08-20"
    confirm = await chat.press("rexp:2027-08-20")  # straight to the confirm step
    assert payloads_of(confirm) == ["rsave", "rdate", "cancel"]
    await chat.press("rsave")
    (subscription,) = await app.store.subscriptions("test", chat.chat_id)
    assert str(subscription.event_date) == "2027-08-20" and subscription.label == "self"


async def test_renewal_question_with_a_past_expiry_date_says_to_go_now(app: BotApp) -> None:
    replies = await Chat(app).say("my card expired on 3 March 2026, can I still renew it?")
    assert "The card expired on March 3, 2026. Go to a service centre" in text_of(replies)
    assert not any(p.startswith("rexp:") for p in payloads_of(replies))


@pytest.mark.parametrize(
    ("language", "question", "expected"),
    [
        ("en", "are you open on 1 May?", "Closed: statutory holiday (Labour Day)."),
        ("ru", "вы работаете 1 мая?", "Закрыто: официальный праздничный день (Праздник труда)."),
        ("fr", "vous êtes ouverts le 1er mai ?", "Fermé\xa0: jour férié légal (fête du Travail)."),
        ("zh", "国庆节开门吗", "不办公：法定节假日（国庆节）。"),
        ("zh", "下周一开门吗", "2026年4月27日 星期一"),
        ("de", "samstags geöffnet?", "Am Samstag, dem 25. April 2026:"),
        ("es", "¿abren los sábados?", "El sábado 25 de abril de 2026:"),
        ("en", "is the office open this Saturday", "On Saturday April 25, 2026:"),
    ],
)
async def test_a_day_in_an_hours_question_gets_that_days_answer(
    app: BotApp, clock: FakeClock, language: str, question: str, expected: str
) -> None:
    clock.current = dt.datetime(2026, 4, 20, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
    replies = await Chat(app, language=language).say(question)
    assert expected in text_of(replies)


async def test_an_adjusted_working_day_is_open(app: BotApp, clock: FakeClock) -> None:
    clock.current = dt.datetime(2026, 2, 2, 2, 0, tzinfo=dt.UTC)
    replies = await Chat(app, language="en").say("are you open on 14 February?")
    assert "(an official adjusted working day)" in text_of(replies)
    assert "On Saturday February 14, 2026:" in text_of(replies)


# Inside a wizard ---------------------------------------------------------------------------


async def test_a_question_in_the_reminder_wizard_is_answered_and_the_step_asked_again(
    app: BotApp,
) -> None:
    chat = Chat(app)
    await chat.say("/remind")
    await chat.press("ev:expiry")
    replies = await chat.say("how much does renewal cost?")
    text = text_of(replies)
    assert "CN¥300" in text and text.rstrip().endswith("Whose card is it?")
    assert payloads_of(replies)[-5:] == [
        "who:self",
        "who:spouse",
        "who:child",
        "who:family",
        "cancel",
    ]
    await chat.press("who:self")  # the wizard went on where it was
    replies = await chat.say("what are the opening hours")
    assert "Hours: Monday to Saturday, 09:00–17:00" in text_of(replies)
    assert "When does the card expire?" in text_of(replies)
    replies = await chat.say("15 June 2027")  # a date is still read as the answer
    assert "The card expires on June 15, 2027." in text_of(replies)


@pytest.mark.parametrize(
    ("language", "back", "cancel", "cancelled"),
    [
        ("en", "back", "cancel", "OK, cancelled."),
        ("zh", "返回", "取消", "好的，已取消。"),
        ("de", "zurück", "abbrechen", "In Ordnung, abgebrochen."),
        ("ru", "назад", "отмена", "Хорошо, отменено."),
    ],
)
async def test_typed_back_and_cancel_do_what_the_buttons_do(
    app: BotApp, language: str, back: str, cancel: str, cancelled: str
) -> None:
    chat = Chat(app, language=language)
    await chat.press("remind:new")
    await chat.press("ev:expiry")
    await chat.press("who:child")
    assert "who:self" in payloads_of(await chat.say(back))  # date -> whose card
    assert "ev:expiry" in payloads_of(await chat.say(back))  # whose card -> what about
    await chat.press("ev:expiry")
    await chat.press("who:self")
    await chat.say("2027-06-15")
    assert "When does the card expire" not in text_of(await chat.say("2027-06-15"))
    replies = await chat.say(back)  # confirm -> the date again
    assert "2027-06-15" in text_of(replies) and "rsave" not in payloads_of(replies)
    replies = await chat.say(cancel)
    assert cancelled in text_of(replies)
    assert (await app.store.load_conversation("test", chat.chat_id)).state == "main"


@pytest.mark.parametrize(
    ("language", "back", "question", "answer"),
    [
        ("zh", "返回", "费用多少", "永久居留申请费：每人¥1,500"),
        (
            "en",
            "go back",
            "how much is the fee",
            "Permanent residence application fee: CN¥1,500 per person",
        ),
    ],
)
async def test_the_eligibility_check_takes_typed_back_and_answers_questions(
    app: BotApp, language: str, back: str, question: str, answer: str
) -> None:
    chat = Chat(app, language=language)
    first = await chat.say("/check")
    first_question = first[-1].text
    second = await chat.press(payloads_of(first)[-2])  # "none of these"
    assert "el:back" in payloads_of(second)
    replies = await chat.say(back)
    assert replies[-1].text == first_question and "el:back" not in payloads_of(replies)
    replies = await chat.say(question)
    assert answer in text_of(replies)
    assert first_question in replies[-1].text and payloads_of(replies)[-1] == "cancel"


@pytest.mark.parametrize(
    ("language", "question", "answer", "kept"),
    [
        (
            "de",
            "wie viel kostet die verlängerung?",
            "Gebühr für einen neuen Ausweis bei Ablauf",
            "Es wurde nichts gelöscht.",
        ),
        (
            "en",
            "how much is the renewal fee",
            "Fee for a new card on expiry",
            "Nothing was deleted.",
        ),
    ],
)
async def test_erase_confirmation_answers_and_typed_cancel_keeps_the_data(
    app: BotApp, language: str, question: str, answer: str, kept: str
) -> None:
    chat = Chat(app, language=language)
    await subscribe(chat)
    await chat.say("/deletemydata")
    replies = await chat.say(question)
    assert answer in text_of(replies)
    assert payloads_of(replies)[-2:] == ["erase:yes", "erase:no"]
    cancel = "abbrechen" if language == "de" else "cancel"
    assert kept in text_of(await chat.say(cancel))
    assert len(await app.store.subscriptions("test", chat.chat_id)) == 1


# The reply's language ----------------------------------------------------------------------


async def test_the_offer_to_keep_a_language_comes_once_per_conversation(app: BotApp) -> None:
    chat = Chat(app, language="en")
    first = await chat.say("申请永居证要交多少钱？")
    assert "lang:zh" in payloads_of(first)
    assert first_line_of_topic(app, "zh", "fees") in text_of(first)
    again = await chat.say("我的永居证丢了，现在应该怎么办？")
    assert first_line_of_topic(app, "zh", "loss") in text_of(again)  # still in Chinese
    assert "lang:zh" not in payloads_of(again)  # not asked with every answer
    french = await chat.say("combien coûte le renouvellement de ma carte ?")
    assert "lang:fr" in payloads_of(french)  # another language is offered once too
    await chat.say("/start")
    after = await chat.say("永居证办理需要多长时间？")
    assert "lang:zh" in payloads_of(after)  # a new start offers it again


@pytest.mark.parametrize(
    ("language", "question", "yes"),
    [
        ("fr", "combien coûte le renouvellement de ma carte ?", "oui"),
        ("de", "wie viel kostet die Verlängerung meiner Karte", "Ja bitte"),
        ("es", "cuánto cuesta renovar mi tarjeta de residencia", "sí"),
        ("zh", "申请永居证要交多少钱？", "好"),
        ("ru", "сколько стоит продление карты", "да"),
        ("ja", "永住証の更新はいくらですか", "はい"),
        ("ko", "영주증 갱신 비용은 얼마인가요", "네"),
        ("ar", "كم تكلفة تجديد بطاقة الإقامة الدائمة", "نعم"),
    ],
)
async def test_a_typed_yes_accepts_the_offer_to_keep_the_language(
    app: BotApp, language: str, question: str, yes: str
) -> None:
    chat = Chat(app, language="en")
    assert f"lang:{language}" in payloads_of(await chat.say(question))
    replies = await chat.say(yes)  # not the reminders wizard, as "yes" started before
    done = translate(app, language, "Done: I will answer in English from now on.")
    assert done in text_of(replies)
    stored = await app.store.load_conversation("test", chat.chat_id)
    assert stored is not None and stored.language == language and stored.state == "main"


async def test_a_typed_no_declines_the_offer_and_a_yes_with_nothing_asked_places_nothing(
    app: BotApp,
) -> None:
    chat = Chat(app, language="en")
    offered = await chat.say("combien coûte le renouvellement de ma carte ?")
    assert "lang:fr" in payloads_of(offered)
    declined = await chat.say("non")
    assert "What would you like to know?" in text_of(declined)  # the menu
    stored = await app.store.load_conversation("test", chat.chat_id)
    assert stored is not None and stored.language is None
    for typed in ("yes", "oui"):  # nothing is asked any more
        replies = await chat.say(typed)
        said = text_of(replies)
        assert "Sorry, I am not sure what you mean." in said
        assert "I can remind you" not in said
    stored = await app.store.load_conversation("test", chat.chat_id)
    assert stored is not None and stored.state == "main" and stored.language is None


@pytest.mark.parametrize(
    ("question", "answer", "offer"),
    [
        ("comment renouveler mon 永居证 ?", "Renouveler votre carte", "message\xa0: Français."),
        (
            "¿Cuánto cuesta renovar el 永居证?",
            "Tasa por una nueva tarjeta por caducidad",
            "mensaje: Español.",
        ),
        ("como puedo renovar mi 永居证 que ya caduca", "Renovación de su tarjeta", "Español."),
    ],
)
async def test_a_sentence_with_an_embedded_chinese_term_is_answered_in_its_language(
    app: BotApp, question: str, answer: str, offer: str
) -> None:
    replies = await Chat(app, language="en").say(question)
    assert answer in text_of(replies) and offer in text_of(replies)
    assert "证件" not in text_of(replies) and "费" not in text_of(replies)


async def test_a_chinese_sentence_with_an_english_term_stays_chinese(app: BotApp) -> None:
    replies = await Chat(app, language="zh").say("我的PR card到期了怎么办")
    assert "证件换发" in text_of(replies) and "You wrote" not in text_of(replies)


# A situation held against the rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "question", "verdict", "route"),
    [
        (
            "en",
            "Married 3 years, can I apply?",
            "This route asks for at least 5 years of marriage; with 3, 2 years are still missing.",
            "Spouse reunion",
        ),
        (
            "zh",
            "结婚三年了可以申请永居吗",
            "此类别要求婚姻存续至少5年；按您的3年计算，还差2年。",
            "夫妻团聚",
        ),
        (
            "de",
            "verheiratet seit 6 Jahren, kann ich den Daueraufenthalt beantragen?",
            "Dieser Weg verlangt mindestens 5 Jahre Ehe: Bei Ihnen sind es 6, damit ist diese "
            "Bedingung erfüllt.",
            "Ehegattennachzug",
        ),
    ],
)
async def test_years_of_marriage_are_held_against_the_spouse_route(
    app: BotApp, language: str, question: str, verdict: str, route: str
) -> None:
    replies = await Chat(app, language=language).say(question)
    text = text_of(replies)
    assert text.startswith(verdict)
    assert f"\n\n{route}\n" in text  # the spouse route's conditions follow


# Topics with their own answer --------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "question", "expected"),
    [
        (
            "en",
            "who approves permanent residence, the NIA or beijing?",
            [
                "Who decides and who issues the card:",
                "the National Immigration Administration (NIA) decides, and the Beijing "
                "exit-entry administration issues the card.",
            ],
        ),
        (
            "de",
            "wer entscheidet über meinen Antrag auf Daueraufenthalt?",
            ["Wer entscheidet und wer stellt die Karte aus:", "Nationale Einwanderungsbehörde"],
        ),
        ("zh", "永居是哪个部门审批的", ["由谁审批、由谁发证：", "国家移民管理局"]),
    ],
)
async def test_who_decides_and_who_issues(
    app: BotApp, language: str, question: str, expected: list[str]
) -> None:
    replies = await Chat(app, language=language).say(question)
    for line in expected:
        assert line in text_of(replies)
    assert "t:where_to_apply" in payloads_of(replies)


@pytest.mark.parametrize(
    ("language", "question", "heading"),
    [
        (
            "en",
            "which office accepts a first PR application?",
            "Where to hand in a first application for permanent residence:",
        ),
        ("zh", "永居申请在哪里受理", "首次申请永久居留的递交地点："),
        ("fr", "où déposer ma première demande de carte verte ?", "Où déposer une première"),
    ],
)
async def test_where_a_first_application_is_handed_in(
    app: BotApp, language: str, question: str, heading: str
) -> None:
    replies = await Chat(app, language=language).say(question)
    assert heading in text_of(replies)
    offered = payloads_of(replies)
    # the offices taking first applications (data/offices.yaml services), each a button
    assert {"oc:main", "oc:zhongguancun", "oc:chaoyang", "oc:shunyi"} <= set(offered)
    assert "oc:shijingshan" not in offered


@pytest.mark.parametrize(
    ("language", "question", "heading", "item"),
    [
        (
            "en",
            "what documents do I need as a spouse?",
            "Documents for: Spouse reunion",
            "marriage certificate",
        ),
        ("zh", "配偶申请需要什么材料", "所需材料：夫妻团聚", "结婚证"),
        (
            "de",
            "welche Unterlagen braucht man für die Investition?",
            "Unterlagen für: ",
            "Kapitalprüfungsbericht",
        ),
    ],
)
async def test_documents_by_category(
    app: BotApp, language: str, question: str, heading: str, item: str
) -> None:
    replies = await Chat(app, language=language).say(question)
    assert heading in text_of(replies) and item in text_of(replies)


async def test_documents_by_category_buttons(app: BotApp) -> None:
    chat = Chat(app, language="es")
    general = await chat.say("/documents")
    assert {"dc:spouse", "dc:work", "dc:investment", "dc:talent", "dc:dependants"} <= set(
        payloads_of(general)
    )
    work = await chat.press("dc:work")
    assert "💼 Trabajo: ¿cuál es su vía?" in text_of(work)
    assert "pd:senior_employment" in payloads_of(work)
    senior = await chat.press("pd:senior_employment")
    assert text_of(senior).startswith("Documentos para: ")
    assert "pw:senior_employment" in payloads_of(senior)
    assert "no longer valid" not in text_of(await chat.press("dc:spouse"))
    assert "ya no es válido" in text_of(await chat.press("pd:nonsense"))


@pytest.mark.parametrize(
    ("language", "sentence", "expected"),
    [
        ("en", "my card expires on 15 June 2027", "The card expires on June 15, 2027."),
        ("zh", "我的卡2027年6月15日到期", "证件将于2027年6月15日到期。"),
        ("ru", "карта истекает 15 июня 2027", "rsave"),
    ],
)
async def test_the_date_step_reads_a_date_inside_a_sentence(
    app: BotApp, language: str, sentence: str, expected: str
) -> None:
    chat = Chat(app, language=language)
    await chat.press("remind:new")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    replies = await chat.say(sentence)
    assert expected in text_of(replies) + " ".join(payloads_of(replies))
    assert "rsave" in payloads_of(replies)


@pytest.mark.parametrize(
    ("language", "question", "expected"),
    [
        (
            "en",
            "are you open tomorrow at 12:30?",
            [
                "On Tuesday April 21, 2026 at 12:30:",
                "Closed at 12:30 for lunch; open again at 13:30.",
                "Open at 12:30, until 17:00.",
            ],
        ),
        (
            "zh",
            "明天下午3点开门吗",
            ["2026年4月21日 星期二 15:00：", "15:00在办公，办公至17:00。"],
        ),
        (
            "de",
            "habt ihr samstags um 11 Uhr offen?",
            ["um 11:00:", "Um 11:00 geöffnet, bis 17:00."],
        ),
        ("en", "open at 9am on 1 may?", ["at 09:00:", "Closed: statutory holiday (Labour Day)."]),
        ("fr", "ouvert aujourd'hui à 18h ?", ["Fermé à 18:00 : la salle ferme à 17:00."]),
    ],
)
async def test_a_time_in_an_hours_question_gets_the_status_at_that_time(
    app: BotApp, clock: FakeClock, language: str, question: str, expected: list[str]
) -> None:
    clock.current = dt.datetime(2026, 4, 20, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
    text = text_of(await Chat(app, language=language).say(question))
    for line in expected:
        assert line in text, text


@pytest.mark.parametrize(
    ("language", "word", "expected", "menu"),
    [
        ("en", "back", "What would you like to know?", "t:fees"),  # the menu itself
        ("zh", "取消", "好的，已取消。", "menu"),  # as /cancel: the compact menu button
    ],
)
async def test_back_or_cancel_with_nothing_in_progress_shows_the_menu(
    app: BotApp, language: str, word: str, expected: str, menu: str
) -> None:
    replies = await Chat(app, language=language).say(word)
    assert expected in text_of(replies) and menu in payloads_of(replies)


async def test_a_lunar_holiday_by_name(app: BotApp, clock: FakeClock) -> None:
    clock.current = dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC)  # the 2026 calendar is out
    replies = await Chat(app, language="zh").say("春节开门吗")
    assert "不办公：法定节假日（春节）。" in text_of(replies)
    clock.current = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)  # 2027's is not yet
    replies = await Chat(app, language="en", chat_id="2").say(
        "is the office open at spring festival?"
    )
    assert "holiday schedule that gives the date of that holiday is not published" in text_of(
        replies
    )


@pytest.mark.parametrize(
    ("language", "request_text", "expected"),
    [
        ("en", "my card expires on 2027-05-10, remind me", "The card expires on May 10, 2027."),
        ("de", "meine Karte läuft am 10.05.2027 ab, erinnere mich", "10. Mai 2027"),
    ],
)
async def test_a_reminder_request_with_the_expiry_date_goes_to_the_confirm_step(
    app: BotApp, language: str, request_text: str, expected: str
) -> None:
    replies = await Chat(app, language=language).say(request_text)
    assert expected in text_of(replies)
    assert payloads_of(replies) == ["rsave", "rdate", "cancel"]


async def test_a_new_date_at_the_confirm_step_replaces_the_first(app: BotApp) -> None:
    chat = Chat(app, language="fr")
    await chat.press("remind:new")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    await chat.say("2027-06-15")
    replies = await chat.say("pardon, c'est le 20 juillet 2027")
    assert "20 juillet 2027" in text_of(replies) and payloads_of(replies)[0] == "rsave"
    await chat.press("rsave")
    (subscription,) = await app.store.subscriptions("test", chat.chat_id)
    assert subscription.event_date == dt.date(2027, 7, 20)


@pytest.mark.parametrize(
    ("language", "question", "heading"),
    [
        ("en", "do they work on weekends?", "Hours: Monday to Saturday, 09:00–17:00"),
        ("fr", "vous êtes ouverts le week-end ?", "Horaires\xa0: du lundi au samedi, 09:00–17:00"),
    ],
)
async def test_a_weekend_hours_question_gets_the_week(
    app: BotApp, language: str, question: str, heading: str
) -> None:
    text = text_of(await Chat(app, language=language).say(question))
    assert heading in text and "On Saturday" not in text and "Le samedi" not in text
