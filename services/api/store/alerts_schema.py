"""The alert engine's tables, on the store's shared metadata: clusters, their claims and
sources, dispute links, the alerts log and named cursors.

A claim is *pending* until a ``claim_clusters`` row links it to a cluster; the engine clusters
every pending claim of an item, so a crash between storing an item and deciding its alerts is
healed when the item is redelivered. ``clusters`` is unique on ``(fingerprint, generation)``:
two writers that both decide "new cluster" collide there and the loser retries and joins.
``alerts.seq`` is the log position read by the SSE stream, the topic publisher and the webhook
outbox (via ``cursors``); alert rows are never updated or deleted.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.api.store.schema import UtcDateTime, metadata

__all__ = ["alerts", "claim_clusters", "cluster_sources", "clusters", "cursors", "dispute_links"]

# INTEGER PRIMARY KEY on SQLite (the rowid alias AUTOINCREMENT needs), BIGINT elsewhere.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")

clusters = Table(
    "clusters",
    metadata,
    Column("cluster_id", String(32), primary_key=True),
    Column("fingerprint", Text, nullable=False),
    # 1 for the first cluster of a fingerprint, +1 each time the novelty window lapses.
    Column("generation", Integer, nullable=False),
    Column("movement", String(16), nullable=False),
    Column("polarity", String(16), nullable=False),
    Column("actor_key", Text, nullable=False),
    Column("actor_id", String(64)),
    Column("actor_text", Text),
    Column("location_key", Text, nullable=False),
    Column("location_id", String(64)),
    Column("location_text", Text),
    Column("location_relation", String(16)),
    # The current picture: the size and place of the latest claim that changed them.
    Column("size_text", Text),
    Column("size_min", Float),
    Column("size_max", Float),
    Column("first_claim_id", String(64), nullable=False),
    # Publication times of the earliest and latest claim: the novelty window slides on them.
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("independent_sources", Integer, nullable=False),
    Column("total_sources", Integer, nullable=False),
    Column("claims_count", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("fingerprint", "generation"),
    Index(None, "movement", "last_seen_at"),
)

claim_clusters = Table(
    "claim_clusters",
    metadata,
    Column(
        "claim_id",
        String(64),
        ForeignKey("claims.claim_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("cluster_id", String(32), ForeignKey("clusters.cluster_id"), nullable=False),
    Column("item_id", String(64), nullable=False),
    # first | same_source | independent | syndicated
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "cluster_id"),
)

cluster_sources = Table(
    "cluster_sources",
    metadata,
    Column("cluster_id", String(32), ForeignKey("clusters.cluster_id"), primary_key=True),
    Column(
        "item_id",
        String(64),
        ForeignKey("items.item_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("independent", Boolean, nullable=False),
    # For a syndicated copy: the earlier source it copies, and which rule said so.
    Column("copy_of", String(64)),
    Column("reason", Text),
    Column("published_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

dispute_links = Table(
    "dispute_links",
    metadata,
    Column("cluster_id", String(32), ForeignKey("clusters.cluster_id"), primary_key=True),
    Column("other_cluster_id", String(32), ForeignKey("clusters.cluster_id"), primary_key=True),
    # exact (same actor, movement, place) or partial (one side leaves actor or place open)
    Column("rule", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("cluster_id", String(32), ForeignKey("clusters.cluster_id"), nullable=False),
    # No foreign keys to claims/items: an alert outlives a claim a newer item version drops.
    Column("claim_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # JSON of the webhook `data` object: {alert, cluster, claim, item, sources, disputes}.
    Column("payload", Text, nullable=False),
    # Copied from the cluster and claim at alert time, so listings filter without joins.
    Column("fingerprint", Text, nullable=False),
    Column("movement", String(16), nullable=False),
    Column("polarity", String(16), nullable=False),
    Column("actor_id", String(64)),
    Column("actor_text", Text),
    Column("location_id", String(64)),
    Column("location_text", Text),
    Column("independent_sources", Integer, nullable=False),
    Column("total_sources", Integer, nullable=False),
    UniqueConstraint("alert_id"),
    Index(None, "type", "seq"),
    Index(None, "cluster_id"),
    Index(None, "created_at"),
    # Never reuse a seq, even after the newest row were deleted: readers resume by seq.
    sqlite_autoincrement=True,
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
