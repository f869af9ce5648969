"""The engine's own rules: language resolution, long replies, failures, persistence."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.app import BotApp, Resources, build_app
from bot.core.engine import KeyedLocks, resolve_language
from bot.core.ports import StoreError
from bot.core.render import split_long
from bot.core.types import Button, Inbound, InboundKind, Outbound
from tests.conftest import Chat, FakeClock, make_settings, text_of


def test_client_language_codes_map_to_supported_languages() -> None:
    supported = {"en", "zh", "ru"}
    assert resolve_language("zh-hans", supported) == "zh"
    assert resolve_language("en_US", supported) == "en"
    assert resolve_language("pt-br", supported) is None
    assert resolve_language(None, supported) is None


def test_long_text_is_split_at_line_breaks_and_keeps_buttons_last() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
    message = Outbound(text=text, buttons=((Button("Menu", "menu"),),))
    parts = split_long(message, 4096)
    assert len(parts) > 1
    assert all(len(p.text) <= 4096 for p in parts)
    assert [p.buttons for p in parts[:-1]] == [()] * (len(parts) - 1)
    assert parts[-1].buttons == message.buttons
    assert "".join(p.text for p in parts).replace("\n", "") == text.replace("\n", "")


def test_text_without_breaks_is_cut_hard() -> None:
    parts = split_long(Outbound(text="y" * 9000), 4096)
    assert [len(p.text) for p in parts] == [4096, 4096, 808]


async def test_locks_are_released_and_forgotten() -> None:
    locks = KeyedLocks()
    order: list[int] = []

    async def work(n: int) -> None:
        async with locks.hold(("t", "1")):
            order.append(n)
            await asyncio.sleep(0)
            order.append(n)

    await asyncio.gather(work(1), work(2))
    assert order == [1, 1, 2, 2]  # one update at a time per chat
    assert len(locks) == 0


async def test_language_choice_and_state_survive_restart(
    database: Path, clock: FakeClock, resources: Resources
) -> None:
    first = build_app(make_settings(database), resources=resources, clock=clock)
    await first.start()
    await Chat(first, language="en").press("lang:zh")
    await first.stop()
    second = build_app(make_settings(database), resources=resources, clock=clock)
    await second.start()
    try:
        stored = await second.store.load_conversation("test", "1001")
        assert stored is not None and stored.language == "zh"
    finally:
        await second.stop()


async def test_a_failing_step_gets_an_apology_not_a_crash(
    app: BotApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> list[Outbound]:
        raise RuntimeError("a bug in an answer")

    chat = Chat(app)
    await chat.say("/remind")  # the wizard is open: the failed step must not move it
    monkeypatch.setattr(app.engine.services.answers, "topic", broken)
    replies = await chat.say("/fees")
    assert "something went wrong" in text_of(replies)
    assert "12367" in text_of(replies)
    conversation = await app.store.load_conversation("test", chat.chat_id)
    assert conversation is not None and conversation.state == "remind_event"
    monkeypatch.undo()
    replies = await chat.say("/fees")
    assert "1,500" in text_of(replies)


async def test_an_unusable_store_raises_so_the_channel_keeps_the_update(app: BotApp) -> None:
    await app.store.close()  # the database goes away under the bot
    inbound = Inbound("test", "5", InboundKind.TEXT, app.clock.now(), text="/fees", update_id="9")
    with pytest.raises(StoreError):
        await app.engine.handle(inbound)
    await app.store.open()
    assert "1,500" in text_of(await app.engine.handle(inbound))  # not taken for a duplicate


async def test_saved_language_wins_over_client_language(app: BotApp) -> None:
    chat = Chat(app, language="en")
    await chat.press("lang:zh")
    chat.language = "de"
    replies = await chat.say("/fees")
    assert "来源" in text_of(replies)


async def test_dedup_ignores_a_replayed_update(app: BotApp) -> None:
    now = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    inbound = Inbound("test", "5", InboundKind.TEXT, now, text="/fees", update_id="u-1")
    assert await app.engine.handle(inbound)
    assert await app.engine.handle(inbound) == []


async def test_a_replayed_update_of_a_known_chat_is_ignored_at_any_step(app: BotApp) -> None:
    """The chat is known, so its id is recorded with the commit (SQLite): a replay is found
    there, or at the step's first read, and nothing of it is answered or kept."""
    now = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)

    def update(text: str, update_id: str) -> Inbound:
        return Inbound("test", "5", InboundKind.TEXT, now, text=text, update_id=update_id)

    assert await app.engine.handle(update("/fees", "u-1"))  # the chat becomes known
    first = await app.engine.handle(update("/remind", "u-2"))  # a wizard opens
    assert first
    assert await app.engine.handle(update("/remind", "u-2")) == []
    assert await app.engine.handle(update("/reminders", "u-1")) == []  # reads, then found
    conversation = await app.store.load_conversation("test", "5")
    assert conversation is not None and conversation.state == "remind_event"
    assert "1,500" in text_of(await app.engine.handle(update("/fees", "u-3")))


def test_the_diagram_shows_where_each_wizard_step_may_go() -> None:
    from bot.core.dialogue import build_dialogue
    from bot.core.engine import mermaid

    diagram = mermaid(build_dialogue())
    assert "remind_event --> remind_whose: [ev] choose_event" in diagram
    assert "remind_date --> remind_confirm: text receive_date" in diagram
    assert "eligibility --> main: [el] answer" in diagram


async def test_a_step_cannot_leave_for_a_state_the_table_does_not_allow(app: BotApp) -> None:
    from bot.core.engine import AnyText, Dialogue, Engine, Reply, Route, Turn

    async def rogue(turn: Turn) -> Reply:
        return Reply((), "remind_confirm")

    dialogue = Dialogue("main", (), {"main": (Route(AnyText(), rogue),)}, ())
    engine = Engine(dialogue=dialogue, services=app.engine.services)
    chat = Chat(app)
    chat.app = type("Wrapper", (), {"engine": engine})()  # type: ignore[assignment]
    replies = await chat.say("anything")
    assert "something went wrong" in text_of(replies)
    assert await app.store.load_conversation("test", chat.chat_id) is None


def test_the_diagram_in_the_docs_is_the_one_the_table_generates() -> None:
    from bot.core.dialogue import build_dialogue
    from bot.core.engine import mermaid

    page = (Path(__file__).resolve().parents[2] / "docs" / "states.md").read_text("utf-8")
    block = page.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.strip() == mermaid(build_dialogue()).strip(), "run `prbot diagram`"
