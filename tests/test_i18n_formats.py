"""Translators that hold only the locale data their formats read (bot.i18n.locale_formats)."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest
from babel import localedata

from bot.core.languages import CODES
from bot.i18n import BabelTranslator, locale_formats


def _everything(translator: BabelTranslator) -> list[str]:
    shown = [translator.format_money(amount, "CNY") for amount in (0, 8, 400, 1500, 1234567)]
    shown += [translator.format_date(dt.date(2026, m, d)) for m, d in ((1, 2), (9, 30), (12, 31))]
    shown += [translator.format_time(dt.time(h, m)) for h, m in ((0, 0), (9, 5), (17, 30))]
    shown += [translator.format_weekday(day) for day in range(7)]
    lists = (["a"], ["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d"], [])
    shown += [translator.format_list(items) for items in lists]
    return shown


@pytest.mark.parametrize("language", CODES)
def test_formats_from_the_kept_data_are_babels_own(
    language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = pickle.loads(pickle.dumps(locale_formats(language)))  # as the start-up cache has it
    expected = _everything(BabelTranslator(language, None))

    def not_loaded(name: str) -> None:
        raise AssertionError(f"Babel's data of {name} was read")

    monkeypatch.setattr(localedata, "get_locale_data", not_loaded)
    assert _everything(BabelTranslator(language, None, kept)) == expected


def test_what_the_kept_data_lacks_comes_from_babel() -> None:
    translator = BabelTranslator("de", None, {})
    assert translator.format_date(dt.date(2026, 12, 31)) == "31. Dezember 2026"
    assert translator.format_money(1500, "CNY") == BabelTranslator("de", None).format_money(
        1500, "CNY"
    )


@pytest.mark.parametrize("language", CODES)
def test_kept_formats_are_the_same_as_babels(language: str) -> None:
    from babel.dates import format_date, format_time
    from babel.numbers import format_currency

    translator = BabelTranslator(language, None)
    first = _everything(translator)
    assert _everything(translator) == first  # the second time from the memo
    locale = translator.locale
    pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
    assert translator.format_money(1500, "CNY") == format_currency(
        1500, "CNY", format=pattern, locale=locale, currency_digits=False
    )
    day = dt.date(2026, 9, 30)
    assert translator.format_date(day) == format_date(day, format="long", locale=locale)
    at = dt.time(9, 5)
    assert translator.format_time(at) == format_time(at, format="HH:mm", locale=locale)


def test_format_memo_is_bounded_and_tells_values_apart() -> None:
    from bot.i18n import FORMAT_MEMO

    translator = BabelTranslator("en", None)
    for day in range(FORMAT_MEMO + 50):
        translator.format_date(dt.date(2026, 1, 1) + dt.timedelta(days=day))
    assert len(translator._formatted) == FORMAT_MEMO
    assert translator.format_time(dt.time(9, 5)) == "09:05"
    assert translator.format_time(dt.time(9, 6)) == "09:06"
    assert translator.format_date(dt.date(2026, 1, 2)) == "January 2, 2026"
    assert translator.format_date(dt.date(2027, 1, 2)) == "January 2, 2027"
    assert translator.format_money(1500, "CNY") != translator.format_money(1500, "USD")
