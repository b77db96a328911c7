"""Builds the store's async SQLAlchemy engine from a database URL.

Consumes a URL (``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``) and emits an
``AsyncEngine`` configured for the store's access pattern: one writer (the enriched-item
consumer) and many concurrent readers (HTTP requests). On SQLite that means WAL journaling, a
busy timeout instead of instant "database is locked" errors, enforced foreign keys (SQLite
leaves them off per connection) and SQLAlchemy-controlled BEGIN so reads see one snapshot.
SQLite reads also get a ``SqliteReader``: a synchronous engine whose read transactions each run
as one call, on the event loop while they are quick and on a worker thread when they are not,
instead of aiosqlite's round trip to its thread per statement and fetch.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Dialect, Engine, Select, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from services.api.store.schema import UtcDateTime

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "WRITER_OPTION",
    "Rows",
    "SqliteReader",
    "create_engine",
    "fetch_rows",
    "is_unavailable",
    "parse_url",
]

SQLITE_BUSY_TIMEOUT_MS = 5_000
# Reads that outlast the inline budget run on these threads (see SqliteReader). WAL lets
# them run beside each other and beside the writer.
SQLITE_READ_THREADS = 2
SQLITE_INLINE_BUDGET_S = 0.002
SQLITE_SLOW_SHAPE_RUNS = 100
_SLOW_SHAPES_MAX = 1024
_T = TypeVar("_T")
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


class SqliteReader:
    """Runs read transactions on a SQLite file: on the event loop when they are quick, on a
    worker thread when they are not.

    Most reads (a page from an index) take well under a millisecond, less than handing them
    to a thread and back costs; and the threads' fight over the GIL made every read several
    times dearer under load. So ``run`` first runs ``work`` on the calling thread, on one
    long-lived connection, with a time budget that SQLite's progress handler enforces: a
    read that exceeds it is interrupted (reads have no side effects) and run again on a
    worker thread, where it may take as long as it needs without stalling the event loop.
    The loop is therefore never blocked for much longer than the budget.

    Every run is one transaction (one snapshot). Connections are ``query_only``: a write
    through this path fails instead of racing the single writer. SQLAlchemy errors
    propagate unwrapped, as from ``AsyncEngine``.
    """

    def __init__(
        self,
        url: str | URL,
        threads: int = SQLITE_READ_THREADS,
        inline_budget_s: float = SQLITE_INLINE_BUDGET_S,
    ) -> None:
        parsed = parse_url(url)
        if parsed.get_backend_name() != "sqlite":
            raise ValueError("SqliteReader only reads SQLite databases")
        self._engine: Engine = create_sync_engine(
            parsed.set(drivername="sqlite+pysqlite"),
            pool_size=threads,
            max_overflow=0,
            # A file handle does not go stale the way a server connection does: no pre-ping.
            pool_pre_ping=False,
        )
        event.listen(self._engine, "connect", _sqlite_on_connect_reader)
        event.listen(self._engine, "begin", _sqlite_on_begin)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="sqlite-read")
        self._budget = inline_budget_s
        self._deadline = 0.0
        self._inline: Connection | None = None
        self._slow: dict[Hashable, int] = {}
        self._closed = False
        self.inline_runs = 0
        self.thread_runs = 0

    async def run(self, work: Callable[[Connection], _T], shape: Hashable | None = None) -> _T:
        """Return ``work(connection)`` run in one read transaction: on this thread within
        the time budget, else on a worker thread. ``shape`` names the kind of read (e.g. its
        statement): once a read of a shape overran the budget, the next
        ``SQLITE_SLOW_SHAPE_RUNS`` of that shape go straight to a thread instead of being
        tried, and interrupted, again."""
        if self._budget > 0 and not self._known_slow(shape):
            conn = self._inline_connection()
            self._deadline = time.perf_counter() + self._budget
            try:
                with conn.begin():
                    result = work(conn)
            except DBAPIError as exc:
                if not _interrupted(exc):
                    raise
                if shape is not None:
                    if len(self._slow) >= _SLOW_SHAPES_MAX:
                        self._slow.clear()
                    self._slow[shape] = SQLITE_SLOW_SHAPE_RUNS
            else:
                self.inline_runs += 1
                return result
        self.thread_runs += 1
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, work)

    def _known_slow(self, shape: Hashable | None) -> bool:
        left = self._slow.get(shape, 0) if shape is not None else 0
        if left:
            self._slow[shape] = left - 1
        return left > 0

    def _inline_connection(self) -> Connection:
        if self._inline is None:
            self._inline = self._engine.connect()
            driver = self._inline.connection.driver_connection
            assert driver is not None, "a checked-out SQLite connection has a driver connection"
            # Asked every 1000 virtual machine steps (a few µs): true aborts the statement.
            driver.set_progress_handler(self._over_budget, 1000)
        return self._inline

    def _over_budget(self) -> bool:
        return time.perf_counter() > self._deadline

    def _run(self, work: Callable[[Connection], _T]) -> _T:
        with self._engine.connect() as conn, conn.begin():
            return work(conn)

    async def aclose(self) -> None:
        """Wait for reads in flight, then close every connection. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._budget = 0.0
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        self._engine.dispose()


