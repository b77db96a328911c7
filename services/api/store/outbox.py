"""The webhook outbox's SQL: fan alerts out into deliveries, claim due ones, record attempts.

Consumes the ``alerts`` table (rows appended by the alert engine, ordered by ``seq``) and the
webhook tables; emits ``webhook_deliveries`` rows and ``DueDelivery`` values for the sender.
Every function runs on a connection inside a transaction its caller opened as a writer.
Fan-out advances the cursor and inserts the deliveries in one transaction, so an alert is
fanned out entirely or not at all. Delivery ids are stable, and inserts skip existing ids,
so fanning out an alert twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Table, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.models import WebhookFilter
from services.api.store.alerts_schema import alerts, cursors
from services.api.store.webhooks_schema import (
    FANOUT_CURSOR,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
)
from services.api.webhooks.filters import matches
from services.api.webhooks.signing import delivery_id

__all__ = [
    "PG_RESCAN_WINDOW",
    "AttemptResult",
    "DueDelivery",
    "any_due",
    "claim_due",
    "decode_payload",
    "delivery_rows",
    "fan_out",
    "insert_deliveries",
    "read_cursor",
    "record_attempt",
]

Outcome = Literal["success", "retry", "dead", "gone"]
_STATUS = {"success": "delivered", "retry": "pending", "dead": "dead", "gone": "gone"}

# On PostgreSQL, sequence values are taken at INSERT but become visible at COMMIT, so an alert
# with a lower seq can appear after the cursor passed it. Fan-out there re-reads the alerts of
# the last window too (cheap: bounded by seq and time; idempotent by delivery id).
PG_RESCAN_WINDOW = timedelta(seconds=30)
_PG_RESCAN_SEQS = 1000


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one POST of a delivery did, and what happens next."""

    outcome: Outcome
    at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None  # set when outcome is "retry"


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery, with everything needed to send it once."""

    delivery_id: str
    webhook_id: str
    url: str
    secret: str
    attempt: int  # the number of the attempt about to be made, from 1
    event_type: str
    alert_id: str
    alert_created_at: datetime
    payload: dict[str, Any] | None  # None when the alert row is gone


def _insert(conn: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def decode_payload(value: object) -> dict[str, Any] | None:
    """The alert's ``data`` object from its stored JSON (text, or already decoded)."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


