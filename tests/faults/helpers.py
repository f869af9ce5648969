"""Shared helpers for the fault tests: a real `prbot run` process on a real SQLite file, talking
to the fake Bot API server on 127.0.0.1 (tests/channels/bot_api_server.py).

Every wait here is bounded, and `running_bot` kills its process in a `finally`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bot.core.ports import Conversation, PlannedRow
from bot.storage.sqlite import SqliteStore
from tests.channels.bot_api_server import FakeBotApi
from tests.channels.fake_bot_api import message_update

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123:fault-test"
SEND_METHODS = ("sendMessage", "sendDocument", "sendVenue")
STARTUP = 30.0  # seconds a bot gets to load its data and connect (a slow CI machine)
_update_ids = itertools.count(10_000)


def next_update_id() -> int:
    """A fresh update id (unique within the test session)."""
    return next(_update_ids)


def text_update(chat_id: int, text: str, update_id: int | None = None) -> dict[str, Any]:
    """A private text message (a /command gets its bot_command entity)."""
    return message_update(text, chat_id=chat_id, update_id=update_id or next_update_id())


def bot_env(api_url: str, database: Path | str, **extra: str) -> dict[str, str]:
    """The environment of a `prbot run` process: no inherited TELEGRAM_/PRBOT_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PRBOT_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api_url,
            "PRBOT_DATABASE": str(database),
            "PRBOT_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class BotProcess:
    """One `python -m bot run` process; its stderr goes to a file, readable at any time."""

    def __init__(
        self,
        api_url: str,
        database: Path | str,
        workdir: Path,
        *,
        name: str = "bot",
        command: list[str] | None = None,
        **env: str,
    ) -> None:
        self.stderr_path = workdir / f"{name}-{next_update_id()}.stderr"
        self._stderr = self.stderr_path.open("wb")
        argv = [*(command or []), sys.executable, "-m", "bot", "run"]
        self.process = subprocess.Popen(
            argv,
            env=bot_env(api_url, database, **env),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """The exit code, None while running."""
        return self.process.poll()

    def stderr(self) -> str:
        """Everything written to stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stderr_lines(self) -> list[str]:
        """The non-empty stderr lines so far."""
        return [line for line in self.stderr().splitlines() if line.strip()]

    def wait(self, timeout: float) -> int:
        """Wait for the exit; the exit code (AssertionError when it takes too long)."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"prbot did not exit within {timeout} s; stderr:\n{self.stderr()[-3000:]}"
            ) from None

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait for the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill9(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def close(self) -> None:
        """Kill the process if it still runs, close the stderr file."""
        try:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=10)
        finally:
            self._stderr.close()


@contextmanager
def running_bot(
    api_url: str, database: Path | str, workdir: Path, **kwargs: Any
) -> Iterator[BotProcess]:
    """Start a bot process; it is killed on the way out, whatever happens."""
    bot = BotProcess(api_url, database, workdir, **kwargs)
    try:
        yield bot
    finally:
        bot.close()


def wait_until(
    condition: Callable[[], object],
    timeout: float,
    what: str,
    *,
    interval: float = 0.05,
    detail: Callable[[], str] | None = None,
) -> None:
    """Poll `condition` until it is true; AssertionError naming `what` after `timeout` s,
    with `detail()` (a bot's log, say) to tell why."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            why = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{why}")
        time.sleep(interval)


def wait_polling(api: FakeBotApi, bot: BotProcess | None = None, timeout: float = STARTUP) -> None:
    """Wait until the bot asks for updates (it is connected and its poller runs)."""

    def polling() -> bool:
        if bot is not None and bot.returncode is not None:
            raise AssertionError(f"prbot exited with {bot.returncode}:\n{bot.stderr()[-3000:]}")
        return bool(api.of("getUpdates"))

    wait_until(polling, timeout, "the first getUpdates")


def sends(api: FakeBotApi) -> list[tuple[str, dict[str, Any]]]:
    """Every send* call so far, in the order the server received them."""
    with api._lock:
        return [(m, p) for m, p in api.calls if m in SEND_METHODS]


def texts_by_chat(api: FakeBotApi) -> dict[str, list[str]]:
    """sendMessage texts per chat id, in the order received (including refused attempts)."""
    found: dict[str, list[str]] = defaultdict(list)
    for params in api.of("sendMessage"):
        found[str(params["chat_id"])].append(str(params.get("text", "")))
    return dict(found)


def count_by_chat(api: FakeBotApi, method: str = "sendMessage") -> dict[str, int]:
    """How many calls of `method` each chat got."""
    found: dict[str, int] = defaultdict(int)
    for params in api.of(method):
        found[str(params["chat_id"])] += 1
    return dict(found)


class PerChatBotApi(FakeBotApi):
    """The fake Bot API, with answers injected for one chat's sends (`chat_failures`), on a
    chosen port if given. Every call is still recorded, refused ones included."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__()
        self.chat_failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.send_times: list[tuple[float, str, int]] = []  # (monotonic, chat id, status)
        self.delivered: list[tuple[str, str, str]] = []  # (chat id, method, text) accepted
        # When set, an injected failure is answered once the wall clock's fraction of a second
        # reaches this value (e.g. 0.5), so that rounding to whole seconds shows every time.
        self.align_failures: float | None = None
        if port is not None:
            self._server.server_close()
            self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not method.startswith("send"):
            return super().answer(method, params)
        chat = str(params.get("chat_id"))
        with self._lock:
            queued = self.chat_failures.get(chat)
            failure = queued.pop(0) if queued else None
        if failure is not None and self.align_failures is not None:
            time.sleep((self.align_failures - time.time() % 1.0) % 1.0)
        with self._lock:
            answer = failure or super().answer(method, params)
            self.send_times.append((time.monotonic(), chat, answer[0]))
            if answer[0] == 200:
                self.delivered.append((chat, method, str(params.get("text", ""))))
        return answer

    def delivered_texts(self, chat: str) -> list[str]:
        """The sendMessage texts one chat really got (refused attempts left out), in order."""
        with self._lock:
            return [t for c, m, t in self.delivered if c == chat and m == "sendMessage"]

    def gaps(self, chat: str) -> list[float]:
        """Seconds between one chat's successive send attempts."""
        with self._lock:
            moments = [moment for moment, c, _status in self.send_times if c == chat]
        return [later - earlier for earlier, later in itertools.pairwise(moments)]


