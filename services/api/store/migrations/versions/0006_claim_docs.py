"""Claim docs: each claim keeps the JSON the claims listing serves for it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

``claims.doc`` holds ``rows.claim_doc`` of the row, written by the sink with the row, so a
listing page is an index walk and a join of stored text instead of a conversion of some 1,400
cells per page. This revision renders the doc of every claim stored before it, in batches.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.api.store.rows import claim_doc
from services.api.store.schema import claims
from services.logs import get_logger

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

log = get_logger("store.migrate")
_BATCH = 5000
# What a doc shows, as the columns stood at this revision (typed by schema.py, so that
# timestamps read back as aware UTC on both dialects).
_SHOWN = (
    "claim_id",
    "item_id",
    "movement",
    "polarity",
    "status",
    *(
        f"{party}_{part}"
        for party in ("actor", "claimant", "location")
        for part in ("text", "id", "name")
    ),
    "location_relation",
    "size_text",
    "size_min",
    "size_max",
    "size_unit",
    "event_time",
    "event_time_text",
    "evidence",
    "evidence_start",
    "evidence_end",
    "confidence",
    "fingerprint",
    "published_at",
    "created_at",
)


def upgrade() -> None:
    op.add_column("claims", sa.Column("doc", sa.Text()))
    bind = op.get_bind()
    columns = [claims.c[name] for name in _SHOWN]
    after = ""
    total = bind.execute(sa.select(sa.func.count()).select_from(claims)).scalar()
    done = 0
    while True:
        batch = (
            bind.execute(
                sa.select(*columns)
                .where(claims.c.claim_id > after)
                .order_by(claims.c.claim_id)
                .limit(_BATCH)
            )
            .mappings()
            .all()
        )
        if not batch:
            return
        bind.execute(
            sa.update(claims)
            .where(claims.c.claim_id == sa.bindparam("row_id"))
            .values(doc=sa.bindparam("row_doc")),
            [{"row_id": row["claim_id"], "row_doc": claim_doc(row)} for row in batch],
        )
        after = batch[-1]["claim_id"]
        done += len(batch)
        if done == total or done % (10 * _BATCH) == 0:
            log.info("rendering claim docs", revision=revision, done=done, total=total)


def downgrade() -> None:
    op.execute("ALTER TABLE claims DROP COLUMN doc")  # SQLite 3.35+ drops columns in place
