"""Card rules: renewal, change of details, loss or damage, collection, processing time, and
the card itself and keeping permanent residence (versions, uses, time in China, cancellation).

Each first answer is short: the fee first, the rule in a sentence, where to go and the source.
The full rules (with what other sources say) and the document list are one tap away.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core import payloads
from bot.core.languages import BEIJING
from bot.core.schedule import EventKind, window
from bot.core.text import N_, _, current, ngettext
from bot.core.types import Button, Outbound
from bot.knowledge.answers.common import (
    Context,
    Details,
    TopicAnswer,
    details_reply,
    more_button,
    related,
    short_name,
    with_footer,
)
from bot.knowledge.answers.fees import fee_first, fee_line
from bot.knowledge.model import KnowledgeBase, Rule, Service

FIRST_RULES = 2  # rules in a first answer when the question names one of the details


@dataclass(frozen=True, slots=True)
class CardTopic:
    """What one card topic says first, and what its details hold."""

    topic: str
    heading: str  # English, marked with N_
    fee: str | None  # the fee the answer starts with
    first: tuple[str, ...]  # the rules of the first answer (each as its summary, if it has one)
    more: tuple[str, ...]  # the rules in full, in the details
    documents: tuple[str, ...] = ()  # the rules on documents, in the details
    where: Service | None = None  # the offices named in the first answer
    topics: tuple[str, ...] = ()  # related topics


CARD_TOPICS: Mapping[str, CardTopic] = {
    t.topic: t
    for t in (
        CardTopic(
            "renewal",
            N_("Renewing your card:"),
            "renewal",
            ("renewal_window", "validity"),
            ("renewal_window", "validity", "minor_card"),
            ("renewal_documents",),
            Service.RENEWAL,
            ("address", "hours"),
        ),
        CardTopic(
            "change",
            N_("Changing details on your card:"),
            "renewal",
            ("change_window",),
            ("change_window", "change_items", "new_passport"),
            ("renewal_documents",),
            Service.RENEWAL,
            ("address", "hours"),
        ),
        CardTopic(
            "loss",
            N_("If your card is lost or damaged:"),
            "replacement",
            ("loss_damage",),
            ("loss_damage", "loss_procedure"),
            ("renewal_documents",),
            Service.REPLACEMENT,
            ("address", "hours"),
        ),
        CardTopic(
            "collection",
            N_("Collecting your card:"),
            "issuance",
            ("collection",),
            ("collection", "collection_abroad", "issuing_authority"),
            (),
            None,
            ("process", "address"),
        ),
        CardTopic(
            "status",
            N_("Your card and keeping permanent residence:"),
            None,
            ("residence_obligation", "card_use"),
            ("card_2023", "card_2017", "card_use", "residence_obligation", "cancellation"),
            (),
            None,
            ("renewal", "contact"),
        ),
        CardTopic(
            "processing_time",
            N_("How long it takes:"),
            None,
            ("processing_time",),
            ("processing_time",),
            (),
            None,
            ("process", "contact"),
        ),
    )
}


def _rules(knowledge: KnowledgeBase, ids: Sequence[str]) -> list[Rule]:
    return [knowledge.rules[r] for r in ids if r in knowledge.rules]


def card_answer(context: Context, spec: CardTopic, query: str = "") -> list[Outbound]:
    """The fee first, each rule in a sentence, where to go and the source; details behind.

    A rule of the details whose words the question names comes first: "I have a new passport,
    what about my card?" is told at once that no source settles it. A first answer holds at
    most :data:`FIRST_RULES` rules, so that it fits a phone's screen.
    """
    knowledge = context.knowledge
    named = context.lexicon.named_rules(query)
    asked = [r for r in spec.more if r in named and r not in spec.first]
    rules = _rules(knowledge, (*asked, *spec.first)[: max(FIRST_RULES, len(spec.first))])
    lines = [fee_first(knowledge, spec.fee)] if spec.fee else []
    lines.append(_(spec.heading))
    lines += [f"• {_(rule.summary or rule.text)}" for rule in rules]
    offices = [o for o in knowledge.offices if spec.where is not None and spec.where in o.services]
    if offices:
        lines.append(
            "📍 "
            + _("Where: {offices}.").format(
                offices=current().format_list([short_name(o) for o in offices])
            )
        )
    provenances = [r.provenance for r in rules]
    if spec.fee:
        provenances.insert(0, knowledge.fee(spec.fee).provenance)
    text = with_footer("\n".join(lines), provenances)
    row: list[Button] = []
    if spec.documents:
        row.append(more_button(_("📄 Documents"), spec.topic, "documents"))
    row.append(more_button(_("ℹ️ More details"), spec.topic, "more"))
    return [Outbound(text=text, buttons=(tuple(row), *related(*spec.topics)))]


def card_details(context: Context, now: dt.datetime, topic: str, section: str) -> list[Outbound]:
    """A card topic's full rules (`more`) or its documents (`documents`)."""
    spec = CARD_TOPICS.get(topic)
    if spec is None:
        return []
    knowledge = context.knowledge
    if section == "more":
        rules = _rules(knowledge, spec.more)
        lines = [_(spec.heading), ""]
        lines += [f"• {_(rule.text)}" for rule in rules]
        if spec.fee:
            lines += ["", f"• {fee_line(knowledge, spec.fee)}"]
        other = "documents" if spec.documents else None
    elif section == "documents" and spec.documents:
        rules = _rules(knowledge, spec.documents)
        lines = [_("Documents to bring:"), ""]
        lines += [f"• {_(rule.text)}" for rule in rules]
        other = "more"
    else:
        return []
    extra: tuple[tuple[Button, ...], ...] = ()
    if other == "documents":
        extra = ((more_button(_("📄 Documents"), topic, other),),)
    elif other == "more":
        extra = ((more_button(_("ℹ️ More details"), topic, other),),)
    return details_reply("\n".join(lines), (r.provenance for r in rules), topic, extra)


