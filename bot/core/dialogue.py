"""The conversation, declared as one state table, and the small steps it runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum

from bot.core import eligibility, payloads, remind
from bot.core.dates import Unreadable, parse_date
from bot.core.engine import (
    AnyButton,
    AnyCommand,
    AnyText,
    ButtonPress,
    Command,
    Dialogue,
    Reply,
    Route,
    Step,
    Turn,
    Unsupported,
    private_only,
)
from bot.core.intents import Match, Matcher, detect_script_language
from bot.core.languages import BEIJING
from bot.core.menu import (
    LANGUAGE_NAMES,
    TOPIC_COMMANDS,
    TOPIC_LABELS,
    Topic,
    compact_menu,
    disclaimer,
    menu_message,
)
from bot.core.privacy import redact
from bot.core.text import N_, Translator, _, current, use_translator
from bot.core.types import BotCommand, Button, Outbound


class State(StrEnum):
    """Where a conversation is. Stored as text, so values never change meaning."""

    MAIN = "main"


def bot_commands() -> list[BotCommand]:
    """The command menu of the client, in the current language."""
    return [
        BotCommand("start", _("Start over and show the main menu")),
        BotCommand("fees", _("Fees for application, card, renewal and replacement")),
        BotCommand("hours", _("Opening hours of the service centres")),
        BotCommand("open", _("Is a service centre open now?")),
        BotCommand("address", _("Addresses of the exit-entry service centres")),
        BotCommand("eligibility", _("Who can get permanent residence")),
        BotCommand("check", _("A few questions: which pathways may fit you")),
        BotCommand("pathways", _("All permanent-residence pathways, one by one")),
        BotCommand("renewal", _("Renewing the card before it expires")),
        BotCommand("change", _("Changing details on the card")),
        BotCommand("lost", _("Lost or damaged card")),
        BotCommand("process", _("How to apply, step by step")),
        BotCommand("documents", _("Documents, photos and certificates")),
        BotCommand("contact", _("Hotline 12367 and official channels")),
        BotCommand("remind", _("Get reminded before your card must be renewed")),
        BotCommand("reminders", _("Your reminders, and stopping them")),
        BotCommand("mydata", _("What the bot stores about you")),
        BotCommand("deletemydata", _("Delete everything the bot stores about you")),
        BotCommand("language", _("Change the language")),
        BotCommand("help", _("What this bot can do")),
        BotCommand("cancel", _("Stop what you are doing")),
    ]


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
    return Reply((compact_menu(_("OK, cancelled. What would you like to know?")),))


async def ask_language(turn: Turn) -> Reply:
    """Offer every language the bot speaks, each named in itself."""
    buttons = [
        Button(LANGUAGE_NAMES.get(code, code), payloads.language(code))
        for code in turn.services.languages
    ]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return Reply((Outbound(text=_("Choose your language:"), buttons=rows),))


async def set_language(turn: Turn) -> Reply:
    """Save the chosen language and answer in it from now on."""
    if not turn.argument:
        return await ask_language(turn)
    code = payloads.read_name(turn.argument)
    if code is None or code not in turn.services.languages:
        return await stale_button(turn)
    turn.conversation.language = code
    with use_translator(turn.services.translators[code]):
        # Translators: say the name of your own language here.
        return Reply((compact_menu(_("Done: I will answer in English from now on.")),))


async def answer_topic(turn: Turn) -> Reply:
    """Answer a topic chosen by command (`/open saturday` passes "saturday") or button."""
    command = turn.inbound.command
    name = TOPIC_COMMANDS[command[0]].value if command else payloads.read_name(turn.argument) or ""
    query = turn.argument if command else ""
    try:
        topic = Topic(name)
    except ValueError:
        return await stale_button(turn)
    return await answer(turn, topic, query)


async def answer(turn: Turn, topic: Topic, query: str = "") -> Reply:
    """A factual answer with a "was this helpful?" pair of buttons; the topic is counted."""
    messages = turn.services.answers.topic(topic.value, turn.now, query)
    await turn.services.store.count_topic(topic.value)
    last = messages[-1]
    rating = (
        Button(_("👍 Helpful"), payloads.feedback(topic.value, True)),
        Button(_("👎 Not helpful"), payloads.feedback(topic.value, False)),
    )
    rated = dataclasses.replace(last, buttons=(*last.buttons, rating))
    return Reply((*messages[:-1], rated))


async def show_details(turn: Turn) -> Reply:
    """One section of a topic's details, from a button under its short answer."""
    asked = payloads.read_details(turn.argument)
    messages = turn.services.answers.details(*asked, turn.now) if asked else []
    return Reply(tuple(messages)) if messages else await stale_button(turn)


