"""The WeChat channel end to end: a real `prbot serve` process, a fake WeChat API, SQLite."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.channels.wechat.messages import utf8_len
from bot.core.ports import Subscription
from bot.storage.sqlite import SqliteStore
from tests.channels.wechat.fake_wechat_api import (
    FakeWeChatApi,
    event_xml,
    media_xml,
    signed_query,
    text_xml,
)
from tests.channels.wechat.serve_process import TOKEN, ServeProcess

CUSTOM = "/cgi-bin/message/custom/send"
_ids = itertools.count(int(time.time() * 1000))


# First answers fit a phone, and so a passive reply; the list of all offices with their
# addresses, one numbered option away from /address, is longer than a passive reply may be:
# the rest goes through the customer-service API.
ALL_OFFICES = "全部办理地点"


def msg_id() -> int:
    """A MsgId nobody used yet."""
    return next(_ids)


_followers: list[str] = []


def openid() -> str:
    """A fresh follower (remembered, to check that no log line names one)."""
    user = "o" + uuid.uuid4().hex[:27]
    _followers.append(user)
    return user


class Served:
    """The fake API, the bot process and its database."""

    def __init__(self, fake: FakeWeChatApi, bot: ServeProcess, database: Path) -> None:
        self.fake = fake
        self.bot = bot
        self.database = database

    def topic_count(self, topic: str) -> int:
        """How often the bot answered a topic (its own counter in SQLite)."""

        async def read() -> int:
            async with SqliteStore(self.database, read_only=True) as store:
                stats = await store.topic_stats()
            return next((s.asked for s in stats if s.topic == topic), 0)

        return asyncio.run(read())

    def subscriptions(self, chat_id: str) -> list[Subscription]:
        """The user's active reminder subscriptions."""

        async def read() -> list[Subscription]:
            async with SqliteStore(self.database, read_only=True) as store:
                return await store.subscriptions("wechat", chat_id)

        return asyncio.run(read())

    def custom_to(self, chat_id: str) -> list[str]:
        """Texts sent to a user through the customer-service API."""
        calls = [c.json() for c in self.fake.of(CUSTOM)]
        return [c["text"]["content"] for c in calls if c["touser"] == chat_id]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("wechat-serve")
    database = tmp / "prbot.sqlite3"
    with FakeWeChatApi() as fake:
        bot = ServeProcess(fake.base_url, database, tmp, log=tmp / "serve.log")
        try:
            bot.wait_ready()
            yield Served(fake, bot, database)
        finally:
            assert bot.stop() == 0
            log = (tmp / "serve.log").read_text(encoding="utf-8")
            assert "Traceback" not in log
            assert "INFO" in log  # the log was written at INFO...
            assert not [user for user in _followers if user in log]  # ...without any openid
            assert "办公时间" not in log and "2027-06-15" not in log  # ...and without text


@pytest.fixture(scope="module")
def safe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("wechat-safe")
    database = tmp / "prbot.sqlite3"
    with FakeWeChatApi() as fake:
        bot = ServeProcess(fake.base_url, database, tmp, safe_mode=True)
        try:
            bot.wait_ready()
            yield Served(fake, bot, database)
        finally:
            assert bot.stop() == 0


def test_healthz_answers_while_the_server_is_up(served: Served) -> None:
    assert served.bot.client.get("/healthz").status_code == 200


def test_url_verification_echoes_only_for_a_valid_signature(served: Served) -> None:
    client = served.bot.client
    good = {**signed_query(TOKEN), "echostr": "8413921385"}
    answer = client.get("/wechat", params=good)
    assert (answer.status_code, answer.text) == (200, "8413921385")
    for bad in (
        {**good, "signature": "0" * 40},
        {**signed_query("another-token"), "echostr": "1"},
        {"echostr": "1"},
        {**good, "nonce": good["nonce"] + "x"},
    ):
        answer = client.get("/wechat", params=bad)
        assert answer.status_code == 403 and "84139" not in answer.text


def test_forged_unsigned_and_tampered_posts_are_refused_and_not_handled(served: Served) -> None:
    user = openid()
    body = text_xml(user, "/fees", msg_id()).encode()
    client = served.bot.client
    signed = signed_query(TOKEN)
    refused = [
        client.post("/wechat", content=body),  # unsigned
        client.post("/wechat", params=signed_query("forged"), content=body),
        client.post("/wechat", params={**signed, "signature": "f" * 40}, content=body),
        client.post("/wechat", params={**signed, "timestamp": "1"}, content=body),
        client.post("/wechat", params=signed_query(TOKEN, int(time.time()) - 3600), content=body),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    # A captured signature carrying another message: refused, the original goes through.
    first = client.post("/wechat", params=signed, content=body)
    assert first.status_code == 200
    other = text_xml(openid(), "/fees", msg_id()).encode()
    assert client.post("/wechat", params=signed, content=other).status_code == 403
    time.sleep(0.3)
    assert served.custom_to(user) == []


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><ToUserName>&a;'
        b"</ToUserName></xml>",
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml>&x;</xml>',
        b"not xml at all",
        b"<xml><ToUserName>gh</ToUserName></xml>",
        b"<other/>",
        b"",
    ],
    ids=["entities", "external", "not-xml", "missing-fields", "wrong-root", "empty"],
)
def test_hostile_or_broken_xml_is_refused_without_a_reply(served: Served, body: bytes) -> None:
    answer = served.bot.client.post("/wechat", params=signed_query(TOKEN), content=body)
    assert answer.status_code == 400
    assert "<xml>" not in answer.text


