"""Every language the bot speaks, in one registry: code, own name, script and Babel locale.

The catalogs in `locales/` decide which of these are loaded; this table says how each is
named in the language menu, which Babel locale formats its dates and money, which script it is
written in (the matcher tells languages apart by script first), and whether sentences are
joined without spaces (Chinese and Japanese).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo

#: Beijing time: the offices' hours, the reminders' send time and "today" are all in it.
BEIJING: dt.tzinfo = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Language:
    """One language of the bot."""

    code: str  # the catalog's folder name and the code stored with a conversation
    native_name: str  # how the language menu names it, in itself
    script: str  # latin, cyrl, arab, hang, kana+han (ja) or han
    babel_locale: str  # formats dates, numbers and money
    full_width: bool = False  # full-width punctuation, no space between sentences
    right_to_left: bool = False
    # the most characters of a first answer on a phone screen (a Han or Hangul character
    # carries about as much as two Latin letters)
    screen_chars: int = 600


#: The registry, in the order of the language menu.
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "latin", "en"),
    Language("zh", "简体中文", "han", "zh_Hans_CN", full_width=True, screen_chars=350),
    Language("ru", "Русский", "cyrl", "ru"),
    Language("ko", "한국어", "hang", "ko", screen_chars=350),
    Language("ja", "日本語", "kana", "ja", full_width=True, screen_chars=350),
    Language("fr", "Français", "latin", "fr"),
    Language("de", "Deutsch", "latin", "de"),
    Language("es", "Español", "latin", "es"),
    Language("ar", "العربية", "arab", "ar", right_to_left=True),
)

BY_CODE: MappingProxyType[str, Language] = MappingProxyType(
    {lang.code: lang for lang in LANGUAGES}
)
CODES: tuple[str, ...] = tuple(lang.code for lang in LANGUAGES)
NATIVE_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {lang.code: lang.native_name for lang in LANGUAGES}
)


def written_in(script: str) -> frozenset[str]:
    """The languages whose text may be in `script`: Japanese writes Han characters too."""
    return frozenset(
        lang.code
        for lang in LANGUAGES
        if lang.script == script or (script == "han" and lang.script == "kana")
    )


def screen_chars(code: str) -> int:
    """The most characters a first answer in this language should have."""
    language = BY_CODE.get(code)
    return language.screen_chars if language is not None else 600


def full_width(code: str) -> bool:
    """Whether sentences in this language take full-width punctuation and no spaces."""
    language = BY_CODE.get(code)
    return language is not None and language.full_width
