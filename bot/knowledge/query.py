"""Reading a question for the day and the office it is about ("open on Saturday?", "石景山").

Days come in four kinds: a written date ("1 May", "20 August 2027", "5月1日", "2027-08-20"),
a holiday by name ("国庆节", "Labour Day"), a relative day ("tomorrow", "übermorgen") and a
weekday ("samstags", "los sábados", "下周一"). Month and weekday names in all nine languages
come from Babel's CLDR data; the other words are in data/lexicon.yaml. (dateparser's
`search_dates` was tried for this: it misread "le 1er mai" as 26 May and "5月1日" as 27 April,
and took 10 to 250 ms a question, so it reads only the wizard's typed dates in bot.core.dates.)
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Protocol

from babel import Locale
from pydantic import AfterValidator, Field

from bot.core.dates import Exact, parse_date
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


def _contains(text: str, term: str, plural: bool = False) -> bool:
    """Whether folded `text` mentions folded `term` (a word, or a stem for inflected words).

    With `plural`, a Latin-script word may take an `s` ("samstags", "los sábados").
    """
    if not term:
        return False
    needle, pattern = _term_pattern(term, plural)
    if needle not in text:  # a question is checked against hundreds of day and office names
        return False
    return pattern is None or pattern.search(text) is not None


_Entry = tuple[str, re.Pattern[str] | None] | None
# What `_contains` looks for, for each word of a list of the data (the lexicon's, an office's
# aliases), kept by the list's identity with the list itself (so the id stays its own): a
# question is checked against hundreds of day and office names, and a call of `_contains`
# per word cost more than the looking.
_ENTRIES: dict[tuple[int, bool, bool], tuple[object, tuple[_Entry, ...]]] = {}
_ENTRIES_KEPT = 1024


def _entries(
    words: Sequence[str], plural: bool = False, fold_words: bool = False
) -> tuple[_Entry, ...]:
    """Per word (folded first with `fold_words`): `_term_pattern`'s needle and pattern, or
    None for an empty word."""
    key = (id(words), plural, fold_words)
    kept = _ENTRIES.get(key)
    if kept is not None and kept[0] is words:
        return kept[1]
    terms = [fold(w) for w in words] if fold_words else list(words)
    entries = tuple(_term_pattern(t, plural) if t else None for t in terms)
    if type(words) is not tuple:  # only a tuple stays as it is: anything else is read anew
        return entries
    if len(_ENTRIES) >= _ENTRIES_KEPT:
        _ENTRIES.clear()
    _ENTRIES[key] = (words, entries)
    return entries


def _first_mentioned(
    text: str, words: Sequence[str], plural: bool = False, fold_words: bool = False
) -> int:
    """The index of the first of `words` that folded `text` mentions (as `_contains` has
    it), or -1."""
    for index, entry in enumerate(_entries(words, plural, fold_words)):
        if entry is None:
            continue
        needle, pattern = entry
        if needle in text and (pattern is None or pattern.search(text) is not None):
            return index
    return -1


def _mentions(text: str, words: Sequence[str]) -> bool:
    """Whether folded `text` mentions any of `words` (each as `_contains` has it)."""
    return _first_mentioned(text, words) >= 0


@lru_cache(maxsize=4096)
def _term_pattern(term: str, plural: bool = False) -> tuple[str, re.Pattern[str] | None]:
    """What a text must contain for a folded term to be in it, and the pattern that finds
    the term as a word (None: CJK, found as a substring)."""
    if _CJK.search(term):
        return term, None
    if len(term) >= 6 and re.search(r"[\u0400-\u04ff]", term):
        term = term[:-1]  # Russian: суббота -> суббот(у)
        return term, re.compile(rf"(?<!\w){re.escape(term)}\w*")
    suffix = "s?" if plural and term.isascii() else ""
    return term, re.compile(rf"(?<!\w){re.escape(term)}{suffix}(?!\w)")


Words = Annotated[tuple[Text, ...], Field(min_length=1)]


def _in_week(number: int) -> int:
    if not 0 <= number <= 6:
        fail(f"must be a weekday number from 0 (Monday) to 6 (Sunday), got {number}")
    return number


Weekday = Annotated[WholeNumber, AfterValidator(_in_week)]


def _in_year(number: int) -> int:
    if not 1 <= number <= 12:
        fail(f"must be a month number from 1 to 12, got {number}")
    return number


Month = Annotated[WholeNumber, AfterValidator(_in_year)]


class HolidayWords(Record):
    """A statutory holiday: its name in the holiday calendar, a fixed date if it has one."""

    calendar_name: Text  # as chinese_calendar names it, e.g. "National Day"
    month: Month | None = None  # fixed-date holidays (National Day: 10, 1)
    day: WholeNumber | None = None
    words: dict[Slug, Words]


class LexiconFile(Record):
    """data/lexicon.yaml: day words per language code; weekday words by number (0 = Monday)."""

    today: dict[Slug, Words]
    tomorrow: dict[Slug, Words]
    day_after_tomorrow: dict[Slug, Words] = Field(default_factory=dict)
    next_week: dict[Slug, Words] = Field(default_factory=dict)
    weekdays: dict[Slug, dict[Weekday, Words]] = Field(default_factory=dict)
    months: dict[Slug, dict[Month, Words]] = Field(default_factory=dict)
    holidays: tuple[HolidayWords, ...] = ()
    back: dict[Slug, Words] = Field(default_factory=dict)
    cancel: dict[Slug, Words] = Field(default_factory=dict)
    thanks: dict[Slug, Words] = Field(default_factory=dict)
    yes: dict[Slug, Words] = Field(default_factory=dict)
    no: dict[Slug, Words] = Field(default_factory=dict)
    vague: dict[Slug, Words] = Field(default_factory=dict)
    more: dict[Slug, Words] = Field(default_factory=dict)
    years: dict[Slug, Words] = Field(default_factory=dict)
    numbers: dict[Slug, dict[WholeNumber, Words]] = Field(default_factory=dict)
    measures: dict[Slug, dict[Slug, Words]] = Field(default_factory=dict)
    categories: dict[Slug, dict[Slug, Words]] = Field(default_factory=dict)
    rule_words: dict[Slug, dict[Slug, Words]] = Field(default_factory=dict)
    weekend: dict[Slug, Words] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Holiday:
    """A holiday's folded words, its name in the holiday calendar and its fixed date, if any."""

    words: tuple[str, ...]
    calendar_name: str
    fixed: tuple[int, int] | None