async def show_office(turn: Turn) -> Reply:
    """One office's card, from the office list."""
    office_id = payloads.read_name(turn.argument)
    messages = turn.services.answers.office(office_id, turn.now) if office_id else []
    return Reply(tuple(messages)) if messages else await stale_button(turn)


async def show_counter(turn: Turn) -> Reply:
    """The Chinese text to show at the counter, with the dates the chat's own reminders know."""
    inbound = turn.inbound
    dates: dict[str, dt.date] = {}
    for sub in await turn.services.store.subscriptions(inbound.channel, inbound.chat_id):
        if sub.label == "self":  # the user's own card; the newest date of each kind wins
            dates[sub.event_kind] = max(sub.event_date, dates.get(sub.event_kind, sub.event_date))
    kind = payloads.read_name(turn.argument)
    messages = turn.services.answers.counter(kind, dates) if kind else []
    return Reply(tuple(messages)) if messages else await stale_button(turn)


async def filter_offices(turn: Turn) -> Reply:
    """The office list, filtered by what the user needs (or all of them)."""
    return Reply((turn.services.answers.office_list(payloads.read_name(turn.argument)),))


async def record_feedback(turn: Turn) -> Reply:
    """Store a rating (the chat and the topic only) and thank the user."""
    rating = payloads.read_feedback(turn.argument)
    if rating is None or rating[0] not in {t.value for t in Topic}:
        return await stale_button(turn)
    topic_name, helpful = rating
    inbound = turn.inbound
    await turn.services.store.record_feedback(
        inbound.channel, inbound.chat_id, topic_name, helpful, turn.now
    )
    if helpful:
        text = _("Thank you for the feedback!")
    else:
        text = _(
            "Thank you. I will pass this on so the answer can be improved. For your own case, "
            "the immigration hotline 12367 can help."
        )
    return Reply((Outbound(text=text),))


async def answer_free_text(turn: Turn) -> Reply:
    """Place a question in a topic; if unsure, apologise and offer the best guesses.

    A question about something the bot does not cover (a visa, a work permit, the weather)
    gets a plain "outside what I know", where to ask when the data names it, and no
    permanent-residence answer (so does an unplaced question naming another matter, with the
    card topics it might be about as buttons); a described situation the pathway matcher
    recognises ("my husband is Chinese") is an eligibility question even when the intent
    matcher is unsure.
    A typed "cancel", "back" or "no" alone (nothing in progress, nothing asked) brings the
    menu; a thanks or an acknowledgement alone ("ok", "谢谢") gets a "you're welcome" and the
    topics; a "yes" alone with nothing asked (the engine turns one that answers a question
    into its button) is not a topic: the bot says it is not sure what is meant; a word that
    asks but names no topic ("why", or "details" that the engine did not turn into the last
    answer's "More details") gets how to ask.
    """
    word = turn.services.control(turn.argument)
    if word == "thanks":
        return _welcome(turn)
    if word in ("vague", "more"):  # "why", or "details" with nothing answered: how to ask,
        # in the word's script's language
        with use_translator(_in_language_of(turn, detect_script_language(turn.argument))):
            return await show_help(turn)
    if word == "yes":
        return _not_sure([])
    if word is not None:
        return await (cancel if word == "cancel" else show_menu)(turn)
    named = turn.services.matcher.subject_alone(turn.argument)
    if named:
        # "永居证" alone: what about it? The topics, in the word's language when that is
        # another script's ("永居证" had been taken for Japanese and answered as a lost card)
        language = next(iter(named)) if len(named) == 1 else None
        detected = language or detect_script_language(turn.argument)
        with use_translator(_in_language_of(turn, detected)):
            return await show_menu(turn)
    match = turn.services.matcher.match(turn.argument)
    intent = placed_intent(match, turn.argument, turn.services.pathways)
    if said_outside(match, intent):
        with use_translator(_in_language_of(turn, match.language)):
            return _outside(turn, match)
    if intent is not None:
        return await _answer_match(turn, match, intent)
    await turn.services.store.record_unplaced(
        redact(turn.argument), match.language or turn.conversation.language, turn.now
    )
    return _not_sure([g for g in match.guesses() if g in _INTENT_LABELS])


