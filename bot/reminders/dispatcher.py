"""The reminder loop: claim due rows, send, mark sent. SQLite is the only source of truth.

Order of a sweep: put back claims whose sender died, skip reminders that became pointless,
claim a batch, send each one (within the global and per-chat rate), then mark it. A crash
between sending and marking repeats at most the message in flight; nothing is ever lost,
because a row leaves `claimed` only by being marked sent, retried, skipped or cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.ports import Answers, ClaimedReminder, Clock, Store
from bot.core.text import Translator, use_translator
from bot.core.types import Outbound

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """Sending failed."""


class RetryAfter(DeliveryError):
    """The platform asks to wait (Telegram 429)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Blocked(DeliveryError):
    """The user blocked the bot or the chat is gone (Telegram 403)."""


class Transient(DeliveryError):
    """A network or server error that may pass."""


class Notifier(Protocol):
    """Sends messages to a chat on one channel, translating platform errors."""

    async def send(self, chat_id: str, messages: list[Outbound]) -> None:
        """Deliver the messages, or raise RetryAfter, Blocked or Transient."""
        ...


Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """Limits and retry policy of the reminder loop."""

    rate_per_second: float = 25.0  # all chats together (Telegram allows about 30)
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    batch: int = 200
    interval: float = 60.0  # seconds between sweeps
    lease: dt.timedelta = dt.timedelta(minutes=10)  # a claim older than this was abandoned
    max_blocked: int = 3  # consecutive 403s before a subscription is deactivated
    blocked_retry: dt.timedelta = dt.timedelta(hours=6)
    retry_base: dt.timedelta = dt.timedelta(seconds=30)
    retry_cap: dt.timedelta = dt.timedelta(hours=1)
    max_retry_after: float = 300.0  # a longer 429 wait is turned into a later retry
    retries_on_429: int = 3


@dataclass(slots=True)
class SweepResult:
    """What one sweep did."""

    released: int = 0
    skipped: int = 0
    sent: int = 0
    retried: int = 0
    blocked: int = 0
    deactivated: int = 0
    failed_chats: list[str] = field(default_factory=list)


class RateLimiter:
    """A global pace and a minimum interval per chat, on an injected clock and sleep."""

    def __init__(self, clock: Clock, sleep: Sleep, per_second: float, per_chat: float) -> None:
        self._clock = clock
        self._sleep = sleep
        self._spacing = 1.0 / per_second
        self._per_chat = per_chat
        self._next_slot: dt.datetime | None = None
        self._last_by_chat: dict[str, dt.datetime] = {}

    async def wait(self, chat_key: str) -> None:
        """Wait until both the global pace and the chat's interval allow one message."""
        now = self._clock.now()
        ready = now
        if self._next_slot is not None and self._next_slot > ready:
            ready = self._next_slot
        last = self._last_by_chat.get(chat_key)
        if last is not None:
            ready = max(ready, last + dt.timedelta(seconds=self._per_chat))
        delay = (ready - now).total_seconds()
        if delay > 0:
            await self._sleep(delay)
        sent_at = max(self._clock.now(), ready)
        self._next_slot = sent_at + dt.timedelta(seconds=self._spacing)
        self._last_by_chat[chat_key] = sent_at
        if len(self._last_by_chat) > 10_000:  # forget chats that cannot matter any more
            horizon = sent_at - dt.timedelta(seconds=self._per_chat)
            self._last_by_chat = {k: v for k, v in self._last_by_chat.items() if v > horizon}


