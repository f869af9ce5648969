"""Fees: one fee as a line, the fee a question names, and the fees topic."""

from __future__ import annotations

import datetime as dt

from bot.core.text import _, current
from bot.core.types import Outbound
from bot.knowledge.answers.common import Context, related, with_footer
from bot.knowledge.model import Fee, KnowledgeBase


def fee_line(knowledge: KnowledgeBase, fee_id: str) -> str:
    """One fee as `title: amount per person`."""
    fee = knowledge.fee(fee_id)
    return _("{item}: {amount} {unit}").format(
        item=_(fee.title), amount=_amount(fee), unit=_unit(fee)
    )


def fee_first(knowledge: KnowledgeBase, fee_id: str) -> str:
    """The opening line of an answer about a card: `💰 Fee: CN¥300 per card.`"""
    fee = knowledge.fee(fee_id)
    return "💰 " + _("Fee: {amount} {unit}.").format(amount=_amount(fee), unit=_unit(fee))


def fee_named(knowledge: KnowledgeBase, query: str) -> Fee | None:
    """The fee a question names (`renewal fee`, `丢了补办多少钱`), the one named first."""
    text = query.casefold()
    found: list[tuple[int, int, Fee]] = []
    for order, fee in enumerate(knowledge.fees):
        places = [text.find(alias.casefold()) for alias in fee.aliases]
        places = [p for p in places if p >= 0]
        if places:
            found.append((min(places), order, fee))
    return min(found, key=lambda f: (f[0], f[1]))[2] if found else None


def fees(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The fee asked about first, then every fee and when each is paid, and the source."""
    knowledge = context.knowledge
    asked = fee_named(knowledge, query) if query else None
    lines = [f"💰 {fee_line(knowledge, asked.id)}", ""] if asked is not None else []
    lines += [f"• {fee_line(knowledge, fee.id)}" for fee in knowledge.fees if fee is not asked]
    lines += [
        _(
            "You pay the application fee when you apply and the card fee when you "
            "collect the card."
        ),
    ]
    shown = [asked] if asked is not None else list(knowledge.fees)
    text = with_footer("\n".join(lines), (f.provenance for f in shown))
    return [Outbound(text=text, buttons=related("process", "renewal", "loss"))]


def _amount(fee: Fee) -> str:
    return current().format_money(fee.amount, fee.currency)


def _unit(fee: Fee) -> str:
    return _("per person") if fee.per == "person" else _("per card")
