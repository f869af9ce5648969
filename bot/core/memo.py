"""A small bounded memo: the most recently used results of a pure computation.

Used where the same input comes again and again and its result is immutable and depends on
nothing else (a question's match; a topic's answer in one language within one minute).
Bounded by entries, so its memory is bounded too when the keys and values are; a size of 0
turns it off (every `get` misses, nothing is kept).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Least-recently-used entries, at most `size` of them."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"a memo's size cannot be negative, got {size}")
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @property
    def size(self) -> int:
        """The most entries kept (0: none)."""
        return self._size

    def resize(self, size: int) -> None:
        """Keep at most `size` entries from now on (the least recently used go first)."""
        if size < 0:
            raise ValueError(f"a memo's size cannot be negative, got {size}")
        self._size = size
        while len(self._entries) > size:
            self._entries.popitem(last=False)

    def get(self, key: K) -> V | None:
        """The value kept for `key`, or None."""
        try:
            value = self._entries[key]
        except KeyError:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: K, value: V) -> None:
        """Keep `value` for `key`, forgetting the least recently used entry if full."""
        if self._size == 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries
