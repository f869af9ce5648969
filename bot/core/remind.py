"""Steps of the reminder wizard, the reminder list and the user's own data.

The wizard stores only a code for whose card it is (self, spouse, child, family) and one date:
no name, no card or passport number is ever asked for.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from bot.core import payloads
from bot.core.dates import Ambiguous, Exact, Impossible, add_months, parse_date
from bot.core.engine import Reply, Turn
from bot.core.languages import BEIJING
from bot.core.menu import LANGUAGE_NAMES, TOPIC_LABELS, Topic, compact_menu
from bot.core.ports import PlannedRow, Store, Subscription
from bot.core.render import OPTIONS_KEY
from bot.core.schedule import (
    CardRules,
    EventKind,
    PlannedReminder,
    ReminderKind,
    upcoming,
    window,
)
from bot.core.text import N_, _, current, ngettext
from bot.core.types import Button, Outbound


class RemindState(StrEnum):
    """Wizard states; stored as text."""

    EVENT = "remind_event"
    WHOSE = "remind_whose"
    DATE = "remind_date"
    CONFIRM = "remind_confirm"
    ERASE = "erase_confirm"


WHOSE_LABELS: dict[str, str] = {
    "self": N_("👤 My own card"),
    "spouse": N_("💑 My spouse's card"),
    "child": N_("🧒 My child's card"),
    "family": N_("👪 A relative's card"),
}

#: The third answer to "what should I remind you about?": no reminder, the replacement steps.
LOSS = "loss"

REMINDER_NAMES: dict[str, str] = {
    ReminderKind.GET_READY: N_("get your documents ready"),
    ReminderKind.WINDOW_OPEN: N_("the renewal window opens"),
    ReminderKind.LAST_WEEK: N_("last week before expiry"),
    ReminderKind.CHANGE_FIRST: N_("apply for the new card"),
    ReminderKind.CHANGE_LAST: N_("seven days left to apply"),
}


def _cancel_row() -> tuple[Button, ...]:
    return (Button(_("✖ Cancel"), payloads.CANCEL),)


def _store(turn: Turn) -> Store:
    return turn.services.store


def _today(turn: Turn) -> dt.date:
    return turn.now.astimezone(BEIJING).date()


async def start_reminder(turn: Turn, expiry: dt.date | None = None) -> Reply:
    """Ask what the reminder is about: expiry, a change of details, or a lost card.

    With the `expiry` date already given ("my card expires on 2027-05-10, remind me"), go
    straight to the schedule to confirm, for the user's own card.
    """
    turn.conversation.data = {}
    if not turn.caps.reminders:
        return not_available()
    if expiry is not None:
        turn.conversation.data = {"event": EventKind.EXPIRY.value, "label": "self"}
        return await check_date(turn, expiry)
    text = _(
        "I can remind you before your card must be renewed: a card is renewed within one "
        "month before it expires, and after a change of card details a new card is applied "
        "for within one month. What should I remind you about?"
    )
    buttons = (
        (Button(_("📅 My card expires"), payloads.event(EventKind.EXPIRY)),),
        (Button(_("✏️ A card detail changed"), payloads.event(EventKind.CHANGE)),),
        (Button(_("🆘 Lost or damaged card"), payloads.event(LOSS)),),
        _cancel_row(),
    )
    return Reply((Outbound(text=text, buttons=buttons),), RemindState.EVENT)


def not_available() -> Reply:
    """The channel cannot deliver reminders: say so rather than pretend to keep one."""
    text = _(
        "Renewal reminders are not set up for this chat app yet, so I cannot keep one for you "
        "here. Please note the date yourself: a card is renewed within one month before it "
        "expires."
    )
    return Reply((compact_menu(text),), "main")


async def choose_event(turn: Turn) -> Reply:
    """Record the event; a lost card gets the replacement guidance at once."""
    if turn.argument == LOSS:
        turn.conversation.data = {}
        return Reply(tuple(turn.services.answers.topic("loss", turn.now)), "main")
    if turn.argument not in (EventKind.EXPIRY, EventKind.CHANGE):
        return await start_reminder(turn)
    turn.conversation.data = {"event": turn.argument}
    return ask_whose()


def ask_whose() -> Reply:
    """Ask whose card it is (a code, so no name is ever stored)."""
    rows = tuple((Button(_(label), payloads.whose(code)),) for code, label in WHOSE_LABELS.items())
    return Reply(
        (Outbound(text=_("Whose card is it?"), buttons=(*rows, _cancel_row())),),
        RemindState.WHOSE,
    )


async def choose_whose(turn: Turn) -> Reply:
    """Record whose card it is and ask for the date."""
    if turn.argument not in WHOSE_LABELS or "event" not in turn.conversation.data:
        return await start_reminder(turn)
    turn.conversation.data["label"] = turn.argument
    return ask_date(turn)


def ask_date(turn: Turn, prefix: str = "") -> Reply:
    """Ask for the expiry date or the date of the change, with examples."""
    if turn.conversation.data.get("event") == EventKind.CHANGE:
        question = _("On what date did the detail on the card change?")
    else:
        question = _("When does the card expire? It is printed on the card.")
    example = _("Send the date, for example 2027-06-15, 15.06.2027 or 15 June 2027.")
    text = "\n\n".join(part for part in (prefix, question, example) if part)
    return Reply((Outbound(text=text, buttons=(_cancel_row(),)),), RemindState.DATE)


async def receive_date(turn: Turn) -> Reply:
    """Read a typed date; explain what to send when it cannot be used."""
    if "event" not in turn.conversation.data:
        return await start_reminder(turn)
    parsed = parse_date(turn.argument)
    translator = current()
    if isinstance(parsed, Ambiguous):
        first, second = parsed.options
        text = _("Do you mean {first} or {second}?").format(
            first=translator.format_date(first), second=translator.format_date(second)
        )
        buttons = (
            (Button(translator.format_date(first), payloads.date(first)),),
            (Button(translator.format_date(second), payloads.date(second)),),
            _cancel_row(),
        )
        return Reply((Outbound(text=text, buttons=buttons),), RemindState.DATE)
    if isinstance(parsed, Impossible):
        problem = _("There is no such day: {year}-{month:02d}-{day:02d}.").format(
            year=parsed.year, month=parsed.month, day=parsed.day
        )
        return ask_date(turn, problem)
    if not isinstance(parsed, Exact):
        found = turn.services.date_in(turn.argument, _today(turn))  # "it expires on 15 June"
        if found is None:
            return ask_date(turn, _("I could not read a date in that."))
        return await check_date(turn, found)
    return await check_date(turn, parsed.date)


async def start_with_expiry(turn: Turn) -> Reply:
    """ "Remind me then" under a renewal answer: the wizard with the expiry date filled in.

    The card is taken to be the user's own; the confirmation shows the schedule, and
    "Another date" or Cancel are there as in the wizard.
    """
    if not turn.caps.reminders:
        return not_available()
    chosen = payloads.read_date(turn.argument)
    if chosen is None:
        return await start_reminder(turn)
    turn.conversation.data = {"event": EventKind.EXPIRY.value, "label": "self"}
    return await check_date(turn, chosen)


async def pick_date(turn: Turn) -> Reply:
    """One of the two readings of an ambiguous date was chosen."""
    chosen = payloads.read_date(turn.argument)
    if chosen is None:
        return ask_date(turn, _("That button is no longer valid. Please choose again:"))
    if "event" not in turn.conversation.data:
        return await start_reminder(turn)
    return await check_date(turn, chosen)


async def check_date(turn: Turn, chosen: dt.date) -> Reply:
    """Refuse impossible or pointless dates; otherwise show the schedule to confirm."""
    data = turn.conversation.data
    event = EventKind(data["event"])
    today = _today(turn)
    translator = current()
    if event is EventKind.EXPIRY:
        rules = turn.services.card_rules
        years = rules.minor_years if data.get("label") == "child" else rules.adult_years
        if chosen > add_months(today, 12 * years):
            text = _(
                "{date} is too far ahead: a card is valid for 10 years (5 years for children "
                "under 18). Please check the expiry date on the card."
            ).format(date=translator.format_date(chosen))
            return ask_date(turn, text)
        if chosen < today:
            data.clear()
            return Reply(tuple(turn.services.answers.renewal_now(event, chosen, turn.now)), "main")
    else:
        if chosen > today:
            text = _("{date} is in the future. Send the date on which the detail changed.").format(
                date=translator.format_date(chosen)
            )
            return ask_date(turn, text)
        if add_months(chosen, turn.services.card_rules.months_after_change) < today:
            data.clear()
            return Reply(tuple(turn.services.answers.renewal_now(event, chosen, turn.now)), "main")
    planned = upcoming(event, chosen, turn.now, turn.services.card_rules)
    if not planned:
        data.clear()
        return Reply(tuple(turn.services.answers.renewal_now(event, chosen, turn.now)), "main")
    data["date"] = chosen.isoformat()
    confirm = confirmation(event, chosen, planned, turn.now, turn.services.card_rules)
    return Reply((confirm,), RemindState.CONFIRM)


def confirmation(
    event: EventKind,
    chosen: dt.date,
    planned: list[PlannedReminder],
    now: dt.datetime,
    rules: CardRules,
) -> Outbound:
    """The computed schedule in the user's locale, with Save, Change date and Cancel."""
    translator = current()
    first, last = window(event, chosen, rules)
    today = now.astimezone(BEIJING).date()
    if event is EventKind.EXPIRY:
        lines = [
            _("The card expires on {date}.").format(date=translator.format_date(chosen)),
            _("Renew it between {first} and {last}.").format(
                first=translator.format_date(first), last=translator.format_date(last)
            ),
        ]
    else:
        lines = [
            _("The detail changed on {date}.").format(date=translator.format_date(chosen)),
            _("Apply for a new card by {last}.").format(last=translator.format_date(last)),
        ]
    if first <= today:
        lines.append(_("The period is open now: you can go today."))
    lines += ["", _("I will remind you at 10:00 Beijing time on:")]
    for reminder in planned:
        due = reminder.due_at.astimezone(BEIJING).date()
        name = _(REMINDER_NAMES[reminder.kind])
        lines.append(
            "• " + _("{date}: {what}").format(date=translator.format_date(due), what=name)
        )
    buttons = (
        (Button(_("✅ Save the reminders"), payloads.SAVE),),
        (Button(_("📅 Another date"), payloads.ANOTHER_DATE),),
        _cancel_row(),
    )
    return Outbound(text="\n".join(lines), buttons=buttons)


