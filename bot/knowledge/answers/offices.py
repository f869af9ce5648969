"""Places and contacts: an office's card, the list of offices, the addresses topic, contacts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import quote

from bot.core import payloads
from bot.core.text import _, current
from bot.core.types import Button, Outbound, Venue
from bot.knowledge.answers.common import (
    Context,
    colon,
    details_reply,
    office_name,
    office_short,
    related,
    short_name,
    short_reply,
    stop,
    with_footer,
)
from bot.knowledge.answers.names import address_text, brief_pinyin, name_lines, taxi_address
from bot.knowledge.answers.opening import calendar_caveat, office_status, schedule_lines
from bot.knowledge.model import KnowledgeBase, Office, PrAcceptance, Service
from bot.knowledge.query import offices_named

MAP_SEARCH = "https://uri.amap.com/search?keyword={query}&city=010"


def office_card(context: Context, office: Office, now: dt.datetime) -> list[Outbound]:
    """One office in short: its names in the reader's language, the address, the Chinese
    address for a taxi, open or not, a map."""
    lines = ["📍 " + short_name(office), *name_lines(office, pinyin=brief_pinyin())]
    shown = address_text(office, pinyin=brief_pinyin())
    # English readers get the Chinese for the taxi first; the English address is in the details.
    if shown and not (current().language == "en" and office.address.zh):
        lines.append(_("Address: {address}").format(address=shown))
    taxi = taxi_address(office, shown)
    if taxi:
        lines.append("🚕 " + _("For the taxi driver: {address}").format(address=taxi))
    if shown is None:
        lines.append(_("The address is not published. Call 12367 before you go."))
    status, known = office_status(context, office, now)
    lines.append("🕘 " + status)
    if not known:
        lines.append(calendar_caveat())
    text = with_footer("\n".join(lines), (office.provenance,))
    rows: list[tuple[Button, ...]] = []
    map_button = _map_button(office)
    if map_button is not None:
        rows.append((map_button,))
    rows.append(
        (
            Button(_("ℹ️ More details"), payloads.office_details(office.id)),
            Button(_("🏢 All offices"), payloads.offices()),
        )
    )
    messages = [Outbound(text=text, buttons=tuple(rows))]
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


def office_details(context: Context, now: dt.datetime, office_id: str) -> list[Outbound]:
    """The rest of an office's card: full name, address, subway, hours, phones, what it takes,
    notes."""
    office = next((o for o in context.knowledge.offices if o.id == office_id), None)
    if office is None:
        return []
    if current().language == "en":  # the official English name and address, then the Chinese
        lines = [office.name.en or office_name(office), *name_lines(office)]
        shown = office.address.en
    else:  # names and address in the reader's language, else Chinese with pinyin
        lines = [office_name(office), *name_lines(office)]
        shown = address_text(office)
    if shown:
        lines.append(_("Address: {address}").format(address=shown))
    taxi = taxi_address(office, shown)
    if taxi:
        lines.append(_("For the taxi driver: {address}").format(address=taxi))
    if office.subway:
        lines.append(_("Subway: {directions}").format(directions=_(office.subway)))
    if office.schedule_id is not None:
        lines += schedule_lines(context.knowledge.schedules[office.schedule_id])
    if office.phones:
        lines.append(_("Phone: {phones}").format(phones=", ".join(office.phones)))
    lines.append(_pr_line(office))
    lines += [f"• {_(note)}" for note in office.notes]
    map_button = _map_button(office)
    extra = ((map_button,),) if map_button is not None else ()
    return details_reply(
        "\n".join(lines), (office.provenance,), "address", extra, back=payloads.office(office.id)
    )


def _map_button(office: Office) -> Button | None:
    query = office.address.zh or office.address.en
    if office.coordinates is not None or not query:
        return None
    return Button(_("🗺 Open in map"), url=MAP_SEARCH.format(query=quote(query)))


def address(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The offices a question names, or the main office's card (the others one tap away)."""
    knowledge = context.knowledge
    named = offices_named(query, knowledge.offices)
    if named:
        return [m for office in named for m in office_card(context, office, now)]
    return office_card(context, knowledge.main_office, now)


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
        lines.append(f"• {short_name(office)}{colon()}{where}{stop()}{_pr_line(office)}")
    lines.append("")
    lines.append(
        _(
            "Send /address again at any time; for an office without a published "
            "address, call 12367."
        )
    )
    text = with_footer("\n".join(lines), (o.provenance for o in offices), full=True)
    rows: list[tuple[Button, ...]] = [
        (Button("📍 " + office_short(o), payloads.office(o.id)),)
        for o in offices
        if o.address.en or o.address.zh
    ]
    if wanted is Service.FIRST_APPLICATION:
        rows.append((Button(_("📋 All offices"), payloads.offices()),))
    else:
        rows.append(
            (Button(_("🎯 First applications"), payloads.offices(Service.FIRST_APPLICATION)),)
        )
    return Outbound(text=text, buttons=(*rows, *related("hours", "open_now")), edit=True)


def office(context: Context, office_id: str, now: dt.datetime) -> list[Outbound]:
    """One office's card; empty if there is no such office."""
    found = next((o for o in context.knowledge.offices if o.id == office_id), None)
    if found is None:
        return []
    first, *rest = office_card(context, found, now)
    return [dataclasses.replace(first, edit=True), *rest]


def contact(context: Context, now: dt.datetime, query: str) -> list[Outbound]:
    """The hotline first, then each official channel in a line; what each is for one tap away."""
    contacts = list(context.knowledge.contacts.values())
    lines = [_("Official contacts:")]
    lines += [f"• {_(item.title)}{colon()}{item.value}" for item in contacts]
    return short_reply(
        "\n".join(lines), (c.provenance for c in contacts[:1]), "contact", "address", "hours"
    )


def contact_details(context: Context, now: dt.datetime, section: str) -> list[Outbound]:
    """Each official contact with what it is for."""
    if section != "more":
        return []
    contacts = context.knowledge.contacts.values()
    lines = [_("Official contacts:"), ""]
    for item in contacts:
        lines.append(f"• {_(item.title)}{colon()}{item.value}")
        lines.append(f"  {_(item.text)}")
    return details_reply("\n".join(lines), (c.provenance for c in contacts), "contact")


def _pr_line(office: Office) -> str:
    if office.pr_applications is PrAcceptance.YES:
        return _("Takes first applications for permanent residence.")
    if office.pr_applications is PrAcceptance.RESTRICTED:
        return _("Takes permanent-residence applications only in some cases (see notes).")
    return _("Whether it takes permanent-residence applications is not published.")
