"""Listing keys: each item's id becomes its place in the items listing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

``items.id`` was an arrival counter. It becomes the listing key of ``services.api.store.sortkey``
(publication millisecond times 2**20 + arrival rank within it), so newest first is ``id``
descending, and the keyset, the time bounds and, on SQLite, full-text hits (the FTS5 rowid is
``items.id``) all read in listing order. Publication times are cut to the millisecond, on
items and on the claims' copies, so that time order and key order agree.

Existing rows are renumbered in two steps: first parked at ``-2**62 - old id`` (below every
key, so no step collides with a row not yet moved), then moved to their keys. On SQLite the
full-text index is rebuilt around the new rowids, and its update trigger now also fires when
an item's id moves (a new version published at another time).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.api.store import sortkey
from services.api.store.schema import UtcDateTime
from services.logs import get_logger

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

log = get_logger("store.migrate")
_PARKED = -(2**62)
_FTS_TRIGGERS = ("items_fts_ai", "items_fts_ad", "items_fts_au")


def _fts(update_columns: str) -> list[str]:
    return [
        "CREATE VIRTUAL TABLE items_fts USING fts5("
        "title, text, content='items', content_rowid='id', tokenize='porter unicode61')",
        "CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN "
        "INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
        "CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN "
        "INSERT INTO items_fts(items_fts, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); END",
        f"CREATE TRIGGER items_fts_au AFTER UPDATE OF {update_columns} ON items BEGIN "
        "INSERT INTO items_fts(items_fts, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); "
        "INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    ]


def _drop_fts() -> None:
    for trigger in _FTS_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS items_fts")


def _renumber(bind: sa.Connection) -> None:
    items = sa.table(
        "items", sa.column("id", sa.BigInteger()), sa.column("published_at", UtcDateTime())
    )
    found: list[tuple[int, datetime]] = [
        (row.id, row.published_at)
        for row in bind.execute(sa.select(items.c.id, items.c.published_at))
    ]
    if not found:
        return
    log.info("renumbering items by listing key", revision=revision, items=len(found))
    found.sort(key=lambda row: (sortkey.floor_ms(row[1]), row[0]))
    taken: Counter[int] = Counter()
    moves = []
    for old, published_at in found:
        ms = min(max(sortkey.floor_ms(published_at), sortkey.MIN_MS), sortkey.MAX_MS)
        moves.append(
            {
                "parked": _PARKED - old,
                "listing_key": sortkey.listing_key(ms, taken[ms]),
                "published_at": sortkey.truncate(published_at.astimezone(UTC)),
            }
        )
        taken[ms] += 1
    scratch = sa.Table(
        "items_renumbered",
        sa.MetaData(),
        sa.Column("parked", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("listing_key", sa.BigInteger(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        prefixes=["TEMPORARY"],
    )
    scratch.create(bind)
    bind.execute(scratch.insert(), moves)
    bind.execute(sa.update(items).values(id=_PARKED - items.c.id))
    bind.execute(
        sa.update(items)
        .where(items.c.id == scratch.c.parked)
        .values(id=scratch.c.listing_key, published_at=scratch.c.published_at)
    )
    scratch.drop(bind)
    claims = sa.table(
        "claims", sa.column("item_id", sa.String()), sa.column("published_at", UtcDateTime())
    )
    keyed = sa.table(
        "items", sa.column("item_id", sa.String()), sa.column("published_at", UtcDateTime())
    )
    bind.execute(
        sa.update(claims).values(
            published_at=sa.select(keyed.c.published_at)
            .where(keyed.c.item_id == claims.c.item_id)
            .scalar_subquery()
        )
    )


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        _drop_fts()
    op.drop_index("ix_items_id_published_at_item_id", "items")
    op.drop_index("ix_items_published_at_item_id", "items")
    op.drop_index("ix_items_feed_url_published_at", "items")
    _renumber(bind)
    op.create_index("ix_items_feed_url_id", "items", ["feed_url", "id"])
    if sqlite:
        for statement in _fts("id, title, text"):
            op.execute(statement)
        op.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")


def downgrade() -> None:
    # Ids stay the listing keys: they are valid rowids, and the old code only needs them unique.
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS items_fts_au")
        op.execute(_fts("title, text")[3])
    op.drop_index("ix_items_feed_url_id", "items")
    op.create_index("ix_items_feed_url_published_at", "items", ["feed_url", "published_at"])
    op.create_index("ix_items_published_at_item_id", "items", ["published_at", "item_id"])
    op.create_index("ix_items_id_published_at_item_id", "items", ["id", "published_at", "item_id"])
