"""The webhook tables, on the store's shared metadata: subscriptions and the durable outbox.

``webhooks`` holds subscriptions (with the signing secret, which must be kept to sign);
``webhook_deliveries`` is the outbox, one row per alert per matching subscription, keyed by
its ``webhook-id``; ``webhook_attempts`` records every POST. Migration 0003 creates exactly
these. Fan-out reads the alert engine's ``alerts`` log and keeps its position in the shared
``cursors`` table under ``FANOUT_CURSOR``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from services.api.store.schema import UtcDateTime, metadata

__all__ = [
    "FANOUT_CURSOR",
    "webhook_attempts",
    "webhook_deliveries",
    "webhooks",
]

FANOUT_CURSOR = "webhooks.fanout"
# INTEGER PRIMARY KEY on SQLite, so the column aliases the rowid and autoincrements.
_ROWID = BigInteger().with_variant(Integer(), "sqlite")

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("filter", Text, nullable=False),  # WebhookFilter as JSON
    Column("active", Boolean, nullable=False),
    Column("disabled_reason", Text),
    Column("static", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("seq", _ROWID, primary_key=True, autoincrement=True),
    Column("delivery_id", String(64), nullable=False, unique=True),
    Column(
        "webhook_id",
        String(40),
        ForeignKey("webhooks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("alert_seq", BigInteger, nullable=False),
    Column("alert_id", String(64), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("alert_created_at", UtcDateTime, nullable=False),
    # pending → delivered | dead | gone; only pending rows have next_attempt_at.
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    # A claimed delivery is leased: nobody else sends it until lease_until passes, so a
    # crashed sender's deliveries come back after the lease instead of being lost.
    Column("lease_until", UtcDateTime),
    Column("lease_owner", String(64)),
    Column("replay", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Index(None, "status", "next_attempt_at"),
    Index(None, "webhook_id", "seq"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", _ROWID, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        String(64),
        ForeignKey("webhook_deliveries.delivery_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Index(None, "delivery_id", "attempt"),
)
