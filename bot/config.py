"""Settings from the environment (and an optional `.env` file), checked at start-up."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.reminders.dispatcher import DispatchSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API_URL = "https://api.telegram.org/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting is invalid; the message names the variable."""


def default_database() -> Path:
    """Per-user data file outside the source tree (XDG data home)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "prbot" / "prbot.sqlite3"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot needs to start."""

    telegram_token: str | None
    telegram_api_url: str
    database: Path
    log_level: str
    data_dir: Path
    locales_dir: Path
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    database_url: str | None = None  # postgresql://…; None: the SQLite file `database`

    @property
    def database_label(self) -> str:
        """Where the data lives, for messages: the file, or the URL without its password."""
        if self.database_url is None:
            return str(self.database)
        parsed = urlparse(self.database_url)
        host = parsed.hostname or "localhost"
        port = f":{parsed.port}" if parsed.port else ""
        user = f"{parsed.username}@" if parsed.username else ""
        return f"{parsed.scheme}://{user}{host}{port}{parsed.path}"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Settings:
        """Read the settings; real environment variables win over the `.env` file."""
        values: dict[str, str] = {}
        dotenv = env_file if env_file is not None else Path.cwd() / ".env"
        if dotenv.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        token = values.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        if token is not None and (":" not in token or any(c.isspace() for c in token)):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected '123456:ABC...')"
            )
        api_url = values.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
        parsed = urlparse(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(
                f"TELEGRAM_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, "
                f"got {api_url!r}"
            )
        database_raw = values.get("PRBOT_DATABASE", "").strip()
        database = Path(database_raw).expanduser() if database_raw else default_database()
        database_url = None
        url = values.get("PRBOT_DATABASE_URL", "").strip()
        if url.startswith("sqlite:///"):
            database = Path(url.removeprefix("sqlite:///")).expanduser()  # 4 slashes: absolute
        elif url.startswith(("postgresql://", "postgres://")):
            if not urlparse(url).path.strip("/"):
                raise ConfigError("PRBOT_DATABASE_URL must name a database: postgresql://…/NAME")
            database_url = url
        elif url:
            raise ConfigError(
                "PRBOT_DATABASE_URL must be sqlite:///PATH or "
                "postgresql://USER:PASSWORD@HOST:PORT/NAME"
            )
        if database.exists() and database.is_dir():
            raise ConfigError(f"PRBOT_DATABASE points to a directory: {database}")
        level = values.get("PRBOT_LOG_LEVEL", "").strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ConfigError(
                f"PRBOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}"
            )
        rate_name = "PRBOT_SEND_RATE" if values.get("PRBOT_SEND_RATE") else "PRBOT_REMINDER_RATE"
        limits = values.get("PRBOT_RATE_LIMIT", "").strip().lower() or "on"
        if limits not in ("on", "off"):
            raise ConfigError(f"PRBOT_RATE_LIMIT must be 'on' or 'off', got {limits!r}")
        dispatch = DispatchSettings(
            rate_per_second=_positive(values, rate_name, 25.0, maximum=30.0),
            interval=_positive(values, "PRBOT_REMINDER_INTERVAL", 60.0, maximum=3600.0),
            limits=limits == "on",
        )
        return cls(
            dispatch=dispatch,
            telegram_token=token,
            telegram_api_url=api_url,
            database=database,
            database_url=database_url,
            log_level=level,
            data_dir=Path(values.get("PRBOT_DATA_DIR") or PROJECT_ROOT / "data"),
            locales_dir=Path(values.get("PRBOT_LOCALES_DIR") or PROJECT_ROOT / "locales"),
        )

    @property
    def log_level_number(self) -> int:
        """The logging module's number for the level."""
        return int(getattr(logging, self.log_level))


def _positive(values: Mapping[str, str], name: str, default: float, maximum: float) -> float:
    """A positive number setting, at most `maximum`."""
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        number = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not 0 < number <= maximum:
        raise ConfigError(f"{name} must be above 0 and at most {maximum:g}, got {raw!r}")
    return number
