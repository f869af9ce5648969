"""Counters where things happen: the engine, the OutboxSender, the reminder Dispatcher."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.app import BotApp
from bot.core.ports import PlannedRow
from bot.core.render import encode_part
from bot.core.types import Outbound
from bot.metrics import Metrics
from bot.reminders.dispatcher import Blocked, Transient
from bot.runtime import OutboxSender
from tests.conftest import Chat, FakeClock
from tests.reminders.test_dispatcher import FakeNotifier


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_each_app_has_its_own_registry(app: BotApp) -> None:
    other = Metrics()
    other.update_handled("telegram", "ok", 0.01)
    assert (
        _value(app.metrics, "prbot_updates_handled_total", channel="telegram", outcome="ok") == 0
    )


async def test_the_engine_counts_updates_and_their_latency(app: BotApp) -> None:
    await Chat(app).say("/help")
    await Chat(app, chat_id="1002").say("/hours")
    metrics = app.metrics
    assert _value(metrics, "prbot_updates_handled_total", channel="test", outcome="ok") == 2
    assert _value(metrics, "prbot_update_handling_seconds_count", channel="test") == 2


async def test_the_outbox_sender_counts_send_errors(app: BotApp, clock: FakeClock) -> None:
    notifier = FakeNotifier(clock, app.engine.services.answers)
    notifier.failures = {"1": [Blocked("blocked")], "2": [Transient("timeout")]}
    store = app.store
    for chat in ("1", "2"):
        await store.outbox_add("test", chat, [encode_part(Outbound(text="hi"))], clock.now())
    sender = OutboxSender(
        store, "test", notifier, app.limiter(asyncio.sleep), clock, meter=app.metrics
    )
    await sender.drain()
    metrics = app.metrics
    assert _value(metrics, "prbot_send_errors_total", channel="test", kind="blocked") == 1
    assert _value(metrics, "prbot_send_errors_total", channel="test", kind="transient") == 1


async def test_the_dispatcher_counts_reminders_and_scrapes_count_the_pending(
    app: BotApp, clock: FakeClock
) -> None:
    now = clock.now()
    for chat in ("1", "2"):
        due = now - dt.timedelta(hours=1)
        row = PlannedRow("window_open", due, due + dt.timedelta(days=30))
        await app.store.add_subscription(
            "telegram", chat, "self", "expiry", dt.date(2027, 6, 15), [row], now
        )
    assert b"prbot_reminders_pending 2.0" in await app.metrics.exposition(app.store)
    notifier = FakeNotifier(clock, app.engine.services.answers)
    notifier.failures = {"2": [Transient("timeout")]}

    async def no_sleep(seconds: float) -> None:
        return None

    await app.dispatcher({"telegram": notifier}, sleep=no_sleep).sweep()
    metrics = app.metrics
    assert _value(metrics, "prbot_reminders_total", outcome="sent") == 1
    assert _value(metrics, "prbot_reminders_total", outcome="failed") == 1
    assert _value(metrics, "prbot_send_errors_total", channel="telegram", kind="transient") == 1
    assert b"prbot_reminders_pending 1.0" in await app.metrics.exposition(app.store)
