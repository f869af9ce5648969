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

from bot.core.ports import (
    Answers,
    ClaimedReminder,
    Clock,
    Meter,
    NullMeter,
    Store,
    StoreError,
    Subscription,
)
from bot.core.render import Capabilities, render
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


class Rejected(Transient):
    """The platform refused this one message (a bad request): retrying it will not help."""


@dataclass(frozen=True, slots=True)
class ReminderNotice:
    """A reminder as data, for a channel to render in its own way (text, file, template)."""

    reminder_id: int
    kind: str  # get_ready, window_open, last_week, change_soon, change_last_week
    subscription: Subscription  # whose card, which event, which date
    language: str
    due_at: dt.datetime
    now: dt.datetime


class Notifier(Protocol):
    """A channel's way of sending: renders reminders and delivers parts, translating errors."""

    def reminder_parts(self, notice: ReminderNotice) -> list[Outbound]:
        """The reminder as parts, one platform call each, in the current language."""
        ...

    async def send(self, chat_id: str, part: Outbound) -> None:
        """Deliver one part, or raise RetryAfter, Blocked or Transient."""
        ...


def standard_reminder(
    answers: Answers, notice: ReminderNotice, caps: Capabilities
) -> list[Outbound]:
    """The knowledge base's reminder (text, buttons, calendar file), shaped for a channel."""
    messages = answers.reminder(notice.kind, notice.subscription, notice.now)
    parts, _options = render(messages, caps)
    return parts


Sleep = Callable[[float], Awaitable[None]]

OUTBOX_WAIT = dt.timedelta(seconds=10)  # a reminder waits this long behind a pending reply
# the loop comes back this long after a put-off reminder falls due: the event loop's timers
# may fire a little early (uvloop counts whole milliseconds, and the store's moments are the
# wall clock's), and a sweep that came too soon found nothing due and waited a whole interval
RETRY_SLACK = 0.25


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """Limits and retry policy of the reminder loop."""

    rate_per_second: float = 25.0  # all messages, all chats together (Telegram allows about 30)
    per_chat_interval: float = 1.0  # seconds between two messages to one chat, sustained
    per_chat_burst: int = 3  # messages one chat may get back to back (a reply in parts)
    limits: bool = True  # False only against a local fake API (benchmarks)
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
    soonest_retry: dt.datetime | None = None  # the earliest retry this sweep put off

    def retry_at(self, moment: dt.datetime) -> None:
        """Note a reminder put off until `moment`, so the loop comes back for it in time."""
        if self.soonest_retry is None or moment < self.soonest_retry:
            self.soonest_retry = moment

    def summary(self) -> str:
        """Counts only, for the log: no chat ids."""
        return (
            f"{self.sent} sent, {self.skipped} skipped, {self.retried} to retry, "
            f"{self.blocked} blocked ({self.deactivated} deactivated), {self.released} released"
        )


