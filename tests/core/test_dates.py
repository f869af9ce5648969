"""Dates typed the way people write them, in every language the bot speaks."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.dates import Ambiguous, Exact, Impossible, Unreadable, add_months, parse_date

JUNE_15 = dt.date(2027, 6, 15)


@pytest.mark.parametrize(
    "text",
    [
        "2027-06-15",
        "2027/6/15",
        "15.06.2027",
        "15/06/2027",
        "6/15/27",
        "15.06.27",
        "06/15/2027",
        "June 15, 2027",
        "15 June 2027",
        "jun 15 2027",
        "2027年6月15日",
        "２０２７年６月１５日",
        "2027년 6월 15일",
        "2027. 6. 15.",
        "15 июня 2027",
        "15 juin 2027",
        "15. Juni 2027",
        "15 de junio de 2027",
        "15 يونيو 2027",
        "١٥/٠٦/٢٠٢٧",
        "  2027-06-15 。",
    ],
)
def test_written_forms_give_the_same_day(text: str) -> None:
    assert parse_date(text) == Exact(JUNE_15)


def test_day_month_order_that_cannot_be_told_is_ambiguous() -> None:
    assert parse_date("03/04/2027") == Ambiguous((dt.date(2027, 4, 3), dt.date(2027, 3, 4)))
    assert parse_date("05/05/2027") == Exact(dt.date(2027, 5, 5))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/02/2027", Impossible(2027, 2, 31)),
        ("2027-02-30", Impossible(2027, 2, 30)),
        ("31.04.2027", Impossible(2027, 4, 31)),
        ("31 February 2027", Impossible(2027, 2, 31)),
        ("2027-13-01", Impossible(2027, 13, 1)),
    ],
)
def test_impossible_dates_are_reported_as_such(text: str, expected: Impossible) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["hello", "", "next year", "tomorrow", "'; DROP TABLE x; --", "2027", "💥" * 50]
)
def test_garbage_is_unreadable(text: str) -> None:
    assert parse_date(text) == Unreadable()


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2027, 3, 31), -1, dt.date(2027, 2, 28)),
        (dt.date(2028, 3, 31), -1, dt.date(2028, 2, 29)),
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),
        (dt.date(2027, 1, 15), -1, dt.date(2026, 12, 15)),
        (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 31)),
        (dt.date(2027, 5, 31), -1, dt.date(2027, 4, 30)),
    ],
)
def test_month_arithmetic_clamps_to_the_month_end(
    start: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(start, months) == expected
