"""Who can apply: the eligibility topic, each pathway, the pathway list and the check's result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from bot.core import payloads
from bot.core.eligibility import CheckRule
from bot.core.text import _, ngettext
from bot.core.types import Button, Outbound
from bot.knowledge.answers.common import (
    Context,
    details_reply,
    fit_items,
    related,
    sources_footer,
    with_footer,
)
from bot.knowledge.model import KnowledgeBase, Pathway


def eligibility(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The general conditions, how many pathways there are, and the way into the check."""
    pathways = context.knowledge.pathways
    general = context.knowledge.pathway("general")
    lines = [_("Who can get permanent residence in Beijing:")]
    if general is not None:
        lines.append(_(general.summary))
    lines.append(
        _(
            "There are {count} pathways, for example through family, work, talent, "
            "investment or Chinese origin."
        ).format(count=len(pathways) - 1)
    )
    provenances = [general.provenance] if general is not None else []
    text = with_footer("\n".join(lines), provenances)
    buttons = (
        (Button(_("🧭 Check my options"), payloads.CHECK),),
        (_all_pathways_button(),),
        *related("documents", "process"),
    )
    return [Outbound(text=text, buttons=buttons)]


def _held_to(found: Pathway, lengths: Mapping[str, int]) -> list[str]:
    """What a stated length of time ("married 3 years") means against the pathway's minimum."""
    lines = []
    for minimum in found.minimums:
        count = lengths.get(minimum.measure)
        if count is None:
            continue
        missing = minimum.years - count
        values = {"minimum": minimum.years, "count": count, "missing": missing}
        if minimum.measure == "marriage" and missing > 0:
            line = ngettext(
                "This route asks for at least {minimum} years of marriage; with {count}, "
                "{missing} year is still missing.",
                "This route asks for at least {minimum} years of marriage; with {count}, "
                "{missing} years are still missing.",
                missing,
            )
        elif minimum.measure == "marriage":
            line = _(
                "This route asks for at least {minimum} years of marriage: with {count}, "
                "that condition is met. The route's other conditions apply too."
            )
        elif missing > 0:
            line = ngettext(
                "This route asks for at least {minimum} consecutive years of living in China; "
                "with {count}, {missing} year is still missing.",
                "This route asks for at least {minimum} consecutive years of living in China; "
                "with {count}, {missing} years are still missing.",
                missing,
            )
        else:
            line = _(
                "This route asks for at least {minimum} consecutive years of living in China: "
                "with {count}, that condition is met. The route's other conditions apply too."
            )
        lines.append(line.format(**values))
    return lines


def pathway(
    knowledge: KnowledgeBase, pathway_id: str, lengths: Mapping[str, int] | None = None
) -> list[Outbound]:
    """One pathway on a phone screen: what a stated length of time means against it and its
    conditions (its summary when they do not fit); the rest (notes, documents) a tap away.

    Lengths of time the question stated ("married 3 years") are held against the pathway's
    minimums first, saying what is missing.
    """
    found = knowledge.pathway(pathway_id)
    if found is None:
        return []
    held = _held_to(found, lengths or {})
    lines = [*held, *([""] if held else []), _(found.title)]
    footer = sources_footer((found.provenance,))
    conditions = [f"• {_(c)}" for c in found.conditions]
    heading = _("Conditions:")
    shown, hidden = fit_items("\n".join([*lines, heading]), conditions, len(footer) + 2)
    if hidden:  # all or none: a partial list of conditions would mislead
        lines.append(_(found.summary))
    else:  # the conditions say what the summary says, precisely
        lines += [heading, *shown]
    label = _("ℹ️ More details") if not hidden else _("✅ Conditions")
    row = [Button(label, payloads.pathway_details(found.id))]
    if found.documents:
        row.append(Button(_("📄 Documents"), payloads.pathway_documents(found.id)))
    text = with_footer("\n".join(lines), (found.provenance,))
    buttons = (tuple(row), (_all_pathways_button(),), *related("process", "where_to_apply"))
    return [Outbound(text=text, buttons=buttons)]


def pathway_details(context: Context, now: dt.datetime, pathway_id: str) -> list[Outbound]:
    """One pathway in full (`payloads.pathway_details`): conditions, notes and who decides."""
    found = context.knowledge.pathway(pathway_id)
    if found is None:
        return []
    lines = [_(found.title), "", _(found.summary), "", _("Conditions:")]
    lines += [f"• {_(c)}" for c in found.conditions]
    if found.notes:
        lines += ["", _("Good to know:")]
        lines += [f"• {_(n)}" for n in found.notes]
    lines += ["", _authorities_decide()]
    extra = (
        ((Button(_("📄 Documents"), payloads.pathway_documents(found.id)),),)
        if found.documents
        else ()
    )
    return details_reply(
        "\n".join(lines),
        (found.provenance,),
        "eligibility",
        extra,
        back=payloads.pathway(found.id),
    )


