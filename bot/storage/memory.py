"""The in-memory twin of the SQLite store, for tests and benchmarks; same contract."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from bot.core.ports import (
    ClaimedReminder,
    Conversation,
    OutboxItem,
    PlannedRow,
    Rating,
    ReminderRecord,
    Subscription,
    SubscriptionRecord,
    TopicStats,
)


@dataclass
class _Reminder:
    id: int
    subscription_id: int
    kind: str
    due_at: dt.datetime
    stale_at: dt.datetime
    not_before: dt.datetime
    status: str = "pending"
    attempts: int = 0
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    parts_sent: int = 0


class MemoryStore:
    """Keeps everything in dictionaries; lost when the process ends."""

    def __init__(self) -> None:
        self._chats: dict[tuple[str, str], Conversation] = {}
        self._updates: set[tuple[str, str]] = set()
        self._subscriptions: dict[int, Subscription] = {}
        self._reminders: dict[int, _Reminder] = {}
        self._last_id = 0
        self._asked: dict[str, int] = {}
        self._feedback: dict[tuple[str, str, str], tuple[bool, dt.datetime]] = {}
        self._created: dict[int, dt.datetime] = {}  # subscription id -> when it was set up
        self._unplaced: list[tuple[str, str | None, str]] = []
        self._paused: set[tuple[str, str]] = set()
        self._inbox: dict[tuple[str, str], str] = {}
        self._outbox: dict[int, OutboxItem] = {}
        self._last_outbox = 0
        self._in_unit: ContextVar[bool] = ContextVar(f"memory-unit-{id(self)}", default=False)

    @property
    def exclusive(self) -> bool:
        """Only this process can see it."""
        return True

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """All or nothing: the state is restored from a snapshot when the block fails."""
        if self._in_unit.get():
            yield
            return
        token = self._in_unit.set(True)
        snapshot = copy.deepcopy({k: v for k, v in vars(self).items() if k != "_in_unit"})
        try:
            yield
        except BaseException:
            vars(self).update(snapshot)
            raise
        finally:
            self._in_unit.reset(token)

    async def open(self) -> None:
        """Nothing to open."""

    async def ready(self) -> bool:
        """Always."""
        return True

    async def lock_chat(self, channel: str, chat_id: str) -> None:
        """Nothing to do: one process."""

    async def pending_reminders(self) -> int:
        """How many reminders wait to be sent (pending or claimed)."""
        return sum(1 for r in self._reminders.values() if r.status in ("pending", "claimed"))

    async def close(self) -> None:
        """Nothing to close."""

    async def load_conversation(self, channel: str, chat_id: str) -> Conversation | None:
        """A copy of the stored conversation, so callers cannot change the store by accident
        (a paused chat always has one)."""
        stored = self._chats.get((channel, chat_id))
        paused = (channel, chat_id) in self._paused
        if stored is None:
            return Conversation(channel, chat_id, paused=True) if paused else None
        found = copy.deepcopy(stored)
        found.paused = paused
        return found

    async def save_conversation(self, conversation: Conversation, now: dt.datetime) -> None:
        """Insert or update a conversation."""
        key = (conversation.channel, conversation.chat_id)
        self._chats[key] = copy.deepcopy(conversation)

    async def remember_update(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an update id; False if it was seen before."""
        key = (channel, update_id)
        if key in self._updates:
            return False
        self._updates.add(key)
        return True

    async def delete_chat(self, channel: str, chat_id: str) -> None:
        """Erase everything stored about a chat."""
        self._chats.pop((channel, chat_id), None)
        self._paused.discard((channel, chat_id))
        for key in [k for k in self._feedback if k[:2] == (channel, chat_id)]:
            del self._feedback[key]
        for sub in [
            s for s in self._subscriptions.values() if (s.channel, s.chat_id) == (channel, chat_id)
        ]:
            del self._subscriptions[sub.id]
            self._created.pop(sub.id, None)
            for reminder in [r for r in self._reminders.values() if r.subscription_id == sub.id]:
                del self._reminders[reminder.id]

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
        """Store a subscription and its reminders."""
        self._last_id += 1
        sub = Subscription(self._last_id, channel, chat_id, label, event_kind, event_date)
        self._subscriptions[sub.id] = sub
        self._created[sub.id] = now
        self._insert(sub.id, reminders)
        return sub

    def _insert(self, subscription_id: int, reminders: list[PlannedRow]) -> None:
        for row in reminders:
            reminder_id = max(self._reminders, default=0) + 1
            self._reminders[reminder_id] = _Reminder(
                reminder_id, subscription_id, row.kind, row.due_at, row.stale_at, row.due_at
            )

    def _own(self, subscription_id: int, channel: str, chat_id: str) -> Subscription | None:
        sub = self._subscriptions.get(subscription_id)
        return (
            sub if sub is not None and (sub.channel, sub.chat_id) == (channel, chat_id) else None
        )

    def _cancel_pending(self, subscription_id: int) -> None:
        for reminder in self._reminders.values():
            if reminder.subscription_id == subscription_id and reminder.status in (
                "pending",
                "claimed",
            ):
                reminder.status = "cancelled"

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
        sub = self._own(subscription_id, channel, chat_id)
        if sub is None:
            return None
        sub = dataclasses.replace(
            sub, event_kind=event_kind, event_date=event_date, active=True, failures=0
        )
        self._subscriptions[sub.id] = sub
        self._cancel_pending(sub.id)
        self._insert(sub.id, reminders)
        return sub

    async def subscriptions(self, channel: str, chat_id: str) -> list[Subscription]:
        """The chat's active subscriptions, oldest first."""
        return sorted(
            (
                s
                for s in self._subscriptions.values()
                if (s.channel, s.chat_id) == (channel, chat_id) and s.active
            ),
            key=lambda s: s.id,
        )

    async def subscription_history(self, channel: str, chat_id: str) -> list[SubscriptionRecord]:
        """Every subscription the chat has, stopped ones too, oldest first; each with all its
        reminders (sent, pending, skipped, cancelled) by due time."""
        own = sorted(
            (
                s
                for s in self._subscriptions.values()
                if (s.channel, s.chat_id) == (channel, chat_id)
            ),
            key=lambda s: s.id,
        )
        return [
            SubscriptionRecord(
                sub,
                self._created[sub.id],
                tuple(
                    ReminderRecord(r.kind, r.due_at, r.status, r.sent_at)
                    for r in sorted(self._reminders.values(), key=lambda r: (r.due_at, r.id))
                    if r.subscription_id == sub.id
                ),
            )
            for sub in own
        ]

    async def next_due(self, subscription_id: int) -> dt.datetime | None:
        """When the subscription's next pending reminder is due."""
        due = [
            r.due_at
            for r in self._reminders.values()
            if r.subscription_id == subscription_id and r.status in ("pending", "claimed")
        ]
        return min(due) if due else None

    async def cancel_subscription(self, channel: str, chat_id: str, subscription_id: int) -> bool:
        """Deactivate one of the chat's own subscriptions; False if it is not theirs."""
        sub = self._own(subscription_id, channel, chat_id)
        if sub is None or not sub.active:
            return False
        self._subscriptions[sub.id] = dataclasses.replace(sub, active=False)
        self._cancel_pending(sub.id)
        return True

    async def release_claims(self, claimed_before: dt.datetime) -> int:
        """Put back claims older than `claimed_before`."""
        count = 0
        for reminder in self._reminders.values():
            if (
                reminder.status == "claimed"
                and reminder.claimed_at is not None
                and reminder.claimed_at < claimed_before
            ):
                reminder.status, reminder.claimed_at = "pending", None
                count += 1
        return count

    async def skip_stale(self, now: dt.datetime) -> int:
        """Skip due reminders that became pointless or were overtaken by a later due one."""
        due = [
            r for r in self._reminders.values() if r.status == "pending" and r.not_before <= now
        ]
        fresh_due = [
            r
            for r in self._reminders.values()
            if r.status == "pending" and r.due_at <= now and r.stale_at > now
        ]
        skipped = 0
        for reminder in due:
            overtaken = any(
                later.subscription_id == reminder.subscription_id
                and later.due_at > reminder.due_at
                for later in fresh_due
            )
            if reminder.stale_at <= now or overtaken:
                reminder.status = "skipped"
                skipped += 1
        return skipped

    async def claim_due(self, now: dt.datetime, limit: int) -> list[ClaimedReminder]:
        """Claim up to `limit` due reminders, oldest first."""
        due = sorted(
            (r for r in self._sendable() if r.not_before <= now),
            key=lambda r: (r.not_before, r.id),
        )[:limit]
        claimed = []
        for reminder in due:
            reminder.status, reminder.claimed_at = "claimed", now
            reminder.attempts += 1
            sub = self._subscriptions[reminder.subscription_id]
            chat = self._chats.get((sub.channel, sub.chat_id))
            claimed.append(
                ClaimedReminder(
                    reminder.id,
                    reminder.kind,
                    reminder.due_at,
                    reminder.attempts,
                    sub,
                    chat.language if chat else None,
                    reminder.parts_sent,
                )
            )
        return claimed

    def _sendable(self) -> Iterator[_Reminder]:
        """Pending reminders of chats not paused (`claim_due` and `soonest_due`)."""
        for reminder in self._reminders.values():
            if reminder.status == "pending" and self._chat_of(reminder) not in self._paused:
                yield reminder

    def _chat_of(self, reminder: _Reminder) -> tuple[str, str]:
        sub = self._subscriptions[reminder.subscription_id]
        return sub.channel, sub.chat_id

    async def hold_claim(self, reminder_id: int, attempts: int, now: dt.datetime) -> bool:
        """Renew this process's claim before sending; False if it is no longer its claim."""
        reminder = self._reminders.get(reminder_id)
        if reminder is None or reminder.status != "claimed" or reminder.attempts != attempts:
            return False
        reminder.claimed_at = now
        return True

    async def mark_part_sent(self, reminder_id: int, parts_sent: int) -> None:
        """Record that the first `parts_sent` parts of a claimed reminder were delivered."""
        self._reminders[reminder_id].parts_sent = parts_sent

    async def pause_chat(self, channel: str, chat_id: str, now: dt.datetime) -> None:
        """The user blocked the bot: hold the chat's reminders until they write again."""
        self._paused.add((channel, chat_id))

    async def resume_chat(self, channel: str, chat_id: str) -> bool:
        """The user wrote again: release held reminders; True if the chat was paused."""
        if (channel, chat_id) not in self._paused:
            return False
        self._paused.discard((channel, chat_id))
        return True

    async def inbox_add(
        self, channel: str, items: list[tuple[str, str]], now: dt.datetime
    ) -> None:
        """Keep fetched updates until handled; repeats are ignored."""
        for update_id, payload in items:
            self._inbox.setdefault((channel, update_id), payload)

    async def inbox_pending(
        self, channel: str, limit: int, received_before: dt.datetime | None = None
    ) -> list[tuple[str, str]]:
        """Updates fetched but not handled yet, in arrival order (all: it keeps no times)."""
        found = [(u, p) for (c, u), p in self._inbox.items() if c == channel]
        return found[:limit]

    async def inbox_remove(self, channel: str, update_id: str) -> None:
        """The update was handled (or cannot be): forget it."""
        self._inbox.pop((channel, update_id), None)

    async def outbox_add(
        self, channel: str, chat_id: str, payloads: list[str], now: dt.datetime
    ) -> None:
        """Queue encoded message parts for a chat, in order."""
        for payload in payloads:
            self._last_outbox += 1
            self._outbox[self._last_outbox] = OutboxItem(
                self._last_outbox, channel, chat_id, payload, now, 0
            )

    async def outbox_pending(self, channel: str, limit: int) -> list[OutboxItem]:
        """Queued parts of a channel, oldest first."""
        return [item for item in self._outbox.values() if item.channel == channel][:limit]

    @property
    def outbox_lease(self) -> dt.timedelta | None:
        """No lease: only this process sees the outbox."""
        return None

    async def outbox_hold(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Every part queued is this process's."""
        return [item for item in items if item.id in self._outbox]

    async def outbox_done(self, item_id: int) -> None:
        """The platform accepted the part."""
        self._outbox.pop(item_id, None)

    async def outbox_retry(self, item_id: int, not_before: dt.datetime) -> None:
        """Sending failed for a passing reason: try again from `not_before`."""
        item = self._outbox.get(item_id)
        if item is not None:
            self._outbox[item_id] = dataclasses.replace(
                item, not_before=not_before, attempts=item.attempts + 1
            )

    async def outbox_waiting(self, channel: str, chat_id: str) -> bool:
        """True while replies to this chat wait to be sent."""
        return any((i.channel, i.chat_id) == (channel, chat_id) for i in self._outbox.values())

    async def outbox_drop(self, item_id: int) -> None:
        """The part can never be delivered."""
        self._outbox.pop(item_id, None)

    async def soonest_due(self) -> dt.datetime | None:
        """When the soonest pending reminder of a chat not paused falls due, if any."""
        return min((r.not_before for r in self._sendable()), default=None)

    async def mark_sent(self, reminder_id: int, now: dt.datetime) -> None:
        """The reminder was delivered; also resets the subscription's failure count."""
        reminder = self._reminders[reminder_id]
        reminder.status, reminder.sent_at = "sent", now
        sub = self._subscriptions.get(reminder.subscription_id)
        if sub is not None:
            self._subscriptions[sub.id] = dataclasses.replace(sub, failures=0)

    async def retry_later(self, reminder_id: int, not_before: dt.datetime) -> None:
        """Delivery failed for a passing reason: try again from `not_before`."""
        reminder = self._reminders[reminder_id]
        if reminder.status == "claimed":
            reminder.status, reminder.claimed_at = "pending", None
            reminder.not_before = not_before

    async def record_blocked(
        self, reminder_id: int, not_before: dt.datetime, max_failures: int
    ) -> bool:
        """The user blocked the bot: count it; deactivate after `max_failures` in a row."""
        reminder = self._reminders.get(reminder_id)
        if reminder is None:
            return False
        sub = self._subscriptions[reminder.subscription_id]
        sub = dataclasses.replace(sub, failures=sub.failures + 1)
        self._subscriptions[sub.id] = sub
        if sub.failures >= max_failures:
            self._subscriptions[sub.id] = dataclasses.replace(sub, active=False)
            self._cancel_pending(sub.id)
            return True
        reminder.status, reminder.claimed_at, reminder.not_before = "pending", None, not_before
        return False

    async def reminder_rows(self, subscription_id: int) -> list[tuple[str, str, str]]:
        """(kind, due_at, status) of a subscription's reminders."""
        rows = sorted(
            (r for r in self._reminders.values() if r.subscription_id == subscription_id),
            key=lambda r: (r.due_at, r.id),
        )
        return [
            (r.kind, r.due_at.astimezone(dt.UTC).isoformat(timespec="seconds"), r.status)
            for r in rows
        ]

    async def count_topic(self, topic: str) -> None:
        """One more answer on this topic."""
        self._asked[topic] = self._asked.get(topic, 0) + 1

    async def record_feedback(
        self, channel: str, chat_id: str, topic: str, helpful: bool, now: dt.datetime
    ) -> None:
        """The chat's rating of a topic (a later rating replaces an earlier one)."""
        self._feedback[(channel, chat_id, topic)] = (helpful, now.astimezone(dt.UTC))

    async def ratings(self, channel: str, chat_id: str) -> list[Rating]:
        """The chat's ratings, one per topic (the latest), oldest first."""
        own = [
            Rating(topic, helpful, at)
            for (chan, chat, topic), (helpful, at) in self._feedback.items()
            if (chan, chat) == (channel, chat_id)
        ]
        return sorted(own, key=lambda r: (r.rated_at, r.topic))

    async def record_unplaced(self, text: str, language: str | None, now: dt.datetime) -> None:
        """A question the bot could not place, without the chat's identity."""
        stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
        self._unplaced.append((stamp, language, text))

    async def topic_stats(self) -> list[TopicStats]:
        """Counts per topic, most asked first."""
        topics = set(self._asked) | {topic for _, _, topic in self._feedback}
        stats = [
            TopicStats(
                topic,
                self._asked.get(topic, 0),
                sum(1 for k, v in self._feedback.items() if k[2] == topic and v[0]),
                sum(1 for k, v in self._feedback.items() if k[2] == topic and not v[0]),
            )
            for topic in topics
        ]
        return sorted(stats, key=lambda s: (-s.asked, s.topic))

    async def unplaced(self, limit: int) -> list[tuple[str, str | None, str]]:
        """The latest unplaced questions as (created_at, language, text)."""
        return list(reversed(self._unplaced))[:limit]
