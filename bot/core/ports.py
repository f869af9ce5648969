"""Ports: what the core needs from the outside world, as Protocols injected at start-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.types import Outbound

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    """The current time. Tests inject a clock that moves only when told."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current UTC time."""
        return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class Conversation:
    """What is stored about one chat: its language and where it is in the dialogue."""

    channel: str
    chat_id: str
    language: str | None = None
    state: str = "main"
    data: dict[str, Any] = field(default_factory=dict)


class StoreError(Exception):
    """The store could not read or write."""


class ConversationStore(Protocol):
    """Conversation state and update deduplication."""

    async def load_conversation(self, channel: str, chat_id: str) -> Conversation | None:
        """The stored conversation of a chat, if any."""
        ...

    async def save_conversation(self, conversation: Conversation, now: dt.datetime) -> None:
        """Insert or update a conversation."""
        ...

    async def remember_update(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an update id; False if it was seen before."""
        ...

    async def delete_chat(self, channel: str, chat_id: str) -> None:
        """Erase everything stored about a chat."""
        ...


class Answers(Protocol):
    """Factual answers composed from the knowledge base in the current language."""

    def topic(self, topic: str, now: dt.datetime) -> list[Outbound]:
        """The answer to one topic."""
        ...
