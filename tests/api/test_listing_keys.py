"""Items' listing keys (``items.id``): their arithmetic, how the writer assigns them, and the
migration that renumbered the items stored before them. Store cases run on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from services.api.store import Store, sortkey
from services.api.store.engine import WRITER_OPTION, create_engine
from services.api.store.migrate import alembic_config
from tests.api.conftest import T0, claim, enriched

_TIMES = st.datetimes(
    min_value=datetime(1800, 1, 1), max_value=datetime(2400, 1, 1), timezones=st.just(UTC)
)
MS = timedelta(milliseconds=1)


@given(st.lists(st.tuples(_TIMES, st.integers(0, 5)), min_size=2, max_size=30))
def test_keys_sort_like_publication_millisecond_then_arrival(
    found: list[tuple[datetime, int]],
) -> None:
    in_span = [
        (t, tie) for t, tie in found if sortkey.MIN_MS <= sortkey.floor_ms(t) <= sortkey.MAX_MS
    ]
    by_key = sorted(in_span, key=lambda f: sortkey.listing_key(sortkey.floor_ms(f[0]), f[1]))
    assert [(sortkey.truncate(t), tie) for t, tie in by_key] == sorted(
        (sortkey.truncate(t), tie) for t, tie in in_span
    )


@given(_TIMES, _TIMES)
def test_time_bounds_as_keys_are_exact_or_refused(published: datetime, bound: datetime) -> None:
    stored = sortkey.truncate(published)
    key = sortkey.listing_key(sortkey.floor_ms(stored), 0)
    since, until = sortkey.key_from(bound), sortkey.key_before(bound)
    inside = sortkey.MIN_MS < sortkey.ceil_ms(bound) <= sortkey.MAX_MS
    assert (since is not None) == inside
    assert (until is not None) == inside
    if since is not None and until is not None:
        assert (key >= since) == (stored >= bound)
        assert (key < until) == (stored < bound)


def test_truncate_keeps_milliseconds_and_the_zone() -> None:
    assert sortkey.truncate(datetime(2026, 1, 1, 0, 0, 0, 123999, tzinfo=UTC)) == datetime(
        2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC
    )


def test_publication_times_outside_the_span_key_as_its_edges() -> None:
    far = datetime(9999, 1, 1, tzinfo=UTC)
    assert sortkey.bucket(far)[0] == sortkey.listing_key(sortkey.MAX_MS, 0)
    assert sortkey.bucket(far)[1] <= 2**63 - 1
    assert sortkey.bucket(datetime(1, 1, 1, tzinfo=UTC))[0] == -(2**61)
    with pytest.raises(ValueError, match="tie"):
        sortkey.listing_key(0, 1 << sortkey.TIE_BITS)


async def _keys(store: Store) -> dict[str, int]:
    async with store.transaction() as conn:
        found = await conn.execute(text("SELECT item_id, id FROM items"))
        return {row.item_id: row.id for row in found}


async def test_items_of_one_millisecond_list_in_arrival_order(store: Store) -> None:
    """Items published in the same millisecond take consecutive keys in arrival order, and
    the listing shows the later arrival first; sub-millisecond times are cut."""
    for n in range(5):
        await store.upsert_enriched(
            enriched(f"same-{n}", published_at=T0 + n * timedelta(microseconds=150))
        )
    keys = await _keys(store)
    low, _ = sortkey.bucket(T0)
    assert [keys[f"same-{n}"] for n in range(5)] == [low + n for n in range(5)]
    page = await store.list_items(limit=10)
    assert [i.item_id for i in page.items] == [f"same-{n}" for n in reversed(range(5))]
    assert {i.published_at for i in page.items} == {T0}


async def test_a_new_version_keeps_its_place_unless_its_time_moved(store: Store) -> None:
    """A new version published at the same time keeps its key; one published at another time
    moves to that time's place, in the listing and in full-text search alike."""
    await store.upsert_enriched(enriched("a", published_at=T0, title="Troops massed"))
    await store.upsert_enriched(enriched("b", published_at=T0 + MS, title="Troops left"))
    before = await _keys(store)
    await store.upsert_enriched(
        enriched("a", version=2, published_at=T0, title="Troops massed again")
    )
    assert await _keys(store) == before
    await store.upsert_enriched(
        enriched("a", version=3, published_at=T0 + 2 * MS, title="Troops massed at last")
    )
    moved = await _keys(store)
    assert moved["a"] == sortkey.bucket(T0 + 2 * MS)[0]
    assert [i.item_id for i in (await store.list_items()).items] == ["a", "b"]
    found = await store.list_items(q="troops")
    assert [(i.item_id, i.version) for i in found.items] == [("a", 3), ("b", 1)]
    assert [i.item_id for i in (await store.list_items(q="again")).items] == []
    assert [i.item_id for i in (await store.list_items(q="last")).items] == ["a"]


