"""The conversation, declared as one state table, and the small steps it runs."""

from __future__ import annotations

from enum import StrEnum

from bot.core.engine import (
    AnyButton,
    AnyCommand,
    AnyText,
    ButtonPress,
    Command,
    Dialogue,
    Reply,
    Route,
    Turn,
    Unsupported,
)
from bot.core.text import N_, _, use_translator
from bot.core.types import BotCommand, Button, Outbound


class State(StrEnum):
    """Where a conversation is. Stored as text, so values never change meaning."""

    MAIN = "main"


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


TOPIC_LABELS: dict[Topic, str] = {
    Topic.FEES: N_("💰 Fees"),
    Topic.HOURS: N_("🕘 Opening hours"),
    Topic.OPEN_NOW: N_("🟢 Open now?"),
    Topic.ADDRESS: N_("📍 Offices and addresses"),
    Topic.ELIGIBILITY: N_("✅ Who can apply"),
    Topic.RENEWAL: N_("🔄 Renewal"),
    Topic.CHANGE: N_("✏️ Change of card details"),
    Topic.LOSS: N_("🆘 Lost or damaged card"),
    Topic.PROCESS: N_("📝 How to apply"),
    Topic.COLLECTION: N_("📦 Collecting the card"),
    Topic.DOCUMENTS: N_("📄 Documents and photos"),
    Topic.PROCESSING_TIME: N_("⏳ Processing time"),
    Topic.CONTACT: N_("☎️ Hotline and contacts"),
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

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "zh": "简体中文",
    "ru": "Русский",
    "ko": "한국어",
    "ja": "日本語",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "ar": "العربية",
}


def bot_commands() -> list[BotCommand]:
    """The command menu of the client, in the current language."""
    return [
        BotCommand("start", _("Start over and show the main menu")),
        BotCommand("fees", _("Fees for application, card, renewal and replacement")),
        BotCommand("hours", _("Opening hours of the service centres")),
        BotCommand("open", _("Is a service centre open now?")),
        BotCommand("address", _("Addresses of the exit-entry service centres")),
        BotCommand("eligibility", _("Who can get permanent residence")),
        BotCommand("renewal", _("Renewing the card before it expires")),
        BotCommand("change", _("Changing details on the card")),
        BotCommand("lost", _("Lost or damaged card")),
        BotCommand("process", _("How to apply, step by step")),
        BotCommand("documents", _("Documents, photos and certificates")),
        BotCommand("contact", _("Hotline 12367 and official channels")),
        BotCommand("language", _("Change the language")),
        BotCommand("help", _("What this bot can do")),
        BotCommand("cancel", _("Stop what you are doing")),
    ]


def main_menu() -> tuple[tuple[Button, ...], ...]:
    """The main menu as rows of buttons."""
    rows = [
        tuple(Button(_(TOPIC_LABELS[topic]), f"t:{topic.value}") for topic in row)
        for row in MENU_LAYOUT
    ]
    rows.append((Button(_("🌐 Language"), "lang"),))
    return tuple(rows)


def menu_message(text: str) -> Outbound:
    """A message carrying the main menu."""
    return Outbound(text=text, buttons=main_menu())


def disclaimer() -> str:
    """The line every greeting carries: information, not legal advice."""
    return _(
        "I give information from official sources, not legal advice. For your own case, call "
        "the immigration hotline 12367 or ask at a service centre."
    )


async def start(turn: Turn) -> Reply:
    """Greet, explain what the bot does and show the main menu; forget any half-done wizard."""
    turn.conversation.data.clear()
    text = _(
        "Hello! I answer questions about the Beijing Foreign Permanent Resident ID Card: who "
        "can apply, fees, offices and opening hours, renewal, changes and lost cards."
    )
    text += "\n\n" + _("Choose a topic or just ask me in your own words.")
    text += "\n\n" + disclaimer()
    return Reply((menu_message(text),))


async def show_help(turn: Turn) -> Reply:
    """List the commands and how to ask, keeping the conversation where it is."""
    lines = [_("You can ask me in your own words, for example:")]
    lines += [
        "• " + _("How much is the application fee?"),
        "• " + _("When does the office open?"),
        "• " + _("I lost my card, what should I do?"),
        "",
        _("Or use a command:"),
    ]
    lines += [f"/{c.command}: {c.description}" for c in bot_commands()]
    lines += ["", disclaimer()]
    return Reply((menu_message("\n".join(lines)),))


async def show_menu(turn: Turn) -> Reply:
    """Show the main menu."""
    return Reply((menu_message(_("What would you like to know?")),))


