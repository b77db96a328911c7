"""The api's store: writes enriched items and feed health, reads them back for the HTTP API.

Consumes ``EnrichedItem`` and ``FeedStatus`` messages (delivered at least once, possibly out of
order) and emits response models from ``services.api.models``. Each call is one transaction
(``writes`` holds the upsert logic, ``queries`` the listing SQL); database failures surface
as the store's own errors: ``StoreUnavailable`` when retrying later may help, ``StoreError``
otherwise. Reads are plain functions of a synchronous connection: on SQLite the whole read
runs as one call through ``SqliteReader``, on PostgreSQL through asyncpg.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy import Connection, RowMapping, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from proto import EnrichedItem, FeedStatus
from services.api.models import ClaimOut, FeedOut, ItemDetail, ItemSummary, Page
from services.api.store import queries, rows, writes
from services.api.store.cursor import CursorKind, cut_page, decode_cursor, merge_newest
from services.api.store.engine import (
    WRITER_OPTION,
    SqliteReader,
    create_engine,
    fetch_rows,
    is_unavailable,
)
from services.api.store.errors import MigrationError, StoreError, StoreUnavailable
from services.api.store.migrate import current_revision, head_revision, upgrade
from services.api.store.schema import claims, entities, feeds, items
from services.api.store.writes import UpsertOutcome

__all__ = ["MAX_PAGE_SIZE", "Store", "UpsertOutcome"]

MAX_PAGE_SIZE = 500
_CLAIMS_IN_TEXT_ORDER = (claims.c.evidence_start.asc().nulls_last(), claims.c.claim_id)
_T = TypeVar("_T")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def _wrapped(exc: OSError | SQLAlchemyError) -> StoreError:
    if is_unavailable(exc):
        return StoreUnavailable(f"database unavailable: {exc}")
    return StoreError(f"database error: {exc}")


def _page_size(limit: int) -> int:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return min(limit, MAX_PAGE_SIZE)


class Store:
    """Async store over one database. Use ``await Store.open(url)`` or ``async with``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._reader = SqliteReader(engine.url) if self._dialect == "sqlite" else None
        self._closed = False

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to ``url`` (migrating it to the code's schema first unless ``migrate`` is
        False) and check it answers. Raises ``StoreUnavailable`` when it cannot be reached,
        ``MigrationError`` when, unmigrated, it is not at the code's head revision."""
        if migrate:
            await upgrade(url)
        else:
            try:
                revision = await current_revision(url)
            except (OSError, SQLAlchemyError) as exc:
                raise StoreUnavailable(f"cannot read the schema revision: {exc}") from exc
            if revision != head_revision():
                raise MigrationError(
                    f"database is at revision {revision!r}, the code needs {head_revision()!r}"
                )
        store = cls(create_engine(url))
        try:
            await store.ping()
        except BaseException:
            await store.aclose()
            raise
        return store

    @property
    def closed(self) -> bool:
        """True once ``aclose`` has been called."""
        return self._closed

    async def aclose(self) -> None:
        """Close every pooled connection. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            await self._reader.aclose()
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for the other repositories (alerts, webhooks) sharing this database."""
        return self._engine

    def transaction(self, *, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        """One transaction; errors are wrapped as ``StoreUnavailable`` / ``StoreError``.

        ``write=True`` starts it as a writer (``BEGIN IMMEDIATE`` on SQLite), which every
        transaction that writes must use: SQLite's FTS triggers defeat ``busy_timeout``
        for deferred writers.
        """
        return self._transaction(write=write)

    @asynccontextmanager
    async def _transaction(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        if self._closed:
            raise StoreError("the store is closed")
        try:
            conn = await self._engine.connect()
        except (OSError, SQLAlchemyError) as exc:
            raise StoreUnavailable(f"cannot connect to the database: {exc}") from exc
        try:
            if write:
                await conn.execution_options(**{WRITER_OPTION: True})
            async with conn.begin():
                yield conn
        except (OSError, SQLAlchemyError) as exc:
            raise _wrapped(exc) from exc
        finally:
            await conn.close()

    async def _read(self, work: Callable[[Connection], _T], shape: Hashable | None = None) -> _T:
        """Return ``work(connection)`` run in one read transaction, errors wrapped as in
        ``transaction``; ``shape`` names the kind of read (see ``SqliteReader.run``)."""
        if self._reader is None:
            async with self._transaction() as conn:
                return await conn.run_sync(work)
        if self._closed:
            raise StoreError("the store is closed")
        try:
            return await self._reader.run(work, shape)
        except (OSError, SQLAlchemyError) as exc:
            raise _wrapped(exc) from exc

    async def ping(self) -> None:
        """Return when the database answers a trivial query; raise ``StoreUnavailable``
        (never another error) when it does not."""
        try:
            async with self._transaction() as conn:
                await conn.execute(select(1))
        except StoreUnavailable:
            raise
        except StoreError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def upsert_enriched(self, enriched: EnrichedItem) -> UpsertOutcome:
        """Store ``enriched`` unless the stored copy is as new or newer; return what happened.

        Redelivery of the same message changes no row. A newer ``(version, extracted_at)``
        replaces the item's row and entities and its claims (claims absent from it are
        deleted; claims kept keep their ``created_at``); an older one is ignored. Raises
        ``InvalidMessage`` (writing nothing) when ids are missing.
        """
        async with self._transaction(write=True) as conn:
            return await writes.upsert_enriched(conn, enriched, _now())

    async def upsert_feed_status(self, status: FeedStatus) -> None:
        """Store a feed's health. A status polled earlier than the stored one is ignored, so
        out-of-order delivery cannot roll a feed's health back."""
        async with self._transaction(write=True) as conn:
            await writes.upsert_feed_status(conn, status, _now())

    async def _page_json(self, kind: CursorKind, listing: queries.Listing, size: int) -> bytes:
        """Run ``listing`` (built for ``size + 1`` rows of stored docs) and return its page
        as JSON, built in the same call that reads the rows."""

        def work(conn: Connection) -> bytes:
            if listing.parts:
                keys, fetched = merge_newest(
                    [fetch_rows(conn, part, listing.params) for part in listing.parts], size + 1
                )
            else:
                keys, fetched = fetch_rows(conn, listing.statement, listing.params)
            page, next_cursor = cut_page(kind, keys, fetched, size)
            return rows.docs_page_json(keys, page, next_cursor)

        return await self._read(work, listing.statement)

    async def list_items_json(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        feed: str | None = None,
        entity: str | None = None,
        has_claims: bool | None = None,
        q: str | None = None,
    ) -> bytes:
        """``list_items``' page as ``Page[ItemSummary]`` JSON, built without the models (the
        HTTP API's path)."""
        size = _page_size(limit)
        query = queries.items_page(
            self._dialect,
            position=None if cursor is None else decode_cursor("items", cursor),
            limit=size + 1,
            since=_aware(since, "since"),
            until=_aware(until, "until"),
            feed=feed,
            entity=entity,
            has_claims=has_claims,
            q=q,
        )
        return await self._page_json("items", query, size)

    async def list_items(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        feed: str | None = None,
        entity: str | None = None,
        has_claims: bool | None = None,
        q: str | None = None,
    ) -> Page[ItemSummary]:
        """Return up to ``limit`` (capped at ``MAX_PAGE_SIZE``) items, newest first, matching
        every given filter: ``since`` <= published_at < ``until``; ``feed`` = feed URL;
        ``entity`` = an entity's canonical id or text, case-insensitively; ``q`` = every word
        in the title or text (stemmed). Following ``next_cursor`` yields each item once.
        Raises ``InvalidCursor`` for a cursor not issued by ``list_items``."""
        page = await self.list_items_json(
            limit=limit,
            cursor=cursor,
            since=since,
            until=until,
            feed=feed,
            entity=entity,
            has_claims=has_claims,
            q=q,
        )
        return Page[ItemSummary].model_validate_json(page)

    async def get_item(self, item_id: str) -> ItemDetail | None:
        """Return the item with its entities and claims (in text order), or None if unknown."""

        def fetch(conn: Connection) -> ItemDetail | None:
            item = conn.execute(select(items).where(items.c.item_id == item_id)).mappings().first()
            if item is None:
                return None
            mentioned = select(entities).where(entities.c.item_id == item_id)
            found_entities = conn.execute(mentioned.order_by(entities.c.idx)).mappings().all()
            claimed = select(claims).where(claims.c.item_id == item_id)
            found_claims = conn.execute(claimed.order_by(*_CLAIMS_IN_TEXT_ORDER)).mappings().all()
            return rows.item_detail(item, found_entities, found_claims)

        return await self._read(fetch)

    async def list_claims_json(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        actor: str | None = None,
        claimant: str | None = None,
        movement: str | None = None,
        polarity: str | None = None,
        location: str | None = None,
        since: datetime | None = None,
    ) -> bytes:
        """``list_claims``' page as ``Page[ClaimOut]`` JSON, built without the models (the
        HTTP API's path)."""
        size = _page_size(limit)
        query = queries.claims_page(
            position=None if cursor is None else decode_cursor("claims", cursor),
            limit=size + 1,
            actor=actor,
            claimant=claimant,
            movement=movement,
            polarity=polarity,
            location=location,
            since=_aware(since, "since"),
        )
        return await self._page_json("claims", query, size)

    async def list_claims(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        actor: str | None = None,
        claimant: str | None = None,
        movement: str | None = None,
        polarity: str | None = None,
        location: str | None = None,
        since: datetime | None = None,
    ) -> Page[ClaimOut]:
        """Return up to ``limit`` claims, newest item first, matching every given filter:
        ``actor``/``claimant``/``location`` = canonical id ("RUS") or text, case-insensitively;
        ``movement``/``polarity`` = short name ("advance", "denied"); published_at >= ``since``.
        Raises ``InvalidCursor`` for a cursor not issued by ``list_claims``."""
        page = await self.list_claims_json(
            limit=limit,
            cursor=cursor,
            actor=actor,
            claimant=claimant,
            movement=movement,
            polarity=polarity,
            location=location,
            since=since,
        )
        return Page[ClaimOut].model_validate_json(page)

    async def get_claim(self, claim_id: str) -> ClaimOut | None:
        """Return the claim, or None if unknown."""

        def fetch(conn: Connection) -> RowMapping | None:
            query = select(claims).where(claims.c.claim_id == claim_id)
            return conn.execute(query).mappings().first()

        row = await self._read(fetch)
        return None if row is None else rows.claim_out(row)

    async def list_feeds(self) -> list[FeedOut]:
        """Return every feed's latest health, ordered by feed URL."""

        def fetch(conn: Connection) -> list[RowMapping]:
            return list(conn.execute(select(feeds).order_by(feeds.c.feed_url)).mappings())

        return [rows.feed_out(r) for r in await self._read(fetch)]

    async def counts(self) -> dict[str, int]:
        """Return the number of rows in each table, read in one snapshot where supported."""
        tables = (items, entities, claims, feeds)
        query = select(
            *(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables)
        )

        def fetch(conn: Connection) -> RowMapping:
            return conn.execute(query).mappings().one()

        row = await self._read(fetch)
        return {t.name: int(row[t.name]) for t in tables}
