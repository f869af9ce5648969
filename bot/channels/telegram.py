"""Telegram adapter (python-telegram-bot): updates to Inbound, Outbound to Bot API calls."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest

from bot.app import BotApp
from bot.core.dialogue import bot_commands
from bot.core.text import use_translator
from bot.core.types import Button, Inbound, InboundKind, Outbound
from bot.reminders import dispatcher

log = logging.getLogger(__name__)

# Durations (RetryAfter.retry_after and others) as timedelta, as python-telegram-bot 23 will
# have them; without this PTB 22 warns on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")

CHANNEL = "telegram"
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API limit


def to_inbound(update: Update, bot_username: str | None, now: dt.datetime) -> Inbound | None:
    """The Inbound for an update, or None for updates the bot ignores quietly.

    Ignored: edited messages, channel posts, service messages without a sender, and in groups
    anything but commands addressed to this bot.
    """
    update_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        return Inbound(
            channel=CHANNEL,
            chat_id=str(chat_id),
            kind=InboundKind.BUTTON,
            received_at=now,
            payload=query.data or "",
            language_hint=query.from_user.language_code,
            update_id=update_id,
        )
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    text = message.text or ""
    if message.chat.type != ChatType.PRIVATE:
        if not text.startswith("/"):
            return None
        head = text.split(maxsplit=1)[0]
        if "@" in head and bot_username and head.split("@", 1)[1].lower() != bot_username.lower():
            return None
    return Inbound(
        channel=CHANNEL,
        chat_id=str(message.chat.id),
        kind=InboundKind.TEXT if text else InboundKind.UNSUPPORTED,
        received_at=now,
        text=text,
        language_hint=message.from_user.language_code,
        update_id=update_id,
    )


def to_markup(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Inline keyboard for the buttons of an Outbound."""
    if not buttons:
        return None
    rows = []
    for row in buttons:
        keys = []
        for button in row:
            if button.url:
                keys.append(InlineKeyboardButton(button.label, url=button.url))
                continue
            if len(button.payload.encode()) > CALLBACK_DATA_LIMIT:
                raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {button}")
            keys.append(InlineKeyboardButton(button.label, callback_data=button.payload))
        rows.append(keys)
    return InlineKeyboardMarkup(rows)


async def send(bot: Bot, chat_id: int | str, message: Outbound) -> None:
    """Send one Outbound: text with keyboard, then the venue, then the file."""
    if message.text:
        await bot.send_message(
            chat_id,
            message.text,
            reply_markup=to_markup(message.buttons),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    if message.venue is not None:
        venue = message.venue
        await bot.send_venue(
            chat_id,
            latitude=venue.latitude,
            longitude=venue.longitude,
            title=venue.title,
            address=venue.address,
        )
    if message.attachment is not None:
        attachment = message.attachment
        await bot.send_document(
            chat_id,
            InputFile(attachment.content, filename=attachment.filename),
            caption=None,
        )


class TelegramNotifier:
    """Sends reminders through the bot, turning Bot API errors into delivery errors."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, chat_id: str, messages: list[Outbound]) -> None:
        """Deliver the messages or raise RetryAfter, Blocked or Transient."""
        try:
            for message in messages:
                await send(self._bot, chat_id, message)
        except RetryAfter as err:
            wait = err.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            raise dispatcher.RetryAfter(seconds) from err
        except Forbidden as err:
            raise dispatcher.Blocked(str(err)) from err
        except BadRequest as err:
            if "chat not found" in str(err).lower():
                raise dispatcher.Blocked(str(err)) from err
            raise dispatcher.Transient(str(err)) from err
        except (NetworkError, TelegramError) as err:
            raise dispatcher.Transient(str(err)) from err


class TelegramChannel:
    """Connects a BotApp to a python-telegram-bot Application."""

    def __init__(self, app: BotApp) -> None:
        self.app = app
        self._stop_reminders = asyncio.Event()
        self._reminder_task: asyncio.Task[None] | None = None

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle any update: acknowledge buttons, run the engine, send the replies."""
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as err:  # an old query cannot be answered; still handle it
                log.info("callback query not acknowledged: %s", err)
        inbound = to_inbound(update, context.bot.username, self.app.engine.services.clock.now())
        if inbound is None:
            return
        for message in await self.app.engine.handle(inbound):
            await send(context.bot, inbound.chat_id, message)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log errors; never let one update stop the bot."""
        log.error("error while handling an update", exc_info=context.error)

    async def post_init(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Open the store, register the command menu and start the reminder loop."""
        await self.app.start()
        await register_commands(application.bot, self.app)
        loop = self.app.dispatcher({CHANNEL: TelegramNotifier(application.bot)})
        self._reminder_task = asyncio.create_task(loop.run(self._stop_reminders), name="reminders")

    async def post_stop(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Let the reminder loop finish the message in flight, then stop it."""
        self._stop_reminders.set()
        if self._reminder_task is not None:
            task, self._reminder_task = self._reminder_task, None
            await task

    async def post_shutdown(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Stop the reminder loop if it still runs, then close the store."""
        await self.post_stop(application)
        await self.app.stop()

    def build_application(
        self, request: BaseRequest | None = None
    ) -> Application[Any, Any, Any, Any, Any, Any]:
        """The PTB Application; `request` replaces the network layer (tests)."""
        settings = self.app.settings
        if not settings.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_api_url)
            .post_init(self.post_init)
            .post_stop(self.post_stop)
            .post_shutdown(self.post_shutdown)
        )
        if request is not None:
            builder = builder.request(request).get_updates_request(request)
        application = builder.build()
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)
        return application


async def register_commands(bot: Bot, app: BotApp) -> None:
    """setMyCommands for the default language (English) and each translated language."""
    for code, translator in app.translators.items():
        with use_translator(translator):
            commands = [BotCommand(c.command, c.description) for c in bot_commands()]
        await bot.set_my_commands(commands, language_code=None if code == "en" else code)


def run_polling(app: BotApp) -> None:
    """Run the bot with long polling until SIGINT or SIGTERM."""
    application = TelegramChannel(app).build_application()
    application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
