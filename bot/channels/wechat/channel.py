"""WeChat Official Account channel: signed XML callbacks in, passive replies and API calls out.

Every callback is verified (signature, then a fresh timestamp) before its body is read. A
message is handled once through the engine's unit of work, with its MsgId (for events: sender,
time and event) as the update id; a WeChat retry that arrives while the first attempt still
runs waits for the same result, and one that arrives just after gets the same reply from a
short-lived cache. The passive reply carries the first 2,048 bytes; what does not fit goes to
the outbox and is sent through the customer-service API. Reminders are template messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import BotApp
from bot.channels.wechat.api import (
    WeChatApi,
    WeChatApiError,
    WeChatRateLimited,
    WeChatTokenError,
    WeChatUnavailable,
    WeChatUserUnreachable,
    WeChatWindowClosed,
)
from bot.channels.wechat.crypto import CryptoError, MessageCrypto, check_signature
from bot.channels.wechat.messages import (
    MAX_BODY_BYTES,
    PASSIVE_REPLY_LIMIT,
    BadMessage,
    IncomingMessage,
    cut_for_passive_reply,
    extract_encrypted,
    parse_message,
    text_reply,
    utf8_len,
)
from bot.config import WeChatSettings
from bot.core.engine import resolve_language
from bot.core.menu import TOPIC_LABELS, Topic
from bot.core.render import Capabilities, TextUnit, encode_part, split_long
from bot.core.schedule import CardRules, EventKind, window
from bot.core.text import N_, _, current, use_translator
from bot.core.types import Inbound, InboundKind, Outbound
from bot.knowledge.answers import label_text
from bot.reminders import dispatcher
from bot.reminders.dispatcher import ReminderNotice, standard_reminder
from bot.runtime import OutboxSender, Runtime

log = logging.getLogger(__name__)

CHANNEL = "wechat"
CALLBACK_PATH = "/wechat"
MAX_AGE_SECONDS = 300  # an older (or future) callback timestamp is a replay
REPLY_CACHE_SECONDS = 60.0  # WeChat retries within about 15 s
PASSIVE_BUDGET_SECONDS = 4.5  # WeChat waits 5 s for the passive reply
LANGUAGE_LOOKUP_SECONDS = 1.5  # user/info must not eat the passive reply's 5 s
LANGUAGE_RETRY_SECONDS = 600.0  # a failed lookup counts as unknown for this long
DEFAULT_LANGUAGE = "zh"
TEMPLATE_META = "wechat_template"
TEMPLATE_TEXT_LIMIT = 200  # characters per template field value
# Message types WeChat can push that carry no text: answered with "I read text".
UNSUPPORTED_TYPES = frozenset(
    {"image", "voice", "video", "shortvideo", "location", "link", "file", "music"}
)
BUTTON_NAME_BYTES = 16  # WeChat's limits on menu names
SUB_BUTTON_NAME_BYTES = 60


def capabilities(reminders: bool) -> Capabilities:
    """What a WeChat chat shows: text only, numbered options, 2,048 bytes of UTF-8 a reply."""
    return Capabilities(
        buttons=False,
        text_limit=PASSIVE_REPLY_LIMIT,
        text_unit=TextUnit.UTF8,
        files=False,
        locations=False,
        reminders=reminders,
    )


# The custom menu: CLICK keys are command names, so a click is the command typed.
MENU: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        N_("Card guide"),
        (
            ("fees", TOPIC_LABELS[Topic.FEES]),
            ("hours", TOPIC_LABELS[Topic.HOURS]),
            ("address", TOPIC_LABELS[Topic.ADDRESS]),
            ("renewal", TOPIC_LABELS[Topic.RENEWAL]),
            ("eligibility", TOPIC_LABELS[Topic.ELIGIBILITY]),
        ),
    ),
    (
        N_("Reminders"),
        (
            ("remind", N_("⏰ Renewal reminders")),
            ("reminders", N_("📋 My reminders")),
            ("mydata", N_("🔒 My data")),
        ),
    ),
    (
        N_("More"),
        (
            ("open", TOPIC_LABELS[Topic.OPEN_NOW]),
            ("lost", TOPIC_LABELS[Topic.LOSS]),
            ("contact", TOPIC_LABELS[Topic.CONTACT]),
            ("language", N_("🌐 Language")),
            ("help", N_("❓ Help")),
        ),
    ),
)
MENU_KEYS = frozenset(key for _name, items in MENU for key, _label in items)


def build_menu(chinese: Callable[[str], str]) -> dict[str, Any]:
    """The `/cgi-bin/menu/create` body: Chinese names, with the English beside where it fits."""
    buttons = []
    for name, items in MENU:
        subs = []
        for key, label in items:
            english = label.split(" ", 1)[-1]
            both = f"{chinese(label)} {english}"
            shown = both if utf8_len(both) <= SUB_BUTTON_NAME_BYTES else chinese(label)
            subs.append({"type": "click", "name": shown, "key": key})
        top = chinese(name)
        if utf8_len(top) > BUTTON_NAME_BYTES:
            top, _rest = cut_for_passive_reply(top, BUTTON_NAME_BYTES)
        buttons.append({"name": top, "sub_button": subs})
    return {"button": buttons}


def more_follows() -> str:
    """The last line of a passive reply whose answer goes on in the next messages."""
    return _("(continued in the next message)")


def english_welcome() -> str:
    """The English line of the Chinese welcome."""
    return _("Hello! Write to me in English, or send /language, and I will answer in English.")


def compose(parts: list[Outbound], limit: int = PASSIVE_REPLY_LIMIT) -> tuple[str, list[str]]:
    """The passive reply's text and the texts to send after it, each within `limit` bytes.

    A reply that fits goes whole; a longer one is cut at a line break into a first part that
    says more follows, and the rest in parts cut the same way.
    """
    whole = "\n\n".join(part.text for part in parts if part.text)
    if utf8_len(whole) <= limit:
        return whole, []
    note = more_follows()
    head, rest = cut_for_passive_reply(whole, limit - utf8_len(note) - 2)
    pieces = split_long(Outbound(text=rest), limit, TextUnit.UTF8)
    return f"{head}\n\n{note}", [piece.text for piece in pieces if piece.text]


class WeChatNotifier:
    """Reminders as template messages, replies through the customer-service API."""

    def __init__(self, channel: WeChatChannel) -> None:
        self._channel = channel

    def reminder_parts(self, notice: ReminderNotice) -> list[Outbound]:
        """One part carrying the template's data (or, without a template, the plain text)."""
        settings = self._channel.settings
        answers = self._channel.app.engine.services.answers
        if settings.template_id is None:
            return standard_reminder(answers, notice, self._channel.caps)
        messages = answers.reminder(notice.kind, notice.subscription, notice.now)
        headline = messages[0].text.split("\n", 1)[0] if messages else ""
        data = template_data(
            notice, headline, self._channel.app.engine.services.card_rules, settings
        )
        text = "\n".join(data.values())
        return [Outbound(text=text, meta={TEMPLATE_META: json.dumps(data, ensure_ascii=False)})]

    async def send(self, chat_id: str, part: Outbound) -> None:
        """Deliver one part or raise RetryAfter, Blocked, Rejected or Transient."""
        api = self._channel.api
        template = part.meta.get(TEMPLATE_META)
        template_id = self._channel.settings.template_id
        try:
            if template is not None and template_id is not None:
                await api.send_template(chat_id, template_id, json.loads(template))
            else:
                await api.send_text(chat_id, part.text)
        except WeChatUserUnreachable as err:
            raise dispatcher.Blocked(str(err)) from err
        except WeChatRateLimited as err:
            raise dispatcher.RetryAfter(60.0) from err
        except WeChatWindowClosed as err:  # the 48 hours are over: this text cannot be sent
            raise dispatcher.Rejected(str(err)) from err
        except (WeChatUnavailable, WeChatTokenError) as err:
            raise dispatcher.Transient(str(err)) from err
        except WeChatApiError as err:
            raise dispatcher.Rejected(str(err)) from err