class ExclusiveLock:
    """Another process (python + sqlite3) holding `BEGIN EXCLUSIVE` on a database file."""

    SCRIPT = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
        "db.execute('ROLLBACK')\n"
    )

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # bounded by the 5 s busy timeout of the script
        if line.strip() != "locked":
            self.release()
            raise AssertionError("the locking process could not lock the database")

    def release(self) -> None:
        """Roll back and end the locking process."""
        try:
            if self.process.stdin is not None and not self.process.stdin.closed:
                self.process.stdin.close()
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()

    def __enter__(self) -> ExclusiveLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def create_database(path: Path) -> None:
    """A valid, empty prbot database (schema up to date), closed again."""

    async def make() -> None:
        async with SqliteStore(path):
            pass

    asyncio.run(make())


def seed_reminders(path: Path, chat_ids: list[int], *, in_future: bool = False) -> None:
    """Subscribers with one 'window_open' reminder each, due an hour ago (or in an hour)."""

    async def seed() -> None:
        now = dt.datetime.now(dt.UTC)
        due = now + dt.timedelta(hours=1 if in_future else -1)
        async with SqliteStore(path) as store:
            for chat_id in chat_ids:
                chat = str(chat_id)
                await store.save_conversation(Conversation("telegram", chat, "en"), now)
                expiry = now + dt.timedelta(days=30)
                row = PlannedRow("window_open", due, expiry)
                await store.add_subscription(
                    "telegram", chat, "self", "expiry", expiry.date(), [row], now
                )

    asyncio.run(seed())


def reminder_statuses(path: Path) -> dict[str, int]:
    """How many reminder rows are in each status."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT status, count(*) FROM reminders GROUP BY status").fetchall()
    return {str(status): int(count) for status, count in rows}


def traceback_free(text: str) -> bool:
    """No Python traceback in a process's output."""
    return "Traceback" not in text and 'File "' not in text


def make_due_now(path: Path, chat_ids: list[int]) -> None:
    """Move the pending reminders of these chats to "due a minute ago" (another connection
    writing to the live file, as an operator's sqlite3 would)."""
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
    marks = ",".join("?" * len(chat_ids))
    with sqlite3.connect(path, timeout=10) as db:
        db.execute(
            "UPDATE reminders SET due_at = ?, not_before = ? WHERE status = 'pending' AND"
            f" subscription_id IN (SELECT id FROM subscriptions WHERE chat_id IN ({marks}))",
            (stamp, stamp, *[str(c) for c in chat_ids]),
        )


def push_all(api: FakeBotApi, updates: list[dict[str, Any]]) -> None:
    """Queue several updates at once: the next getUpdates returns them all together."""
    with api._lock:
        api.updates.extend(updates)
        api._lock.notify_all()


def assert_one_line_failure(bot: BotProcess, database: Path | str, returncode: int) -> str:
    """Exit code 1 and exactly one stderr line `prbot: cannot use the database at PATH: ...`,
    without a traceback; the reason (the part after the path) is returned."""
    output = bot.stderr()
    lines = bot.stderr_lines()
    assert returncode == 1, output
    assert len(lines) == 1, output
    assert traceback_free(output), output
    prefix = f"prbot: cannot use the database at {database}: "
    assert lines[0].startswith(prefix), output
    reason = lines[0][len(prefix) :]
    assert reason.strip(), output
    return reason