def test_a_one_megabyte_body_is_refused(served: Served) -> None:
    body = b"<xml>" + b"a" * (1024 * 1024) + b"</xml>"
    answer = served.bot.client.post("/wechat", params=signed_query(TOKEN), content=body)
    assert answer.status_code == 413


def test_text_gets_a_passive_reply_to_its_sender(served: Served) -> None:
    user = openid()
    reply = served.bot.reply(served.bot.post(text_xml(user, "办公时间", msg_id())))
    assert reply is not None
    assert (reply.to_user, reply.from_user, reply.msg_type) == (user, "gh_prbot", "text")
    assert "12367" in reply.content or "开放" in reply.content or "办公" in reply.content
    assert utf8_len(reply.content) <= 2048


def test_retries_of_one_message_are_one_turn_with_the_same_reply(served: Served) -> None:
    user = openid()
    xml = text_xml(user, "/documents", msg_id())
    before = served.topic_count("documents")
    replies = [served.bot.reply(served.bot.post(xml)) for _attempt in range(4)]
    assert replies[0] is not None
    assert {r.content for r in replies if r is not None} == {replies[0].content}
    assert served.topic_count("documents") == before + 1


def test_concurrent_retries_wait_for_the_first_attempt(served: Served) -> None:
    user = openid()
    xml = text_xml(user, "/collection", msg_id())
    before = served.topic_count("collection")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _i: served.bot.post(xml), range(4)))
    contents = {reply.content for a in answers if (reply := served.bot.reply(a)) is not None}
    assert len(contents) == 1
    assert served.topic_count("collection") == before + 1


def _ask_for_all_offices(served: Served, user: str) -> httpx.Response:
    """/address, then the number of its "all offices" option: a long answer."""
    card = served.bot.reply(served.bot.post(text_xml(user, "/address", msg_id())))
    assert card is not None
    return served.bot.post(text_xml(user, _option(card.content, ALL_OFFICES), msg_id()))


def test_a_long_answer_is_cut_and_the_rest_sent_through_the_api(served: Served) -> None:
    user = openid()
    reply = served.bot.reply(_ask_for_all_offices(served, user))
    assert reply is not None
    assert utf8_len(reply.content) <= 2048
    assert reply.content.endswith("（下一条消息继续）")
    deadline = time.monotonic() + 10
    while not served.custom_to(user) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    rest = served.custom_to(user)
    assert rest and all(utf8_len(text) <= 2048 for text in rest)
    whole = reply.content + "".join(rest)
    assert "通州" in whole and "来源" in whole  # the whole list arrived


def test_an_expired_token_is_refreshed_once_mid_send(served: Served) -> None:
    user = openid()
    served.bot.reply(served.bot.post(text_xml(user, "/help", msg_id())))  # user/info: a token
    refreshes = served.fake.token_refreshes
    served.fake.expire_tokens()
    served.bot.reply(_ask_for_all_offices(served, user))

    def accepted() -> bool:  # the fake records refused calls too: wait for one it took
        token = served.fake.current_token
        return token is not None and any(
            c.query.get("access_token") == token and c.json()["touser"] == user
            for c in served.fake.of(CUSTOM)
        )

    deadline = time.monotonic() + 10
    while not accepted() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert accepted()
    assert served.fake.token_refreshes == refreshes + 1


def test_a_reply_outside_the_48_hours_is_dropped(served: Served) -> None:
    user = openid()
    served.fake.fail_next(CUSTOM, 45015, "response out of time limit")
    served.bot.reply(_ask_for_all_offices(served, user))
    time.sleep(1.5)
    attempts = [c for c in served.fake.of(CUSTOM) if c.json()["touser"] == user]
    assert 1 <= len(attempts) <= 2  # the refused part is dropped, not retried
    served.bot.reply(served.bot.post(text_xml(user, "/hours", msg_id())))  # still answered


def test_subscribe_welcomes_in_chinese_with_english_and_numbered_topics(served: Served) -> None:
    reply = served.bot.reply(served.bot.post(event_xml(openid(), "subscribe")))
    assert reply is not None
    assert "您好" in reply.content
    assert "Write to me in English" in reply.content
    assert "回复 1：💰 费用" in reply.content


def test_the_language_wechat_reports_is_used(served: Served) -> None:
    user = openid()
    served.fake.users[user] = {"subscribe": 1, "openid": user, "language": "en"}
    reply = served.bot.reply(served.bot.post(event_xml(user, "subscribe")))
    assert reply is not None and reply.content.startswith("Hello!")


