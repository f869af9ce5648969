"""Channel-neutral messages that cross between the adapters and the engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class InboundKind(StrEnum):
    """What arrived from the user."""

    TEXT = "text"
    BUTTON = "button"
    UNSUPPORTED = "unsupported"  # photos, stickers, voice and anything without text


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a user did: typed text, pressed a button or sent something else."""

    channel: str
    chat_id: str
    kind: InboundKind
    received_at: dt.datetime
    text: str = ""
    payload: str = ""
    language_hint: str | None = None
    update_id: str | None = None
    private: bool = True  # a one-to-one chat; in groups only facts are answered
    forwarded: bool = False  # forwarded text is read as text, never run as a command
    # The platform's reference of the message whose button was pressed (Telegram: its
    # message_id), so a reply may replace it; None for typed text and where there is none.
    message_ref: str | None = None

    @property
    def command(self) -> tuple[str, str] | None:
        """The `/command` and its argument text, if the text is a command."""
        if self.kind is not InboundKind.TEXT or self.forwarded or not self.text.startswith("/"):
            return None
        head, _, rest = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return name, rest.strip()


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a label and the payload it sends back."""

    label: str
    payload: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Venue:
    """A map pin with a title and an address."""

    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message (for example a calendar file)."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message the bot sends: text with optional buttons, a map pin or a file."""

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    venue: Venue | None = None
    attachment: Attachment | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False)
    # Replace the message whose button was pressed (details, next page, a filtered list), where
    # the channel can edit messages; elsewhere it is sent as a new message.
    edit: bool = False
    # Set by rendering: the platform reference of the message this part replaces (only the
    # first part of a reply, only where the channel edits); a channel that cannot replace it
    # sends the part as a new message.
    replaces: str | None = None
    # A yes/no question ("Shall I answer in French from now on?"): the payload of its button,
    # which a typed "yes" ("oui", "是", "да") presses when this is the reply's last message.
    on_yes: str | None = None


@dataclass(frozen=True, slots=True)
class BotCommand:
    """A command and its one-line description, for the client's command menu."""

    command: str
    description: str
