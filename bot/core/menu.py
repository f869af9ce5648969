"""The main menu: topics, their labels and the keyboard every answer can lead back to."""

from __future__ import annotations

from enum import StrEnum

from bot.core import payloads
from bot.core.languages import NATIVE_NAMES
from bot.core.text import N_, _
from bot.core.types import Button, Outbound


class Topic(StrEnum):
    """A factual topic the knowledge base answers."""

    FEES = "fees"
    HOURS = "hours"
    OPEN_NOW = "open_now"
    ADDRESS = "address"
    ELIGIBILITY = "eligibility"
    RENEWAL = "renewal"
    CHANGE = "change"
    LOSS = "loss"
    PROCESS = "process"
    COLLECTION = "collection"
    DOCUMENTS = "documents"
    PROCESSING_TIME = "processing_time"
    CONTACT = "contact"
    AUTHORITY = "authority"
    WHERE_TO_APPLY = "where_to_apply"
    STATUS = "status"


TOPIC_LABELS: dict[Topic, str] = {
    Topic.FEES: N_("💰 Fees"),
    Topic.HOURS: N_("🕘 Opening hours"),
    Topic.OPEN_NOW: N_("🟢 Open now?"),
    Topic.ADDRESS: N_("📍 Offices and addresses"),
    Topic.ELIGIBILITY: N_("✅ Who can apply"),
    Topic.RENEWAL: N_("🔄 Renewal"),
    Topic.CHANGE: N_("✏️ Changes to the card"),
    Topic.LOSS: N_("🆘 Lost or damaged card"),
    Topic.PROCESS: N_("📝 How to apply"),
    Topic.COLLECTION: N_("📦 Collecting the card"),
    Topic.DOCUMENTS: N_("📄 Documents and photos"),
    Topic.PROCESSING_TIME: N_("⏳ Processing time"),
    Topic.CONTACT: N_("☎️ Hotline and contacts"),
    Topic.AUTHORITY: N_("🏛 Who decides"),
    Topic.WHERE_TO_APPLY: N_("📥 Where to apply"),
    Topic.STATUS: N_("🪪 Card and status"),
}

MENU_LAYOUT: tuple[tuple[Topic, ...], ...] = (
    (Topic.FEES, Topic.HOURS),
    (Topic.ADDRESS, Topic.OPEN_NOW),
    (Topic.ELIGIBILITY, Topic.PROCESS),
    (Topic.RENEWAL, Topic.CHANGE),
    (Topic.LOSS, Topic.COLLECTION),
    (Topic.DOCUMENTS, Topic.PROCESSING_TIME),
    (Topic.CONTACT,),
)

# Commands that open a topic directly; the names are part of the bot's public interface.
TOPIC_COMMANDS: dict[str, Topic] = {
    "fees": Topic.FEES,
    "hours": Topic.HOURS,
    "open": Topic.OPEN_NOW,
    "address": Topic.ADDRESS,
    "eligibility": Topic.ELIGIBILITY,
    "renewal": Topic.RENEWAL,
    "change": Topic.CHANGE,
    "lost": Topic.LOSS,
    "process": Topic.PROCESS,
    "collection": Topic.COLLECTION,
    "documents": Topic.DOCUMENTS,
    "contact": Topic.CONTACT,
}

LANGUAGE_NAMES = NATIVE_NAMES


def main_menu() -> tuple[tuple[Button, ...], ...]:
    """The main menu as rows of buttons."""
    rows = [
        tuple(Button(_(TOPIC_LABELS[topic]), payloads.topic(topic.value)) for topic in row)
        for row in MENU_LAYOUT
    ]
    rows.append(
        (
            Button(_("⏰ Renewal reminders"), payloads.remind()),
            Button(_("🌐 Language"), payloads.language()),
        )
    )
    return tuple(rows)


def menu_message(text: str) -> Outbound:
    """A message carrying the main menu (the greeting, /menu and the menu button)."""
    return Outbound(text=text, buttons=main_menu())


def menu_button() -> Button:
    """The one button that opens the main menu."""
    return Button(_("☰ Main menu"), payloads.MENU)


def compact_menu(text: str, *rows: tuple[Button, ...]) -> Outbound:
    """A message with a few buttons (guesses, if any) and the one that opens the menu.

    Said after a fallback, a cancel or a language change: the whole menu would fill a
    phone's screen with buttons the user did not ask for.
    """
    return Outbound(text=text, buttons=(*rows, (menu_button(),)))


def disclaimer() -> str:
    """The line every greeting carries: information, not legal advice."""
    return _(
        "I give information from official sources, not legal advice. For your own case, call "
        "the immigration hotline 12367 or ask at a service centre."
    )
