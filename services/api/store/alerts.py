"""Reads of the alerts log and the claim clusters, and the named cursors of its readers.

Consumes the tables of ``alerts_schema`` through the ``Store``'s engine and transactions and
emits ``AlertRow`` records and plain cluster mappings. ``alerts_after(seq)`` is how the
publisher, the SSE stream and the webhook outbox follow the log: rows come in ``seq`` order,
which is commit order. ``list_alerts`` pages newest first with an opaque, checksummed cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from services.api.store.alerts_schema import (
    alerts,
    claim_clusters,
    cluster_sources,
    clusters,
    cursors,
    dispute_links,
)
from services.api.store.errors import InvalidCursor
from services.api.store.repository import MAX_PAGE_SIZE, Store
from services.api.store.schema import claims, items

__all__ = ["AlertRow", "AlertStore", "ClusterRecord"]

_CURSOR_KEY = b"wirewatch.alerts.cursor.v1"


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One row of the alerts log. ``payload`` is the webhook ``data`` object
    ``{alert, cluster, claim, item, sources, disputes}`` as it was when the alert was raised."""

    seq: int
    alert_id: str
    type: str
    cluster_id: str
    claim_id: str
    item_id: str
    created_at: datetime
    fingerprint: str
    independent_sources: int
    total_sources: int
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    """A cluster with its claims, its sources (with item fields) and the clusters it disputes."""

    cluster: RowMapping
    claims: list[RowMapping]
    sources: list[RowMapping]
    disputes: list[RowMapping]


def _row(found: RowMapping) -> AlertRow:
    return AlertRow(
        seq=int(found["seq"]),
        alert_id=found["alert_id"],
        type=found["type"],
        cluster_id=found["cluster_id"],
        claim_id=found["claim_id"],
        item_id=found["item_id"],
        created_at=found["created_at"],
        fingerprint=found["fingerprint"],
        independent_sources=found["independent_sources"],
        total_sources=found["total_sources"],
        payload=json.loads(found["payload"]),
    )


def _digest(body: bytes) -> str:
    raw = hashlib.blake2b(body, key=_CURSOR_KEY, digest_size=8).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def encode_alert_cursor(seq: int) -> str:
    """The listing cursor meaning "alerts older than ``seq``"."""
    body = str(seq).encode()
    return f"{base64.urlsafe_b64encode(body).rstrip(b'=').decode()}.{_digest(body)}"