def template_data(
    notice: ReminderNotice, headline: str, rules: CardRules, settings: WeChatSettings
) -> dict[str, str]:
    """The template fields of a reminder, in the current language, by the configured names."""
    translator = current()
    subscription = notice.subscription
    kind = EventKind(subscription.event_kind)
    first, last = window(kind, subscription.event_date, rules)
    if kind is EventKind.EXPIRY:
        action = _("Renew it between {first} and {last}.").format(
            first=translator.format_date(first), last=translator.format_date(last)
        )
    else:
        action = _("Apply for a new card by {last}.").format(last=translator.format_date(last))
    values = {
        "title": headline.removeprefix("⏰").strip(),
        "card": label_text(subscription.label),
        "deadline": translator.format_date(last),
        "action": action,
        "note": _(
            "Reply here with any question; send /reminders to see or stop your reminders. "
            "Hotline: 12367."
        ),
    }
    return {field: values[role][:TEMPLATE_TEXT_LIMIT] for role, field in settings.template_fields}


@dataclasses.dataclass(slots=True)
class _Cached:
    content: str
    until: float


class WeChatChannel:
    """The `/wechat` callback: verify, parse, handle once, reply passively within 5 s."""

    name = CHANNEL

    def __init__(
        self,
        app: BotApp,
        settings: WeChatSettings,
        *,
        api: WeChatApi | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.settings = settings
        self.api = api or WeChatApi(settings.app_id, settings.app_secret, settings.api_url)
        self.crypto = (
            MessageCrypto(settings.token, settings.encoding_aes_key, settings.app_id)
            if settings.encoding_aes_key
            else None
        )
        self.caps = capabilities(reminders=settings.template_id is not None)
        self._wall = wall
        self._notifier = WeChatNotifier(self)
        self._sender: OutboxSender | None = None
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight: dict[tuple[str, str], asyncio.Future[str]] = {}
        self._replies: OrderedDict[tuple[str, str], _Cached] = OrderedDict()
        self._late: set[tuple[str, str]] = set()
        self._nonces: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._languages: OrderedDict[str, tuple[str | None, float]] = OrderedDict()

    # Plug-in ---------------------------------------------------------------------------

    def routes(self) -> Sequence[BaseRoute]:
        """`/wechat`: URL verification (GET) and callbacks (POST)."""
        return [Route(CALLBACK_PATH, self.callback, methods=["GET", "POST"])]

    async def start(self, runtime: Runtime) -> None:
        """Start the outbox sender (the callbacks come through the HTTP server)."""
        self._sender = OutboxSender(
            runtime.store, CHANNEL, self._notifier, runtime.limiter, runtime.clock
        )
        self._tasks.append(
            asyncio.create_task(self._sender.run(self._stopping), name="wechat-sender")
        )
        mode = "safe mode" if self.crypto else "plain mode"
        reminders = "template reminders" if self.settings.template_id else "no reminders"
        log.info("WeChat channel on %s (%s, %s)", CALLBACK_PATH, mode, reminders)

    async def stop(self) -> None:
        """Let the turns in progress finish, stop the sender, close the API client."""
        self._stopping.set()
        if self._inflight:
            await asyncio.wait(set(self._inflight.values()), timeout=4.0)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.api.aclose()

    def notifier(self) -> WeChatNotifier:
        """Sends reminders and queued reply parts to WeChat users."""
        return self._notifier

    # HTTP ------------------------------------------------------------------------------

    async def callback(self, request: Request) -> Response:
        """Verify, then answer: the echo for a URL check, a passive reply for a message."""
        query = request.query_params
        timestamp = query.get("timestamp", "")
        nonce = query.get("nonce", "")
        if not check_signature(self.settings.token, query.get("signature", ""), timestamp, nonce):
            log.warning("a WeChat callback with a wrong signature was refused")
            return _forbidden()
        if request.method == "GET":
            return PlainTextResponse(query.get("echostr", ""))
        if not self._fresh(timestamp):
            log.warning("a WeChat callback with a stale timestamp was refused (replay?)")
            return _forbidden()
        body = await _read_body(request)
        if body is None:
            return PlainTextResponse("body too large", status_code=413)
        if not self._first_use(timestamp, nonce, body):
            log.warning("a signature was reused with another body; refused")
            return _forbidden()
        try:
            xml = self._plain_body(query.get("encrypt_type", ""), query, timestamp, nonce, body)
            message = parse_message(xml)
        except CryptoError as err:
            log.warning("a WeChat callback could not be verified: %s", err)
            return _forbidden()
        except BadMessage as err:
            log.warning("a WeChat callback was not a message: %s", err)
            return PlainTextResponse("bad request", status_code=400)
        try:
            content = await self.reply_text(message)
        except Exception:
            log.exception("a WeChat %s could not be handled", message.msg_type)
            return PlainTextResponse("try again", status_code=503)
        if not content:
            return PlainTextResponse("success")
        xml_reply = text_reply(message.from_user, message.to_user, content, int(self._wall()))
        if self.crypto is not None:
            xml_reply = self.crypto.encrypt(xml_reply, nonce, timestamp)
        return Response(xml_reply, media_type="application/xml", background=self._wake_task())

    def _wake_task(self) -> BackgroundTask | None:
        # After the response is out, so the passive reply comes before the parts that follow.
        return BackgroundTask(self._sender.wake) if self._sender is not None else None

    def _plain_body(
        self, encrypt_type: str, query: Mapping[str, str], timestamp: str, nonce: str, body: bytes
    ) -> bytes | str:
        """The callback XML, decrypted in safe mode (CryptoError when it is not genuine)."""
        if self.crypto is None:
            if encrypt_type == "aes":
                raise CryptoError("encrypted callback, but WECHAT_ENCODING_AES_KEY is not set")
            return body
        if encrypt_type != "aes":
            raise CryptoError("a plain callback in safe mode")
        encrypted = extract_encrypted(body)
        return self.crypto.verify_and_decrypt(
            query.get("msg_signature", ""), timestamp, nonce, encrypted
        )

    def _fresh(self, timestamp: str) -> bool:
        """Whether a callback's timestamp is within five minutes of now."""
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        return abs(self._wall() - int(timestamp)) <= MAX_AGE_SECONDS

    def _first_use(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """A signature (timestamp and nonce) may come again only with the same body (a retry).

        In plain mode the signature does not cover the body; this keeps a captured signature
        from carrying another message while its timestamp is fresh.
        """
        now = self._wall()
        while self._nonces:
            oldest = next(iter(self._nonces.values()))
            if oldest[1] > now and len(self._nonces) < 100_000:
                break
            self._nonces.popitem(last=False)
        digest = hashlib.sha256(body).hexdigest()
        key = (timestamp, nonce)
        seen = self._nonces.get(key)
        if seen is not None:
            return seen[0] == digest
        self._nonces[key] = (digest, now + 2 * MAX_AGE_SECONDS)
        return True

    # Handling --------------------------------------------------------------------------

    async def reply_text(self, message: IncomingMessage) -> str:
        """The passive reply's text for a message ("" for none); each message is handled once."""
        key = (message.from_user, message.dedupe_key)
        now = time.monotonic()
        while self._replies:
            oldest_key, oldest = next(iter(self._replies.items()))
            if oldest.until > now:
                break
            del self._replies[oldest_key]
        cached = self._replies.get(key)
        if cached is not None:
            return cached.content
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._turn(message))
            self._inflight[key] = future
            future.add_done_callback(lambda done: self._finished(key, done))
        try:
            return await asyncio.wait_for(asyncio.shield(future), PASSIVE_BUDGET_SECONDS)
        except TimeoutError:  # answer now; the reply follows through the API when ready
            log.warning("a WeChat reply took too long; it will be sent as a message")
            self._late.add(key)
            return ""

    def _finished(self, key: tuple[str, str], done: asyncio.Future[str]) -> None:
        self._inflight.pop(key, None)
        late = key in self._late
        self._late.discard(key)
        if done.cancelled() or done.exception() is not None:
            return
        content = done.result()
        self._replies[key] = _Cached(content, time.monotonic() + REPLY_CACHE_SECONDS)
        if late and content:
            self._tasks.append(asyncio.create_task(self._send_late(key[0], content)))

    async def _send_late(self, openid: str, content: str) -> None:
        store = self.app.store
        await store.outbox_add(CHANNEL, openid, [encode_part(Outbound(text=content))], self._now())
        if self._sender is not None:
            self._sender.wake()

    def _now(self) -> dt.datetime:
        return self.app.clock.now()

    async def _turn(self, message: IncomingMessage) -> str:
        """Handle one message through the engine; the passive reply's text."""
        if message.msg_type == "event" and message.event == "unsubscribe":
            await self._unsubscribed(message)
            return ""
        inbound = await self.to_inbound(message)
        if inbound is None:
            return ""
        openid = message.from_user
        store = self.app.store
        passive: list[str] = []

        async def keep(parts: list[Outbound]) -> None:
            if not parts:
                return
            conversation = await store.load_conversation(CHANNEL, openid)
            language = (conversation.language if conversation else None) or inbound.language_hint
            translator = self.app.engine.translator_for(language)
            if message.event == "subscribe" and translator.language == "zh":
                english = self.app.engine.translator_for("en")
                with use_translator(english):
                    parts = _with_line(parts, english_welcome())
            with use_translator(translator):
                first, rest = compose(parts)
            passive.append(first)
            if rest:
                payloads = [encode_part(Outbound(text=text)) for text in rest]
                await store.outbox_add(CHANNEL, openid, payloads, self._now())

        await self.app.engine.handle(inbound, self.caps, keep=keep)
        return passive[0] if passive else ""

    async def to_inbound(self, message: IncomingMessage) -> Inbound | None:
        """The Inbound for a message or event; None for what needs no reply (VIEW, scans...)."""
        kind = InboundKind.TEXT
        text = ""
        if message.msg_type == "text":
            text = message.content.strip()
            if not text:
                kind = InboundKind.UNSUPPORTED
        elif message.msg_type == "event":
            if message.event == "subscribe":
                text = "/start"
            elif message.event == "click":
                key = message.event_key.strip().lower()
                text = f"/{key}" if key in MENU_KEYS else "/menu"
            else:
                return None
        elif message.msg_type in UNSUPPORTED_TYPES:
            kind = InboundKind.UNSUPPORTED
        else:
            return None
        return Inbound(
            channel=CHANNEL,
            chat_id=message.from_user,
            kind=kind,
            received_at=self._now(),
            text=text,
            language_hint=await self.language_of(message.from_user),
            update_id=message.dedupe_key,
        )

    async def language_of(self, openid: str) -> str:
        """The language WeChat reports for a user (cached), else Chinese."""
        now = time.monotonic()
        cached = self._languages.get(openid)
        if cached is not None and (cached[0] is not None or cached[1] > now):
            self._languages.move_to_end(openid)
            return cached[0] or DEFAULT_LANGUAGE
        reported: str | None = None
        try:
            raw = await asyncio.wait_for(self.api.user_language(openid), LANGUAGE_LOOKUP_SECONDS)
            reported = resolve_language(raw, self.app.translators.keys())
        except (WeChatApiError, WeChatUnavailable, TimeoutError) as err:
            log.info("the language of a WeChat user is unknown (%s)", type(err).__name__)
        self._languages[openid] = (reported, now + LANGUAGE_RETRY_SECONDS)
        if len(self._languages) > 50_000:
            self._languages.popitem(last=False)
        return reported or DEFAULT_LANGUAGE

    async def _unsubscribed(self, message: IncomingMessage) -> None:
        """The user unfollowed: their reminders stop (the subscriptions are cancelled)."""
        openid = message.from_user
        store = self.app.store
        async with store.unit_of_work():
            if not await store.remember_update(CHANNEL, message.dedupe_key, self._now()):
                return
            stopped = 0
            for subscription in await store.subscriptions(CHANNEL, openid):
                stopped += await store.cancel_subscription(CHANNEL, openid, subscription.id)
        self._languages.pop(openid, None)
        log.info("a WeChat user unfollowed; %d reminder subscription(s) stopped", stopped)


def _with_line(parts: list[Outbound], line: str) -> list[Outbound]:
    """The first part with `line` as its second paragraph."""
    first = parts[0]
    head, sep, tail = first.text.partition("\n\n")
    text = f"{head}\n\n{line}{sep}{tail}"
    return [dataclasses.replace(first, text=text), *parts[1:]]


def _forbidden() -> Response:
    return PlainTextResponse("forbidden", status_code=403)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is larger than any real callback."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    with contextlib.suppress(ClientDisconnect):
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return None
            chunks.append(chunk)
    return b"".join(chunks)
