"""Alerts: claim clusters, their claims and sources, dispute links, the alerts log, cursors.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

``alerts.seq`` is AUTOINCREMENT on SQLite so a seq is never reused; readers resume by it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("cluster_id", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("movement", sa.String(16), nullable=False),
        sa.Column("polarity", sa.String(16), nullable=False),
        sa.Column("actor_key", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_text", sa.Text()),
        sa.Column("location_key", sa.Text(), nullable=False),
        sa.Column("location_id", sa.String(64)),
        sa.Column("location_text", sa.Text()),
        sa.Column("location_relation", sa.String(16)),
        sa.Column("size_text", sa.Text()),
        sa.Column("size_min", sa.Float()),
        sa.Column("size_max", sa.Float()),
        sa.Column("first_claim_id", sa.String(64), nullable=False),
        sa.Column("first_seen_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("independent_sources", sa.Integer(), nullable=False),
        sa.Column("total_sources", sa.Integer(), nullable=False),
        sa.Column("claims_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", name="pk_clusters"),
        sa.UniqueConstraint("fingerprint", "generation", name="uq_clusters_fingerprint_generation"),
    )
    op.create_index("ix_clusters_movement_last_seen_at", "clusters", ["movement", "last_seen_at"])

    op.create_table(
        "claim_clusters",
        sa.Column("claim_id", sa.String(64), nullable=False),
        sa.Column("cluster_id", sa.String(32), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name="pk_claim_clusters"),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.claim_id"],
            name="fk_claim_clusters_claim_id_claims",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.cluster_id"], name="fk_claim_clusters_cluster_id_clusters"
        ),
    )
    op.create_index("ix_claim_clusters_cluster_id", "claim_clusters", ["cluster_id"])

    op.create_table(
        "cluster_sources",
        sa.Column("cluster_id", sa.String(32), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("independent", sa.Boolean(), nullable=False),
        sa.Column("copy_of", sa.String(64)),
        sa.Column("reason", sa.Text()),
        sa.Column("published_at", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "item_id", name="pk_cluster_sources"),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.cluster_id"], name="fk_cluster_sources_cluster_id_clusters"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.item_id"],
            name="fk_cluster_sources_item_id_items",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "dispute_links",
        sa.Column("cluster_id", sa.String(32), nullable=False),
        sa.Column("other_cluster_id", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "other_cluster_id", name="pk_dispute_links"),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.cluster_id"], name="fk_dispute_links_cluster_id_clusters"
        ),
        sa.ForeignKeyConstraint(
            ["other_cluster_id"],
            ["clusters.cluster_id"],
            name="fk_dispute_links_other_cluster_id_clusters",
        ),
    )

    op.create_table(
        "alerts",
        sa.Column("seq", _SEQ, nullable=False, autoincrement=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("cluster_id", sa.String(32), nullable=False),
        sa.Column("claim_id", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("movement", sa.String(16), nullable=False),
        sa.Column("polarity", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_text", sa.Text()),
        sa.Column("location_id", sa.String(64)),
        sa.Column("location_text", sa.Text()),
        sa.Column("independent_sources", sa.Integer(), nullable=False),
        sa.Column("total_sources", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_alerts"),
        sa.UniqueConstraint("alert_id", name="uq_alerts_alert_id"),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.cluster_id"], name="fk_alerts_cluster_id_clusters"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_alerts_type_seq", "alerts", ["type", "seq"])
    op.create_index("ix_alerts_cluster_id", "alerts", ["cluster_id"])
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])

    op.create_table(
        "cursors",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_cursors"),
    )


def downgrade() -> None:
    op.drop_table("cursors")
    op.drop_table("alerts")
    op.drop_table("dispute_links")
    op.drop_table("cluster_sources")
    op.drop_table("claim_clusters")
    op.drop_table("clusters")
