"""Telegram channel (python-telegram-bot): updates to Inbound, parts to Bot API calls.

Long polling is our own small loop over PTB's network layer, because PTB's Updater confirms a
batch to Telegram as soon as it has fetched it: here every fetched update is written to the
inbox first, and only then is the next offset (the confirmation) asked for. An update PTB
cannot parse is logged once and skipped. Replies go through the outbox and are sent by the
runtime's OutboxSender, so a 429 or a 5xx delays a reply instead of losing it.
"""

from __future__ import annotations

import bot.channels.ptb  # noqa: F401  # before telegram: see there

# isort: split

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import os
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import (
    Bot,
    BotCommand,
    InputFile,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest, RequestData

# PTB builds RequestData from RequestParameter; the class is not exported (PTB is pinned to
# 22.x, and tests/channels/test_telegram.py sends through it, so a change fails loudly).
from telegram.request._requestparameter import RequestParameter

from bot.app import BotApp
from bot.channels.telegram_http import AiohttpRequest
from bot.core.dialogue import bot_commands
from bot.core.ports import StoreError
from bot.core.render import TELEGRAM, encode_part
from bot.core.text import use_translator
from bot.core.types import Button, Inbound, InboundKind, Outbound
from bot.reminders import dispatcher
from bot.reminders.dispatcher import ReminderNotice, standard_reminder
from bot.runtime import ChatRouter, OutboxSender, Runtime

log = logging.getLogger(__name__)

# Durations (RetryAfter.retry_after and others) as timedelta, as python-telegram-bot 23 will
# have them; without this PTB 22 warns on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")

CHANNEL = "telegram"
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API limit
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
CONNECT_WAIT = 30.0  # seconds a reminder waits for the Bot API connection before a retry
# Updates in hand before the poller waits for the handlers to catch up: one and a half
# getUpdates batches (100 each) for 32 handled at once. Each one in hand holds its JSON, a task
# and its parsed objects: 500 cost about 2 MiB more at a burst's peak and were no faster.
BACKLOG = 150
WEBHOOK_PATH = "/telegram"  # appended to TELEGRAM_WEBHOOK_URL
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_MAX_BODY = 1024 * 1024  # bytes; a real update is far smaller
WEBHOOK_WAIT = 10.0  # seconds a webhook request waits for its update to be handled
# A stored update older than this, in a store several replicas share, was abandoned by the
# replica that stored it (killed before handling it): any replica may take it.
ABANDONED = dt.timedelta(minutes=2)
SWEEP_INTERVAL = 60.0  # seconds between looks for abandoned updates (shared store only)


def to_inbound(update: Update, bot_username: str | None, now: dt.datetime) -> Inbound | None:
    """The Inbound for an update, or None for updates the bot ignores quietly.

    Ignored: edited messages, channel posts, service messages without a sender, and in groups
    anything but commands addressed to this bot. Forwarded text is never a command.
    """
    update_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        message = query.message
        chat_id = message.chat.id if message is not None else query.from_user.id
        private = message is None or message.chat.type == ChatType.PRIVATE
        return Inbound(
            channel=CHANNEL,
            chat_id=str(chat_id),
            kind=InboundKind.BUTTON,
            received_at=now,
            payload=query.data or "",
            language_hint=query.from_user.language_code,
            update_id=update_id,
            private=private,
            message_ref=str(message.message_id) if message is not None else None,
        )
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    text = message.text or ""
    forwarded = message.forward_origin is not None
    private = message.chat.type == ChatType.PRIVATE
    if not private:
        if forwarded or not text.startswith("/"):
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
        private=private,
        forwarded=forwarded,
    )


def chat_key(raw: dict[str, Any]) -> str:
    """Which chat a raw update belongs to, for ordering: updates of one chat run in order."""
    for kind in ("message", "edited_message", "my_chat_member", "channel_post"):
        body = raw.get(kind)
        if isinstance(body, dict) and isinstance(body.get("chat"), dict):
            return str(body["chat"].get("id"))
    query = raw.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return str(message["chat"].get("id"))
        sender = query.get("from")
        if isinstance(sender, dict):
            return str(sender.get("id"))
    return "-"


