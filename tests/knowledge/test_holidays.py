"""Holidays that do not expire with a package: data/holidays.yaml answers for a year the
chinese-calendar package lacks, the package is preferred where it has the year, and a year in
neither is said to be unpublished. The package is faked, so a new release changes nothing here.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import BotApp, Resources, build_app
from bot.knowledge.files import KnowledgeError
from bot.knowledge.hours import ChineseCalendar, DayKind, PublishedYears
from tests.conftest import Chat, FakeClock, make_settings, no_package, text_of

DATA = Path(__file__).resolve().parents[2] / "data"
BEIJING = dt.timezone(dt.timedelta(hours=8))


def published() -> PublishedYears:
    return PublishedYears.load(DATA / "holidays.yaml")


def package_with(
    days: dict[dt.date, tuple[bool, str | None]], years: set[int]
) -> Callable[[dt.date], tuple[bool, str | None]]:
    """A fake package covering `years`: the given days, otherwise weekends off."""

    def detail(day: dt.date) -> tuple[bool, str | None]:
        if day.year not in years:
            raise NotImplementedError(day.year)
        return days.get(day, (day.weekday() >= 5, None))

    return detail


def test_a_year_the_package_lacks_comes_from_the_file() -> None:
    calendar = ChineseCalendar(published(), detail=package_with({}, {2025}))
    assert calendar.day_kind(dt.date(2026, 10, 1)) is DayKind.HOLIDAY
    assert calendar.holiday_name(dt.date(2026, 10, 1)) == "National Day"
    assert calendar.day_kind(dt.date(2026, 2, 23)) is DayKind.HOLIDAY  # a bridged Monday
    assert calendar.day_kind(dt.date(2026, 9, 20)) is DayKind.ADJUSTED_WORKDAY  # a Sunday
    assert calendar.day_kind(dt.date(2026, 11, 29)) is DayKind.ORDINARY  # a plain Sunday
    assert calendar.holiday_name(dt.date(2026, 11, 26)) is None


def test_the_package_wins_for_a_year_it_covers() -> None:
    labour = {dt.date(2026, 10, 1): (False, None), dt.date(2026, 3, 2): (True, "Labour Day")}
    calendar = ChineseCalendar(published(), detail=package_with(labour, {2026}))
    assert calendar.day_kind(dt.date(2026, 10, 1)) is DayKind.ORDINARY
    assert calendar.day_kind(dt.date(2026, 3, 2)) is DayKind.HOLIDAY
    assert calendar.holiday_name(dt.date(2026, 3, 2)) == "Labour Day"


def test_a_year_in_neither_is_unknown() -> None:
    calendar = ChineseCalendar(published(), detail=no_package)
    assert 2031 not in published().years
    assert calendar.day_kind(dt.date(2031, 10, 1)) is DayKind.UNKNOWN
    assert calendar.holiday_name(dt.date(2031, 10, 1)) is None


def test_the_file_agrees_with_the_package_for_every_day_it_shares() -> None:
    import chinese_calendar

    from_file = ChineseCalendar(published(), detail=no_package)
    real = ChineseCalendar()
    compared = 0
    for year in published().years:
        day = dt.date(year, 1, 1)
        try:
            chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            continue  # the package lacks this year: the file is what the bot has
        while day.year == year:
            assert from_file.day_kind(day) is real.day_kind(day), day
            assert from_file.holiday_name(day) == real.holiday_name(day), day
            day += dt.timedelta(days=1)
            compared += 1
    assert compared >= 365


async def ask(app: BotApp, moment: dt.datetime, question: str, language: str = "en") -> str:
    app.engine.services.clock.current = moment  # type: ignore[attr-defined]
    return text_of(await Chat(app, language=language).say(question))


async def test_the_bot_uses_the_file_when_the_package_lacks_the_year(
    database: Path, clock: FakeClock, resources: Resources
) -> None:
    calendar = ChineseCalendar(published(), detail=package_with({}, {2025}))
    app = build_app(make_settings(database), resources=resources, clock=clock, calendar=calendar)
    await app.start()
    try:
        text = await ask(app, dt.datetime(2026, 10, 2, 10, tzinfo=BEIJING), "is it open now?")
        line = next(s for s in text.splitlines() if "Andingmen" in s)
        assert "statutory holiday" in line
        assert "Next opening: Thursday, 09:00" in line  # 8 October, within the week
        assert "not published" not in line
        day = await ask(app, dt.datetime(2026, 10, 6, 10, tzinfo=BEIJING), "open on saturday?")
        assert "an official adjusted working day" in day
        zh = await ask(app, dt.datetime(2026, 9, 30, 10, tzinfo=BEIJING), "周五开门吗", "zh")
        assert "2026年10月2日" in zh and "国庆" in zh  # the holiday's name, translated
    finally:
        await app.stop()


async def test_a_year_without_a_schedule_is_said_plainly(app: BotApp) -> None:
    text = await ask(app, dt.datetime(2031, 3, 12, 10, tzinfo=BEIJING), "open on saturday?")
    assert "The official holiday schedule for 2031 is not published yet" in text
    fr = await ask(app, dt.datetime(2031, 3, 12, 10, tzinfo=BEIJING), "ouvert samedi ?", "fr")
    assert "2031" in fr and "12367" in fr


Change = Callable[[dict[str, Any]], object]


def first_year(data: dict[str, Any]) -> dict[str, Any]:
    year: dict[str, Any] = data["years"][0]
    return year


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: first_year(d)["holidays"][0].update(name="Christmas"), "'Christmas'"),
        (lambda d: first_year(d)["workdays"].append(dt.date(2026, 11, 26)), "is a weekday"),
        (lambda d: first_year(d)["workdays"].append(dt.date(2026, 10, 3)), "is also a holiday"),
        (
            lambda d: first_year(d)["holidays"][1].update(start=dt.date(2026, 1, 2)),
            "overlaps",
        ),
        (lambda d: first_year(d)["holidays"][0].update(end=dt.date(2025, 12, 31)), "end"),
        (lambda d: first_year(d).update(year=2027), "must lie in 2027"),
        (lambda d: first_year(d).pop("sources"), "sources"),
        (lambda d: first_year(d).update(extra="x"), "extra"),
        (lambda d: d["years"].append(dict(first_year(d))), "listed twice"),
    ],
)
def test_a_broken_holiday_file_is_reported(tmp_path: Path, change: Change, problem: str) -> None:
    path = tmp_path / "holidays.yaml"
    shutil.copy(DATA / "holidays.yaml", path)
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"holidays\.yaml") as raised:
        PublishedYears.load(path)
    assert problem in str(raised.value)


async def test_the_hours_answer_names_a_year_without_a_schedule(app: BotApp) -> None:
    clock = app.engine.services.clock
    # 20 December 2026: the next two weeks reach into 2027, which has no record.
    clock.current = dt.datetime(2026, 12, 20, 10, tzinfo=BEIJING)  # type: ignore[attr-defined]
    text = text_of(await Chat(app).say("/hours"))
    assert "The official holiday schedule for 2027 is not published yet" in text
    assert "for 2026 is not published" not in text
    ru = text_of(await Chat(app, language="ru").say("/hours"))
    assert "график праздников на 2027 год ещё не опубликован" in ru
    clock.current = dt.datetime(2026, 11, 26, 10, tzinfo=BEIJING)  # type: ignore[attr-defined]
    assert "is not published yet" not in text_of(await Chat(app).say("/hours"))
