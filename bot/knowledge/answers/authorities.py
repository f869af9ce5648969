"""Who decides, who issues, where a first application is handed in, documents by category."""

from __future__ import annotations

import datetime as dt

from bot.core import payloads
from bot.core.text import N_, _, ngettext
from bot.core.types import Button, Outbound
from bot.knowledge.answers.common import (
    Context,
    colon,
    details_reply,
    fit_items,
    menu_button,
    office_name,
    office_short,
    related,
    short_name,
    short_reply,
    sources_footer,
    with_footer,
)
from bot.knowledge.answers.names import address_text
from bot.knowledge.model import (
    CATEGORIES,
    KnowledgeBase,
    Office,
    Pathway,
    PrAcceptance,
    Service,
)

#: Button labels of the document categories (the pathways name their category in data/).
CATEGORY_LABELS: dict[str, str] = {
    "spouse": N_("💑 Spouse"),
    "work": N_("💼 Work"),
    "investment": N_("💰 Investment"),
    "talent": N_("🎓 Talent"),
    "dependants": N_("👪 Family members"),
}
assert set(CATEGORY_LABELS) == set(CATEGORIES)


def authority(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """Who examines, who decides and who issues the card, in a sentence; the steps behind."""
    knowledge = context.knowledge
    rule = knowledge.rules.get("issuing_authority")
    lines = [_("Who decides and who issues the card:")]
    if rule is not None:
        lines.append(f"• {_(rule.summary or rule.text)}")
    return short_reply(
        "\n".join(lines),
        [rule.provenance] if rule else [],
        "authority",
        "where_to_apply",
        "processing_time",
    )


def authority_details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
    """The steps in which the application is handed in, decided and the card issued."""
    if section != "more":
        return []
    knowledge = context.knowledge
    used = [s for i in ("submit", "approval", "issue") if (s := knowledge.step(i)) is not None]
    rule = knowledge.rules.get("issuing_authority")
    lines = [_("Who decides and who issues the card:"), ""]
    lines += [f"• {_(step.text)}" for step in used]
    if rule is not None:
        lines.append(f"• {_(rule.text)}")
    provenances = [s.provenance for s in used] + ([rule.provenance] if rule else [])
    return details_reply("\n".join(lines), provenances, "authority")


def _first_application_offices(knowledge: KnowledgeBase) -> list[Office]:
    return [o for o in knowledge.offices if Service.FIRST_APPLICATION in o.services]


def where_to_apply(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The offices that accept a first application, each a button to its card."""
    knowledge = context.knowledge
    offices = _first_application_offices(knowledge)
    lines = [_("Where to hand in a first application for permanent residence:")]
    for office in offices:
        line = f"• {short_name(office)}"
        if office.pr_applications is PrAcceptance.RESTRICTED:
            line += colon() + _("only in some cases (see the details)")
        lines.append(line)
    submit = knowledge.step("submit")
    if submit is not None:
        lines.append(_(submit.summary or submit.text))
    provenances = [o.provenance for o in offices] + ([submit.provenance] if submit else [])
    rows = tuple(
        (Button("📍 " + office_short(o), payloads.office(o.id)),)
        for o in offices
        if o.address.en or o.address.zh
    )
    return short_reply(
        "\n".join(lines), provenances, "where_to_apply", "documents", "hours", extra=rows
    )


def where_to_apply_details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
    """The first-application offices with their addresses and limits, and the submit step."""
    if section != "more":
        return []
    knowledge = context.knowledge
    offices = _first_application_offices(knowledge)
    submit = knowledge.step("submit")
    lines = [_("Where to hand in a first application for permanent residence:"), ""]
    for office in offices:
        where = address_text(office) or _("address not published")
        lines.append(f"• {office_name(office)}{colon()}{where}")
        if office.pr_applications is PrAcceptance.RESTRICTED:
            lines += [f"  {_(note)}" for note in office.notes[:1]]
    lines.append("")
    lines.append(
        _(
            "Renewals and replacements are handled at more halls; documents are handed in "
            "in person, together with the application."
        )
    )
    if submit is not None:
        lines += ["", _(submit.text)]
    provenances = [o.provenance for o in offices] + ([submit.provenance] if submit else [])
    return details_reply("\n".join(lines), provenances, "where_to_apply")


def category_buttons() -> tuple[tuple[Button, ...], ...]:
    """One button per document category, two to a row."""
    buttons = [
        Button(_(label), payloads.document_category(code))
        for code, label in CATEGORY_LABELS.items()
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def documents_of(knowledge: KnowledgeBase, pathway_id: str) -> list[Outbound]:
    """One pathway's documents, with the way to its full conditions."""
    found = knowledge.pathway(pathway_id)
    if found is None:
        return []
    return [_documents_message(found)]


def _documents_message(pathway: Pathway) -> Outbound:
    """A pathway's documents on a phone screen: as many as fit, and the full list one tap
    away when some do not."""
    heading = _("Documents for: {pathway}").format(pathway=_(pathway.title))
    items = [f"• {_(d)}" for d in pathway.documents]
    common = _("The documents every application needs are listed under “Documents”.")
    footer = sources_footer((pathway.provenance,))
    rest = len(_more_documents(len(items))) + 1
    shown, hidden = fit_items(heading, items, len(footer) + len(common) + rest + 3)
    lines = [heading, *shown]
    if hidden:
        lines.append(_more_documents(hidden))
    lines.append(common)
    first: tuple[Button, ...] = (Button(_("✅ Conditions"), payloads.pathway(pathway.id)),)
    if hidden:
        first = (
            Button(_("📄 All documents"), payloads.pathway_documents_details(pathway.id)),
            *first,
        )
    text = with_footer("\n".join(lines), (pathway.provenance,))
    return Outbound(text=text, buttons=(first, *related("documents", "where_to_apply")))


def _more_documents(count: int) -> str:
    return ngettext(
        "…and {count} more document: tap “All documents”.",
        "…and {count} more documents: tap “All documents”.",
        count,
    ).format(count=count)


def documents_details(context: Context, now: dt.datetime, pathway_id: str) -> list[Outbound]:
    """Every document of one pathway (`payloads.pathway_documents_details`)."""
    found = context.knowledge.pathway(pathway_id)
    if found is None or not found.documents:
        return []
    lines = [_("Documents for: {pathway}").format(pathway=_(found.title)), ""]
    lines += [f"• {_(d)}" for d in found.documents]
    lines += ["", _("The documents every application needs are listed under “Documents”.")]
    extra = ((Button(_("✅ Conditions"), payloads.pathway(found.id)),),)
    return details_reply(
        "\n".join(lines),
        (found.provenance,),
        "documents",
        extra,
        back=payloads.pathway_documents(found.id),
    )


def category(knowledge: KnowledgeBase, code: str) -> list[Outbound]:
    """The documents of a category: at once if it has one pathway, else its pathways to pick."""
    pathways = [p for p in knowledge.pathways if p.category == code and p.documents]
    if not pathways:
        return []
    if len(pathways) == 1:
        return [_documents_message(pathways[0])]
    label = _(CATEGORY_LABELS[code])
    text = _("{category}: which pathway is yours?").format(category=label)
    rows = tuple((Button(_(p.short), payloads.pathway_documents(p.id)),) for p in pathways)
    return [Outbound(text=text, buttons=(*rows, (menu_button(),)))]
