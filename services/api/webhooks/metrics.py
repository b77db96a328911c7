"""The webhook dispatcher's Prometheus metrics, registered in the api process's registry.

Consumes what the dispatcher observes; emits ``wirewatch_webhook_deliveries_total{outcome}``
(success, retry, dead, gone: one count per attempt), ``wirewatch_webhook_delivery_latency_seconds``
(alert raised → receiver's 2xx, the number users feel), the attempt duration, and
``wirewatch_webhook_outbox_depth`` (deliveries pending for active subscriptions).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["OUTCOMES", "WebhookMetrics"]

OUTCOMES = ("success", "retry", "dead", "gone")


class WebhookMetrics:
    """Delivery outcomes, latency and outbox depth."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "wirewatch_webhook_deliveries_total",
            "Delivery attempts by outcome: success, retry (will try again), dead (gave up), "
            "gone (410: subscription disabled).",
            ["outcome"],
            registry=registry,
        )
        for outcome in OUTCOMES:  # export zeros, so rate() works from the first scrape
            self.deliveries.labels(outcome)
        self.latency = Histogram(
            "wirewatch_webhook_delivery_latency_seconds",
            "Time from an alert being raised to its successful delivery.",
            registry=registry,
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400),
        )
        self.attempt_seconds = Histogram(
            "wirewatch_webhook_attempt_duration_seconds",
            "Duration of one POST to a receiver.",
            registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
        )
        self.outbox_depth = Gauge(
            "wirewatch_webhook_outbox_depth",
            "Deliveries pending (waiting for their first attempt or a retry).",
            registry=registry,
        )