def _not_sure(guesses: list[str]) -> Reply:
    """Not sure what was meant: the guessed topics as buttons ("Did you mean"), else a
    request for other words; and the menu button."""
    text = _("Sorry, I am not sure what you mean.")
    if guesses:
        text += " " + _("Did you mean:")
        rows = [(Button(_(_INTENT_LABELS[g]), _intent_payload(g)),) for g in guesses]
        return Reply((compact_menu(text, *rows),))
    text += " " + _("Please try other words, or open the menu:")
    return Reply((compact_menu(text),))


def _in_language_of(turn: Turn, detected: str | None) -> Translator:
    """The translator for a message written in `detected` when the bot speaks it and it is
    not the reply's language (`_other_language`), else the reply's own."""
    written_in = _other_language(turn, detected)
    return turn.services.translators[written_in] if written_in else current()


def _welcome(turn: Turn) -> Reply:
    """A thanks or an "ok" alone: no topic to answer, nothing outside what the bot knows.
    Said in the language of the script it is written in ("спасибо", "谢谢"), if another."""
    with use_translator(_in_language_of(turn, detect_script_language(turn.argument))):
        text = _(
            "You're welcome! Ask me anything else about the permanent residence card, or open "
            "the menu:"
        )
        return Reply((compact_menu(text),))


def placed_intent(match: Match, text: str, pathways: Matcher | None) -> str | None:
    """The intent a question gets: the matcher's, else eligibility for a described pathway."""
    if match.intent is not None or match.out_of_scope:
        return match.intent
    if pathways is not None and pathways_in(pathways, text):
        return "eligibility"
    return None


def said_outside(match: Match, intent: str | None) -> bool:
    """Whether the bot says a question is outside what it knows: declared out of scope, or
    naming another matter (a visa, a bank) and not the card when no topic could be placed."""
    return match.out_of_scope or (intent is None and match.other)


def _outside(turn: Turn, match: Match) -> Reply:
    """Say plainly that the question is outside what the bot knows, and where to ask."""
    text = _(
        "That is outside what I know: I only answer questions about the Beijing foreign "
        "permanent resident ID card (permanent residence)."
    )
    if match.immigration:  # a visa or permit: the data names who handles those
        text += "\n\n" + turn.services.answers.elsewhere()
    guesses = [g for g in match.guesses(2) if g in _INTENT_LABELS]
    if guesses:
        rows = tuple((Button(_(_INTENT_LABELS[g]), _intent_payload(g)),) for g in guesses)
        return Reply(
            (
                Outbound(text=text),
                Outbound(text=_("Or did you mean one of these?"), buttons=rows),
                menu_message(_("Or choose a topic:")),
            )
        )
    return Reply((Outbound(text=text), menu_message(_("Please choose a topic:"))))


async def _answer_match(turn: Turn, match: Match, intent: str | None = None) -> Reply:
    """Answer a match (or the intent placed for it), in the language of the question if it
    is another one."""
    intent = intent or match.intent
    assert intent is not None
    written_in = _other_language(turn, match.language)
    if written_in is not None:
        return await answer_in_language(turn, intent, written_in)
    return await answer_intent(turn, intent)


