"""Telegram webhooks with two `prbot serve` replicas on one PostgreSQL database (real processes,
the fake Bot API on 127.0.0.1, updates posted to the replicas as Telegram would)."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.channels.bot_api_server import FakeBotApi
from tests.channels.fake_bot_api import message_update
from tests.channels.telegram_serve import PUBLIC_URL, SECRET, Telegram, WebhookReplica
from tests.pg_server import PostgresServer

USERS = 100
# Three messages per user, each known by a line only its answer has.
SCRIPT = [
    ("/help", "Or use a command"),
    ("/hours", "The same hours at: "),
    ("/lost", "If your card is lost or damaged:"),
]


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


def _replicas(api: FakeBotApi, dsn: str, tmp_path: Path, count: int = 2) -> list[WebhookReplica]:
    replicas = [
        WebhookReplica(api.base_url, dsn, tmp_path, log=tmp_path / f"replica{n}.log")
        for n in range(count)
    ]
    try:
        for replica in replicas:
            replica.wait_ready()
        api.wait_for("setWebhook", count, timeout=30)
    except BaseException:
        for replica in replicas:
            replica.stop()
        raise
    return replicas


def _texts_by_chat(api: FakeBotApi) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = defaultdict(list)
    for params in api.of("sendMessage"):
        texts[str(params["chat_id"])].append(str(params.get("text", "")))
    return texts


def _answered(texts: list[str]) -> list[int]:
    """For each message of the script, how many sent texts carry its answer."""
    return [sum(marker in text for text in texts) for _command, marker in SCRIPT]


def _in_order(texts: list[str]) -> bool:
    firsts = []
    for _command, marker in SCRIPT:
        found = [i for i, text in enumerate(texts) if marker in text]
        if not found:
            return False
        firsts.append(found[0])
    return firsts == sorted(firsts)


def _wait_answered(api: FakeBotApi, chats: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = _texts_by_chat(api)
        if all(min(_answered(texts.get(chat, []))) >= 1 for chat in chats):
            return
        time.sleep(0.1)


def _burst(telegram: Telegram, first_chat: int) -> tuple[list[str], Any]:
    """Every user's three messages, users concurrently, each user's in turn."""
    chats = [first_chat + n for n in range(USERS)]
    updates = {chat: [message_update(text, chat_id=chat) for text, _ in SCRIPT] for chat in chats}

    def user(chat: int) -> None:
        for update in updates[chat]:
            telegram.deliver(update)

    pool = ThreadPoolExecutor(max_workers=25)
    futures = [pool.submit(user, chat) for chat in chats]
    return [str(chat) for chat in chats], (pool, futures)


def test_two_replicas_answer_every_message_once_and_in_order(
    api: FakeBotApi, postgres_database: str, tmp_path: Path
) -> None:
    replicas = _replicas(api, postgres_database, tmp_path)
    try:
        telegram = Telegram(replicas)
        chats, (pool, futures) = _burst(telegram, 500_000)
        for future in futures:
            future.result(timeout=120)
        pool.shutdown()
        telegram.close()
        _wait_answered(api, chats)
        time.sleep(0.5)  # a duplicate would come now
        texts = _texts_by_chat(api)
        for chat in chats:
            assert _answered(texts[chat]) == [1, 1, 1], (chat, texts[chat])
            assert _in_order(texts[chat]), (chat, texts[chat])
        # both replicas did part of the work
        for replica in replicas:
            metrics = replica.client.get("/metrics").text
            handled = _sample(
                metrics, 'prbot_updates_handled_total{channel="telegram",outcome="ok"}'
            )
            assert handled >= USERS, metrics
    finally:
        for replica in replicas:
            assert replica.stop() == 0


def test_a_replica_killed_mid_burst_loses_nothing(
    api: FakeBotApi, postgres_database: str, tmp_path: Path
) -> None:
    api.send_delay = 0.005  # keep parts in flight when the kill comes
    replicas = _replicas(api, postgres_database, tmp_path)
    try:
        telegram = Telegram(replicas)
        chats, (pool, futures) = _burst(telegram, 600_000)
        deadline = time.monotonic() + 60
        while telegram.delivered < USERS and time.monotonic() < deadline:
            time.sleep(0.01)
        replicas[0].kill()
        telegram.dead.add(0)  # Telegram gets no 200 from it: the rest goes to the other one
        assert telegram.delivered < len(SCRIPT) * USERS
        for future in futures:
            future.result(timeout=120)
        pool.shutdown()
        telegram.close()
        _wait_answered(api, chats, timeout=60)
        time.sleep(0.5)
        texts = _texts_by_chat(api)
        duplicates = 0
        for chat in chats:
            counts = _answered(texts[chat])
            assert min(counts) >= 1, (chat, texts[chat])  # nothing lost
            assert _in_order(texts[chat]), (chat, texts[chat])
            duplicates += sum(counts) - len(SCRIPT)
        assert duplicates <= 1  # at most the part in flight at the kill
    finally:
        for replica in replicas:
            replica.stop()


def test_webhook_secret_bodies_set_webhook_readyz_and_metrics(
    api: FakeBotApi, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    name = postgres_server.create_database()
    try:
        (replica,) = _replicas(api, postgres_server.dsn(name), tmp_path, count=1)
        try:
            (call,) = api.of("setWebhook")
            assert call["url"] == f"{PUBLIC_URL}/telegram"
            assert call["secret_token"] == SECRET
            assert call["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
            assert call.get("drop_pending_updates") in (None, False, "false", "False")
            assert not api.of("getUpdates")  # no polling beside the webhook

            wrong = replica.post_update(message_update("/help", chat_id=71), secret="nope")
            missing = replica.post_update(message_update("/help", chat_id=72), secret=None)
            assert (wrong.status_code, missing.status_code) == (403, 403)
            client = replica.client
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            big = client.post("/telegram", content=b"{" + b" " * 1_100_000 + b"}", headers=headers)
            assert big.status_code == 413
            assert client.post("/telegram", content=b"<xml/>", headers=headers).status_code == 400
            assert client.post("/telegram", content=b"[1]", headers=headers).status_code == 400
            assert client.get("/telegram").status_code == 405

            assert replica.post_update(message_update("/hours", chat_id=73)).status_code == 200
            texts = _wait_for_chat(api, "73")
            assert any(SCRIPT[1][1] in text for text in texts)
            time.sleep(0.3)
            sent_to = {str(p["chat_id"]) for p in api.of("sendMessage")}
            assert "71" not in sent_to and "72" not in sent_to

            metrics = client.get("/metrics")
            assert metrics.status_code == 200
            assert metrics.headers["content-type"].startswith("text/plain")
            body = metrics.text
            assert (
                _sample(body, 'prbot_updates_handled_total{channel="telegram",outcome="ok"}') == 1
            )
            assert _sample(body, 'prbot_update_handling_seconds_count{channel="telegram"}') == 1
            assert _sample(body, "prbot_reminders_pending") == 0
            assert "prbot_database_errors_total 0.0" in body

            assert client.get("/readyz").status_code == 200
            postgres_server.drop_database(name)  # the database is gone under the replica
            deadline = time.monotonic() + 20
            status = 200
            while status != 503 and time.monotonic() < deadline:
                status = client.get("/readyz").status_code
                time.sleep(0.1)
            assert status == 503
            assert client.get("/healthz").status_code == 200  # the process itself is alive
        finally:
            replica.stop()
    finally:
        postgres_server.drop_database(name)


def _wait_for_chat(api: FakeBotApi, chat: str, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = _texts_by_chat(api).get(chat)
        if texts:
            return texts
        time.sleep(0.05)
    raise AssertionError(f"no reply to chat {chat}")


def _sample(exposition: str, name: str) -> float:
    """The value of one sample line of the Prometheus text format."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", exposition, re.MULTILINE)
    assert match is not None, f"{name} not in the metrics"
    return float(match.group(1))
