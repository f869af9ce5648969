"""Async client for the WeChat Official Account server API: token, messages, user info, menu."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
# Refresh the cached access token this long before WeChat says it expires.
REFRESH_MARGIN_SECONDS = 300.0
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class ErrorKind(StrEnum):
    """What a caller should do about a WeChat errcode."""

    RATE_LIMITED = "rate_limited"  # wait and retry later
    USER_UNREACHABLE = "user_unreachable"  # unsubscribed, blocked or not this account's user
    WINDOW_CLOSED = "window_closed"  # 48 h customer-service window over: use a template
    TOKEN = "token"  # access token or app credentials rejected
    OTHER = "other"


TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
_KINDS: dict[int, ErrorKind] = {
    45009: ErrorKind.RATE_LIMITED,  # daily API quota reached
    45047: ErrorKind.RATE_LIMITED,  # customer-service messages beyond the allowed count
    43004: ErrorKind.USER_UNREACHABLE,  # recipient has not followed (unsubscribed)
    43019: ErrorKind.USER_UNREACHABLE,  # recipient is in the account's blacklist
    40003: ErrorKind.USER_UNREACHABLE,  # invalid openid for this account
    45015: ErrorKind.WINDOW_CLOSED,  # response out of time limit (48 h)
    **dict.fromkeys(TOKEN_ERRCODES, ErrorKind.TOKEN),
}


def classify(errcode: int) -> ErrorKind:
    """The kind of a WeChat errcode."""
    return _KINDS.get(errcode, ErrorKind.OTHER)


class WeChatUnavailable(Exception):
    """WeChat could not be reached or answered with a server error; worth retrying later."""


class WeChatApiError(Exception):
    """WeChat answered with a non-zero errcode."""

    kind = ErrorKind.OTHER

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatRateLimited(WeChatApiError):
    """A quota or frequency limit was hit (45009, 45047)."""

    kind = ErrorKind.RATE_LIMITED


class WeChatUserUnreachable(WeChatApiError):
    """The user unsubscribed, blocked the account or is unknown to it (43004, 43019, 40003)."""

    kind = ErrorKind.USER_UNREACHABLE


class WeChatWindowClosed(WeChatApiError):
    """The 48-hour customer-service window is over (45015); only template messages remain."""

    kind = ErrorKind.WINDOW_CLOSED


class WeChatTokenError(WeChatApiError):
    """The access token was refused even after a refresh, or no token could be obtained."""

    kind = ErrorKind.TOKEN


_CLASSES: dict[ErrorKind, type[WeChatApiError]] = {
    ErrorKind.RATE_LIMITED: WeChatRateLimited,
    ErrorKind.USER_UNREACHABLE: WeChatUserUnreachable,
    ErrorKind.WINDOW_CLOSED: WeChatWindowClosed,
    ErrorKind.TOKEN: WeChatTokenError,
    ErrorKind.OTHER: WeChatApiError,
}


def api_error(errcode: int, errmsg: str) -> WeChatApiError:
    """The WeChatApiError subclass for an errcode."""
    return _CLASSES[classify(errcode)](errcode, errmsg)


def _errcode(data: Mapping[str, Any]) -> int:
    value = data.get("errcode", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


class WeChatApi:
    """One Official Account's server API; the access token is cached and shared by all calls."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str = DEFAULT_BASE_URL,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._base_url = base_url.rstrip("/")
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=10.0)
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> WeChatApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def access_token(self, *, rejected: str | None = None) -> str:
        """A valid access token; `rejected` names one WeChat refused, forcing a refresh."""
        token = self._cached(rejected)
        if token is not None:
            return token
        async with self._token_lock:
            # Whoever held the lock before us may have refreshed already.
            token = self._cached(rejected)
            if token is not None:
                return token
            return await self._refresh_token()

    def _cached(self, rejected: str | None) -> str | None:
        token = self._token
        if token is None or token == rejected or self._clock() >= self._token_expires_at:
            return None
        return token

    async def _refresh_token(self) -> str:
        # stable_token in normal mode (force_refresh false) returns the account's current token
        # and never invalidates one another process still uses; a forced refresh would, and is
        # limited to a few a day.
        data = await self._post_json(
            "/cgi-bin/stable_token",
            {
                "grant_type": "client_credential",
                "appid": self._app_id,
                "secret": self._app_secret,
                "force_refresh": False,
            },
        )
        errcode = _errcode(data)
        token = data.get("access_token")
        expires_in = data.get("expires_in")
        if errcode == -1:
            raise WeChatUnavailable("/cgi-bin/stable_token: WeChat is busy (errcode -1)")
        if errcode and classify(errcode) is ErrorKind.RATE_LIMITED:
            raise WeChatRateLimited(errcode, str(data.get("errmsg", "")))
        if errcode or not isinstance(token, str) or not token:
            # Wrong AppID or AppSecret (40013, 40125), a caller IP not whitelisted (40164), ...
            raise WeChatTokenError(errcode, str(data.get("errmsg", "no access_token")))
        if not isinstance(expires_in, int | float) or expires_in <= 0:
            raise WeChatTokenError(-1, "no expires_in")
        # Five minutes early; a token that has less than that left is kept for half its life.
        lifetime = max(expires_in - REFRESH_MARGIN_SECONDS, expires_in / 2)
        self._token = token
        self._token_expires_at = self._clock() + lifetime
        log.info("WeChat access token refreshed, valid for %d s", int(expires_in))
        return token

    async def _post_json(
        self, path: str, body: Mapping[str, Any], params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        # WeChat refuses \uXXXX escapes (errcode 40033): send the characters themselves.
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return await self._send(
            "POST", path, params, content=content, headers={"Content-Type": JSON_CONTENT_TYPE}
        )

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = await self._client.request(
                method,
                self._base_url + path,
                params=dict(params or {}),
                content=content,
                headers=dict(headers or {}),
            )
        except httpx.HTTPError as err:
            # The exception text may carry the URL, and with it the access token.
            raise WeChatUnavailable(f"{path}: {type(err).__name__}") from None
        if response.status_code >= 300:
            raise WeChatUnavailable(f"{path}: HTTP {response.status_code}")
        try:
            data = json.loads(response.content)
        except ValueError:
            raise WeChatUnavailable(f"{path}: the answer is not JSON") from None
        if not isinstance(data, dict):
            raise WeChatUnavailable(f"{path}: the answer is not a JSON object")
        return data

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One API call with the access token; a token error refreshes and retries once."""
        rejected: str | None = None
        for attempt in (1, 2):
            token = await self.access_token(rejected=rejected)
            query = {**(params or {}), "access_token": token}
            if body is None:
                data = await self._send(method, path, query)
            else:
                data = await self._post_json(path, body, query)
            errcode = _errcode(data)
            if errcode == 0:
                return data
            if errcode in TOKEN_ERRCODES and attempt == 1:
                log.info("WeChat refused the access token (%d); refreshing", errcode)
                rejected = token
                continue
            if errcode == -1:
                raise WeChatUnavailable(f"{path}: WeChat is busy (errcode -1)")
            raise api_error(errcode, str(data.get("errmsg", "")))
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_text(self, openid: str, text: str) -> None:
        """Send a customer-service text message (only within 48 h of the user's last message)."""
        await self._call(
            "POST",
            "/cgi-bin/message/custom/send",
            body={"touser": openid, "msgtype": "text", "text": {"content": text}},
        )
        log.debug("WeChat customer-service text sent")

    async def send_template(
        self, openid: str, template_id: str, data: Mapping[str, str], url: str | None = None
    ) -> int | None:
        """Send a template message (works outside the 48 h window); returns WeChat's msgid."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if url is not None:
            body["url"] = url
        answer = await self._call("POST", "/cgi-bin/message/template/send", body=body)
        msgid = answer.get("msgid")
        return msgid if isinstance(msgid, int) and not isinstance(msgid, bool) else None

    async def user_language(self, openid: str) -> str | None:
        """The language the user's WeChat is set to ("zh_CN", "en", ...), None if unknown."""
        answer = await self._call(
            "GET", "/cgi-bin/user/info", params={"openid": openid, "lang": "en"}
        )
        language = answer.get("language")
        return language if isinstance(language, str) and language else None

    async def create_menu(self, menu: Mapping[str, Any]) -> None:
        """Replace the account's custom menu."""
        await self._call("POST", "/cgi-bin/menu/create", body=menu)
