"""Applying: the steps of the application and the documents every application needs.

The first answer gives each step (or document) in a few words; the full text is one tap away.
"""

from __future__ import annotations

import datetime as dt

from bot.core.text import _
from bot.core.types import Outbound
from bot.knowledge.answers.authorities import category, category_buttons
from bot.knowledge.answers.common import Context, details_reply, short_reply
from bot.knowledge.answers.fees import fee_line

AGENT_RULE = "agent_filing"


def process(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The application in six short steps; the steps in full and the fees one tap away.

    A question about filing through someone else ("can an agency apply for me?", "do I have
    to go in person?") gets the rule on agents and in-person filing instead, the steps one
    tap away.
    """
    knowledge = context.knowledge
    agent = knowledge.rules.get(AGENT_RULE)
    if agent is not None and AGENT_RULE in context.lexicon.named_rules(query):
        lines = [_("Applying through someone else:"), f"• {_(agent.summary or agent.text)}"]
        text = "\n".join(lines)
        return short_reply(text, (agent.provenance,), "process", "documents", "where_to_apply")
    lines = [_("How to apply, step by step:")]
    lines += [
        f"{n}. {_(step.summary or step.text)}" for n, step in enumerate(knowledge.steps, start=1)
    ]
    provenances = [s.provenance for s in knowledge.steps]
    return short_reply(
        "\n".join(lines), provenances, "process", "eligibility", "documents", "fees", "address"
    )


def process_details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
    """Every step in full, with the fees paid along the way."""
    if section != "more":
        return []
    knowledge = context.knowledge
    lines = [_("How to apply, step by step:"), ""]
    lines += [f"{n}. {_(step.text)}" for n, step in enumerate(knowledge.steps, start=1)]
    lines.append("")
    lines += [f"• {fee_line(knowledge, f)}" for f in ("application", "issuance")]
    provenances = [s.provenance for s in knowledge.steps]
    provenances += [knowledge.fee(f).provenance for f in ("application", "issuance")]
    agent = knowledge.rules.get(AGENT_RULE)
    if agent is not None:
        lines += ["", _("Applying through someone else:"), f"• {_(agent.text)}"]
        provenances.append(agent.provenance)
    return details_reply("\n".join(lines), provenances, "process")


def documents(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The main documents every application needs, in a few words; the rest one tap away.

    A question naming one category ("documents for my wife") gets that category's documents;
    otherwise the categories are buttons below the general list.
    """
    knowledge = context.knowledge
    code = context.lexicon.category(query) if query else None
    if code is not None:
        found = category(knowledge, code)
        if found:
            return found
    shown = [rule for rule in knowledge.documents if rule.summary]
    lines = [_("Documents that every application needs:")]
    lines += [f"• {_(rule.summary or rule.text)}" for rule in shown]
    lines.append(_("Each pathway adds its own documents: choose your category."))
    return short_reply(
        "\n".join(lines),
        (r.provenance for r in shown),
        "documents",
        "eligibility",
        "where_to_apply",
        extra=category_buttons(),
    )


def documents_details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
    """Every document rule in full, and where each pathway's own list is."""
    if section != "more":
        return []
    knowledge = context.knowledge
    lines = [_("Documents that every application needs:"), ""]
    lines += [f"• {_(rule.text)}" for rule in knowledge.documents]
    lines.append("")
    lines.append(_("Each pathway adds its own documents: choose your category."))
    return details_reply(
        "\n".join(lines),
        (r.provenance for r in knowledge.documents),
        "documents",
        extra=category_buttons(),
    )
