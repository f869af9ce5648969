"""Replaying the inbox: every stored update on SQLite, only abandoned ones on a shared store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import Resources, build_app
from bot.channels.telegram import ABANDONED, TelegramChannel
from bot.reminders.dispatcher import DispatchSettings
from tests.channels.fake_bot_api import RecordingRequest, message_update
from tests.conftest import FakeClock, make_settings


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_replay_takes_what_no_live_replica_may_be_handling(
    kind: str,
    database: Path,
    clock: FakeClock,
    resources: Resources,
    request: pytest.FixtureRequest,
) -> None:
    overrides: dict[str, object] = {}
    if kind == "postgres":
        overrides["database_url"] = request.getfixturevalue("postgres_database")
    settings = make_settings(
        database,
        telegram_token="123456:TEST-token",
        dispatch=DispatchSettings(limits=False),
        **overrides,
    )
    app = build_app(settings, resources=resources, clock=clock)
    recorded = RecordingRequest()
    channel = TelegramChannel(app, request=recorded)
    await app.start()
    await channel.connect()
    try:
        old = message_update("/fees", chat_id=51)
        new = message_update("/hours", chat_id=52)
        now = clock.now()
        store = app.store
        await store.inbox_add(
            "telegram", [(str(old["update_id"]), json.dumps(old))], now - ABANDONED * 2
        )
        await store.inbox_add("telegram", [(str(new["update_id"]), json.dumps(new))], now)
        await channel._replay_inbox()
        await channel._router.join(within=10)
        await channel.sender().drain()
        chats = {str(p["chat_id"]) for p in recorded.of("sendMessage")}
        left = [u for u, _ in await store.inbox_pending("telegram", 10)]
        if kind == "sqlite":  # the store is this process's alone: everything was left by it
            assert chats == {"51", "52"} and left == []
        else:  # the new one may be in another replica's hands right now
            assert chats == {"51"} and left == [str(new["update_id"])]
    finally:
        await channel.stop()
        await app.stop()
