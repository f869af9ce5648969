"""What a channel can show, and turning the engine's messages into parts that fit it.

The engine says what to say; this module shapes it for a channel's capabilities: buttons
become numbered lines where a channel has none (the options are kept with the conversation,
so a restart does not forget them), text is split at the channel's own limit in its own unit,
and every message becomes parts of which each is exactly one platform call.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.text import _
from bot.core.types import Attachment, Button, Outbound, Venue

OPTIONS_KEY = "_options"  # conversation data: the numbered options last shown


class TextUnit(StrEnum):
    """How a platform counts the length of a message."""

    UTF16 = "utf16"  # Telegram: UTF-16 code units
    UTF8 = "utf8"  # WeChat: bytes of UTF-8
    CHARS = "chars"  # a terminal: characters


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can show; rendering follows it."""

    buttons: bool = True  # inline buttons; without them options become numbered lines
    text_limit: int = 4096
    text_unit: TextUnit = TextUnit.UTF16
    files: bool = True  # documents such as the calendar file
    locations: bool = True  # a map pin
    several_messages: bool = True  # False: everything in one message, cut at the limit
    reminders: bool = True  # False: this channel cannot deliver reminders (not configured)
    edits: bool = False  # a reply may replace the message whose button was pressed


TELEGRAM = Capabilities(edits=True)


def measure(text: str, unit: TextUnit) -> int:
    """The length of `text` as the platform counts it."""
    if unit is TextUnit.UTF16:
        return len(text.encode("utf-16-le")) // 2
    if unit is TextUnit.UTF8:
        return len(text.encode("utf-8"))
    return len(text)


def render(
    messages: list[Outbound] | tuple[Outbound, ...],
    caps: Capabilities,
    pressed: str | None = None,
) -> tuple[list[Outbound], list[dict[str, str]]]:
    """The parts to send for `messages` on a channel, and the numbered options shown (if any).

    Each part is one platform call: text (with its buttons), a map pin or a file. `pressed`
    is the platform reference of the message whose button was pressed: where the channel
    edits and the first message asks for it (`edit`), the first part replaces that message
    (`replaces`); every other part is sent as a new message.
    """
    options: list[dict[str, str]] = []
    shaped: list[Outbound] = []
    for message in messages:
        if not caps.buttons:
            message = _number_buttons(message, options)
        if not caps.locations and message.venue is not None:
            venue = message.venue
            pin = f"📍 {venue.title}\n{venue.address}"
            message = dataclasses.replace(message, text=_join(message.text, pin), venue=None)
        if not caps.files and message.attachment is not None:
            message = dataclasses.replace(message, attachment=None)
        shaped.append(message)
    if not caps.several_messages:
        shaped = [_merge(shaped)]
    parts: list[Outbound] = []
    for message in shaped:
        for piece in split_long(message, caps.text_limit, caps.text_unit):
            parts.extend(explode(piece))
    if pressed and caps.edits and messages and messages[0].edit and parts and parts[0].text:
        parts[0] = dataclasses.replace(parts[0], replaces=pressed)
    return parts, options


def _number_buttons(message: Outbound, options: list[dict[str, str]]) -> Outbound:
    """Buttons as lines "Reply 1 for label"; links as "label: url". Numbers run on."""
    if not message.buttons:
        return message
    lines: list[str] = []
    for row in message.buttons:
        for button in row:
            if button.url:
                lines.append(f"{button.label}: {button.url}")
                continue
            number = str(len(options) + 1)
            options.append({"n": number, "label": button.label, "payload": button.payload})
            # Translators: one numbered option of a chat without buttons, e.g. "Reply 1 for 💰
            # Fees"; the user answers with the number (or the option's words).
            lines.append(_("Reply {number} for {label}").format(number=number, label=button.label))
    return dataclasses.replace(message, text=_join(message.text, "\n".join(lines)), buttons=())


def _join(text: str, more: str) -> str:
    return f"{text}\n\n{more}" if text else more


def _merge(messages: list[Outbound]) -> Outbound:
    """One message for a channel that shows one: the texts joined, the last file and pin."""
    text = "\n\n".join(m.text for m in messages if m.text)
    buttons = tuple(row for m in messages for row in m.buttons)
    venue = next((m.venue for m in reversed(messages) if m.venue), None)
    attachment = next((m.attachment for m in reversed(messages) if m.attachment), None)
    return Outbound(text=text, buttons=buttons, venue=venue, attachment=attachment)


