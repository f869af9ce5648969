"""Reminders: the renewal periods, the reminder message, "go now", and the calendar file."""

from __future__ import annotations

import datetime as dt

from bot.core import payloads
from bot.core.languages import BEIJING
from bot.core.ports import Subscription
from bot.core.schedule import CardRules, EventKind, ReminderKind, window
from bot.core.text import N_, _, current
from bot.core.types import Attachment, Button, Outbound
from bot.knowledge.answers.common import (
    Context,
    gap,
    office_name,
    related,
    sources_footer,
    with_footer,
)
from bot.knowledge.answers.fees import fee_line
from bot.knowledge.answers.opening import describe_schedule
from bot.knowledge.ics import window_calendar
from bot.knowledge.model import KnowledgeBase

LABELS = {
    "self": N_("your card"),
    "spouse": N_("your spouse's card"),
    "child": N_("your child's card"),
    "family": N_("your family member's card"),
}


def label_text(label: str) -> str:
    """Whose card a subscription is about, in the current language."""
    return _(LABELS.get(label, LABELS["self"]))


def card_rules(knowledge: KnowledgeBase) -> CardRules:
    """The renewal periods and card validity, from the rules in data/rules.yaml."""
    rules = knowledge.rules
    return CardRules(
        months_before_expiry=rules["renewal_window"].values["months_before_expiry"],
        months_after_change=rules["change_window"].values["months_after_change"],
        adult_years=rules["validity"].values["adult_years"],
        minor_years=rules["validity"].values["minor_years"],
    )


def calendar_file(
    context: Context, event_kind: str, event_date: dt.date, label: str
) -> Attachment:
    """The application window as an .ics file."""
    knowledge = context.knowledge
    first, last = window(EventKind(event_kind), event_date, context.card_rules)
    main = knowledge.main_office
    if event_kind == EventKind.EXPIRY:
        summary = _("Renewal period of the permanent resident ID card ({whose})").format(
            whose=label_text(label)
        )
        rule = knowledge.rules["renewal_window"]
    else:
        summary = _("Period to apply for a new permanent resident ID card ({whose})").format(
            whose=label_text(label)
        )
        rule = knowledge.rules["change_window"]
    description = "\n".join(
        [_(rule.text), fee_line(knowledge, "renewal"), sources_footer((rule.provenance,))]
    )
    content = window_calendar(
        uid=f"{event_kind}-{event_date.isoformat()}-{label}@prbot",
        first=first,
        last=last,
        summary=summary,
        description=description,
        location=" / ".join(a for a in (main.address.zh, main.address.en) if a),
        stamp=dt.datetime.combine(first, dt.time(), dt.UTC),
    )
    return Attachment(f"renewal-window-{first.isoformat()}.ics", content, "text/calendar")


def reminder(context: Context, kind: str, subscription: Subscription) -> list[Outbound]:
    """A reminder: what is due, what to bring, where and when, the fee, the source."""
    translator = current()
    event_kind = EventKind(subscription.event_kind)
    first, last = window(event_kind, subscription.event_date, context.card_rules)
    whose = label_text(subscription.label)
    dates = {
        "whose": whose,
        "expiry": translator.format_date(subscription.event_date),
        "event": translator.format_date(subscription.event_date),
        "first": translator.format_date(first),
        "last": translator.format_date(last),
    }
    headline = {
        ReminderKind.GET_READY: _(
            "⏰ Reminder: {whose} expires on {expiry}. You can renew it from {first}; "
            "now is the time to get the documents ready."
        ),
        ReminderKind.WINDOW_OPEN: _(
            "⏰ Reminder: from today you can renew {whose}. It expires on {expiry}; "
            "renew by then."
        ),
        ReminderKind.LAST_WEEK: _("⏰ Last week: {whose} expires on {expiry}. Renew it by then."),
        ReminderKind.CHANGE_FIRST: _(
            "⏰ Reminder: a detail on {whose} changed on {event}. Apply for a new card "
            "by {last}."
        ),
        ReminderKind.CHANGE_LAST: _(
            "⏰ Seven days left: a detail on {whose} changed on {event}. Apply for a new card "
            "by {last}."
        ),
    }[ReminderKind(kind)].format(**dates)
    buttons = (
        (Button(_("✅ I renewed my card"), payloads.renewed(subscription.id)),),
        (Button(_("🔕 Stop these reminders"), payloads.stop_reminder(subscription.id)),),
    )
    attachment = calendar_file(
        context, subscription.event_kind, subscription.event_date, subscription.label
    )
    text = _renewal_text(context.knowledge, headline)
    return [Outbound(text=text, buttons=buttons, attachment=attachment)]


def renewal_now(
    context: Context, event_kind: str, event_date: dt.date, now: dt.datetime
) -> list[Outbound]:
    """The deadline is near or past: go now, with where, when, the fee and 12367."""
    translator = current()
    today = now.astimezone(BEIJING).date()
    if event_kind == EventKind.EXPIRY and event_date < today:
        headline = _(
            "The card expired on {date}. Go to a service centre as soon as you can to "
            "apply for a new one, and call 12367 to ask what applies in your case."
        ).format(date=translator.format_date(event_date))
    elif event_kind == EventKind.EXPIRY:
        headline = _(
            "The card expires on {date}: the renewal window is open now, and it is too "
            "late for reminders. Renew it at a service centre now."
        ).format(date=translator.format_date(event_date))
    else:
        headline = _(
            "The one-month period after the change on {date} is over or nearly over. "
            "Apply for a new card at a service centre now, and call 12367 to ask what "
            "applies in your case."
        ).format(date=translator.format_date(event_date))
    text = _renewal_text(context.knowledge, headline)
    return [Outbound(text=text, buttons=related("address", "hours"))]


def _renewal_text(knowledge: KnowledgeBase, headline: str) -> str:
    main = knowledge.main_office
    documents = knowledge.rules["renewal_documents"]
    lines = [
        headline,
        "",
        _("What to bring:") + gap() + _(documents.text),
        fee_line(knowledge, "renewal"),
        "",
        _("Where: {office}").format(office=office_name(main)),
    ]
    if main.address.zh:
        lines.append(_("For the taxi driver: {address}").format(address=main.address.zh))
    if main.schedule_id is not None:
        lines.append(
            _("Hours: {hours}").format(
                hours=describe_schedule(knowledge.schedules[main.schedule_id])
            )
        )
    provenances = [
        knowledge.rules["renewal_window"].provenance,
        documents.provenance,
        knowledge.fee("renewal").provenance,
    ]
    return with_footer("\n".join(lines), provenances)