async def send_part(bot: Bot, chat_id: int | str, part: Outbound) -> None:
    """Send one part with one Bot API call: a text with its keyboard, a map pin or a file."""
    if part.venue is not None:
        venue = part.venue
        await bot.send_venue(
            chat_id,
            latitude=venue.latitude,
            longitude=venue.longitude,
            title=venue.title,
            address=venue.address,
        )
    elif part.attachment is not None:
        attachment = part.attachment
        await bot.send_document(
            chat_id, InputFile(attachment.content, filename=attachment.filename)
        )
    elif part.text and part.replaces is not None:
        await edit_text(bot, chat_id, part)
    elif part.text:
        await send_text(bot, chat_id, part)


# editMessageText refusals after which the part is sent as a new message instead: the message
# is gone or too old, is not a text (a file, a pin), or the new text does not fit.
_NOT_EDITABLE = (
    "message can't be edited",
    "message to edit not found",
    "message_id_invalid",
    "there is no text in the message to edit",
    "message is too long",
    "message_too_long",
    "text is too long",
)


async def edit_text(bot: Bot, chat_id: int | str, part: Outbound) -> None:
    """Replace the message whose button was pressed (editMessageText: text and keyboard).

    The same text and keyboard again ("message is not modified") is delivered; a message
    that can no longer be edited gets the part as a new message.
    """
    ref = part.replaces or ""
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "message_id": int(ref) if ref.isdigit() else ref,
        "text": part.text,
        "link_preview_options": {"is_disabled": True},
        # without buttons, an empty keyboard removes the old one
        "reply_markup": {"inline_keyboard": keyboard_json(part.buttons)},
    }
    data = RequestData([RequestParameter(k, v, None) for k, v in values.items()])
    status, body = await bot.request.do_request(f"{bot.base_url}/editMessageText", "POST", data)
    try:
        checked_answer(status, body)
    except BadRequest as err:
        reason = str(err).lower()
        if "message is not modified" in reason:
            return
        if any(refusal in reason for refusal in _NOT_EDITABLE):
            log.info("a message could not be edited (%s); sent as a new one", err)
            await send_text(bot, chat_id, part)
            return
        raise


async def send_text(bot: Bot, chat_id: int | str, part: Outbound) -> None:
    """sendMessage through PTB's network layer, without building Telegram objects.

    Replies are the bot's hottest path, and the Message that `Bot.send_message` parses from
    every answer is never used: skipping it (and the markup objects) saves most of the cost
    of a reply. Errors are PTB's own exceptions, as `Bot.send_message` would raise them.
    """
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "text": part.text,
        "link_preview_options": {"is_disabled": True},
    }
    if part.buttons:
        values["reply_markup"] = {"inline_keyboard": keyboard_json(part.buttons)}
    data = RequestData([RequestParameter(k, v, None) for k, v in values.items()])
    status, body = await bot.request.do_request(f"{bot.base_url}/sendMessage", "POST", data)
    checked_answer(status, body)


def keyboard_json(buttons: tuple[tuple[Button, ...], ...]) -> list[list[dict[str, str]]]:
    """The inline keyboard as Bot API JSON."""
    rows = []
    for row in buttons:
        keys = []
        for button in row:
            if button.url:
                keys.append({"text": button.label, "url": button.url})
                continue
            if len(button.payload.encode()) > CALLBACK_DATA_LIMIT:
                raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {button}")
            keys.append({"text": button.label, "callback_data": button.payload})
        rows.append(keys)
    return rows


def checked_answer(status: int, body: bytes) -> dict[str, Any]:
    """A successful Bot API answer as JSON; otherwise the PTB exception for it."""
    try:
        answer = json.loads(body.decode("utf-8", "replace") or "null")
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("ok") and status == 200:
        return answer
    if not isinstance(answer, dict):
        raise NetworkError(f"the Bot API answered HTTP {status} without JSON")
    description = str(answer.get("description") or f"HTTP {status}")
    retry = (answer.get("parameters") or {}).get("retry_after")
    if status == 429 or retry is not None:
        raise RetryAfter(dt.timedelta(seconds=int(retry or 1)))
    if status == 403:
        raise Forbidden(description)
    if status == 400:
        raise BadRequest(description)
    if status in (401, 404):
        raise InvalidToken(description)
    if status == 409:
        raise Conflict(description)
    raise NetworkError(f"{description} ({status})")


