"""Fees: one fee as a line, and the fees topic."""

from __future__ import annotations

import datetime as dt

from bot.core.text import _, current
from bot.core.types import Outbound
from bot.knowledge.answers.common import Context, related, with_footer
from bot.knowledge.model import KnowledgeBase


def fee_line(knowledge: KnowledgeBase, fee_id: str) -> str:
    """One fee as `title: amount per person`."""
    fee = knowledge.fee(fee_id)
    amount = current().format_money(fee.amount, fee.currency)
    unit = _("per person") if fee.per == "person" else _("per card")
    return _("{item}: {amount} {unit}").format(item=_(fee.title), amount=amount, unit=unit)


def fees(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """Every fee, when each is paid, and the sources."""
    knowledge = context.knowledge
    lines = [_("Fees for the Foreign Permanent Resident ID Card:")]
    lines += [f"• {fee_line(knowledge, fee.id)}" for fee in knowledge.fees]
    lines += [
        "",
        _(
            "You pay the application fee when you apply and the card fee when you "
            "collect the card."
        ),
    ]
    text = with_footer("\n".join(lines), (f.provenance for f in knowledge.fees))
    return [Outbound(text=text, buttons=related("process", "renewal", "loss"))]