def _other_language(turn: Turn, detected: str | None) -> str | None:
    """The language a question is written in, if the bot speaks it and it is not the reply's.

    Latin-script languages are told apart only by their words, so a short message ("ok",
    "hours?") never switches the language.
    """
    if detected is None or detected not in turn.services.translators:
        return None
    if detected == current().language:
        return None
    latin = detected in ("en", "fr", "de", "es")
    if latin and len(turn.argument.split()) < 3:
        return None
    return detected


def _expiry_in(turn: Turn) -> dt.date | None:
    """A date to come in a reminder request ("my card expires on 2027-05-10, remind me")."""
    today = turn.now.astimezone(BEIJING).date()
    found = turn.services.date_in(turn.argument, today)
    return found if found is not None and found > today else None


OFFERED = "offered"  # conversation data: the languages the bot offered to keep answering in


async def answer_in_language(turn: Turn, intent: str, language: str) -> Reply:
    """Answer in the language the question was written in, and offer to keep it: once per
    language, until the conversation starts over (/start, /cancel), so that someone who
    keeps writing in it is not asked again with every answer."""
    with use_translator(turn.services.translators[language]):
        reply = await answer_intent(turn, intent)
        offered = list(turn.conversation.data.get(OFFERED) or ())
        if reply.erased or language in offered:
            return reply
        turn.conversation.data[OFFERED] = [*offered, language]
        name = LANGUAGE_NAMES.get(language, language)
        offer = Outbound(
            text=_("You wrote in {language}. Shall I answer in {language} from now on?").format(
                language=name
            ),
            buttons=((Button(f"✅ {name}", payloads.language(language)),),),
            on_yes=payloads.language(language),
        )
    return Reply((*reply.messages, offer), reply.next_state, reply.erased)


_INTENT_LABELS: dict[str, str] = {
    **{topic.value: label for topic, label in TOPIC_LABELS.items()},
    "reminders": N_("⏰ Renewal reminders"),
    "my_reminders": N_("🔔 My reminders"),
    "language": N_("🌐 Language"),
    "help": N_("❓ Help"),
}


def _intent_payload(intent: str) -> str:
    if intent == "reminders":
        return payloads.remind(new=True)
    if intent == "my_reminders":
        return payloads.remind()
    if intent == "language":
        return payloads.language()
    if intent == "help":
        return payloads.HELP
    return payloads.topic(intent)


async def answer_intent(turn: Turn, intent: str) -> Reply:
    """Answer a recognised intent."""
    if intent in ("reminders", "my_reminders") and not turn.inbound.private:
        return private_only(turn.private_chat_url)
    if intent == "reminders":  # one already set is shown first (with "Add a reminder")
        return await remind.existing_or_new(turn, _expiry_in(turn))
    if intent == "my_reminders":
        return await remind.list_subscriptions(turn)
    if intent == "language":
        return await ask_language(turn)
    if intent == "help":
        return await show_help(turn)
    try:
        topic = Topic(intent)
    except ValueError:
        return await show_help(turn)
    if topic is Topic.DOCUMENTS and turn.services.pathways is not None:
        found = pathways_in(turn.services.pathways, turn.argument)
        details = (
            turn.services.answers.pathway_documents(found[0], turn.now) if len(found) == 1 else []
        )
        if details:
            await turn.services.store.count_topic(topic.value)
            return Reply(tuple(details))
    if topic is Topic.ELIGIBILITY and turn.services.pathways is not None:
        found = pathways_in(turn.services.pathways, turn.argument)
        if len(found) == 1:
            details = turn.services.answers.pathway(found[0], turn.now, turn.argument)
        elif found:
            details = [turn.services.answers.pathway_choice(found)]
        else:
            details = []
        if details:
            await turn.services.store.count_topic(topic.value)
            return Reply(tuple(details))
    return await answer(turn, topic, turn.argument)