class RateLimiter:
    """A global pace and a per-chat token bucket, on an injected clock and sleep.

    Replies and reminders share one limiter, so together they stay within the platform's
    limits: `per_second` messages overall, and per chat a burst of `burst` messages, then one
    every `per_chat` seconds.
    """

    def __init__(
        self,
        clock: Clock,
        sleep: Sleep,
        per_second: float,
        per_chat: float,
        burst: int = 1,
        enabled: bool = True,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._spacing = 1.0 / per_second
        self._per_chat = per_chat
        self._burst = max(1, burst)
        self._enabled = enabled
        self._next_slot: dt.datetime | None = None
        self._chats: dict[str, tuple[float, dt.datetime]] = {}  # tokens left, as of when

    async def wait(self, chat_key: str) -> None:
        """Wait until both the global pace and the chat's bucket allow one message."""
        if not self._enabled:
            return
        now = self._clock.now()
        ready = now
        if self._next_slot is not None and self._next_slot > ready:
            ready = self._next_slot
        tokens, since = self._chats.get(chat_key, (float(self._burst), now))
        tokens = min(float(self._burst), tokens + (now - since).total_seconds() / self._per_chat)
        if tokens < 1.0:
            ready = max(ready, now + dt.timedelta(seconds=(1.0 - tokens) * self._per_chat))
        delay = (ready - now).total_seconds()
        if delay > 0:
            await self._sleep(delay)
        sent_at = max(self._clock.now(), ready)
        tokens = min(float(self._burst), tokens + (sent_at - now).total_seconds() / self._per_chat)
        self._next_slot = sent_at + dt.timedelta(seconds=self._spacing)
        self._chats[chat_key] = (tokens - 1.0, sent_at)
        if len(self._chats) > 10_000:  # forget chats whose bucket is full again
            horizon = sent_at - dt.timedelta(seconds=self._per_chat * self._burst)
            self._chats = {k: v for k, v in self._chats.items() if v[1] > horizon}


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
        limiter: RateLimiter | None = None,
        meter: Meter | None = None,
    ) -> None:
        self._store = store
        self._meter = meter or NullMeter()
        self._answers = answers
        self._notifiers = notifiers
        self._translators = translators
        self._clock = clock
        self._sleep = sleep
        self.settings = settings or DispatchSettings()
        self._default_language = default_language
        self._limiter = limiter or RateLimiter(
            clock,
            sleep,
            self.settings.rate_per_second,
            self.settings.per_chat_interval,
            burst=self.settings.per_chat_burst,
            enabled=self.settings.limits,
        )
        self._stopping = False

    async def recover(self) -> int:
        """At start-up: put back claims that no live process can hold any more.

        With the store to itself (SQLite and its lock file), every claim was left by a process
        that is gone. A shared store (several replicas) leaves claims to expire with their
        lease, since their holder may still be sending.
        """
        if not self._store.exclusive:
            return 0
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
        if result.skipped:
            self._meter.reminder("skipped", result.skipped)
        while not self._stopping:
            batch = await self._store.claim_due(self._clock.now(), self.settings.batch)
            if not batch:
                break
            for index, reminder in enumerate(batch):
                if self._stopping:  # put the rest back for the next start
                    await self._release_unsent(batch[index:])
                    break
                try:
                    await self.deliver(reminder, result)
                except Exception:
                    # an unforeseen failure (a storage error, a bug in rendering): the claimed
                    # reminders go back instead of their claims holding them for the whole
                    # lease (10 min); this one after the usual backoff, so that one that fails
                    # every time does not keep the others of its batch from the next sweep
                    with contextlib.suppress(Exception):
                        later = self._clock.now() + self._backoff(reminder)
                        await self._store.retry_later(reminder.id, later)
                        await self._release_unsent(batch[index + 1 :])
                    raise
        return result

    async def _release_unsent(self, unsent: list[ClaimedReminder]) -> None:
        for reminder in unsent:
            await self._store.retry_later(reminder.id, reminder.due_at)

    async def deliver(self, reminder: ClaimedReminder, result: SweepResult) -> None:
        """Render one claimed reminder in its language, send its parts within the rate, record.

        Parts already delivered by an earlier attempt (the text before a failed calendar file)
        are not sent again.
        """
        subscription = reminder.subscription
        notifier = self._notifiers.get(subscription.channel)
        if notifier is None:  # that channel is not running in this process
            await self._store.retry_later(reminder.id, self._clock.now() + self.settings.lease)
            return
        if await self._store.outbox_waiting(subscription.channel, subscription.chat_id):
            # a reply to this chat is still on its way (a 429, a slow API): the reminder
            # comes after it, not in the middle of it
            await self._retry(reminder, self._clock.now() + OUTBOX_WAIT, result)
            return
        language = reminder.language or self._default_language
        translator = self._translators.get(language) or self._translators[self._default_language]
        notice = ReminderNotice(
            reminder.id, reminder.kind, subscription, language, reminder.due_at, self._clock.now()
        )
        with use_translator(translator):
            parts = notifier.reminder_parts(notice)
        chat_key = f"{subscription.channel}:{subscription.chat_id}"
        sent = min(reminder.parts_sent, len(parts))
        waits = 0
        while sent < len(parts):
            await self._limiter.wait(chat_key)
            if not await self._store.hold_claim(reminder.id, reminder.attempts, self._clock.now()):
                # the lease ran out while this process waited, and another claimed it
                log.warning("reminder %d was taken over by another process; not sent", reminder.id)
                return
            try:
                await notifier.send(subscription.chat_id, parts[sent])
            except RetryAfter as err:
                self._meter.send_error(subscription.channel, "retry_after")
                waits += 1
                if err.seconds > self.settings.max_retry_after or (
                    waits > self.settings.retries_on_429
                ):
                    later = self._clock.now() + dt.timedelta(seconds=err.seconds)
                    await self._retry(reminder, later, result)
                    self._meter.reminder("failed")
                    return
                log.info("rate limited by the platform: waiting %.1f s", err.seconds)
                await self._sleep(err.seconds)
                continue
            except Blocked:
                self._meter.send_error(subscription.channel, "blocked")
                self._meter.reminder("failed")
                later = self._clock.now() + self.settings.blocked_retry
                deactivated = await self._store.record_blocked(
                    reminder.id, later, self.settings.max_blocked
                )
                result.blocked += 1
                result.deactivated += int(deactivated)
                result.failed_chats.append(chat_key)
                return
            except Transient as err:
                kind = "rejected" if isinstance(err, Rejected) else "transient"
                self._meter.send_error(subscription.channel, kind)
                self._meter.reminder("failed")
                delay = self._backoff(reminder)
                log.info("reminder %d not delivered (%s); retry in %s", reminder.id, err, delay)
                await self._retry(reminder, self._clock.now() + delay, result)
                result.failed_chats.append(chat_key)
                return
            sent += 1
            if sent < len(parts):
                await self._store.mark_part_sent(reminder.id, sent)
        await self._store.mark_sent(reminder.id, self._clock.now())
        result.sent += 1
        self._meter.reminder("sent")

    def _backoff(self, reminder: ClaimedReminder) -> dt.timedelta:
        """How long a failed reminder waits: doubling with its attempts, up to the cap."""
        delay: dt.timedelta = self.settings.retry_base * (2 ** max(reminder.attempts - 1, 0))
        return min(delay, self.settings.retry_cap)

    async def _retry(
        self, reminder: ClaimedReminder, moment: dt.datetime, result: SweepResult
    ) -> None:
        await self._store.retry_later(reminder.id, moment)
        result.retried += 1
        result.retry_at(moment)

    def pause_after(self, result: SweepResult, upcoming: dt.datetime | None = None) -> float:
        """Seconds until the next sweep: the interval, or less when a pending reminder
        (`upcoming`, the store's `soonest_due`) or one put off by this sweep (behind a pending
        reply, after a network error) falls due sooner, so it is sent on time."""
        wait = self.settings.interval
        for moment in (result.soonest_retry, upcoming):
            if moment is not None:
                until = (moment - self._clock.now()).total_seconds() + RETRY_SLACK
                wait = min(wait, max(until, 1.0))
        return wait

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep at start-up, then when the next pending reminder falls due (a second after
        at the soonest, at most `interval` seconds later: a reminder another replica or a
        conversation added meanwhile waits that long at most) until `stop` is set.

        Any storage or network error is logged and the loop goes on, sooner at first (5 s,
        doubling up to the interval), so what became due during a fault is sent once it is gone.
        """
        recovered = False
        failures = 0
        watcher = asyncio.create_task(self._stop_when(stop))
        try:
            while not stop.is_set():
                wait = self.settings.interval
                try:
                    if not recovered:
                        await self.recover()
                        recovered = True
                    result = await self.sweep()
                    failures = 0
                    wait = self.pause_after(result, await self._store.soonest_due())
                    if result.sent or result.skipped or result.retried or result.blocked:
                        log.info("reminder sweep: %s", result.summary())
                except Exception as err:  # the loop must outlive any one failure
                    if isinstance(err, StoreError):
                        self._meter.database_error()
                    failures += 1
                    wait = min(self.settings.interval, 5.0 * 2 ** (failures - 1))
                    log.error("reminder sweep failed (%s); trying again in %.0f s", err, wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
        finally:
            watcher.cancel()

    async def _stop_when(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.stop()

    def stop(self) -> None:
        """Finish the message in flight, then stop sending."""
        self._stopping = True