async def read_cursor(conn: AsyncConnection, *, lock: bool = False) -> int:
    """The last alert seq fanned out (0 before the first), creating the row if missing;
    ``lock`` holds the row until commit so PostgreSQL replicas fan out one at a time."""
    await conn.execute(
        _insert(conn, cursors)
        .values(name=FANOUT_CURSOR, value=0, updated_at=func.now())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    query = select(cursors.c.value).where(cursors.c.name == FANOUT_CURSOR)
    if lock:
        query = query.with_for_update()
    return int((await conn.execute(query)).scalar_one())


def delivery_rows(
    raised: Sequence[Any],
    subscriptions: Sequence[Any],
    now: datetime,
    *,
    replay: str | None = None,
    created_before_alert: bool = False,
) -> list[dict[str, Any]]:
    """One pending delivery row per (alert, subscription) pair whose filter matches, due now.
    ``created_before_alert`` keeps only subscriptions that existed when the alert was raised."""
    filters = {s.id: WebhookFilter.model_validate_json(s.filter) for s in subscriptions}
    out: list[dict[str, Any]] = []
    for alert in raised:
        data = decode_payload(alert.payload) or {}
        for sub in subscriptions:
            if created_before_alert and sub.created_at > alert.created_at:
                continue
            if not matches(filters[sub.id], alert.type, data):
                continue
            out.append(
                {
                    "delivery_id": delivery_id(alert.alert_id, sub.id, replay),
                    "webhook_id": sub.id,
                    "alert_seq": alert.seq,
                    "alert_id": alert.alert_id,
                    "event_type": alert.type,
                    "alert_created_at": alert.created_at,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "replay": replay is not None,
                    "created_at": now,
                }
            )
    return out


async def insert_deliveries(conn: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows``, skipping delivery ids already present; return how many were new."""
    inserted = 0
    for start in range(0, len(rows), 200):  # bounded statements; PG caps bind parameters
        chunk = rows[start : start + 200]
        stmt = _insert(conn, webhook_deliveries).on_conflict_do_nothing(
            index_elements=["delivery_id"]
        )
        result = await conn.execute(stmt.returning(webhook_deliveries.c.seq), chunk)
        inserted += len(result.all())
    return inserted


async def fan_out(conn: AsyncConnection, now: datetime, *, batch: int) -> tuple[int, int]:
    """Turn up to ``batch`` alerts after the cursor into deliveries for every active matching
    subscription and advance the cursor past them. Returns (alerts read, deliveries made)."""
    postgres = conn.dialect.name == "postgresql"
    last = await read_cursor(conn, lock=postgres)
    fresh = alerts.c.seq > last
    if postgres:
        recent = and_(
            alerts.c.seq > last - _PG_RESCAN_SEQS,
            alerts.c.created_at >= now - PG_RESCAN_WINDOW,
        )
        fresh = or_(fresh, recent)
    found = (
        await conn.execute(select(alerts).where(fresh).order_by(alerts.c.seq).limit(batch))
    ).all()
    new = [a for a in found if a.seq > last]
    subs = (await conn.execute(select(webhooks).where(webhooks.c.active))).all()
    rows = delivery_rows(new, subs, now)
    rows += delivery_rows([a for a in found if a.seq <= last], subs, now, created_before_alert=True)
    made = await insert_deliveries(conn, rows) if rows else 0
    if new:
        await conn.execute(
            update(cursors)
            .where(cursors.c.name == FANOUT_CURSOR)
            .values(value=max(a.seq for a in new), updated_at=now)
        )
    return len(new), made


def _due(now: datetime) -> Any:
    d = webhook_deliveries.c
    return and_(
        d.status == "pending",
        d.next_attempt_at <= now,
        or_(d.lease_until.is_(None), d.lease_until < now),
        d.webhook_id.in_(select(webhooks.c.id).where(webhooks.c.active)),
    )


async def any_due(conn: AsyncConnection, now: datetime) -> bool:
    """Whether some delivery could be claimed now (a cheap read before a write)."""
    query = select(webhook_deliveries.c.seq).where(_due(now)).limit(1)
    return (await conn.execute(query)).first() is not None


async def claim_due(
    conn: AsyncConnection, now: datetime, *, owner: str, limit: int, lease: timedelta
) -> list[DueDelivery]:
    """Lease up to ``limit`` due deliveries to ``owner`` until ``now + lease`` and return them.

    PostgreSQL: rows are picked ``FOR UPDATE SKIP LOCKED``, so replicas claiming at once get
    disjoint sets. SQLite: the writer transaction (``BEGIN IMMEDIATE``) serialises claims.
    """
    d = webhook_deliveries.c
    picked = (
        select(d.delivery_id)
        .where(_due(now))
        .order_by(d.next_attempt_at, d.seq)
        .limit(limit)
        .with_for_update(skip_locked=True, of=webhook_deliveries)
    )
    ids = list((await conn.execute(picked)).scalars())
    if not ids:
        return []
    await conn.execute(
        update(webhook_deliveries)
        .where(d.delivery_id.in_(ids))
        .values(lease_until=now + lease, lease_owner=owner)
    )
    query = (
        select(
            d.delivery_id,
            d.webhook_id,
            d.attempts,
            d.event_type,
            d.alert_id,
            d.alert_created_at,
            webhooks.c.url,
            webhooks.c.secret,
            alerts.c.payload,
        )
        .join(webhooks, webhooks.c.id == d.webhook_id)
        .outerjoin(alerts, alerts.c.seq == d.alert_seq)
        .where(d.delivery_id.in_(ids))
        .order_by(d.next_attempt_at, d.seq)
    )
    return [
        DueDelivery(
            delivery_id=r.delivery_id,
            webhook_id=r.webhook_id,
            url=r.url,
            secret=r.secret,
            attempt=r.attempts + 1,
            event_type=r.event_type,
            alert_id=r.alert_id,
            alert_created_at=r.alert_created_at,
            payload=decode_payload(r.payload),
        )
        for r in (await conn.execute(query)).all()
    ]


async def record_attempt(
    conn: AsyncConnection, due: DueDelivery, owner: str, result: AttemptResult
) -> bool:
    """Record one attempt and move the delivery on (delivered, retry later, dead, gone); a
    410 also disables the subscription. Returns False when ``owner`` had lost the lease (the
    attempt is still recorded; the delivery's state is left to the new owner) or the delivery
    was deleted meanwhile (nothing is recorded)."""
    d = webhook_deliveries.c
    moved = await conn.execute(
        update(webhook_deliveries)
        .where(d.delivery_id == due.delivery_id, d.lease_owner == owner)
        .values(
            status=_STATUS[result.outcome],
            attempts=due.attempt,
            next_attempt_at=result.next_attempt_at,
            delivered_at=result.at if result.outcome == "success" else None,
            lease_until=None,
            lease_owner=None,
        )
    )
    exists = moved.rowcount > 0
    if not exists:  # lease lost, or the subscription was deleted while the POST was out
        found = await conn.execute(select(d.seq).where(d.delivery_id == due.delivery_id))
        exists = found.first() is not None
    if exists:
        await conn.execute(
            insert(webhook_attempts).values(
                delivery_id=due.delivery_id,
                attempt=due.attempt,
                at=result.at,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
                outcome=result.outcome,
            )
        )
    if result.outcome == "gone":
        reason = f"the receiver answered 410 Gone at {result.at.isoformat()}"
        await conn.execute(
            update(webhooks)
            .where(webhooks.c.id == due.webhook_id)
            .values(active=False, disabled_reason=reason, updated_at=result.at)
        )
    return moved.rowcount > 0