# A situation ("my wife is Chinese", "I invested 2 million") must clearly point to one pathway,
# or to two close ones (the user then chooses); a general question ("who can apply?", "how do
# I get a green card") is out of the pathway matcher's scope and gets the overview instead.
# Set by cross-validation over data/pathway_intents/ and on tests/nlu/pathways.yaml.
PATHWAY_SURE = 0.5
PATHWAY_MARGIN = 0.1
PATHWAY_NEAR = 0.45
PATHWAY_GENERAL_LEAD = 0.05  # how far the general examples must beat the best pathway...
# ...when the question names one of a pathway's keywords; when it names none ("who can apply
# for permanent residence"), being as near to the general examples is enough (5-fold 77.8 ->
# 77.9 %; -0.05 to -0.2 lose 0.1 to 0.5 points)
PATHWAY_BARE_LEAD = 0.0


def pathways_in(matcher: Matcher, text: str) -> list[str]:
    """The pathway a question clearly describes, the two it may describe, or none."""
    return pathways_of(matcher.match(text))


def pathways_of(match: Match) -> list[str]:
    """`pathways_in` for a question the pathway matcher has already matched."""
    ranked = match.ranked
    if not ranked or ranked[0].score < PATHWAY_NEAR:
        return []
    top = ranked[0]
    lead = PATHWAY_GENERAL_LEAD if match.keyworded else PATHWAY_BARE_LEAD
    if match.out_score >= top.score + lead:
        return []
    second = ranked[1] if len(ranked) > 1 else None
    if second is None or top.score - second.score >= PATHWAY_MARGIN:
        return [top.intent] if top.score >= PATHWAY_SURE else []
    if second.score >= PATHWAY_NEAR:
        return [top.intent, second.intent]
    return [top.intent] if top.score >= PATHWAY_SURE else []


async def show_documents(turn: Turn) -> Reply:
    """One pathway's documents (`pd:<pathway>`)."""
    pathway_id = payloads.read_name(turn.argument)
    messages = turn.services.answers.pathway_documents(pathway_id, turn.now) if pathway_id else []
    return Reply(tuple(messages)) if messages else await stale_button(turn)


async def show_category(turn: Turn) -> Reply:
    """A document category's documents, or its pathways to choose from (`dc:<category>`)."""
    category = payloads.read_name(turn.argument)
    messages = turn.services.answers.document_category(category, turn.now) if category else []
    return Reply(tuple(messages)) if messages else await stale_button(turn)


async def unknown_command(turn: Turn) -> Reply:
    """Say the command is unknown and offer /help and the menu."""
    text = _("I don't know that command. Send /help for the list, or open the menu:")
    return Reply((compact_menu(text),))


async def stale_button(turn: Turn) -> Reply:
    """A button the bot does not know (old or forged): say so and offer the menu."""
    return Reply((compact_menu(_("That button is no longer valid. Please choose again:")),))


async def unsupported_message(turn: Turn) -> Reply:
    """Photos, stickers and the like: say the bot reads text only."""
    return Reply((compact_menu(_("I can only read text messages. Please type your question:")),))


# Inside a wizard ----------------------------------------------------------------------------


async def _back(turn: Turn) -> Reply:
    """Typed "back": what the wizard's Back button (or the step before) does."""
    state = turn.conversation.state
    wizard = remind.RemindState
    if state == wizard.WHOSE:
        return await remind.start_reminder(turn)
    if state == wizard.DATE and "replace" not in turn.conversation.data:
        return remind.ask_whose()
    if state == wizard.CONFIRM:
        return await remind.change_date(turn)
    if state == eligibility.STATE:
        turn.argument = payloads.BACK
        return await eligibility.answer(turn)
    return await _cancel_wizard(turn)  # the first step: back leaves the wizard


async def _cancel_wizard(turn: Turn) -> Reply:
    """Typed "cancel": what the Cancel button does (in the erase step: keep the data)."""
    if turn.conversation.state == remind.RemindState.ERASE:
        turn.argument = ""  # anything but a confirmation keeps the data
        return await remind.erase(turn)
    reply = await cancel(turn)
    return Reply(reply.messages, State.MAIN)


