"""Item docs: each item keeps the JSON the items listing serves for it, under its listing key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21

``item_docs`` holds ``rows.item_doc`` of every item, keyed by the item's listing key, so a
page of the listing or of a search reads short rows in key order and joins their text, never
the items' wide rows (whose text comes before the summary's columns). The sink writes an
item's doc with the item. This revision renders the doc of every item stored before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.api.store.rows import item_doc
from services.api.store.schema import items
from services.logs import get_logger

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

log = get_logger("store.migrate")
_BATCH = 5000
# What a doc shows, as the columns stood at this revision.
_SHOWN = (
    "id",
    "item_id",
    "version",
    "feed_url",
    "feed_name",
    "url",
    "title",
    "language",
    "published_at",
    "published_at_estimated",
    "claims_count",
)
_ROWID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "item_docs",
        sa.Column("id", _ROWID, nullable=False, autoincrement=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_item_docs"),
        sa.UniqueConstraint("item_id", name="uq_item_docs_item_id"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.item_id"], name="fk_item_docs_item_id_items", ondelete="CASCADE"
        ),
    )
    docs = sa.table("item_docs", sa.column("id"), sa.column("item_id"), sa.column("doc"))
    bind = op.get_bind()
    columns = [items.c[name] for name in _SHOWN]
    after: int | None = None
    total = bind.execute(sa.select(sa.func.count()).select_from(items)).scalar()
    done = 0
    while True:
        query = sa.select(*columns).order_by(items.c.id).limit(_BATCH)
        if after is not None:
            query = query.where(items.c.id > after)
        batch = bind.execute(query).mappings().all()
        if not batch:
            return
        bind.execute(
            docs.insert(),
            [{"id": row["id"], "item_id": row["item_id"], "doc": item_doc(row)} for row in batch],
        )
        after = batch[-1]["id"]
        done += len(batch)
        if done == total or done % (10 * _BATCH) == 0:
            log.info("rendering item docs", revision=revision, done=done, total=total)


def downgrade() -> None:
    op.drop_table("item_docs")
