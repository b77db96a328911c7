"""The api's store: enriched items, claims and feed health in SQLite or PostgreSQL.

Consumes ``EnrichedItem`` and ``FeedStatus`` messages, emits the response models of
``services.api.models``. Open it with ``await Store.open(url)`` (which migrates the schema)
and close it with ``await store.aclose()`` or ``async with``::

    async with await Store.open("sqlite+aiosqlite:///wirewatch.db") as store:
        outcome = await store.upsert_enriched(message)
        page = await store.list_items(entity="RUS", limit=20)
"""

from services.api.store import alerts_schema as alerts_schema  # completes the metadata
from services.api.store.alerts import AlertRow, AlertStore, ClusterRecord
from services.api.store.cursor import decode_cursor, encode_cursor
from services.api.store.engine import create_engine, is_unavailable
from services.api.store.errors import (
    InvalidCursor,
    InvalidMessage,
    MigrationError,
    StoreError,
    StoreUnavailable,
)
from services.api.store.migrate import current_revision, head_revision, upgrade, upgrade_sync
from services.api.store.repository import MAX_PAGE_SIZE, Store, UpsertOutcome
from services.api.store.webhooks import StaticWebhook, WebhookStore

__all__ = [
    "MAX_PAGE_SIZE",
    "AlertRow",
    "AlertStore",
    "ClusterRecord",
    "InvalidCursor",
    "InvalidMessage",
    "MigrationError",
    "StaticWebhook",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "UpsertOutcome",
    "WebhookStore",
    "create_engine",
    "current_revision",
    "decode_cursor",
    "encode_cursor",
    "head_revision",
    "is_unavailable",
    "upgrade",
    "upgrade_sync",
]
