"""The runtime's parts: the outbox sender on a fake clock, per-chat ordering, plug-in channels."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.core.render import encode_part
from bot.core.types import Outbound
from bot.reminders.dispatcher import (
    Blocked,
    RateLimiter,
    Rejected,
    ReminderNotice,
    RetryAfter,
    Transient,
)
from bot.runtime import ChatRouter, OutboxSender
from bot.storage.sqlite import SqliteStore
from tests.conftest import FakeClock


class Recorder:
    """A notifier that records parts and fails as told, per chat."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[tuple[str, str]] = []
        self.failures: dict[str, list[Exception]] = {}

    def reminder_parts(self, notice: ReminderNotice) -> list[Outbound]:
        return []

    async def send(self, chat_id: str, part: Outbound) -> None:
        queued = self.failures.get(chat_id)
        if queued:
            raise queued.pop(0)
        self.sent.append((chat_id, part.text))


async def _sender(tmp_path: Path, clock: FakeClock) -> tuple[SqliteStore, Recorder, OutboxSender]:
    store = SqliteStore(tmp_path / "outbox.sqlite3")
    await store.open()
    recorder = Recorder(clock)

    async def sleep(seconds: float) -> None:
        clock.advance(dt.timedelta(seconds=seconds))

    limiter = RateLimiter(clock, sleep, per_second=25.0, per_chat=1.0, burst=3)
    return store, recorder, OutboxSender(store, "t", recorder, limiter, clock)


async def _queue(store: SqliteStore, clock: FakeClock, chat: str, *texts: str) -> None:
    await store.outbox_add("t", chat, [encode_part(Outbound(t)) for t in texts], clock.now())


async def test_a_chat_that_must_wait_does_not_hold_up_the_others(tmp_path: Path) -> None:
    clock = FakeClock()
    store, recorder, sender = await _sender(tmp_path, clock)
    try:
        await _queue(store, clock, "slow", "s1", "s2")
        await _queue(store, clock, "down", "d1")
        await _queue(store, clock, "fine", "f1")
        recorder.failures = {"slow": [RetryAfter(30)], "down": [Transient("502")]}
        await sender.drain()
        assert recorder.sent == [("fine", "f1")]  # s2 waits behind s1: the chat keeps its order
        clock.advance(dt.timedelta(seconds=31))
        await sender.drain()
        assert recorder.sent[1:] == [("slow", "s1"), ("slow", "s2"), ("down", "d1")]
        assert await store.outbox_pending("t", 10) == []
    finally:
        await store.close()


async def test_blocked_and_rejected_parts_are_dropped_not_retried(tmp_path: Path) -> None:
    clock = FakeClock()
    store, recorder, sender = await _sender(tmp_path, clock)
    try:
        await _queue(store, clock, "gone", "g1")
        await _queue(store, clock, "bad", "b1", "b2")
        recorder.failures = {"gone": [Blocked("403")], "bad": [Rejected("400")]}
        await sender.drain()
        assert recorder.sent == [("bad", "b2")]
        assert await store.outbox_pending("t", 10) == []
    finally:
        await store.close()


async def test_a_reply_is_given_up_after_bounded_retries(tmp_path: Path) -> None:
    clock = FakeClock()
    store, recorder, sender = await _sender(tmp_path, clock)
    try:
        await _queue(store, clock, "down", "d1")
        recorder.failures = {"down": [Transient("timeout")] * 20}
        for _ in range(OutboxSender.MAX_ATTEMPTS):
            await sender.drain()
            clock.advance(dt.timedelta(minutes=11))
        assert await store.outbox_pending("t", 10) == []
        assert recorder.sent == []
        assert len(recorder.failures["down"]) == 20 - OutboxSender.MAX_ATTEMPTS
    finally:
        await store.close()


async def test_one_chat_in_order_different_chats_at_once() -> None:
    router = ChatRouter()
    log: list[str] = []
    gate = asyncio.Event()

    def work(name: str, wait: bool = False):  # type: ignore[no-untyped-def]
        async def run() -> None:
            if wait:
                await gate.wait()
            log.append(name)

        return run

    router.submit("a", work("a1", wait=True))
    router.submit("a", work("a2"))
    router.submit("b", work("b1"))
    await asyncio.sleep(0.01)
    assert log == ["b1"]  # chat b is not held up by chat a's slow update
    gate.set()
    await router.join(within=1.0)
    assert log == ["b1", "a1", "a2"]
    assert router.pending == 0


async def test_wait_below_returns_once_enough_work_finished() -> None:
    router = ChatRouter()
    gates = {name: asyncio.Event() for name in ("a", "b", "c")}

    def work(name: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await gates[name].wait()

        return run

    for name in gates:
        router.submit(name, work(name))
    waiting = asyncio.create_task(router.wait_below(2))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # three in hand
    gates["b"].set()
    await asyncio.sleep(0.01)
    assert not waiting.done()  # two in hand: still not below two
    gates["a"].set()
    await asyncio.wait_for(waiting, 1.0)
    assert router.pending == 1
    await router.wait_below(2)  # already below: returns at once
    gates["c"].set()
    await router.join(within=1.0)
    assert router.pending == 0


def test_core_modules_import_no_cycle() -> None:
    import ast

    root = Path(__file__).resolve().parents[1] / "bot" / "core"
    graph: dict[str, set[str]] = {}
    for path in root.glob("*.py"):
        module = f"bot.core.{path.stem}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("bot.core")
        }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        assert module not in visiting, " -> ".join([*visiting, module])
        if module in done:
            return
        visiting.append(module)
        for target in graph.get(module, ()):
            visit(target)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)