async def change_date(turn: Turn) -> Reply:
    """Go back to the date question."""
    if "event" not in turn.conversation.data:
        return await start_reminder(turn)
    return ask_date(turn)


def _pending(data: dict[str, object]) -> tuple[EventKind, dt.date] | None:
    """The event and date waiting for confirmation, if the stored state holds valid ones."""
    try:
        return EventKind(str(data["event"])), dt.date.fromisoformat(str(data["date"]))
    except (KeyError, ValueError):
        return None


async def save_subscription(turn: Turn) -> Reply:
    """Store the subscription and its reminders; send the window as a calendar file."""
    data = turn.conversation.data
    pending = _pending(data)
    if pending is None or not turn.caps.reminders:
        return await start_reminder(turn)
    event, chosen = pending
    label = str(data.get("label", "self"))
    rows = [
        PlannedRow(r.kind.value, r.due_at, r.stale_at)
        for r in upcoming(event, chosen, turn.now, turn.services.card_rules)
    ]
    store = _store(turn)
    inbound = turn.inbound
    replace = data.get("replace")
    subscription: Subscription | None = None
    if isinstance(replace, int):
        subscription = await store.replace_schedule(
            replace, inbound.channel, inbound.chat_id, event.value, chosen, rows
        )
    if subscription is None:
        subscription = await store.add_subscription(
            inbound.channel, inbound.chat_id, label, event.value, chosen, rows, turn.now
        )
    data.clear()
    if turn.caps.files:
        saved = Outbound(
            text=_(
                "Saved. I will send the reminders here. The file below adds the period to "
                "your phone's calendar. /reminders shows your reminders and lets you stop them."
            ),
            attachment=turn.services.answers.calendar_file(event.value, chosen, label),
        )
    else:  # WeChat and the like cannot take a file: say nothing about one
        saved = Outbound(
            text=_(
                "Saved. I will send the reminders here. /reminders shows your reminders and "
                "lets you stop them."
            )
        )
    return Reply((saved, compact_menu(_("Anything else?"))), "main")


