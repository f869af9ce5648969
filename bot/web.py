"""The HTTP server of the web-facing channels: Starlette on uvicorn, one port for all of them.

A web channel (WeChat callbacks, Telegram webhooks, /readyz and /metrics) gives its routes;
the server mounts them beside `/healthz` and runs as one more plug-in of the runtime, started
after the channels whose routes it serves and stopped before them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Sequence
from typing import Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.ports import Store
from bot.metrics import CONTENT_TYPE, Metrics
from bot.reminders.dispatcher import Notifier
from bot.runtime import Runtime

log = logging.getLogger(__name__)

READY_TIMEOUT = 2.0  # seconds the database gets to answer /readyz


class WebChannel(Protocol):
    """A channel that is reached over HTTP: it gives the routes it answers."""

    def routes(self) -> Sequence[BaseRoute]:
        """The routes to mount (paths are absolute, e.g. `/wechat`)."""
        ...


async def healthz(request: Request) -> Response:
    """200 while the server is up."""
    return PlainTextResponse("ok")


class Operations:
    """`/readyz` and `/metrics`, for load balancers and Prometheus (a WebChannel)."""

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics

    def routes(self) -> Sequence[BaseRoute]:
        """GET /readyz and GET /metrics."""
        return [
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.scrape, methods=["GET"]),
        ]

    async def readyz(self, request: Request) -> Response:
        """200 when the database answers and its schema is up to date, else 503."""
        try:
            ready = await asyncio.wait_for(self.store.ready(), timeout=READY_TIMEOUT)
        except Exception as err:  # a closed or hanging store is not ready
            log.info("readiness check failed: %s", err)
            ready = False
        if ready:
            return PlainTextResponse("ready")
        return PlainTextResponse("not ready", status_code=503)

    async def scrape(self, request: Request) -> Response:
        """The Prometheus text format."""
        body = await self.metrics.exposition(self.store)
        return Response(body, media_type=CONTENT_TYPE)


def build_web_app(channels: Sequence[WebChannel]) -> Starlette:
    """The ASGI app: `/healthz` and every channel's routes."""
    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for channel in channels:
        routes.extend(channel.routes())
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the runtime's stop event ends it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    """The HTTP server as a runtime plug-in (it sends nothing itself, so it has no notifier)."""

    name = "http"

    def __init__(self, host: str, port: int, channels: Sequence[WebChannel]) -> None:
        self.host = host
        self.port = port
        self.app = build_web_app(channels)
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, runtime: Runtime) -> None:
        """Bind the port (OSError when it cannot be used), then serve in the background."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(2048)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=3,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._serve(sock), name="http")
        # uvicorn says it is up with a flag only, no event to wait on.
        while not self._server.started and not self._task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()
            raise OSError(f"the HTTP server on {self.host}:{self.port} did not start")
        log.info("HTTP server listening on %s:%d", self.host, self.port)

    async def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            await self._server.serve(sockets=[sock])
        except SystemExit:  # uvicorn's way of saying start-up failed
            log.error("the HTTP server could not start")
        finally:
            sock.close()

    async def stop(self) -> None:
        """Stop accepting; requests in progress get a few seconds to finish."""
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def notifier(self) -> Notifier | None:
        """None: the server only receives."""
        return None
