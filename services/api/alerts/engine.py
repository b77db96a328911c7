"""The alert engine: stores an enriched item and decides its alerts in one transaction.

Consumes ``EnrichedItem`` messages (from the sink) and emits rows of ``alerts``. Every claim
of the item not yet in a cluster (pending) is placed in the cluster of its fingerprint whose
span of publication times, widened by the novelty window, contains the claim's; else it starts
a new cluster (``claim.new``, plus ``claim.disputed`` when opposite claims exist, see
``rules.dispute_rule``). A claim from a new source that changes the cluster's size or place
raises ``claim.updated``; one from an independent source (``syndication``) raises
``claim.corroborated``; a syndicated copy is recorded and counted but raises nothing.

Exactly one cluster per (fingerprint, generation) is guaranteed by a unique constraint: a
writer that loses the race gets an IntegrityError, rolls back and retries, and then joins the
winner's cluster. Pending claims make redelivery heal a crash: the upsert may find nothing
new, but the claims it left unclustered are clustered now. On PostgreSQL the alerts are
inserted last, under a transaction-scoped advisory lock, so ``alerts.seq`` is assigned in
commit order and a reader following seq never skips a row that commits late.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError, IntegrityError

from proto import EnrichedItem
from services.api.alerts.decide import Decider, NewAlert
from services.api.alerts.metrics import AlertMetrics
from services.api.alerts.notify import AlertSignal
from services.api.store import Store, StoreError, UpsertOutcome
from services.api.store.writes import upsert_enriched
from services.logs import get_logger

__all__ = ["AlertEngine", "NewAlert", "ProcessResult"]

log = get_logger("api.alerts")
_MAX_ATTEMPTS = 8
_PG_RETRY_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock detected


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What ``ingest`` / ``process_item`` did: the upsert (None for ``process_item``), the
    claims clustered and the alerts raised, in order."""

    outcome: UpsertOutcome | None
    clustered: tuple[str, ...]
    alerts: tuple[NewAlert, ...]


def _retriable(exc: StoreError) -> bool:
    cause = exc.__cause__
    if isinstance(cause, IntegrityError):
        return True
    sqlstate = getattr(getattr(cause, "orig", None), "sqlstate", None)
    return isinstance(cause, DBAPIError) and sqlstate in _PG_RETRY_SQLSTATES


class AlertEngine:
    """Clusters claims and raises alerts over ``store``'s database."""

    def __init__(
        self,
        store: Store,
        *,
        novelty_window: timedelta = timedelta(days=7),
        dispute_window: timedelta = timedelta(days=30),
        metrics: AlertMetrics | None = None,
        signal: AlertSignal | None = None,
    ) -> None:
        self._store = store
        self._novelty = novelty_window
        self._dispute = dispute_window
        self._metrics = metrics
        self.signal = signal or AlertSignal()

    async def ingest(self, enriched: EnrichedItem) -> ProcessResult:
        """Store ``enriched`` (as ``Store.upsert_enriched`` would) and cluster every pending
        claim of its item, in one transaction. Redelivery raises no alert twice. Raises
        ``InvalidMessage`` / ``StoreUnavailable`` like the store."""
        return await self._run(enriched.item.item_id, enriched)

    async def process_item(self, item_id: str) -> ProcessResult:
        """Cluster the pending claims of a stored item (those a crash left unclustered)."""
        return await self._run(item_id, None)

    async def _run(self, item_id: str, enriched: EnrichedItem | None) -> ProcessResult:
        started = time.perf_counter()
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                async with self._store.transaction(write=True) as conn:
                    now = datetime.now(UTC)
                    outcome = None
                    if enriched is not None:
                        outcome = await upsert_enriched(conn, enriched, now)
                        item_id = outcome.item_id
                    decider = Decider(conn, now, self._novelty, self._dispute)
                    clustered = await decider.run(item_id)
                    raised = await decider.commit_alerts()
                break
            except StoreError as exc:
                if attempt == _MAX_ATTEMPTS or not _retriable(exc):
                    raise
                if self._metrics is not None:
                    self._metrics.conflicts.inc()
                log.info("alert decision lost a race, retrying", item_id=item_id, attempt=attempt)
        self._after_commit(decider, raised, time.perf_counter() - started)
        return ProcessResult(outcome=outcome, clustered=clustered, alerts=raised)

    def _after_commit(self, decider: Decider, raised: tuple[NewAlert, ...], seconds: float) -> None:
        if self._metrics is not None:
            self._metrics.decide_seconds.observe(seconds)
            self._metrics.clusters.inc(decider.clusters_created)
            for role in decider.roles:
                self._metrics.claims.labels(role).inc()
            for alert in raised:
                self._metrics.alerts.labels(alert.type).inc()
        for alert in raised:
            log.info(
                "alert raised",
                alert_type=alert.type,
                claim_id=alert.claim_id,
                cluster_id=alert.cluster_id,
            )
        if raised:
            self.signal.notify()
