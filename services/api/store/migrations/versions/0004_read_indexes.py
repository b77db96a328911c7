"""Read indexes: party filters and full-text search that stay fast at 100k+ rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Claim listings filter a party (actor, claimant, location) by canonical id or surface text,
case-insensitively, newest first. Each of the two lookups now has an index that is already in
listing order, ``(lower(x), published_at, claim_id)``, so the query reads a page of each and
merges them instead of walking the whole listing (or sorting every match). The id indexes
replace the single-column ``lower(x_id)`` ones. ``ix_items_id_published_at_item_id`` gives
full-text hits (rowids) their sort key without reading each item's row, text included.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_PARTIES = ("actor", "claimant", "location")


def upgrade() -> None:
    for party in _PARTIES:
        op.drop_index(f"ix_claims_lower_{party}_id", "claims")
        for column in (f"{party}_id", f"{party}_text"):
            op.create_index(
                f"ix_claims_lower_{column}_published_at",
                "claims",
                [sa.text(f"lower({column})"), "published_at", "claim_id"],
            )
    op.create_index("ix_items_id_published_at_item_id", "items", ["id", "published_at", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_items_id_published_at_item_id", "items")
    for party in _PARTIES:
        for column in (f"{party}_id", f"{party}_text"):
            op.drop_index(f"ix_claims_lower_{column}_published_at", "claims")
        op.create_index(f"ix_claims_lower_{party}_id", "claims", [sa.text(f"lower({party}_id)")])