def _has_date(turn: Turn) -> bool:
    """Whether typed text is, or holds, a date (the date step's answer)."""
    if not isinstance(parse_date(turn.argument), Unreadable):
        return True
    today = turn.now.astimezone(BEIJING).date()
    return turn.services.date_in(turn.argument, today) is not None


def answering(reask: Step, typed: Step | None = None, dated: Step | None = None) -> Step:
    """A wizard step's handler of typed text.

    "Back" and "cancel" (in any of the bot's languages) do what the buttons do. A date goes to
    `dated` (the date step; at the confirm step, a new date). A question the matcher is sure
    of is answered, and the step is asked again below the answer, with its buttons; anything
    else goes to `typed`, or gets the step again.
    """

    async def step(turn: Turn) -> Reply:
        word = turn.services.control(turn.argument)
        if word == "cancel":
            return await _cancel_wizard(turn)
        if word == "back":
            return await _back(turn)
        if dated is not None and _has_date(turn):
            return await dated(turn)
        if word in ("vague", "more"):  # "why" alone: no topic to answer, the step again
            return await (typed or reask)(turn)
        match = turn.services.matcher.match(turn.argument)
        if match.intent is not None and match.intent != "reminders":
            data = dict(turn.conversation.data)
            answer = await _answer_match(turn, match)
            if answer.next_state is None:
                turn.conversation.data = data  # an answer never ends the wizard
                again = await reask(turn)
                return Reply((*answer.messages, *again.messages), again.next_state)
            turn.conversation.data = data
        return await (typed or reask)(turn)

    step.__name__ = f"{(typed or reask).__name__}_or_answer"
    step.__doc__ = answering.__doc__
    return step


async def ask_step_again(turn: Turn) -> Reply:
    """The date step asked again (below an answer)."""
    return remind.ask_date(turn)


# free text may start the reminder wizard, at its confirm step when it names the expiry date
FREE_TEXT_GOES_TO = (
    remind.RemindState.EVENT,
    remind.RemindState.CONFIRM,
    remind.RemindState.DATE,
    State.MAIN,
)


