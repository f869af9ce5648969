"""Prometheus metrics: a Meter (bot.core.ports) over a registry of its own.

The composition root makes one Metrics per app (no module globals), so tests can read their
own. Counters are incremented where things happen (the engine, the OutboxSender, the reminder
Dispatcher); the reminders still pending are counted by the store when /metrics is scraped.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.ports import Store, StoreError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The bot's counters, histograms and gauges, registered in `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.updates = Counter(
            "prbot_updates_handled",
            "Updates handled, by channel and outcome (ok, failed).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "prbot_update_handling_seconds",
            "Time to handle one update, from the engine's start to its commit.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reminders = Counter(
            "prbot_reminders",
            "Reminders by outcome: sent, failed (to be retried, or blocked), skipped.",
            ["outcome"],
            registry=self.registry,
        )
        self.pending = Gauge(
            "prbot_reminders_pending",
            "Reminders waiting to be sent (pending or claimed), counted at scrape time.",
            registry=self.registry,
        )
        self.send_errors = Counter(
            "prbot_send_errors",
            "Failed sends of reply parts and reminders, by channel and kind.",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.database_errors = Counter(
            "prbot_database_errors",
            "Store operations that failed (StoreError).",
            registry=self.registry,
        )

    # The Meter protocol --------------------------------------------------------------------

    def update_handled(self, channel: str, outcome: str, seconds: float) -> None:
        """One update was handled."""
        self.updates.labels(channel, outcome).inc()
        self.latency.labels(channel).observe(seconds)

    def send_error(self, channel: str, kind: str) -> None:
        """A send failed."""
        self.send_errors.labels(channel, kind).inc()

    def reminder(self, outcome: str, count: int = 1) -> None:
        """Reminders sent, failed or skipped."""
        self.reminders.labels(outcome).inc(count)

    def database_error(self) -> None:
        """The store failed."""
        self.database_errors.inc()

    # Scraping ------------------------------------------------------------------------------

    async def exposition(self, store: Store) -> bytes:
        """The text format, after counting the pending reminders (left as is if that fails)."""
        try:
            self.pending.set(await store.pending_reminders())
        except StoreError:
            self.database_error()
        return generate_latest(self.registry)
