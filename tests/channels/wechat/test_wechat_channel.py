"""The WeChat channel in process: reply composition, menu, settings, notifier, reminders."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import BotApp, Resources, build_app
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.channel import (
    BUTTON_NAME_BYTES,
    SUB_BUTTON_NAME_BYTES,
    TEMPLATE_META,
    WeChatChannel,
    build_menu,
    compose,
)
from bot.channels.wechat.messages import parse_message, utf8_len
from bot.cli import main
from bot.config import ConfigError, Settings, WeChatSettings
from bot.core.types import Outbound
from bot.reminders import dispatcher
from bot.runtime import Runtime
from bot.web import build_web_app
from tests.channels.wechat.fake_wechat_api import (
    APP_ID,
    APP_SECRET,
    FakeWeChatApi,
    signed_query,
    text_xml,
)
from tests.conftest import FakeClock, make_settings

TOKEN = "inProcessToken"
TEMPLATE = "/cgi-bin/message/template/send"


@pytest.fixture
def fake() -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi() as api:
        yield api


def wechat_settings(fake: FakeWeChatApi, template_id: str | None = "TPL") -> WeChatSettings:
    return Settings.from_env(
        {
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WECHAT_API_URL": fake.base_url,
            **({"WECHAT_TEMPLATE_ID": template_id} if template_id else {}),
        },
        env_file=Path("/nonexistent"),
    ).wechat or pytest.fail("no WeChat settings")


class Chat:
    """One in-process WeChat channel on a real app, driven through its ASGI app."""

    def __init__(self, app: BotApp, settings: WeChatSettings) -> None:
        self.app = app
        self.channel = WeChatChannel(app, settings)
        self.runtime = Runtime(app, [self.channel])
        transport = httpx.ASGITransport(app=build_web_app([self.channel]))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://wechat.test")
        self.ids = iter(range(10_000, 1_000_000))

    async def say(self, user: str, text: str) -> str:
        response = await self.client.post(
            "/wechat", params=signed_query(TOKEN), content=text_xml(user, text, next(self.ids))
        )
        assert response.status_code == 200
        return parse_message(response.text).content

    async def close(self) -> None:
        await self.client.aclose()
        await self.channel.stop()


@pytest.fixture
async def started(
    database: Path, clock: FakeClock, resources: Resources, fake: FakeWeChatApi
) -> AsyncIterator[Chat]:
    app = build_app(make_settings(database), resources=resources, clock=clock)
    await app.start()
    chat = Chat(app, wechat_settings(fake))
    await chat.channel.start(chat.runtime)
    try:
        yield chat
    finally:
        await chat.close()
        await app.stop()


def _option(content: str, words: str) -> str:
    for line in content.splitlines():
        number = re.search(r"\d+", line)
        if words in line and number is not None:
            return number.group()
    raise AssertionError(f"no option {words!r} in {content!r}")


# Composing the passive reply ----------------------------------------------------------------


def test_a_short_answer_is_one_passive_reply() -> None:
    first, rest = compose([Outbound(text="一"), Outbound(text="二")])
    assert (first, rest) == ("一\n\n二", [])


def test_a_long_answer_is_cut_at_a_line_with_a_note_and_the_rest_in_parts() -> None:
    lines = [f"第{i}行：" + "很长的内容" * 20 for i in range(60)]
    first, rest = compose([Outbound(text="\n".join(lines))])
    assert utf8_len(first) <= 2048 and first.endswith("(continued in the next message)")
    assert all(utf8_len(part) <= 2048 for part in rest)
    body = first.removesuffix("\n\n(continued in the next message)")
    assert body.endswith("很长的内容")  # cut at a line break, not inside a line
    assert (body + "\n" + "\n".join(rest)).split("\n") == lines


# The menu -----------------------------------------------------------------------------------


def test_menu_names_fit_wechat_limits_and_keys_are_commands(resources: Resources) -> None:
    menu = build_menu(resources.translators["zh"].gettext)
    assert len(menu["button"]) <= 3
    for button in menu["button"]:
        assert utf8_len(button["name"]) <= BUTTON_NAME_BYTES
        assert 1 <= len(button["sub_button"]) <= 5
        for sub in button["sub_button"]:
            assert sub["type"] == "click" and utf8_len(sub["name"]) <= SUB_BUTTON_NAME_BYTES
    names = [s["name"] for b in menu["button"] for s in b["sub_button"]]
    assert "💰 费用 Fees" in names


def test_wechat_menu_command_publishes_or_fails_in_one_line(
    fake: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(Path(__file__).parent)
    for name, value in {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_URL": fake.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["wechat-menu"]) == 0
    published = fake.of("/cgi-bin/menu/create")[-1].json()
    assert published["button"][0]["sub_button"][0]["key"] == "fees"
    fake.fail_next("/cgi-bin/menu/create", 40018, "invalid button name size")
    assert main(["wechat-menu"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "40018" in err[0]


# Settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"WECHAT_TOKEN": "a b"}, "WECHAT_TOKEN"),
        ({"WECHAT_APP_ID": ""}, "WECHAT_APP_ID"),
        ({"WECHAT_APP_SECRET": ""}, "WECHAT_APP_SECRET"),
        ({"WECHAT_ENCODING_AES_KEY": "short"}, "WECHAT_ENCODING_AES_KEY"),
        ({"WECHAT_API_URL": "ftp://x"}, "WECHAT_API_URL"),
        ({"WECHAT_TEMPLATE_FIELDS": "title=first,colour=keyword1"}, "WECHAT_TEMPLATE_FIELDS"),
        ({"PRBOT_HTTP_PORT": "99999"}, "PRBOT_HTTP_PORT"),
    ],
)
def test_invalid_wechat_settings_name_the_variable(values: dict[str, str], named: str) -> None:
    base = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET}
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**base, **values}, env_file=Path("/nonexistent"))


def test_wechat_is_off_without_a_token_and_defaults_are_documented() -> None:
    settings = Settings.from_env({}, env_file=Path("/nonexistent"))
    assert settings.wechat is None
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 8080)
    on = Settings.from_env(
        {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET},
        env_file=Path("/nonexistent"),
    ).wechat
    assert on is not None and on.api_url == "https://api.weixin.qq.com"
    assert dict(on.template_fields)["title"] == "first"


# The notifier ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("errcode", "raised"),
    [
        (43004, dispatcher.Blocked),
        (45009, dispatcher.RetryAfter),
        (45015, dispatcher.Rejected),
        (40003, dispatcher.Blocked),
    ],
)
async def test_notifier_turns_wechat_errors_into_delivery_errors(
    started: Chat, fake: FakeWeChatApi, errcode: int, raised: type[Exception]
) -> None:
    notifier = started.channel.notifier()
    part = Outbound(text="x", meta={TEMPLATE_META: json.dumps({"first": "x"})})
    await notifier.send("oUser", part)  # a token first, so the failure hits the send itself
    fake.fail_next(TEMPLATE, errcode)
    with pytest.raises(raised) as caught:
        await notifier.send("oUser", part)
    if isinstance(caught.value, dispatcher.RetryAfter):
        assert caught.value.seconds == 60


async def test_notifier_network_failure_is_transient(started: Chat, fake: FakeWeChatApi) -> None:
    fake.fail_next_http("/cgi-bin/message/custom/send", 502)
    with pytest.raises(dispatcher.Transient):
        await started.channel.notifier().send("oUser", Outbound(text="hello"))
    started.channel.api = WeChatApi(APP_ID, APP_SECRET, "http://127.0.0.1:9")  # nobody there
    with pytest.raises(dispatcher.Transient):
        await started.channel.notifier().send("oUser", Outbound(text="hello"))


# Reminders -----------------------------------------------------------------------------------


async def test_without_a_template_the_bot_says_reminders_are_not_configured(
    database: Path, clock: FakeClock, resources: Resources, fake: FakeWeChatApi
) -> None:
    app = build_app(make_settings(database), resources=resources, clock=clock)
    await app.start()
    chat = Chat(app, wechat_settings(fake, template_id=None))
    await chat.channel.start(chat.runtime)
    try:
        fake.users["oNoTpl"] = {"subscribe": 1, "language": "en"}
        answer = await chat.say("oNoTpl", "/remind")
        assert "not set up" in answer
        assert await app.store.subscriptions("wechat", "oNoTpl") == []
    finally:
        await chat.close()
        await app.stop()


async def test_template_reminder_after_a_restart_is_delivered_once(
    database: Path, clock: FakeClock, resources: Resources, fake: FakeWeChatApi
) -> None:
    user = "oReminded"
    fake.users[user] = {"subscribe": 1, "language": "en"}
    app = build_app(make_settings(database), resources=resources, clock=clock)
    await app.start()
    chat = Chat(app, wechat_settings(fake))
    await chat.channel.start(chat.runtime)
    try:
        start = await chat.say(user, "/remind")
        whose = await chat.say(user, _option(start, "expires"))
        await chat.say(user, _option(whose, "My own card"))
        confirm = await chat.say(user, "15 June 2027")
        saved = await chat.say(user, _option(confirm, "Save the reminders"))
        assert "Saved" in saved
    finally:
        await chat.close()
        await app.stop()

    clock.advance(dt.timedelta(days=180))  # 2027-05-25: the renewal window is open
    again = build_app(make_settings(database), resources=resources, clock=clock)
    await again.start()
    chat = Chat(again, wechat_settings(fake))
    await chat.channel.start(chat.runtime)
    try:
        loop = again.dispatcher({"wechat": chat.channel.notifier()}, sleep=_no_sleep)
        await loop.recover()
        first = await loop.sweep()
        second = await loop.sweep()
    finally:
        await chat.close()
        await again.stop()
    assert (first.sent, second.sent) == (1, 0)
    [call] = fake.of(TEMPLATE)
    body = call.json()
    assert body["touser"] == user and body["template_id"] == "TPL"
    data = {field: value["value"] for field, value in body["data"].items()}
    assert set(data) == {"first", "keyword1", "keyword2", "keyword3", "remark"}
    assert "renew" in data["first"].lower() and "2027" in data["keyword2"]
    assert "12367" in data["remark"]


async def _no_sleep(seconds: float) -> None:
    return None


async def test_a_reply_later_than_the_passive_budget_follows_through_the_api(
    started: Chat, fake: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.channels.wechat import channel as wechat_channel

    monkeypatch.setattr(wechat_channel, "PASSIVE_BUDGET_SECONDS", 0.05)
    engine = started.app.engine
    handle = engine.handle

    async def slow(*args: object, **kwargs: object) -> list[Outbound]:
        await asyncio.sleep(0.3)
        return await handle(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "handle", slow)
    response = await started.client.post(
        "/wechat", params=signed_query(TOKEN), content=text_xml("oSlow", "/fees", 77)
    )
    assert response.text == "success"  # answered in time, so WeChat does not retry
    for _ in range(100):
        if fake.of("/cgi-bin/message/custom/send"):
            break
        await asyncio.sleep(0.05)
    [call] = fake.of("/cgi-bin/message/custom/send")
    assert call.json()["touser"] == "oSlow" and "1,500" in call.json()["text"]["content"]
