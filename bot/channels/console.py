"""Console channel: chat with the bot in a terminal, offline.

A terminal has no buttons, so the console takes the same path as any channel without them:
the engine shows options as numbered lines, keeps them with the conversation, and reads a
typed number (or the option's words) as the press.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.app import BotApp
from bot.core.engine import failure_text
from bot.core.ports import StoreError
from bot.core.render import Capabilities, TextUnit, render
from bot.core.text import use_translator
from bot.core.types import Inbound, InboundKind, Outbound
from bot.reminders.dispatcher import ReminderNotice
from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHANNEL = "console"
CHAT_ID = "local"  # one person at one terminal
PROMPT = "> "
CONSOLE = Capabilities(
    buttons=False, text_limit=1_000_000, text_unit=TextUnit.CHARS, files=True, locations=True
)


def show(parts: list[Outbound], files_dir: Path | None = None) -> str:
    """The parts as terminal text. Files (calendar files) are written to `files_dir`."""
    lines: list[str] = []
    for part in parts:
        if part.text:
            lines.append(part.text)
        if part.venue is not None:
            venue = part.venue
            lines.append(
                f"📍 {venue.title}, {venue.address} ({venue.latitude}, {venue.longitude})"
            )
        if part.attachment is not None:
            shown = part.attachment.filename
            if files_dir is not None:
                files_dir.mkdir(parents=True, exist_ok=True)
                target = files_dir / Path(shown).name
                target.write_bytes(part.attachment.content)
                shown = str(target)
            lines.append(f"📎 {shown}")
        lines.append("")
    return "\n".join(lines)


class ConsoleNotifier:
    """Prints reminders into the running console chat."""

    def __init__(self, channel: ConsoleChannel) -> None:
        self._channel = channel

    def reminder_parts(self, notice: ReminderNotice) -> list[Outbound]:
        """The reminder with its options as numbered lines."""
        messages = self._channel.app.engine.services.answers.reminder(
            notice.kind, notice.subscription, notice.now
        )
        parts, options = render(messages, CONSOLE)
        self._channel.pending_options = options
        return parts

    async def send(self, chat_id: str, part: Outbound) -> None:
        """Show one part; the reminder's numbered options become the ones to answer."""
        self._channel.write("\n" + show([part], self._channel.files_dir))
        options, self._channel.pending_options = self._channel.pending_options, []
        if options:
            await self._channel.app.engine.offer_options(CHANNEL, chat_id, options)


class ConsoleChannel:
    """A one-user chat over stdin and stdout."""

    name = CHANNEL

    def __init__(
        self,
        app: BotApp,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        language_hint: str | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.stdin = stdin
        self.stdout = stdout
        self.language_hint = language_hint or _locale_from_env()
        self.files_dir = app.settings.database.parent / "files"
        self.pending_options: list[dict[str, str]] = []
        self._on_end = on_end
        self._output_closed = False
        self._chat: asyncio.Task[None] | None = None
        self._notifier = ConsoleNotifier(self)

    def inbound_for(self, line: str) -> Inbound:
        """A typed line as text; the engine reads a number as the option it stands for."""
        now = self.app.clock.now()
        return Inbound(
            CHANNEL,
            CHAT_ID,
            InboundKind.TEXT,
            now,
            text=line.strip(),
            language_hint=self.language_hint,
        )

    async def exchange(self, line: str) -> str:
        """Handle one typed line and return what the bot prints."""
        engine = self.app.engine
        try:
            parts = await engine.handle(self.inbound_for(line), CONSOLE)
        except StoreError as err:
            log.error("the database failed: %s", err)
            with use_translator(engine.translator_for(self.language_hint)):
                return failure_text() + "\n"
        return show(parts, self.files_dir)

    async def start(self, runtime: Runtime) -> None:
        """Greet and start reading lines."""
        lines = _start_reader(self.stdin, asyncio.get_running_loop())
        self._chat = asyncio.create_task(self._converse(lines), name="console")

    async def _converse(self, lines: asyncio.Queue[str]) -> None:
        try:
            self.write(await self.exchange("/start"))
            while not self._output_closed:
                self.write(PROMPT, newline=False)
                line = await lines.get()
                if line == "" or line.strip() in ("/quit", "/exit"):
                    break
                if line.strip():
                    self.write(await self.exchange(line))
        finally:
            if self._on_end is not None:
                self._on_end()

    async def stop(self) -> None:
        """Stop reading; the chat in progress ends."""
        if self._chat is not None and not self._chat.done():
            self._chat.cancel()
            await asyncio.gather(self._chat, return_exceptions=True)
        self.write("")

    def notifier(self) -> ConsoleNotifier:
        """Reminders appear in the chat."""
        return self._notifier

    def write(self, text: str, newline: bool = True) -> None:
        """Print to the terminal; a closed pipe (`prbot | head`) ends the chat quietly."""
        if self._output_closed:
            return
        try:
            self.stdout.write(text + ("\n" if newline else ""))
            self.stdout.flush()
        except BrokenPipeError:
            self._output_closed = True
            if self._on_end is not None:
                self._on_end()


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


def _locale_from_env() -> str | None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(".", 1)[0]
    return None
