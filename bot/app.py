"""The composition root: builds the whole object graph from Settings, in one place."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.cache import BuildCache
from bot.config import Settings
from bot.core.check_model import EligibilityCheck
from bot.core.dialogue import build_dialogue
from bot.core.engine import Engine, Services
from bot.core.intents import RIDGE_WEIGHT, Matcher
from bot.core.ports import Clock, Store, SystemClock
from bot.i18n import BabelTranslator, load_translators
from bot.knowledge.answers import KnowledgeAnswers
from bot.knowledge.checkfile import load_check
from bot.knowledge.examples import check_examples, matcher_tables
from bot.knowledge.files import KnowledgeError
from bot.knowledge.hours import ChineseCalendar, HolidayCalendar, PublishedYears
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.query import Lexicon
from bot.metrics import Metrics
from bot.reminders.dispatcher import Dispatcher, Notifier, RateLimiter, Sleep
from bot.storage.sqlite import SqliteStore

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BotApp:
    """The running parts of the bot, with their lifetimes tied to start() and stop()."""

    settings: Settings
    store: Store
    engine: Engine
    knowledge: KnowledgeBase
    translators: dict[str, BabelTranslator]
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def clock(self) -> Clock:
        """The injected clock."""
        return self.engine.services.clock

    async def start(self) -> None:
        """Open and check the database; StoreError says why it cannot be used."""
        await self.store.open()
        log.info("database open at %s", self.settings.database_label)

    async def stop(self) -> None:
        """Close the database."""
        await self.store.close()
        log.info("database closed")

    def limiter(self, sleep: Sleep | None = None) -> RateLimiter:
        """The send limits of the platform, shared by replies and reminders."""
        dispatch = self.settings.dispatch
        return RateLimiter(
            self.engine.services.clock,
            sleep or asyncio.sleep,
            dispatch.rate_per_second,
            dispatch.per_chat_interval,
            burst=dispatch.per_chat_burst,
            enabled=dispatch.limits,
        )

    def dispatcher(
        self,
        notifiers: Mapping[str, Notifier],
        sleep: Sleep | None = None,
        limiter: RateLimiter | None = None,
    ) -> Dispatcher:
        """The reminder loop for the channels this process runs."""
        services = self.engine.services
        return Dispatcher(
            store=self.store,
            answers=services.answers,
            notifiers=notifiers,
            translators=self.translators,
            clock=services.clock,
            sleep=sleep or asyncio.sleep,
            settings=self.settings.dispatch,
            limiter=limiter,
            meter=services.meter,
        )


@dataclass(frozen=True, slots=True)
class Resources:
    """The read-only parts loaded from disk: facts, catalogs and the matcher."""

    knowledge: KnowledgeBase
    translators: dict[str, BabelTranslator]
    matcher: Matcher
    lexicon: Lexicon
    eligibility: EligibilityCheck
    pathways: Matcher
    holidays: PublishedYears = field(default_factory=PublishedYears)


def load_resources(settings: Settings) -> Resources:
    """Load and validate data/, the catalogs and the intent examples."""
    knowledge = load_knowledge(settings.data_dir)
    cache = BuildCache(settings.cache_dir)
    lexicon = settings.data_dir / "lexicon.yaml"
    matcher = _matcher(cache, "matcher", settings.data_dir / "intents", settings.cache_dir)
    # the pathway matcher's thresholds were set for its nearest examples alone
    pathways = _matcher(cache, "pathways", settings.data_dir / "pathway_intents", None, 0.0)
    if not settings.memo:  # PRBOT_MEMO=off: every question is matched afresh
        matcher.memo.resize(0)
        pathways.memo.resize(0)
    if not settings.kernel:  # PRBOT_KERNEL=off: the numpy path, as without a C compiler
        matcher.compiled = pathways.compiled = False
    # Babel's day names in nine locales: 13 MB of locale data loaded to read them
    words = cache.get("lexicon", [lexicon], lambda: Lexicon.load(lexicon))
    unknown = sorted({rule for rule, _ in words.rule_words} - set(knowledge.rules))
    if unknown:
        raise KnowledgeError(f"{lexicon}: rule_words: no such rule in rules.yaml: {unknown}")
    return Resources(
        knowledge=knowledge,
        translators=load_translators(settings.locales_dir, cache=cache),
        matcher=matcher,
        lexicon=words,
        eligibility=load_check(
            settings.data_dir / "eligibility_check.yaml", {p.id for p in knowledge.pathways}
        ),
        pathways=pathways,
        holidays=PublishedYears.load(settings.data_dir / "holidays.yaml"),
    )


def _matcher(
    cache: BuildCache,
    name: str,
    folder: Path,
    weights: Path | None,
    ridge: float = RIDGE_WEIGHT,
) -> Matcher:
    """The matcher of a folder of example files (validated when it is built); its ridge
    classifier's weights are kept in `weights` (a folder), so that a build after a change of
    code but not of examples does not train them again."""

    def build() -> Matcher:
        tables = matcher_tables(check_examples(folder))
        return Matcher(*tables, ridge=ridge, cache=weights)

    return cache.get(name, folder.glob("*.yaml"), build)


def open_store(settings: Settings) -> Store:
    """The store the settings name: PostgreSQL for a postgresql:// URL, else the SQLite file."""
    if settings.database_url is not None:
        from bot.storage.postgres import PostgresStore

        lease = dt.timedelta(seconds=settings.outbox_lease)
        return PostgresStore(settings.database_url, outbox_lease=lease)
    return SqliteStore(settings.database)


def build_app(
    settings: Settings,
    *,
    resources: Resources | None = None,
    clock: Clock | None = None,
    calendar: HolidayCalendar | None = None,
    store: Store | None = None,
    metrics: Metrics | None = None,
) -> BotApp:
    """Wire the engine from settings (and already loaded resources). Nothing is opened yet."""
    resources = resources or load_resources(settings)
    store = store if store is not None else open_store(settings)
    metrics = metrics or Metrics()
    answers = KnowledgeAnswers(
        resources.knowledge, calendar or ChineseCalendar(resources.holidays), resources.lexicon
    )
    if not settings.memo:  # PRBOT_MEMO=off: every answer is composed afresh
        answers.memo.resize(0)
    services = Services(
        answers=answers,
        card_rules=answers.card_rules,
        matcher=resources.matcher,
        clock=clock or SystemClock(),
        store=store,
        translators=resources.translators,
        eligibility=resources.eligibility,
        pathways=resources.pathways,
        meter=metrics,
        control=resources.lexicon.control,
        date_in=resources.lexicon.date,
    )
    engine = Engine(dialogue=build_dialogue(), services=services)
    return BotApp(settings, store, engine, resources.knowledge, resources.translators, metrics)
