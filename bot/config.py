"""Settings from the environment (and an optional `.env` file), checked at start-up."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.reminders.dispatcher import DispatchSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_WECHAT_API_URL = "https://api.weixin.qq.com"
# What a reminder's template message says, by role; the template's own field names are set by
# WECHAT_TEMPLATE_FIELDS as role=field pairs (docs/wechat.md).
TEMPLATE_ROLES = ("title", "card", "deadline", "action", "note")
DEFAULT_TEMPLATE_FIELDS = "title=first,card=keyword1,deadline=keyword2,action=keyword3,note=remark"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting is invalid; the message names the variable."""


def default_database() -> Path:
    """Per-user data file outside the source tree (XDG data home)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "prbot" / "prbot.sqlite3"


@dataclass(frozen=True, slots=True)
class WeChatSettings:
    """One WeChat Official Account: callback token, API credentials, safe mode, template."""

    token: str
    app_id: str
    app_secret: str
    encoding_aes_key: str | None = None  # set: safe mode (encrypted callbacks and replies)
    api_url: str = DEFAULT_WECHAT_API_URL
    template_id: str | None = None  # the template message reminders are sent with
    template_fields: tuple[tuple[str, str], ...] = ()  # (role, the template's field name)


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
    http_host: str = "0.0.0.0"
    http_port: int = 8080
    wechat: WeChatSettings | None = None
    telegram_webhook_url: str | None = None  # public base URL: webhooks instead of polling
    telegram_webhook_secret: str | None = None  # X-Telegram-Bot-Api-Secret-Token
    outbox_lease: float = 60.0  # seconds a replica holds the reply parts it is sending
    cache_dir: Path | None = None  # built matchers and catalogs (bot/cache.py); None: off
    # keep recent verdicts of the matchers and this minute's answers (bot/core/memo.py)
    memo: bool = True
    # tune glibc's allocator at start-up (bot/allocator.py)
    malloc: bool = True
    # sum the matchers' postings in C where it was compiled (bot/core/_kernel.c); off: numpy
    kernel: bool = True

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
        limits = _switch(values, "PRBOT_RATE_LIMIT")
        rate_name = "PRBOT_SEND_RATE" if values.get("PRBOT_SEND_RATE") else "PRBOT_REMINDER_RATE"
        dispatch = DispatchSettings(
            rate_per_second=_positive(values, rate_name, 25.0, maximum=30.0),
            interval=_positive(values, "PRBOT_REMINDER_INTERVAL", 60.0, maximum=3600.0),
            limits=limits,
            lease=dt.timedelta(
                seconds=_positive(values, "PRBOT_REMINDER_LEASE", 600.0, maximum=86400.0)
            ),
        )
        http_host = values.get("PRBOT_HTTP_HOST", "").strip() or "0.0.0.0"
        if any(c.isspace() or c in "/:" for c in http_host.replace("::", "")):
            raise ConfigError(f"PRBOT_HTTP_HOST must be a host name or address, got {http_host!r}")
        port_raw = values.get("PRBOT_HTTP_PORT", "").strip() or "8080"
        if not port_raw.isdigit() or not 0 <= int(port_raw) <= 65535:
            raise ConfigError(f"PRBOT_HTTP_PORT must be a port number (0-65535), got {port_raw!r}")
        memo = _switch(values, "PRBOT_MEMO")
        malloc = _switch(values, "PRBOT_MALLOC")
        kernel = _switch(values, "PRBOT_KERNEL")
        webhook_url, webhook_secret = _webhook(values)
        return cls(
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=webhook_secret,
            outbox_lease=_positive(values, "PRBOT_OUTBOX_LEASE", 60.0, maximum=3600.0),
            dispatch=dispatch,
            http_host=http_host,
            http_port=int(port_raw),
            wechat=_wechat(values),
            telegram_token=token,
            telegram_api_url=api_url,
            database=database,
            database_url=database_url,
            log_level=level,
            data_dir=Path(values.get("PRBOT_DATA_DIR") or PROJECT_ROOT / "data"),
            locales_dir=Path(values.get("PRBOT_LOCALES_DIR") or PROJECT_ROOT / "locales"),
            cache_dir=_cache_dir(values),
            memo=memo,
            malloc=malloc,
            kernel=kernel,
        )

    @property
    def log_level_number(self) -> int:
        """The logging module's number for the level."""
        return int(getattr(logging, self.log_level))


