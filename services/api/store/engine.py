"""Builds the store's async SQLAlchemy engine from a database URL.

Consumes a URL (``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``) and emits an
``AsyncEngine`` configured for the store's access pattern: one writer (the enriched-item
consumer) and many concurrent readers (HTTP requests). On SQLite that means WAL journaling, a
busy timeout instead of instant "database is locked" errors, enforced foreign keys (SQLite
leaves them off per connection) and SQLAlchemy-controlled BEGIN so reads see one snapshot.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "WRITER_OPTION",
    "create_engine",
    "is_unavailable",
    "parse_url",
]

SQLITE_BUSY_TIMEOUT_MS = 5_000
# Execution option marking a connection whose transactions write (see _sqlite_on_begin).
WRITER_OPTION = "wirewatch_writer"
_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
# SQLite errors that say "try again later" rather than "your SQL is wrong".
_SQLITE_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "unable to open",
    "disk i/o error",
)
# PostgreSQL SQLSTATE classes for connection failures, exhausted resources, server shutdown.
_PG_TRANSIENT_SQLSTATE = ("08", "53", "57P")


def parse_url(url: str | URL) -> URL:
    """Return the parsed URL; raise ``ValueError`` unless it names sqlite+aiosqlite or
    postgresql+asyncpg (the only async drivers the store is tested with)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {exc}") from exc
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if _DRIVERS.get(backend) != driver:
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: "
            "use sqlite+aiosqlite:///path or postgresql+asyncpg://host/db"
        )
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        # Every pooled connection would get its own empty in-memory database.
        raise ValueError("the store needs a file-backed SQLite database, not :memory:")
    return parsed


def create_engine(url: str | URL, **engine_kwargs: Any) -> AsyncEngine:
    """Create an ``AsyncEngine`` for ``url``. No connection is made until first use.

    SQLite connections come up with ``journal_mode=WAL``, ``busy_timeout``, ``foreign_keys=ON``
    and ``synchronous=NORMAL``; every transaction starts with an explicit ``BEGIN``, or
    ``BEGIN IMMEDIATE`` on a connection given the execution option ``WRITER_OPTION=True``.
    PostgreSQL connections are pre-pinged, so a restarted server costs a reconnect, not a
    failed request. Extra keyword arguments go to ``create_async_engine``.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine_kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(parsed, **engine_kwargs)
    engine = create_async_engine(parsed, **engine_kwargs)
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take BEGIN away from the sqlite3 module: it only begins before DML, so a read-only
    # transaction would otherwise see a different snapshot per statement.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL + NORMAL is durable against application crashes; only an OS crash can lose the
        # last commits, which redelivery from Kafka repairs.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # A writer must take the write lock at BEGIN. With a deferred BEGIN, a statement that
    # reads first (FTS5 reads its config even inside an INSERT trigger) holds a snapshot, and
    # the later lock upgrade fails at once with "database is locked": SQLite cannot wait for
    # a lock a snapshot holder might need, so busy_timeout never applies.
    if connection.get_execution_options().get(WRITER_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def is_unavailable(exc: BaseException) -> bool:
    """Return True when ``exc`` means the database is unreachable, restarting or busy (worth
    retrying later), as opposed to a fault in the statement or the data."""
    if isinstance(exc, OSError):  # asyncpg raises socket errors and timeouts unwrapped
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.OperationalError):
        message = str(exc.orig).lower()
        return any(marker in message for marker in _SQLITE_TRANSIENT)
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return isinstance(sqlstate, str) and sqlstate.startswith(_PG_TRANSIENT_SQLSTATE)
