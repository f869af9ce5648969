"""Another process holds `BEGIN EXCLUSIVE` on the file when prbot starts: one line, exit 1."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.faults.helpers import (
    ExclusiveLock,
    assert_one_line_failure,
    create_database,
    running_bot,
)


@pytest.mark.parametrize("made_by", ["prbot", "sqlite3"])
def test_a_locked_database_stops_the_start_with_one_line(tmp_path: Path, made_by: str) -> None:
    """`prbot`: the bot's own file (WAL); `sqlite3`: a file in rollback-journal mode, where an
    exclusive lock keeps readers out too."""
    database = tmp_path / "locked.sqlite3"
    if made_by == "prbot":
        create_database(database)
    else:
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE notes (body TEXT)")
        db.close()
    with ExclusiveLock(database), running_bot("http://127.0.0.1:9/bot", database, tmp_path) as bot:
        started = time.monotonic()
        returncode = bot.wait(timeout=15)
        took = time.monotonic() - started
    reason = assert_one_line_failure(bot, database, returncode)
    print(f"\n{made_by}: {reason}")
    assert "locked" in reason or "busy" in reason, reason
    assert took < 10.0, f"exit after {took:.1f} s"
