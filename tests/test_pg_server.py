"""The throwaway PostgreSQL server's rules: skip outside CI, fail in CI, find the binaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import pg_server


def test_without_binaries_outside_ci_the_tests_skip_and_say_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        pg_server.give_up(pg_server.INSTALL_HINT)


def test_without_binaries_in_ci_the_tests_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        pg_server.give_up(pg_server.INSTALL_HINT)


def test_no_binaries_anywhere_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRBOT_PG_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pg_server.glob, "glob", lambda pattern: [])
    with pytest.raises(pg_server.PostgresUnavailable, match="apt-get install postgresql"):
        pg_server.find_bin_dir()


def test_the_server_runs_on_loopback_in_its_own_directory(
    postgres_server: pg_server.PostgresServer, postgres_dsn: str
) -> None:
    assert postgres_dsn.startswith("postgresql://prbot@127.0.0.1:")
    assert postgres_server.root is not None and postgres_server.root.is_dir()
    assert (postgres_server.root / f".s.PGSQL.{postgres_server.port}").exists()  # unix socket
