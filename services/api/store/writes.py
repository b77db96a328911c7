"""Idempotent writes of the api store: enriched items with their entities and claims, feed health.

Consumes ``EnrichedItem`` / ``FeedStatus`` messages (delivered at least once, maybe out of
order) on a connection inside a write transaction; emits rows and, per item, an
``UpsertOutcome``. An item is keyed by ``item_id`` and only a newer ``(version,
extracted_at)`` replaces it, so redelivery changes nothing and a late, older message cannot
undo a newer one. SQLite write transactions hold the write lock from BEGIN IMMEDIATE on;
on PostgreSQL the item's upsert takes its row lock before its claims are read, so "which
claims are new" holds even with concurrent writers. A new item also gets its listing key
(``sortkey``), and every stored item and claim the JSON its listing serves (``item_docs``,
``claims.doc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, and_, case, delete, func, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from proto import EnrichedItem, FeedStatus
from services.api.store import rows, sortkey
from services.api.store.errors import InvalidMessage
from services.api.store.schema import claims, entities, feeds, item_docs, items

__all__ = ["UpsertOutcome", "upsert_enriched", "upsert_feed_status"]

# Two-key advisory locks (namespace, slot) live apart from the one-key locks used elsewhere.
_PG_KEY_LOCK = 0x7769


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    """What ``upsert_enriched`` did: ``inserted`` a new item, ``replaced`` an older version, or
    ``ignored`` a message no newer than the stored one. ``new_claim_ids`` lists, in message
    order, the claims the store had never held before (empty when ignored)."""

    item_id: str
    status: Literal["inserted", "replaced", "ignored"]
    new_claim_ids: tuple[str, ...] = ()


def _insert(conn: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def _listing_key(conn: AsyncConnection, published_at: datetime) -> int:
    """The next free listing key (``sortkey``) for an item published at ``published_at``:
    one past the newest of its millisecond. SQLite's write transaction holds the write lock
    already; PostgreSQL writers of one millisecond take turns under an advisory lock held
    until commit, so two never pick the same key."""
    low, high = sortkey.bucket(published_at)
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :slot)"),
            {"namespace": _PG_KEY_LOCK, "slot": (low >> sortkey.TIE_BITS) % 2**31},
        )
    newest = (
        await conn.execute(select(func.max(items.c.id)).where(items.c.id >= low, items.c.id < high))
    ).scalar()
    key = low if newest is None else newest + 1
    if key >= high:
        raise InvalidMessage(
            f"more than {high - low} items published in the millisecond of {published_at}"
        )
    return key


def _unique_claims(
    enriched: EnrichedItem, item: dict[str, Any], now: datetime
) -> list[dict[str, Any]]:
    # One row per claim id, first occurrence wins, message order kept: PostgreSQL refuses an
    # INSERT .. ON CONFLICT that would touch the same row twice.
    by_id: dict[str, dict[str, Any]] = {}
    for claim in enriched.claims:
        row = rows.claim_row(claim, item["item_id"], item["published_at"], now)
        by_id.setdefault(row["claim_id"], row)
    return list(by_id.values())


async def upsert_enriched(
    conn: AsyncConnection, enriched: EnrichedItem, now: datetime
) -> UpsertOutcome:
    """Write ``enriched`` unless the stored copy is as new or newer; return what happened.

    ``now`` becomes ``stored_at``/``created_at`` of new rows and ``updated_at`` of changed
    ones. Raises ``InvalidMessage`` before writing anything when ids are missing.
    """
    item = rows.item_row(enriched, now)
    item_id = item["item_id"]
    claim_rows = _unique_claims(enriched, item, now)
    claim_ids = [row["claim_id"] for row in claim_rows]
    item["claims_count"] = len(claim_rows)

    item["id"] = await _listing_key(conn, item["published_at"])
    stmt = _insert(conn, items).values(item)
    new = stmt.excluded
    changes: dict[str, Any] = {k: new[k] for k in item if k not in ("item_id", "stored_at")}
    # A new version keeps its place in the listing unless its publication time moved.
    changes["id"] = case((items.c.published_at == new.published_at, items.c.id), else_=new.id)
    stored = (
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[items.c.item_id],
                set_=changes,
                where=or_(
                    items.c.version < new.version,
                    and_(items.c.version == new.version, items.c.extracted_at < new.extracted_at),
                ),
            ).returning(items.c.stored_at, items.c.id)
        )
    ).first()
    if stored is None:  # the WHERE refused: the stored copy is as new or newer
        return UpsertOutcome(item_id=item_id, status="ignored")
    inserted = stored.stored_at == now  # an update keeps the first stored_at
    doc = rows.item_doc(item)
    doc_stmt = _insert(conn, item_docs).values(id=stored.id, item_id=item_id, doc=doc)
    await conn.execute(
        doc_stmt.on_conflict_do_update(
            index_elements=[item_docs.c.item_id],
            set_={"id": doc_stmt.excluded.id, "doc": doc_stmt.excluded.doc},
        )
    )

    known_query = select(claims.c.claim_id, claims.c.created_at).where(
        claims.c.claim_id.in_(claim_ids)
    )
    known = {row.claim_id: row.created_at for row in await conn.execute(known_query)}
    for row in claim_rows:  # the listing's copy shows the first created_at, which stays
        row["doc"] = rows.claim_doc({**row, "created_at": known.get(row["claim_id"], now)})
    if not inserted:
        await conn.execute(delete(entities).where(entities.c.item_id == item_id))
        await conn.execute(
            delete(claims).where(claims.c.item_id == item_id, claims.c.claim_id.not_in(claim_ids))
        )
    entity_rows = rows.entity_rows(enriched)
    if entity_rows:
        await conn.execute(insert(entities), entity_rows)
    if claim_rows:
        claim_stmt = _insert(conn, claims)
        kept = ("claim_id", "created_at")
        await conn.execute(
            claim_stmt.on_conflict_do_update(
                index_elements=[claims.c.claim_id],
                set_={k: claim_stmt.excluded[k] for k in claim_rows[0] if k not in kept},
            ),
            claim_rows,
        )
    return UpsertOutcome(
        item_id=item_id,
        status="inserted" if inserted else "replaced",
        new_claim_ids=tuple(cid for cid in claim_ids if cid not in known),
    )


async def upsert_feed_status(conn: AsyncConnection, status: FeedStatus, now: datetime) -> None:
    """Write a feed's health unless the stored status comes from a later poll."""
    row = rows.feed_row(status, now)
    stmt = _insert(conn, feeds).values(row)
    new = stmt.excluded
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[feeds.c.feed_url],
            set_={k: new[k] for k in row if k != "feed_url"},
            where=or_(feeds.c.last_poll_at.is_(None), feeds.c.last_poll_at <= new.last_poll_at),
        )
    )
