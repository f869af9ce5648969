"""Real `prbot serve` replicas with Telegram in webhook mode, and a poster playing Telegram."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.serve_process import ServedBot

TOKEN = "123:webhook-test"
SECRET = "s3cret_Webhook-token"
PUBLIC_URL = "https://bot.example.org"  # what setWebhook is told; the tests post directly


class WebhookReplica(ServedBot):
    """One `prbot serve` with TELEGRAM_WEBHOOK_URL set, on its own port, on a shared database."""

    ready_path = "/readyz"

    def __init__(
        self,
        api_url: str,
        database_url: str,
        workdir: Path,
        *,
        extra_env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        super().__init__(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": api_url,
                "TELEGRAM_WEBHOOK_URL": PUBLIC_URL,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "PRBOT_DATABASE_URL": database_url,
                "PRBOT_RATE_LIMIT": "off",
                "PRBOT_OUTBOX_LEASE": "10",  # longer than a loaded replica holds a batch
                **(extra_env or {}),
            },
            workdir,
            log,
        )

    def post_update(
        self,
        update: dict[str, Any],
        secret: str | None = SECRET,
        client: httpx.Client | None = None,
    ) -> httpx.Response:
        """POST an update as Telegram does."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return (client or self.client).post(
            f"{self.base}/telegram", content=json.dumps(update).encode(), headers=headers
        )


class Telegram:
    """Posts updates to the replicas in turn, as Telegram would: a chat's next update only
    after the 200 for the previous one, and an update that got no 200 again (to a replica
    that is alive)."""

    def __init__(self, replicas: list[WebhookReplica]) -> None:
        self.replicas = replicas
        self.dead: set[int] = set()
        self._turn = itertools.count()
        self._local = threading.local()
        self.delivered = 0
        self._lock = threading.Lock()
        self._clients: list[httpx.Client] = []

    def _client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(timeout=15.0)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def deliver(self, update: dict[str, Any], timeout: float = 60.0) -> None:
        """Until a replica answers 200."""
        deadline = time.monotonic() + timeout
        index = next(self._turn) % len(self.replicas)
        while time.monotonic() < deadline:
            if index not in self.dead:
                try:
                    answer = self.replicas[index].post_update(update, client=self._client())
                    if answer.status_code == 200:
                        with self._lock:
                            self.delivered += 1
                        return
                except httpx.HTTPError:
                    pass
            index = (index + 1) % len(self.replicas)
            time.sleep(0.02)
        raise AssertionError(f"update {update['update_id']} was never accepted")

    def close(self) -> None:
        """Close the posting threads' connections."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
