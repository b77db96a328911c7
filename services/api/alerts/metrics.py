"""Prometheus metrics of the alert engine, the alerts-topic publisher and the SSE stream.

Registered once per process in the registry the app owns; the engine counts alerts and
clusters after each commit, the publisher reports how far it trails the alerts log.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["AlertMetrics"]


class AlertMetrics:
    """The alert metrics of one process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.alerts = Counter(
            "wirewatch_alerts_total", "Alerts raised, by type.", ["type"], registry=registry
        )
        self.clusters = Counter(
            "wirewatch_alert_clusters_created_total", "Claim clusters created.", registry=registry
        )
        self.claims = Counter(
            "wirewatch_alert_claims_clustered_total",
            "Claims placed in a cluster, by role (first, same_source, independent, syndicated).",
            ["role"],
            registry=registry,
        )
        self.decide_seconds = Histogram(
            "wirewatch_alert_decision_duration_seconds",
            "Time to store an item and decide its alerts, in one transaction.",
            registry=registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.conflicts = Counter(
            "wirewatch_alert_decision_retries_total",
            "Decisions retried after a concurrent writer won a unique constraint or a lock.",
            registry=registry,
        )
        self.published = Counter(
            "wirewatch_alerts_published_total",
            "Alerts acknowledged by the broker on the alerts topic.",
            registry=registry,
        )
        self.publisher_lag = Gauge(
            "wirewatch_alerts_publisher_lag_alerts",
            "Alerts in the store not yet acknowledged on the alerts topic.",
            registry=registry,
        )
        self.streams = Gauge(
            "wirewatch_alerts_stream_clients", "Open SSE alert streams.", registry=registry
        )
