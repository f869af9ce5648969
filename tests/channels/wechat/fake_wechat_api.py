"""A local fake of the WeChat server API on 127.0.0.1 that records every call.

It issues access tokens from `/cgi-bin/stable_token` (the current one again while it is valid,
as the real normal mode does), refuses unknown or expired tokens with 40001, refuses JSON with
\\uXXXX escapes with 40033 as WeChat does, and can be told to fail the next call of a path with
an errcode or an HTTP status.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

APP_ID = "wx0123456789abcdef"
APP_SECRET = "fake-app-secret"
TOKEN_PATH = "/cgi-bin/stable_token"


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    content_type: str

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body.decode("utf-8"))


class FakeWeChatApi:
    """Start with `with FakeWeChatApi() as fake:`; give `fake.base_url` to WeChatApi."""

    def __init__(self, expires_in: int = 7200) -> None:
        self.expires_in = expires_in
        self.token_delay = 0.0  # seconds stable_token takes, to widen a race window
        self.expired_errcode = 40001
        self.users: dict[str, dict[str, Any]] = {}
        self._calls: list[Call] = []
        self._failures: dict[str, list[tuple[int, dict[str, Any] | None]]] = {}
        self._issued = 0
        self._current: str | None = None
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The value for WeChatApi's base_url."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeWeChatApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def calls(self) -> list[Call]:
        """Every call so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    def of(self, path: str) -> list[Call]:
        """The calls to one path."""
        return [call for call in self.calls if call.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls to `path` once there are at least `count` (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.of(path)
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(calls)} call(s) of {path}, expected {count}")
            time.sleep(0.02)

    @property
    def token_refreshes(self) -> int:
        """How many times stable_token was called."""
        return len(self.of(TOKEN_PATH))

    @property
    def current_token(self) -> str | None:
        """The token the fake accepts now."""
        with self._lock:
            return self._current

    def expire_tokens(self) -> None:
        """Make the current token invalid, as when it expires in the middle of a send."""
        with self._lock:
            self._current = None

    def fail_next(self, path: str, errcode: int, errmsg: str = "scripted failure") -> None:
        """Answer the next call of `path` with this errcode (HTTP 200, as WeChat does)."""
        with self._lock:
            self._failures.setdefault(path, []).append(
                (200, {"errcode": errcode, "errmsg": errmsg})
            )

    def fail_next_http(self, path: str, status: int) -> None:
        """Answer the next call of `path` with this HTTP status and a non-JSON body."""
        with self._lock:
            self._failures.setdefault(path, []).append((status, None))

    def answer(self, call: Call) -> tuple[int, bytes]:
        """The status and body for one call."""
        with self._lock:
            self._calls.append(call)
            queued = self._failures.get(call.path)
            failure = queued.pop(0) if queued else None
        if call.path == TOKEN_PATH and self.token_delay:
            time.sleep(self.token_delay)
        if failure is not None:
            status, payload = failure
            if payload is None:
                return status, b"<html>upstream error</html>"
            return 200, _encode(payload)
        if b"\\u" in call.body:
            return 200, _encode({"errcode": 40033, "errmsg": "invalid charset"})
        if call.path == TOKEN_PATH:
            return 200, _encode(self._stable_token(call))
        with self._lock:
            token_ok = (
                self._current is not None and call.query.get("access_token") == self._current
            )
        if not token_ok:
            return 200, _encode({"errcode": self.expired_errcode, "errmsg": "invalid credential"})
        return 200, _encode(self._route(call))

    def _stable_token(self, call: Call) -> dict[str, Any]:
        body = call.json()
        if body.get("grant_type") != "client_credential" or body.get("appid") != APP_ID:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if body.get("secret") != APP_SECRET:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self._lock:
            if self._current is None or body.get("force_refresh") is True:
                self._issued += 1
                self._current = f"TOKEN-{self._issued}"
            return {"access_token": self._current, "expires_in": self.expires_in}

    def _route(self, call: Call) -> dict[str, Any]:
        if call.path == "/cgi-bin/user/info":
            openid = call.query.get("openid", "")
            return self.users.get(openid, {"subscribe": 0, "openid": openid})
        if call.path == "/cgi-bin/message/template/send":
            return {"errcode": 0, "errmsg": "ok", "msgid": 200228332}
        if call.path in ("/cgi-bin/message/custom/send", "/cgi-bin/menu/create"):
            return {"errcode": 0, "errmsg": "ok"}
        return {"errcode": 40066, "errmsg": "invalid url"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                call = Call(
                    method=self.command,
                    path=url.path,
                    query=dict(parse_qsl(url.query)),
                    body=self.rfile.read(length) if length else b"",
                    content_type=self.headers.get("Content-Type", ""),
                )
                status, payload = fake.answer(call)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class _Server(ThreadingHTTPServer):
    """Many callers at once (the benchmark's followers): a deep accept queue, and a caller that
    hangs up (a timed-out request) is not an error worth a traceback."""

    request_queue_size = 256
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


# The other direction: callbacks as WeChat's servers send them to the bot. ----------------


def signed_query(token: str, timestamp: int | None = None, nonce: str = "") -> dict[str, str]:
    """signature, timestamp and nonce as WeChat puts them on every callback URL."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex[:10]
    signature = hashlib.sha1("".join(sorted((token, stamp, nonce))).encode()).hexdigest()
    return {"signature": signature, "timestamp": stamp, "nonce": nonce}


def text_xml(
    openid: str,
    content: str,
    msg_id: int | str,
    create_time: int | None = None,
    account: str = "gh_prbot",
) -> str:
    """A text message callback body."""
    stamp = int(time.time()) if create_time is None else create_time
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(
    openid: str,
    event: str,
    key: str = "",
    create_time: int | None = None,
    account: str = "gh_prbot",
) -> str:
    """An event callback body (subscribe, unsubscribe, CLICK, VIEW...)."""
    stamp = int(time.time()) if create_time is None else create_time
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def media_xml(openid: str, msg_type: str, msg_id: int, account: str = "gh_prbot") -> str:
    """An image, voice, location... callback body (only the common fields matter here)."""
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType><MsgId>{msg_id}</MsgId></xml>"
    )
