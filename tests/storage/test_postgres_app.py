"""The whole bot on PostgreSQL: PRBOT_DATABASE_URL picks the store, answers and wizards work."""

from __future__ import annotations

from pathlib import Path

from bot.app import Resources, build_app
from bot.storage.postgres import PostgresStore
from tests.conftest import Chat, FakeClock, make_settings, payloads_of, text_of


async def test_the_bot_runs_on_postgresql(
    postgres_database: str, tmp_path: Path, clock: FakeClock, resources: Resources
) -> None:
    settings = make_settings(tmp_path / "unused.sqlite3", database_url=postgres_database)
    app = build_app(settings, resources=resources, clock=clock)
    assert isinstance(app.store, PostgresStore)
    await app.start()
    try:
        chat = Chat(app, chat_id="pg1")
        assert "1,500" in text_of(await chat.say("how much is the application fee"))
        await chat.say("/remind")
        await chat.press("ev:expiry")
        await chat.press("who:self")
        replies = await chat.say("2027-06-15")
        assert "rsave" in payloads_of(replies)
        await chat.press("rsave")
        (subscription,) = await app.store.subscriptions("test", "pg1")
        assert subscription.event_date.isoformat() == "2027-06-15"
    finally:
        await app.stop()
    assert not (tmp_path / "unused.sqlite3").exists()
