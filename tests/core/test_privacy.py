"""Unplaced questions are kept without what could identify someone."""

from __future__ import annotations

import pytest

from bot.core.privacy import redact


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("my card no is 156 3412 8899 0012", "156 3412 8899 0012"),
        ("passport E1234.5678 lost", "E1234.5678"),
        ("number 1234/5678/9012", "1234/5678/9012"),
        ("from 192.168.1.20 today", "192.168.1.20"),
        ("call +86 138-0000-0000", "138-0000-0000"),
        ("ＩＤ １２３４５６７８", "12345678"),
        ("write to ana.li@example.com", "ana.li@example.com"),
        ("write to ana(at)example.com", "ana(at)example.com"),
        ("ana [at] example [dot] com please", "example [dot] com"),
        ("ana at example dot com please", "example dot com"),
        ("ANA(AT)EXAMPLE(DOT)CN", "EXAMPLE"),
    ],
)
def test_identifying_numbers_and_addresses_are_masked(text: str, hidden: str) -> None:
    kept = redact(text)
    assert hidden not in kept
    assert "[number]" in kept or "[email]" in kept


@pytest.mark.parametrize(
    "text",
    ["is the office open in 2027", "fee for 3 children", "opens at 9 on 1 May", "I live at home"],
)
def test_ordinary_questions_are_kept_as_typed(text: str) -> None:
    assert redact(text) == text


def test_long_text_is_cut() -> None:
    assert len(redact("word " * 200)) == 300
