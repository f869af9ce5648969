"""What may be kept of a user's words: identifying numbers and e-mail addresses are masked."""

from __future__ import annotations

import re
import unicodedata

MAX_KEPT = 300

_AT = r"(?:@|\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+)"
_DOT = r"(?:\.|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
# Plain and obfuscated addresses: name@example.com, name(at)example.com,
# name [at] example [dot] com, name at example dot com.
_EMAIL = re.compile(
    rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,6}}\b", re.IGNORECASE
)
# Card, passport, phone numbers and addresses such as 192.168.1.20, 1234/5678/9012, E1234.5678
# or +86 138-0000-0000: digits joined by spaces, dashes, dots or slashes, with up to two
# letters in front.
_NUMBER = re.compile(r"[A-Za-z]{0,2}\d(?:[\d\s./-]*\d)?")


def _mask_number(match: re.Match[str]) -> str:
    run = match.group()
    digits = sum(c.isdigit() for c in run)
    groups = len(re.findall(r"\d+", run))
    if digits >= 5 or (groups >= 3 and digits >= 4):
        return "[number]"
    return run


def redact(text: str) -> str:
    """The text with identifying numbers and e-mail addresses masked, at most 300 characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub("[email]", text)
    text = _NUMBER.sub(_mask_number, text)
    return " ".join(text.split())[:MAX_KEPT]
