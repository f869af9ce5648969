"""Answers composed from the knowledge base, in the current language, each with its source.

One module per subject (fees, opening hours, offices, card rules, the application, pathways,
reminders); :data:`TOPICS` maps each menu topic to the function that answers it, and
:class:`KnowledgeAnswers` puts them behind the core's Answers port.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

from bot.core import payloads
from bot.core.eligibility import CheckRule
from bot.core.memo import Memo
from bot.core.menu import Topic
from bot.core.ports import Subscription
from bot.core.text import _, current
from bot.core.types import Attachment, Outbound
from bot.knowledge.answers import (
    authorities,
    card,
    counter,
    fees,
    offices,
    opening,
    pathways,
    process,
    reminders,
)
from bot.knowledge.answers.common import (
    MAX_SOURCES,
    Context,
    Details,
    TopicAnswer,
    sources_footer,
    with_footer,
)
from bot.knowledge.answers.offices import MAP_SEARCH
from bot.knowledge.answers.reminders import LABELS, card_rules, label_text
from bot.knowledge.hours import HolidayCalendar
from bot.knowledge.model import KnowledgeBase, Office, Schedule
from bot.knowledge.query import Lexicon

__all__ = [
    "DETAILS",
    "LABELS",
    "MAP_SEARCH",
    "MAX_SOURCES",
    "TOPICS",
    "Context",
    "KnowledgeAnswers",
    "TopicAnswer",
    "card_rules",
    "label_text",
    "sources_footer",
]

ANSWER_MEMO = 128  # answers kept within a minute (a few kB each)
MEMO_QUERY = 200  # characters: an answer to a longer question is composed every time

#: Every menu topic and the function that answers it.
TOPICS: Mapping[str, TopicAnswer] = MappingProxyType(
    {
        Topic.FEES: fees.fees,
        Topic.HOURS: opening.hours,
        Topic.OPEN_NOW: opening.open_now,
        Topic.ADDRESS: offices.address,
        Topic.ELIGIBILITY: pathways.eligibility,
        Topic.RENEWAL: card.with_expiry_window(counter.with_counter(card.renewal, "renewal")),
        Topic.CHANGE: counter.with_counter(card.change, "change"),
        Topic.LOSS: counter.with_counter(card.loss, "loss"),
        Topic.PROCESS: counter.with_counter(process.process, "first_application"),
        Topic.COLLECTION: card.collection,
        Topic.DOCUMENTS: process.documents,
        Topic.PROCESSING_TIME: card.processing_time,
        Topic.CONTACT: offices.contact,
        Topic.AUTHORITY: authorities.authority,
        Topic.WHERE_TO_APPLY: authorities.where_to_apply,
        Topic.STATUS: card.status,
    }
)


#: The topics with details one tap away (`more:<topic>:<section>`), and the function showing
#: a section; "office" shows the rest of an office's card (`more:office:<office id>`),
#: "pathway" a pathway in full and "pdocs" all of its documents (`more:pdocs:<pathway id>`).
DETAILS: Mapping[str, Details] = MappingProxyType(
    {
        Topic.HOURS: opening.hours_details,
        Topic.OPEN_NOW: opening.open_now_details,
        payloads.OFFICE_DETAILS: offices.office_details,
        Topic.RENEWAL: card.renewal_details,
        Topic.CHANGE: card.change_details,
        Topic.LOSS: card.loss_details,
        Topic.COLLECTION: card.collection_details,
        Topic.PROCESSING_TIME: card.processing_time_details,
        Topic.PROCESS: process.process_details,
        Topic.DOCUMENTS: process.documents_details,
        Topic.CONTACT: offices.contact_details,
        Topic.AUTHORITY: authorities.authority_details,
        Topic.WHERE_TO_APPLY: authorities.where_to_apply_details,
        Topic.STATUS: card.status_details,
        payloads.PATHWAY_DETAILS: pathways.pathway_details,
        payloads.PATHWAY_DOCUMENTS_DETAILS: authorities.documents_details,
    }
)


class KnowledgeAnswers:
    """Implements the core's Answers port over a loaded knowledge base."""

    def __init__(
        self, knowledge: KnowledgeBase, calendar: HolidayCalendar, lexicon: Lexicon
    ) -> None:
        self.card_rules = card_rules(knowledge)
        self._context = Context(knowledge, calendar, lexicon, self.card_rules)
        # Answers composed this minute. An answer depends on the facts (fixed for the life of
        # the process), the topic, the question typed, the language and the moment; and on
        # the moment only to the minute (times are said as HH:MM; opening and closing times
        # are whole minutes), so within one minute the same question in the same language
        # gets the same answer. Cleared when the minute changes: nothing from an earlier
        # minute (or day) is ever shown.
        whole_minutes = all(
            moment.second == 0 and moment.microsecond == 0
            for schedule in knowledge.schedules.values()
            for session in schedule.sessions
            for moment in (session.opens, session.closes)
        )
        self.memo: Memo[tuple[object, ...], tuple[object, list[Outbound]]] = Memo(
            ANSWER_MEMO if whole_minutes else 0
        )
        self._minute: dt.datetime | None = None

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge base answered from."""
        return self._context.knowledge

    def topic(self, topic: str, now: dt.datetime, query: str = "") -> list[Outbound]:
        """The answer to one topic; `query` is the user's question, if they typed one."""
        return self._memoised("topic", topic, query, now, TOPICS[topic])

    def details(self, topic: str, section: str, now: dt.datetime) -> list[Outbound]:
        """One section of a topic's details; empty if there is no such topic or section."""
        shown = DETAILS.get(topic)
        return self._memoised("details", topic, section, now, shown) if shown is not None else []

    def _memoised(
        self,
        kind: str,
        topic: str,
        query: str,
        now: dt.datetime,
        compose: TopicAnswer | Details,
    ) -> list[Outbound]:
        """`compose(context, now, query)`, or the same answer composed earlier this minute
        for the same topic, question and language."""
        if len(query) > MEMO_QUERY:
            return compose(self._context, now, query)
        minute = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
        if minute != self._minute:
            self.memo.clear()
            self._minute = minute
        translator = current()
        key = (kind, topic, query, id(translator))
        found = self.memo.get(key)
        if found is not None and found[0] is translator:
            return list(found[1])
        messages = compose(self._context, now, query)
        # the translator is kept with the answer, so its id names it as long as it is kept
        self.memo.put(key, (translator, list(messages)))
        return messages

    def elsewhere(self) -> str:
        """Where to ask about visas and residence permits, with its sources."""
        rule = self.knowledge.rules["other_matters"]
        return with_footer(_(rule.text), (rule.provenance,))

    # Reminders ---------------------------------------------------------------------------

    def calendar_file(self, event_kind: str, event_date: dt.date, label: str) -> Attachment:
        """The application window as an .ics file."""
        return reminders.calendar_file(self._context, event_kind, event_date, label)

    def reminder(self, kind: str, subscription: Subscription, now: dt.datetime) -> list[Outbound]:
        """A reminder: what is due, what to bring, where and when, the fee, the source."""
        return reminders.reminder(self._context, kind, subscription)

    def renewal_now(
        self, event_kind: str, event_date: dt.date, now: dt.datetime
    ) -> list[Outbound]:
        """The deadline is near or past: go now, with where, when, the fee and 12367."""
        return reminders.renewal_now(self._context, event_kind, event_date, now)

    def counter(self, kind: str, dates: Mapping[str, dt.date]) -> list[Outbound]:
        """The Chinese text to show at the counter; empty for an unknown kind."""
        return counter.counter_card(self._context, kind, dates)

    # Fees and hours ----------------------------------------------------------------------

    def fee_line(self, fee_id: str) -> str:
        """One fee as `title: amount per person`."""
        return fees.fee_line(self.knowledge, fee_id)

    def describe_schedule(self, schedule: Schedule) -> str:
        """`Monday to Friday, 08:30–17:30; Saturday, 08:30–12:30`: equal days grouped."""
        return opening.describe_schedule(schedule)

    def status_line(self, office: Office, now: dt.datetime) -> str:
        """`Open now, until 17:00` or `Closed now. Opens Monday 09:00.` for one office."""
        return opening.status_line(self._context, office, now)

    def day_line(self, schedule: Schedule, day: dt.date) -> str:
        """Whether and when an office opens on a given day, holidays included."""
        return opening.day_line(self._context.calendar, schedule, day)

    # Places ------------------------------------------------------------------------------

    def office_card(self, office: Office, now: dt.datetime) -> list[Outbound]:
        """One office: names, the Chinese address for a taxi, hours, phone, map."""
        return offices.office_card(self._context, office, now)

    def office_list(self, service: str | None) -> Outbound:
        """The other offices (or only those offering a service), each a button to its card."""
        return offices.office_list(self.knowledge, service)

    def office(self, office_id: str, now: dt.datetime) -> list[Outbound]:
        """One office's card; empty if there is no such office."""
        return offices.office(self._context, office_id, now)

    # Pathways ----------------------------------------------------------------------------

    def pathway(self, pathway_id: str, now: dt.datetime, query: str = "") -> list[Outbound]:
        """One pathway in full; a length of time in `query` is held against its minimums."""
        lengths = self._context.lexicon.lengths(query) if query else {}
        return pathways.pathway(self.knowledge, pathway_id, lengths)

    def pathway_documents(self, pathway_id: str, now: dt.datetime) -> list[Outbound]:
        """One pathway's documents; empty if there is no such pathway."""
        return authorities.documents_of(self.knowledge, pathway_id)

    def document_category(self, category: str, now: dt.datetime) -> list[Outbound]:
        """A category's documents, or its pathways to choose from; empty if unknown."""
        return authorities.category(self.knowledge, category)

    def pathway_choice(self, pathway_ids: list[str]) -> Outbound:
        """A question to decide between pathways a message may describe, as their buttons."""
        return pathways.pathway_choice(self.knowledge, pathway_ids)

    def pathway_list(self, page: int, size: int) -> Outbound:
        """A page of pathway buttons with previous and next."""
        return pathways.pathway_list(self.knowledge, page, size)

    def eligibility_result(
        self, fits: list[str], near: list[CheckRule], now: dt.datetime
    ) -> list[Outbound]:
        """The pathways that may fit, each with its conditions; or the closest and its gap."""
        return pathways.eligibility_result(self.knowledge, fits, near)
