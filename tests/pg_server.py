"""A throwaway PostgreSQL server for the tests: initdb in a temporary directory, pg_ctl start.

The cluster listens on a free port on 127.0.0.1 only (and on a unix socket inside its own
directory), trusts local connections, runs with fsync off (its data is thrown away), and is
stopped and deleted at the end. initdb refuses to run as root, so under root the server runs as
the `postgres` system user (created by Debian's package) or, failing that, a system user
`prbot-pg` created for the purpose.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import NoReturn

import pytest

SUPERUSER = "prbot"
TOOLS = ("initdb", "pg_ctl", "postgres", "psql")
SERVER_USERS = ("postgres", "prbot-pg")
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found; install them with "
    "`apt-get install postgresql` (Debian/Ubuntu) to run the PostgreSQL store tests"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def give_up(reason: str) -> NoReturn:
    """Without a server: skip (saying how to install one), but fail in CI (`CI=true`), so CI
    can never pass by skipping the PostgreSQL tests."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def find_bin_dir() -> Path:
    """The directory holding initdb and pg_ctl: $PRBOT_PG_BIN, Debian's, or the PATH."""
    candidates: list[Path] = []
    if os.environ.get("PRBOT_PG_BIN"):
        candidates.append(Path(os.environ["PRBOT_PG_BIN"]))
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.name.split(".")],
        reverse=True,
    )
    candidates.extend(Path(p) for p in debian)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all(os.access(folder / tool, os.X_OK) for tool in TOOLS):
            return folder
    raise PostgresUnavailable(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> str:
    """A system user to run the server as when we are root (initdb refuses root)."""
    for name in SERVER_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    name = SERVER_USERS[-1]
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        check=True,
        capture_output=True,
    )
    return name


class PostgresServer:
    """One throwaway cluster. `start()`, then `dsn(db)`, `create_database()`, then `stop()`."""

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.root: Path | None = None
        self.port = 0
        self._user: str | None = None  # the system user the server runs as (root only)

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> str:
        command = [str(self.bin_dir / tool), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            )
        return done.stdout

    def start(self) -> None:
        """initdb in a fresh temporary directory and start the server on a free port."""
        self.root = Path(tempfile.mkdtemp(prefix="prbot-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            self._user = _server_user()
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        for attempt in range(3):  # the free port may be taken between probe and start
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port}"
                f" -c unix_socket_directories={self.root}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=200"
            )
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "--pgdata",
                    str(self.data_dir),
                    "--log",
                    str(self.root / "server.log"),
                    "--wait",
                    "--timeout",
                    "60",
                    "-o",
                    options,
                    timeout=90,
                )
                return
            except RuntimeError:
                if attempt == 2:
                    raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}") from None
                time.sleep(0.2)

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server log, for error messages."""
        if self.root is None:
            return ""
        try:
            text = (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory."""
        if self.root is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "--pgdata", str(self.data_dir), "--mode", "fast")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def dsn(self, database: str) -> str:
        """The DSN of a database on this server, over TCP on 127.0.0.1."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database (a random name unless given); returns its name."""
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still connected to it."""
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def reset_database(self, name: str) -> None:
        """Empty every table of a database but `schema_version`, restarting the identities,
        after disconnecting any session a previous test left behind (it could hold locks)."""
        self._sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid();"
            " DO $$ DECLARE names text; BEGIN"
            "  SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') INTO names"
            "  FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version';"
            "  IF names IS NOT NULL THEN"
            "   EXECUTE 'TRUNCATE ' || names || ' RESTART IDENTITY CASCADE';"
            "  END IF;"
            " END $$;",
            database=name,
        )

    def _sql(self, sql: str, database: str = "postgres") -> None:
        """SQL on a database (the maintenance one by default), with psql over TCP."""
        done = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "--no-psqlrc",
                "--quiet",
                "--set",
                "ON_ERROR_STOP=1",
                "--dbname",
                self.dsn(database),
                "--command",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