async def confirm_reask(turn: Turn) -> Reply:
    """Typed text while the schedule waits for confirmation: ask to use the buttons."""
    pending = _pending(turn.conversation.data)
    if pending is None:
        return await start_reminder(turn)
    event, chosen = pending
    rules = turn.services.card_rules
    message = confirmation(
        event, chosen, upcoming(event, chosen, turn.now, rules), turn.now, rules
    )
    hint = _("Please press “Save the reminders”, or send /cancel.")
    return Reply((Outbound(text=f"{hint}\n\n{message.text}", buttons=message.buttons),))


async def whose_reask(turn: Turn) -> Reply:
    """Typed text where a button was expected: ask again."""
    return ask_whose()


async def event_reask(turn: Turn) -> Reply:
    """Typed text where a button was expected: ask again."""
    return await start_reminder(turn)


async def list_subscriptions(turn: Turn) -> Reply:
    """The user's subscriptions, each with its next reminder and a button to stop it."""
    store = _store(turn)
    subscriptions = await store.subscriptions(turn.inbound.channel, turn.inbound.chat_id)
    if not subscriptions:
        text = _("You have no reminders. Send /remind to set one up.")
        return Reply(
            (compact_menu(text, (Button(_("➕ Add a reminder"), payloads.remind(new=True)),)),)
        )
    translator = current()
    count = len(subscriptions)
    lines = [
        ngettext("You have {count} reminder:", "You have {count} reminders:", count).format(
            count=count
        )
    ]
    buttons = []
    for number, sub in enumerate(subscriptions, start=1):
        nxt = await store.next_due(sub.id)
        whose = _(WHOSE_LABELS.get(sub.label, WHOSE_LABELS["self"]))
        if sub.event_kind == EventKind.EXPIRY:
            what = _("expires on {date}").format(date=translator.format_date(sub.event_date))
        else:
            what = _("changed on {date}").format(date=translator.format_date(sub.event_date))
        when = (
            _("next reminder: {date}").format(
                date=translator.format_date(nxt.astimezone(BEIJING).date())
            )
            if nxt
            else _("no more reminders")
        )
        entry = _("{whose}: {what}; {when}").format(whose=whose, what=what, when=when)
        lines.append(f"{number}. {entry}")
        label = stop_label(number)
        buttons.append((Button(label, payloads.stop_reminder(sub.id)),))
    buttons.append((Button(_("➕ Add a reminder"), payloads.remind(new=True)),))
    return Reply((Outbound(text="\n".join(lines), buttons=tuple(buttons)),))


