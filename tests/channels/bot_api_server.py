"""A local fake Bot API server on 127.0.0.1, for tests that run the bot as a real process.

It speaks the Bot API's HTTP shape (POST /bot<token>/<method>, form or multipart bodies,
`{"ok": true, "result": ...}` answers), queues updates for getUpdates and records every call.
"""

from __future__ import annotations

import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.channels.fake_bot_api import BOT_USER


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeBotApi:
    """Start with `with FakeBotApi() as api:`; point TELEGRAM_API_URL at `api.base_url`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.send_delay = 0.0  # seconds each send* call takes, to widen a crash window
        self._lock = threading.Condition()
        self._message_id = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for the next getUpdates."""
        with self._lock:
            self.updates.append(update)
            self._lock.notify_all()

    def of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call to one method so far."""
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, method: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Block until `count` calls of `method` were made (or the timeout passes)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [params for name, params in self.calls if name == method]
                if len(found) >= count or time.monotonic() >= deadline:
                    return found
                self._lock.wait(timeout=0.1)

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and body for one call."""
        with self._lock:
            queued = self.failures.get(method)
            if queued:
                return queued.pop(0)
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                wait = min(float(params.get("timeout") or 0), 1.0)
                deadline = time.monotonic() + wait
                while True:
                    pending = [u for u in self.updates if u["update_id"] >= offset]
                    if pending or time.monotonic() >= deadline:
                        return 200, {"ok": True, "result": pending}
                    self._lock.wait(timeout=0.05)
            if method == "getMe":
                return 200, {"ok": True, "result": BOT_USER}
            if method.startswith("send"):
                self._message_id += 1
                result = {
                    "message_id": self._message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                    "from": BOT_USER,
                    "text": str(params.get("text", "")),
                }
                return 200, {"ok": True, "result": result}
            return 200, {"ok": True, "result": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                path, _sep, query = self.path.partition("?")
                method = path.rsplit("/", 1)[-1]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                params = {k: _decode(v[0]) for k, v in parse_qs(query).items()}
                params.update(_parse(self.headers.get("Content-Type", ""), body))
                with api._lock:
                    api.calls.append((method, params))
                    api._lock.notify_all()
                if method.startswith("send") and api.send_delay:
                    time.sleep(api.send_delay)
                status, payload = api.answer(method, params)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed mid-request: that is what some tests do

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _parse(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("multipart/"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                params[str(name)] = {"filename": part.get_filename(), "content": payload}
            else:
                params[str(name)] = _decode(payload.decode())
        return params
    if content_type.startswith("application/json"):
        loaded = json.loads(body or b"{}")
        return dict(loaded) if isinstance(loaded, dict) else {}
    return {k: _decode(v[0]) for k, v in parse_qs(body.decode()).items()}
