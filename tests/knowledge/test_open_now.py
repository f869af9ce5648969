"""'Is it open now?' at fixed instants in Beijing, with 2026's official holiday calendar.

The calendar is pinned: 2026 as data/holidays.yaml has it, copied to tmp, and no other year
(neither the package nor a year added to the data later changes what these tests see).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.app import BotApp
from bot.knowledge.hours import ChineseCalendar, HolidayCalendar, PublishedYears
from tests.conftest import Chat, no_package, text_of

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def calendar(tmp_path: Path) -> HolidayCalendar:
    """Only 2026, from a copy of its record in data/holidays.yaml."""
    content = yaml.safe_load((DATA / "holidays.yaml").read_text(encoding="utf-8"))
    content["years"] = [y for y in content["years"] if y["year"] == 2026]
    path = tmp_path / "holidays.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return ChineseCalendar(PublishedYears.load(path), detail=no_package)


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))


async def ask(app: BotApp, moment: dt.datetime, question: str, language: str = "en") -> str:
    app.engine.services.clock.current = moment  # type: ignore[attr-defined]
    return text_of(await Chat(app, language=language).say(question))


def line_for(text: str, office: str) -> str:
    return next(line for line in text.splitlines() if office in line)


async def test_weekday_morning(app: BotApp) -> None:
    text = await ask(app, beijing(2026, 11, 26, 10), "is it open now?")
    assert "Thursday November 26, 2026, 10:00" in text
    assert "Open now, until 17:00" in line_for(text, "Andingmen (main hall)")
    assert "Source: http" in text


async def test_sunday(app: BotApp) -> None:
    text = await ask(app, beijing(2026, 11, 29, 11), "is it open now?")
    line = line_for(text, "Andingmen (main hall)")
    assert "closed on Sundays" in line
    assert "Next opening: Monday, 09:00" in line  # within a week: the weekday is enough


async def test_lunch_at_shijingshan(app: BotApp) -> None:
    text = await ask(app, beijing(2026, 11, 26, 12, 30), "when does Shijingshan open after lunch?")
    line = line_for(text, "Shijingshan")
    assert "Closed now for lunch" in line
    assert "Opens today at 13:30" in line
    assert "Closed for lunch from 12:00 to 13:30" in text
    assert "Andingmen" not in text  # the question named one office


async def test_statutory_holiday(app: BotApp) -> None:
    text = await ask(app, beijing(2026, 10, 1, 10), "are they open now")
    line = line_for(text, "Andingmen (main hall)")
    assert "statutory holiday" in line
    assert "Next opening: Thursday October 8, 2026, 09:00" in line


async def test_adjusted_working_sunday_opens(app: BotApp) -> None:
    # Sunday 20 September 2026 is an official working day (调休) for National Day.
    text = await ask(app, beijing(2026, 9, 20, 10), "is it open today?")
    assert "Open now, until 17:00" in line_for(text, "Andingmen (main hall)")


async def test_adjusted_working_saturday_for_a_given_day(app: BotApp) -> None:
    text = await ask(app, beijing(2026, 10, 6, 10), "open on saturday?")
    assert "On Saturday October 10, 2026:" in text
    assert "an official adjusted working day" in line_for(text, "Andingmen (main hall)")


async def test_new_years_eve_late_evening(app: BotApp) -> None:
    text = await ask(app, beijing(2026, 12, 31, 23, 30), "open now?")
    line = line_for(text, "Andingmen (main hall)")
    assert "Closed now. Next opening: Friday, 09:00." in line
    # 1 January 2027 lies in a year without data: said once, under the statuses
    assert text.count("The official holiday schedule for 2027 is not published yet") == 1


async def test_a_year_without_holiday_data(app: BotApp) -> None:
    text = await ask(app, beijing(2027, 3, 10, 10), "is it open now?")
    line = line_for(text, "Andingmen (main hall)")
    assert "Usually open at this time, until 17:00." in line
    assert "The official holiday schedule for 2027 is not published yet" in text
    assert "Open now" not in line
    day = await ask(app, beijing(2027, 3, 10, 10), "open on saturday?")
    assert "Usually open: 09:00–17:00; closed if that day is a public holiday." in line_for(
        day, "Andingmen (main hall)"
    )
    assert "The official holiday schedule for 2027 is not published yet" in day


@pytest.mark.parametrize(
    ("language", "question", "said"),
    [
        ("en", "are you open on 1 May?", "closed if that day is a public holiday"),
        ("zh", "国庆节开门吗", "如当天是法定节假日则不开放"),
        ("fr", "ouvert le 1er mai ?", "fermé si ce jour est férié"),
    ],
)
async def test_a_day_of_a_year_not_published_says_the_centres_close_on_public_holidays(
    app: BotApp, language: str, question: str, said: str
) -> None:
    """1 May 2027 had been 'usually open 09:00-17:00' with a caveat below: the centres close
    on statutory holidays (data/hours.yaml), and which days those are in 2027 is not out."""
    text = await ask(app, beijing(2026, 12, 5, 10), question, language=language)
    assert said in line_for(text, "Andingmen" if language != "zh" else "安定门")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("周六开门吗", "2026年11月28日"),
        ("открыто в субботу?", "28 ноября 2026"),
        ("토요일에 문 열어요?", "2026년 11월 28일"),
    ],
)
async def test_day_questions_in_other_languages(app: BotApp, question: str, expected: str) -> None:
    app.engine.services.clock.current = beijing(2026, 11, 26, 10)  # type: ignore[attr-defined]
    chat = Chat(app, language={"周": "zh", "о": "ru", "토": "ko"}[question[0]])
    text = text_of(await chat.say(question))
    assert expected in text