async def cancel(turn: Turn) -> Reply:
    """Drop whatever was in progress and go back to the main menu."""
    turn.conversation.data.clear()
    return Reply((menu_message(_("OK, cancelled. What would you like to know?")),))


async def ask_language(turn: Turn) -> Reply:
    """Offer every language the bot speaks, each named in itself."""
    buttons = [
        Button(LANGUAGE_NAMES.get(code, code), f"lang:{code}") for code in turn.services.languages
    ]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return Reply((Outbound(text=_("Choose your language:"), buttons=rows),))


async def set_language(turn: Turn) -> Reply:
    """Save the chosen language and answer in it from now on."""
    code = turn.argument
    if not code:
        return await ask_language(turn)
    if code not in turn.services.languages:
        return await stale_button(turn)
    turn.conversation.language = code
    with use_translator(turn.services.translators[code]):
        # Translators: say the name of your own language here.
        return Reply((menu_message(_("Done: I will answer in English from now on.")),))


async def answer_topic(turn: Turn) -> Reply:
    """Answer a topic chosen by command or button."""
    command = turn.inbound.command
    name = TOPIC_COMMANDS[command[0]].value if command else turn.argument
    try:
        topic = Topic(name)
    except ValueError:
        return await stale_button(turn)
    return Reply(tuple(turn.services.answers.topic(topic.value, turn.now)))


async def answer_free_text(turn: Turn) -> Reply:
    """Place a question in a topic; if unsure, apologise and offer the best guesses."""
    match = turn.services.matcher.match(turn.argument)
    if match.intent is not None:
        return await answer_intent(turn, match.intent)
    guesses = [g for g in match.guesses() if g in _INTENT_LABELS]
    text = _("Sorry, I am not sure what you mean.")
    messages = []
    if guesses:
        text += " " + _("Did you mean:")
        rows = tuple((Button(_(_INTENT_LABELS[g]), _intent_payload(g)),) for g in guesses)
        messages.append(Outbound(text=text, buttons=rows))
        messages.append(menu_message(_("Or choose a topic:")))
    else:
        messages.append(menu_message(text + " " + _("Please choose a topic:")))
    return Reply(tuple(messages))


_INTENT_LABELS: dict[str, str] = {
    **{topic.value: label for topic, label in TOPIC_LABELS.items()},
    "language": N_("🌐 Language"),
    "help": N_("❓ Help"),
}


def _intent_payload(intent: str) -> str:
    if intent == "language":
        return "lang"
    if intent == "help":
        return "help"
    return f"t:{intent}"


async def answer_intent(turn: Turn, intent: str) -> Reply:
    """Answer a recognised intent."""
    if intent == "language":
        return await ask_language(turn)
    if intent == "help":
        return await show_help(turn)
    try:
        topic = Topic(intent)
    except ValueError:
        return await show_help(turn)
    return Reply(tuple(turn.services.answers.topic(topic.value, turn.now)))


async def unknown_command(turn: Turn) -> Reply:
    """Say the command is unknown and show the menu."""
    return Reply((menu_message(_("I don't know that command. Here is what I can do:")),))


async def stale_button(turn: Turn) -> Reply:
    """A button the bot does not know (old or forged): say so and show the menu."""
    return Reply((menu_message(_("That button is no longer valid. Please choose again:")),))


async def unsupported_message(turn: Turn) -> Reply:
    """Photos, stickers and the like: say the bot reads text only."""
    return Reply((menu_message(_("I can only read text messages. Please type your question:")),))


def build_dialogue() -> Dialogue:
    """The whole conversation as one table."""
    global_routes = (
        Route(Command("start"), start, State.MAIN),
        Route(Command("menu"), show_menu, State.MAIN),
        Route(Command("help"), show_help),
        Route(ButtonPress("help"), show_help),
        Route(Command("cancel"), cancel, State.MAIN),
        Route(Command("language"), ask_language),
        Route(ButtonPress("lang"), set_language),
        Route(ButtonPress("menu"), show_menu, State.MAIN),
        *(Route(Command(name), answer_topic, State.MAIN) for name in TOPIC_COMMANDS),
        Route(ButtonPress("t"), answer_topic, State.MAIN),
    )
    states = {
        State.MAIN.value: (Route(AnyText(), answer_free_text),),
    }
    fallback_routes = (
        Route(AnyCommand(), unknown_command),
        Route(AnyButton(), stale_button),
        Route(Unsupported(), unsupported_message),
        Route(AnyText(), answer_free_text, State.MAIN),
    )
    return Dialogue(State.MAIN.value, global_routes, states, fallback_routes)
