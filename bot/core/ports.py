"""Ports: what the core needs from the outside world, as Protocols injected at start-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.types import Attachment, Outbound


class Clock(Protocol):
    """The current time. Tests inject a clock that moves only when told."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current UTC time."""
        return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class Conversation:
    """What is stored about one chat: its language and where it is in the dialogue."""

    channel: str
    chat_id: str
    language: str | None = None
    state: str = "main"
    data: dict[str, Any] = field(default_factory=dict)
    paused: bool = False  # read only: the user had blocked the bot (see pause_chat)


class Meter(Protocol):
    """Counts what happens, for /metrics (bot.metrics); the core never sees Prometheus."""

    def update_handled(self, channel: str, outcome: str, seconds: float) -> None:
        """One update was handled (outcome "ok" or "failed") in `seconds`."""
        ...

    def send_error(self, channel: str, kind: str) -> None:
        """Sending a reply part or a reminder failed (kind: retry_after, blocked, ...)."""
        ...

    def reminder(self, outcome: str, count: int = 1) -> None:
        """Reminders were sent, failed (to be retried or blocked) or skipped."""
        ...

    def database_error(self) -> None:
        """The store raised StoreError."""
        ...


class NullMeter:
    """Counts nothing (tests, the console)."""

    def update_handled(self, channel: str, outcome: str, seconds: float) -> None:
        """Nothing."""

    def send_error(self, channel: str, kind: str) -> None:
        """Nothing."""

    def reminder(self, outcome: str, count: int = 1) -> None:
        """Nothing."""

    def database_error(self) -> None:
        """Nothing."""


class StoreError(Exception):
    """The store could not read or write."""


class DuplicateUpdate(Exception):
    """The unit of work's update had been handled before: it was rolled back.

    A store may record an update id without waiting for the answer (`remember_update`
    returns True) when the database can only tell at the next statement or at the commit;
    it then raises this from there, and the update must be ignored, not answered.
    """


