"""Dialogue scenarios from tests/dialogues/*.yaml, run against the real app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import BotApp
from tests.conftest import Chat, payloads_of, text_of

SCENARIOS = sorted(
    p for p in Path(__file__).resolve().parents[1].glob("dialogues/*.yaml")
    if p.name != "phrases.yaml"  # per-language phrases, used by test_languages.py
)


def _load() -> list[Any]:
    cases = []
    for path in SCENARIOS:
        for scenario in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(scenario, id=f"{path.stem}: {scenario['name']}"))
    return cases


@pytest.mark.parametrize("scenario", _load())
async def test_dialogue(app: BotApp, scenario: dict[str, Any]) -> None:
    chat = Chat(app, language=scenario.get("language"))
    for number, step in enumerate(scenario["steps"], start=1):
        if "say" in step:
            replies = await chat.say(str(step["say"]))
        elif "press" in step:
            replies = await chat.press(str(step["press"]))
        else:
            replies = await chat.send_other()
        text = text_of(replies)
        where = f"step {number} ({step}):\n{text}"
        assert replies, f"no reply at {where}"
        for expected in step.get("expect", []):
            assert str(expected) in text, f"{expected!r} missing at {where}"
        for unwanted in step.get("absent", []):
            assert str(unwanted) not in text, f"{unwanted!r} present at {where}"
        offered = payloads_of(replies)
        for payload in step.get("buttons", []):
            assert payload in offered, f"button {payload!r} missing at {where}: {offered}"
        for payload in step.get("absent_buttons", []):
            assert payload not in offered, f"button {payload!r} offered at {where}: {offered}"
        if "only_buttons" in step:  # exactly these buttons, in this order, and nothing else
            assert offered == step["only_buttons"], f"buttons at {where}: {offered}"
        assert all(len(r.text) <= 4096 for r in replies)


async def test_feedback_is_stored_and_counted(app: BotApp) -> None:
    chat = Chat(app)
    replies = await chat.say("/fees")
    assert "fb:fees:1" in payloads_of(replies) and "fb:fees:0" in payloads_of(replies)
    assert "Thank you" in text_of(await chat.press("fb:fees:1"))
    await Chat(app, chat_id="2").say("/fees")
    await Chat(app, chat_id="2").press("fb:fees:0")
    assert "no longer valid" in text_of(await chat.press("fb:nonsense:1"))
    assert "no longer valid" in text_of(await chat.press("fb:fees:7"))
    (fees,) = [s for s in await app.store.topic_stats() if s.topic == "fees"]
    assert (fees.asked, fees.helpful, fees.unhelpful) == (2, 1, 1)


async def test_unplaced_questions_are_kept_without_identity(app: BotApp) -> None:
    await Chat(app).say("zxqv blorf E12345678 qwop a.b@example.com")
    ((_, _language, text),) = await app.store.unplaced(10)
    assert "E12345678" not in text and "a.b@example.com" not in text
    assert "[number]" in text and "[email]" in text


async def test_a_near_miss_offers_its_guesses_and_one_menu_button(app: BotApp) -> None:
    matcher = app.engine.services.matcher
    candidates = (
        *("bananas", "the thing", "visa", "some stuff", "stuff", "that office thing"),
        *("something", "a card", "my situation", "the other thing about it"),
    )
    matches = {q: matcher.match(q) for q in candidates}
    near = [
        q for q, m in matches.items() if m.intent is None and not m.out_of_scope and m.guesses()
    ]
    assert near, "no candidate is a near miss any more: pick another"
    replies = await Chat(app).say(near[0])
    (reply,) = replies  # one message, not a second one with the whole menu
    assert reply.text.startswith("Sorry, I am not sure what you mean. Did you mean:")
    offered = payloads_of(replies)
    assert offered[-1] == "menu" and 2 <= len(offered) <= 4
    labels = [b.label for row in reply.buttons for b in row]
    assert labels[-1] == "☰ Main menu"
