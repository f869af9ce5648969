"""The runtime: one store, one engine, one reminder loop, and the channels as plug-ins.

A channel starts and stops, says what it can show (its Capabilities) and gives a Notifier that
renders reminders and sends parts. It only turns platform updates into Inbound and parts into
platform calls; everything else happens here or in the core, once for every channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.app import BotApp
from bot.core.engine import Engine
from bot.core.ports import Clock, Meter, NullMeter, OutboxItem, Store, StoreError
from bot.core.render import decode_part
from bot.reminders.dispatcher import (
    Blocked,
    Notifier,
    RateLimiter,
    Rejected,
    RetryAfter,
    Sleep,
    Transient,
)

log = logging.getLogger(__name__)

STOP_BUDGET = 6.0  # seconds the channels and the reminder loop get to finish (SIGTERM: < 10 s)


class Channel(Protocol):
    """A messaging platform plugged into the runtime."""

    name: str

    async def start(self, runtime: Runtime) -> None:
        """Begin receiving updates; return once running (connecting may go on in the back)."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish what is in flight."""
        ...

    def notifier(self) -> Notifier | None:
        """How reminders reach this channel's users (None: this channel gets none)."""
        ...


class Runtime:
    """Runs the channels on one store, one engine and one reminder dispatcher."""

    def __init__(
        self,
        app: BotApp,
        channels: Sequence[Channel],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.app = app
        self.channels = list(channels)
        self.sleep = sleep
        self.limiter = app.limiter(sleep)

    @property
    def engine(self) -> Engine:
        """The engine every channel hands its updates to."""
        return self.app.engine

    @property
    def store(self) -> Store:
        """The one store."""
        return self.app.store

    @property
    def clock(self) -> Clock:
        """The injected clock."""
        return self.app.engine.services.clock

    async def run(self, stop: asyncio.Event) -> None:
        """Open the store, start the channels and the reminder loop, run until `stop` is set.

        Raises StoreError when the database cannot be used (before any channel starts).
        """
        await self.app.start()
        started: list[Channel] = []
        reminders: asyncio.Task[None] | None = None
        try:
            for channel in self.channels:
                await channel.start(self)
                started.append(channel)
            notifiers = {c.name: n for c in started if (n := c.notifier()) is not None}
            dispatcher = self.app.dispatcher(notifiers, sleep=self.sleep, limiter=self.limiter)
            reminders = asyncio.create_task(dispatcher.run(stop), name="reminders")
            await stop.wait()
        finally:
            stop.set()
            stopping = [asyncio.create_task(_stopped(c)) for c in started]
            if reminders is not None:
                stopping.append(reminders)
            if stopping:  # all at once, within one budget: SIGTERM ends the process in < 10 s
                await _finish(stopping, within=STOP_BUDGET)
            await self.app.stop()


async def _stopped(channel: Channel) -> None:
    try:
        await channel.stop()
    except Exception:
        log.exception("stopping the %s channel failed", channel.name)


async def _finish(tasks: list[asyncio.Task[None]], within: float) -> None:
    """Wait for tasks to end by themselves; cancel what still runs after `within` seconds."""
    _done, pending = await asyncio.wait(tasks, timeout=within)
    for task in pending:
        log.warning("%s did not stop in time and is cancelled", task.get_name())
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


def _waits(item: OutboxItem, now: dt.datetime) -> bool:
    """Whether a part must wait: not due yet by this process's clock, or handed only until
    it is due (a shared store found it waiting for a retry by the database's clock). A
    replica whose clock runs ahead of the database's would otherwise send it while the
    lease lapses, and the replica handed it next would send it again."""
    return item.not_before > now or (item.lease is not None and item.lease <= item.not_before)


class OutboxSender:
    """Sends a channel's queued reply parts in order, one at a time, within the rate limits.

    One part is in flight at a time, so a kill repeats at most one message. A chat that must
    wait (429, a passing network error) does not hold up the others; its later parts wait
    behind the first, so a chat's order is kept. A user who blocked the bot loses the queue.
    """

    MAX_ATTEMPTS = 8  # about 20 minutes of backoff before a reply is given up
    BATCH = 200

    def __init__(
        self,
        store: Store,
        channel: str,
        notifier: Notifier,
        limiter: RateLimiter,
        clock: Clock,
        *,
        meter: Meter | None = None,
    ) -> None:
        self._store = store
        self._meter = meter or NullMeter()
        self._channel = channel
        self._notifier = notifier
        self._limiter = limiter
        self._clock = clock
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._next_retry: dt.datetime | None = None

    def wake(self) -> None:
        """New parts were queued."""
        self._wake.set()

    async def drain(self) -> None:
        """Send every queued part that may go now."""
        async with self._lock:
            self._wake.clear()
            lease = self._store.outbox_lease
            while True:
                items = await self._store.outbox_pending(self._channel, self.BATCH)
                handed = time.monotonic()
                pending = deque(items)
                waiting: set[str] = set()
                progressed = False
                self._next_retry = None
                while pending:
                    item = pending.popleft()
                    if item.chat_id in waiting:
                        continue
                    if _waits(item, self._clock.now()):
                        waiting.add(item.chat_id)
                        self._remember_retry(item.not_before)
                        continue
                    if lease is not None and time.monotonic() - handed > lease.total_seconds() / 2:
                        # a slow batch (rate limits, slow sends): renew the lease before it
                        # runs out, so that no other replica sends these parts as well
                        pending.appendleft(item)
                        pending = deque(await self._renewed(list(pending), waiting))
                        handed = time.monotonic()
                        continue
                    if await self._send(item):
                        progressed = True
                    else:
                        waiting.add(item.chat_id)
                if not progressed or len(items) < self.BATCH:
                    return

    async def _renewed(self, items: list[OutboxItem], waiting: set[str]) -> list[OutboxItem]:
        """The parts of `items` that are still this sender's, their lease renewed. A chat with
        a part another replica took (this one stalled past the lease) is left to it."""
        now = self._clock.now()
        for item in items:  # a chat waiting for a retry keeps its shorter lease
            if item.chat_id not in waiting and _waits(item, now):
                waiting.add(item.chat_id)
                self._remember_retry(item.not_before)
        ready = [item for item in items if item.chat_id not in waiting]
        mine = await self._store.outbox_hold(ready)
        kept = {item.id for item in mine}
        lost = {item.chat_id for item in ready if item.id not in kept}
        if lost:
            log.warning("%d chat(s) of a stalled batch went to another replica", len(lost))
        waiting |= lost
        return [item for item in mine if item.chat_id not in lost]

    def _remember_retry(self, moment: dt.datetime) -> None:
        if self._next_retry is None or moment < self._next_retry:
            self._next_retry = moment

    async def _send(self, item: OutboxItem) -> bool:
        """Send one part; False when its chat must wait."""
        part = decode_part(item.payload)
        await self._limiter.wait(f"{self._channel}:{item.chat_id}")
        try:
            await self._notifier.send(item.chat_id, part)
        except RetryAfter as err:
            self._meter.send_error(self._channel, "retry_after")
            later = self._clock.now() + dt.timedelta(seconds=err.seconds)
            await self._store.outbox_retry(item.id, later)
            self._remember_retry(later)
            return False
        except Blocked:
            self._meter.send_error(self._channel, "blocked")
            log.info("a reply was dropped: the user blocked the bot")
            await self._store.outbox_drop(item.id)
            return True
        except Rejected as err:
            self._meter.send_error(self._channel, "rejected")
            log.warning("a reply was rejected by the platform and dropped: %s", err)
            await self._store.outbox_drop(item.id)
            return True
        except Transient as err:
            self._meter.send_error(self._channel, "transient")
            if item.attempts + 1 >= self.MAX_ATTEMPTS:
                log.warning("a reply was given up after %d attempts: %s", item.attempts + 1, err)
                await self._store.outbox_drop(item.id)
                return True
            delay = dt.timedelta(seconds=min(2.0 * 2**item.attempts, 600.0))
            log.info("a reply was not delivered (%s); retry in %s", err, delay)
            later = self._clock.now() + delay
            await self._store.outbox_retry(item.id, later)
            self._remember_retry(later)
            return False
        await self._store.outbox_done(item.id)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Drain now, then whenever parts are queued or a retry falls due, until `stop`."""
        failures = 0
        while not stop.is_set():
            try:
                await self.drain()
                failures = 0
            except Exception as err:  # the store or the network failed: back off, go on
                if isinstance(err, StoreError):
                    self._meter.database_error()
                failures += 1
                log.error("sending replies failed (%s); trying again", err)
                self._remember_retry(
                    self._clock.now() + dt.timedelta(seconds=min(2.0**failures, 60.0))
                )
            # A shared store: parts another replica leased and abandoned come free with time.
            timeout = 60.0 if self._store.exclusive else 5.0
            if self._next_retry is not None:
                timeout = max(0.05, (self._next_retry - self._clock.now()).total_seconds())
            wake = asyncio.ensure_future(self._wake.wait())
            halt = asyncio.ensure_future(stop.wait())
            await asyncio.wait({wake, halt}, timeout=timeout, return_when="FIRST_COMPLETED")
            wake.cancel()
            halt.cancel()


class ChatRouter:
    """Runs work for different chats concurrently and for one chat strictly in order."""

    def __init__(self, concurrency: int = 32) -> None:
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        # set whenever a work item finishes: `wait_below` waits for it, instead of handing
        # every task in hand to asyncio.wait once per finished item (a done callback added
        # to and removed from each of the 150 in hand, each time one of them ends)
        self._finished = asyncio.Event()

    @property
    def pending(self) -> int:
        """Work items submitted and not finished."""
        return len(self._tasks)

    def submit(self, key: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run `work` after everything submitted earlier for the same key; its task."""
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(previous, work))
        self._tails[key] = task
        self._tasks.add(task)

        def forget(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            if self._tails.get(key) is done:
                del self._tails[key]
            self._finished.set()

        task.add_done_callback(forget)
        return task

    async def _run(
        self, previous: asyncio.Task[None] | None, work: Callable[[], Awaitable[None]]
    ) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        async with self._slots:
            try:
                await work()
            except Exception:
                log.exception("handling an update failed")

    async def join(self, within: float | None = None) -> None:
        """Wait until all submitted work is done (or `within` seconds pass)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)

    async def wait_below(self, limit: int) -> None:
        """Wait until fewer than `limit` work items are in hand (backpressure)."""
        while len(self._tasks) >= limit:
            self._finished.clear()
            await self._finished.wait()
