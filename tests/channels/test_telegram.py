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
