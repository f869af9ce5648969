"""Card rules: renewal, change of details, loss or damage, collection and processing time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from bot.core.languages import BEIJING
from bot.core.schedule import EventKind, window
from bot.core.text import N_, _, current, ngettext
from bot.core.types import Button, Outbound
from bot.knowledge.answers.common import (
    Context,
    TopicAnswer,
    office_name,
    related,
    with_footer,
)
from bot.knowledge.answers.fees import fee_line
from bot.knowledge.model import KnowledgeBase, Service


def rule_answer(
    knowledge: KnowledgeBase,
    heading: str,
    rule_ids: Sequence[str],
    fee_ids: Sequence[str],
    topics: Sequence[str],
) -> list[Outbound]:
    """A heading, the rules as bullets, the fees, where to go (for renewal) and the sources."""
    rules = [knowledge.rules[r] for r in rule_ids if r in knowledge.rules]
    lines = [heading, ""]
    lines += [f"• {_(rule.text)}" for rule in rules]
    if fee_ids:
        lines.append("")
        lines += [f"• {fee_line(knowledge, f)}" for f in fee_ids]
    offices = [o for o in knowledge.offices if Service.RENEWAL in o.services]
    if "renewal" in topics and offices:
        lines.append("")
        lines.append(
            _("Where: {offices}.").format(
                offices=current().format_list([office_name(o) for o in offices])
            )
        )
    provenances = [r.provenance for r in rules]
    provenances += [knowledge.fee(f).provenance for f in fee_ids]
    text = with_footer("\n".join(lines), provenances)
    return [Outbound(text=text, buttons=related(*topics))]


def _rule_topic(
    heading: str, rule_ids: Sequence[str], fee_ids: Sequence[str], topics: Sequence[str]
) -> TopicAnswer:
    """A topic answered by `rule_answer` with these rules, fees and related topics."""

    def answer(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
        return rule_answer(context.knowledge, _(heading), rule_ids, fee_ids, topics)

    return answer


_renewal_rules = _rule_topic(
    N_("Renewing your card:"),
    ("renewal_window", "validity", "minor_card", "renewal_documents"),
    ("renewal",),
    ("renewal", "documents", "address", "hours"),
)


def renewal(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The renewal rules; an expiry date in the question gets its own window and a reminder.

    "My card runs out on 20 August 2027, from when can I renew?" is answered with the days of
    that card's window first, and a button that sets the reminder for that date.
    """
    messages = _renewal_rules(context, now, query)
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
        remind = Button(_("⏰ Remind me then"), f"rexp:{expiry.isoformat()}")
        buttons = ((remind,), *buttons)
    text = "\n".join(lines) + "\n\n" + head.text
    return [dataclasses.replace(head, text=text, buttons=buttons), *messages[1:]]


change = _rule_topic(
    N_("Changing details on your card:"),
    ("change_window", "change_items", "renewal_documents"),
    ("renewal",),
    ("renewal", "address", "hours"),
)
loss = _rule_topic(
    N_("If your card is lost or damaged:"),
    ("loss_damage", "loss_procedure", "renewal_documents"),
    ("replacement",),
    ("renewal", "address", "hours"),
)
collection = _rule_topic(
    N_("Collecting your card:"),
    ("collection", "collection_abroad", "issuing_authority"),
    ("issuance",),
    ("process", "address"),
)
processing_time = _rule_topic(
    N_("How long it takes:"),
    ("processing_time",),
    (),
    ("process", "contact"),
)
