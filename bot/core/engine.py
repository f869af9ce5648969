"""The engine: one update in, replies out, driven by the dialogue's state table."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.core import payloads
from bot.core.intents import Matcher

if TYPE_CHECKING:
    from bot.core.check_model import EligibilityCheck
    from bot.core.schedule import CardRules
from bot.core.ports import (
    Answers,
    Clock,
    Conversation,
    DuplicateUpdate,
    Meter,
    NullMeter,
    Store,
    StoreError,
)
from bot.core.render import OPTIONS_KEY, TELEGRAM, Capabilities, chosen_option, render
from bot.core.text import Translator, _, use_translator
from bot.core.types import Button, Inbound, InboundKind, Outbound

log = logging.getLogger(__name__)

Keep = Callable[[list[Outbound]], Awaitable[None]]


@dataclass(slots=True)
class Services:
    """What steps may use: the knowledge answers, the matcher, the clock and the store."""

    answers: Answers
    matcher: Matcher
    clock: Clock
    store: Store
    translators: Mapping[str, Translator]
    card_rules: CardRules  # the legal periods, from data/rules.yaml
    eligibility: EligibilityCheck | None = None
    pathways: Matcher | None = None  # free text -> pathway, inside the eligibility topic
    meter: Meter = dataclasses.field(default_factory=NullMeter)  # counters for /metrics
    # a whole message that is a control word (data/lexicon.yaml): "back" (返回), "cancel"
    # (取消), "thanks" (谢谢, ok), "yes" (是), "no" (不), "vague" (为什么) or "more" (details
    # please, 详细点); else None
    control: Callable[[str], str | None] = lambda text: None
    # a date written inside a sentence ("my card expires on 15 June 2027"), else None
    date_in: Callable[[str, dt.date], dt.date | None] = lambda text, today: None

    @property
    def languages(self) -> list[str]:
        """The languages the bot speaks, in menu order."""
        return list(self.translators)


@dataclass(slots=True)
class Turn:
    """One update being handled: the input, the conversation, the services, the channel."""

    inbound: Inbound
    conversation: Conversation
    services: Services
    argument: str = ""
    caps: Capabilities = TELEGRAM  # what the channel can show and deliver
    private_chat_url: str | None = None  # where a group member opens a private chat

    @property
    def now(self) -> dt.datetime:
        """The time the update is handled."""
        return self.services.clock.now()


@dataclass(frozen=True, slots=True)
class Reply:
    """What a step sends, and the state it moves to (None: as the route says)."""

    messages: tuple[Outbound, ...] = ()
    next_state: str | None = None
    erased: bool = False  # the step deleted the chat's data: do not write it back


Step = Callable[[Turn], Awaitable[Reply]]


class Trigger(Protocol):
    """Decides whether a route applies to an inbound, and what argument it carries."""

    def match(self, inbound: Inbound) -> str | None:
        """The argument for the step, or None if the route does not apply."""
        ...

    def describe(self) -> str:
        """A short label for the state diagram."""
        ...


@dataclass(frozen=True, slots=True)
class Command:
    """A `/name` command; the argument is the rest of the line."""

    name: str

    def match(self, inbound: Inbound) -> str | None:
        """Match `/name` (also `/name@botname`)."""
        command = inbound.command
        if command is None or command[0] != self.name:
            return None
        return command[1]

    def describe(self) -> str:
        """`/name`."""
        return f"/{self.name}"


@dataclass(frozen=True, slots=True)
class AnyCommand:
    """Any command at all."""

    def match(self, inbound: Inbound) -> str | None:
        """Match any `/command`."""
        command = inbound.command
        return None if command is None else command[0]

    def describe(self) -> str:
        """`/*`."""
        return "/*"


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A button whose payload is `prefix` or starts with `prefix:`; the argument is the rest."""

    prefix: str

    def match(self, inbound: Inbound) -> str | None:
        """Match the payload prefix."""
        if inbound.kind is not InboundKind.BUTTON:
            return None
        head, sep, rest = inbound.payload.partition(":")
        if head != self.prefix:
            return None
        return rest if sep else ""

    def describe(self) -> str:
        """`[prefix]`."""
        return f"[{self.prefix}]"


