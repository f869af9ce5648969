"""Shaping replies for a channel: numbered options, limits in the channel's unit, parts."""

from __future__ import annotations

import dataclasses

from bot.core.render import (
    Capabilities,
    TextUnit,
    chosen_option,
    decode_part,
    encode_part,
    measure,
    render,
)
from bot.core.types import Attachment, Button, Outbound, Venue

NO_BUTTONS = Capabilities(
    buttons=False, text_limit=2048, text_unit=TextUnit.UTF8, files=False, locations=False
)


def test_without_buttons_options_become_numbered_lines_across_messages() -> None:
    messages = [
        Outbound("Pick one", ((Button("💰 Fees", "t:fees"), Button("🕘 Hours", "t:hours")),)),
        Outbound(
            "Or",
            ((Button("Map", url="https://example.org/map"),), (Button("❌ Cancel", "cancel"),)),
        ),
    ]
    parts, options = render(messages, NO_BUTTONS)
    assert [o["payload"] for o in options] == ["t:fees", "t:hours", "cancel"]
    text = "\n".join(p.text for p in parts)
    assert "Reply 1 for 💰 Fees" in text and "Reply 2 for 🕘 Hours" in text
    assert "Reply 3 for ❌ Cancel" in text
    assert "Map: https://example.org/map" in text
    assert all(not p.buttons for p in parts)


def test_with_buttons_nothing_is_numbered() -> None:
    parts, options = render([Outbound("Pick", ((Button("A", "a"),),))], Capabilities())
    assert options == [] and parts[0].buttons


def test_a_typed_number_or_the_words_choose_an_option() -> None:
    options = [
        {"n": "1", "label": "💰 Fees", "payload": "t:fees"},
        {"n": "2", "label": "❌ Cancel", "payload": "cancel"},
    ]
    assert chosen_option("2", options) == "cancel"
    assert chosen_option(" ２ ", options) == "cancel"  # full-width, as typed on a phone
    assert chosen_option("1.", options) == "t:fees"
    assert chosen_option("fees", options) == "t:fees"
    assert chosen_option("Cancel!", options) == "cancel"
    assert chosen_option("3", options) is None
    assert chosen_option("how much are the fees", options) is None
    assert chosen_option("1", []) is None


def test_text_is_split_at_the_channels_limit_in_its_unit() -> None:
    text = "\n".join(["永久居留身份证" * 20] * 30)  # 3 bytes a character in UTF-8
    parts, _ = render([Outbound(text)], NO_BUTTONS)
    assert len(parts) > 1
    assert all(measure(p.text, TextUnit.UTF8) <= 2048 for p in parts)
    assert "".join(p.text for p in parts).replace("\n", "") == text.replace("\n", "")


def test_utf16_counts_emoji_as_two_units() -> None:
    assert measure("💥", TextUnit.UTF16) == 2
    assert measure("💥", TextUnit.UTF8) == 4
    assert measure("💥", TextUnit.CHARS) == 1


def test_each_part_is_one_platform_call() -> None:
    pin = Venue(39.9, 116.4, "Hall", "东城区安定门东大街2号")
    file = Attachment("window.ics", b"BEGIN:VCALENDAR", "text/calendar")
    parts, _ = render([Outbound("Here", venue=pin, attachment=file)], Capabilities())
    assert [(bool(p.text), p.venue, p.attachment) for p in parts] == [
        (True, None, None),
        (False, pin, None),
        (False, None, file),
    ]


def test_a_channel_without_maps_or_files_gets_the_pin_as_text_and_no_file() -> None:
    pin = Venue(39.9, 116.4, "Hall", "东城区安定门东大街2号")
    file = Attachment("window.ics", b"BEGIN:VCALENDAR", "text/calendar")
    (part,) = render([Outbound("Here", venue=pin, attachment=file)], NO_BUTTONS)[0]
    assert "东城区安定门东大街2号" in part.text
    assert part.venue is None and part.attachment is None


def test_parts_survive_the_outbox_encoding() -> None:
    part = Outbound(
        "Текст ✅",
        ((Button("A", "t:a"), Button("Map", url="https://example.org")),),
        meta={"topic": "fees"},
    )
    assert decode_part(encode_part(part)) == part
    file = Outbound(attachment=Attachment("a.ics", bytes(range(256)), "text/calendar"))
    assert decode_part(encode_part(file)) == file
    pin = Outbound(venue=Venue(39.9, 116.4, "Hall", "地址"))
    assert decode_part(encode_part(pin)) == pin


def test_a_channel_of_one_message_gets_the_replies_joined_then_cut_at_its_limit() -> None:
    one = Capabilities(
        buttons=False, text_limit=60, text_unit=TextUnit.UTF8, several_messages=False
    )
    messages = [Outbound("First answer."), Outbound("Second.", ((Button("A", "a"),),))]
    parts, options = render(messages, one)
    text = "\n\n".join(p.text for p in parts)
    assert text.startswith("First answer.\n\nSecond.")
    assert "Reply 1 for A" in text and options[0]["payload"] == "a"
    assert all(measure(p.text, TextUnit.UTF8) <= 60 for p in parts)


EDITS = Capabilities(edits=True)


def test_only_the_first_part_of_a_reply_replaces_the_pressed_message() -> None:
    page = Outbound("Page 2", ((Button("Next ▶", "pwl:2"),),), edit=True)
    pin = Venue(39.9, 116.4, "Office", "Street 1")
    parts, _ = render([dataclasses.replace(page, venue=pin), Outbound("More")], EDITS, "17")
    assert [p.replaces for p in parts] == ["17", None, None]
    assert parts[0].text == "Page 2" and parts[0].buttons == page.buttons


def test_a_long_replacement_replaces_with_its_first_piece_and_sends_the_rest() -> None:
    long = Outbound("a" * 60 + "\n\n" + "b" * 60, ((Button("Next", "n"),),), edit=True)
    caps = Capabilities(edits=True, text_limit=80, text_unit=TextUnit.CHARS)
    parts, _ = render([long], caps, "9")
    assert [p.replaces for p in parts] == ["9", None]
    assert parts[1].buttons  # the keyboard stays under the end of the text


def test_nothing_is_replaced_without_a_pressed_message_an_edit_or_the_capability() -> None:
    edit = Outbound("Page", edit=True)
    assert render([edit], EDITS)[0][0].replaces is None  # typed, not pressed
    assert render([Outbound("Page")], EDITS, "5")[0][0].replaces is None  # a new answer
    assert render([edit], Capabilities(), "5")[0][0].replaces is None  # cannot edit
    assert render([edit], NO_BUTTONS, "5")[0][0].replaces is None
    first_not_edit = render([Outbound("Welcome back"), edit], EDITS, "5")[0]
    assert [p.replaces for p in first_not_edit] == [None, None]


def test_the_replaced_message_survives_the_outbox() -> None:
    part = Outbound("Page 2", ((Button("Next ▶", "pwl:2"),),), replaces="123")
    assert decode_part(encode_part(part)).replaces == "123"
    assert decode_part(encode_part(Outbound("New"))).replaces is None