def _answer(topic: str) -> TopicAnswer:
    def answer(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
        return card_answer(context, CARD_TOPICS[topic], query)

    return answer


def _details(topic: str) -> Details:
    def details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
        return card_details(context, now, topic, section)

    return details


def with_expiry_window(answer: TopicAnswer) -> TopicAnswer:
    """`answer` (the renewal's) with an expiry date in the question answered first.

    "My card runs out on 20 August 2027, from when can I renew?" is answered with the days of
    that card's window above the renewal answer, and a first button that sets the reminder
    for that date.
    """

    def answered(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
        return _expiry_window(answer(context, now, query), context, now, query)

    return answered


def _expiry_window(
    messages: list[Outbound], context: Context, now: dt.datetime, query: str
) -> list[Outbound]:
    """`messages` with the window of the expiry date in `query` (if any) above them."""
    today = now.astimezone(BEIJING).date()
    expiry = context.lexicon.date(query, today) if query else None
    if expiry is None:
        return messages
    translator = current()
    first, last = window(EventKind.EXPIRY, expiry, context.card_rules)
    date = translator.format_date(expiry)
    if last < today:
        lines = [
            _(
                "The card expired on {date}. Go to a service centre as soon as you can to "
                "apply for a new one, and call 12367 to ask what applies in your case."
            ).format(date=date)
        ]
    else:
        lines = [
            _("Your card expires on {date}: you can renew it from {first} to {last}.").format(
                date=date,
                first=translator.format_date(first),
                last=translator.format_date(last),
            )
        ]
        if first <= today:
            lines.append(_("The period is open now: you can go today."))
        else:
            days = (first - today).days
            lines.append(
                ngettext(
                    "That is {count} day from now.", "That is {count} days from now.", days
                ).format(count=days)
            )
    head = messages[0]
    buttons = head.buttons
    if last >= today:
        remind = Button(_("⏰ Remind me then"), payloads.remind_expiry(expiry))
        buttons = ((remind,), *buttons)
    text = "\n".join(lines) + "\n\n" + head.text
    return [dataclasses.replace(head, text=text, buttons=buttons), *messages[1:]]


renewal = _answer("renewal")
change = _answer("change")
loss = _answer("loss")
collection = _answer("collection")
processing_time = _answer("processing_time")
status = _answer("status")
renewal_details = _details("renewal")
change_details = _details("change")
loss_details = _details("loss")
collection_details = _details("collection")
processing_time_details = _details("processing_time")
status_details = _details("status")
