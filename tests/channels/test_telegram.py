"""The Telegram adapter through the real PTB Application, with the network layer recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import BotApp, Resources, build_app
from bot.channels.telegram import TelegramChannel
from bot.core.types import Outbound
from bot.reminders.dispatcher import DispatchSettings
from tests.channels.fake_bot_api import (
    BOT_USER,
    RecordingRequest,
    callback_update,
    message_update,
)
from tests.conftest import FakeClock, make_settings

TOKEN = "123456:TEST-token"


@pytest.fixture
async def telegram(
    database: Path, clock: FakeClock, resources: Resources
) -> AsyncIterator[tuple[Application[Any, Any, Any, Any, Any, Any], RecordingRequest, BotApp]]:
    """The real Application of the bot with a recording request object, initialized."""
    # The frozen test clock never lets a rate limit refill; limits are tested on a moving clock.
    settings = make_settings(
        database, telegram_token=TOKEN, dispatch=DispatchSettings(limits=False)
    )
    bot_app = build_app(settings, resources=resources, clock=clock)
    request = RecordingRequest()
    channel = TelegramChannel(bot_app, request=request)
    await bot_app.start()
    await channel.connect()
    await channel.announce_commands()
    try:
        yield channel.application, request, bot_app
    finally:
        await channel.stop()
        await bot_app.stop()


async def feed(
    application: Application[Any, Any, Any, Any, Any, Any], data: dict[str, Any]
) -> None:
    """Let the application process one update given as Bot API JSON."""
    await application.process_update(Update.de_json(data, application.bot))


def sent_texts(request: RecordingRequest) -> list[str]:
    return [str(p["text"]) for p in request.of("sendMessage")]


def keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = params.get("reply_markup")
    if markup is None:
        return []
    data = markup if isinstance(markup, dict) else markup.to_dict()
    return list(data["inline_keyboard"])


async def test_commands_registered_for_default_language_and_chinese(telegram: Any) -> None:
    _, request, _ = telegram
    calls = request.of("setMyCommands")
    languages = {c.get("language_code") for c in calls}
    assert languages == {None, "zh", "ru", "ko", "ja", "fr", "de", "es", "ar"}
    default = next(c for c in calls if c.get("language_code") is None)
    names = [c["command"] if isinstance(c, dict) else c.command for c in default["commands"]]
    assert {"start", "fees", "hours", "address", "eligibility", "help", "language"} <= set(names)
    chinese = next(c for c in calls if c.get("language_code") == "zh")
    descriptions = [
        c["description"] if isinstance(c, dict) else c.description for c in chinese["commands"]
    ]
    assert any("\u4e00" <= ch <= "\u9fff" for d in descriptions for ch in d)


async def test_every_command_menu_offers_the_check_and_the_pathways_translated(
    telegram: Any,
) -> None:
    _, request, _ = telegram
    described: dict[str | None, dict[str, str]] = {}
    for call in request.of("setMyCommands"):
        commands = [c if isinstance(c, dict) else c.to_dict() for c in call["commands"]]
        described[call.get("language_code")] = {c["command"]: c["description"] for c in commands}
    english = described[None]
    assert english["check"] == "A few questions: which pathways may fit you"
    assert english["pathways"] == "All permanent-residence pathways, one by one"
    for code, menu in described.items():
        if code is not None:
            assert menu["check"] != english["check"], code
            assert menu["pathways"] != english["pathways"], code


async def test_start_shows_main_menu_keyboard(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("/start"))
    (params,) = request.of("sendMessage")
    assert "Permanent Resident ID Card" in params["text"]
    data = [b["callback_data"] for row in keyboard(params) for b in row if "callback_data" in b]
    assert "t:fees" in data and "t:hours" in data and "lang" in data


async def test_fee_question_answered_with_source(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("how much is the application fee"))
    text = sent_texts(request)[0]
    assert "1,500" in text
    assert "Source: http://english.beijing.gov.cn" in text
    assert "checked November 26, 2026" in text


async def test_button_press_is_acknowledged_and_answered(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, callback_update("t:hours"))
    assert len(request.of("answerCallbackQuery")) == 1
    assert "09:00" in sent_texts(request)[0]


async def test_forged_callback_data_is_acknowledged_and_explained(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, callback_update("t:../../etc/passwd"))
    await feed(application, callback_update("lang:xx"))
    await feed(application, callback_update("DROP TABLE chats"))
    assert len(request.of("answerCallbackQuery")) == 3
    texts = sent_texts(request)
    assert len(texts) == 3
    assert all("no longer valid" in t for t in texts)


async def test_chinese_client_gets_chinese_reply(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("几点开门", chat_id=77, language_code="zh-hans"))
    text = sent_texts(request)[0]
    assert "09:00" in text
    assert "开放时间" in text or "办公时间" in text or "营业时间" in text


async def test_address_carries_taxi_address_and_map_link(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("/address"))
    first = request.of("sendMessage")[0]
    assert "东城区安定门东大街2号" in first["text"]
    urls = [b.get("url") for row in keyboard(first) for b in row if b.get("url")]
    assert urls and urls[0].startswith("https://uri.amap.com/search?keyword=")
    assert not request.of("sendVenue")  # no source gives coordinates: no invented pin


@pytest.mark.parametrize(
    "update",
    [
        message_update(
            extra={"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]}
        ),
        message_update(
            extra={
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "u",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            }
        ),
    ],
    ids=["photo", "sticker"],
)
async def test_photos_and_stickers_get_a_text_only_hint(
    telegram: Any, update: dict[str, Any]
) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, update)
    assert "only read text" in sent_texts(request)[0]


async def test_edited_messages_and_unknown_updates_are_ignored_quietly(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("fees", kind="edited_message"))
    await feed(application, message_update("fees", chat_type="channel", kind="channel_post"))
    await feed(application, {"update_id": 99001, "some_future_kind": {"id": 1, "x": [1, 2]}})
    assert request.calls == []


async def test_group_chat_answers_commands_only(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("hello everyone", chat_id=-100, chat_type="group"))
    assert request.calls == []
    await feed(application, message_update("/fees@other_bot", chat_id=-100, chat_type="group"))
    assert request.calls == []
    await feed(
        application, message_update("/fees@prbot_test_bot", chat_id=-100, chat_type="group")
    )
    assert "1,500" in sent_texts(request)[0]


async def test_huge_message_gets_reply_within_limit(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("💥" * 2000 + "x" * 96))
    await feed(application, message_update("'; DROP TABLE chats; --"))
    await feed(application, message_update("/nonsense"))
    texts = sent_texts(request)
    assert len(texts) >= 3
    assert all(0 < len(t) <= 4096 for t in texts)
    assert "don't know that command" in texts[-1]


async def test_replayed_update_is_handled_once(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    update = message_update("/fees", update_id=555555)
    await feed(application, update)
    await feed(application, update)
    assert len(request.of("sendMessage")) == 1


async def test_every_reply_fits_telegram_limits(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    for topic in (
        "fees",
        "hours",
        "open_now",
        "address",
        "eligibility",
        "renewal",
        "change",
        "loss",
        "process",
        "collection",
        "documents",
        "processing_time",
        "contact",
    ):
        await feed(application, callback_update(f"t:{topic}"))
    for params in request.of("sendMessage"):
        assert 0 < len(params["text"]) <= 4096
        for row in keyboard(params):
            for button in row:
                assert len(button.get("callback_data", "").encode()) <= 64


async def test_a_venue_is_sent_as_a_map_pin(telegram: Any) -> None:
    from bot.channels.telegram import send_part
    from bot.core.types import Venue

    application, request, _ = telegram
    request.clear()
    pin = Venue(39.9493, 116.4171, "北京市公安局出入境接待大厅", "东城区安定门东大街2号")
    await send_part(application.bot, 42, Outbound(venue=pin))
    (venue,) = request.of("sendVenue")
    assert venue["latitude"] == 39.9493 and venue["title"] == pin.title


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"},
            "Blocked",
        ),
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 7},
            },
            "RetryAfter",
        ),
        (
            400,
            {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
            "Blocked",
        ),
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, "Transient"),
    ],
)
async def test_notifier_turns_api_errors_into_delivery_errors(
    telegram: Any, status: int, body: dict[str, Any], expected: str
) -> None:
    from bot.reminders import dispatcher

    application, request, _ = telegram
    request.fail_with["sendMessage"] = (status, body)
    notifier = application.handlers[0][0].callback.__self__.notifier()
    with pytest.raises(getattr(dispatcher, expected)) as raised:
        await notifier.send("42", Outbound(text="Reminder"))
    if expected == "RetryAfter":
        assert raised.value.seconds == 7  # type: ignore[attr-defined]


def _forwarded(text: str, chat_id: int = 42) -> dict[str, Any]:
    origin = {"type": "hidden_user", "date": 1700000000, "sender_user_name": "Someone"}
    return message_update(text, chat_id=chat_id, extra={"forward_origin": origin})


async def test_a_forwarded_command_is_read_as_text_not_run(telegram: Any) -> None:
    application, request, bot_app = telegram
    request.clear()
    await feed(application, _forwarded("/deletemydata"))
    payloads = [
        b.get("callback_data", "")
        for p in request.of("sendMessage")
        for r in keyboard(p)
        for b in r
    ]
    assert not any(p.startswith("erase") for p in payloads)
    conversation = await bot_app.store.load_conversation("telegram", "42")
    assert conversation is None or conversation.state == "main"


@pytest.mark.parametrize("command", ["/remind", "/deletemydata", "/mydata", "/check"])
async def test_in_a_group_personal_commands_point_to_the_private_chat(
    telegram: Any, command: str
) -> None:
    application, request, bot_app = telegram
    request.clear()
    await feed(
        application,
        message_update(f"{command}@prbot_test_bot", chat_id=-100, chat_type="group"),
    )
    (params,) = request.of("sendMessage")
    assert "private chat" in params["text"]
    urls = [b.get("url") for row in keyboard(params) for b in row]
    assert urls == ["https://t.me/prbot_test_bot"]
    conversation = await bot_app.store.load_conversation("telegram", "-100")
    assert conversation is None or conversation.state == "main"


async def test_a_user_who_blocks_the_bot_gets_no_reminders_until_they_write_again(
    telegram: Any, clock: FakeClock
) -> None:
    from bot.core.ports import PlannedRow

    application, request, bot_app = telegram
    store = bot_app.store
    due = clock.now() - dt.timedelta(minutes=1)
    row = PlannedRow("window_open", due, clock.now() + dt.timedelta(days=20))
    await store.add_subscription(
        "telegram", "42", "self", "expiry", dt.date(2027, 1, 1), [row], clock.now()
    )
    blocked = {
        "update_id": 777001,
        "my_chat_member": {
            "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "is_bot": False, "first_name": "Ana"},
            "date": 1700000000,
            "old_chat_member": {"user": BOT_USER, "status": "member"},
            "new_chat_member": {"user": BOT_USER, "status": "kicked", "until_date": 0},
        },
    }
    await feed(application, blocked)
    assert await store.claim_due(clock.now(), 10) == []  # held while blocked
    request.clear()
    await feed(application, message_update("/fees", chat_id=42))
    texts = sent_texts(request)
    assert texts[0].startswith("Welcome back")
    assert "1,500" in "\n".join(texts)
    (claimed,) = await store.claim_due(clock.now(), 10)
    assert claimed.subscription.chat_id == "42"


async def test_a_reply_that_meets_a_server_error_is_kept_and_sent_later(
    telegram: Any, clock: FakeClock
) -> None:
    application, request, bot_app = telegram
    request.clear()
    request.fail_with["sendMessage"] = (
        502,
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    )
    await feed(application, message_update("/fees", chat_id=42))
    (waiting,) = await bot_app.store.outbox_pending("telegram", 10)
    assert waiting.attempts == 1 and waiting.not_before > clock.now()
    del request.fail_with["sendMessage"]
    clock.advance(dt.timedelta(seconds=5))
    await feed(application, message_update("/hours", chat_id=43))
    texts = sent_texts(request)
    assert "1,500" in texts[-2] and "09:00" in texts[-1]  # the kept reply first, then the new
    assert await bot_app.store.outbox_pending("telegram", 10) == []


def _callback_data(params: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in keyboard(params) for b in row if "callback_data" in b]


async def test_a_page_button_replaces_the_page_it_is_on(telegram: Any) -> None:
    application, request, bot_app = telegram
    request.clear()
    await feed(application, callback_update("pwl:1", message_id=31))
    (edit,) = request.of("editMessageText")
    assert edit["message_id"] == 31 and int(edit["chat_id"]) == 42
    assert "page 2 of 3" in edit["text"]
    assert {"pwl:0", "pwl:2", "elig"} <= set(_callback_data(edit))
    assert request.of("sendMessage") == []
    assert await bot_app.store.outbox_pending("telegram", 10) == []


async def test_an_office_filter_replaces_the_list_and_an_office_card_too(
    telegram: Any,
) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, callback_update("of:first_application", message_id=40))
    (edit,) = request.of("editMessageText")
    assert edit["message_id"] == 40
    assert "Offices that take first applications" in edit["text"]
    assert "of:" in _callback_data(edit)  # the way back to all offices
    office = next(d for d in _callback_data(edit) if d.startswith("oc:"))
    request.clear()
    await feed(application, callback_update(office, message_id=40))
    (card,) = request.of("editMessageText")  # the card takes the list's place ...
    assert card["message_id"] == 40
    assert "For the taxi driver" in card["text"]
    assert "of:" in _callback_data(card)  # ... and leads back to the list


async def test_typed_text_and_the_first_list_are_new_messages(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("/pathways"))
    await feed(application, callback_update("pwl", message_id=12))  # "All pathways"
    assert request.of("editMessageText") == []
    assert [("page 1 of 3" in t) for t in sent_texts(request)] == [True, True]


@pytest.mark.parametrize(
    "refusal",
    [
        "Bad Request: message can't be edited",
        "Bad Request: message to edit not found",
        "Bad Request: MESSAGE_TOO_LONG",
    ],
)
async def test_a_refused_edit_is_sent_as_a_new_message(telegram: Any, refusal: str) -> None:
    application, request, bot_app = telegram
    request.clear()
    request.fail_with["editMessageText"] = (
        400,
        {"ok": False, "error_code": 400, "description": refusal},
    )
    await feed(application, callback_update("pwl:2", message_id=7))
    (edit,) = request.of("editMessageText")
    (sent,) = request.of("sendMessage")
    assert sent["text"] == edit["text"] and "page 3 of 3" in sent["text"]
    assert _callback_data(sent) == _callback_data(edit)
    assert "message_id" not in sent
    assert await bot_app.store.outbox_pending("telegram", 10) == []


async def test_an_unchanged_message_counts_as_delivered(telegram: Any) -> None:
    application, request, bot_app = telegram
    request.clear()
    request.fail_with["editMessageText"] = (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message is not modified: specified new message "
            "content and reply markup are exactly the same as a current content",
        },
    )
    await feed(application, callback_update("pwl:0", message_id=7))
    assert len(request.of("editMessageText")) == 1
    assert request.of("sendMessage") == []
    assert await bot_app.store.outbox_pending("telegram", 10) == []


async def test_an_edit_kept_in_the_outbox_survives_a_restart(
    database: Path, clock: FakeClock, resources: Resources
) -> None:
    settings = make_settings(
        database, telegram_token=TOKEN, dispatch=DispatchSettings(limits=False)
    )
    first = build_app(settings, resources=resources, clock=clock)
    down = RecordingRequest()
    down.fail_with["editMessageText"] = (
        502,
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    )
    channel = TelegramChannel(first, request=down)
    await first.start()
    await channel.connect()
    try:
        await feed(channel.application, callback_update("pwl:1", message_id=21))
        kept = await first.store.outbox_pending("telegram", 10)
    finally:
        await channel.stop()
        await first.stop()
    assert len(down.of("editMessageText")) == 1  # refused: kept for later
    assert len(kept) == 1

    clock.advance(dt.timedelta(minutes=1))
    second = build_app(settings, resources=resources, clock=clock)
    up = RecordingRequest()
    again = TelegramChannel(second, request=up)
    await second.start()
    await again.connect()
    try:
        await again.sender().drain()
        (edit,) = up.of("editMessageText")
        assert edit["message_id"] == 21 and "page 2 of 3" in edit["text"]
        assert up.of("sendMessage") == []
    finally:
        await again.stop()
        await second.stop()


async def test_the_eligibility_check_stays_one_message(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, callback_update("elig", message_id=50))
    assert request.of("editMessageText") == []  # the check starts below what was asked
    assert "Question 1:" in sent_texts(request)[-1]
    request.clear()
    await feed(application, callback_update("el:family:none", message_id=51))
    await feed(application, callback_update("el:back", message_id=51))
    edits = request.of("editMessageText")
    assert [e["message_id"] for e in edits] == [51, 51]
    assert "Question 2:" in edits[0]["text"] and "Question 1:" in edits[1]["text"]
    assert "el:back" in _callback_data(edits[0]) and "el:back" not in _callback_data(edits[1])
    assert request.of("sendMessage") == []


async def test_the_reminder_wizard_answers_each_press_in_its_message(telegram: Any) -> None:
    application, request, _ = telegram
    request.clear()
    await feed(application, message_update("/remind"))
    assert "What should I remind you about?" in sent_texts(request)[-1]
    await feed(application, callback_update("ev:expiry", message_id=60))
    await feed(application, callback_update("who:self", message_id=60))
    edits = request.of("editMessageText")
    assert [e["message_id"] for e in edits] == [60, 60]
    assert "Whose card is it?" in edits[0]["text"]
    assert "When does the card expire?" in edits[1]["text"]
    assert _callback_data(edits[1]) == ["cancel"]
    request.clear()
    await feed(application, message_update("2027-06-15"))  # typed: the schedule is new
    assert request.of("editMessageText") == []
    assert "rsave" in _callback_data(request.of("sendMessage")[-1])
    request.clear()
    await feed(application, callback_update("rsave", message_id=61))
    (saved,) = request.of("editMessageText")
    assert saved["message_id"] == 61 and saved["text"].startswith("Saved.")
    assert len(request.of("sendDocument")) == 1  # the calendar file follows as a new message
    assert _callback_data(request.of("sendMessage")[-1]) == ["menu"]
