"""Reading a question for the day and the office it is about ("open on Saturday?", "石景山")."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from babel import Locale
from pydantic import AfterValidator, Field

from bot.core.languages import LANGUAGES
from bot.knowledge.fields import Record, Slug, Text, WholeNumber, fail
from bot.knowledge.files import DataFile
from bot.knowledge.model import Office

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Day and month names are read in every language of the registry (Chinese by its script).
BABEL_LOCALES = tuple("zh_Hans" if lang.code == "zh" else lang.babel_locale for lang in LANGUAGES)


@lru_cache(maxsize=4096)  # the data's aliases and day names are folded on every question
def fold(text: str) -> str:
    """Casefold, drop accents and apostrophes, so `Mañana` and `manana` meet."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))
    return text.replace("'", "").replace("’", "").replace(".", " ")


def _contains(text: str, term: str) -> bool:
    """Whether folded `text` mentions folded `term` (a word, or a stem for inflected words)."""
    if not term:
        return False
    pattern = _term_pattern(term)
    if pattern is None:
        return term in text
    return pattern.search(text) is not None


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str] | None:
    """The pattern that finds a folded term as a word (None: CJK, found as a substring)."""
    if _CJK.search(term):
        return None
    if len(term) >= 6 and re.search(r"[\u0400-\u04ff]", term):
        term = term[:-1]  # Russian: суббота -> суббот(у)
        return re.compile(rf"(?<!\w){re.escape(term)}\w*")
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")


Words = Annotated[tuple[Text, ...], Field(min_length=1)]


def _in_week(number: int) -> int:
    if not 0 <= number <= 6:
        fail(f"must be a weekday number from 0 (Monday) to 6 (Sunday), got {number}")
    return number


Weekday = Annotated[WholeNumber, AfterValidator(_in_week)]


class LexiconFile(Record):
    """data/lexicon.yaml: day words per language code; weekday words by number (0 = Monday)."""

    today: dict[Slug, Words]
    tomorrow: dict[Slug, Words]
    weekdays: dict[Slug, dict[Weekday, Words]] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Day words in every language the bot speaks."""

    today: tuple[str, ...]
    tomorrow: tuple[str, ...]
    weekdays: tuple[tuple[str, int], ...]

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read data/lexicon.yaml and add every locale's weekday names from Babel."""
        document = DataFile(path).validate(
            LexiconFile,
            {key: ("language", "") for key in ("today", "tomorrow", "weekdays")},
        )
        today = [fold(w) for words in document.today.values() for w in words]
        tomorrow = [fold(w) for words in document.tomorrow.values() for w in words]
        weekdays: set[tuple[str, int]] = set()
        for code in BABEL_LOCALES:
            days = Locale.parse(code).days
            for context in ("format", "stand-alone"):
                for width in ("wide", "abbreviated"):
                    for number, name in days[context][width].items():
                        word = fold(str(name)).strip()
                        if len(word) >= (2 if _CJK.search(word) else 3):
                            weekdays.add((word, int(number)))
        for per_language in document.weekdays.values():
            for number, words in per_language.items():
                weekdays.update((fold(w), number) for w in words)
        ordered = sorted(weekdays, key=lambda item: -len(item[0]))  # longest names first
        return cls(tuple(today), tuple(tomorrow), tuple(ordered))

    def day(self, question: str, today: dt.date) -> dt.date | None:
        """The date a question asks about: tomorrow, a weekday (the next one), or today."""
        text = fold(question)
        if any(_contains(text, w) for w in self.tomorrow):
            return today + dt.timedelta(days=1)
        for word, weekday in self.weekdays:
            if _contains(text, word):
                return today + dt.timedelta(days=(weekday - today.weekday()) % 7)
        return None


def offices_named(question: str, offices: tuple[Office, ...]) -> list[Office]:
    """The offices a question names by one of their aliases."""
    text = fold(question)
    return [o for o in offices if any(_contains(text, fold(a)) for a in o.aliases)]
