"""Console adapter: chat with the bot in a terminal, offline; buttons become numbers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TextIO

from bot.app import BotApp
from bot.core.types import Button, Inbound, InboundKind, Outbound

CHANNEL = "console"
CHAT_ID = "local"  # one person at one terminal
PROMPT = "> "


def render(
    messages: list[Outbound], files_dir: Path | None = None
) -> tuple[str, dict[str, Button]]:
    """Text for the terminal and the buttons by the number the user types.

    Attachments (calendar files) are written to `files_dir` and shown by their path.
    """
    lines: list[str] = []
    keys: dict[str, Button] = {}
    number = 1
    for message in messages:
        if message.text:
            lines.append(message.text)
        if message.venue is not None:
            venue = message.venue
            lines.append(
                f"📍 {venue.title}, {venue.address} ({venue.latitude}, {venue.longitude})"
            )
        if message.attachment is not None:
            shown = message.attachment.filename
            if files_dir is not None:
                files_dir.mkdir(parents=True, exist_ok=True)
                target = files_dir / Path(shown).name
                target.write_bytes(message.attachment.content)
                shown = str(target)
            lines.append(f"📎 {shown}")
        for row in message.buttons:
            cells = []
            for button in row:
                if button.url:
                    cells.append(f"{button.label}: {button.url}")
                else:
                    keys[str(number)] = button
                    cells.append(f"[{number}] {button.label}")
                    number += 1
            lines.append("   ".join(cells))
        lines.append("")
    return "\n".join(lines), keys


class ConsoleNotifier:
    """Prints reminders into the running console chat."""

    def __init__(self, channel: ConsoleChannel) -> None:
        self._channel = channel

    async def send(self, chat_id: str, messages: list[Outbound]) -> None:
        """Show the reminder; its buttons become the current numbered choices."""
        output, keys = render(messages, self._channel.files_dir)
        if keys:
            self._channel.keys = keys
        self._channel._write("\n" + output)


class ConsoleChannel:
    """A one-user chat over stdin and stdout."""

    def __init__(
        self,
        app: BotApp,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        language_hint: str | None = None,
    ) -> None:
        self.app = app
        self.stdin = stdin
        self.stdout = stdout
        self.language_hint = language_hint or _locale_from_env()
        self.keys: dict[str, Button] = {}
        self._output_closed = False
        self.files_dir = app.settings.database.parent / "files"

    def inbound_for(self, line: str) -> Inbound:
        """A typed number presses that button; anything else is text."""
        now = self.app.engine.services.clock.now()
        text = line.strip()
        button = self.keys.get(text)
        if button is not None:
            return Inbound(
                CHANNEL,
                CHAT_ID,
                InboundKind.BUTTON,
                now,
                payload=button.payload,
                language_hint=self.language_hint,
            )
        return Inbound(
            CHANNEL, CHAT_ID, InboundKind.TEXT, now, text=text, language_hint=self.language_hint
        )

    async def exchange(self, line: str) -> str:
        """Handle one typed line and return what the bot prints."""
        replies = await self.app.engine.handle(self.inbound_for(line))
        output, keys = render(replies, self.files_dir)
        if keys:
            self.keys = keys
        return output

    async def run(self) -> None:
        """Chat until end of input, /quit, Ctrl-C or SIGTERM."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        lines = _start_reader(self.stdin, loop)
        await self.app.start()
        stop_reminders = asyncio.Event()
        reminders = asyncio.create_task(
            self.app.dispatcher({CHANNEL: ConsoleNotifier(self)}).run(stop_reminders)
        )
        try:
            self._write(await self.exchange("/start"))
            while not stop.is_set() and not self._output_closed:
                self._write(PROMPT, newline=False)
                line = await _first(lines.get(), stop)
                if line is None or line == "" or line.strip() in ("/quit", "/exit"):
                    break
                if not line.strip():
                    continue
                self._write(await self.exchange(line))
        finally:
            stop_reminders.set()
            await reminders
            await self.app.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        self._write("")

    def _write(self, text: str, newline: bool = True) -> None:
        if self._output_closed:
            return
        try:
            self.stdout.write(text + ("\n" if newline else ""))
            self.stdout.flush()
        except BrokenPipeError:  # the reader went away (`prbot | head`): finish quietly
            self._output_closed = True


def _start_reader(stdin: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str]:
    """Read lines in a daemon thread, so a blocked read never keeps the process alive."""
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = stdin.readline()
            loop.call_soon_threadsafe(queue.put_nowait, line)
            if line == "":
                return

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return queue


async def _first(reading: Coroutine[Any, Any, str], stop: asyncio.Event) -> str | None:
    """The line read, or None when asked to stop first."""
    reader = asyncio.ensure_future(reading)
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if reader in done:
        return reader.result()
    reader.cancel()
    return None


def _locale_from_env() -> str | None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(".", 1)[0]
    return None