def _interrupted(exc: DBAPIError) -> bool:
    return isinstance(exc.orig, sqlite3.OperationalError) and str(exc.orig) == "interrupted"


def _sqlite_on_connect_reader(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    _sqlite_on_connect(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA query_only=ON")


Rows = tuple[tuple[str, ...], Sequence[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binds: tuple[Callable[[Any], Any] | None, ...]
    keys: tuple[str, ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]


_PREPARED: dict[Select[Any], _Prepared] = {}
_PREPARED_MAX = 1024


def _prepare(statement: Select[Any], dialect: Dialect) -> _Prepared:
    prepared = _PREPARED.get(statement)
    if prepared is None:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        columns = list(statement.selected_columns)
        results = [
            (
                i,
                _utc_from_sqlite
                if isinstance(c.type, UtcDateTime)
                else c.type.dialect_impl(dialect).result_processor(dialect, None),
            )
            for i, c in enumerate(columns)
        ]
        prepared = _Prepared(
            sql=str(compiled),
            names=names,
            defaults=dict(compiled.params),
            binds=tuple(
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                for name in names
            ),
            keys=tuple(str(c.key or "") for c in columns),  # plain str, not quoted_name
            results=tuple((i, p) for i, p in results if p is not None),
        )
        if len(_PREPARED) >= _PREPARED_MAX:  # only if statements stop being shared
            _PREPARED.clear()
        _PREPARED[statement] = prepared
    return prepared


def _utc_from_sqlite(value: str | None) -> datetime | None:
    # What UtcDateTime reads back, without the regular expression SQLAlchemy's SQLite
    # DATETIME parses with (most of a page's cost): its storage format is ISO 8601.
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def fetch_rows(conn: Connection, statement: Select[Any], params: dict[str, Any]) -> Rows:
    """Return the column names and rows of ``statement`` with bind values ``params``, the
    values converted by the columns' types exactly as ``conn.execute`` would.

    On SQLite the statement is compiled once and run on the driver connection: for a page
    of rows SQLAlchemy's result machinery costs more than the query. Driver errors are
    raised as SQLAlchemy's ``DBAPIError`` subclasses, as ``conn.execute`` raises them.
    """
    if conn.dialect.name != "sqlite":
        result = conn.execute(statement, params)
        keys = tuple(str(key) for key in result.keys())  # noqa: SIM118 (a Result, not a dict)
        return keys, [tuple(row) for row in result]
    prepared = _prepare(statement, conn.dialect)
    given = {**prepared.defaults, **params}
    values = [
        given[name] if bind is None else bind(given[name])
        for name, bind in zip(prepared.names, prepared.binds, strict=True)
    ]
    driver: sqlite3.Connection | None = conn.connection.driver_connection
    assert driver is not None, "a checked-out SQLite connection has a driver connection"
    try:
        fetched = driver.execute(prepared.sql, values).fetchall()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(prepared.sql, values, exc, sqlite3.Error) from exc
    results = prepared.results
    if results:
        converted = []
        for row in fetched:
            cells = list(row)
            for index, process in results:
                cells[index] = process(cells[index])
            converted.append(tuple(cells))
        fetched = converted
    return prepared.keys, fetched