class Calendar(Protocol):
    """The part of the holiday calendar that finds a holiday by name."""

    def holiday_name(self, day: dt.date) -> str | None:
        """The English name of the holiday on `day`, if any."""
        ...


_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMERIC = re.compile(
    r"(?<!\d)(\d{4}\s*[-/.年년]\s*\d{1,2}\s*[-/.月월]\s*\d{1,2}|"
    r"\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*(?:\d{4}|\d{2}))(?!\d)"
)
_EAST_ASIAN = re.compile(r"(?:(\d{4})\s*[年년]\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日号號일]?")
_CLOCK = re.compile(
    r"(?<![\d.:/-])(\d{1,2})\s*(?:[:：](\d{2})|(?=\s*(?:am|pm|a\s?m|p\s?m)\b))"
    r"(?:\s*(am|pm|a\s?m|p\s?m)\b)?(?![\d.:/-])"
    r"|(?<![\d.:/-])(\d{1,2})\s*(?:点(?!钟头)|點|時(?!間)|시(?!간)|uhr|h(?=\d|\b))\s*(半|\d{1,2})?"
)
_AFTERNOON = (
    "下午",
    "晚上",
    "午後",
    "오후",
    "pm",
    "p m",
    "nachmittag",
    "abends",
    "apres-midi",
    "de la tarde",
    "после обеда",
    "вечера",
    "дня",
    "مساء",
    "بعد الظهر",
)
_SEARCH_DAYS = 400  # how far ahead a holiday is looked for in the calendar


