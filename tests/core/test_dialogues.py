"""Dialogue scenarios from tests/dialogues/*.yaml, run against the real app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import BotApp
from tests.conftest import Chat, payloads_of, text_of

SCENARIOS = sorted(Path(__file__).resolve().parents[1].glob("dialogues/*.yaml"))


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
        assert all(len(r.text) <= 4096 for r in replies)
