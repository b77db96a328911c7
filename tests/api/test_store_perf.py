"""The store's fast read path: index-ordered query plans, the union of a party filter's two
halves, the search page read off the full-text index in listing order, the SQLite
driver-level fetch and its read-only reader threads. Correctness cases run on SQLite and
PostgreSQL; plan and driver cases are SQLite's own."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import OperationalError

from proto import Claim
from services.api.store import Store, queries
from services.api.store.engine import SqliteReader, fetch_rows
from tests.api.conftest import T0, claim, enriched, mention

M = timedelta(minutes=1)
_ITEM_FILTERS: dict[str, Any] = dict(
    since=None, until=None, feed=None, entity=None, has_claims=None, q=None
)
_CLAIM_FILTERS: dict[str, Any] = dict(
    actor=None, claimant=None, movement=None, polarity=None, location=None, since=None
)


def _actor(n: int) -> Claim:
    """Every third claim names Russia by id only, every third by text only, the rest
    someone else: a filter on "rus" must merge both halves."""
    kind = n % 3
    if kind == 0:
        return claim(f"c-{n:03}", actor=mention("Russian forces", "RUS", "Russia"))
    if kind == 1:
        return claim(f"c-{n:03}", actor=mention("rus"))
    return claim(f"c-{n:03}", actor=mention("Belarusian troops", "BLR", "Belarus"))


def _arrival_order() -> list[int]:
    order = list(range(30))
    random.Random(5).shuffle(order)
    return order


@pytest.fixture
async def shuffled(store: Store) -> Store:
    """30 items stored in random order (late arrivals: row ids do not follow publication
    time), half of them about troops, each with one claim; two share a publication time."""
    for n in _arrival_order():
        about = "Troops massed near the border" if n % 2 == 0 else "Markets closed higher"
        published = T0 + (n if n != 29 else 28) * M
        await store.upsert_enriched(
            enriched(f"item-{n:03}", published_at=published, title=about, claims=[_actor(n)])
        )
    return store


async def _all_pages(fetch: Any, **filters: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = await fetch(limit=4, cursor=cursor, **filters)
        seen += [getattr(row, "claim_id", None) or row.item_id for row in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


def _newest_first(pairs: list[tuple[Any, str]]) -> list[str]:
    return [key for _, key in sorted(pairs, reverse=True)]


async def test_party_filter_pages_through_id_and_text_matches_in_order(shuffled: Store) -> None:
    """Claims matching "rus" by canonical id or by text come once each, newest first, across
    pages smaller than either half."""
    expected = _newest_first([(n if n != 29 else 28, f"c-{n:03}") for n in range(30) if n % 3 != 2])
    assert await _all_pages(shuffled.list_claims, actor="rus") == expected


@pytest.mark.parametrize(
    ("filters", "wanted"),
    [
        pytest.param({}, lambda n: True, id="search-only"),
        pytest.param({"since": T0 + 10 * M}, lambda n: n >= 10, id="search-since"),
        pytest.param({"until": T0 + 20 * M}, lambda n: n < 20, id="search-until"),
    ],
)
async def test_search_pages_in_publication_order_whatever_the_arrival_order(
    shuffled: Store, filters: dict[str, Any], wanted: Any
) -> None:
    """Search hits come newest first by publication time, each once, though stored out of
    order; of two published together, the later arrival first."""
    arrival = _arrival_order()
    expected = _newest_first(
        [
            ((n if n != 29 else 28, arrival.index(n)), f"item-{n:03}")
            for n in range(30)
            if n % 2 == 0 and wanted(n)
        ]
    )
    assert await _all_pages(shuffled.list_items, q="troops", **filters) == expected


def _sqlite_only(store_url: str) -> str:
    if not store_url.startswith("sqlite"):
        pytest.skip("SQLite's query plans and driver-level fetch")
    return store_url.replace("sqlite+aiosqlite", "sqlite+pysqlite")


_LISTINGS = [
    pytest.param(
        lambda: queries.items_page("sqlite", position=None, limit=5, **_ITEM_FILTERS),
        ["SCAN item_docs"],  # the rowid is the listing key: read backwards, stop after a page
        id="items-newest",
    ),
    pytest.param(
        lambda: queries.claims_page(position=None, limit=5, **{**_CLAIM_FILTERS, "actor": "rus"}),
        ["ix_claims_lower_actor_id_published_at", "ix_claims_lower_actor_text_published_at"],
        id="claims-by-actor",
    ),
    pytest.param(
        lambda: queries.items_page(
            "sqlite", position=None, limit=5, **{**_ITEM_FILTERS, "q": "troops"}
        ),
        ["SCAN items_fts VIRTUAL TABLE"],  # hits come off the doclist in listing order
        id="items-search",
    ),
]


@pytest.mark.parametrize(("listing", "indexes"), _LISTINGS)
async def test_sqlite_listings_read_indexes_in_order(
    shuffled: Store, store_url: str, listing: Any, indexes: list[str]
) -> None:
    """Each listing reads its index(es) in listing order: no scan of a whole table and,
    where a page comes straight off one index, no sort of every match."""
    engine = create_sync_engine(_sqlite_only(store_url))
    built = listing()
    plan: list[str] = []
    try:
        with engine.connect() as conn:
            # What runs: the parts when the listing has them, else the one statement.
            for statement in built.parts or (built.statement,):
                bound = statement.params(built.params)
                sql = str(bound.compile(conn, compile_kwargs={"literal_binds": True}))
                plan += [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    finally:
        engine.dispose()
    assert all(any(index in line for line in plan) for index in indexes), plan
    assert not any(line.startswith("SCAN claims") and "INDEX" not in line for line in plan)
    if len(indexes) == 1:
        assert not any("TEMP B-TREE" in line for line in plan), plan


@pytest.mark.parametrize(("listing", "indexes"), _LISTINGS)
async def test_driver_fetch_returns_what_sqlalchemy_returns(
    shuffled: Store, store_url: str, listing: Any, indexes: list[str]
) -> None:
    """The SQLite driver-level fetch yields the same columns and values, converted by the
    same types, as executing through SQLAlchemy; listed docs come as their UTF-8 bytes."""
    engine = create_sync_engine(_sqlite_only(store_url))
    built = listing()
    try:
        with engine.connect() as conn:
            keys, fetched = fetch_rows(conn, built.statement, built.params)
            result = conn.execute(built.statement, built.params)
            expected_keys, expected = tuple(result.keys()), [tuple(r) for r in result]
    finally:
        engine.dispose()
    assert (keys, list(fetched)) == (expected_keys, expected)
    assert fetched
    assert all(isinstance(row[keys.index("doc")], bytes) for row in fetched)


async def test_sqlite_reader_connections_refuse_writes(store: Store, store_url: str) -> None:
    """Reads run on query-only connections: a write slipped into a read fails."""
    _sqlite_only(store_url)
    reader = SqliteReader(store_url)
    try:
        assert await reader.run(lambda conn: conn.exec_driver_sql("SELECT 1").scalar()) == 1
        with pytest.raises(OperationalError, match="readonly"):
            await reader.run(lambda conn: conn.exec_driver_sql("DELETE FROM items"))
    finally:
        await reader.aclose()
        await reader.aclose()