class Dispatcher:
    """Sends due reminders through the channel notifiers, in each subscriber's language."""

    def __init__(
        self,
        *,
        store: Store,
        answers: Answers,
        notifiers: Mapping[str, Notifier],
        translators: Mapping[str, Translator],
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        settings: DispatchSettings | None = None,
        default_language: str = "en",
    ) -> None:
        self._store = store
        self._answers = answers
        self._notifiers = notifiers
        self._translators = translators
        self._clock = clock
        self._sleep = sleep
        self.settings = settings or DispatchSettings()
        self._default_language = default_language
        self._limiter = RateLimiter(
            clock, sleep, self.settings.rate_per_second, self.settings.per_chat_interval
        )
        self._stopping = False

    async def recover(self) -> int:
        """At start-up: every claim left by a previous process goes back to pending."""
        released = await self._store.release_claims(self._clock.now() + dt.timedelta(seconds=1))
        if released:
            log.warning("%d reminder(s) claimed by a stopped process will be sent again", released)
        return released

    async def sweep(self) -> SweepResult:
        """One pass: release abandoned claims, skip stale reminders, send what is due."""
        result = SweepResult()
        now = self._clock.now()
        result.released = await self._store.release_claims(now - self.settings.lease)
        result.skipped = await self._store.skip_stale(now)
        while not self._stopping:
            batch = await self._store.claim_due(self._clock.now(), self.settings.batch)
            if not batch:
                break
            for index, reminder in enumerate(batch):
                if self._stopping:  # leave the rest claimed; the next start releases them
                    await self._release_unsent(batch[index:])
                    break
                await self.deliver(reminder, result)
        return result

    async def _release_unsent(self, unsent: list[ClaimedReminder]) -> None:
        for reminder in unsent:
            await self._store.retry_later(reminder.id, reminder.due_at)

    async def deliver(self, reminder: ClaimedReminder, result: SweepResult) -> None:
        """Compose one claimed reminder in its language, send it within the rate, record it."""
        subscription = reminder.subscription
        notifier = self._notifiers.get(subscription.channel)
        if notifier is None:  # that channel is not running in this process
            await self._store.retry_later(reminder.id, self._clock.now() + self.settings.lease)
            return
        language = reminder.language or self._default_language
        translator = self._translators.get(language) or self._translators[self._default_language]
        with use_translator(translator):
            messages = self._answers.reminder(reminder.kind, subscription, self._clock.now())
        chat_key = f"{subscription.channel}:{subscription.chat_id}"
        for attempt in range(self.settings.retries_on_429 + 1):
            await self._limiter.wait(chat_key)
            try:
                await notifier.send(subscription.chat_id, messages)
            except RetryAfter as err:
                if err.seconds > self.settings.max_retry_after or (
                    attempt == self.settings.retries_on_429
                ):
                    later = self._clock.now() + dt.timedelta(seconds=err.seconds)
                    await self._store.retry_later(reminder.id, later)
                    result.retried += 1
                    return
                log.info("rate limited by the platform: waiting %.1f s", err.seconds)
                await self._sleep(err.seconds)
                continue
            except Blocked:
                later = self._clock.now() + self.settings.blocked_retry
                deactivated = await self._store.record_blocked(
                    reminder.id, later, self.settings.max_blocked
                )
                result.blocked += 1
                result.deactivated += int(deactivated)
                result.failed_chats.append(chat_key)
                return
            except Transient as err:
                delay = min(
                    self.settings.retry_base * (2 ** max(reminder.attempts - 1, 0)),
                    self.settings.retry_cap,
                )
                log.info("reminder %d not delivered (%s); retry in %s", reminder.id, err, delay)
                await self._store.retry_later(reminder.id, self._clock.now() + delay)
                result.retried += 1
                result.failed_chats.append(chat_key)
                return
            await self._store.mark_sent(reminder.id, self._clock.now())
            result.sent += 1
            return

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep at start-up and then every `interval` seconds until `stop` is set."""
        await self.recover()
        while not stop.is_set():
            try:
                result = await self.sweep()
                if result.sent or result.skipped or result.retried or result.blocked:
                    log.info("reminder sweep: %s", result)
            except Exception:  # the loop must outlive any one failure
                log.exception("reminder sweep failed; trying again at the next interval")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.interval)

    def stop(self) -> None:
        """Finish the message in flight, then stop sending."""
        self._stopping = True
