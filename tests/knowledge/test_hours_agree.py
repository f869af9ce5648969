"""No contradictions about opening hours: for every office and every kind of day (a full week,
statutory holidays, adjusted working days), the hours answer, the open-now answer and the
office card say the same thing, and agree with the published schedule; an office's exceptions
(appointment only, open on holidays except the Spring Festival) are shown wherever its hours are.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from bot.app import Resources
from bot.core.text import use_translator
from bot.knowledge.answers import KnowledgeAnswers
from bot.knowledge.hours import ChineseCalendar
from bot.knowledge.model import Office

BEIJING = dt.timezone(dt.timedelta(hours=8))

#: A full week, then statutory holidays and adjusted working days of 2026.
DAYS = {
    "monday": dt.date(2026, 11, 23),
    "tuesday": dt.date(2026, 11, 24),
    "wednesday": dt.date(2026, 11, 25),
    "thursday": dt.date(2026, 11, 26),
    "friday": dt.date(2026, 11, 27),
    "saturday": dt.date(2026, 11, 28),
    "sunday": dt.date(2026, 11, 29),
    "national day (thursday)": dt.date(2026, 10, 1),
    "national day break (saturday)": dt.date(2026, 10, 3),
    "spring festival (tuesday)": dt.date(2026, 2, 17),
    "spring festival break (sunday)": dt.date(2026, 2, 15),
    "adjusted working sunday": dt.date(2026, 9, 20),
    "adjusted working saturday": dt.date(2026, 10, 10),
    "adjusted working saturday (spring festival)": dt.date(2026, 2, 28),
}
TIMES = (dt.time(8, 45), dt.time(10, 0), dt.time(12, 45), dt.time(13, 45), dt.time(17, 15))

#: The published weekly hours, written out here independently of data/hours.yaml:
#: (weekday -> sessions), whether statutory holidays close it, holidays closing it anyway.
PUBLISHED = {
    "standard": (
        {d: [(dt.time(9), dt.time(17))] for d in range(6)},
        True,
        (),
    ),
    "shijingshan": (
        {d: [(dt.time(9), dt.time(12)), (dt.time(13, 30), dt.time(17, 30))] for d in range(6)},
        True,
        (),
    ),
    "government_service_center": (
        {
            **{d: [(dt.time(8, 30), dt.time(17, 30))] for d in range(5)},
            5: [(dt.time(8, 30), dt.time(12, 30))],
        },
        False,
        ("Spring Festival",),
    ),
}


def expected_open(schedule_id: str, moment: dt.datetime) -> bool:
    """Whether the published hours and the State Council's calendar say it is open."""
    week, closed_on_holidays, closed_anyway = PUBLISHED[schedule_id]
    day = moment.date()
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    weekday = day.weekday()
    if on_holiday and name is not None:
        if closed_on_holidays or name in closed_anyway:
            return False
    elif day.weekday() >= 5 and not on_holiday:  # an adjusted working day runs like Monday
        weekday = 0
    return any(start <= moment.time() < end for start, end in week.get(weekday, []))


@pytest.fixture(scope="module")
def answers(resources: Resources) -> KnowledgeAnswers:
    return KnowledgeAnswers(resources.knowledge, ChineseCalendar(), resources.lexicon)


def scheduled(resources: Resources) -> list[Office]:
    return [o for o in resources.knowledge.offices if o.schedule_id is not None]


def status_in(text: str, name: str) -> str:
    """The status an answer gives for the office listed as `name` (`• A, B and C: status`)."""
    for line in text.splitlines():
        head, sep, status = line.removeprefix("• ").partition(": ")
        names = head.replace(", and ", ", ").replace(" and ", ", ").split(", ")
        if line.startswith("• ") and sep and name in names:
            return status
    raise AssertionError(f"{name} not listed in:\n{text}")


def test_published_hours_are_the_data(resources: Resources) -> None:
    """The test's own copy of the hours is the data's (so the oracle below is about them)."""
    for schedule_id, (week, closed, closed_anyway) in PUBLISHED.items():
        schedule = resources.knowledge.schedules[schedule_id]
        for weekday in range(7):
            sessions = [(s.opens, s.closes) for s in schedule.sessions_on(weekday)]
            assert sessions == week.get(weekday, []), (schedule_id, weekday)
        assert schedule.closed_on_statutory_holidays is closed
        assert schedule.closed_on_holidays == closed_anyway


@pytest.mark.parametrize("day", list(DAYS), ids=str)
def test_hours_open_now_and_card_agree(
    resources: Resources, answers: KnowledgeAnswers, day: str
) -> None:
    main = resources.knowledge.main_office
    with use_translator(resources.translators["en"]):
        for time in TIMES:
            moment = dt.datetime.combine(DAYS[day], time, BEIJING)
            open_now = answers.topic("open_now", moment)[0].text
            hours = answers.topic("hours", moment)[0].text
            for office in scheduled(resources):
                name = resources.translators["en"].gettext(office.short)
                said = status_in(open_now, name)
                where = f"{office.id} on {day} at {time}:\n{open_now}"
                assert said.startswith("Open now") is expected_open(office.schedule_id, moment), (
                    where
                )
                card = answers.office(office.id, moment)[0].text
                assert f"🕘 {said}" in card, f"the card differs: {where}\n{card}"
                named = answers.topic("open_now", moment, office.aliases[0])[0].text
                assert status_in(named, name) == said, f"asked by name: {where}\n{named}"
                if office is main:
                    assert hours.startswith(f"{name}: {said}"), f"/hours differs: {where}"


