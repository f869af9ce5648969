"""Settings: defaults, the .env file, and start-up errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_API_URL, PROJECT_ROOT, ConfigError, Settings


def test_defaults_without_any_variable(tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=tmp_path / "none.env")
    assert settings.telegram_token is None
    assert settings.telegram_api_url == DEFAULT_API_URL
    assert settings.log_level == "INFO"
    assert PROJECT_ROOT not in settings.database.parents  # never inside the source tree
    assert settings.database.name == "prbot.sqlite3"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=111:from-file\nPRBOT_LOG_LEVEL=debug\n")
    settings = Settings.from_env({"PRBOT_LOG_LEVEL": "warning"}, env_file=env_file)
    assert settings.telegram_token == "111:from-file"
    assert settings.log_level == "WARNING"


def test_self_hosted_api_url(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"TELEGRAM_API_URL": "http://127.0.0.1:8081/bot"}, env_file=tmp_path / "x"
    )
    assert settings.telegram_api_url == "http://127.0.0.1:8081/bot"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not a token"),
        ("TELEGRAM_API_URL", "ftp://example"),
        ("TELEGRAM_API_URL", "localhost:8081"),
        ("PRBOT_LOG_LEVEL", "LOUD"),
        ("PRBOT_DATABASE", "/"),
        ("PRBOT_SEND_RATE", "31"),
        ("PRBOT_SEND_RATE", "fast"),
        ("PRBOT_RATE_LIMIT", "maybe"),
        ("PRBOT_MEMO", "sometimes"),
    ],
)
def test_invalid_values_name_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value}, env_file=tmp_path / "x")


def test_send_limits(tmp_path: Path) -> None:
    default = Settings.from_env({}, env_file=tmp_path / "x").dispatch
    assert (default.rate_per_second, default.limits) == (25.0, True)
    tuned = Settings.from_env(
        {"PRBOT_SEND_RATE": "10", "PRBOT_RATE_LIMIT": "off"}, env_file=tmp_path / "x"
    ).dispatch
    assert (tuned.rate_per_second, tuned.limits) == (10.0, False)
    older = Settings.from_env({"PRBOT_REMINDER_RATE": "12"}, env_file=tmp_path / "x").dispatch
    assert older.rate_per_second == 12.0  # the name used before replies were limited too


def test_memo_on_by_default_and_off(tmp_path: Path) -> None:
    assert Settings.from_env({}, env_file=tmp_path / "x").memo is True
    assert Settings.from_env({"PRBOT_MEMO": " OFF "}, env_file=tmp_path / "x").memo is False


def test_database_url_selects_the_store(tmp_path: Path) -> None:
    sqlite = Settings.from_env(
        {"PRBOT_DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3"}, env_file=tmp_path / "x"
    )
    assert sqlite.database == tmp_path / "a.sqlite3" and sqlite.database_url is None
    postgres = Settings.from_env(
        {"PRBOT_DATABASE_URL": "postgresql://bot:s3cret@db.local:5433/prbot"},
        env_file=tmp_path / "x",
    )
    assert postgres.database_url == "postgresql://bot:s3cret@db.local:5433/prbot"
    assert postgres.database_label == "postgresql://bot@db.local:5433/prbot"  # no password


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host", "/plain/path"])
def test_an_unknown_database_url_names_the_variable(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="PRBOT_DATABASE_URL"):
        Settings.from_env({"PRBOT_DATABASE_URL": url}, env_file=tmp_path / "x")


def test_telegram_webhook_settings(tmp_path: Path) -> None:
    polling = Settings.from_env({}, env_file=tmp_path / "x")
    assert (polling.telegram_webhook_url, polling.telegram_webhook_secret) == (None, None)
    webhook = Settings.from_env(
        {
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/prbot/",
            "TELEGRAM_WEBHOOK_SECRET": "Abc_123-xyz",
            "PRBOT_OUTBOX_LEASE": "30",
            "PRBOT_REMINDER_LEASE": "120",
        },
        env_file=tmp_path / "x",
    )
    assert webhook.telegram_webhook_url == "https://bot.example.org/prbot"
    assert webhook.telegram_webhook_secret == "Abc_123-xyz"
    assert webhook.outbox_lease == 30.0
    assert webhook.dispatch.lease.total_seconds() == 120.0


@pytest.mark.parametrize(
    ("url", "secret", "variable"),
    [
        ("https://bot.example.org", "", "TELEGRAM_WEBHOOK_SECRET"),
        ("https://bot.example.org", "has space", "TELEGRAM_WEBHOOK_SECRET"),
        ("https://bot.example.org", "x" * 257, "TELEGRAM_WEBHOOK_SECRET"),
        ("https://bot.example.org", "semi;colon", "TELEGRAM_WEBHOOK_SECRET"),
        ("bot.example.org", "ok", "TELEGRAM_WEBHOOK_URL"),
        ("https://bot.example.org/?a=1", "ok", "TELEGRAM_WEBHOOK_URL"),
    ],
)
def test_invalid_webhook_settings_name_the_variable(
    tmp_path: Path, url: str, secret: str, variable: str
) -> None:
    values = {"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_SECRET": secret}
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(values, env_file=tmp_path / "x")
