"""What may be kept of a user's words: long numbers and e-mail addresses are masked."""

from __future__ import annotations

import re

MAX_KEPT = 300
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Card, passport and phone numbers: runs of 5 or more digits, possibly split by spaces or dashes.
_NUMBER = re.compile(r"(?:[A-Za-z]{0,2}\d[\d\s-]{3,}\d)")


def redact(text: str) -> str:
    """The text with identifying numbers and e-mail addresses masked, at most 300 characters."""
    text = _EMAIL.sub("[email]", text)
    text = _NUMBER.sub(
        lambda m: "[number]" if sum(c.isdigit() for c in m.group()) >= 5 else m.group(), text
    )
    return " ".join(text.split())[:MAX_KEPT]
