"""Babel catalogs and locale-aware formatting behind the core's Translator protocol.

The `.po` files in `locales/` are the source of truth. They are compiled in memory when the
bot starts (Babel's own compiler, the same one `pybabel compile` runs), so a fresh clone needs
no build step and no `.mo` file is ever committed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from babel import Locale, localedata
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_currency
from babel.support import Translations

from bot.cache import BuildCache
from bot.core.languages import CODES, LANGUAGES
from bot.core.memo import Memo

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
FORMAT_MEMO = 256  # formatted amounts, dates and times kept per language
# Babel locale for each language code the bot uses, and the order of the language menu.
BABEL_LOCALES: dict[str, str] = {lang.code: lang.babel_locale for lang in LANGUAGES}
LANGUAGE_ORDER = CODES


class CatalogError(Exception):
    """A catalog is missing or cannot be compiled."""


class _Formats(localedata.LocaleDataDict):
    """The part of a locale's data the translator's formats read; any other key reads Babel's
    full data of the locale (what Babel would have loaded)."""

    def __init__(self, data: dict[Any, Any], identifier: str) -> None:
        super().__init__(data)
        self._identifier = identifier

    def __getitem__(self, key: str | int | None) -> Any:
        if key not in self._data:
            return localedata.get_locale_data(self._identifier)[key]
        return super().__getitem__(key)


class _Recorder(localedata.LocaleDataDict):
    """A locale's full data that notes which of its keys are read."""

    def __init__(self, data: localedata.LocaleDataDict, seen: set[Any]) -> None:
        super().__init__(data._data, data.base)
        self._seen = seen

    def __getitem__(self, key: str | int | None) -> Any:
        self._seen.add(key)
        return super().__getitem__(key)


def _plain(value: Any) -> Any:
    """Babel's alias-resolving mappings as plain dictionaries."""
    if isinstance(value, Mapping):
        return {k: _plain(value[k]) for k in value}
    return value


class BabelTranslator:
    """Translations and formats for one locale.

    Babel keeps a locale's whole data (about 1 MB in memory, plus 2 MB of data shared by all
    locales) once anything of it is read; given `formats` (`locale_formats`), the translator
    holds only the few entries its formats read, and Babel's data is loaded only if some
    other entry is asked for.
    """

    def __init__(
        self,
        language: str,
        translations: Translations | None,
        formats: dict[Any, Any] | None = None,
    ) -> None:
        self._language = language
        self._locale = Locale.parse(BABEL_LOCALES.get(language, language))
        self._translations = translations
        # Formatted amounts, dates, times and lists: answers show the same few again and again
        # (the fees, the checked dates, the opening times), and Babel takes 20-80 µs for each.
        self._formatted: Memo[tuple[object, ...], str] = Memo(FORMAT_MEMO)
        if formats is not None:
            identifier = str(self._locale)
            self._locale._Locale__data = _Formats(formats, identifier)  # type: ignore[attr-defined]

    @property
    def language(self) -> str:
        """The language code."""
        return self._language

    @property
    def locale(self) -> Locale:
        """The Babel locale."""
        return self._locale

    def gettext(self, message: str) -> str:
        """The translation of a message (the message itself where none exists)."""
        if self._translations is None or not message:
            return message
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The translation of a message with a count, in the locale's plural form."""
        if self._translations is None:
            return singular if n == 1 else plural
        return self._translations.ngettext(singular, plural, n)

    def format_money(self, amount: int, currency: str) -> str:
        """A whole amount of money in the locale's style, e.g. `CN¥1,500` or `1 500 CN¥`."""
        key = ("money", type(amount), amount, currency)
        found = self._formatted.get(key)
        if found is None:
            pattern = self._locale.currency_formats["standard"].pattern.replace(".00", "")
            found = format_currency(
                amount, currency, format=pattern, locale=self._locale, currency_digits=False
            )
            self._formatted.put(key, found)
        return found

    def format_date(self, value: dt.date) -> str:
        """A date in the locale's long style."""
        if type(value) is not dt.date:  # a datetime: equal instants may be other dates
            return format_date(value, format="long", locale=self._locale)
        key = ("date", value)
        found = self._formatted.get(key)
        if found is None:
            found = format_date(value, format="long", locale=self._locale)
            self._formatted.put(key, found)
        return found

    def format_time(self, value: dt.time) -> str:
        """A time of day in 24-hour style."""
        key = ("time", value.hour, value.minute, value.tzinfo)  # all that HH:mm depends on
        found = self._formatted.get(key)
        if found is None:
            found = format_time(value, format="HH:mm", locale=self._locale)
            self._formatted.put(key, found)
        return found

    def format_weekday(self, weekday: int) -> str:
        """The name of a weekday, 0 = Monday."""
        return str(self._locale.days["format"]["wide"][weekday])

    def format_list(self, items: Sequence[str]) -> str:
        """Items joined the locale's way (`A, B, and C`; `A、B和C`)."""
        return format_list(list(items), style="standard", locale=self._locale) if items else ""


