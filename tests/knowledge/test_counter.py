""" "Show this at the counter": the Chinese text for the officer or the 12367 hotline.

The user here speaks French; the text they get is in Chinese, with one French line above it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.app import BotApp
from bot.knowledge.answers.counter import MAX_CHARS
from bot.knowledge.loader import KnowledgeError, load_knowledge
from tests.conftest import Chat, payloads_of, text_of

DATA = Path(__file__).resolve().parents[2] / "data"
KINDS = {
    "renewal": ("/renewal", "换发"),
    "change": ("/change", "信息"),
    "loss": ("/lost", "补发"),
    "first_application": ("/process", "首次申请"),
}
MAIN_NAME = "北京市公安局出入境接待大厅"
MAIN_ADDRESS = "东城区安定门东大街2号二环路北小街桥东南侧"
FRENCH_LINE = "Montrez ce texte"
HAN = re.compile(r"[\u4e00-\u9fff]")


def chinese_part(reply: str) -> str:
    """The text below the line in the user's language."""
    intro, _, text = reply.partition("\n\n")
    assert not HAN.search(intro), intro
    return text


async def remind(chat: Chat, event: str, whose: str, date: str) -> None:
    await chat.say("/remind")
    await chat.press(f"ev:{event}")
    await chat.press(f"who:{whose}")
    await chat.say(date)
    await chat.press("rsave")


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_answer_offers_the_counter_text_in_chinese(app: BotApp, kind: str) -> None:
    chat = Chat(app, language="fr")
    command, purpose = KINDS[kind]
    answer = await chat.say(command)
    assert f"counter:{kind}" in payloads_of(answer)
    label = next(
        b.label for r in answer for row in r.buttons for b in row if b.payload == f"counter:{kind}"
    )
    assert label == "Montrer au guichet" and len(label) <= 24

    (reply,) = await chat.press(f"counter:{kind}")
    assert reply.text.startswith(FRENCH_LINE)
    text = chinese_part(reply.text)
    assert purpose in text
    assert "护照" in text  # what they bring, from data/counter.yaml
    assert MAIN_NAME in text and MAIN_ADDRESS in text
    assert "有效期至" not in text  # no reminder, so no date
    assert len(text) <= MAX_CHARS
    assert not re.search(r"[A-Za-z]", text), text  # Chinese only
    assert "menu" in payloads_of([reply])


async def test_the_expiry_date_comes_from_the_chats_own_reminder(app: BotApp) -> None:
    chat = Chat(app, language="fr")
    await remind(chat, "expiry", "spouse", "2027-03-01")  # not the user's own card
    text = chinese_part(text_of(await chat.press("counter:renewal")))
    assert "有效期至" not in text
    await remind(chat, "expiry", "self", "2027-06-15")
    for kind in ("renewal", "loss", "change"):
        text = chinese_part(text_of(await chat.press(f"counter:{kind}")))
        assert "我的证件有效期至2027年6月15日。" in text, kind
        assert len(text) <= MAX_CHARS
    first = chinese_part(text_of(await chat.press("counter:first_application")))
    assert "2027年" not in first  # no card yet: no date

    other = Chat(app, chat_id="2002", language="fr")  # another chat sees none of it
    assert "2027年" not in text_of(await other.press("counter:renewal"))


async def test_the_change_date_is_given_for_a_change(app: BotApp) -> None:
    chat = Chat(app, language="zh")
    await remind(chat, "change", "self", "2026-11-20")
    (reply,) = await chat.press("counter:change")
    assert reply.text.startswith("请把这段文字")
    assert "我的证件信息于2026年11月20日发生变化。" in reply.text


@pytest.mark.parametrize("payload", ["counter:", "counter:visa", "counter:renewal:x", "counter"])
async def test_a_forged_payload_gets_the_stale_button_reply(app: BotApp, payload: str) -> None:
    replies = await Chat(app, language="fr").press(payload)
    assert "Ce bouton n'est plus valide" in text_of(replies)


def test_every_kind_fits_the_limit_with_both_dates() -> None:
    knowledge = load_knowledge(DATA)
    assert knowledge.counter is not None
    assert {k.id for k in knowledge.counter.kinds} == set(KINDS)
    templates = knowledge.counter.templates
    for kind in knowledge.counter.kinds:
        lines = [
            kind.purpose,
            templates.expiry.format(date="2036年12月31日"),
            templates.change.format(date="2036年12月31日"),
            templates.bring.format(items=templates.joiner.join(kind.bring)) + templates.ask,
            templates.office.format(
                name=knowledge.main_office.name.zh, address=knowledge.main_office.address.zh
            ),
        ]
        assert len("\n".join(lines)) <= MAX_CHARS, kind.id


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["kinds"][0].update(rule="nope"), "unknown rule 'nope'"),
        (lambda d: d["kinds"][0].update(colour="red"), "colour"),
        (lambda d: d["kinds"][1].update(id="renewal"), "repeats an id"),
        (lambda d: d["templates"].update(expiry="有效期"), "must contain {date}"),
        (lambda d: d["kinds"][0].pop("sources"), "sources"),
    ],
)
def test_a_broken_counter_file_is_reported(tmp_path: Path, change: object, problem: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    content = yaml.safe_load((data / "counter.yaml").read_text(encoding="utf-8"))
    change(content)  # type: ignore[operator]
    (data / "counter.yaml").write_text(yaml.safe_dump(content, allow_unicode=True), "utf-8")
    with pytest.raises(KnowledgeError, match=r"counter\.yaml") as raised:
        load_knowledge(data)
    assert problem in str(raised.value)