def stop_label(number: int) -> str:
    """The button that stops the reminder numbered `number` in the list."""
    # Translators: a button under the reminder list; the number is the reminder's line.
    return _("🔕 Stop {number}").format(number=number)


async def reminders_or_new(turn: Turn) -> Reply:
    """The menu's reminder button: the reminders already set, if any, else a new one.

    `remind:new` (the "Add a reminder" button) always starts a new one.
    """
    if payloads.read_remind(turn.argument):
        return await start_reminder(turn)
    return await existing_or_new(turn)


async def existing_or_new(turn: Turn, expiry: dt.date | None = None) -> Reply:
    """The reminders already set, with "Add a reminder", if there are any; else a new one.

    A typed request naming a date to come (`expiry`) always starts a new one, at its confirm
    step; so does a request where the channel keeps no reminders (it says so).
    """
    inbound = turn.inbound
    existing = expiry is None and turn.caps.reminders
    if existing and await _store(turn).subscriptions(inbound.channel, inbound.chat_id):
        turn.conversation.data = {}
        return await list_subscriptions(turn)
    return await start_reminder(turn, expiry)


async def stop_subscription(turn: Turn) -> Reply:
    """Stop one of the user's own subscriptions; anything else changes nothing."""
    subscription_id = payloads.read_subscription(turn.argument)
    inbound = turn.inbound
    stopped = subscription_id is not None and await _store(turn).cancel_subscription(
        inbound.channel, inbound.chat_id, subscription_id
    )
    if not stopped:
        return Reply((compact_menu(_("That reminder was not found among yours.")),))
    return Reply((compact_menu(_("Stopped: you will get no more of those reminders.")),))


async def renewed(turn: Turn) -> Reply:
    """After renewing: ask for the new expiry date, which replaces that schedule."""
    subscription_id = payloads.read_subscription(turn.argument)
    inbound = turn.inbound
    own = await _store(turn).subscriptions(inbound.channel, inbound.chat_id)
    match = next((s for s in own if s.id == subscription_id), None)
    if match is None:
        return Reply((compact_menu(_("That reminder was not found among yours.")),), "main")
    turn.conversation.data = {
        "event": EventKind.EXPIRY.value,
        "label": match.label,
        "replace": match.id,
    }
    return ask_date(turn, _("Congratulations on the new card!"))


# The conversation's step, in words, for /mydata (states are stored as text).
STEP_NAMES: dict[str, str] = {
    "main": N_("nothing in progress"),
    RemindState.EVENT: N_("setting up a reminder: what it is for"),
    RemindState.WHOSE: N_("setting up a reminder: whose card"),
    RemindState.DATE: N_("setting up a reminder: the date"),
    RemindState.CONFIRM: N_("setting up a reminder: confirming it"),
    RemindState.ERASE: N_("deleting your data: waiting for your answer"),
    "eligibility": N_("the eligibility check"),
}