def _words(table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(fold(w).strip() for words in table.values() for w in words)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Day words in every language the bot speaks."""

    today: tuple[str, ...]
    tomorrow: tuple[str, ...]
    weekdays: tuple[tuple[str, int], ...]
    day_after_tomorrow: tuple[str, ...] = ()
    next_week: tuple[str, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    # the whole-message word classes, in the order `control` tries them (CONTROL_CLASSES)
    controls: tuple[tuple[str, frozenset[str]], ...] = ()
    months: re.Pattern[str] | None = None
    month_numbers: dict[str, int] = field(default_factory=dict)
    durations: re.Pattern[str] | None = None  # "3 years", "drei jahre", "三年"
    numbers: dict[str, int] = field(default_factory=dict)
    measures: tuple[tuple[str, tuple[str, ...]], ...] = ()  # marriage: married, 结婚...
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()  # spouse: wife, 配偶...
    rule_words: tuple[tuple[str, tuple[str, ...]], ...] = ()  # new_passport: passport, 护照...
    weekend: tuple[str, ...] = ()
    # the words of `weekdays`, in their order: one tuple, so that `_entries` keeps their
    # patterns with it
    weekday_words: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekday_words", tuple(word for word, _ in self.weekdays))

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read data/lexicon.yaml and add every locale's weekday and month names from Babel."""
        document = DataFile(path).validate(
            LexiconFile,
            {
                key: ("language", "")
                for key in (
                    "today",
                    "tomorrow",
                    "day_after_tomorrow",
                    "next_week",
                    "weekdays",
                    "months",
                    *CONTROL_CLASSES,
                    "years",
                    "weekend",
                )
            },
        )
        weekdays: set[tuple[str, int]] = set()
        months: dict[str, int] = {}
        for code in BABEL_LOCALES:
            locale = Locale.parse(code)
            for context in ("format", "stand-alone"):
                for width in ("wide", "abbreviated"):
                    for number, name in locale.days[context][width].items():
                        word = fold(str(name)).strip()
                        if len(word) >= (2 if _CJK.search(word) else 3):
                            weekdays.add((word, int(number)))
                    for number, name in locale.months[context][width].items():
                        word = fold(str(name)).strip()
                        if len(word) >= 3 and not re.search(r"\d", word):
                            months.setdefault(word, int(number))
        for per_language in document.weekdays.values():
            for number, words in per_language.items():
                weekdays.update((fold(w), number) for w in words)
        for per_month in document.months.values():
            for number, words in per_month.items():
                months.update((fold(w).strip(), number) for w in words)
        ordered = sorted(weekdays, key=lambda item: -len(item[0]))  # longest names first
        names = "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))
        ordinal = r"(?:st|nd|rd|th|er|e|go|го|-го|-е)?"
        pattern = re.compile(
            rf"(?<!\w)(?:(\d{{1,2}}){ordinal}\s*(?:de\s+|of\s+|the\s+)?(?P<m1>{names})\w*"
            rf"(?:\s*,?\s*(?:de\s+)?(\d{{4}}))?"
            rf"|(?P<m2>{names})\w*\s+(?:the\s+)?(\d{{1,2}}){ordinal}(?!\d)(?:\s*,?\s*(\d{{4}}))?)"
        )
        holidays = tuple(
            Holiday(
                _words(h.words),
                h.calendar_name,
                (h.month, h.day) if h.month is not None and h.day is not None else None,
            )
            for h in document.holidays
        )
        numbers = {
            fold(w).strip(): n
            for per_language in document.numbers.values()
            for n, words in per_language.items()
            for w in words
        }
        years = sorted(_words(document.years), key=len, reverse=True)
        counts = sorted(numbers, key=len, reverse=True)
        count = "|".join([r"\d{1,2}", *(re.escape(n) for n in counts)])
        durations = re.compile(
            rf"(?<![\w.])({count})\s*(?:more\s+|full\s+)?"
            rf"(?:{'|'.join(re.escape(y) for y in years)})(?!\w)"
            r"|(?<!\d)(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*[年년](?!\d)"
        )
        return cls(
            durations=durations,
            numbers=numbers,
            measures=tuple((m, _words(words)) for m, words in document.measures.items()),
            categories=tuple((c, _words(words)) for c, words in document.categories.items()),
            rule_words=tuple((r, _words(words)) for r, words in document.rule_words.items()),
            weekend=_words(document.weekend),
            today=_words(document.today),
            tomorrow=_words(document.tomorrow),
            weekdays=tuple(ordered),
            day_after_tomorrow=_words(document.day_after_tomorrow),
            next_week=_words(document.next_week),
            holidays=holidays,
            controls=tuple(
                (name, frozenset(_control(w) for w in _words(getattr(document, name))))
                for name in CONTROL_CLASSES
            ),
            months=pattern,
            month_numbers=months,
        )

    def day(
        self, question: str, today: dt.date, calendar: Calendar | None = None
    ) -> dt.date | None:
        """The date a question asks about: a written date, a holiday, tomorrow or a weekday.

        A date without a year is the next one to come; a weekday is the next one (today
        included), or the one of next week when the question says "next week" (下周一).
        """
        found = self.date(question, today)
        if found is not None:
            return found
        text = fold(question)
        holiday = self.holiday(text, today, calendar)
        if holiday is not None:
            return holiday
        if _mentions(text, self.day_after_tomorrow):
            return today + dt.timedelta(days=2)
        if _mentions(text, self.tomorrow):
            return today + dt.timedelta(days=1)
        mentioned = _first_mentioned(text, self.weekday_words, plural=True)
        if mentioned >= 0:
            weekday = self.weekdays[mentioned][1]
            if _mentions(text, self.next_week):
                monday = today - dt.timedelta(days=today.weekday())
                return monday + dt.timedelta(days=7 + weekday)
            return today + dt.timedelta(days=(weekday - today.weekday()) % 7)
        return None

    def date(self, question: str, today: dt.date) -> dt.date | None:
        """A date written out in a question (numbers, or a day and a month name)."""
        raw = unicodedata.normalize("NFKC", question).translate(_ARABIC_DIGITS)
        for candidate in _NUMERIC.findall(raw):
            parsed = parse_date(candidate)
            if isinstance(parsed, Exact):
                return parsed.date
        match = _EAST_ASIAN.search(raw)
        if match:
            year, month, day = match.groups()
            return _next_date(today, int(month), int(day), int(year) if year else None)
        if self.months is None:
            return None
        match = self.months.search(fold(raw))
        if match is None:
            return None
        if match["m1"] is not None:
            day_text, year_text = match.group(1), match.group(3)
            month = self.month_numbers[match["m1"]]
        else:
            day_text, year_text = match.group(5), match.group(6)
            month = self.month_numbers[match["m2"]]
        return _next_date(today, month, int(day_text), int(year_text) if year_text else None)

    def time(self, question: str) -> dt.time | None:
        """A clock time in a question: 14:30, 2pm, 2:30 p.m., 下午3点, 15時, 3시, 15 Uhr, 15h30."""
        text = fold(unicodedata.normalize("NFKC", question).translate(_ARABIC_DIGITS))
        text = text.replace("a m", "am").replace("p m", "pm")
        match = _CLOCK.search(text)
        if match is None:
            return None
        if match.group(1) is not None:
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            marker = match.group(3) or ""
        else:
            hour = int(match.group(4))
            rest = match.group(5) or ""
            minute = 30 if rest == "半" else int(rest or 0)
            marker = ""
        afternoon = marker.startswith("p") or any(w in text for w in _AFTERNOON)
        if marker.startswith("a") and hour == 12:
            hour = 0
        elif (afternoon and hour < 12) or (not marker and 1 <= hour <= 7):
            hour += 12  # "at 3" about an office day is 15:00
        if hour > 23 or minute > 59:
            return None
        return dt.time(hour, minute)

    def names_weekend(self, question: str) -> bool:
        """Whether a question is about the weekend as a whole ("open at weekends?")."""
        text = fold(question)
        return _mentions(text, self.weekend)

    def names_holiday(self, question: str) -> bool:
        """Whether a question names a holiday (whose day may not be known yet)."""
        text = fold(question)
        return any(_mentions(text, h.words) for h in self.holidays)

    def holiday(self, text: str, today: dt.date, calendar: Calendar | None) -> dt.date | None:
        """The next first day of a holiday named in folded `text`."""
        for holiday in self.holidays:
            if not _mentions(text, holiday.words):
                continue
            if calendar is not None:
                for offset in range(_SEARCH_DAYS):
                    day = today + dt.timedelta(days=offset)
                    if calendar.holiday_name(day) == holiday.calendar_name:
                        return day
            if holiday.fixed is not None:
                return _next_date(today, *holiday.fixed, None)
        return None

    def lengths(self, question: str) -> dict[str, int]:
        """Lengths of time a question states, by what they measure: {"marriage": 3}.

        A question with one length ("married 3 years", "结婚三年了") gives it to the measure
        its words name (marriage before residence).
        """
        if self.durations is None:
            return {}
        text = fold(unicodedata.normalize("NFKC", question).translate(_ARABIC_DIGITS))
        counts = [self._count(m.group(1) or m.group(2)) for m in self.durations.finditer(text)]
        found = [n for n in counts if n is not None]
        if len(found) != 1:
            return {}
        for measure, words in self.measures:
            if _mentions(text, words):
                return {measure: found[0]}
        return {}

    def category(self, question: str) -> str | None:
        """The one document category a question names ("documents for my wife": spouse)."""
        text = fold(question)
        named = [c for c, words in self.categories if _mentions(text, words)]
        return named[0] if len(named) == 1 else None

    def named_rules(self, question: str) -> frozenset[str]:
        """The rules whose words a question names ("a new passport": new_passport)."""
        if not question:
            return frozenset()
        text = fold(question)
        return frozenset(r for r, words in self.rule_words if _mentions(text, words))

    def _count(self, text: str) -> int | None:
        if text.isdigit():
            return int(text)
        if text in self.numbers:
            return self.numbers[text]
        if re.fullmatch(r"[一二两三四五六七八九十]+", text):  # 十二, 二十
            digits = [self.numbers.get(c, 0) for c in text]
            if len(digits) == 1:
                return digits[0]
            if text[0] == "十":
                return 10 + digits[1]
            return digits[0] * 10 + (digits[2] if len(digits) > 2 else 0)
        return None

    def control(self, text: str) -> str | None:
        """ "back", "cancel", "thanks", "yes", "no", "vague" or "more" when a whole message
        is one of those words (a thanks or an acknowledgement: "ok", "谢谢"; a question
        naming no topic: "why"; more of what was just said: "details please"), else None."""
        key = _control(fold(text))
        return next((name for name, words in self.controls if key in words), None)


# Whole-message word classes of data/lexicon.yaml, in the order a message is tried against
# them: "算了" is both a cancel and a no, and counts as a cancel.
CONTROL_CLASSES = ("cancel", "back", "thanks", "yes", "no", "vague", "more")


def _control(text: str) -> str:
    """A short message reduced to its letters: `Back!`, ` back ` and `back.` meet."""
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _next_date(today: dt.date, month: int, day: int, year: int | None) -> dt.date | None:
    """That day and month in `year`, or the next time it comes (today included)."""
    try:
        if year is not None:
            return dt.date(year, month, day)
        found = dt.date(today.year, month, day)
        return found if found >= today else dt.date(today.year + 1, month, day)
    except ValueError:
        return None


def offices_named(question: str, offices: tuple[Office, ...]) -> list[Office]:
    """The offices a question names by one of their aliases."""
    text = fold(question)
    return [o for o in offices if _first_mentioned(text, o.aliases, fold_words=True) >= 0]
