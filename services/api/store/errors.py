"""The store's exception tree. Callers read ``retriable`` to decide whether to retry.

::

    StoreError
    ├── StoreUnavailable        the database cannot be reached or is busy (retriable)
    ├── MigrationError          the schema could not be brought to the code's revision
    ├── InvalidMessage          a message lacks what the store keys it by (also ValueError)
    └── InvalidCursor           a pagination cursor was not issued by this store (also ValueError)

Third-party errors (SQLAlchemy, asyncpg, sqlite3) are wrapped where they enter, with the original
kept as ``__cause__``.
"""

from __future__ import annotations

__all__ = ["InvalidCursor", "InvalidMessage", "MigrationError", "StoreError", "StoreUnavailable"]


class StoreError(Exception):
    """Raised when a store operation fails; the base of every store error."""

    retriable: bool = False


class StoreUnavailable(StoreError):
    """Raised when the database refuses or drops the connection, or stays locked too long."""

    retriable = True


class MigrationError(StoreError):
    """Raised when applying the alembic migrations fails."""


class InvalidMessage(StoreError, ValueError):
    """Raised when an EnrichedItem or FeedStatus lacks its item_id, claim_id or feed_url."""


class InvalidCursor(StoreError, ValueError):
    """Raised when a cursor is malformed, tampered with, or belongs to another listing."""
