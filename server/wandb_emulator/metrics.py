"""`/metrics` in Prometheus' text format, through the official client library.

Each Emulator has its own registry (tests run many in one process), built by the first
scrape: the numbers themselves are plain counters kept where things happen (requests in
`http/request_metrics.py`, statements, transactions and cache lookups in `store/database.py`,
blob bytes in `blobs.py` and the request middleware, deliveries in the delivery log),
read at scrape time by one collector.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from .app import Emulator

PREFIX = "wandb_emulator_"


class EmulatorCollector(Collector):
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def collect(self) -> Iterator[Metric]:
        yield from self._requests()
        yield from self._store()
        yield from self._blobs()
        yield from self._deliveries()
        yield from self._journal()

    def _requests(self) -> Iterator[Metric]:
        stats = self.emulator.request_stats
        requests = CounterMetricFamily(
            PREFIX + "requests",
            "HTTP requests answered, by route template, GraphQL operation, method and status",
            labels=["route", "operation", "method", "status"],
        )
        for key, count in stats.requests.items():
            requests.add_metric(list(key), count)
        yield requests
        latency = HistogramMetricFamily(
            PREFIX + "request_duration_seconds",
            "Time from a request's arrival to its last byte, by route and GraphQL operation",
            labels=["route", "operation"],
        )
        for labels, timings in stats.timings.items():
            cumulative, buckets = 0, []
            bounds = (*map(str, stats.buckets), "+Inf")
            for bound, count in zip(bounds, timings.counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric(list(labels), buckets, timings.total)
        yield latency

    def _store(self) -> Iterator[Metric]:
        db = self.emulator.db
        statements = CounterMetricFamily(
            PREFIX + "store_statements",
            "SQL statements run, by connection",
            labels=["connection"],
        )
        lookups = CounterMetricFamily(
            PREFIX + "store_cache_lookups",
            "Lookups in the connections' result caches (emptied by every commit), by outcome",
            labels=["connection", "result"],
        )
        ratio = GaugeMetricFamily(
            PREFIX + "store_cache_hit_ratio",
            "Share of result-cache lookups answered from the cache since the start",
            labels=["connection"],
        )
        for role, conn in db.connections().items():
            statements.add_metric([role], conn.statements)
            cache = conn.results
            if cache is not None:
                lookups.add_metric([role, "hit"], cache.hits)
                lookups.add_metric([role, "miss"], cache.misses)
                total = cache.hits + cache.misses
                ratio.add_metric([role], cache.hits / total if total else 0.0)
        yield statements
        yield lookups
        yield ratio
        transactions = CounterMetricFamily(
            PREFIX + "store_transactions",
            "Write transactions, by outcome",
            labels=["outcome"],
        )
        transactions.add_metric(["commit"], db.commits)
        transactions.add_metric(["rollback"], db.rollbacks)
        yield transactions

    def _blobs(self) -> Iterator[Metric]:
        moved = CounterMetricFamily(
            PREFIX + "blob_bytes",
            "Blob bytes stored (in: uploads and files the server writes) and served (out)",
            labels=["direction"],
        )
        moved.add_metric(["in"], self.emulator.blobs.bytes_in)
        moved.add_metric(["out"], self.emulator.request_stats.blob_bytes_out)
        yield moved

    def _deliveries(self) -> Iterator[Metric]:
        deliveries = CounterMetricFamily(
            PREFIX + "webhook_deliveries",
            "Automation deliveries finished, by outcome (delivered, failed, recorded)",
            labels=["outcome"],
        )
        outcomes = self.emulator.automations.deliveries.outcomes
        for outcome in ("delivered", "failed", "recorded"):
            deliveries.add_metric([outcome], outcomes.get(outcome, 0))
        yield deliveries

    def _journal(self) -> Iterator[Metric]:
        entries, held = self.emulator.journal.held  # read by the scrape, before collecting
        yield GaugeMetricFamily(
            PREFIX + "journal_entries", "Requests held in the request journal", entries
        )
        yield GaugeMetricFamily(
            PREFIX + "journal_bytes", "Estimated bytes the request journal holds", held
        )


def registry_of(emulator: Emulator) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EmulatorCollector(emulator))
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry's metrics in Prometheus' text format, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
