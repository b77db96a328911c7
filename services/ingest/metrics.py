"""Ingest's Prometheus metrics, registered in the process registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["IngestMetrics"]


class IngestMetrics:
    """Polls by outcome, items produced, fetch time and bytes, errors per feed, lag, full text."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter(
            "wirewatch_ingest_polls_total",
            "Feed polls by outcome (new, unchanged, not_modified, or the error class).",
            ["outcome"],
            registry=registry,
        )
        self.items = Counter(
            "wirewatch_ingest_items_produced_total",
            "RawItems acknowledged by the broker.",
            registry=registry,
        )
        self.fetch_seconds = Histogram(
            "wirewatch_ingest_fetch_duration_seconds",
            "Time to fetch a feed (all redirects and the body).",
            registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
        )
        self.bytes = Counter(
            "wirewatch_ingest_fetched_bytes_total", "Body bytes read from feeds.", registry=registry
        )
        self.consecutive_errors = Gauge(
            "wirewatch_ingest_feed_consecutive_errors",
            "Errors in a row, per feed.",
            ["feed_url"],
            registry=registry,
        )
        self.scheduler_lag = Histogram(
            "wirewatch_ingest_scheduler_lag_seconds",
            "How late a poll started compared with its schedule.",
            registry=registry,
            buckets=(0.001, 0.01, 0.1, 0.5, 1, 5, 30),
        )
        self.full_text = Counter(
            "wirewatch_ingest_full_text_total",
            "Article fetches for full_text feeds by outcome (used; else why the feed text "
            "was kept: shorter, no_link, fetch_error, not_html, no_text).",
            ["outcome"],
            registry=registry,
        )
        self.feeds = Gauge(
            "wirewatch_ingest_feeds", "Feeds being polled, by state.", ["state"], registry=registry
        )