def decode_alert_cursor(cursor: str) -> int:
    """Inverse of ``encode_alert_cursor``; ``InvalidCursor`` for anything it did not make."""
    head, dot, mac = cursor.partition(".")
    try:
        body = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        seq = int(body.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is malformed") from exc
    if not dot or not hmac.compare_digest(mac, _digest(body)) or seq < 0:
        raise InvalidCursor("cursor checksum mismatch: it was altered or is not from this API")
    return seq


def _like(column: Any, value: str) -> Any:
    return func.lower(column) == value.lower()


class AlertStore:
    """The alert repository over ``store``'s database (same engine, same transactions)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def alerts_after(self, seq: int, limit: int) -> list[AlertRow]:
        """Up to ``limit`` alerts with seq greater than ``seq``, in seq order."""
        query = select(alerts).where(alerts.c.seq > seq).order_by(alerts.c.seq).limit(limit)
        async with self._store.transaction() as conn:
            return [_row(r) for r in (await conn.execute(query)).mappings()]

    async def max_seq(self) -> int:
        """The newest alert's seq; 0 when there is none."""
        async with self._store.transaction() as conn:
            return int(await conn.scalar(select(func.coalesce(func.max(alerts.c.seq), 0))) or 0)

    async def get_alert(self, alert_id: str) -> AlertRow | None:
        """The alert with ``alert_id``, or None."""
        async with self._store.transaction() as conn:
            found = (
                (await conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)))
                .mappings()
                .first()
            )
        return None if found is None else _row(found)

    async def list_alerts(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        types: tuple[str, ...] = (),
        actor: str | None = None,
        movement: str | None = None,
        polarity: str | None = None,
        location: str | None = None,
        since: datetime | None = None,
        min_sources: int | None = None,
    ) -> tuple[list[AlertRow], str | None]:
        """Alerts newest first matching every filter given: ``types`` (any of), ``actor`` /
        ``location`` = canonical id or text (case-insensitive), ``movement`` / ``polarity``
        short names, created at or after ``since``, at least ``min_sources`` independent
        sources when raised. Returns the page and the cursor of the next one (None at the end).
        """
        size = max(1, min(limit, MAX_PAGE_SIZE))
        query: Select[Any] = select(alerts).order_by(alerts.c.seq.desc())
        if cursor is not None:
            query = query.where(alerts.c.seq < decode_alert_cursor(cursor))
        if types:
            query = query.where(alerts.c.type.in_(types))
        if actor:
            query = query.where(
                or_(_like(alerts.c.actor_id, actor), _like(alerts.c.actor_text, actor))
            )
        if location:
            query = query.where(
                or_(_like(alerts.c.location_id, location), _like(alerts.c.location_text, location))
            )
        if movement:
            query = query.where(alerts.c.movement == movement)
        if polarity:
            query = query.where(alerts.c.polarity == polarity)
        if since is not None:
            query = query.where(alerts.c.created_at >= since)
        if min_sources is not None:
            query = query.where(alerts.c.independent_sources >= min_sources)
        async with self._store.transaction() as conn:
            found = [_row(r) for r in (await conn.execute(query.limit(size + 1))).mappings()]
        page = found[:size]
        more = len(found) > size
        return page, encode_alert_cursor(page[-1].seq) if more else None

    async def get_cluster(self, cluster_id: str) -> ClusterRecord | None:
        """The cluster with its claims (oldest first), sources and disputes, or None."""
        async with self._store.transaction() as conn:
            cluster = (
                (await conn.execute(select(clusters).where(clusters.c.cluster_id == cluster_id)))
                .mappings()
                .first()
            )
            if cluster is None:
                return None
            found_claims = (
                await conn.execute(
                    select(claims, claim_clusters.c.role)
                    .join(claim_clusters, claim_clusters.c.claim_id == claims.c.claim_id)
                    .where(claim_clusters.c.cluster_id == cluster_id)
                    .order_by(claims.c.published_at, claims.c.claim_id)
                )
            ).mappings()
            found_sources = (
                await conn.execute(
                    select(
                        cluster_sources,
                        items.c.url,
                        items.c.title,
                        items.c.feed_url,
                        items.c.feed_name,
                    )
                    .join(items, items.c.item_id == cluster_sources.c.item_id)
                    .where(cluster_sources.c.cluster_id == cluster_id)
                    .order_by(cluster_sources.c.published_at, cluster_sources.c.item_id)
                )
            ).mappings()
            found_disputes = (
                await conn.execute(
                    select(clusters, dispute_links.c.rule)
                    .join(dispute_links, dispute_links.c.other_cluster_id == clusters.c.cluster_id)
                    .where(dispute_links.c.cluster_id == cluster_id)
                    .order_by(clusters.c.first_seen_at, clusters.c.cluster_id)
                )
            ).mappings()
            return ClusterRecord(
                cluster=cluster,
                claims=list(found_claims),
                sources=list(found_sources),
                disputes=list(found_disputes),
            )

    async def get_cursor(self, name: str) -> int:
        """The stored position of reader ``name``; 0 when it never stored one."""
        async with self._store.transaction() as conn:
            value = await conn.scalar(select(cursors.c.value).where(cursors.c.name == name))
        return int(value or 0)

    async def advance_cursor(self, name: str, value: int) -> None:
        """Store ``value`` as reader ``name``'s position unless it already stands further."""
        now = datetime.now(UTC)
        async with self._store.transaction(write=True) as conn:
            dialect_insert = (
                postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            )
            stmt = dialect_insert(cursors).values(name=name, value=value, updated_at=now)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[cursors.c.name],
                    set_={"value": stmt.excluded.value, "updated_at": now},
                    where=cursors.c.value < stmt.excluded.value,
                )
            )

    async def cluster_count(self) -> int:
        """How many clusters exist."""
        async with self._store.transaction() as conn:
            return int(await conn.scalar(select(func.count()).select_from(clusters)) or 0)
