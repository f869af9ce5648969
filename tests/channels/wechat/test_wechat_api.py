"""The WeChat server API client against a local fake server: tokens, bodies, errors."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.channels.wechat.api import (
    ErrorKind,
    WeChatApi,
    WeChatApiError,
    WeChatRateLimited,
    WeChatTokenError,
    WeChatUnavailable,
    WeChatUserUnreachable,
    WeChatWindowClosed,
    api_error,
    classify,
)
from tests.channels.wechat.fake_wechat_api import APP_ID, APP_SECRET, TOKEN_PATH, FakeWeChatApi

SEND = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
USER_INFO = "/cgi-bin/user/info"
MENU = "/cgi-bin/menu/create"
OPENID = "oUSER_openid_for_tests"
TEXT = "绿卡续签：到期前一个月内办理。Renew within a month — café 😀"


class ManualClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi() as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def api(fake: FakeWeChatApi, clock: ManualClock) -> AsyncIterator[WeChatApi]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield WeChatApi(APP_ID, APP_SECRET, base_url=fake.base_url, client=client, clock=clock)


# --- tokens -----------------------------------------------------------------------------------


async def test_the_token_comes_from_stable_token_and_is_sent_as_a_query_parameter(
    api: WeChatApi, fake: FakeWeChatApi
) -> None:
    await api.send_text(OPENID, "hi")
    token_call, send_call = fake.calls
    assert (token_call.method, token_call.path) == ("POST", TOKEN_PATH)
    assert token_call.json() == {
        "grant_type": "client_credential",
        "appid": APP_ID,
        "secret": APP_SECRET,
        "force_refresh": False,
    }
    assert token_call.content_type == "application/json; charset=utf-8"
    assert (send_call.method, send_call.path) == ("POST", SEND)
    assert send_call.query == {"access_token": "TOKEN-1"}


async def test_the_token_is_cached_until_five_minutes_before_it_expires(
    api: WeChatApi, fake: FakeWeChatApi, clock: ManualClock
) -> None:
    await api.send_text(OPENID, "one")
    clock.now += 7200 - 300 - 1
    await api.send_text(OPENID, "two")
    assert fake.token_refreshes == 1
    clock.now += 1
    fake.expire_tokens()  # WeChat hands out a new one in its last five minutes
    await api.send_text(OPENID, "three")
    assert fake.token_refreshes == 2
    assert [call.query["access_token"] for call in fake.of(SEND)] == [
        "TOKEN-1",
        "TOKEN-1",
        "TOKEN-2",
    ]


async def test_concurrent_callers_share_a_single_refresh(
    api: WeChatApi, fake: FakeWeChatApi
) -> None:
    fake.token_delay = 0.05  # keep the refresh in flight while every caller asks for a token
    await asyncio.gather(*(api.send_text(f"{OPENID}{i}", "hi") for i in range(10)))
    assert fake.token_refreshes == 1
    assert len(fake.of(SEND)) == 10
    assert {call.query["access_token"] for call in fake.of(SEND)} == {"TOKEN-1"}


async def test_a_token_that_expires_mid_send_is_refreshed_once_and_the_send_retried_once(
    api: WeChatApi, fake: FakeWeChatApi
) -> None:
    await api.send_text(OPENID, "warm up")
    fake.expire_tokens()
    await api.send_text(OPENID, TEXT)
    assert [(call.path, call.query.get("access_token")) for call in fake.calls] == [
        (TOKEN_PATH, None),
        (SEND, "TOKEN-1"),  # the warm-up
        (SEND, "TOKEN-1"),  # answered 40001: the token expired meanwhile
        (TOKEN_PATH, None),  # exactly one refresh
        (SEND, "TOKEN-2"),  # exactly one retry, with the same body
    ]
    assert fake.of(SEND)[-1].json() == fake.of(SEND)[-2].json()


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
async def test_each_token_errcode_triggers_exactly_one_refresh_and_one_retry(
    api: WeChatApi, fake: FakeWeChatApi, errcode: int
) -> None:
    await api.user_language(OPENID)
    fake.fail_next(USER_INFO, errcode)
    fake.users[OPENID] = {"subscribe": 1, "openid": OPENID, "language": "zh_CN"}
    assert await api.user_language(OPENID) == "zh_CN"
    assert fake.token_refreshes == 2
    assert len(fake.of(USER_INFO)) == 3


async def test_concurrent_token_errors_still_cause_a_single_refresh(
    api: WeChatApi, fake: FakeWeChatApi
) -> None:
    await api.send_text(OPENID, "warm up")
    fake.expire_tokens()
    await asyncio.gather(*(api.send_text(OPENID, f"message {i}") for i in range(5)))
    assert fake.token_refreshes == 2  # the first one and exactly one more
    sends = fake.of(SEND)[1:]
    assert (
        sorted(call.query["access_token"] for call in sends) == ["TOKEN-1"] * 5 + ["TOKEN-2"] * 5
    )


async def test_a_token_refused_even_after_the_refresh_is_a_token_error(
    api: WeChatApi, fake: FakeWeChatApi
) -> None:
    await api.send_text(OPENID, "warm up")
    fake.fail_next(SEND, 40001)
    fake.fail_next(SEND, 40001)
    with pytest.raises(WeChatTokenError) as raised:
        await api.send_text(OPENID, "hi")
    assert raised.value.errcode == 40001
    assert raised.value.kind is ErrorKind.TOKEN
    assert len(fake.of(SEND)) == 3  # warm-up, the call, one retry: no loop
    assert fake.token_refreshes == 2


async def test_wrong_credentials_are_a_token_error(fake: FakeWeChatApi) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        api = WeChatApi(APP_ID, "wrong", base_url=fake.base_url, client=client)
        with pytest.raises(WeChatTokenError) as raised:
            await api.send_text(OPENID, "hi")
    assert raised.value.errcode == 40125
    assert fake.of(SEND) == []
    assert "wrong" not in str(raised.value)


async def test_a_failed_refresh_is_not_cached(api: WeChatApi, fake: FakeWeChatApi) -> None:
    fake.fail_next_http(TOKEN_PATH, 502)
    with pytest.raises(WeChatUnavailable):
        await api.send_text(OPENID, "hi")
    await api.send_text(OPENID, "hi again")
    assert fake.token_refreshes == 2
    assert len(fake.of(SEND)) == 1


# --- bodies -----------------------------------------------------------------------------------


async def test_bodies_are_utf8_without_unicode_escapes(
    api: WeChatApi, fake: FakeWeChatApi
) -> None:
    await api.send_text(OPENID, TEXT)
    call = fake.of(SEND)[0]
    assert call.content_type == "application/json; charset=utf-8"
    assert b"\\u" not in call.body
    assert TEXT.encode("utf-8") in call.body
    assert call.json() == {"touser": OPENID, "msgtype": "text", "text": {"content": TEXT}}


async def test_template_data_values_are_wrapped(api: WeChatApi, fake: FakeWeChatApi) -> None:
    msgid = await api.send_template(
        OPENID, "TEMPLATE_ID", {"thing1": "永久居留身份证续签", "time2": "2026年12月26日"}
    )
    assert msgid == 200228332
    call = fake.of(TEMPLATE)[0]
    assert b"\\u" not in call.body
    assert call.json() == {
        "touser": OPENID,
        "template_id": "TEMPLATE_ID",
        "data": {"thing1": {"value": "永久居留身份证续签"}, "time2": {"value": "2026年12月26日"}},
    }
    await api.send_template(OPENID, "TEMPLATE_ID", {}, url="https://example.org/renewal")
    assert fake.of(TEMPLATE)[1].json()["url"] == "https://example.org/renewal"


async def test_user_language_asks_for_english_field_names(
    api: WeChatApi, fake: FakeWeChatApi
) -> None:
    fake.users[OPENID] = {"subscribe": 1, "openid": OPENID, "language": "en"}
    assert await api.user_language(OPENID) == "en"
    call = fake.of(USER_INFO)[0]
    assert call.method == "GET"
    assert call.query == {"openid": OPENID, "lang": "en", "access_token": "TOKEN-1"}


async def test_user_language_of_an_unsubscribed_user_is_none(api: WeChatApi) -> None:
    assert await api.user_language("oSOMEONE_else") is None


async def test_create_menu_posts_the_menu_as_is(api: WeChatApi, fake: FakeWeChatApi) -> None:
    menu = {
        "button": [
            {"type": "click", "name": "费用 Fees", "key": "MENU_FEES"},
            {"type": "click", "name": "办公时间", "key": "MENU_HOURS"},
        ]
    }
    await api.create_menu(menu)
    call = fake.of(MENU)[0]
    assert call.json() == menu
    assert b"\\u" not in call.body


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("errcode", "error", "kind"),
    [
        (45009, WeChatRateLimited, ErrorKind.RATE_LIMITED),
        (45047, WeChatRateLimited, ErrorKind.RATE_LIMITED),
        (43004, WeChatUserUnreachable, ErrorKind.USER_UNREACHABLE),
        (43019, WeChatUserUnreachable, ErrorKind.USER_UNREACHABLE),
        (40003, WeChatUserUnreachable, ErrorKind.USER_UNREACHABLE),
        (45015, WeChatWindowClosed, ErrorKind.WINDOW_CLOSED),
        (44002, WeChatApiError, ErrorKind.OTHER),
    ],
)
async def test_errcodes_raise_a_class_a_caller_can_act_on(
    api: WeChatApi, fake: FakeWeChatApi, errcode: int, error: type[WeChatApiError], kind: ErrorKind
) -> None:
    fake.fail_next(SEND, errcode, "scripted")
    with pytest.raises(error) as raised:
        await api.send_text(OPENID, "hi")
    assert type(raised.value) is error
    assert (raised.value.errcode, raised.value.errmsg, raised.value.kind) == (
        errcode,
        "scripted",
        kind,
    )
    assert classify(errcode) is kind
    assert len(fake.of(SEND)) == 1  # no retry for anything but token errors


def test_api_error_builds_the_subclass() -> None:
    assert isinstance(api_error(45009, "limit"), WeChatRateLimited)
    assert isinstance(api_error(42001, "expired"), WeChatTokenError)
    assert str(api_error(12345, "odd")) == "WeChat API error 12345: odd"


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_unavailable(
    api: WeChatApi, fake: FakeWeChatApi, status: int
) -> None:
    await api.send_text(OPENID, "warm up")
    fake.fail_next_http(SEND, status)
    with pytest.raises(WeChatUnavailable, match=str(status)):
        await api.send_text(OPENID, "hi")


async def test_system_busy_is_unavailable(api: WeChatApi, fake: FakeWeChatApi) -> None:
    fake.fail_next(SEND, -1, "system error")
    with pytest.raises(WeChatUnavailable, match="busy"):
        await api.send_text(OPENID, "hi")


async def test_a_refused_connection_is_unavailable(clock: ManualClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient(trust_env=False) as client:
        api = WeChatApi(APP_ID, APP_SECRET, f"http://127.0.0.1:{port}", client, clock)
        with pytest.raises(WeChatUnavailable, match="ConnectError") as raised:
            await api.send_text(OPENID, "hi")
    assert raised.value.__cause__ is None


async def test_a_body_that_is_not_json_is_unavailable(api: WeChatApi, fake: FakeWeChatApi) -> None:
    fake.fail_next_http(SEND, 200)  # the fake's HTML page, with a 200 status
    with pytest.raises(WeChatUnavailable, match="not JSON"):
        await api.send_text(OPENID, "hi")


async def test_openids_and_texts_stay_out_of_info_logs(
    api: WeChatApi, fake: FakeWeChatApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.channels.wechat.api")
    await api.send_text(OPENID, TEXT)
    fake.expire_tokens()
    await api.send_template(OPENID, "TEMPLATE_ID", {"thing1": TEXT})
    await api.user_language(OPENID)
    ours = [record for record in caplog.records if record.name == "bot.channels.wechat.api"]
    assert any(record.levelno == logging.INFO for record in ours)
    for record in ours:
        message = record.getMessage()
        assert OPENID not in message and TEXT not in message and "TOKEN-" not in message


async def test_a_client_it_creates_itself_is_closed(
    fake: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with WeChatApi(APP_ID, APP_SECRET, base_url=fake.base_url + "/") as api:
        await api.send_text(OPENID, "hi")
        client = api._client
    assert client.is_closed
    assert fake.of(SEND)[0].path == SEND  # a trailing slash in base_url is harmless


async def test_a_client_passed_in_is_left_open(fake: FakeWeChatApi) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        async with WeChatApi(APP_ID, APP_SECRET, base_url=fake.base_url, client=client) as api:
            await api.send_text(OPENID, "hi")
        assert not client.is_closed
