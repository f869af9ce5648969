"""The console adapter and the `prbot` command, as a user would run them."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.app import BotApp, build_app
from bot.channels.console import CONSOLE, ConsoleChannel, show
from bot.core.render import render
from bot.core.types import Button, Outbound
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PRBOT_"))}
    env.update({"PRBOT_DATABASE": str(tmp_path / "c.sqlite3"), "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def test_buttons_render_as_numbered_lines() -> None:
    parts, options = render(
        [Outbound("Pick", ((Button("A", "t:a"), Button("B", "t:b")),))], CONSOLE
    )
    text = show(parts)
    assert "Reply 1 for A" in text and "Reply 2 for B" in text
    assert options[1] == {"n": "2", "label": "B", "payload": "t:b"}


def _number_of(menu: str, label: str) -> str:
    line = next(line for line in menu.splitlines() if label in line)
    return line.removeprefix("Reply ").split(" for ")[0]


async def test_typing_a_number_or_the_words_presses_the_button(app: BotApp) -> None:
    console = ConsoleChannel(app, stdin=io.StringIO(), stdout=io.StringIO(), language_hint="en")
    menu = await console.exchange("/start")
    assert "1,500" in await console.exchange(_number_of(menu, "Fees"))
    menu = await console.exchange("/start")
    label = next(line for line in menu.splitlines() if "Fees" in line).split(" for ", 1)[1]
    assert "1,500" in await console.exchange(label.lower())


async def test_numbered_options_survive_a_restart(
    database: Path, clock: Any, resources: Any
) -> None:
    first = build_app(make_settings(database), resources=resources, clock=clock)
    await first.start()
    menu = await ConsoleChannel(first, io.StringIO(), io.StringIO(), "en").exchange("/start")
    await first.stop()
    second = build_app(make_settings(database), resources=resources, clock=clock)
    await second.start()
    try:
        console = ConsoleChannel(second, io.StringIO(), io.StringIO(), "en")
        assert "1,500" in await console.exchange(_number_of(menu, "Fees"))
    finally:
        await second.stop()


def test_prbot_without_token_starts_the_console(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="how much is the application fee\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert "TELEGRAM_BOT_TOKEN" in first_line
    assert "1,500" in result.stdout
    assert (tmp_path / "c.sqlite3").exists()


def test_prbot_run_without_token_fails_clearly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_invalid_setting_fails_at_start_up(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path, PRBOT_LOG_LEVEL="chatty"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "PRBOT_LOG_LEVEL" in result.stderr


def test_sigterm_stops_the_console_cleanly(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
    ) as process:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        seen = ""
        while "> " not in seen and time.monotonic() < deadline:
            seen += process.stdout.read(1)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            process.kill()
    assert process.returncode == 0
    assert "Permanent Resident ID Card" in seen


def test_telegram_mode_polls_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """`prbot` with a token runs long polling against TELEGRAM_API_URL; SIGTERM exits 0."""
    from tests.channels.bot_api_server import FakeBotApi
    from tests.channels.fake_bot_api import message_update

    with FakeBotApi() as api:
        env = _env(tmp_path, TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_API_URL=api.base_url)
        with subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            try:
                assert len(api.wait_for("setMyCommands", 2)) >= 2
                api.push_update(message_update("/fees", chat_id=4242, update_id=1))
                sent = api.wait_for("sendMessage", 1)
                assert sent and "1,500" in str(sent[0]["text"])
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            finally:
                process.kill()
        assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def test_prbot_stats_prints_counts_and_unplaced_questions(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="/fees\n1\nblorp zxqv\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    stats = subprocess.run(
        [sys.executable, "-m", "bot", "stats"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert stats.returncode == 0, stats.stderr
    fees = next(line for line in stats.stdout.splitlines() if line.startswith("fees"))
    assert fees.split()[1] == "1"
    assert "blorp zxqv" in stats.stdout


async def test_a_page_button_on_the_console_shows_the_next_page_as_new_text(app: BotApp) -> None:
    console = ConsoleChannel(app, stdin=io.StringIO(), stdout=io.StringIO(), language_hint="en")
    first = await console.exchange("/pathways")
    assert "page 1 of 3" in first
    second = await console.exchange(_number_of(first, "Next"))
    assert "page 2 of 3" in second and "page 1 of 3" not in second
    assert "Reply" in second  # the new page's own numbered options
