"""The alert payload: the JSON object a webhook delivers as ``data`` and the API serves.

Consumes rows read inside the engine's transaction (cluster, claim, item, sources, disputes)
and emits ``{alert, cluster, claim, item, sources, disputes}``, plain JSON types only, so the
alerts table stores a snapshot of the picture at the moment the alert was raised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.store import rows
from services.api.store.alerts_schema import cluster_sources, clusters, dispute_links
from services.api.store.schema import items

__all__ = ["build_payload", "cluster_json", "dumps"]

Row = Mapping[str, Any] | RowMapping
_MAX_SOURCES = 100


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _mention(row: Row, prefix: str) -> dict[str, Any] | None:
    text, cid = row[f"{prefix}_text"], row[f"{prefix}_id"]
    if text is None and cid is None:
        return None
    return {"text": text or "", "canonical_id": cid}


def cluster_json(row: Row) -> dict[str, Any]:
    """A ``clusters`` row as JSON: identity, key, current picture and source counts."""
    size = None
    if row["size_text"] is not None or row["size_min"] is not None:
        size = {"text": row["size_text"] or "", "min": row["size_min"], "max": row["size_max"]}
    location = _mention(row, "location")
    if location is not None:
        location["relation"] = row["location_relation"] or "unspecified"
    return {
        "cluster_id": row["cluster_id"],
        "fingerprint": row["fingerprint"],
        "generation": row["generation"],
        "movement": row["movement"],
        "polarity": row["polarity"],
        "actor": _mention(row, "actor"),
        "location": location,
        "size": size,
        "first_claim_id": row["first_claim_id"],
        "first_seen_at": _iso(row["first_seen_at"]),
        "last_seen_at": _iso(row["last_seen_at"]),
        "independent_sources": row["independent_sources"],
        "total_sources": row["total_sources"],
        "claims_count": row["claims_count"],
    }


def _item_json(row: Row) -> dict[str, Any]:
    return {
        "item_id": row["item_id"],
        "url": row["url"],
        "title": row["title"],
        "feed_url": row["feed_url"],
        "feed_name": row["feed_name"],
        "published_at": _iso(row["published_at"]),
    }


async def build_payload(
    conn: AsyncConnection,
    *,
    alert: dict[str, Any],
    cluster_id: str,
    claim: Row,
    item: Row,
) -> dict[str, Any]:
    """The ``data`` object of an alert on ``cluster_id`` raised by ``claim`` of ``item``,
    read in the caller's transaction (so it sees that transaction's own writes)."""
    cluster = (
        (await conn.execute(select(clusters).where(clusters.c.cluster_id == cluster_id)))
        .mappings()
        .one()
    )
    source_rows = (
        await conn.execute(
            select(
                cluster_sources.c.independent,
                cluster_sources.c.copy_of,
                cluster_sources.c.reason,
                items.c.item_id,
                items.c.url,
                items.c.title,
                items.c.feed_url,
                items.c.feed_name,
                items.c.published_at,
            )
            .join(items, items.c.item_id == cluster_sources.c.item_id)
            .where(cluster_sources.c.cluster_id == cluster_id)
            .order_by(cluster_sources.c.published_at, cluster_sources.c.item_id)
            .limit(_MAX_SOURCES)
        )
    ).mappings()
    sources = [
        {
            **_item_json(s),
            "independent": s["independent"],
            "copy_of": s["copy_of"],
            "reason": s["reason"],
        }
        for s in source_rows
    ]
    dispute_rows = (
        await conn.execute(
            select(clusters, dispute_links.c.rule)
            .join(dispute_links, dispute_links.c.other_cluster_id == clusters.c.cluster_id)
            .where(dispute_links.c.cluster_id == cluster_id)
            .order_by(clusters.c.first_seen_at, clusters.c.cluster_id)
        )
    ).mappings()
    disputes = [{**cluster_json(d), "rule": d["rule"]} for d in dispute_rows]
    return {
        "alert": alert,
        "cluster": cluster_json(cluster),
        "claim": rows.claim_out(cast(RowMapping, claim)).model_dump(mode="json"),
        "item": _item_json(item),
        "sources": sources,
        "disputes": disputes,
    }


def dumps(payload: Mapping[str, Any]) -> str:
    """Compact, key-sorted JSON text of a payload (what the alerts table stores)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