@dataclass(frozen=True, slots=True)
class AnyButton:
    """Any button press."""

    def match(self, inbound: Inbound) -> str | None:
        """Match every button press."""
        return inbound.payload if inbound.kind is InboundKind.BUTTON else None

    def describe(self) -> str:
        """`[*]`."""
        return "[*]"


@dataclass(frozen=True, slots=True)
class AnyText:
    """Any text that is not a command."""

    def match(self, inbound: Inbound) -> str | None:
        """Match plain text."""
        if inbound.kind is not InboundKind.TEXT or inbound.command is not None:
            return None
        return inbound.text

    def describe(self) -> str:
        """`text`."""
        return "text"


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A photo, sticker or anything else without text."""

    def match(self, inbound: Inbound) -> str | None:
        """Match unsupported content."""
        return "" if inbound.kind is InboundKind.UNSUPPORTED else None

    def describe(self) -> str:
        """`other`."""
        return "other"


@dataclass(frozen=True, slots=True)
class Route:
    """A row of the state table: on `trigger`, run `step`, then go to `next_state`.

    A step that chooses where to go itself (a wizard step) lists the states it may choose in
    `goes_to`; the engine refuses any other, so the table stays the whole truth.
    """

    trigger: Trigger
    step: Step
    next_state: str | None = None
    goes_to: tuple[str, ...] = ()
    personal: bool = False  # reminders and personal data: offered in a private chat only
    # The press answers the message it was on (a wizard's next question, a filtered list):
    # the reply's first message replaces it where the channel can edit messages.
    edits: bool = False

    def targets(self, state: str) -> tuple[str, ...]:
        """Every state this route can lead to from `state`."""
        return (self.next_state or state, *self.goes_to)


@dataclass(frozen=True, slots=True)
class Dialogue:
    """The whole conversation as data: global routes, per-state routes and fallbacks."""

    initial: str
    global_routes: tuple[Route, ...]
    states: Mapping[str, tuple[Route, ...]]
    fallback_routes: tuple[Route, ...]

    def routes_for(self, state: str) -> tuple[Route, ...]:
        """Routes tried for a conversation in `state`, in order."""
        return self.global_routes + self.states.get(state, ()) + self.fallback_routes


class Engine:
    """Handles one inbound at a time per chat and returns the replies to send."""

    def __init__(
        self,
        *,
        dialogue: Dialogue,
        services: Services,
        default_language: str = "en",
    ) -> None:
        self._dialogue = dialogue
        self._services = services
        self._translators = services.translators
        self._default_language = default_language
        self._locks = KeyedLocks()

    @property
    def services(self) -> Services:
        """The services the steps use."""
        return self._services

    def translator_for(self, language: str | None) -> Translator:
        """The translator for a saved language or a client hint, else the default."""
        code = resolve_language(language, self._translators.keys())
        return self._translators[code or self._default_language]

    async def handle(
        self,
        inbound: Inbound,
        caps: Capabilities = TELEGRAM,
        *,
        keep: Keep | None = None,
        private_chat_url: str | None = None,
    ) -> list[Outbound]:
        """Handle one update and return the parts to send, shaped for the channel.

        The update id, the conversation, the step's writes and `keep(parts)` (the channel's
        outbox) commit as one unit of work: a crash before the commit leaves no trace, so the
        redelivered update is handled normally; after it, a redelivery is ignored.
        """
        store = self._services.store
        meter = self._services.meter
        started = time.perf_counter()
        async with self._locks.hold((inbound.channel, inbound.chat_id)):
            try:
                async with store.unit_of_work():
                    # other replicas wait here for this chat until the unit commits
                    await store.lock_chat(inbound.channel, inbound.chat_id)
                    parts = await self._handle_locked(inbound, caps, private_chat_url)
                    if keep is not None:
                        await keep(parts)
                meter.update_handled(inbound.channel, "ok", time.perf_counter() - started)
                return parts
            except DuplicateUpdate:  # found out after the step ran: all of it rolled back
                log.info("a duplicate update was ignored")
                return []
            except Exception as err:
                if isinstance(err, StoreError):
                    meter.database_error()
                log.exception("handling a %s update failed", inbound.kind.value)
            meter.update_handled(inbound.channel, "failed", time.perf_counter() - started)
            with use_translator(self.translator_for(inbound.language_hint)):
                parts, _options = render([Outbound(text=failure_text())], caps)
            try:
                async with store.unit_of_work():  # record it: a redelivery is not tried again
                    await store.lock_chat(inbound.channel, inbound.chat_id)
                    if inbound.update_id is not None and not await store.remember_update(
                        inbound.channel, inbound.update_id, self.now
                    ):
                        return []  # handled before: the apology is not for this one
                    if keep is not None:
                        await keep(parts)
            except DuplicateUpdate:
                return []
            return parts

    @property
    def now(self) -> dt.datetime:
        """The current time from the injected clock."""
        return self._services.clock.now()

    async def offer_options(
        self, channel: str, chat_id: str, options: list[dict[str, str]]
    ) -> None:
        """Keep numbered options shown outside a reply (a reminder), so a number answers them."""
        store = self._services.store
        async with self._locks.hold((channel, chat_id)), store.unit_of_work():
            await store.lock_chat(channel, chat_id)
            conversation = await store.load_conversation(channel, chat_id)
            if conversation is None:
                conversation = Conversation(channel, chat_id)
            conversation.data[OPTIONS_KEY] = options
            await store.save_conversation(conversation, self.now)

    async def _handle_locked(
        self, inbound: Inbound, caps: Capabilities, private_chat_url: str | None
    ) -> list[Outbound]:
        store = self._services.store
        now = self.now
        if inbound.update_id is not None and not await store.remember_update(
            inbound.channel, inbound.update_id, now
        ):
            log.info("a duplicate update was ignored")
            return []
        stored = await store.load_conversation(inbound.channel, inbound.chat_id)
        conversation = stored or Conversation(inbound.channel, inbound.chat_id)
        before = (conversation.language, conversation.state, dict(conversation.data))
        # a user who had blocked the bot writes again (the store reads a paused chat's
        # conversation with the pause, even when nothing else of it is stored)
        resumed = False
        if stored is not None and stored.paused:
            resumed = await store.resume_chat(inbound.channel, inbound.chat_id)
        if not caps.buttons:
            inbound = _pressed_by_words(inbound, conversation.data.get(OPTIONS_KEY, []))
        inbound = self._pressed_by_word(inbound, conversation)
        translator = self.translator_for(conversation.language or inbound.language_hint)
        with use_translator(translator):
            turn = Turn(
                inbound, conversation, self._services, caps=caps, private_chat_url=private_chat_url
            )
            reply, route = await self._dispatch(turn, private_chat_url)
            if reply.next_state is not None:
                if reply.next_state not in route.targets(conversation.state):
                    raise RuntimeError(
                        f"{route.step.__name__} went to {reply.next_state!r}, which the state "
                        f"table does not allow from {conversation.state!r}"
                    )
                conversation.state = reply.next_state
            elif route.next_state is not None:
                conversation.state = route.next_state
            if conversation.state not in self._dialogue.states:
                conversation.state = self._dialogue.initial
            messages = list(reply.messages)
            if route.edits and messages:
                messages[0] = dataclasses.replace(messages[0], edit=True)
            if resumed and await store.subscriptions(inbound.channel, inbound.chat_id):
                messages.insert(0, Outbound(text=resumed_text()))
            parts, options = render(messages, caps, inbound.message_ref)
        if options:
            conversation.data[OPTIONS_KEY] = options
        else:
            conversation.data.pop(OPTIONS_KEY, None)
        for key, payload in ((YES_KEY, _on_yes(messages)), (MORE_KEY, _on_more(messages))):
            if payload is not None:
                conversation.data[key] = payload
            else:
                conversation.data.pop(key, None)
        after = (conversation.language, conversation.state, conversation.data)
        if after != before and not reply.erased:
            await store.save_conversation(conversation, now)
        return parts

    def _pressed_by_word(self, inbound: Inbound, conversation: Conversation) -> Inbound:
        """A typed "yes" alone right after a yes/no question (`Outbound.on_yes`), or "more
        details" alone right after an answer with a "More details" button, presses that
        button."""
        if inbound.kind is not InboundKind.TEXT or inbound.command is not None:
            return inbound
        key = _PRESSED_BY.get(self._services.control(inbound.text) or "")
        pressed = conversation.data.get(key) if key is not None else None
        if not isinstance(pressed, str) or not pressed:
            return inbound
        return dataclasses.replace(inbound, kind=InboundKind.BUTTON, payload=pressed, text="")

    async def _dispatch(self, turn: Turn, private_chat_url: str | None) -> tuple[Reply, Route]:
        for route in self._dialogue.routes_for(turn.conversation.state):
            argument = route.trigger.match(turn.inbound)
            if argument is not None:
                turn.argument = argument
                if route.personal and not turn.inbound.private:
                    return private_only(private_chat_url), route
                return await route.step(turn), route
        raise LookupError(f"no route for {turn.inbound.kind} in {turn.conversation.state}")


YES_KEY = "_yes"  # conversation data: the button a typed "yes" presses (see Outbound.on_yes)
MORE_KEY = "_more"  # conversation data: the "More details" button a typed "details" presses
_PRESSED_BY = {"yes": YES_KEY, "more": MORE_KEY}  # control word -> the button it presses


def _on_yes(messages: list[Outbound]) -> str | None:
    """The button a typed "yes" presses next: the yes/no question's, when the reply ends
    with one."""
    return messages[-1].on_yes if messages else None


def _on_more(messages: list[Outbound]) -> str | None:
    """The button a typed "more details" presses next: the reply's details button
    (`more:...`, "ℹ️ More details", "✅ Conditions"), the last one when there are several."""
    for message in reversed(messages):
        for row in message.buttons:
            for button in row:
                if button.payload.startswith(f"{payloads.MORE}:"):
                    return button.payload
    return None


def _pressed_by_words(inbound: Inbound, options: list[dict[str, str]]) -> Inbound:
    """Typed text that picks a numbered option (its number or its words) becomes that press."""
    if inbound.kind is not InboundKind.TEXT or inbound.command is not None:
        return inbound
    payload = chosen_option(inbound.text, options)
    if payload is None:
        return inbound
    return dataclasses.replace(inbound, kind=InboundKind.BUTTON, payload=payload, text="")


def private_only(private_chat_url: str | None) -> Reply:
    """In a group: reminders and personal data are offered in a private chat."""
    text = _(
        "Reminders and your personal data are handled only in a private chat with me, not in "
        "a group. Open a private chat and send /start there."
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if private_chat_url:
        buttons = ((Button(_("💬 Private chat"), url=private_chat_url),),)
    return Reply((Outbound(text=text, buttons=buttons),))


def resumed_text() -> str:
    """Said to a user who had blocked the bot and writes again."""
    return _("Welcome back! Your renewal reminders are on again.")


def failure_text() -> str:
    """The apology sent when handling an update failed."""
    return _(
        "Sorry, something went wrong on my side. Please try again in a minute, or call the "
        "immigration hotline 12367."
    )


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        """Hold the lock for `key` for the duration of the block."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def mermaid(dialogue: Dialogue) -> str:
    """The state diagram of a dialogue in Mermaid syntax, generated from its table."""
    lines = ["stateDiagram-v2", f"    [*] --> {dialogue.initial}"]
    for state, routes in dialogue.states.items():
        for route in routes:
            for target in dict.fromkeys(route.targets(state)):
                label = f"{route.trigger.describe()} {route.step.__name__}"
                lines.append(f"    {state} --> {target}: {label}")
    jumps: dict[str, list[str]] = {}
    for route in dialogue.global_routes:
        for jump in (route.next_state, *route.goes_to):
            if jump is not None:
                jumps.setdefault(jump, []).append(route.trigger.describe())
    for jump, triggers in jumps.items():
        lines.append(f"    note right of {jump}: from any state on {' '.join(triggers)}")
    return "\n".join(dict.fromkeys(lines))


def resolve_language(code: str | None, supported: object) -> str | None:
    """Map a client language code (`en-US`, `zh-hans`, `pt_BR`) to a supported language."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in supported else None  # type: ignore[operator]
