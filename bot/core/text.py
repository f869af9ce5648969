"""The translation context: `_()` resolves against the translator of the current update.

The translator lives in a ContextVar, so concurrent updates in different languages never see
each other's locale. The Babel-backed implementation is in `bot.i18n`; the core only knows the
protocol, which keeps it free of Babel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Translator(Protocol):
    """Messages and formats for one locale."""

    @property
    def language(self) -> str:
        """The language code, e.g. `en` or `zh`."""
        ...

    def gettext(self, message: str) -> str:
        """The translation of a message."""
        ...

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The translation of a message with a count."""
        ...

    def format_money(self, amount: int, currency: str) -> str:
        """An amount of money in the locale's style."""
        ...

    def format_date(self, value: dt.date) -> str:
        """A date in the locale's long style."""
        ...

    def format_time(self, value: dt.time) -> str:
        """A time of day in the locale's short style."""
        ...

    def format_weekday(self, weekday: int) -> str:
        """The name of a weekday, 0 = Monday."""
        ...

    def format_list(self, items: Sequence[str]) -> str:
        """Items joined the locale's way: `A, B and C`, `A、B和C`."""
        ...


class SourceTranslator:
    """The untranslated source language: English text, plain ISO formats."""

    language = "en"

    def gettext(self, message: str) -> str:
        """Return the message as written."""
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Pick the English singular or plural."""
        return singular if n == 1 else plural

    def format_money(self, amount: int, currency: str) -> str:
        """Format as `CNY 1,500`."""
        return f"{currency} {amount:,}"

    def format_date(self, value: dt.date) -> str:
        """Format as ISO 8601."""
        return value.isoformat()

    def format_time(self, value: dt.time) -> str:
        """Format as `HH:MM`."""
        return value.strftime("%H:%M")

    def format_weekday(self, weekday: int) -> str:
        """English weekday name."""
        return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[
            weekday
        ]

    def format_list(self, items: Sequence[str]) -> str:
        """Join with commas."""
        return ", ".join(items)


_SOURCE = SourceTranslator()  # stateless: safe to share as the ContextVar default
_current: ContextVar[Translator] = ContextVar("translator", default=_SOURCE)


def current() -> Translator:
    """The translator of the update being handled."""
    return _current.get()


@contextmanager
def use_translator(translator: Translator) -> Iterator[Translator]:
    """Make `translator` current for the duration of the block."""
    token = _current.set(translator)
    try:
        yield translator
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """Translate a message into the current language."""
    return _current.get().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the current language."""
    return _current.get().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a module-level message for extraction; translate it later with `_()`."""
    return message
