"""Applying: the steps of the application and the documents every application needs."""

from __future__ import annotations

import datetime as dt

from bot.core.text import _
from bot.core.types import Outbound
from bot.knowledge.answers.authorities import category, category_buttons
from bot.knowledge.answers.common import Context, related, with_footer
from bot.knowledge.answers.fees import fee_line


def process(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The application, step by step, with the fees paid along the way."""
    knowledge = context.knowledge
    lines = [_("How to apply, step by step:"), ""]
    lines += [f"{n}. {_(step.text)}" for n, step in enumerate(knowledge.steps, start=1)]
    lines.append("")
    lines += [f"• {fee_line(knowledge, f)}" for f in ("application", "issuance")]
    provenances = [s.provenance for s in knowledge.steps]
    text = with_footer("\n".join(lines), provenances)
    return [Outbound(text=text, buttons=related("eligibility", "documents", "address"))]


def documents(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The documents every application needs (each pathway adds its own).

    A question naming one category ("documents for my wife") gets that category's documents.
    """
    knowledge = context.knowledge
    code = context.lexicon.category(query) if query else None
    if code is not None:
        found = category(knowledge, code)
        if found:
            return found
    lines = [_("Documents that every application needs:"), ""]
    lines += [f"• {_(rule.text)}" for rule in knowledge.documents]
    lines.append("")
    lines.append(_("Each pathway adds its own documents: choose your category."))
    text = with_footer("\n".join(lines), (r.provenance for r in knowledge.documents))
    buttons = (*category_buttons(), *related("eligibility", "where_to_apply"))
    return [Outbound(text=text, buttons=buttons)]