class TelegramNotifier:
    """Renders reminders for Telegram and sends parts, turning Bot API errors into ours."""

    def __init__(self, channel: TelegramChannel) -> None:
        self._channel = channel

    def reminder_parts(self, notice: ReminderNotice) -> list[Outbound]:
        """Text with "I renewed" and "stop" buttons, then the calendar file."""
        return standard_reminder(self._channel.app.engine.services.answers, notice, TELEGRAM)

    async def send(self, chat_id: str, part: Outbound) -> None:
        """Deliver one part or raise RetryAfter, Blocked, Rejected or Transient."""
        if not self._channel.ready.is_set():  # still connecting: wait a little, then retry later
            try:
                await asyncio.wait_for(self._channel.ready.wait(), CONNECT_WAIT)
            except TimeoutError:
                raise dispatcher.Transient("not connected to the Bot API yet") from None
        try:
            await send_part(self._channel.bot, chat_id, part)
        except RetryAfter as err:
            wait = err.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            raise dispatcher.RetryAfter(seconds) from err
        except Forbidden as err:
            raise dispatcher.Blocked(str(err)) from err
        except BadRequest as err:
            if "chat not found" in str(err).lower():
                raise dispatcher.Blocked(str(err)) from err
            raise dispatcher.Rejected(str(err)) from err
        except (TelegramError, OSError, ValueError) as err:
            raise dispatcher.Transient(f"{type(err).__name__}: {err}") from err


