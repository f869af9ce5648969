"""The bounded memo: least recently used entries go first; size 0 keeps nothing."""

from __future__ import annotations

import pytest

from bot.core.memo import Memo


def test_least_recently_used_goes_first() -> None:
    memo: Memo[str, int] = Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recent
    memo.put("c", 3)
    assert "b" not in memo
    assert memo.get("a") == 1 and memo.get("c") == 3 and memo.get("b") is None
    assert (memo.hits, memo.misses) == (3, 1)
    memo.put("a", 10)  # a new value for a kept key replaces it
    assert memo.get("a") == 10 and len(memo) == 2


def test_resize_and_off() -> None:
    memo: Memo[int, int] = Memo(5)
    for n in range(5):
        memo.put(n, n)
    memo.resize(2)
    assert len(memo) == 2 and 3 in memo and 4 in memo
    memo.resize(0)
    memo.put(9, 9)
    assert len(memo) == 0 and memo.get(9) is None
    with pytest.raises(ValueError, match="negative"):
        Memo(-1)
    memo.clear()
    assert memo.size == 0
