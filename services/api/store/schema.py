"""The api store's tables as SQLAlchemy Core metadata: what the code expects the database to hold.

The migrations in ``migrations/versions`` create exactly this (a test compares the two); the
full-text machinery lives only in migrations because it differs per dialect: an FTS5
external-content table plus triggers on SQLite, a GIN expression index on PostgreSQL.
Enum-valued proto fields are stored as their lower-case short names ("advance", "denied") so
the database reads well in plain SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "PG_SEARCH_DOCUMENT",
    "SQLITE_FTS_TABLE",
    "UtcDateTime",
    "claims",
    "entities",
    "feeds",
    "item_docs",
    "items",
    "metadata",
]

# Named constraints let later migrations drop or alter them, including SQLite batch mode.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The PostgreSQL search document. The query must use this very expression (with the column
# names qualified) or the planner will not match the GIN index built on it.
PG_SEARCH_DOCUMENT = (
    "to_tsvector('english', coalesce({t}title, '') || ' ' || coalesce({t}text, ''))"
)
SQLITE_FTS_TABLE = "items_fts"


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that only accepts aware datetimes and always reads back as aware UTC.

    PostgreSQL stores TIMESTAMP WITH TIME ZONE. SQLite has no time type: the value is stored
    as fixed-width UTC text, so text order is time order and range filters stay correct.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only takes aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only aliases the rowid for a column declared exactly INTEGER PRIMARY KEY; the FTS5
# external-content table needs that alias, because VACUUM may renumber an implicit rowid.
# items.id is the item's listing key (sortkey.py): newest first is id descending.
_ROWID = BigInteger().with_variant(Integer(), "sqlite")

items = Table(
    "items",
    metadata,
    Column("id", _ROWID, primary_key=True, autoincrement=True),
    Column("item_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("feed_url", Text, nullable=False),
    Column("feed_name", Text, nullable=False),
    Column("guid", Text),
    Column("url", Text),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(35)),
    Column("published_at", UtcDateTime, nullable=False),
    Column("published_at_estimated", Boolean, nullable=False),
    Column("fetched_at", UtcDateTime),
    Column("extracted_at", UtcDateTime),
    Column("extractor_version", Text),
    Column("content_hash", String(64)),
    Column("claims_count", Integer, nullable=False),
    Column("stored_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("item_id"),
    Index(None, "feed_url", "id"),
)

# Each item as the items listing serves it (rows.item_doc), under its listing key: a page of
# the listing, or of a search, reads these short rows instead of the items' wide ones.
item_docs = Table(
    "item_docs",
    metadata,
    Column("id", _ROWID, primary_key=True, autoincrement=False),
    Column(
        "item_id",
        String(64),
        ForeignKey("items.item_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("doc", Text, nullable=False),
    UniqueConstraint("item_id"),
)

entities = Table(
    "entities",
    metadata,
    Column(
        "item_id",
        String(64),
        ForeignKey("items.item_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("idx", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("label", String(32), nullable=False),
    Column("span_start", Integer, nullable=False),
    Column("span_end", Integer, nullable=False),
    Column("canonical_id", String(64)),
    Column("canonical_name", Text),
)


def _mention(prefix: str) -> list[Column[str]]:
    return [
        Column(f"{prefix}_text", Text),
        Column(f"{prefix}_id", String(64)),
        Column(f"{prefix}_name", Text),
    ]


claims = Table(
    "claims",
    metadata,
    Column("claim_id", String(64), primary_key=True),
    Column(
        "item_id",
        String(64),
        ForeignKey("items.item_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("movement", String(16), nullable=False),
    Column("polarity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    *_mention("actor"),
    *_mention("claimant"),
    *_mention("location"),
    Column("location_relation", String(16)),
    Column("size_text", Text),
    Column("size_min", Float),
    Column("size_max", Float),
    Column("size_unit", String(32)),
    Column("event_time", UtcDateTime),
    Column("event_time_text", Text),
    Column("evidence", Text, nullable=False),
    Column("evidence_start", Integer),
    Column("evidence_end", Integer),
    Column("confidence", Float, nullable=False),
    Column("fingerprint", Text, nullable=False),
    # The item's publication time, copied so claim listings page without a join.
    Column("published_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The claim as the claims listing serves it (rows.claim_doc), written with the row.
    Column("doc", Text),
    Index(None, "published_at", "claim_id"),
    Index(None, "item_id"),
    Index(None, "fingerprint"),
    Index(None, "movement", "published_at"),
)

# Case-insensitive lookups by canonical id or surface text ("rus", "Russia").
Index("ix_entities_lower_canonical_id", func.lower(entities.c.canonical_id))
Index("ix_entities_lower_text", func.lower(entities.c.text))
# Claims by party, by canonical id or by text, each already in listing order (migration 0004).
for _party in ("actor", "claimant", "location"):
    for _column in (f"{_party}_id", f"{_party}_text"):
        Index(
            f"ix_claims_lower_{_column}_published_at",
            func.lower(claims.c[_column]),
            claims.c.published_at,
            claims.c.claim_id,
        )

feeds = Table(
    "feeds",
    metadata,
    Column("feed_url", Text, primary_key=True),
    Column("feed_name", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("last_poll_at", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_new_item_at", UtcDateTime),
    Column("last_error_class", Text),
    Column("last_error_message", Text),
    Column("consecutive_errors", Integer, nullable=False),
    Column("next_poll_at", UtcDateTime),
    Column("items_seen", BigInteger, nullable=False),
    Column("not_modified_ratio", Float, nullable=False),
    Column("last_http_status", Integer),
    Column("polls", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