def _cache_dir(values: Mapping[str, str]) -> Path | None:
    """PRBOT_CACHE_DIR: a folder, `off`, or unset for `$XDG_CACHE_HOME/prbot` (~/.cache)."""
    raw = values.get("PRBOT_CACHE_DIR", "").strip()
    if raw.lower() == "off":
        return None
    if raw:
        return Path(raw)
    base = values.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "prbot"


def _webhook(values: Mapping[str, str]) -> tuple[str | None, str | None]:
    """TELEGRAM_WEBHOOK_URL and its secret; (None, None) when Telegram polls."""
    url = values.get("TELEGRAM_WEBHOOK_URL", "").strip().rstrip("/") or None
    secret = values.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None
    if url is None:
        return None, None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query:
        raise ConfigError(
            f"TELEGRAM_WEBHOOK_URL must be the bot's public base URL such as "
            f"https://bot.example.org, got {url!r}"
        )
    if secret is None or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL: 1 to 256 characters "
            "among A-Z, a-z, 0-9, _ and -"
        )
    return url, secret


def _wechat(values: Mapping[str, str]) -> WeChatSettings | None:
    """The WeChat settings; None when WECHAT_TOKEN is not set (the channel is off)."""
    token = values.get("WECHAT_TOKEN", "").strip()
    if not token:
        return None
    if not re.fullmatch(r"[A-Za-z0-9]{3,32}", token):
        raise ConfigError("WECHAT_TOKEN must be 3 to 32 letters or digits (as WeChat requires)")
    app_id = values.get("WECHAT_APP_ID", "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{4,64}", app_id):
        raise ConfigError("WECHAT_APP_ID must be set to the account's AppID (e.g. wx0123...)")
    secret = values.get("WECHAT_APP_SECRET", "").strip()
    if not secret or any(c.isspace() for c in secret):
        raise ConfigError("WECHAT_APP_SECRET must be set to the account's AppSecret")
    aes_key = values.get("WECHAT_ENCODING_AES_KEY", "").strip() or None
    if aes_key is not None:
        try:
            valid = (
                len(aes_key) == 43 and len(base64.b64decode(aes_key + "=", validate=True)) == 32
            )
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ConfigError(
                "WECHAT_ENCODING_AES_KEY must be the 43-character EncodingAESKey from the "
                "account's settings"
            )
    api_url = values.get("WECHAT_API_URL", "").strip().rstrip("/") or DEFAULT_WECHAT_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"WECHAT_API_URL must be an http(s) URL such as {DEFAULT_WECHAT_API_URL}, "
            f"got {api_url!r}"
        )
    template_id = values.get("WECHAT_TEMPLATE_ID", "").strip() or None
    if template_id is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", template_id):
        raise ConfigError("WECHAT_TEMPLATE_ID must be a template ID (letters, digits, - and _)")
    return WeChatSettings(
        token=token,
        app_id=app_id,
        app_secret=secret,
        encoding_aes_key=aes_key,
        api_url=api_url,
        template_id=template_id,
        template_fields=_template_fields(values.get("WECHAT_TEMPLATE_FIELDS", "")),
    )


def _template_fields(raw: str) -> tuple[tuple[str, str], ...]:
    """`role=field,...` pairs: which template field carries which part of a reminder."""
    pairs: list[tuple[str, str]] = []
    for item in (raw.strip() or DEFAULT_TEMPLATE_FIELDS).split(","):
        role, sep, name = (part.strip() for part in item.partition("="))
        if not sep or role not in TEMPLATE_ROLES or not re.fullmatch(r"[A-Za-z0-9_]{1,32}", name):
            raise ConfigError(
                "WECHAT_TEMPLATE_FIELDS must be role=field pairs separated by commas, roles "
                f"among {', '.join(TEMPLATE_ROLES)} (e.g. {DEFAULT_TEMPLATE_FIELDS}); "
                f"got {item.strip()!r}"
            )
        if role in dict(pairs):
            raise ConfigError(f"WECHAT_TEMPLATE_FIELDS names the role {role!r} twice")
        pairs.append((role, name))
    return tuple(pairs)


def _switch(values: Mapping[str, str], name: str) -> bool:
    """An 'on'/'off' setting (any case; unset: on)."""
    raw = values.get(name, "").strip().lower() or "on"
    if raw not in ("on", "off"):
        raise ConfigError(f"{name} must be 'on' or 'off', got {raw!r}")
    return raw == "on"


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
