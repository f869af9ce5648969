"""What every answer shares: its context, the source lines, related topics and punctuation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.core.languages import full_width
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


def sources_footer(provenances: Iterable[Provenance]) -> str:
    """The closing lines of a factual answer: official source first, the date checked."""
    ordered: list[str] = []
    checked: dt.date | None = None
    secondary_only = True
    for provenance in provenances:
        if provenance.confidence is Confidence.OFFICIAL:
            secondary_only = False
        checked = provenance.checked if checked is None else min(checked, provenance.checked)
        for url in provenance.sources[:1]:
            if url not in ordered:
                ordered.append(url)
    if not ordered or checked is None:
        return ""
    translator = current()
    lines = [_("Source:") + gap() + ", ".join(ordered[:MAX_SOURCES])]
    if secondary_only:
        lines[0] += " " + _("(not an official page)")
    lines.append(_("Checked on {date}.").format(date=translator.format_date(checked)))
    lines.append(_("Information, not legal advice. For your own case: hotline 12367."))
    return "\n".join(lines)


def with_footer(text: str, provenances: Iterable[Provenance]) -> str:
    """The text, a blank line and its sources footer (if any source is given)."""
    footer = sources_footer(provenances)
    return f"{text}\n\n{footer}" if footer else text


def related(*topics: str) -> tuple[tuple[Button, ...], ...]:
    """Buttons to related topics (two per row) and back to the menu."""
    buttons = [Button(_(TOPIC_LABELS[Topic(t)]), f"t:{t}") for t in topics]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((menu_button(),))
    return tuple(rows)


def menu_button() -> Button:
    """The button back to the main menu."""
    return Button(_("☰ Main menu"), "menu")


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
    """The short name of an office for lists, in the current language."""
    return _(office.label)
