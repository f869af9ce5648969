""" "Show this at the counter": a short Chinese text for the officer or the 12367 hotline.

Renewal, change, loss and first-application answers carry a button that sends it. The text
says what the person wants to do, what they bring, the card's expiry (or change) date when a
reminder of the chat knows it, and the main office's Chinese name and address. Its Chinese
wording lives in data/counter.yaml; only the line above it is in the user's language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from babel.dates import format_date

from bot.core import payloads
from bot.core.text import _
from bot.core.types import Button, Outbound
from bot.knowledge.answers.common import Context, TopicAnswer, menu_button
from bot.knowledge.model import CounterKind

#: The longest the Chinese text may be, so it fits one phone screen.
MAX_CHARS = 300


def counter_button(kind: str) -> Button:
    """The button that sends the counter text for `kind`."""
    return Button(_("Show this at the counter"), payloads.counter(kind))


def with_counter(answer: TopicAnswer, kind: str) -> TopicAnswer:
    """`answer` with the counter button as the first row of its last message."""

    def answered(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
        messages = answer(context, now, query)
        if not messages or _kind(context, kind) is None:
            return messages
        last = messages[-1]
        rows = ((counter_button(kind),), *last.buttons)
        return [*messages[:-1], dataclasses.replace(last, buttons=rows)]

    return answered


def counter_text(context: Context, kind_id: str, dates: Mapping[str, dt.date]) -> str | None:
    """The Chinese text for one kind, with the dates known; None for an unknown kind."""
    kind = _kind(context, kind_id)
    counter = context.knowledge.counter
    if kind is None or counter is None:
        return None
    templates = counter.templates
    lines = [kind.purpose]
    for name in kind.dates:
        if name in dates:
            template = templates.expiry if name == "expiry" else templates.change
            lines.append(template.format(date=format_date(dates[name], "long", locale="zh_CN")))
    lines.append(templates.bring.format(items=templates.joiner.join(kind.bring)) + templates.ask)
    main = context.knowledge.main_office
    if main.name.zh and main.address.zh:
        lines.append(templates.office.format(name=main.name.zh, address=main.address.zh))
    return "\n".join(lines)


def counter_card(context: Context, kind_id: str, dates: Mapping[str, dt.date]) -> list[Outbound]:
    """The counter text under one line that says what it is; empty for an unknown kind."""
    text = counter_text(context, kind_id, dates)
    if text is None:
        return []
    intro = _("Show this to the officer at the counter, or read it to the 12367 hotline:")
    return [Outbound(text=f"{intro}\n\n{text}", buttons=((menu_button(),),))]


def _kind(context: Context, kind_id: str) -> CounterKind | None:
    counter = context.knowledge.counter
    if counter is None:
        return None
    return next((k for k in counter.kinds if k.id == kind_id), None)
