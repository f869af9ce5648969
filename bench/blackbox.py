"""Shared parts of the black-box benchmarks: start a bot as a process, feed it, count replies.

The bot is only a command line and environment variables (TELEGRAM_BOT_TOKEN,
TELEGRAM_API_URL, PRBOT_DATABASE) talking HTTP to bench/fake_api.py; nothing here imports
the bot's code, so the scripts keep working whatever the bot's runtime looks like inside.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fake_api import FakeApi, stop

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:bench-token"
CALIBRATION_USER = 9_000_000  # + n: users that only calibrate, never part of a burst

# Ten questions per user at the default 2000 updates / 200 users: plain text and commands,
# English and Chinese. Every user asks them in this order.
QUESTIONS = (
    "how much is the fee",
    "opening hours",
    "/fees",
    "几点开门",
    "where is the office",
    "申请费多少钱",
    "/hours",
    "how do I renew my card",
    "我的卡丢了怎么办",
    "what documents do I need",
)
LANGUAGES = ("en", "zh-hans")  # Telegram language_code of even and odd users

BOTS = {
    "echo": [sys.executable, "-m", "bench.echo_bot"],
    "prbot": [sys.executable, "-m", "bot", "run"],
}


class BenchError(RuntimeError):
    """The bot did not do what the benchmark waits for (within the timeout)."""


def exit_on_sigterm() -> None:
    """SIGTERM raises SystemExit, so the with blocks stop the bot and the fake API."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def median(values: Sequence[float]) -> float:
    """The median, or nan for no values."""
    return statistics.median(values) if values else float("nan")