def _exercise(translator: BabelTranslator) -> None:
    """Every format of a translator, once (what `locale_formats` records)."""
    translator.format_money(1500, "CNY")
    translator.format_money(20, "USD")
    translator.format_date(dt.date(2026, 12, 31))
    translator.format_time(dt.time(9, 30))
    translator.format_weekday(0)
    translator.format_list(["a", "b", "c"])
    translator.format_list(["a", "b"])


def locale_formats(language: str) -> dict[Any, Any]:
    """The entries of a language's Babel data that `BabelTranslator`'s formats read, resolved
    (found by formatting once with a locale that records what it reads)."""
    translator = BabelTranslator(language, None)
    seen: set[Any] = set()
    full = localedata.get_locale_data(str(translator.locale))
    translator.locale._Locale__data = _Recorder(full, seen)  # type: ignore[attr-defined]
    _exercise(translator)
    return {key: _plain(full[key]) for key in seen if key in full}


def compile_catalog(po_path: Path, cache: BuildCache | None = None) -> Translations:
    """Compile one `.po` file in memory (or take the compiled form from `cache`)."""
    compiled = (cache or BuildCache(None)).get(
        f"catalog-{po_path.parent.parent.name}", [po_path], lambda: _compile_mo(po_path)
    )
    return Translations(fp=io.BytesIO(compiled), domain=DOMAIN)


def _compile_mo(po_path: Path) -> bytes:
    from babel.messages.mofile import write_mo  # only when the cache has no compiled form
    from babel.messages.pofile import read_po

    try:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
    except (OSError, ValueError) as err:
        raise CatalogError(f"{po_path}: {err}") from err
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def available_languages(locales_dir: Path) -> list[str]:
    """Languages with a catalog, plus the source language, in menu order."""
    found = {p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    found.add(SOURCE_LANGUAGE)
    ordered = [code for code in LANGUAGE_ORDER if code in found]
    return ordered + sorted(found - set(ordered))


def load_translators(
    locales_dir: Path, languages: Iterable[str] | None = None, cache: BuildCache | None = None
) -> dict[str, BabelTranslator]:
    """A translator for every language with a catalog (English needs none)."""
    codes = list(languages) if languages is not None else available_languages(locales_dir)
    translators: dict[str, BabelTranslator] = {}
    for code in codes:
        po_path = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        formats = None
        if cache is not None and cache.folder is not None:  # Babel's data only on a build
            formats = cache.get(f"formats-{code}", [], partial(locale_formats, code))
        if code == SOURCE_LANGUAGE and not po_path.exists():
            translators[code] = BabelTranslator(code, None, formats)
            continue
        if not po_path.exists():
            raise CatalogError(f"no catalog for language {code!r}: {po_path}")
        translators[code] = BabelTranslator(code, compile_catalog(po_path, cache), formats)
    return translators