def pathway_choice(knowledge: KnowledgeBase, pathway_ids: list[str]) -> Outbound:
    """The pathways a message may describe, as buttons, and the question which one fits."""
    by_id = {p.id: p for p in knowledge.pathways}
    rows: list[tuple[Button, ...]] = [
        (Button(_(by_id[i].short), payloads.pathway(i)),) for i in pathway_ids if i in by_id
    ]
    rows.append((Button(_("🧭 Check my options"), payloads.CHECK),))
    rows.append((_all_pathways_button(),))
    text = _(
        "Your question may concern more than one pathway. Which of these describes you better?"
    )
    return Outbound(text=text, buttons=tuple(rows))


def pathway_list(knowledge: KnowledgeBase, page: int, size: int) -> Outbound:
    """A page of pathway buttons with previous and next."""
    pathways = [p for p in knowledge.pathways if p.id != "general"]
    pages = max((len(pathways) + size - 1) // size, 1)
    page = min(page, pages - 1)
    shown = pathways[page * size : (page + 1) * size]
    rows: list[tuple[Button, ...]] = [(Button(_(p.short), payloads.pathway(p.id)),) for p in shown]
    paging = []
    if page > 0:
        paging.append(Button(_("◀ Previous"), payloads.pathways(page - 1)))
    if page < pages - 1:
        paging.append(Button(_("Next ▶"), payloads.pathways(page + 1)))
    if paging:
        rows.append(tuple(paging))
    rows.append((Button(_("🧭 Check my options"), payloads.CHECK),))
    text = _("Permanent-residence pathways (page {page} of {pages}). Choose one:").format(
        page=page + 1, pages=pages
    )
    return Outbound(text=text, buttons=tuple(rows))


def eligibility_result(
    knowledge: KnowledgeBase, fits: list[str], near: list[CheckRule]
) -> list[Outbound]:
    """The pathways that may fit, each with its conditions; or the closest and its gap."""
    by_id = {p.id: p for p in knowledge.pathways}
    general = by_id.get("general")
    lines: list[str] = []
    provenances = []
    shown = [by_id[f] for f in fits if f in by_id]
    if shown:
        lines.append(_("Pathways that may fit you:"))
        for fit in shown:
            provenances.append(fit.provenance)
            lines.append(f"✅ {_(fit.short)}")
    elif near:
        lines.append(_("No pathway fits your answers exactly. The closest:"))
        for rule in near:
            closest = by_id[rule.pathway]
            provenances.append(closest.provenance)
            lines += ["", f"➖ {_(closest.title)}"]
            if rule.missing:
                lines.append(_("What is missing: {gap}").format(gap=_(rule.missing)))
    else:
        lines.append(_("None of the pathways fits your answers."))
        lines.append(
            _(
                "Some people qualify through an outstanding contribution to China or "
                "a special need of the state; ask 12367 about your case."
            )
        )
    closing = _(
        "Next: open a pathway below for its documents, then confirm with the 12367 "
        "hotline or a service centre. The authorities decide; this check is not a "
        "decision."
    )
    if general is not None:
        provenances.append(general.provenance)
        heading = _("Every applicant must also meet the general conditions:")
        conditions = [f"• {_(c)}" for c in general.conditions]
        room = len(sources_footer(provenances)) + len(closing) + 4
        shown_conditions, hidden = fit_items("\n".join([*lines, "", heading]), conditions, room)
        if not hidden:  # all or none; "Who can apply" below has them too
            lines += ["", heading, *shown_conditions]
    lines += ["", closing]
    text = with_footer("\n".join(lines), provenances)
    targets = shown or [by_id[r.pathway] for r in near]
    rows = tuple((Button("📄 " + _(p.short), payloads.pathway(p.id)),) for p in targets)
    buttons = (*rows, (_all_pathways_button(),), *related("eligibility"))
    return [Outbound(text=text, buttons=buttons)]


def _authorities_decide() -> str:
    return _(
        "The authorities decide each case. Ask 12367 or a service centre "
        "before you prepare documents."
    )


def _all_pathways_button() -> Button:
    return Button(_("📚 All pathways"), payloads.pathways())
