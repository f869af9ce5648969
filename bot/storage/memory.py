"""The in-memory twin of the SQLite store, for tests and the benchmark; same contract."""

from __future__ import annotations

import copy
import datetime as dt

from bot.core.ports import Conversation


class MemoryStore:
    """Keeps everything in dictionaries; lost when the process ends."""

    def __init__(self) -> None:
        self._chats: dict[tuple[str, str], Conversation] = {}
        self._updates: set[tuple[str, str]] = set()

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def load_conversation(self, channel: str, chat_id: str) -> Conversation | None:
        """A copy of the stored conversation, so callers cannot change the store by accident."""
        stored = self._chats.get((channel, chat_id))
        return copy.deepcopy(stored) if stored is not None else None

    async def save_conversation(self, conversation: Conversation, now: dt.datetime) -> None:
        """Insert or update a conversation."""
        key = (conversation.channel, conversation.chat_id)
        self._chats[key] = copy.deepcopy(conversation)

    async def remember_update(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an update id; False if it was seen before."""
        key = (channel, update_id)
        if key in self._updates:
            return False
        self._updates.add(key)
        return True

    async def delete_chat(self, channel: str, chat_id: str) -> None:
        """Erase everything stored about a chat."""
        self._chats.pop((channel, chat_id), None)