def build_dialogue() -> Dialogue:
    """The whole conversation as one table."""
    wizard = remind.RemindState
    global_routes = (
        Route(Command("start"), start, State.MAIN),
        Route(Command("menu"), show_menu, State.MAIN),
        Route(Command("help"), show_help),
        Route(ButtonPress(payloads.HELP), show_help),
        Route(Command("cancel"), cancel, State.MAIN),
        Route(ButtonPress(payloads.CANCEL), cancel, State.MAIN),
        Route(Command("language"), ask_language),
        Route(ButtonPress(payloads.LANGUAGE), set_language),
        Route(ButtonPress(payloads.MENU), show_menu, State.MAIN),
        *(Route(Command(name), answer_topic, State.MAIN) for name in TOPIC_COMMANDS),
        Route(ButtonPress(payloads.TOPIC), answer_topic, State.MAIN),
        Route(ButtonPress(payloads.FEEDBACK), record_feedback),
        Route(ButtonPress(payloads.MORE), show_details, State.MAIN),
        Route(ButtonPress(payloads.OFFICE), show_office, State.MAIN),
        Route(ButtonPress(payloads.OFFICES), filter_offices, State.MAIN, edits=True),
        Route(ButtonPress(payloads.COUNTER), show_counter, State.MAIN),
        Route(
            Command("remind"),
            remind.start_reminder,
            goes_to=(wizard.EVENT, State.MAIN),
            personal=True,
        ),
        Route(
            ButtonPress(payloads.REMIND),
            remind.reminders_or_new,
            goes_to=(wizard.EVENT, State.MAIN),
            personal=True,
        ),
        Route(Command("reminders"), remind.list_subscriptions, State.MAIN, personal=True),
        Route(
            ButtonPress(payloads.REMIND_EXPIRY),
            remind.start_with_expiry,
            goes_to=(wizard.CONFIRM, wizard.DATE, wizard.EVENT, State.MAIN),
            personal=True,
        ),
        Route(
            ButtonPress(payloads.STOP_REMINDER),
            remind.stop_subscription,
            State.MAIN,
            personal=True,
        ),
        Route(
            ButtonPress(payloads.RENEWED),
            remind.renewed,
            goes_to=(wizard.DATE, State.MAIN),
            personal=True,
        ),
        Route(Command("mydata"), remind.show_my_data, personal=True),
        Route(Command("deletemydata"), remind.ask_erase, goes_to=(wizard.ERASE,), personal=True),
        Route(
            ButtonPress(payloads.CHECK),
            eligibility.start_check,
            goes_to=(eligibility.STATE,),
            personal=True,
        ),
        Route(
            Command("check"), eligibility.start_check, goes_to=(eligibility.STATE,), personal=True
        ),
        Route(ButtonPress(payloads.PATHWAY), eligibility.show_pathway, State.MAIN),
        Route(ButtonPress(payloads.PATHWAY_DOCUMENTS), show_documents, State.MAIN),
        Route(ButtonPress(payloads.DOCUMENT_CATEGORY), show_category, State.MAIN),
        Route(ButtonPress(payloads.PATHWAYS), eligibility.list_pathways, State.MAIN),
        Route(Command("pathways"), eligibility.list_pathways, State.MAIN),
    )
    main = State.MAIN
    states = {
        State.MAIN.value: (Route(AnyText(), answer_free_text, goes_to=FREE_TEXT_GOES_TO),),
        wizard.EVENT.value: (
            Route(
                ButtonPress(payloads.EVENT),
                remind.choose_event,
                goes_to=(wizard.WHOSE, main),
                edits=True,
            ),
            Route(AnyText(), answering(remind.event_reask), goes_to=(main,)),
        ),
        wizard.WHOSE.value: (
            Route(
                ButtonPress(payloads.WHOSE),
                remind.choose_whose,
                goes_to=(wizard.DATE, wizard.EVENT),
                edits=True,
            ),
            Route(AnyText(), answering(remind.whose_reask), goes_to=(wizard.EVENT, main)),
        ),
        wizard.DATE.value: (
            Route(
                ButtonPress(payloads.DATE),
                remind.pick_date,
                goes_to=(wizard.CONFIRM, wizard.EVENT, main),
                edits=True,
            ),
            Route(
                AnyText(),
                answering(ask_step_again, remind.receive_date, remind.receive_date),
                goes_to=(wizard.CONFIRM, wizard.EVENT, wizard.WHOSE, main),
            ),
        ),
        wizard.CONFIRM.value: (
            Route(
                ButtonPress(payloads.SAVE),
                remind.save_subscription,
                goes_to=(main, wizard.EVENT),
                edits=True,
            ),
            Route(
                ButtonPress(payloads.ANOTHER_DATE),
                remind.change_date,
                goes_to=(wizard.DATE, wizard.EVENT),
                edits=True,
            ),
            Route(
                AnyText(),
                answering(remind.confirm_reask, dated=remind.receive_date),
                goes_to=(wizard.EVENT, wizard.DATE, wizard.CONFIRM, main),
            ),
        ),
        eligibility.STATE: (
            Route(
                ButtonPress(payloads.CHECK_ANSWER), eligibility.answer, goes_to=(main,), edits=True
            ),
            Route(AnyText(), answering(eligibility.reask), goes_to=(main,)),
        ),
        wizard.ERASE.value: (
            Route(ButtonPress(payloads.ERASE), remind.erase, goes_to=(main,), edits=True),
            Route(AnyText(), answering(remind.erase_reask), goes_to=(main,)),
        ),
    }
    fallback_routes = (
        Route(AnyCommand(), unknown_command),
        Route(AnyButton(), stale_button),
        Route(Unsupported(), unsupported_message),
        Route(AnyText(), answer_free_text, State.MAIN, goes_to=FREE_TEXT_GOES_TO),
    )
    return Dialogue(State.MAIN.value, global_routes, states, fallback_routes)
