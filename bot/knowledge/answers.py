"""Answers composed from the knowledge base, in the current language, each with its source."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from bot.core.eligibility import CheckRule
from bot.core.menu import TOPIC_LABELS, Topic
from bot.core.ports import Subscription
from bot.core.schedule import CardRules, EventKind, ReminderKind, window
from bot.core.text import N_, _, current
from bot.core.types import Attachment, Button, Outbound, Venue
from bot.knowledge.hours import (
    BEIJING,
    HOLIDAY_NAMES,
    DayKind,
    HolidayCalendar,
    OpeningStatus,
    opens_on,
    sessions_on,
    status_at,
)
from bot.knowledge.ics import window_calendar
from bot.knowledge.model import (
    Confidence,
    KnowledgeBase,
    Office,
    PrAcceptance,
    Provenance,
    Schedule,
    Service,
    Session,
)
from bot.knowledge.query import Lexicon, offices_named

MAP_SEARCH = "https://uri.amap.com/search?keyword={query}&city=010"
MAX_SOURCES = 2


def sources_footer(provenances: Iterable[Provenance]) -> str:
    """The closing lines of a factual answer: official source first, the date checked."""
    ordered: list[str] = []
    checked: dt.date | None = None
    secondary_only = True
    for provenance in provenances:
        if provenance.confidence is Confidence.OFFICIAL:
            secondary_only = False
        checked = provenance.checked if checked is None else min(checked, provenance.checked)
        for url in provenance.sources[:1]:
            if url not in ordered:
                ordered.append(url)
    if not ordered or checked is None:
        return ""
    translator = current()
    lines = [_("Source:") + _gap() + ", ".join(ordered[:MAX_SOURCES])]
    if secondary_only:
        lines[0] += " " + _("(not an official page)")
    lines.append(_("Checked on {date}.").format(date=translator.format_date(checked)))
    lines.append(_("Information, not legal advice. For your own case: hotline 12367."))
    return "\n".join(lines)


def _with_footer(text: str, provenances: Iterable[Provenance]) -> str:
    footer = sources_footer(provenances)
    return f"{text}\n\n{footer}" if footer else text


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


class KnowledgeAnswers:
    """Implements the core's Answers port over a loaded knowledge base."""

    def __init__(
        self, knowledge: KnowledgeBase, calendar: HolidayCalendar, lexicon: Lexicon
    ) -> None:
        self._kb = knowledge
        self._calendar = calendar
        self._lexicon = lexicon
        self.card_rules = card_rules(knowledge)

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge base answered from."""
        return self._kb

    def topic(self, topic: str, now: dt.datetime, query: str = "") -> list[Outbound]:
        """The answer to one topic; `query` is the user's question, if they typed one."""
        handler = getattr(self, f"_{topic}", None)
        if handler is None:
            raise KeyError(topic)
        result: list[Outbound] = handler(now, query)
        return result

    # Reminders ---------------------------------------------------------------------------

    def calendar_file(self, event_kind: str, event_date: dt.date, label: str) -> Attachment:
        """The application window as an .ics file."""
        first, last = window(EventKind(event_kind), event_date, self.card_rules)
        main = self._kb.main_office
        if event_kind == EventKind.EXPIRY:
            summary = _("Renewal period of the permanent resident ID card ({whose})").format(
                whose=label_text(label)
            )
            rule = self._kb.rules["renewal_window"]
        else:
            summary = _("Period to apply for a new permanent resident ID card ({whose})").format(
                whose=label_text(label)
            )
            rule = self._kb.rules["change_window"]
        description = "\n".join(
            [_(rule.text), self.fee_line("renewal"), sources_footer((rule.provenance,))]
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

    def reminder(self, kind: str, subscription: Subscription, now: dt.datetime) -> list[Outbound]:
        """A reminder: what is due, what to bring, where and when, the fee, the source."""
        translator = current()
        event_kind = EventKind(subscription.event_kind)
        first, last = window(event_kind, subscription.event_date, self.card_rules)
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
            ReminderKind.LAST_WEEK: _(
                "⏰ Last week: {whose} expires on {expiry}. Renew it by then."
            ),
            ReminderKind.CHANGE_FIRST: _(
                "⏰ Reminder: a detail on {whose} changed on {event}. Apply for a new card "
                "by {last}."
            ),
            ReminderKind.CHANGE_LAST: _(
                "⏰ Seven days left: a detail on {whose} changed on {event}. Apply for a new card "
                "by {last}."
            ),
        }[ReminderKind(kind)].format(**dates)
        return [self._renewal_card(headline, subscription, now)]

    def renewal_now(
        self, event_kind: str, event_date: dt.date, now: dt.datetime
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
        return [Outbound(text=self._renewal_text(headline), buttons=_related("address", "hours"))]

    def _renewal_text(self, headline: str) -> str:
        main = self._kb.main_office
        documents = self._kb.rules["renewal_documents"]
        lines = [
            headline,
            "",
            _("What to bring:") + _gap() + _(documents.text),
            self.fee_line("renewal"),
            "",
            _("Where: {office}").format(office=_office_name(main)),
        ]
        if main.address.zh:
            lines.append(_("For the taxi driver: {address}").format(address=main.address.zh))
        if main.schedule_id is not None:
            lines.append(
                _("Hours: {hours}").format(
                    hours=self.describe_schedule(self._kb.schedules[main.schedule_id])
                )
            )
        provenances = [
            self._kb.rules["renewal_window"].provenance,
            documents.provenance,
            self._kb.fee("renewal").provenance,
        ]
        return _with_footer("\n".join(lines), provenances)

    def _renewal_card(
        self, headline: str, subscription: Subscription, now: dt.datetime
    ) -> Outbound:
        buttons = (
            (Button(_("✅ I renewed: enter the new expiry date"), f"renewed:{subscription.id}"),),
            (Button(_("🔕 Stop these reminders"), f"unsub:{subscription.id}"),),
        )
        attachment = self.calendar_file(
            subscription.event_kind, subscription.event_date, subscription.label
        )
        return Outbound(text=self._renewal_text(headline), buttons=buttons, attachment=attachment)

    # Money -------------------------------------------------------------------------------

    def fee_line(self, fee_id: str) -> str:
        """One fee as `title: amount per person`."""
        fee = self._kb.fee(fee_id)
        amount = current().format_money(fee.amount, fee.currency)
        unit = _("per person") if fee.per == "person" else _("per card")
        return _("{item}: {amount} {unit}").format(item=_(fee.title), amount=amount, unit=unit)

    def _fees(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        lines = [_("Fees for the Foreign Permanent Resident ID Card:")]
        lines += [f"• {self.fee_line(fee.id)}" for fee in self._kb.fees]
        lines += [
            "",
            _(
                "You pay the application fee when you apply and the card fee when you "
                "collect the card."
            ),
        ]
        text = _with_footer("\n".join(lines), (f.provenance for f in self._kb.fees))
        return [Outbound(text=text, buttons=_related("process", "renewal", "loss"))]

    # Hours -------------------------------------------------------------------------------

    def describe_schedule(self, schedule: Schedule) -> str:
        """`Monday to Friday, 08:30–17:30; Saturday, 08:30–12:30`: equal days grouped."""
        translator = current()
        groups: list[tuple[list[int], tuple[Session, ...]]] = []
        for weekday in sorted(schedule.weekdays):
            sessions = schedule.sessions_on(weekday)
            if groups and groups[-1][1] == sessions and groups[-1][0][-1] == weekday - 1:
                groups[-1][0].append(weekday)
            else:
                groups.append(([weekday], sessions))
        parts = []
        for days, sessions in groups:
            times = _(" and ").join(
                f"{translator.format_time(s.opens)}–{translator.format_time(s.closes)}"
                for s in sessions
            )
            parts.append(_("{days}, {times}").format(days=_day_range(days), times=times))
        return translator.format_list(parts)

    def _offices_with(self, schedule_id: str) -> list[Office]:
        return [o for o in self._kb.offices if o.schedule_id == schedule_id]

    def _hours(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        if offices_named(query, self._kb.offices):
            return self._open_now(now, query)
        lines = [_("Opening hours (Beijing time):")]
        used: list[Schedule] = []
        for schedule in self._kb.schedules.values():
            offices = self._offices_with(schedule.id)
            if not offices:
                continue
            used.append(schedule)
            lines.append("")
            lines.append(f"• {self.describe_schedule(schedule)}{_colon().rstrip()}")
            lines += [f"  – {_office_name(o)}" for o in offices]
            lines += ["  " + line for line in self._lunch_lines(schedule)]
            lines += [f"  {_(note)}" for note in schedule.conflicts]
        lines.append("")
        lines.append(
            _(
                "All centres are closed on Sundays and on Chinese statutory holidays; on "
                "an officially adjusted working day (调休) they open."
            )
        )
        lines += self._unpublished_hours()
        text = _with_footer("\n".join(lines), (s.provenance for s in used))
        return [Outbound(text=text, buttons=_related("open_now", "address"))]

    def status_line(self, office: Office, now: dt.datetime) -> str:
        """`Open now, until 17:00` or `Closed now. Opens Monday 09:00.` for one office."""
        if office.schedule_id is None:
            return _("Opening hours not published: call 12367.")
        schedule = self._kb.schedules[office.schedule_id]
        return _status_text(status_at(schedule, now, self._calendar))

    def _open_now(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        translator = current()
        local = now.astimezone(BEIJING)
        named = offices_named(query, self._kb.offices)
        offices = named or [o for o in self._kb.offices if o.schedule_id is not None]
        day = self._lexicon.day(query, local.date()) if query else None
        lines = [
            _("Now in Beijing: {weekday} {date}, {time}.").format(
                weekday=translator.format_weekday(local.weekday()),
                date=translator.format_date(local.date()),
                time=translator.format_time(local.time()),
            ),
            "",
        ]
        if day is not None and day != local.date():
            lines += [
                _("On {weekday} {date}:").format(
                    weekday=translator.format_weekday(day.weekday()),
                    date=translator.format_date(day),
                ),
                "",
            ]
        provenances: list[Provenance] = []
        for office in offices:
            if office.schedule_id is None:
                lines.append(f"• {_office_name(office)}{_colon()}{self.status_line(office, now)}")
                continue
            schedule = self._kb.schedules[office.schedule_id]
            provenances.append(schedule.provenance)
            if day is not None and day != local.date():
                status = self.day_line(schedule, day)
            else:
                status = self.status_line(office, now)
            lines.append(f"• {_office_name(office)}{_colon()}{status}")
            if named:
                lines.append(
                    "  " + _("Hours: {hours}").format(hours=self.describe_schedule(schedule))
                )
                lines += ["  " + line for line in self._lunch_lines(schedule)]
        unpublished = [] if named else self._unpublished_hours()
        if unpublished:
            lines += ["", *unpublished]
        text = _with_footer("\n".join(lines), provenances)
        return [Outbound(text=text, buttons=_related("hours", "address"))]

    def _unpublished_hours(self) -> list[str]:
        """The line naming the offices whose hours no source gives (none if all are known)."""
        unknown = [_office_name(o) for o in self._kb.offices if o.schedule_id is None]
        if not unknown:
            return []
        return [
            _("Hours not published for: {offices}. Call 12367 before you go.").format(
                offices=current().format_list(unknown)
            )
        ]

    def day_line(self, schedule: Schedule, day: dt.date) -> str:
        """Whether and when an office opens on a given day, holidays included."""
        translator = current()
        opens = opens_on(schedule, day, self._calendar)
        if opens is None:
            return _(
                "The official holiday schedule for {year} is not published yet, so I cannot "
                "say for sure. On an ordinary week: {hours}. Check with 12367 before you go."
            ).format(year=day.year, hours=self.describe_schedule(schedule))
        if not opens:
            if self._calendar.day_kind(day) is DayKind.HOLIDAY:
                name = self._calendar.holiday_name(day)
                return _("Closed: statutory holiday ({holiday}).").format(
                    holiday=_(HOLIDAY_NAMES.get(name or "", name or ""))
                )
            return _("Closed that day.")
        sessions = sessions_on(schedule, day, self._calendar)
        times = translator.format_list(
            [
                f"{translator.format_time(s.opens)}–{translator.format_time(s.closes)}"
                for s in sessions
            ]
        )
        if self._calendar.day_kind(day) is DayKind.ADJUSTED_WORKDAY:
            return _("Open: {times} (an official adjusted working day).").format(times=times)
        return _("Open: {times}.").format(times=times)

    def _lunch_lines(self, schedule: Schedule) -> list[str]:
        translator = current()
        daily = schedule.sessions_on(schedule.weekdays[0])
        return [
            _("Closed for lunch from {start} to {end}.").format(
                start=translator.format_time(first.closes),
                end=translator.format_time(second.opens),
            )
            for first, second in itertools.pairwise(daily)
        ]

    # Places ------------------------------------------------------------------------------

    def office_card(self, office: Office, now: dt.datetime) -> list[Outbound]:
        """One office: names, the Chinese address for a taxi, hours, phone, map."""
        lines = [_office_name(office)]
        if office.name.zh:
            lines.append(office.name.zh)
        if office.address.en:
            lines.append(_("Address: {address}").format(address=office.address.en))
        if office.address.zh:
            lines.append(_("For the taxi driver: {address}").format(address=office.address.zh))
        if not office.address.en and not office.address.zh:
            lines.append(_("The address is not published. Call 12367 before you go."))
        if office.subway:
            lines.append(_("Subway: {directions}").format(directions=_(office.subway)))
        if office.schedule_id is not None:
            lines.append(
                _("Hours: {hours}").format(
                    hours=self.describe_schedule(self._kb.schedules[office.schedule_id])
                )
            )
            lines.append(self.status_line(office, now))
        if office.phones:
            lines.append(_("Phone: {phones}").format(phones=", ".join(office.phones)))
        lines.append(_pr_line(office))
        lines += [_(note) for note in office.notes]
        text = _with_footer("\n".join(lines), (office.provenance,))
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

    def _address(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        named = offices_named(query, self._kb.offices)
        if named:
            return [m for office in named for m in self.office_card(office, now)]
        main = self._kb.main_office
        messages = self.office_card(main, now)
        messages.append(self.office_list(None))
        return messages

    def office_list(self, service: str | None) -> Outbound:
        """The other offices (or only those offering a service), each a button to its card."""
        try:
            wanted = Service(service) if service else None
        except ValueError:
            wanted = None
        main = self._kb.main_office
        if wanted is Service.FIRST_APPLICATION:
            offices = [o for o in self._kb.offices if wanted in o.services]
            lines = [_("Offices that take first applications for permanent residence:")]
        else:
            offices = [o for o in self._kb.offices if o is not main]
            lines = [_("Other exit-entry service centres:")]
        for office in offices:
            where = office.address.en or _("address not published")
            lines.append(f"• {_office_name(office)}{_colon()}{where}{_stop()}{_pr_line(office)}")
        lines.append("")
        lines.append(
            _(
                "Send /address again at any time; for an office without a published "
                "address, call 12367."
            )
        )
        text = _with_footer("\n".join(lines), (o.provenance for o in offices))
        rows: list[tuple[Button, ...]] = [
            (Button("📍 " + _office_name(o), f"oc:{o.id}"),)
            for o in offices
            if o.address.en or o.address.zh
        ]
        if wanted is Service.FIRST_APPLICATION:
            rows.append((Button(_("📋 All offices"), "of:"),))
        else:
            rows.append(
                (Button(_("🎯 Only offices taking first applications"), "of:first_application"),)
            )
        return Outbound(text=text, buttons=(*rows, *_related("hours", "open_now")))

    def office(self, office_id: str, now: dt.datetime) -> list[Outbound]:
        """One office's card; empty if there is no such office."""
        found = next((o for o in self._kb.offices if o.id == office_id), None)
        return self.office_card(found, now) if found is not None else []

    # Rules -------------------------------------------------------------------------------

    def _rule_answer(
        self,
        heading: str,
        rule_ids: Sequence[str],
        fee_ids: Sequence[str],
        related: Sequence[str],
    ) -> list[Outbound]:
        rules = [self._kb.rules[r] for r in rule_ids if r in self._kb.rules]
        lines = [heading, ""]
        lines += [f"• {_(rule.text)}" for rule in rules]
        if fee_ids:
            lines.append("")
            lines += [f"• {self.fee_line(f)}" for f in fee_ids]
        offices = [o for o in self._kb.offices if Service.RENEWAL in o.services]
        if "renewal" in related and offices:
            lines.append("")
            lines.append(
                _("Where: {offices}.").format(
                    offices=current().format_list([_office_name(o) for o in offices])
                )
            )
        provenances = [r.provenance for r in rules]
        provenances += [self._kb.fee(f).provenance for f in fee_ids]
        text = _with_footer("\n".join(lines), provenances)
        return [Outbound(text=text, buttons=_related(*related))]

    def _renewal(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        return self._rule_answer(
            _("Renewing your card:"),
            ("renewal_window", "validity", "minor_card", "renewal_documents"),
            ("renewal",),
            ("renewal", "documents", "address", "hours"),
        )

    def _change(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        return self._rule_answer(
            _("Changing details on your card:"),
            ("change_window", "change_items", "renewal_documents"),
            ("renewal",),
            ("renewal", "address", "hours"),
        )

    def _loss(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        return self._rule_answer(
            _("If your card is lost or damaged:"),
            ("loss_damage", "loss_procedure", "renewal_documents"),
            ("replacement",),
            ("renewal", "address", "hours"),
        )

    def _collection(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        return self._rule_answer(
            _("Collecting your card:"),
            ("collection", "collection_abroad", "issuing_authority"),
            ("issuance",),
            ("process", "address"),
        )

    def _processing_time(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        return self._rule_answer(
            _("How long it takes:"),
            ("processing_time",),
            (),
            ("process", "contact"),
        )

    def _process(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        lines = [_("How to apply, step by step:"), ""]
        lines += [f"{n}. {_(step.text)}" for n, step in enumerate(self._kb.steps, start=1)]
        lines.append("")
        lines += [f"• {self.fee_line(f)}" for f in ("application", "issuance")]
        provenances = [s.provenance for s in self._kb.steps]
        text = _with_footer("\n".join(lines), provenances)
        return [Outbound(text=text, buttons=_related("eligibility", "documents", "address"))]

    def _documents(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        lines = [_("Documents that every application needs:"), ""]
        lines += [f"• {_(rule.text)}" for rule in self._kb.documents]
        lines.append("")
        lines.append(_("Each pathway has its own list: see “Who can apply”."))
        text = _with_footer("\n".join(lines), (r.provenance for r in self._kb.documents))
        return [Outbound(text=text, buttons=_related("eligibility", "process"))]

    def _eligibility(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        general = next((p for p in self._kb.pathways if p.id == "general"), None)
        lines = [_("Who can get permanent residence in Beijing:"), ""]
        if general is not None:
            lines.append(_(general.summary))
            lines += [f"• {_(c)}" for c in general.conditions]
            lines.append("")
        lines.append(
            _(
                "There are {count} pathways, for example through family, work, talent, "
                "investment or Chinese origin."
            ).format(count=len(self._kb.pathways) - 1)
        )
        lines.append(
            _(
                "The authorities decide each case. Ask 12367 or a service centre "
                "before you prepare documents."
            )
        )
        provenances = [general.provenance] if general is not None else []
        text = _with_footer("\n".join(lines), provenances)
        buttons = (
            (Button(_("🧭 Which pathways may fit me?"), "elig"),),
            (Button(_("📚 All pathways"), "pwl:0"),),
            *_related("documents", "process"),
        )
        return [Outbound(text=text, buttons=buttons)]

    def pathway(self, pathway_id: str, now: dt.datetime) -> list[Outbound]:
        """One pathway in full: summary, conditions, documents, notes and sources."""
        pathway = next((p for p in self._kb.pathways if p.id == pathway_id), None)
        if pathway is None:
            return []
        lines = [_(pathway.title), "", _(pathway.summary), "", _("Conditions:")]
        lines += [f"• {_(c)}" for c in pathway.conditions]
        if pathway.documents:
            lines += ["", _("Documents:")]
            lines += [f"• {_(d)}" for d in pathway.documents]
        if pathway.notes:
            lines += ["", _("Good to know:")]
            lines += [f"• {_(n)}" for n in pathway.notes]
        lines += [
            "",
            _(
                "The authorities decide each case. Ask 12367 or a service centre "
                "before you prepare documents."
            ),
        ]
        text = _with_footer("\n".join(lines), (pathway.provenance,))
        buttons = ((Button(_("📚 All pathways"), "pwl:0"),), *_related("documents", "process"))
        return [Outbound(text=text, buttons=buttons)]

    def pathway_list(self, page: int, size: int) -> Outbound:
        """A page of pathway buttons with previous and next."""
        pathways = [p for p in self._kb.pathways if p.id != "general"]
        pages = max((len(pathways) + size - 1) // size, 1)
        page = min(page, pages - 1)
        shown = pathways[page * size : (page + 1) * size]
        rows: list[tuple[Button, ...]] = [(Button(_(p.title), f"pw:{p.id}"),) for p in shown]
        paging = []
        if page > 0:
            paging.append(Button(_("◀ Previous"), f"pwl:{page - 1}"))
        if page < pages - 1:
            paging.append(Button(_("Next ▶"), f"pwl:{page + 1}"))
        if paging:
            rows.append(tuple(paging))
        rows.append((Button(_("🧭 Which pathways may fit me?"), "elig"),))
        text = _("Permanent-residence pathways (page {page} of {pages}). Choose one:").format(
            page=page + 1, pages=pages
        )
        return Outbound(text=text, buttons=tuple(rows))

    def eligibility_result(
        self, fits: list[str], near: list[CheckRule], now: dt.datetime
    ) -> list[Outbound]:
        """The pathways that may fit, each with its conditions; or the closest and its gap."""
        by_id = {p.id: p for p in self._kb.pathways}
        general = by_id.get("general")
        lines: list[str] = []
        provenances = []
        shown = [by_id[f] for f in fits if f in by_id]
        if shown:
            lines.append(_("Pathways that may fit you:"))
            for pathway in shown:
                provenances.append(pathway.provenance)
                lines += ["", f"✅ {_(pathway.title)}", _(pathway.summary)]
                lines += [f"• {_(c)}" for c in pathway.conditions]
        elif near:
            lines.append(_("No pathway fits your answers exactly. The closest:"))
            for rule in near:
                pathway = by_id[rule.pathway]
                provenances.append(pathway.provenance)
                lines += ["", f"➖ {_(pathway.title)}"]
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
        if general is not None:
            lines += ["", _("Every applicant must also meet the general conditions:")]
            lines += [f"• {_(c)}" for c in general.conditions]
            provenances.append(general.provenance)
        lines += [
            "",
            _(
                "Next: open a pathway below for its documents, then confirm with the 12367 "
                "hotline or a service centre. The authorities decide; this check is not a "
                "decision."
            ),
        ]
        text = _with_footer("\n".join(lines), provenances)
        targets = shown or [by_id[r.pathway] for r in near]
        rows = tuple((Button("📄 " + _(p.title), f"pw:{p.id}"),) for p in targets)
        buttons = (*rows, (Button(_("📚 All pathways"), "pwl:0"),), (_menu_button(),))
        return [Outbound(text=text, buttons=buttons)]

    def _contact(self, now: dt.datetime, query: str = "") -> list[Outbound]:
        lines = [_("Official contacts:"), ""]
        for contact in self._kb.contacts.values():
            lines.append(f"• {_(contact.title)}{_colon()}{contact.value}")
            lines.append(f"  {_(contact.text)}")
        text = _with_footer("\n".join(lines), (c.provenance for c in self._kb.contacts.values()))
        return [Outbound(text=text, buttons=_related("address", "hours"))]


def _related(*topics: str) -> tuple[tuple[Button, ...], ...]:
    """Buttons to related topics (two per row) and back to the menu."""
    buttons = [Button(_(TOPIC_LABELS[Topic(t)]), f"t:{t}") for t in topics]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((_menu_button(),))
    return tuple(rows)


def _menu_button() -> Button:
    return Button(_("☰ Main menu"), "menu")


def _cjk() -> bool:
    """Chinese and Japanese text takes full-width punctuation and no spaces between sentences."""
    return current().language in ("zh", "ja")


def _gap() -> str:
    return "" if _cjk() else " "


def _colon() -> str:
    return "：" if _cjk() else ": "


def _stop() -> str:
    return "。" if _cjk() else ". "


def _office_name(office: Office) -> str:
    """The short name of an office for lists, in the current language."""
    return _(office.label)


def _pr_line(office: Office) -> str:
    if office.pr_applications is PrAcceptance.YES:
        return _("Takes first applications for permanent residence.")
    if office.pr_applications is PrAcceptance.RESTRICTED:
        return _("Takes permanent-residence applications only in some cases (see notes).")
    return _("Whether it takes permanent-residence applications is not published.")


def _day_range(weekdays: Sequence[int]) -> str:
    translator = current()
    days = sorted(weekdays)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return _("{first} to {last}").format(
            first=translator.format_weekday(days[0]), last=translator.format_weekday(days[-1])
        )
    return translator.format_list([translator.format_weekday(d) for d in days])


def _status_text(status: OpeningStatus) -> str:
    translator = current()
    if status.reason == "unknown" and status.closes_at is not None:
        return _(
            "On an ordinary week it is open now, until {time}, but the official holiday "
            "schedule for this year is not published yet: check with 12367 before you go."
        ).format(time=translator.format_time(status.closes_at.timetz().replace(tzinfo=None)))
    if status.open_now and status.closes_at is not None:
        return _("Open now, until {time}.").format(
            time=translator.format_time(status.closes_at.timetz().replace(tzinfo=None))
        )
    reasons = {
        "lunch": _("Closed now for lunch."),
        "before": _("Closed now: not open yet today."),
        "after": _("Closed now: closed for the day."),
        "sunday": _("Closed now: closed on Sundays."),
        "holiday": _("Closed now: statutory holiday."),
        "day_off": _("Closed today."),
    }
    text = reasons.get(status.reason, _("Closed now."))
    if status.next_opening is not None:
        local = status.next_opening
        text += _gap() + _("Next opening: {weekday} {date}, {time}.").format(
            weekday=translator.format_weekday(local.weekday()),
            date=translator.format_date(local.date()),
            time=translator.format_time(local.time()),
        )
    if not status.calendar_known:
        text += _gap() + _(
            "The official holiday schedule for that time is not published yet, "
            "so check with 12367 before you go."
        )
    return text
