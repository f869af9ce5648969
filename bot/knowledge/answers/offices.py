"""Places and contacts: an office's card, the list of offices, the addresses topic, contacts."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from bot.core.text import _
from bot.core.types import Button, Outbound, Venue
from bot.knowledge.answers.common import Context, colon, office_name, related, stop, with_footer
from bot.knowledge.answers.names import address_text, name_lines, taxi_address
from bot.knowledge.answers.opening import describe_schedule, status_line
from bot.knowledge.model import KnowledgeBase, Office, PrAcceptance, Service
from bot.knowledge.query import offices_named

MAP_SEARCH = "https://uri.amap.com/search?keyword={query}&city=010"


def office_card(context: Context, office: Office, now: dt.datetime) -> list[Outbound]:
    """One office: names, the Chinese address for a taxi, hours, phone, map."""
    lines = [office_name(office), *name_lines(office)]
    shown = address_text(office)
    if shown:
        lines.append(_("Address: {address}").format(address=shown))
    taxi = taxi_address(office, shown)
    if taxi:
        lines.append(_("For the taxi driver: {address}").format(address=taxi))
    if shown is None:
        lines.append(_("The address is not published. Call 12367 before you go."))
    if office.subway:
        lines.append(_("Subway: {directions}").format(directions=_(office.subway)))
    if office.schedule_id is not None:
        lines.append(
            _("Hours: {hours}").format(
                hours=describe_schedule(context.knowledge.schedules[office.schedule_id])
            )
        )
        lines.append(status_line(context, office, now))
    if office.phones:
        lines.append(_("Phone: {phones}").format(phones=", ".join(office.phones)))
    lines.append(_pr_line(office))
    lines += [_(note) for note in office.notes]
    text = with_footer("\n".join(lines), (office.provenance,))
    messages = []
    buttons: tuple[tuple[Button, ...], ...] = ()
    query = office.address.zh or office.address.en
    if office.coordinates is None and query:
        buttons = ((Button(_("🗺 Open in map"), url=MAP_SEARCH.format(query=quote(query))),),)
    messages.append(Outbound(text=text, buttons=buttons))
    if office.coordinates is not None:
        messages.append(
            Outbound(
                venue=Venue(
                    office.coordinates.latitude,
                    office.coordinates.longitude,
                    office.name.zh or office.name.en or "",
                    office.address.zh or office.address.en or "",
                )
            )
        )
    return messages


def address(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The offices a question names, or the main office's card and the list of the others."""
    knowledge = context.knowledge
    named = offices_named(query, knowledge.offices)
    if named:
        return [m for office in named for m in office_card(context, office, now)]
    main = knowledge.main_office
    messages = office_card(context, main, now)
    messages.append(office_list(knowledge, None))
    return messages


def office_list(knowledge: KnowledgeBase, service: str | None) -> Outbound:
    """The other offices (or only those offering a service), each a button to its card."""
    try:
        wanted = Service(service) if service else None
    except ValueError:
        wanted = None
    main = knowledge.main_office
    if wanted is Service.FIRST_APPLICATION:
        offices = [o for o in knowledge.offices if wanted in o.services]
        lines = [_("Offices that take first applications for permanent residence:")]
    else:
        offices = [o for o in knowledge.offices if o is not main]
        lines = [_("Other exit-entry service centres:")]
    for office in offices:
        where = address_text(office) or _("address not published")
        lines.append(f"• {office_name(office)}{colon()}{where}{stop()}{_pr_line(office)}")
    lines.append("")
    lines.append(
        _(
            "Send /address again at any time; for an office without a published "
            "address, call 12367."
        )
    )
    text = with_footer("\n".join(lines), (o.provenance for o in offices))
    rows: list[tuple[Button, ...]] = [
        (Button("📍 " + office_name(o), f"oc:{o.id}"),)
        for o in offices
        if o.address.en or o.address.zh
    ]
    if wanted is Service.FIRST_APPLICATION:
        rows.append((Button(_("📋 All offices"), "of:"),))
    else:
        rows.append(
            (Button(_("🎯 Only offices taking first applications"), "of:first_application"),)
        )
    return Outbound(text=text, buttons=(*rows, *related("hours", "open_now")))


def office(context: Context, office_id: str, now: dt.datetime) -> list[Outbound]:
    """One office's card; empty if there is no such office."""
    found = next((o for o in context.knowledge.offices if o.id == office_id), None)
    return office_card(context, found, now) if found is not None else []


def contact(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The hotline, phone, official account and websites, each with what it is for."""
    contacts = context.knowledge.contacts.values()
    lines = [_("Official contacts:"), ""]
    for item in contacts:
        lines.append(f"• {_(item.title)}{colon()}{item.value}")
        lines.append(f"  {_(item.text)}")
    text = with_footer("\n".join(lines), (c.provenance for c in contacts))
    return [Outbound(text=text, buttons=related("address", "hours"))]


def _pr_line(office: Office) -> str:
    if office.pr_applications is PrAcceptance.YES:
        return _("Takes first applications for permanent residence.")
    if office.pr_applications is PrAcceptance.RESTRICTED:
        return _("Takes permanent-residence applications only in some cases (see notes).")
    return _("Whether it takes permanent-residence applications is not published.")