@pytest.mark.parametrize("day", list(DAYS), ids=str)
def test_a_day_asked_about_agrees_with_that_day(
    resources: Resources, answers: KnowledgeAnswers, day: str
) -> None:
    """ "Open on <day>?" asked the week before says what the status on that day says."""
    date = DAYS[day]
    with use_translator(resources.translators["en"]):
        for office in scheduled(resources):
            name = resources.translators["en"].gettext(office.short)
            asked = dt.datetime.combine(date - dt.timedelta(days=3), dt.time(10), BEIJING)
            weekday = date.strftime("%A").lower()
            text = answers.topic("open_now", asked, f"{office.aliases[0]} open on {weekday}?")
            said = status_in(text[0].text, name)
            opens = any(
                expected_open(office.schedule_id, dt.datetime.combine(date, t, BEIJING))
                for t in (dt.time(8, 45), dt.time(10), dt.time(14))
            )
            assert said.startswith("Open") is opens, f"{office.id} on {day}: {said}"


# Exceptions shown wherever the hours are --------------------------------------------------

NAME = "Fengtai (Gov. Center)"  # its short name (data/offices.yaml)
ASKED = "Government Service Center"  # how a user names it
APPOINTMENT = "08:30–12:30 (by appointment only)"
HOLIDAYS = "Also open on public holidays, except the Spring Festival break; check first."


def test_the_government_service_center_exceptions_everywhere(
    resources: Resources, answers: KnowledgeAnswers
) -> None:
    saturday = dt.datetime(2026, 11, 28, 10, tzinfo=BEIJING)
    with use_translator(resources.translators["en"]):
        places = {
            "hours, all offices": answers.details("hours", "offices", saturday)[0].text,
            "open now, all offices": answers.details("open_now", "offices", saturday)[0].text,
            "office details": answers.details("office", "government_service_center", saturday)[
                0
            ].text,
            "asked by name": answers.topic("open_now", saturday, ASKED)[0].text,
            "hours asked by name": answers.topic("hours", saturday, ASKED)[0].text,
        }
        for place, text in places.items():
            assert APPOINTMENT in text, place
            assert HOLIDAYS in text, place
        thursday = saturday - dt.timedelta(days=2)
        day = answers.topic("open_now", thursday, f"{ASKED} open on saturday?")[0].text
        assert status_in(day, NAME) == "Open: 08:30–12:30 (by appointment only)."
        # Its status on a Saturday morning, wherever it is given:
        status = "Open now, until 12:30. By appointment only."
        assert status_in(answers.topic("open_now", saturday)[0].text, NAME) == status
        assert f"🕘 {status}" in answers.office("government_service_center", saturday)[0].text


def test_holidays_are_told_office_by_office(
    resources: Resources, answers: KnowledgeAnswers
) -> None:
    national_day = dt.datetime(2026, 10, 1, 10, tzinfo=BEIJING)
    spring_festival = dt.datetime(2026, 2, 17, 10, tzinfo=BEIJING)
    with use_translator(resources.translators["en"]):
        text = answers.topic("open_now", national_day)[0].text
        assert status_in(text, "Andingmen (main hall)").startswith("Closed now: statutory holiday")
        gsc = status_in(text, NAME)
        assert gsc.startswith("Open now, until 17:30.")
        assert "Today is a public holiday (National Day): check before you go." in gsc
        text = answers.topic("open_now", spring_festival)[0].text
        assert status_in(text, NAME).startswith("Closed now: statutory holiday")
        for moment in (national_day, spring_festival):
            for answer in ("hours", "open_now"):
                shown = answers.topic(answer, moment)[0].text
                shown += answers.details("hours", "offices", moment)[0].text
                assert "All centres" not in shown and "all centres" not in shown
        hours = answers.topic("hours", national_day)[0].text
        assert "Closed on statutory holidays, open on adjusted working days (调休)." in hours
        assert f"Different hours at {NAME} and Shijingshan" in hours


def test_no_office_is_said_to_keep_hours_that_are_not_published(
    resources: Resources, answers: KnowledgeAnswers
) -> None:
    """Offices without published hours are never among those said to keep the main hours,
    and the full list names each of them as unpublished."""
    now = dt.datetime(2026, 11, 26, 10, tzinfo=BEIJING)
    translator = resources.translators["en"]
    with use_translator(translator):
        hours = answers.topic("hours", now)[0].text
        listed = answers.details("hours", "offices", now)[0].text
    same = next(line for line in hours.splitlines() if line.startswith("The same hours at"))
    unpublished = next(line for line in listed.splitlines() if "not published for" in line)
    for office in resources.knowledge.offices:
        if office.schedule_id is None:
            assert translator.gettext(office.short) not in same
            assert translator.gettext(office.short) in unpublished
        else:
            assert translator.gettext(office.short) not in unpublished


@pytest.mark.parametrize("language", ["zh", "ru", "ko", "ja", "fr", "de", "es", "ar"])
def test_appointment_only_in_every_language(
    resources: Resources, answers: KnowledgeAnswers, language: str
) -> None:
    saturday = dt.datetime(2026, 11, 28, 10, tzinfo=BEIJING)
    translator = resources.translators[language]
    appointment = translator.gettext("By appointment only.")
    assert appointment != "By appointment only."
    with use_translator(translator):
        assert appointment in answers.topic("open_now", saturday)[0].text
        assert appointment in answers.office("government_service_center", saturday)[0].text
        listed = answers.details("hours", "offices", saturday)[0].text
    times = translator.gettext("{times} (by appointment only)").format(times="08:30–12:30")
    assert times in listed
