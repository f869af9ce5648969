"""A fast local fake Bot API for the black-box benchmarks, run in its own process.

    python -m bench.fake_api [--port 0]      # prints "PORT <n>" once it listens

uvicorn (httptools parser, uvloop when installed) serving a minimal raw ASGI app on
127.0.0.1, so the fake server is not what limits the measured bot (the tests' fake Bot API is
a ThreadingHTTPServer: one thread per connection and a lock around everything).

Bot API side, what python-telegram-bot uses: POST /bot<token>/<method> with form, JSON or
multipart bodies, answered `{"ok": true, "result": ...}`. getUpdates honours offset (updates
below it are confirmed and dropped), limit and timeout (long polling: it answers as soon as
updates are queued). send* methods answer with a plausible Message, everything else with
True (or the small object the method returns).

Control side, for the benchmark scripts (JSON over plain HTTP on the same port):

- POST /_bench/push     body: a list of update bodies without update_id (for example
                        {"message": {...}}); ids are assigned here, increasing for the
                        whole life of the server. Answers {"first_id", "last_id", "at"}.
- GET  /_bench/stats    counters since the last reset: calls per method, sendMessage per
                        chat, replies (any send* or edit*) per chat, monotonic times of the
                        first getUpdates, of the last push, of the first and the last reply,
                        replies per whole second since the last push, the queue length,
                        a few reply texts and "now".
- POST /_bench/reset    clear the counters; with {"queue": true} also drop queued updates.

Times are `time.monotonic()` of this process; on Linux that clock (CLOCK_MONOTONIC) is shared
by all processes, so the scripts compare it with their own.

`FakeApi` below starts the server as a subprocess and is the scripts' client for it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, deque
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "prbot",
    "username": "prbot_bench_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
LONG_POLL_CAP = 30.0  # seconds; the bot asks for 10 by default
JSON_HEADERS = [(b"content-type", b"application/json")]


# ---------------------------------------------------------------------------------------------
# The server (runs in the child process)


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters of a Bot API call. Form and multipart values stay strings (as sent)."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        return dict(loaded) if isinstance(loaded, dict) else {}
    if content_type.startswith("multipart/"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                params[name] = {"filename": part.get_filename(), "size": len(payload)}
            else:
                params[name] = payload.decode(errors="replace")
        return params
    return dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class State:
    """The update queue and the counters."""

    def __init__(self) -> None:
        self.queue: deque[dict[str, Any]] = deque()
        self.next_update_id = 1
        self.message_id = 0
        self._changed = asyncio.Event()
        self.reset()

    def reset(self) -> None:
        """Clear the counters (not the queue)."""
        self.calls: Counter[str] = Counter()
        self.send_message: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.first_get_updates: float | None = None
        self.pushed_at: float | None = None
        self.first_reply: float | None = None
        self.last_reply: float | None = None
        self.samples: list[tuple[str, str, str]] = []
        self.reply_seconds: Counter[int] = Counter()  # replies per whole second since the push

    def wake(self) -> None:
        """Let every waiting getUpdates look at the queue again."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def push(self, bodies: list[dict[str, Any]]) -> dict[str, Any]:
        """Queue updates; the ids are assigned here."""
        first = self.next_update_id
        for body in bodies:
            update = dict(body)
            update["update_id"] = self.next_update_id
            self.next_update_id += 1
            self.queue.append(update)
        self.pushed_at = time.monotonic()
        self.wake()
        return {"first_id": first, "last_id": self.next_update_id - 1, "at": self.pushed_at}

    def stats(self) -> dict[str, Any]:
        """Everything counted since the last reset."""
        return {
            "calls": dict(self.calls),
            "send_message": dict(self.send_message),
            "replies": dict(self.replies),
            "first_get_updates": self.first_get_updates,
            "pushed_at": self.pushed_at,
            "first_reply": self.first_reply,
            "last_reply": self.last_reply,
            "queued": len(self.queue),
            "samples": self.samples,
            "reply_seconds": {str(k): v for k, v in sorted(self.reply_seconds.items())},
            "now": time.monotonic(),
        }

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm below offset, then answer at once or when updates arrive (long polling)."""
        if self.first_get_updates is None:
            self.first_get_updates = time.monotonic()
        offset = int(_number(params.get("offset"), 0))
        limit = min(max(int(_number(params.get("limit"), 100)), 1), 100)
        if offset < 0:  # Bot API: the last -offset updates, earlier ones forgotten
            while len(self.queue) > -offset:
                self.queue.popleft()
        else:
            while self.queue and self.queue[0]["update_id"] < offset:
                self.queue.popleft()
        wait = min(max(_number(params.get("timeout"), 0), 0), LONG_POLL_CAP)
        if not self.queue and wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
        return [self.queue[i] for i in range(min(limit, len(self.queue)))]

    def sent(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Count a send* call per chat and make the Message it returns."""
        now = time.monotonic()
        chat = str(params.get("chat_id", ""))
        self.replies[chat] += 1
        if method == "sendMessage":
            self.send_message[chat] += 1
        if self.first_reply is None:
            self.first_reply = now
        self.last_reply = now
        if self.pushed_at is not None:
            self.reply_seconds[int(now - self.pushed_at)] += 1
        self.message_id += 1
        chat_id: int | str = int(chat) if chat.lstrip("-").isdigit() else chat
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        text = params.get("text")
        if isinstance(text, str):
            message["text"] = text
            if len(self.samples) < 50:
                self.samples.append((chat, method, text[:120]))
        if method == "sendVenue":
            message["venue"] = {
                "location": {
                    "latitude": _number(params.get("latitude"), 0.0),
                    "longitude": _number(params.get("longitude"), 0.0),
                },
                "title": str(params.get("title", "")),
                "address": str(params.get("address", "")),
            }
        elif method == "sendDocument":
            message["document"] = {"file_id": f"doc{self.message_id}", "file_unique_id": "u"}
        return message

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The result of one Bot API method."""
        self.calls[method] += 1
        if method == "getUpdates":
            return await self.get_updates(params)
        if method == "getMe":
            return BOT_USER
        if method.startswith("send"):
            return self.sent(method, params)
        if method.startswith("edit"):
            if params.get("inline_message_id"):
                return True
            return self.sent(method, params)
        if method == "deleteWebhook":
            if str(params.get("drop_pending_updates", "")).lower() in ("true", "1"):
                self.queue.clear()
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "getMyCommands":
            return []
        return True


def make_app(state: State) -> Any:
    """The raw ASGI application."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            event = await receive()
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        body = b"".join(chunks)
        path: str = scope["path"]
        status = 200
        payload: Any
        try:
            if path.startswith("/_bench/"):
                payload = control(state, path[len("/_bench/") :], body)
            else:
                content_type = ""
                for name, value in scope["headers"]:
                    if name == b"content-type":
                        content_type = value.decode("latin-1")
                        break
                method = path.rsplit("/", 1)[-1]
                # the Bot API takes parameters in the query string as well as in the body
                query = scope.get("query_string", b"").decode("latin-1")
                params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
                params.update(parse_body(content_type, body))
                result = await state.call(method, params)
                payload = {"ok": True, "result": result}
        except Exception as err:  # a bad request must not stop the server
            status = 400
            payload = {"ok": False, "error_code": 400, "description": f"Bad Request: {err}"}
        data = json.dumps(payload, ensure_ascii=False).encode()
        headers = [*JSON_HEADERS, (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    return app


def control(state: State, action: str, body: bytes) -> Any:
    """The /_bench/ endpoints."""
    if action == "push":
        return state.push(json.loads(body))
    if action == "stats":
        return state.stats()
    if action == "reset":
        options = json.loads(body) if body else {}
        state.reset()
        if options.get("queue"):
            state.queue.clear()
            state.wake()
        return {"ok": True}
    raise ValueError(f"unknown control action {action!r}")


def serve(port: int) -> None:
    """Listen on 127.0.0.1, print the port, serve until SIGTERM or SIGINT."""
    import uvicorn  # the bench extra: pip install -e '.[bench]'

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http_impl = "httptools" if importlib.util.find_spec("httptools") else "h11"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    config = uvicorn.Config(
        None,  # replaced below: the state needs the server's event loop
        loop=loop,
        http=http_impl,
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=120,
        timeout_graceful_shutdown=1,
        backlog=1024,
    )

    async def main() -> None:
        state = State()
        config.app = make_app(state)
        server = uvicorn.Server(config)
        print(f"PORT {sock.getsockname()[1]} {loop} {http_impl}", flush=True)
        await server.serve(sockets=[sock])

    if loop == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


# ---------------------------------------------------------------------------------------------
# The client (used by the benchmark scripts in their own process)


class FakeApi:
    """`with FakeApi() as api:` starts the server process; `api.base_url` is TELEGRAM_API_URL."""

    def __init__(self, start_timeout: float = 30.0) -> None:
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.flavour = ""
        self._conn: http.client.HTTPConnection | None = None

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    def __enter__(self) -> FakeApi:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fake_api", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert self.process.stdout is not None
            ready, _, _ = select.select([self.process.stdout], [], [], self.start_timeout)
            line = self.process.stdout.readline().decode() if ready else ""
            if not line.startswith("PORT "):
                raise RuntimeError(
                    "the fake Bot API did not start (is the bench extra installed? "
                    "pip install -e '.[bench]')"
                )
            _, port, *flavour = line.split()
            self.port = int(port)
            self.flavour = "+".join(flavour)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server process (SIGTERM, then SIGKILL)."""
        if self._conn is not None and self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self.reset(queue=True)  # ends long polls still waiting: a quick shutdown
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.process is not None:
            stop(self.process, timeout=5)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def _request(self, action: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self._conn.request(
                    "GET" if data is None else "POST",
                    f"/_bench/{action}",
                    body=data,
                    headers={"Content-Type": "application/json"},
                )
                response = self._conn.getresponse()
                payload = json.loads(response.read())
                if response.status != 200:
                    raise RuntimeError(f"fake Bot API: {payload}")
                return payload
            except (ConnectionError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def push(self, bodies: list[dict[str, Any]]) -> dict[str, Any]:
        """Queue updates; returns first_id, last_id and the monotonic time of the push."""
        return dict(self._request("push", bodies))

    def stats(self) -> dict[str, Any]:
        """The counters (see the module docstring)."""
        return dict(self._request("stats"))

    def reset(self, queue: bool = False) -> None:
        """Clear the counters, and with queue=True the queued updates too."""
        self._request("reset", {"queue": queue})


def stop(process: subprocess.Popen[Any], timeout: float = 15.0) -> int | None:
    """SIGTERM, wait, then SIGKILL: the process is gone when this returns."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return process.returncode


def main() -> None:
    """Run the server (the child process of FakeApi)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    serve(args.port)


if __name__ == "__main__":
    main()
