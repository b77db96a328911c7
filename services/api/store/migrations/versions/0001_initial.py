"""Initial schema: items, entities, claims, feeds, and full-text search over items.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Full-text search differs per dialect. SQLite: an FTS5 table with external content (the text
lives once, in ``items``) kept in step by triggers, keyed on the INTEGER PRIMARY KEY rowid alias.
PostgreSQL: a GIN index on a ``to_tsvector`` expression that the query repeats verbatim.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_ROWID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE items_fts USING fts5("
    "title, text, content='items', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER items_fts_au AFTER UPDATE OF title, text ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]
_PG_SEARCH = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(text, ''))"


def _mention(prefix: str) -> list[sa.Column[str]]:
    return [
        sa.Column(f"{prefix}_text", sa.Text()),
        sa.Column(f"{prefix}_id", sa.String(64)),
        sa.Column(f"{prefix}_name", sa.Text()),
    ]


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", _ROWID, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("feed_url", sa.Text(), nullable=False),
        sa.Column("feed_name", sa.Text(), nullable=False),
        sa.Column("guid", sa.Text()),
        sa.Column("url", sa.Text()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(35)),
        sa.Column("published_at", _TS, nullable=False),
        sa.Column("published_at_estimated", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", _TS),
        sa.Column("extracted_at", _TS),
        sa.Column("extractor_version", sa.Text()),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("claims_count", sa.Integer(), nullable=False),
        sa.Column("stored_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("item_id", name="uq_items_item_id"),
    )
    op.create_index("ix_items_published_at_item_id", "items", ["published_at", "item_id"])
    op.create_index("ix_items_feed_url_published_at", "items", ["feed_url", "published_at"])

    op.create_table(
        "entities",
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("canonical_id", sa.String(64)),
        sa.Column("canonical_name", sa.Text()),
        sa.PrimaryKeyConstraint("item_id", "idx", name="pk_entities"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.item_id"], name="fk_entities_item_id_items", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_entities_lower_canonical_id", "entities", [sa.text("lower(canonical_id)")])
    op.create_index("ix_entities_lower_text", "entities", [sa.text("lower(text)")])

    op.create_table(
        "claims",
        sa.Column("claim_id", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("movement", sa.String(16), nullable=False),
        sa.Column("polarity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_mention("actor"),
        *_mention("claimant"),
        *_mention("location"),
        sa.Column("location_relation", sa.String(16)),
        sa.Column("size_text", sa.Text()),
        sa.Column("size_min", sa.Float()),
        sa.Column("size_max", sa.Float()),
        sa.Column("size_unit", sa.String(32)),
        sa.Column("event_time", _TS),
        sa.Column("event_time_text", sa.Text()),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_start", sa.Integer()),
        sa.Column("evidence_end", sa.Integer()),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("published_at", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name="pk_claims"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.item_id"], name="fk_claims_item_id_items", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_claims_published_at_claim_id", "claims", ["published_at", "claim_id"])
    op.create_index("ix_claims_item_id", "claims", ["item_id"])
    op.create_index("ix_claims_fingerprint", "claims", ["fingerprint"])
    op.create_index("ix_claims_movement_published_at", "claims", ["movement", "published_at"])
    for column in ("actor_id", "claimant_id", "location_id"):
        op.create_index(f"ix_claims_lower_{column}", "claims", [sa.text(f"lower({column})")])

    op.create_table(
        "feeds",
        sa.Column("feed_url", sa.Text(), nullable=False),
        sa.Column("feed_name", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_poll_at", _TS),
        sa.Column("last_success_at", _TS),
        sa.Column("last_new_item_at", _TS),
        sa.Column("last_error_class", sa.Text()),
        sa.Column("last_error_message", sa.Text()),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", _TS),
        sa.Column("items_seen", sa.BigInteger(), nullable=False),
        sa.Column("not_modified_ratio", sa.Float(), nullable=False),
        sa.Column("last_http_status", sa.Integer()),
        sa.Column("polls", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("feed_url", name="pk_feeds"),
    )

    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.create_index("ix_items_search", "items", [sa.text(_PG_SEARCH)], postgresql_using="gin")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for trigger in ("items_fts_ai", "items_fts_ad", "items_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS items_fts")
    op.drop_table("feeds")
    op.drop_table("claims")
    op.drop_table("entities")
    op.drop_table("items")
