"""The webhook repository: subscriptions, the outbox's state changes and delivery history.

Consumes the shared ``Store`` (its engine and writer transactions) and emits the response
models of ``services.api.models``. Subscriptions carry their ``whsec_`` secret, which only
``create`` returns (once) and only the sender reads. The outbox SQL itself lives in
``outbox``; this module wraps each step in one transaction and records what each attempt did.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.models import DeliveryAttemptOut, DeliveryOut, Page, WebhookFilter, WebhookOut
from services.api.store import outbox
from services.api.store.alerts_schema import alerts, cursors
from services.api.store.errors import InvalidCursor
from services.api.store.outbox import AttemptResult
from services.api.store.repository import MAX_PAGE_SIZE, Store
from services.api.store.webhooks_schema import (
    FANOUT_CURSOR,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
)

__all__ = ["AttemptResult", "StaticWebhook", "WebhookStore"]

MAX_REPLAY = 10_000


@dataclass(frozen=True, slots=True)
class StaticWebhook:
    """A subscription configured by settings; its id is derived from its URL."""

    url: str
    secret: str
    filter: WebhookFilter
    description: str = ""

    @property
    def id(self) -> str:
        return "whs_" + hashlib.sha256(self.url.encode()).hexdigest()[:24]


def _out(row: Mapping[Any, Any]) -> WebhookOut:
    fields = {name: row[name] for name in WebhookOut.model_fields if name != "filter"}
    return WebhookOut(filter=WebhookFilter.model_validate_json(row["filter"]), **fields)


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"deliveries:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, seq = text.partition(":")
        if kind != "deliveries" or not seq.isdigit():
            raise ValueError(cursor)
        return int(seq)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("cursor was not issued by this deliveries listing") from None


class WebhookStore:
    """Webhook subscriptions and their outbox, in the same database as ``store``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    async def create(
        self, *, url: str, description: str, flt: WebhookFilter, secret: str
    ) -> WebhookOut:
        """Store a new active subscription and return it (without its secret)."""
        now = self._now()
        row = {
            "id": "wh_" + secrets.token_hex(12),
            "url": url,
            "description": description,
            "secret": secret,
            "filter": flt.model_dump_json(),
            "active": True,
            "disabled_reason": None,
            "static": False,
            "created_at": now,
            "updated_at": now,
        }
        async with self._store.transaction(write=True) as conn:
            await conn.execute(insert(webhooks).values(row))
        return _out(row)

    async def sync_static(self, configured: Sequence[StaticWebhook]) -> None:
        """Make the static subscriptions exactly ``configured``: insert or update each (active
        again, whatever happened to it before), and disable static ones no longer listed."""
        now = self._now()
        keep = {s.id for s in configured}
        async with self._store.transaction(write=True) as conn:
            query = select(webhooks.c.id).where(webhooks.c.static)
            existing = set((await conn.execute(query)).scalars())
            for spec in configured:
                values = {
                    "url": spec.url,
                    "description": spec.description,
                    "secret": spec.secret,
                    "filter": spec.filter.model_dump_json(),
                    "active": True,
                    "disabled_reason": None,
                    "updated_at": now,
                }
                if spec.id in existing:
                    await conn.execute(
                        update(webhooks).where(webhooks.c.id == spec.id).values(values)
                    )
                else:
                    await conn.execute(
                        insert(webhooks).values(id=spec.id, static=True, created_at=now, **values)
                    )
            for gone in set(existing) - keep:
                await conn.execute(
                    update(webhooks)
                    .where(webhooks.c.id == gone)
                    .values(active=False, disabled_reason="removed from settings", updated_at=now)
                )

    async def list_all(self) -> list[WebhookOut]:
        """Every subscription, oldest first."""
        async with self._store.transaction() as conn:
            found = await conn.execute(select(webhooks).order_by(webhooks.c.created_at))
            return [_out(r) for r in found.mappings()]

    async def get(self, webhook_id: str) -> WebhookOut | None:
        """The subscription, or None."""
        async with self._store.transaction() as conn:
            query = select(webhooks).where(webhooks.c.id == webhook_id)
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _out(row)

    async def update(self, webhook_id: str, changes: dict[str, Any]) -> WebhookOut | None:
        """Apply ``changes`` (url, description, filter, active) and return the result, or None
        when there is no such subscription. Re-activating clears ``disabled_reason``."""
        values = dict(changes)
        if isinstance(values.get("filter"), WebhookFilter):
            values["filter"] = values["filter"].model_dump_json()
        if "active" in values:
            values["disabled_reason"] = None if values["active"] else "disabled by request"
        values["updated_at"] = self._now()
        async with self._store.transaction(write=True) as conn:
            stmt = update(webhooks).where(webhooks.c.id == webhook_id).values(values)
            row = (await conn.execute(stmt.returning(*webhooks.c))).mappings().first()
        return None if row is None else _out(row)

    async def delete(self, webhook_id: str) -> bool:
        """Delete the subscription and its deliveries; False when there was none."""
        async with self._store.transaction(write=True) as conn:
            result = await conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
        return result.rowcount > 0

    async def fan_out(self, *, batch: int = 500) -> tuple[int, int]:
        """Fan the next alerts out into deliveries; returns (alerts read, deliveries made)."""
        now = self._now()
        if self._store.engine.dialect.name == "sqlite":
            # Skip the writer lock when nothing is new: SQLite has one writer at a time.
            async with self._store.transaction() as conn:
                newest = (await conn.execute(select(func.max(alerts.c.seq)))).scalar()
                if newest is None or newest <= await self._cursor(conn):
                    return 0, 0
        async with self._store.transaction(write=True) as conn:
            return await outbox.fan_out(conn, now, batch=batch)

    @staticmethod
    async def _cursor(conn: AsyncConnection) -> int:
        query = select(cursors.c.value).where(cursors.c.name == FANOUT_CURSOR)
        return int((await conn.execute(query)).scalar() or 0)

    async def claim_due(
        self, *, owner: str, limit: int, lease_s: float
    ) -> list[outbox.DueDelivery]:
        """Lease up to ``limit`` due deliveries to ``owner``; see ``outbox.claim_due``."""
        now = self._now()
        async with self._store.transaction() as conn:
            if not await outbox.any_due(conn, now):
                return []
        async with self._store.transaction(write=True) as conn:
            return await outbox.claim_due(
                conn, now, owner=owner, limit=limit, lease=timedelta(seconds=lease_s)
            )

    async def record(self, due: outbox.DueDelivery, owner: str, result: AttemptResult) -> bool:
        """Record one attempt and move the delivery on (delivered, retry later, dead, gone).
        See ``outbox.record_attempt``: False when ``owner`` had lost the lease."""
        async with self._store.transaction(write=True) as conn:
            return await outbox.record_attempt(conn, due, owner, result)

    async def outbox_depth(self) -> int:
        """Deliveries still pending, for active subscriptions."""
        d = webhook_deliveries.c
        query = (
            select(func.count())
            .select_from(webhook_deliveries)
            .join(webhooks, webhooks.c.id == d.webhook_id)
            .where(d.status == "pending", webhooks.c.active)
        )
        async with self._store.transaction() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def list_deliveries(
        self, webhook_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[DeliveryOut]:
        """The subscription's deliveries, newest first, each with its attempts in order."""
        size = max(1, min(limit, MAX_PAGE_SIZE))
        d = webhook_deliveries.c
        query = select(webhook_deliveries).where(d.webhook_id == webhook_id)
        if cursor is not None:
            query = query.where(d.seq < _decode_cursor(cursor))
        async with self._store.transaction() as conn:
            found = (await conn.execute(query.order_by(d.seq.desc()).limit(size + 1))).all()
            page = found[:size]
            attempts: dict[str, list[DeliveryAttemptOut]] = {r.delivery_id: [] for r in page}
            a = webhook_attempts.c
            tried = await conn.execute(
                select(webhook_attempts)
                .where(a.delivery_id.in_(list(attempts)))
                .order_by(a.delivery_id, a.attempt, a.id)
            )
            for t in tried:
                attempts[t.delivery_id].append(
                    DeliveryAttemptOut(
                        attempt=t.attempt,
                        at=t.at,
                        status_code=t.status_code,
                        error=t.error,
                        duration_ms=t.duration_ms,
                        outcome=t.outcome,
                    )
                )
        items = [
            DeliveryOut(
                id=r.delivery_id,
                alert_id=r.alert_id,
                type=r.event_type,
                status=r.status,
                replay=r.replay,
                created_at=r.created_at,
                next_attempt_at=r.next_attempt_at,
                delivered_at=r.delivered_at,
                attempts=attempts[r.delivery_id],
            )
            for r in page
        ]
        next_cursor = _encode_cursor(page[-1].seq) if len(found) > size else None
        return Page[DeliveryOut](items=items, next_cursor=next_cursor)

    async def replay(self, webhook_id: str, since: datetime) -> int | None:
        """Queue new deliveries (ids with a replay suffix) of every alert raised at or after
        ``since`` and already fanned out, that the subscription's current filter matches; at
        most ``MAX_REPLAY``, oldest first. Returns how many, or None for an unknown id."""
        now = self._now()
        token = format(int(now.timestamp() * 1000), "x")
        async with self._store.transaction(write=True) as conn:
            sub = (await conn.execute(select(webhooks).where(webhooks.c.id == webhook_id))).first()
            if sub is None:
                return None
            last = await outbox.read_cursor(conn)
            found = (
                await conn.execute(
                    select(alerts)
                    .where(alerts.c.created_at >= since, alerts.c.seq <= last)
                    .order_by(alerts.c.seq)
                    .limit(MAX_REPLAY)
                )
            ).all()
            rows = outbox.delivery_rows(found, [sub], now, replay=token)
            return await outbox.insert_deliveries(conn, rows) if rows else 0
