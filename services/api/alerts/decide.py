"""Clustering and alert decisions for the claims of one item, inside the caller's transaction.

Consumes the item's pending claims (rows of ``claims`` with no ``claim_clusters`` link) and
emits cluster, link, source and dispute rows, then the queued alerts. See ``engine`` for the
transaction around it and ``rules`` / ``syndication`` for the judgements it applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.alerts import rules
from services.api.alerts.payload import build_payload, dumps
from services.api.alerts.syndication import Copy, Source, copy_of
from services.api.store.alerts_schema import (
    alerts,
    claim_clusters,
    cluster_sources,
    clusters,
    dispute_links,
)
from services.api.store.schema import claims, items

__all__ = ["Decider", "NewAlert"]

Row = Mapping[str, Any] | RowMapping
_MAX_SOURCES = 50
# Any constant shared by every replica ("wa"): serialises seq assignment with commit order.
_PG_ALERT_LOCK = 0x7761


@dataclass(frozen=True, slots=True)
class NewAlert:
    """One alert a transaction raised."""

    alert_id: str
    type: str
    cluster_id: str
    claim_id: str


def _alert_id(kind: str, cluster_id: str, claim_id: str) -> str:
    return hashlib.sha256(f"{kind}\x1f{cluster_id}\x1f{claim_id}".encode()).hexdigest()[:32]


class Decider:
    """The decisions of one transaction; alerts are queued and inserted last."""

    def __init__(
        self, conn: AsyncConnection, now: datetime, novelty: timedelta, dispute: timedelta
    ) -> None:
        self._conn = conn
        self._now = now
        self._novelty = novelty
        self._dispute = dispute
        self._queued: list[tuple[NewAlert, Row, Row, dict[str, Any]]] = []
        self.clusters_created = 0
        self.roles: list[str] = []

    async def run(self, item_id: str) -> tuple[str, ...]:
        item = (
            (await self._conn.execute(select(items).where(items.c.item_id == item_id)))
            .mappings()
            .first()
        )
        if item is None:
            return ()
        pending = (
            (
                await self._conn.execute(
                    select(claims)
                    .outerjoin(claim_clusters, claim_clusters.c.claim_id == claims.c.claim_id)
                    .where(claims.c.item_id == item_id, claim_clusters.c.claim_id.is_(None))
                    .order_by(claims.c.evidence_start.asc().nulls_last(), claims.c.claim_id)
                )
            )
            .mappings()
            .all()
        )
        for claim in pending:
            await self._place(claim, item)
        return tuple(c["claim_id"] for c in pending)

    async def _place(self, claim: Row, item: Row) -> None:
        key = rules.claim_key(claim)
        at = min(claim["published_at"], self._now)
        found = await self._find(key, at)
        last = None
        if found is None:
            last = await self._conn.scalar(
                select(func.max(clusters.c.generation)).where(
                    clusters.c.fingerprint == key.fingerprint
                )
            )
            if last is not None:
                # Under READ COMMITTED each statement sees its own snapshot: a cluster another
                # writer committed between the two reads shows up in the second one only.
                # Look again, or this writer would open generation last + 1 beside it.
                found = await self._find(key, at)
        if found is None:
            await self._create(claim, item, key, at, last)
        else:
            await self._join(found, claim, item, key, at)

    async def _find(self, key: rules.ClaimKey, at: datetime) -> Any:
        """The newest cluster of ``key`` whose window covers ``at``, locked, or None."""
        return (
            (
                await self._conn.execute(
                    select(clusters)
                    .where(
                        clusters.c.fingerprint == key.fingerprint,
                        clusters.c.first_seen_at <= at + self._novelty,
                        clusters.c.last_seen_at >= at - self._novelty,
                    )
                    .order_by(clusters.c.generation.desc())
                    .limit(1)
                    .with_for_update(key_share=True)  # FOR NO KEY UPDATE: alerts may still FK it
                )
            )
            .mappings()
            .first()
        )

    async def _create(
        self, claim: Row, item: Row, key: rules.ClaimKey, at: datetime, last: int | None
    ) -> None:
        generation = int(last or 0) + 1
        cluster_id = hashlib.sha256(f"{key.fingerprint}\x1f{generation}".encode()).hexdigest()[:32]
        row = {
            "cluster_id": cluster_id,
            "fingerprint": key.fingerprint,
            "generation": generation,
            "movement": claim["movement"],
            "polarity": claim["polarity"],
            "actor_key": key.actor,
            "actor_id": claim["actor_id"],
            "actor_text": claim["actor_text"],
            "location_key": key.place,
            "location_id": claim["location_id"],
            "location_text": claim["location_text"],
            "location_relation": claim["location_relation"],
            "size_text": claim["size_text"],
            "size_min": claim["size_min"],
            "size_max": claim["size_max"],
            "first_claim_id": claim["claim_id"],
            "first_seen_at": at,
            "last_seen_at": at,
            "independent_sources": 1,
            "total_sources": 1,
            "claims_count": 1,
            "created_at": self._now,
            "updated_at": self._now,
        }
        # A concurrent writer that created this (fingerprint, generation) first makes this
        # insert fail; the whole transaction is retried and then joins that cluster.
        await self._conn.execute(insert(clusters).values(row))
        self.clusters_created += 1
        await self._link(claim, cluster_id, "first")
        await self._add_source(cluster_id, item, at, None)
        if not rules.alertable(key):
            return
        self._queue("claim.new", cluster_id, claim, item, {})
        rules_by_other = await self._disputes(row, at)
        if rules_by_other:
            await self._conn.execute(
                insert(dispute_links),
                [
                    {"cluster_id": a, "other_cluster_id": b, "rule": rule, "created_at": self._now}
                    for other, rule in rules_by_other.items()
                    for a, b in ((cluster_id, other), (other, cluster_id))
                ],
            )
            self._queue("claim.disputed", cluster_id, claim, item, {})

    async def _disputes(self, new: Row, at: datetime) -> dict[str, str]:
        polarity = rules.opposite(new["polarity"])
        if polarity is None:
            return {}
        candidates = (
            await self._conn.execute(
                select(clusters)
                .where(
                    clusters.c.movement == new["movement"],
                    clusters.c.polarity == polarity,
                    clusters.c.first_seen_at <= at + self._dispute,
                    clusters.c.last_seen_at >= at - self._dispute,
                )
                .order_by(clusters.c.last_seen_at.desc())
                .limit(200)
            )
        ).mappings()
        found: dict[str, str] = {}
        for other in candidates:
            rule = rules.dispute_rule(new, other)
            if rule is not None:
                found[other["cluster_id"]] = rule
        return found

    async def _join(
        self, cluster: Row, claim: Row, item: Row, key: rules.ClaimKey, at: datetime
    ) -> None:
        cluster_id = cluster["cluster_id"]
        changes: dict[str, Any] = {
            "first_seen_at": min(cluster["first_seen_at"], at),
            "last_seen_at": max(cluster["last_seen_at"], at),
            "claims_count": clusters.c.claims_count + 1,
            "updated_at": self._now,
        }
        sources = await self._sources(cluster_id)
        if any(s.item_id == item["item_id"] for s in sources):
            await self._link(claim, cluster_id, "same_source")
            await self._update(cluster_id, changes)
            return
        copy = copy_of(_source(item), sources)
        independent = copy is None
        await self._link(claim, cluster_id, "independent" if independent else "syndicated")
        await self._add_source(cluster_id, item, at, copy)
        changes["total_sources"] = clusters.c.total_sources + 1
        if independent:
            changes["independent_sources"] = clusters.c.independent_sources + 1
        diff = rules.picture_diff(cluster, claim)
        if "size" in diff:
            changes.update(
                size_text=claim["size_text"], size_min=claim["size_min"], size_max=claim["size_max"]
            )
        if "location" in diff or "relation" in diff:
            changes.update(
                location_text=claim["location_text"], location_relation=claim["location_relation"]
            )
        await self._update(cluster_id, changes)
        if not rules.alertable(key):
            return
        if diff:
            self._queue("claim.updated", cluster_id, claim, item, diff)
        elif independent:
            self._queue("claim.corroborated", cluster_id, claim, item, {})

    async def _sources(self, cluster_id: str) -> list[Source]:
        found = (
            await self._conn.execute(
                select(items.c.item_id, items.c.url, items.c.feed_url, items.c.text)
                .join(cluster_sources, cluster_sources.c.item_id == items.c.item_id)
                .where(cluster_sources.c.cluster_id == cluster_id)
                .order_by(cluster_sources.c.published_at)
                .limit(_MAX_SOURCES)
            )
        ).mappings()
        return [_source(row) for row in found]

    async def _update(self, cluster_id: str, changes: dict[str, Any]) -> None:
        await self._conn.execute(
            update(clusters).where(clusters.c.cluster_id == cluster_id).values(changes)
        )

    async def _link(self, claim: Row, cluster_id: str, role: str) -> None:
        self.roles.append(role)
        await self._conn.execute(
            insert(claim_clusters).values(
                claim_id=claim["claim_id"],
                cluster_id=cluster_id,
                item_id=claim["item_id"],
                role=role,
                created_at=self._now,
            )
        )

    async def _add_source(
        self, cluster_id: str, item: Row, at: datetime, copy: Copy | None
    ) -> None:
        await self._conn.execute(
            insert(cluster_sources).values(
                cluster_id=cluster_id,
                item_id=item["item_id"],
                independent=copy is None,
                copy_of=copy.item_id if copy is not None else None,
                reason=copy.reason if copy is not None else None,
                published_at=at,
                created_at=self._now,
            )
        )

    def _queue(
        self, kind: str, cluster_id: str, claim: Row, item: Row, diff: dict[str, Any]
    ) -> None:
        alert = NewAlert(
            _alert_id(kind, cluster_id, claim["claim_id"]), kind, cluster_id, claim["claim_id"]
        )
        self._queued.append((alert, claim, item, diff))

    async def commit_alerts(self) -> tuple[NewAlert, ...]:
        """Insert the queued alerts with their payloads; the last writes of the transaction."""
        if not self._queued:
            return ()
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_ALERT_LOCK}
            )
        for alert, claim, item, diff in self._queued:
            meta = {
                "alert_id": alert.alert_id,
                "type": alert.type,
                "cluster_id": alert.cluster_id,
                "claim_id": alert.claim_id,
                "item_id": item["item_id"],
                "created_at": self._now.isoformat().replace("+00:00", "Z"),
                "diff": diff or None,
            }
            payload = await build_payload(
                self._conn, alert=meta, cluster_id=alert.cluster_id, claim=claim, item=item
            )
            cluster = payload["cluster"]
            await self._conn.execute(
                insert(alerts).values(
                    alert_id=alert.alert_id,
                    type=alert.type,
                    cluster_id=alert.cluster_id,
                    claim_id=alert.claim_id,
                    item_id=item["item_id"],
                    created_at=self._now,
                    payload=dumps(payload),
                    fingerprint=cluster["fingerprint"],
                    movement=claim["movement"],
                    polarity=claim["polarity"],
                    actor_id=claim["actor_id"],
                    actor_text=claim["actor_text"],
                    location_id=claim["location_id"],
                    location_text=claim["location_text"],
                    independent_sources=cluster["independent_sources"],
                    total_sources=cluster["total_sources"],
                )
            )
        return tuple(alert for alert, *_ in self._queued)


def _source(row: Row) -> Source:
    return Source(
        item_id=row["item_id"], url=row["url"], feed_url=row["feed_url"], text=row["text"]
    )
