"""The reminder loop on a fake clock: nothing sleeps for real, months pass in milliseconds."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import BotApp, Resources, build_app
from bot.core.ports import Answers, Conversation, PlannedRow
from bot.core.render import TELEGRAM
from bot.core.schedule import EventKind, upcoming
from bot.core.types import Outbound
from bot.reminders.dispatcher import (
    Blocked,
    Dispatcher,
    DispatchSettings,
    ReminderNotice,
    RetryAfter,
    Transient,
    standard_reminder,
)
from tests.conftest import FakeClock, make_settings

EXPIRY = dt.date(2027, 6, 15)
START = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


class FakeNotifier:
    """Renders reminders as Telegram would; records every part sent; can be told to fail."""

    def __init__(self, clock: FakeClock, answers: Answers) -> None:
        self.clock = clock
        self.answers = answers
        self.parts: list[tuple[dt.datetime, str, Outbound]] = []
        self.failures: dict[str, list[Exception]] = {}
        self.file_failures: list[Exception] = []
        self.arrived = asyncio.Event()  # set when any part is sent

    def reminder_parts(self, notice: ReminderNotice) -> list[Outbound]:
        return standard_reminder(self.answers, notice, TELEGRAM)

    async def send(self, chat_id: str, part: Outbound) -> None:
        queued = self.failures.get(chat_id)
        if queued:
            raise queued.pop(0)
        if part.attachment is not None and self.file_failures:
            raise self.file_failures.pop(0)
        self.parts.append((self.clock.now(), chat_id, part))
        self.arrived.set()

    @property
    def sent(self) -> list[tuple[dt.datetime, str, Outbound]]:
        """The text parts: one per reminder."""
        return [entry for entry in self.parts if entry[2].text]

    def files(self, chat_id: str) -> list[Outbound]:
        return [p for _, c, p in self.parts if c == chat_id and p.attachment is not None]

    def to(self, chat_id: str) -> list[str]:
        return [p.text for _, c, p in self.sent if c == chat_id]


class Harness:
    """The real app on a SQLite file, its dispatcher, a fake clock, sleep and notifier."""

    def __init__(self, app: BotApp, clock: FakeClock) -> None:
        self.app = app
        self.clock = clock
        self.notifier = FakeNotifier(clock, app.engine.services.answers)
        self.slept: list[float] = []
        self.dispatcher = self.new_dispatcher()

    def new_dispatcher(self, **settings: object) -> Dispatcher:
        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)
            self.clock.advance(dt.timedelta(seconds=seconds))

        dispatcher = self.app.dispatcher({"test": self.notifier}, sleep=sleep)
        if settings:
            dispatcher = Dispatcher(
                store=self.app.store,
                answers=self.app.engine.services.answers,
                notifiers={"test": self.notifier},
                translators=self.app.translators,
                clock=self.clock,
                sleep=sleep,
                settings=DispatchSettings(**settings),  # type: ignore[arg-type]
            )
        return dispatcher

    async def subscribe(
        self,
        chat: str,
        expiry: dt.date = EXPIRY,
        language: str = "en",
        kind: EventKind = EventKind.EXPIRY,
    ) -> int:
        await self.app.store.save_conversation(Conversation("test", chat, language), START)
        rows = [
            PlannedRow(r.kind.value, r.due_at, r.stale_at)
            for r in upcoming(kind, expiry, self.clock.now(), self.app.engine.services.card_rules)
        ]
        sub = await self.app.store.add_subscription(
            "test", chat, "self", kind.value, expiry, rows, self.clock.now()
        )
        return sub.id

    async def run_until(self, moment: dt.datetime, step: dt.timedelta) -> None:
        """Sweep every `step` until `moment`, as the real loop would."""
        while self.clock.now() < moment:
            self.clock.advance(step)
            await self.dispatcher.sweep()


@pytest.fixture
async def harness(database: Path, resources: Resources) -> AsyncIterator[Harness]:
    clock = FakeClock(START)
    app = build_app(make_settings(database), resources=resources, clock=clock)
    await app.start()
    try:
        yield Harness(app, clock)
    finally:
        await app.stop()


async def test_whole_schedule_arrives_on_the_right_days_once(harness: Harness) -> None:
    await harness.subscribe("1")
    await harness.run_until(dt.datetime(2027, 7, 1, tzinfo=dt.UTC), dt.timedelta(hours=1))
    sent = [when for when, _, _ in harness.notifier.sent]
    # hourly sweeps: each reminder goes out in the first sweep after 10:00 Beijing (02:00 UTC)
    assert [(w.date(), w.hour) for w in sent] == [
        (dt.date(2027, 5, 1), 2),
        (dt.date(2027, 5, 15), 2),
        (dt.date(2027, 6, 8), 2),
    ]
    texts = harness.notifier.to("1")
    assert "get the documents ready" in texts[0]
    assert "from today you can renew" in texts[1]
    assert "Last week" in texts[2]
    for text in texts:
        assert "June 15, 2027" in text
        assert "CN¥300" in text  # the renewal fee, from data/
        assert "东城区安定门东大街2号" in text  # where, for the taxi
        assert "Source: http" in text
    _, _, text_part = harness.notifier.sent[0]
    files = harness.notifier.files("1")
    assert len(files) == 3  # one calendar file with each reminder
    assert files[0].attachment is not None
    assert files[0].attachment.content.startswith(b"BEGIN:VCALENDAR")
    payloads = [b.payload for row in text_part.buttons for b in row]
    assert any(p.startswith("renewed:") for p in payloads)
    assert any(p.startswith("unsub:") for p in payloads)


async def test_reminder_comes_in_the_subscribers_current_language(harness: Harness) -> None:
    await harness.subscribe("zh-user", language="zh")
    await harness.run_until(dt.datetime(2027, 5, 2, tzinfo=dt.UTC), dt.timedelta(hours=6))
    (text,) = harness.notifier.to("zh-user")
    assert "2027年6月15日" in text and "来源" in text


async def test_restart_never_resends_what_was_marked_sent(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    await harness.dispatcher.sweep()
    assert len(harness.notifier.sent) == 1
    await harness.app.stop()
    await harness.app.start()
    restarted = harness.new_dispatcher()
    await restarted.recover()
    await restarted.sweep()
    assert len(harness.notifier.sent) == 1


async def test_crash_between_claim_and_mark_sends_again_after_restart(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    claimed = await harness.app.store.claim_due(harness.clock.now(), 10)
    assert len(claimed) == 1  # ...and the process dies before sending or marking
    await harness.app.stop()
    await harness.app.start()
    restarted = harness.new_dispatcher()
    await restarted.recover()
    result = await restarted.sweep()
    assert result.sent == 1
    assert len(harness.notifier.to("1")) == 1


async def test_downtime_sends_one_relevant_reminder_not_a_burst(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.clock.current = dt.datetime(2027, 5, 20, 8, tzinfo=dt.UTC)  # down since November
    result = await harness.dispatcher.sweep()
    assert result.sent == 1 and result.skipped == 1
    (text,) = harness.notifier.to("1")
    assert "from today you can renew" in text  # not "get ready": the window is open


async def test_nothing_is_sent_for_a_card_that_already_expired(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.clock.current = dt.datetime(2027, 6, 20, tzinfo=dt.UTC)
    result = await harness.dispatcher.sweep()
    assert result.sent == 0 and result.skipped == 3


async def test_429_waits_retry_after_and_sends(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.notifier.failures["1"] = [RetryAfter(7)]
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    result = await harness.dispatcher.sweep()
    assert result.sent == 1
    assert 7 in harness.slept


async def test_network_errors_retry_with_backoff_and_lose_nothing(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.notifier.failures["1"] = [Transient("timeout"), Transient("reset")]
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    first = await harness.dispatcher.sweep()
    assert first.retried == 1 and first.sent == 0
    assert 30 < harness.dispatcher.pause_after(first) <= 30.5  # it comes back for the retry
    harness.clock.advance(dt.timedelta(seconds=29))
    assert (await harness.dispatcher.sweep()).sent == 0  # backoff not over yet
    harness.clock.advance(dt.timedelta(seconds=1))
    assert (await harness.dispatcher.sweep()).retried == 1  # second failure: 60 s backoff
    harness.clock.advance(dt.timedelta(seconds=60))
    assert (await harness.dispatcher.sweep()).sent == 1
    assert len(harness.notifier.to("1")) == 1


async def test_a_reminder_behind_a_pending_reply_follows_it_within_seconds(
    harness: Harness,
) -> None:
    await harness.subscribe("1")
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    store = harness.app.store
    await store.outbox_add("test", "1", ['{"text": "a reply on its way"}'], harness.clock.now())
    held = await harness.dispatcher.sweep()
    assert held.sent == 0 and held.retried == 1 and harness.notifier.to("1") == []
    # the next sweep comes when the reminder may go, not a whole interval (60 s) later
    pause = harness.dispatcher.pause_after(held)
    assert 10 < pause <= 10.5
    for item in await store.outbox_pending("test", 10):
        await store.outbox_done(item.id)
    # the event loop's timer may fire a few milliseconds early: the reminder is due all the
    # same (a sweep that found it not yet due would wait the whole interval, 60 s)
    harness.clock.advance(dt.timedelta(seconds=pause - 0.005))
    assert (await harness.dispatcher.sweep()).sent == 1
    assert len(harness.notifier.to("1")) == 1


async def test_a_sweep_that_put_nothing_off_waits_the_interval(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    result = await harness.dispatcher.sweep()
    assert result.sent == 1
    assert harness.dispatcher.pause_after(result) == 60


async def test_an_unforeseen_failure_gives_the_reminders_back_at_once(harness: Harness) -> None:
    await harness.subscribe("1")
    await harness.subscribe("2")
    harness.notifier.failures["1"] = [RuntimeError("a bug while sending")] * 2
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    with pytest.raises(RuntimeError):
        await harness.dispatcher.sweep()  # the loop logs it and sweeps again 5 s later
    harness.clock.advance(dt.timedelta(seconds=5))
    # the other reminder of the batch is not held by its claim, nor behind the failing one
    assert (await harness.dispatcher.sweep()).sent == 1
    assert harness.notifier.to("1") == [] and len(harness.notifier.to("2")) == 1
    harness.clock.advance(dt.timedelta(seconds=25))  # the failing one after its backoff
    with pytest.raises(RuntimeError):
        await harness.dispatcher.sweep()
    harness.clock.advance(dt.timedelta(seconds=59))  # doubled: 60 s (after a per-chat pause)
    assert (await harness.dispatcher.sweep()).sent == 0
    harness.clock.advance(dt.timedelta(seconds=3))
    assert (await harness.dispatcher.sweep()).sent == 1
    assert len(harness.notifier.to("1")) == 1 and len(harness.notifier.to("2")) == 1


async def test_403_deactivates_after_three_in_a_row_never_on_the_first(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.notifier.failures["1"] = [Blocked("blocked")] * 5
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    assert (await harness.dispatcher.sweep()).deactivated == 0
    assert await harness.app.store.subscriptions("test", "1")
    harness.clock.advance(dt.timedelta(hours=6))
    assert (await harness.dispatcher.sweep()).deactivated == 0
    harness.clock.advance(dt.timedelta(hours=6))
    assert (await harness.dispatcher.sweep()).deactivated == 1
    assert await harness.app.store.subscriptions("test", "1") == []
    await harness.run_until(dt.datetime(2027, 7, 1, tzinfo=dt.UTC), dt.timedelta(days=1))
    assert harness.notifier.sent == []  # and no endless retries
    assert len(harness.notifier.failures["1"]) == 2


async def test_rate_limits_global_and_per_chat(harness: Harness) -> None:
    for chat in range(50):
        await harness.subscribe(str(chat))
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    start = harness.clock.now()
    dispatcher = harness.new_dispatcher(rate_per_second=25.0)
    assert (await dispatcher.sweep()).sent == 50
    times = [when for when, _, _ in harness.notifier.parts]
    assert len(times) == 100  # text and calendar file
    assert times[-1] - start >= dt.timedelta(seconds=99 / 25)
    for i in range(len(times) - 25):
        assert times[i + 25] - times[i] >= dt.timedelta(seconds=1) - dt.timedelta(microseconds=1)


async def test_one_chat_gets_a_short_burst_then_one_message_per_second(
    harness: Harness,
) -> None:
    for n in range(3):
        await harness.subscribe("same", expiry=EXPIRY + dt.timedelta(days=n))
    harness.clock.current = dt.datetime(2027, 5, 5, 3, tzinfo=dt.UTC)
    await harness.dispatcher.sweep()
    times = [when for when, chat, _ in harness.notifier.parts if chat == "same"]
    assert len(times) == 6
    burst = harness.app.settings.dispatch.per_chat_burst
    assert times[burst - 1] - times[0] < dt.timedelta(seconds=1)  # text and file together
    window = dt.timedelta(seconds=1) - dt.timedelta(microseconds=1)
    assert all(times[i + burst] - times[i] >= window for i in range(len(times) - burst))


async def test_a_failed_calendar_file_does_not_repeat_the_text(harness: Harness) -> None:
    await harness.subscribe("1")
    harness.clock.current = dt.datetime(2027, 5, 1, 3, tzinfo=dt.UTC)
    harness.notifier.file_failures = [Transient("upload failed")]
    first = await harness.dispatcher.sweep()
    assert first.retried == 1 and len(harness.notifier.sent) == 1
    assert harness.notifier.files("1") == []
    harness.clock.advance(dt.timedelta(minutes=5))
    second = await harness.dispatcher.sweep()
    assert second.sent == 1
    assert len(harness.notifier.sent) == 1  # the text went once
    assert len(harness.notifier.files("1")) == 1  # the file came on the retry


async def test_change_of_details_schedule(harness: Harness) -> None:
    harness.clock.current = dt.datetime(2027, 1, 31, tzinfo=dt.UTC)
    await harness.subscribe("c", expiry=dt.date(2027, 1, 31), kind=EventKind.CHANGE)
    await harness.run_until(dt.datetime(2027, 3, 5, tzinfo=dt.UTC), dt.timedelta(hours=12))
    days = [when.date() for when, _, _ in harness.notifier.sent]
    assert days == [dt.date(2027, 2, 7), dt.date(2027, 2, 21)]
    assert "February 28, 2027" in harness.notifier.to("c")[0]


class MovingClock:
    """The wall clock's pace from a chosen moment: the loop really waits, on a known date."""

    def __init__(self, start: dt.datetime) -> None:
        self._start = start
        self._began = time.monotonic()

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._began)


async def test_the_loop_wakes_when_a_reminder_falls_due(harness: Harness) -> None:
    await harness.subscribe("1")
    due = await harness.app.store.soonest_due()
    assert due == dt.datetime(2027, 5, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    dispatcher = Dispatcher(
        store=harness.app.store,
        answers=harness.app.engine.services.answers,
        notifiers={"test": harness.notifier},
        translators=harness.app.translators,
        clock=MovingClock(due - dt.timedelta(seconds=1.5)),
        sleep=asyncio.sleep,
        settings=DispatchSettings(interval=60.0),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        # the start-up sweep finds nothing due; the next comes when the reminder is, not a
        # whole interval (60 s) later
        await asyncio.wait_for(harness.notifier.arrived.wait(), timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert len(harness.notifier.to("1")) == 1


async def test_run_loop_stops_when_asked(harness: Harness) -> None:
    stop = asyncio.Event()
    dispatcher = harness.new_dispatcher(interval=0.01)
    task = asyncio.create_task(dispatcher.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
