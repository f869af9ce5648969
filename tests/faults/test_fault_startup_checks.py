"""Databases that cannot be used: each stops the start with exit code 1 and one line
`prbot: cannot use the database at PATH: reason`, without a traceback."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.faults.helpers import (
    assert_one_line_failure,
    create_database,
    running_bot,
    wait_until,
)

NO_API = "http://127.0.0.1:9/bot"  # never reached: the database is checked first


def _run_and_check(database: Path, workdir: Path, *, command: list[str] | None = None) -> str:
    with running_bot(NO_API, database, workdir, command=command) as bot:
        wait_until(
            lambda: bot.returncode is not None or "database open at" in bot.stderr(),
            30,
            "the bot to give up on the database",
        )
        if bot.returncode is None:  # it logged that the database is open: it runs on it
            time.sleep(1.0)
        assert bot.returncode is not None, f"prbot started on it:\n{bot.stderr()}"
        returncode = bot.wait(timeout=1)
    reason = assert_one_line_failure(bot, database, returncode)
    print(f"\n{database.name}: {reason}")
    return reason


@contextmanager
def _immutable(path: Path) -> Iterator[bool]:
    """`chattr +i` (which stops root too); False when the file system does not support it."""
    chattr = shutil.which("chattr")
    if chattr is None:
        yield False
        return
    done = subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run([chattr, "-i", str(path)], capture_output=True, check=False)


def _as_nobody() -> list[str] | None:
    """A command prefix running the bot as an unprivileged user, if this Python can run so."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import bot.cli"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        cwd="/",
        check=False,
    )
    return prefix if probe.returncode == 0 else None


def test_a_read_only_database_file(tmp_path: Path) -> None:
    database = tmp_path / "readonly.sqlite3"
    create_database(database)
    database.chmod(0o444)
    if os.geteuid() != 0:  # file modes stop an ordinary user
        reason = _run_and_check(database, tmp_path)
    else:
        with _immutable(database) as immutable:
            if immutable:
                reason = _run_and_check(database, tmp_path)
            else:
                prefix = _as_nobody()
                if prefix is None:
                    pytest.skip(
                        "running as root, chattr +i is not supported here and this Python "
                        "cannot run as an unprivileged user: no way to make the file read-only"
                    )
                tmp_path.chmod(0o777)  # nobody may write the lock file, not the database
                reason = _run_and_check(database, tmp_path, command=prefix)
    assert "read-only" in reason or "permission" in reason.lower(), reason


def test_a_corrupt_database_file(tmp_path: Path) -> None:
    database = tmp_path / "corrupt.sqlite3"
    database.write_bytes(random.Random(7).randbytes(16_384))
    reason = _run_and_check(database, tmp_path)
    assert "not a SQLite database" in reason or "damaged" in reason, reason


def test_a_database_path_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file.txt").write_text("not a directory\n")
    database = tmp_path / "x" / "file.txt" / "db.sqlite3"
    reason = _run_and_check(database, tmp_path)
    assert "file.txt is a file, not a folder" in reason, reason  # it names what is in the way
