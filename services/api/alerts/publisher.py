"""The alerts-topic publisher: the ``alerts`` table → topic ``alerts``, at least once.

Consumes alert rows after its stored cursor (``cursors.name = "alerts.topic"``), emits one
``Alert`` protobuf per row keyed by ``cluster_id`` (so a cluster's alerts stay in order on one
partition), waits for acks=all, and only then advances the cursor. A crash between the ack and
the cursor write re-publishes those alerts on restart: consumers dedupe by ``alert_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from proto import (
    ALERT_CODEC,
    ALERTS,
    Alert,
    AlertType,
    Claim,
    ClaimStatus,
    LocationRelation,
    Movement,
    Polarity,
)
from services.api.alerts import rules
from services.api.alerts.metrics import AlertMetrics
from services.api.alerts.notify import AlertSignal
from services.api.store import AlertRow, AlertStore, StoreUnavailable
from services.config import CommonSettings
from services.kafka import ensure_topics, make_producer
from services.logs import get_logger

__all__ = ["CURSOR_NAME", "alert_message", "claim_message", "publish_alerts", "run_publisher"]

log = get_logger("api.alerts.publisher")
CURSOR_NAME = "alerts.topic"
_BATCH = 200
_IDLE_S = 0.5
_RETRY_S = 2.0
_TYPES = {
    "claim.new": AlertType.ALERT_TYPE_CLAIM_NEW,
    "claim.updated": AlertType.ALERT_TYPE_CLAIM_UPDATED,
    "claim.disputed": AlertType.ALERT_TYPE_CLAIM_DISPUTED,
    "claim.corroborated": AlertType.ALERT_TYPE_CLAIM_CORROBORATED,
}


def _stamp(target: Any, value: str | None) -> None:
    if value:
        target.FromDatetime(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _enum(enum: Any, prefix: str, name: str | None) -> int:
    try:
        return int(enum.Value(f"{prefix}{(name or 'unspecified').upper()}"))
    except ValueError:
        return 0


def _mention(target: Any, value: Mapping[str, Any] | None) -> None:
    if value:
        target.text = value.get("text") or ""
        target.canonical_id = value.get("canonical_id") or ""
        target.canonical_name = value.get("canonical_name") or ""


def claim_message(data: Mapping[str, Any]) -> Claim:
    """The ``Claim`` protobuf of a claim as the API serialises it (``ClaimOut`` JSON)."""
    claim = Claim(
        claim_id=data["claim_id"],
        item_id=data["item_id"],
        movement=_enum(Movement, "MOVEMENT_", data.get("movement")),  # type: ignore[arg-type]
        polarity=_enum(Polarity, "POLARITY_", data.get("polarity")),  # type: ignore[arg-type]
        status=_enum(ClaimStatus, "CLAIM_STATUS_", data.get("status")),  # type: ignore[arg-type]
        evidence=data.get("evidence") or "",
        confidence=float(data.get("confidence") or 0.0),
        fingerprint=data.get("fingerprint") or "",
        event_time_text=data.get("event_time_text") or "",
    )
    if data.get("actor"):
        _mention(claim.actor, data["actor"])
    if data.get("claimant"):
        _mention(claim.claimant, data["claimant"])
    if data.get("location"):
        _mention(claim.location.place, data["location"])
        claim.location.relation = _enum(  # type: ignore[assignment]
            LocationRelation, "LOCATION_RELATION_", data["location"].get("relation")
        )
    if data.get("size"):
        size = data["size"]
        claim.size.text, claim.size.unit = size.get("text") or "", size.get("unit") or ""
        claim.size.min, claim.size.max = size.get("min") or 0.0, size.get("max") or 0.0
    if data.get("evidence_start") is not None and data.get("evidence_end") is not None:
        claim.evidence_span.start = data["evidence_start"]
        claim.evidence_span.end = data["evidence_end"]
    _stamp(claim.event_time, data.get("event_time"))
    return claim


def alert_message(row: AlertRow) -> Alert:
    """The ``Alert`` protobuf of an alerts-table row (built from its stored payload)."""
    data = row.payload
    cluster, item, meta = data["cluster"], data["item"], data["alert"]
    alert = Alert(
        alert_id=row.alert_id,
        type=_TYPES.get(row.type, AlertType.ALERT_TYPE_UNSPECIFIED),
        cluster_id=row.cluster_id,
        fingerprint=row.fingerprint,
        claim=claim_message(data["claim"]),
        item_id=row.item_id,
        item_url=item.get("url") or "",
        item_title=item.get("title") or "",
        feed_url=item.get("feed_url") or "",
        independent_sources=row.independent_sources,
        total_sources=row.total_sources,
        disputed_cluster_ids=[d["cluster_id"] for d in data.get("disputes", [])],
    )
    if meta.get("diff"):
        alert.diff_json = rules.diff_json(meta["diff"])
    alert.created_at.FromDatetime(row.created_at)
    _stamp(alert.first_reported_at, cluster.get("first_seen_at"))
    return alert


async def publish_alerts(
    alert_store: AlertStore,
    producer: AIOKafkaProducer,
    stop: asyncio.Event,
    *,
    signal: AlertSignal | None = None,
    metrics: AlertMetrics | None = None,
) -> None:
    """Publish alerts to the ``alerts`` topic until ``stop`` is set; the batch in flight is
    finished (acknowledged and its cursor stored) before returning."""
    signal = signal or AlertSignal()
    while not stop.is_set():
        try:
            published = await _publish_batch(alert_store, producer, metrics)
        except (KafkaError, StoreUnavailable, OSError) as exc:
            log.warning("alert publishing failed, retrying", error=f"{type(exc).__name__}: {exc}")
            await _pause(stop, _RETRY_S)
            continue
        if published < _BATCH:
            await signal.wait(_IDLE_S)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _publish_batch(
    alert_store: AlertStore, producer: AIOKafkaProducer, metrics: AlertMetrics | None
) -> int:
    position = await alert_store.get_cursor(CURSOR_NAME)
    rows = await alert_store.alerts_after(position, _BATCH)
    if metrics is not None:
        metrics.publisher_lag.set(max(0, await alert_store.max_seq() - position))
    if not rows:
        return 0
    sends = [
        await producer.send(
            ALERTS.name,
            key=ALERT_CODEC.encode_key(row.cluster_id),
            value=ALERT_CODEC.encode(alert_message(row)),
        )
        for row in rows
    ]
    await asyncio.gather(*sends)  # every ack (acks=all) before the cursor moves
    await alert_store.advance_cursor(CURSOR_NAME, rows[-1].seq)
    if metrics is not None:
        metrics.published.inc(len(rows))
        metrics.publisher_lag.set(max(0, await alert_store.max_seq() - rows[-1].seq))
    log.info("alerts published", topic=ALERTS.name, count=len(rows), seq=rows[-1].seq)
    return len(rows)


async def run_publisher(
    settings: CommonSettings,
    alert_store: AlertStore,
    stop: asyncio.Event,
    *,
    signal: AlertSignal | None = None,
    metrics: AlertMetrics | None = None,
) -> None:
    """Own a producer and publish alerts until ``stop`` is set; the producer is flushed and
    closed on the way out."""
    await ensure_topics(settings.bootstrap, settings.topic_partitions, [ALERTS])
    producer = make_producer(settings, client_id="wirewatch-api-alerts")
    await producer.start()
    try:
        log.info("alert publisher started", topic=ALERTS.name)
        await publish_alerts(alert_store, producer, stop, signal=signal, metrics=metrics)
    finally:
        await producer.stop()
