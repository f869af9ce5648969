"""What every answer shares: its context, the source lines, related topics and punctuation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.core import payloads
from bot.core.languages import full_width, screen_chars
from bot.core.menu import TOPIC_LABELS, Topic
from bot.core.schedule import CardRules
from bot.core.text import _, current
from bot.core.types import Button, Outbound
from bot.knowledge.hours import HolidayCalendar
from bot.knowledge.model import Confidence, KnowledgeBase, Office, Provenance
from bot.knowledge.query import Lexicon

MAX_SOURCES = 2


@dataclass(frozen=True, slots=True)
class Context:
    """What answers are composed from: the facts, the holiday calendar, day words, card rules."""

    knowledge: KnowledgeBase
    calendar: HolidayCalendar
    lexicon: Lexicon
    card_rules: CardRules


#: A topic's answer: the context, the moment asked, and the question typed ("" for a button).
TopicAnswer = Callable[[Context, dt.datetime, str], list[Outbound]]

#: A topic's details: the context, the moment asked and the section; [] for no such section.
Details = Callable[[Context, dt.datetime, str], list[Outbound]]


def sources_footer(provenances: Iterable[Provenance], *, full: bool = False) -> str:
    """A factual answer's source line: the official source first and the date checked.

    One short line (one source) under a first answer; `full` (details) names up to
    :data:`MAX_SOURCES` sources and adds "information, not legal advice" with the hotline.
    """
    ordered: list[str] = []
    checked: dt.date | None = None
    secondary_only = True
    for provenance in provenances:
        if provenance.confidence is Confidence.OFFICIAL:
            secondary_only = False
        checked = provenance.checked if checked is None else min(checked, provenance.checked)
        for url in provenance.sources[: MAX_SOURCES if full else 1]:
            if url not in ordered:
                ordered.append(url)
    if not ordered or checked is None:
        return ""
    date = current().format_date(checked)
    urls = ", ".join(ordered[: MAX_SOURCES if full else 1])
    if secondary_only:
        line = _("Source (not an official page): {source}, checked {date}").format(
            source=urls, date=date
        )
    else:
        line = _("Source: {source}, checked {date}").format(source=urls, date=date)
    if full:
        line += "\n" + _("Information, not legal advice. For your own case: hotline 12367.")
    return line


def with_footer(text: str, provenances: Iterable[Provenance], *, full: bool = False) -> str:
    """The text, a blank line and its source line (if any source is given)."""
    footer = sources_footer(provenances, full=full)
    return f"{text}\n\n{footer}" if footer else text


def more_button(label: str, topic: str, section: str) -> Button:
    """A button to one section of a topic's details (`more:<topic>:<section>`)."""
    return Button(label, payloads.more(topic, section))


def back_button(payload: str) -> Button:
    """The button from details back to the short answer (`payloads.topic("renewal")`,
    `payloads.office("main")`)."""
    return Button(_("↩ Back"), payload)


def short_reply(
    text: str,
    provenances: Iterable[Provenance],
    topic: str,
    *related_topics: str,
    extra: Iterable[tuple[Button, ...]] = (),
) -> list[Outbound]:
    """A topic's short answer: its source line, `extra` rows, "More details"
    (`more:<topic>:more`) and the related topics."""
    buttons = (
        *extra,
        (more_button(_("ℹ️ More details"), topic, "more"),),
        *related(*related_topics),
    )
    return [Outbound(text=with_footer(text, provenances), buttons=buttons)]


def details_reply(
    text: str,
    provenances: Iterable[Provenance],
    topic: str,
    extra: Iterable[tuple[Button, ...]] = (),
    back: str | None = None,
) -> list[Outbound]:
    """A details message: full sources and the disclaimer, replacing the short answer it
    came from, with the way back to it (`back`, else the topic) and to the menu."""
    buttons = (*extra, (back_button(back or payloads.topic(topic)), menu_button()))
    return [Outbound(text=with_footer(text, provenances, full=True), buttons=buttons, edit=True)]


def related(*topics: str) -> tuple[tuple[Button, ...], ...]:
    """Buttons to related topics (two per row) and back to the menu."""
    buttons = [Button(_(TOPIC_LABELS[Topic(t)]), payloads.topic(t)) for t in topics]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((menu_button(),))
    return tuple(rows)


def menu_button() -> Button:
    """The button back to the main menu."""
    return Button(_("☰ Main menu"), payloads.MENU)


def fit_items(text: str, items: Sequence[str], room: int = 0) -> tuple[list[str], int]:
    """The leading items that fit on one phone screen below `text`, leaving `room`
    characters (for a source line and a closing line), and how many did not fit."""
    budget = screen_chars(current().language) - len(text) - room
    shown: list[str] = []
    for item in items:
        budget -= len(item) + 1
        if budget < 0:
            break
        shown.append(item)
    return shown, len(items) - len(shown)


def _cjk() -> bool:
    """Chinese and Japanese text takes full-width punctuation and no spaces between sentences."""
    return full_width(current().language)


def gap() -> str:
    """The space between two sentences (none in Chinese and Japanese)."""
    return "" if _cjk() else " "


def colon() -> str:
    """A colon and the space after it (full-width in Chinese and Japanese)."""
    return "：" if _cjk() else ": "


def stop() -> str:
    """A full stop and the space after it (full-width in Chinese and Japanese)."""
    return "。" if _cjk() else ". "


def office_name(office: Office) -> str:
    """The name of an office for lists, in the current language."""
    return _(office.label)


def office_short(office: Office) -> str:
    """The name of an office on its button, in the current language."""
    return _(office.short)


#: The office's short name in lines that list several offices: the same as on its button.
short_name = office_short