REMINDER_STATUS: dict[str, str] = {
    "pending": N_("planned"),
    "claimed": N_("planned"),
    "skipped": N_("not sent: no longer useful"),
    "cancelled": N_("cancelled"),
}


async def show_my_data(turn: Turn) -> Reply:
    """Everything stored about this chat: language, step, reminders, ratings."""
    inbound = turn.inbound
    store = _store(turn)
    conversation = turn.conversation
    translator = current()
    language = conversation.language
    step = STEP_NAMES.get(conversation.state, N_("a step of a conversation"))
    lines = [
        _("What I store about you:"),
        _("• Chat: {channel} {chat}").format(channel=inbound.channel, chat=inbound.chat_id),
        _("• Language: {language}").format(
            language=LANGUAGE_NAMES.get(language, language) if language else _("not chosen")
        ),
        _("• Conversation: {step}").format(step=_(step)),
    ]
    if any(key != OPTIONS_KEY for key in conversation.data):
        lines.append("  " + _("The answers given in this step are kept until it ends."))
    history = await store.subscription_history(inbound.channel, inbound.chat_id)
    if not history:
        lines.append(_("• No reminders."))
    for record in history:
        sub = record.subscription
        whose = _(WHOSE_LABELS.get(sub.label, WHOSE_LABELS["self"]))
        date = translator.format_date(sub.event_date)
        if sub.event_kind == EventKind.EXPIRY:
            what = _("expires on {date}").format(date=date)
        else:
            what = _("changed on {date}").format(date=date)
        status = _("active") if sub.active else _("stopped")
        created = translator.format_date(record.created_at.astimezone(BEIJING).date())
        lines.append(
            _("• Reminder: {whose}, {what}; {status}, set up on {created}").format(
                whose=whose, what=what, status=status, created=created
            )
        )
        for reminder in record.reminders:
            due = translator.format_date(reminder.due_at.astimezone(BEIJING).date())
            if reminder.status == "sent" and reminder.sent_at is not None:
                sent = translator.format_date(reminder.sent_at.astimezone(BEIJING).date())
                state = _("sent on {date}").format(date=sent)
            else:
                state = _(REMINDER_STATUS.get(reminder.status, N_("planned")))
            name = _(REMINDER_NAMES[reminder.kind]) if reminder.kind in REMINDER_NAMES else ""
            lines.append(
                "  – "
                + _("{date}: {what}").format(date=due, what=name or reminder.kind)
                + f" ({state})"
            )
    ratings = await store.ratings(inbound.channel, inbound.chat_id)
    if not ratings:
        lines.append(_("• No ratings."))
    for rating in ratings:
        try:
            topic = _(TOPIC_LABELS[Topic(rating.topic)])
        except ValueError:
            topic = rating.topic
        verdict = _("helpful") if rating.helpful else _("not helpful")
        rated = translator.format_date(rating.rated_at.astimezone(BEIJING).date())
        lines.append(
            _("• Rating: {topic}: {verdict}, {date}").format(
                topic=topic, verdict=verdict, date=rated
            )
        )
    lines += [
        "",
        _(
            "Questions I could not place are kept to improve my answers, without your chat "
            "id, so nothing links them to you."
        ),
        _(
            "No name, card number or passport number is ever stored. /deletemydata erases "
            "everything."
        ),
    ]
    return Reply((compact_menu("\n".join(lines)),))


async def ask_erase(turn: Turn) -> Reply:
    """Ask for confirmation before erasing everything."""
    buttons = (
        (Button(_("🗑 Yes, delete everything"), payloads.erase(True)),),
        (Button(_("No, keep it"), payloads.erase(False)),),
    )
    text = _(
        "Delete everything I store about you, including all reminders? This cannot be undone."
    )
    return Reply((Outbound(text=text, buttons=buttons),), RemindState.ERASE)


async def erase(turn: Turn) -> Reply:
    """Erase the chat's data after confirmation."""
    if not payloads.read_erase(turn.argument):
        return Reply((compact_menu(_("Nothing was deleted.")),), "main")
    inbound = turn.inbound
    await _store(turn).delete_chat(inbound.channel, inbound.chat_id)
    text = _("Done: everything I stored about you is deleted.")
    return Reply((compact_menu(text),), "main", erased=True)


async def erase_reask(turn: Turn) -> Reply:
    """Anything but the two buttons: ask again."""
    return await ask_erase(turn)