def test_menu_click_answers_its_topic(served: Served) -> None:
    user = openid()
    reply = served.bot.reply(served.bot.post(event_xml(user, "CLICK", "fees")))
    assert reply is not None and "1,500" in reply.content
    view = served.bot.reply(served.bot.post(event_xml(user, "VIEW", "https://example.org")))
    assert view is None


def test_images_and_voice_get_the_text_only_answer(served: Served) -> None:
    user = openid()
    for kind in ("image", "voice", "location", "link"):
        reply = served.bot.reply(served.bot.post(media_xml(user, kind, msg_id())))
        assert reply is not None and "文字" in reply.content


def test_language_switch_by_word_and_number(served: Served) -> None:
    user = openid()
    offer = served.bot.reply(served.bot.post(text_xml(user, "语言", msg_id())))
    assert offer is not None and "English" in offer.content
    number = _option(offer.content, "English")
    done = served.bot.reply(served.bot.post(text_xml(user, number, msg_id())))
    assert done is not None and "English" in done.content
    fees = served.bot.reply(served.bot.post(text_xml(user, "/fees", msg_id())))
    assert fees is not None and "1,500" in fees.content and "fee" in fees.content.lower()


def _option(content: str, words: str) -> str:
    """The number of the option whose line holds `words`."""
    for line in content.splitlines():
        number = re.search(r"\d+", line)
        if words in line and number is not None:
            return number.group()
    raise AssertionError(f"no option {words!r} in {content!r}")


def test_reminder_wizard_over_numbered_text_then_unsubscribe_stops_it(served: Served) -> None:
    user = openid()
    served.fake.users[user] = {"subscribe": 1, "openid": user, "language": "en"}

    def say(text: str) -> str:
        reply = served.bot.reply(served.bot.post(text_xml(user, text, msg_id())))
        assert reply is not None
        return reply.content

    start = say("/remind")
    whose = say(_option(start, "expires"))
    date = say(_option(whose, "My own card"))
    confirm = say("2027-06-15")
    assert "2027" in confirm
    saved = say(_option(confirm, "Save the reminders"))
    assert "Saved" in saved
    assert "file" not in saved  # WeChat gets no calendar file, so the bot mentions none
    assert len(served.subscriptions(user)) == 1
    assert date
    assert served.bot.reply(served.bot.post(event_xml(user, "unsubscribe"))) is None
    assert served.subscriptions(user) == []


def test_mydata_and_deletemydata_work_as_on_telegram(served: Served) -> None:
    user = openid()
    served.fake.users[user] = {"subscribe": 1, "openid": user, "language": "en"}
    mine = served.bot.reply(served.bot.post(text_xml(user, "/mydata", msg_id())))
    assert mine is not None and user in mine.content
    ask = served.bot.reply(served.bot.post(text_xml(user, "/deletemydata", msg_id())))
    assert ask is not None
    done = served.bot.reply(served.bot.post(text_xml(user, _option(ask.content, "Yes"), msg_id())))
    assert done is not None and "deleted" in done.content


def test_safe_mode_round_trip(safe: Served) -> None:
    user = openid()
    response = safe.bot.post(text_xml(user, "/fees", msg_id()))
    assert "<Encrypt>" in response.text and "1,500" not in response.text
    reply = safe.bot.reply(response)  # the signature is checked while decrypting
    assert reply is not None
    assert (reply.to_user, reply.from_user) == (user, "gh_prbot")
    assert "1,500" in reply.content


def test_safe_mode_refuses_plain_and_tampered_callbacks(safe: Served) -> None:
    user = openid()
    client = safe.bot.client
    plain = client.post(
        "/wechat", params=signed_query(TOKEN), content=text_xml(user, "/fees", msg_id())
    )
    assert plain.status_code == 403
    assert safe.bot.crypto is not None
    from tests.channels.wechat.serve_process import encrypt_callback

    body, query = encrypt_callback(
        safe.bot.crypto, text_xml(user, "/fees", msg_id()), signed_query(TOKEN)
    )
    tampered = body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA")
    assert client.post("/wechat", params=query, content=tampered).status_code == 403
    forged = {**query, "msg_signature": "0" * 40}
    assert client.post("/wechat", params=forged, content=body).status_code == 403


def test_serve_without_a_free_port_stops_with_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken, FakeWeChatApi() as fake:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        log = tmp_path / "serve.log"
        bot = ServeProcess(
            fake.base_url,
            tmp_path / "db.sqlite3",
            tmp_path,
            extra_env={"PRBOT_HTTP_PORT": port},
            log=log,
        )
        code = bot.process.wait(timeout=60)
        bot.stop()
        assert code == 1
        assert "PRBOT_HTTP_PORT" in log.read_text() and "Traceback" not in log.read_text()


def test_an_httpx_client_can_reach_healthz_concurrently(served: Served) -> None:
    async def many() -> list[int]:
        async with httpx.AsyncClient(base_url=served.bot.base) as client:
            answers = await asyncio.gather(*(client.get("/healthz") for _ in range(20)))
        return [a.status_code for a in answers]

    assert asyncio.run(many()) == [200] * 20