class ConversationStore(Protocol):
    """Conversation state and update deduplication."""

    async def load_conversation(self, channel: str, chat_id: str) -> Conversation | None:
        """The stored conversation of a chat, if any. A paused chat (`pause_chat`) always has
        one, with `paused` set, so a chat without one needs no `resume_chat`."""
        ...

    async def save_conversation(self, conversation: Conversation, now: dt.datetime) -> None:
        """Insert or update a conversation."""
        ...

    async def remember_update(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an update id; False if it was seen before. Inside a unit of work a store
        may answer True at once and raise DuplicateUpdate later in the unit instead."""
        ...

    async def delete_chat(self, channel: str, chat_id: str) -> None:
        """Erase everything stored about a chat."""
        ...


class Answers(Protocol):
    """Factual answers composed from the knowledge base in the current language."""

    def topic(self, topic: str, now: dt.datetime, query: str = "") -> list[Outbound]:
        """The answer to one topic; `query` is the question typed, if any."""
        ...

    def details(self, topic: str, section: str, now: dt.datetime) -> list[Outbound]:
        """One section of a topic's details (other offices, sources, documents...), as a reply
        that replaces the short answer; empty if the topic has no such section."""
        ...

    def calendar_file(self, event_kind: str, event_date: dt.date, label: str) -> Attachment:
        """The application window as an iCalendar (.ics) file for phone calendars."""
        ...

    def reminder(self, kind: str, subscription: Subscription, now: dt.datetime) -> list[Outbound]:
        """A reminder message: what to do, where, when, the fee and the source."""
        ...

    def counter(self, kind: str, dates: Mapping[str, dt.date]) -> list[Outbound]:
        """The Chinese text to show at the counter for an errand (renewal, change, loss,
        first_application), with the dates a reminder knows ("expiry", "change"); empty for
        an unknown errand."""
        ...

    def office_list(self, service: str | None) -> Outbound:
        """The offices, optionally only those offering a service, as buttons to their cards."""
        ...

    def office(self, office_id: str, now: dt.datetime) -> list[Outbound]:
        """One office's card (address for a taxi, map, hours); empty if there is none."""
        ...

    def pathway(self, pathway_id: str, now: dt.datetime, query: str = "") -> list[Outbound]:
        """One eligibility pathway in full; empty if there is no such pathway.

        `query` is the question that led to it: a length of time it states ("married 3
        years") is held against the pathway's minimums, saying what is missing.
        """
        ...

    def pathway_documents(self, pathway_id: str, now: dt.datetime) -> list[Outbound]:
        """One pathway's documents; empty if there is no such pathway."""
        ...

    def document_category(self, category: str, now: dt.datetime) -> list[Outbound]:
        """A category's documents (spouse, work...), or its pathways to choose from."""
        ...

    def pathway_choice(self, pathway_ids: list[str]) -> Outbound:
        """A question to decide between pathways a message may describe, as their buttons."""
        ...

    def pathway_list(self, page: int, size: int) -> Outbound:
        """A page of the pathway list as buttons, with previous/next."""
        ...

    def eligibility_result(
        self, fits: list[str], near: list[Any], now: dt.datetime
    ) -> list[Outbound]:
        """The check's result: pathways that may fit, or the closest and what it lacks."""
        ...

    def renewal_now(
        self, event_kind: str, event_date: dt.date, now: dt.datetime
    ) -> list[Outbound]:
        """What to do when the deadline is near or past: go now, where, the fee, 12367."""
        ...

    def elsewhere(self) -> str:
        """Where to ask about matters the bot does not cover (visas, residence permits)."""
        ...


@dataclass(frozen=True, slots=True)
class Subscription:
    """A renewal reminder subscription: whose card, which event, which date."""

    id: int
    channel: str
    chat_id: str
    label: str  # a code from the wizard's buttons: self, spouse, child, family
    event_kind: str  # "expiry" or "change"
    event_date: dt.date
    active: bool = True
    failures: int = 0


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """A reminder to store: its kind, when it is due, when it becomes pointless (UTC)."""

    kind: str
    due_at: dt.datetime
    stale_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ClaimedReminder:
    """A due reminder claimed for sending, with what is needed to compose it."""

    id: int
    kind: str
    due_at: dt.datetime
    attempts: int
    subscription: Subscription
    language: str | None
    parts_sent: int = 0  # parts (text, calendar file) already delivered by an earlier attempt


@dataclass(frozen=True, slots=True)
class ReminderRecord:
    """One planned reminder as stored, for showing a user their data."""

    kind: str
    due_at: dt.datetime
    status: str  # pending, claimed, sent, skipped or cancelled
    sent_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    """A subscription (active or stopped) with when it was set up and all its reminders."""

    subscription: Subscription
    created_at: dt.datetime
    reminders: tuple[ReminderRecord, ...]


@dataclass(frozen=True, slots=True)
class Rating:
    """A chat's "was this helpful?" answer on a topic."""

    topic: str
    helpful: bool
    rated_at: dt.datetime


class SubscriptionStore(Protocol):
    """Subscriptions and their reminder rows: the only source of truth for reminders."""

    async def add_subscription(
        self,
        channel: str,
        chat_id: str,
        label: str,
        event_kind: str,
        event_date: dt.date,
        reminders: list[PlannedRow],
        now: dt.datetime,
    ) -> Subscription:
        """Store a subscription and its reminders in one transaction."""
        ...

    async def replace_schedule(
        self,
        subscription_id: int,
        channel: str,
        chat_id: str,
        event_kind: str,
        event_date: dt.date,
        reminders: list[PlannedRow],
    ) -> Subscription | None:
        """New event date and reminders for one of the chat's own subscriptions."""
        ...

    async def subscriptions(self, channel: str, chat_id: str) -> list[Subscription]:
        """The chat's active subscriptions, oldest first."""
        ...

    async def subscription_history(self, channel: str, chat_id: str) -> list[SubscriptionRecord]:
        """Every subscription the chat has, stopped ones too, oldest first; each with all its
        reminders (sent, pending, skipped, cancelled) by due time."""
        ...

    async def next_due(self, subscription_id: int) -> dt.datetime | None:
        """When the subscription's next pending reminder is due."""
        ...

    async def cancel_subscription(self, channel: str, chat_id: str, subscription_id: int) -> bool:
        """Deactivate one of the chat's own subscriptions; False if it is not theirs."""
        ...

    async def release_claims(self, claimed_before: dt.datetime) -> int:
        """Put back claims older than `claimed_before` (their sender died): at-least-once."""
        ...

    async def skip_stale(self, now: dt.datetime) -> int:
        """Skip due reminders that became pointless or were overtaken by a later due one."""
        ...

    async def claim_due(self, now: dt.datetime, limit: int) -> list[ClaimedReminder]:
        """Claim up to `limit` due reminders, oldest first, in one transaction."""
        ...

    async def soonest_due(self) -> dt.datetime | None:
        """When the soonest pending reminder falls due (its `not_before`; chats that blocked
        the bot left out, as `claim_due` leaves them), or None when none is pending."""
        ...

    async def mark_sent(self, reminder_id: int, now: dt.datetime) -> None:
        """The reminder was delivered; also resets the subscription's failure count."""
        ...

    async def retry_later(self, reminder_id: int, not_before: dt.datetime) -> None:
        """Delivery failed for a passing reason: try again from `not_before`."""
        ...

    async def record_blocked(
        self, reminder_id: int, not_before: dt.datetime, max_failures: int
    ) -> bool:
        """The user blocked the bot: count it; deactivate after `max_failures` in a row."""
        ...

    async def hold_claim(self, reminder_id: int, attempts: int, now: dt.datetime) -> bool:
        """Renew this process's claim (its lease starts again at `now`) before sending.

        False when the reminder is no longer claimed with this `attempts` count: its lease
        ran out and another process claimed it (or it was cancelled), so this one must not
        send it.
        """
        ...

    async def mark_part_sent(self, reminder_id: int, parts_sent: int) -> None:
        """Record that the first `parts_sent` parts of a claimed reminder were delivered."""
        ...

    async def pause_chat(self, channel: str, chat_id: str, now: dt.datetime) -> None:
        """The user blocked the bot: hold the chat's reminders until they write again."""
        ...

    async def resume_chat(self, channel: str, chat_id: str) -> bool:
        """The user wrote again: release held reminders; True if the chat was paused."""
        ...


@dataclass(frozen=True, slots=True)
class TopicStats:
    """How often a topic was answered and how it was rated."""

    topic: str
    asked: int
    helpful: int
    unhelpful: int


class FeedbackStore(Protocol):
    """Counters and ratings that show where the answers need work."""

    async def count_topic(self, topic: str) -> None:
        """One more answer on this topic."""
        ...

    async def record_feedback(
        self, channel: str, chat_id: str, topic: str, helpful: bool, now: dt.datetime
    ) -> None:
        """The chat's rating of a topic (a later rating replaces an earlier one)."""
        ...

    async def ratings(self, channel: str, chat_id: str) -> list[Rating]:
        """The chat's ratings, one per topic (the latest), oldest first."""
        ...

    async def record_unplaced(self, text: str, language: str | None, now: dt.datetime) -> None:
        """A question the bot could not place, without the chat's identity."""
        ...

    async def topic_stats(self) -> list[TopicStats]:
        """Counts per topic, most asked first."""
        ...

    async def unplaced(self, limit: int) -> list[tuple[str, str | None, str]]:
        """The latest unplaced questions as (created_at, language, text)."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One platform message waiting to be sent, in the order it was written."""

    id: int
    channel: str
    chat_id: str
    payload: str  # an Outbound part, encoded by bot.core.render.encode_part
    not_before: dt.datetime
    attempts: int
    # the end of the lease its holder was handed it with (a shared store), by the database's
    # clock: it tells the holder's claim apart from a later one (see DeliveryStore.outbox_hold)
    lease: dt.datetime | None = None


class DeliveryStore(Protocol):
    """The durable edges of the runtime: fetched updates in, replies out, one unit of work."""

    @property
    def exclusive(self) -> bool:
        """True when this process is the only one using the store (SQLite with its lock)."""
        ...

    def unit_of_work(self) -> AbstractAsyncContextManager[None]:
        """Everything the store does inside the block commits together, or not at all."""
        ...

    async def inbox_add(
        self, channel: str, items: list[tuple[str, str]], now: dt.datetime
    ) -> None:
        """Keep fetched updates as (update_id, raw JSON) until handled; repeats are ignored."""
        ...

    async def inbox_pending(
        self, channel: str, limit: int, received_before: dt.datetime | None = None
    ) -> list[tuple[str, str]]:
        """Updates fetched but not handled yet, in arrival order; with `received_before`,
        only those received earlier (a shared store: newer ones are another replica's)."""
        ...

    async def lock_chat(self, channel: str, chat_id: str) -> None:
        """Inside a unit of work: hold the chat until it ends, against other replicas (a no-op
        for a store only one process uses)."""
        ...

    async def inbox_remove(self, channel: str, update_id: str) -> None:
        """The update was handled (or cannot be): forget it."""
        ...

    async def outbox_add(
        self, channel: str, chat_id: str, payloads: list[str], now: dt.datetime
    ) -> None:
        """Queue encoded message parts for a chat, in order."""
        ...

    async def outbox_pending(self, channel: str, limit: int) -> list[OutboxItem]:
        """Queued parts of a channel, oldest first, including those waiting for a retry."""
        ...

    @property
    def outbox_lease(self) -> dt.timedelta | None:
        """How long outbox_pending leases the parts it hands out (a shared store); None when
        one process uses the store and parts need no lease."""
        ...

    async def outbox_hold(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Renew the lease of parts this caller was handed and has not sent yet.

        The parts returned are still the caller's, with their new lease. A part left out is
        not: its lease ran out and another replica took it, or it is gone; the caller must
        not send it. A store without leases returns them all.
        """
        ...

    async def outbox_done(self, item_id: int) -> None:
        """The platform accepted the part."""
        ...

    async def outbox_retry(self, item_id: int, not_before: dt.datetime) -> None:
        """Sending failed for a passing reason: try again from `not_before`."""
        ...

    async def outbox_drop(self, item_id: int) -> None:
        """The part can never be delivered (the chat is gone or the request is invalid)."""
        ...

    async def outbox_waiting(self, channel: str, chat_id: str) -> bool:
        """True while replies to this chat wait to be sent (a reminder then waits too)."""
        ...


class Store(ConversationStore, SubscriptionStore, FeedbackStore, DeliveryStore, Protocol):
    """Everything the engine and the reminder loop keep: one SQLite file in production."""

    async def open(self) -> None:
        """Connect and bring the schema up to date."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...

    async def ready(self) -> bool:
        """True when the database answers and its schema is up to date (for /readyz)."""
        ...

    async def pending_reminders(self) -> int:
        """How many reminders wait to be sent (a cheap count, for /metrics)."""
        ...