async def test_concurrent_writers_of_one_millisecond_take_distinct_keys(store_url: str) -> None:
    """Two stores writing items of the same millisecond at once (two api consumers on one
    database) never pick the same key, and every item lists once."""
    async with await Store.open(store_url) as one, await Store.open(store_url) as two:

        async def write(store: Store, prefix: str) -> None:
            for n in range(15):
                await store.upsert_enriched(enriched(f"{prefix}-{n}", published_at=T0))

        await asyncio.gather(write(one, "x"), write(two, "y"))
        keys = await _keys(one)
        assert len(set(keys.values())) == 30
        low, high = sortkey.bucket(T0)
        assert all(low <= key < high for key in keys.values())
        seen: list[str] = []
        cursor = None
        while True:
            page = await one.list_items(limit=7, cursor=cursor)
            seen += [i.item_id for i in page.items]
            if (cursor := page.next_cursor) is None:
                break
        assert sorted(seen) == sorted(keys)


async def test_migration_renumbers_items_stored_before_listing_keys(store_url: str) -> None:
    """Items stored by revision 0004 (arrival ids, microsecond times) come out of the
    upgrade keyed in listing order, their times and their claims' cut to the millisecond,
    and still found by full-text search."""
    engine = create_engine(store_url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**{WRITER_OPTION: True})
            async with conn.begin():
                await conn.run_sync(_upgrade_to, "0004")
    finally:
        await engine.dispose()
    stored = [  # (old id, item, published): arrival order differs from publication order
        (1, "late", T0 + timedelta(minutes=1, microseconds=700)),
        (2, "early", T0),
        (3, "tie", T0 + timedelta(minutes=1, microseconds=300)),
    ]
    engine = create_engine(store_url)
    try:
        async with engine.begin() as conn:
            for old_id, item_id, published in stored:
                await conn.execute(
                    text(
                        "INSERT INTO items (id, item_id, version, feed_url, feed_name, title, "
                        "text, published_at, published_at_estimated, claims_count, stored_at, "
                        "updated_at) VALUES (:id, :item_id, 1, 'f', 'F', :title, 'body', :p, "
                        "false, 1, :p, :p)"
                    ),
                    {
                        "id": old_id,
                        "item_id": item_id,
                        "title": f"Troops {item_id}",
                        "p": _bound(conn, published),
                    },
                )
                await conn.execute(
                    text(
                        "INSERT INTO claims (claim_id, item_id, movement, polarity, status, "
                        "evidence, confidence, fingerprint, published_at, created_at, "
                        "updated_at) VALUES (:c, :item_id, 'buildup', 'asserted', 'reported', "
                        "'e', 0.5, 'f', :p, :p, :p)"
                    ),
                    {"c": f"c-{item_id}", "item_id": item_id, "p": _bound(conn, published)},
                )
            if conn.dialect.name == "sqlite":
                await conn.execute(text("INSERT INTO items_fts(items_fts) VALUES ('rebuild')"))
    finally:
        await engine.dispose()

    async with await Store.open(store_url) as store:
        keys = await _keys(store)
        minute = T0 + timedelta(minutes=1)
        assert keys == {
            "early": sortkey.bucket(T0)[0],
            "late": sortkey.bucket(minute)[0],
            "tie": sortkey.bucket(minute)[0] + 1,
        }
        listed = await store.list_items()
        assert [(i.item_id, i.published_at) for i in listed.items] == [
            ("tie", minute),
            ("late", minute),
            ("early", T0),
        ]
        assert [i.item_id for i in (await store.list_items(q="troops")).items] == [
            "tie",
            "late",
            "early",
        ]
        claims = await store.list_claims()
        assert {c.claim_id: c.published_at for c in claims.items} == {
            "c-tie": minute,
            "c-late": minute,
            "c-early": T0,
        }
        for shown in claims.items:  # docs rendered by migration 0006 from the renumbered rows
            assert shown == await store.get_claim(shown.claim_id)
        await store.upsert_enriched(enriched("new", published_at=minute, claims=[claim("c-new")]))
        assert (await _keys(store))["new"] == sortkey.bucket(minute)[0] + 2


def _upgrade_to(connection: object, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _bound(conn: object, value: datetime) -> object:
    # Raw SQL bypasses the column types: SQLite stores naive UTC text, PostgreSQL takes aware.
    dialect = conn.dialect.name  # type: ignore[attr-defined]
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else value