class TelegramChannel:
    """Updates into the inbox, per-chat handling, replies through the outbox.

    Updates come by long polling, or, with TELEGRAM_WEBHOOK_URL, by webhook: setWebhook at
    start-up and a POST route (`routes()`, mounted by the WebServer) that checks the secret
    header, stores the update in the inbox, hands it to the same per-chat router and answers
    200 once it is handled (or, if that takes long, once it is stored). A replica killed after
    storing loses nothing: the update stays in the inbox for a replay.
    """

    name = CHANNEL

    def __init__(
        self,
        app: BotApp,
        request: BaseRequest | None = None,
        *,
        poll_timeout: float = 25.0,
    ) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        self._poll_request = request or AiohttpRequest(1, read_timeout=poll_timeout + 10.0)
        self._send_request = None if request is not None else AiohttpRequest()
        self.application = self.build_application(request)
        self.bot: Bot = self.application.bot
        self._notifier = TelegramNotifier(self)
        self.ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._router = ChatRouter()
        self._sender: OutboxSender | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._private_url: str | None = None
        self.webhook_url = app.settings.telegram_webhook_url
        self.webhook_secret = app.settings.telegram_webhook_secret
        self._in_hand: set[str] = set()  # update ids submitted and not finished here

    # Setting up ------------------------------------------------------------------------

    def build_application(
        self, request: BaseRequest | None = None
    ) -> Application[Any, Any, Any, Any, Any, Any]:
        """The PTB Application: the bot and `process_update`; `request` replaces the network."""
        settings = self.app.settings
        if not settings.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_api_url)
            .updater(None)
        )
        if request is not None:
            builder = builder.request(request)
        else:  # PTB's own HTTPXRequest is never built (its TLS set-up alone is ~30 ms)
            own = self._send_request or AiohttpRequest()
            builder = builder.request(own).get_updates_request(self._poll_request)
        application = builder.build()
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)
        return application

    def sender(self) -> OutboxSender:
        """The outbox sender of this channel (made on first use)."""
        if self._sender is None:
            runtime_limiter = self.app.limiter()
            self._sender = OutboxSender(
                self.app.store,
                CHANNEL,
                self._notifier,
                runtime_limiter,
                self.app.clock,
                meter=self.app.engine.services.meter,
            )
        return self._sender

    async def connect(self) -> None:
        """getMe, retried with backoff while the Bot API is unreachable.

        A rejected token is not retried: it raises InvalidToken.
        """
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await self.application.initialize()
                break
            except InvalidToken:
                raise
            except (TelegramError, OSError) as err:
                log.warning("the Bot API cannot be reached (%s); retrying in %.0f s", err, delay)
                await _sleep_unless(self._stopping, delay)
                delay = min(delay * 2, 60.0)
        else:
            return
        username = self.bot.username
        self._private_url = f"https://t.me/{username}" if username else None
        self.ready.set()

    async def announce_commands(self) -> None:
        """The command menu in every language (nine calls: not on the way to the first poll)."""
        try:
            await register_commands(self.bot, self.app)
        except TelegramError as err:
            log.warning("the command menus could not be set (%s); they stay as they were", err)

    async def start(self, runtime: Runtime) -> None:
        """Connect (in the background), handle what the inbox kept, then poll."""
        self._sender = OutboxSender(
            runtime.store,
            CHANNEL,
            self._notifier,
            runtime.limiter,
            runtime.clock,
            meter=runtime.engine.services.meter,
        )
        self._tasks.append(asyncio.create_task(self._main(), name="telegram"))

    async def _main(self) -> None:
        try:
            await self.connect()
            if self._stopping.is_set():
                return
            sender = self.sender()
            self._tasks.append(
                asyncio.create_task(sender.run(self._stopping), name="telegram-sender")
            )
            self._tasks.append(
                asyncio.create_task(self.announce_commands(), name="telegram-commands")
            )
            await self._replay_inbox()
            if not self.app.store.exclusive:
                self._tasks.append(asyncio.create_task(self._sweep(), name="telegram-sweep"))
            if self.webhook_url is not None:
                await self._set_webhook()
                await self._stopping.wait()
            else:
                await self._poll()
        except InvalidToken as err:
            log.critical("Telegram rejected the bot token (%s); the channel stops", err)

    async def stop(self) -> None:
        """Stop polling, let the handlers and the sender finish, close the connections."""
        self._stopping.set()
        tasks, self._tasks = self._tasks, []
        if tasks:  # the poller: a long poll in progress ends now, what it fetched unconfirmed
            tasks[0].cancel()
            await asyncio.gather(tasks[0], return_exceptions=True)
        await self._router.join(within=4.0)
        if tasks[1:]:  # the sender finishes the part in flight
            await asyncio.wait(tasks[1:], timeout=1.0)
            for task in tasks[1:]:
                task.cancel()
        if self.ready.is_set():
            await self.application.shutdown()
        elif self._send_request is not None:  # a getMe that never succeeded opened its pool
            await self._send_request.shutdown()
        await self._poll_request.shutdown()

    def notifier(self) -> TelegramNotifier:
        """Sends reminders to Telegram chats."""
        return self._notifier

    # Receiving -------------------------------------------------------------------------

    async def _replay_inbox(self) -> None:
        """Handle the updates a previous run stored but did not finish.

        With the store to itself (SQLite) that is every stored update. A shared store
        (PostgreSQL, several replicas) also holds the updates other replicas are handling
        right now: only those older than ABANDONED are taken (the engine's update ids and
        the chat lock make a rare overlap harmless).
        """
        store = self.app.store
        before = None if store.exclusive else self.app.clock.now() - ABANDONED
        pending = await store.inbox_pending(CHANNEL, 100_000, received_before=before)
        pending = [(u, p) for u, p in pending if u not in self._in_hand]
        if pending:
            log.info("%d stored update(s) left unhandled will be handled", len(pending))
        for update_id, payload in pending:
            self._submit(update_id, json.loads(payload))

    async def _sweep(self) -> None:
        """Now and then, take the updates a replica stored and abandoned (shared store)."""
        while not self._stopping.is_set():
            await _sleep_unless(self._stopping, SWEEP_INTERVAL)
            if self._stopping.is_set():
                return
            try:
                await self._replay_inbox()
            except StoreError as err:
                self.app.engine.services.meter.database_error()
                log.warning("looking for abandoned updates failed (%s)", err)

    async def _set_webhook(self) -> None:
        """setWebhook to TELEGRAM_WEBHOOK_URL + /telegram, retried while it fails."""
        assert self.webhook_url is not None
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await self.bot.set_webhook(
                    url=self.webhook_url + WEBHOOK_PATH,
                    secret_token=self.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                )
                log.info("Telegram webhook set; updates arrive at %s", WEBHOOK_PATH)
                return
            except InvalidToken:
                raise
            except (TelegramError, OSError) as err:
                log.warning("setWebhook failed (%s); retrying in %.0f s", err, delay)
                await _sleep_unless(self._stopping, delay)
                delay = min(delay * 2, 60.0)

    def routes(self) -> list[BaseRoute]:
        """The webhook route in webhook mode; none when polling."""
        if self.webhook_url is None:
            return []
        return [Route(WEBHOOK_PATH, self._webhook, methods=["POST"])]

    async def _webhook(self, request: Request) -> Response:
        """One update from Telegram: 200 once it is handled, or at least stored.

        A wrong or missing secret is refused (403) before anything is read; a body over
        WEBHOOK_MAX_BODY is 413, one that is not an update 400. While the channel is not
        connected yet, stopping, or the database fails: 503, so Telegram delivers it again.
        """
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not self.webhook_secret or not hmac.compare_digest(given, self.webhook_secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > WEBHOOK_MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > WEBHOOK_MAX_BODY:
                return PlainTextResponse("too large", status_code=413)
        try:
            raw = json.loads(body)
        except ValueError:  # UnicodeDecodeError is one
            return PlainTextResponse("not JSON", status_code=400)
        if not isinstance(raw, dict) or type(raw.get("update_id")) is not int:
            return PlainTextResponse("not an update", status_code=400)
        if not self.ready.is_set() or self._stopping.is_set():
            return PlainTextResponse("not ready", status_code=503)
        update_id = str(raw["update_id"])
        try:
            payload = json.dumps(raw, ensure_ascii=False)
            await self.app.store.inbox_add(CHANNEL, [(update_id, payload)], self.app.clock.now())
        except StoreError as err:
            self.app.engine.services.meter.database_error()
            log.warning("a webhook update could not be stored (%s); Telegram will resend", err)
            return PlainTextResponse("unavailable", status_code=503)
        # Handled before the answer, so a chat's next update (sent by Telegram after this
        # 200, maybe to another replica) never overtakes it; stored, if that takes long.
        await asyncio.wait({self._submit(update_id, raw)}, timeout=WEBHOOK_WAIT)
        return PlainTextResponse("ok")

    async def _poll(self) -> None:
        """getUpdates in a loop; each batch is stored before the next offset confirms it."""
        offset: int | None = None
        delay = 1.0
        while not self._stopping.is_set():
            try:
                batch = await self._get_updates(offset)
                items = [
                    (str(raw["update_id"]), json.dumps(raw, ensure_ascii=False)) for raw in batch
                ]
                await self.app.store.inbox_add(CHANNEL, items, self.app.clock.now())
            except RetryAfter as err:
                wait = err.retry_after
                seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
                await _sleep_unless(self._stopping, seconds)
                continue
            except Conflict as err:
                log.error("another getUpdates or a webhook is active (%s); retrying", err)
                await _sleep_unless(self._stopping, delay)
                delay = min(delay * 2, 60.0)
                continue
            except Exception as err:  # network, server or storage: nothing confirmed, retry
                log.warning("fetching updates failed (%s); retrying in %.0f s", err, delay)
                await _sleep_unless(self._stopping, delay)
                delay = min(delay * 2, 60.0)
                continue
            delay = 1.0
            for raw in batch:
                self._submit(str(raw["update_id"]), raw)
            if batch:
                offset = max(int(raw["update_id"]) for raw in batch) + 1
            await self._router.wait_below(BACKLOG)

    async def _get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        """One long poll through PTB's network layer, answered as raw JSON (never parsed here).

        Entries without an integer update_id cannot be confirmed or stored and are dropped.
        """
        params: dict[str, Any] = {
            "timeout": int(self.poll_timeout),
            "allowed_updates": json.dumps(ALLOWED_UPDATES),
        }
        if offset is not None:
            params["offset"] = offset
        url = f"{self.bot.base_url}/getUpdates?{urlencode(params)}"
        status, body = await self._poll_request.do_request(
            url, "POST", read_timeout=self.poll_timeout + 10.0
        )
        result = checked_answer(status, body).get("result")
        if not isinstance(result, list):
            return []
        updates = [u for u in result if isinstance(u, dict) and type(u.get("update_id")) is int]
        if len(updates) != len(result):
            log.warning(
                "%d update(s) without an update_id were dropped", len(result) - len(updates)
            )
        return updates

    def _submit(self, update_id: str, raw: dict[str, Any]) -> asyncio.Task[None]:
        async def work() -> None:
            try:
                await self._handle_raw(update_id, raw)
            finally:
                self._in_hand.discard(update_id)

        self._in_hand.add(update_id)
        return self._router.submit(chat_key(raw), work)

    async def _handle_raw(self, update_id: str, raw: dict[str, Any]) -> None:
        """Parse a stored update and handle it; one that cannot be parsed is logged and dropped."""
        store = self.app.store
        try:
            update = Update.de_json(raw, self.bot)
        except Exception as err:
            kinds = ",".join(k for k in raw if k != "update_id") or "nothing"
            reason = f"{type(err).__name__}: {str(err)[:120]}"
            log.warning(
                "update %s (%s) could not be read and is skipped: %s", update_id, kinds, reason
            )
            await store.inbox_remove(CHANNEL, update_id)
            return
        delay = 1.0
        while True:
            try:
                await self.handle_update(update)
                break
            except StoreError as err:  # kept in the inbox: retried now and then, or at start-up
                if self._stopping.is_set():
                    return
                log.warning(
                    "the database failed on an update (%s); retrying in %.0f s", err, delay
                )
                await _sleep_unless(self._stopping, delay)
                delay = min(delay * 2, 60.0)
        if self._sender is not None:
            self._sender.wake()

    async def handle_update(self, update: Update) -> None:
        """Handle one parsed update: its replies are queued with it in one unit of work."""
        store = self.app.store
        update_id = str(update.update_id)
        if update.my_chat_member is not None:
            await self._membership(update)
            await store.inbox_remove(CHANNEL, update_id)
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as err:  # an old query cannot be answered; still handle it
                log.info("a button press was not acknowledged: %s", err)
        inbound = to_inbound(update, self.bot.username, self.app.clock.now())
        if inbound is None:
            await store.inbox_remove(CHANNEL, update_id)
            return
        chat_id = inbound.chat_id

        async def keep(parts: list[Outbound]) -> None:
            now = self.app.clock.now()
            await store.outbox_add(CHANNEL, chat_id, [encode_part(p) for p in parts], now)
            await store.inbox_remove(CHANNEL, update_id)

        await self.app.engine.handle(
            inbound, TELEGRAM, keep=keep, private_chat_url=self._private_url
        )

    async def _membership(self, update: Update) -> None:
        """A user who blocks the bot (status kicked) gets no reminders until they write again."""
        member = update.my_chat_member
        if member is None or member.chat.type != ChatType.PRIVATE:
            return
        if member.new_chat_member.status == ChatMemberStatus.BANNED:
            await self.app.store.pause_chat(CHANNEL, str(member.chat.id), self.app.clock.now())
            log.info("a user blocked the bot; their reminders are paused")

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's handler (process_update, e.g. a webhook): handle, then send the replies now."""
        if not isinstance(update, Update):
            return
        await self.handle_update(update)
        await self.sender().drain()

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log errors; never let one update stop the bot."""
        log.error("error while handling an update", exc_info=context.error)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake up at once when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def register_commands(bot: Bot, app: BotApp) -> None:
    """setMyCommands for the default language (English) and each translated language."""
    for code, translator in app.translators.items():
        with use_translator(translator):
            commands = [BotCommand(c.command, c.description) for c in bot_commands()]
        await bot.set_my_commands(commands, language_code=None if code == "en" else code)
