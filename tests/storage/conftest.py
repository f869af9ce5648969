"""The store contract suites run against every store: SQLite, the in-memory twin, PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.memory import MemoryStore
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore

STORES = ["sqlite", "memory", "postgres"]


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """Each store implementation, opened (PostgreSQL: an emptied database on the test server).

    Typed as SqliteStore for the tests' convenience; all three keep the same contract.
    """
    instance: SqliteStore | MemoryStore | PostgresStore
    if request.param == "sqlite":
        instance = SqliteStore(tmp_path / "s.sqlite3")
    elif request.param == "postgres":
        instance = PostgresStore(request.getfixturevalue("postgres_database"))
    else:
        instance = MemoryStore()
    await instance.open()
    yield instance  # type: ignore[misc]
    await instance.close()