def explode(message: Outbound) -> list[Outbound]:
    """One part per platform call: the text with its buttons, then the pin, then the file."""
    parts: list[Outbound] = []
    if message.text or message.buttons:
        parts.append(Outbound(text=message.text, buttons=message.buttons, meta=message.meta))
    if message.venue is not None:
        parts.append(Outbound(venue=message.venue, meta=message.meta))
    if message.attachment is not None:
        parts.append(Outbound(attachment=message.attachment, meta=message.meta))
    return parts


def split_long(message: Outbound, limit: int, unit: TextUnit = TextUnit.UTF16) -> list[Outbound]:
    """Split a message whose text exceeds `limit` at paragraph or line breaks.

    Buttons, venue and attachment stay with the last part, so the keyboard stays under the
    text it belongs to.
    """
    if measure(message.text, unit) <= limit:
        return [message]
    parts: list[str] = []
    rest = message.text
    while measure(rest, unit) > limit:
        fit = _fitting_prefix(rest, limit, unit)
        cut = rest.rfind("\n\n", 0, fit)
        if cut <= 0:
            cut = rest.rfind("\n", 0, fit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, fit)
        if cut <= 0:
            cut = fit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    head = [Outbound(text=part) for part in parts[:-1] if part]
    return [*head, dataclasses.replace(message, text=parts[-1])]


def _fitting_prefix(text: str, limit: int, unit: TextUnit) -> int:
    """The number of characters of `text` that fit in `limit` units."""
    if unit is TextUnit.CHARS:
        return min(len(text), limit)
    low, high = 0, min(len(text), limit)
    while low < high:  # the longest prefix within the limit
        middle = (low + high + 1) // 2
        if measure(text[:middle], unit) <= limit:
            low = middle
        else:
            high = middle - 1
    return max(low, 1)


_NUMBER = re.compile(r"^\s*[#(（]?\s*(\d{1,3})\s*[.)）。、]?\s*$")
_NOT_WORD = re.compile(r"[^\w\s]")


def chosen_option(text: str, options: list[dict[str, str]]) -> str | None:
    """The payload of the option a typed answer picks: its number or its words."""
    if not options:
        return None
    typed = unicodedata.normalize("NFKC", text)
    number = _NUMBER.match(typed)
    if number is not None:
        wanted = str(int(number.group(1)))
        return next((o["payload"] for o in options if o["n"] == wanted), None)
    words = _words(typed)
    if not words:
        return None
    matches = [o["payload"] for o in options if _words(o["label"]) == words]
    return matches[0] if len(matches) == 1 else None


def _words(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text)).casefold().split())


# Outbox encoding: a part as JSON, so a reply survives a restart between handling and sending.


def encode_part(part: Outbound) -> str:
    """A part as JSON for the outbox."""
    data: dict[str, Any] = {}
    if part.text:
        data["text"] = part.text
    if part.buttons:
        data["buttons"] = [
            [{"label": b.label, "payload": b.payload, "url": b.url} for b in row]
            for row in part.buttons
        ]
    if part.venue is not None:
        data["venue"] = dataclasses.asdict(part.venue)
    if part.attachment is not None:
        attachment = part.attachment
        data["attachment"] = {
            "filename": attachment.filename,
            "mime_type": attachment.mime_type,
            "content": base64.b64encode(attachment.content).decode("ascii"),
        }
    if part.meta:
        data["meta"] = part.meta
    if part.replaces is not None:
        data["replaces"] = part.replaces
    return json.dumps(data, ensure_ascii=False)


def decode_part(payload: str) -> Outbound:
    """The part encoded by `encode_part`."""
    data = json.loads(payload)
    buttons = tuple(
        tuple(Button(b["label"], b.get("payload", ""), b.get("url")) for b in row)
        for row in data.get("buttons", ())
    )
    venue = Venue(**data["venue"]) if "venue" in data else None
    attachment = None
    if "attachment" in data:
        raw = data["attachment"]
        attachment = Attachment(
            raw["filename"], base64.b64decode(raw["content"]), raw["mime_type"]
        )
    return Outbound(
        text=data.get("text", ""),
        buttons=buttons,
        venue=venue,
        attachment=attachment,
        meta=dict(data.get("meta", {})),
        replaces=data.get("replaces"),
    )