def message_update(user: int, text: str, language: str, message_id: int) -> dict[str, Any]:
    """A private text message from a user, as an update body without update_id."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user, "type": "private", "first_name": f"User{user}"},
        "from": {
            "id": user,
            "is_bot": False,
            "first_name": f"User{user}",
            "language_code": language,
        },
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"message": message}


def vm_hwm_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of a running process, in MiB; nan if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time a running process used so far; nan if unreadable."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


@dataclass
class BotProcess:
    """One bot process against the fake API; always stopped by `close` (or the with block)."""

    kind: str
    api: FakeApi
    workdir: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    wrapper: Sequence[str] = ()  # e.g. ("-m", "cProfile", "-o", FILE): inserted after python
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    exit_code: int | None = None

    @property
    def log_path(self) -> Path:
        """stdout and stderr of the bot."""
        return self.workdir / f"{self.kind}.log"

    def env(self) -> dict[str, str]:
        """The inherited environment without TELEGRAM_* / PRBOT_*, plus the bot's settings."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PRBOT_"))
        }
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": self.api.base_url,
                "PRBOT_DATABASE": str(self.workdir / "prbot.sqlite3"),
                "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> BotProcess:
        """Start the process (the moment is `started_at`, time.monotonic())."""
        argv = list(BOTS[self.kind])
        argv[1:1] = list(self.wrapper)
        with self.log_path.open("ab") as log:
            self.started_at = time.monotonic()
            self.process = subprocess.Popen(
                argv,
                cwd=self.workdir,  # no .env file there
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        """The bot's pid (python itself: no shell in between)."""
        assert self.process is not None
        return self.process.pid

    def alive(self) -> None:
        """Raise if the bot exited."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise BenchError(f"{self.kind} exited with {self.process.returncode}: {self.tail()}")

    def tail(self, lines: int = 15) -> str:
        """The end of the bot's log."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def close(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (a clean stop, which also writes a profile), then SIGKILL."""
        if self.process is not None:
            self.exit_code = stop(self.process, timeout=timeout)
            self.process = None
        return self.exit_code


def wait_until(
    check: Callable[[], Any], bot: BotProcess, timeout: float, what: str, poll: float = 0.05
) -> Any:
    """Poll `check` until it returns something truthy; raise after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        bot.alive()
        if time.monotonic() >= deadline:
            raise BenchError(f"{bot.kind}: no {what} within {timeout:.0f} s:\n{bot.tail()}")
        time.sleep(poll)


def wait_first_get_updates(bot: BotProcess, timeout: float = 120.0) -> float:
    """The fake API's time of the bot's first getUpdates."""
    return float(
        wait_until(lambda: bot.api.stats()["first_get_updates"], bot, timeout, "getUpdates")
    )


def settle(bot: BotProcess, chat: str, before: int, quiet: float, first: float = 10.0) -> int:
    """Replies to a chat once a new one came (or `first` seconds passed without any) and then
    none came for `quiet` seconds."""
    start = time.monotonic()
    count, changed = before, start
    while True:
        now_count = int(bot.api.stats()["replies"].get(chat, 0))
        now = time.monotonic()
        if now_count != count:
            count, changed = now_count, now
        elif count > before and now - changed >= quiet:
            return count
        if now - start >= first and count == before:
            return count  # no reply to this one at all
        if now - start >= first + 60:
            raise BenchError(f"{bot.kind}: chat {chat} never went quiet:\n{bot.tail()}")
        bot.alive()
        time.sleep(0.02)


def sequence(questions: Sequence[str], count: int) -> list[str]:
    """The first `count` questions a user asks: the list, repeated as needed."""
    return [questions[i % len(questions)] for i in range(count)]


def calibrate(
    bot: BotProcess, questions: Sequence[str], count: int, run: int, quiet: float = 0.3
) -> dict[str, list[int]]:
    """Replies per question, per language, for one fresh user asking the questions in order.

    Pushes one question, waits until the replies to it stop (`quiet` seconds), then the next.
    The burst's users ask the same first `count` questions in the same order (the list
    repeated as needed), so a burst user with k
    questions is answered when sum(counts[:k]) replies reached its chat. Also the warm-up.
    """
    counts: dict[str, list[int]] = {}
    for n, language in enumerate(LANGUAGES):
        user = CALIBRATION_USER + 10 * run + n
        chat, per_question, total = str(user), [], 0
        for i, text in enumerate(sequence(questions, count)):
            bot.api.push([message_update(user, text, language, i + 1)])
            now_total = settle(bot, chat, total, quiet)
            per_question.append(now_total - total)
            total = now_total
        counts[language] = per_question
    return counts


@dataclass
class Burst:
    """The outcome of one burst."""

    updates: int
    users: int
    seconds: float  # from the push to the last reply that completed the expectation
    expected: int  # replies expected in all
    replies: int  # replies counted (any send*)
    send_message: int
    complete: bool  # every chat got its expected replies (else: ended on quiet or timeout)
    short_chats: int  # chats below their expected count
    peak_per_second: int  # most replies within one whole second since the push
    get_updates_calls: int
    bot_cpu: float  # CPU seconds the bot used from the push to the end of the wait
    api_cpu: float  # the same for the fake Bot API process

    @property
    def rate(self) -> float:
        """Updates per second."""
        return self.updates / self.seconds if self.seconds > 0 else float("nan")


def burst(
    bot: BotProcess,
    updates: int,
    users: int,
    questions: Sequence[str],
    expected_counts: Mapping[str, Sequence[int]],
    first_user: int,
    timeout: float = 300.0,
    quiet: float = 3.0,
) -> Burst:
    """Push `updates` updates from `users` users at once; wait until all are answered.

    Update k comes from user k % users and is that user's (k // users)-th question, so every
    user asks the questions in order. Done when every chat got the replies calibration says
    it should (the time is the moment of the last reply); if replies stop for `quiet` seconds
    first while every user got at least one, it ends there and says so.
    """
    bodies, per_user = [], [0] * users
    for k in range(updates):
        u = k % users
        position = per_user[u]
        per_user[u] += 1
        language = LANGUAGES[u % len(LANGUAGES)]
        text = questions[position % len(questions)]
        bodies.append(message_update(first_user + u, text, language, position + 1))
    expected: dict[str, int] = {}
    for u, count in enumerate(per_user):
        per_question = expected_counts[LANGUAGES[u % len(LANGUAGES)]]
        if len(per_question) < count:
            raise ValueError(f"calibrated {len(per_question)} questions, users ask {count}")
        expected[str(first_user + u)] = sum(per_question[:count])
    api_pid = bot.api.process.pid if bot.api.process is not None else None
    bot.api.reset()
    cpu_before = cpu_seconds(bot.pid), cpu_seconds(api_pid)
    pushed = bot.api.push(bodies)
    deadline = time.monotonic() + timeout
    last_total, changed = -1, time.monotonic()
    while True:
        stats = bot.api.stats()
        replies: dict[str, int] = stats["replies"]
        short = sum(1 for chat, want in expected.items() if replies.get(chat, 0) < want)
        total = sum(replies.get(chat, 0) for chat in expected)
        if total != last_total:
            last_total, changed = total, time.monotonic()
        answered_all = all(replies.get(chat, 0) > 0 for chat in expected)
        now = time.monotonic()
        if not short or (answered_all and now - changed >= quiet) or now >= deadline:
            break
        bot.alive()
        time.sleep(0.1)
    cpu_after = cpu_seconds(bot.pid), cpu_seconds(api_pid)
    last = stats["last_reply"] or stats["now"]
    per_second = stats["reply_seconds"]
    return Burst(
        updates=updates,
        users=users,
        seconds=last - pushed["at"],
        expected=sum(expected.values()),
        replies=total,
        send_message=sum(stats["send_message"].get(chat, 0) for chat in expected),
        complete=not short,
        short_chats=short,
        peak_per_second=max(per_second.values(), default=0),
        get_updates_calls=int(stats["calls"].get("getUpdates", 0)),
        bot_cpu=cpu_after[0] - cpu_before[0],
        api_cpu=cpu_after[1] - cpu_before[1],
    )
