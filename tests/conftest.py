"""Shared fixtures: a clock that moves only when told, the real app on a tmp SQLite file, and a
throwaway PostgreSQL server for the PostgreSQL store."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import BotApp, Resources, build_app, load_resources
from bot.config import PROJECT_ROOT, Settings
from bot.core.types import Inbound, InboundKind, Outbound
from bot.knowledge.hours import ChineseCalendar, HolidayCalendar
from tests.pg_server import PostgresServer, PostgresUnavailable, give_up

# Thursday 26 November 2026, 10:00 in Beijing: a working morning.
WORKDAY_MORNING = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: dt.datetime = WORKDAY_MORNING) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        """The frozen time."""
        return self.current

    def advance(self, delta: dt.timedelta) -> None:
        """Move forward."""
        self.current += delta


def make_settings(database: Path, **overrides: object) -> Settings:
    """Settings for a test: the repository's data and catalogs, a database in tmp_path."""
    values: dict[str, object] = {
        "telegram_token": None,
        "telegram_api_url": "https://api.telegram.org/bot",
        "database": database,
        "log_level": "INFO",
        "data_dir": PROJECT_ROOT / "data",
        "locales_dir": PROJECT_ROOT / "locales",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    """A frozen clock at a working morning in Beijing."""
    return FakeClock()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A fresh SQLite file path."""
    return tmp_path / "prbot.sqlite3"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session, stopped and deleted at the end.

    Without the server binaries: a skip that says how to install them, but a failure in CI
    (`CI=true`), so CI can never pass by skipping the PostgreSQL tests.
    """
    try:
        server = PostgresServer()
    except PostgresUnavailable as err:
        give_up(str(err))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """The DSN of the session's database (`postgresql://prbot@127.0.0.1:PORT/prbot_test`)."""
    return postgres_server.dsn(postgres_server.create_database("prbot_test"))


@pytest.fixture
def postgres_database(postgres_server: PostgresServer, postgres_dsn: str) -> str:
    """The session's database emptied for one test (every table truncated, identities
    restarted, leftover sessions ended), so tests never see each other's rows. Synchronous,
    so that async fixtures can request it with `request.getfixturevalue`."""
    postgres_server.reset_database("prbot_test")
    return postgres_dsn


@pytest.fixture
def postgres_empty_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A brand-new database without any table (for migration tests), dropped afterwards."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.dsn(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def resources() -> Resources:
    """The real data, compiled catalogs and matcher, loaded once (they are read-only)."""
    return load_resources(make_settings(Path("unused.sqlite3")))


def no_package(day: dt.date) -> tuple[bool, str | None]:
    """A chinese-calendar package that covers no year: only data/holidays.yaml answers."""
    raise NotImplementedError(f"no data for {day.year}")


@pytest.fixture
def calendar(resources: Resources) -> HolidayCalendar:
    """The holidays of data/holidays.yaml alone, so a new package release changes no test."""
    return ChineseCalendar(resources.holidays, detail=no_package)


@pytest.fixture
async def app(
    database: Path, clock: FakeClock, resources: Resources, calendar: HolidayCalendar
) -> AsyncIterator[BotApp]:
    """The real app (real data, catalogs, matcher and SQLite file), started and stopped."""
    bot_app = build_app(
        make_settings(database), resources=resources, clock=clock, calendar=calendar
    )
    await bot_app.start()
    try:
        yield bot_app
    finally:
        await bot_app.stop()


class Chat:
    """A user talking to the engine: say something, get the replies back."""

    def __init__(
        self,
        app: BotApp,
        chat_id: str = "1001",
        language: str | None = "en",
        channel: str = "test",
    ) -> None:
        self.app = app
        self.chat_id = chat_id
        self.language = language
        self.channel = channel

    async def say(self, text: str) -> list[Outbound]:
        """Send text (or a /command)."""
        now = self.app.engine.services.clock.now()
        return await self.app.engine.handle(
            Inbound(
                self.channel,
                self.chat_id,
                InboundKind.TEXT,
                now,
                text=text,
                language_hint=self.language,
            )
        )

    async def press(self, payload: str) -> list[Outbound]:
        """Press a button with this payload."""
        now = self.app.engine.services.clock.now()
        return await self.app.engine.handle(
            Inbound(
                self.channel,
                self.chat_id,
                InboundKind.BUTTON,
                now,
                payload=payload,
                language_hint=self.language,
            )
        )

    async def send_other(self) -> list[Outbound]:
        """Send a photo or sticker."""
        now = self.app.engine.services.clock.now()
        return await self.app.engine.handle(
            Inbound(
                self.channel,
                self.chat_id,
                InboundKind.UNSUPPORTED,
                now,
                language_hint=self.language,
            )
        )


def text_of(replies: list[Outbound]) -> str:
    """All reply texts joined."""
    return "\n".join(r.text for r in replies)


def payloads_of(replies: list[Outbound]) -> list[str]:
    """Every callback payload offered in the replies."""
    return [b.payload for r in replies for row in r.buttons for b in row if not b.url]
