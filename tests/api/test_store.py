"""Store writes and lifecycle, on SQLite and PostgreSQL: migrations, idempotent upserts,
version replacement, feed status, errors."""

from __future__ import annotations

import asyncio
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning

from proto import FeedState, FeedStatus, Size
from services.api.store import (
    InvalidMessage,
    MigrationError,
    Store,
    StoreError,
    StoreUnavailable,
    create_engine,
    current_revision,
    head_revision,
    upgrade,
)
from services.api.store.migrate import alembic_config, include_name
from services.api.store.schema import metadata
from tests.api.conftest import T0, claim, enriched, mention

RUS = mention("Russian", "RUS", "Russia")
UKR = mention("Ukraine", "UKR", "Ukraine")
EMPTY_COUNTS = {"items": 0, "entities": 0, "claims": 0, "feeds": 0}


def troop_item(item_id: str = "item-1", **kwargs: object) -> object:
    defaults: dict[str, object] = {
        "title": "Troops mass near border",
        "body": "Ukraine said Russian troops massed near the border.",
        "entities": [("Ukraine", "GPE", "UKR"), ("Russian", "NORP", "RUS")],
        "claims": [
            claim("c-1", actor=RUS, claimant=UKR, place=mention("the border")),
            claim("c-2", actor=RUS, evidence="Tanks arrived.", start=40),
        ],
    }
    defaults.update(kwargs)
    return enriched(item_id, **defaults)  # type: ignore[arg-type]


async def test_migrations_apply_to_an_empty_database_and_rerun_as_no_ops(store_url: str) -> None:
    assert await current_revision(store_url) is None
    await upgrade(store_url)
    await upgrade(store_url)
    assert await current_revision(store_url) == head_revision()
    async with await Store.open(store_url) as store:
        assert await store.counts() == EMPTY_COUNTS


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"include_name": include_name, "compare_type": True}
    )
    with warnings.catch_warnings():
        # SQLite reflection cannot read expression indexes (lower(col)); it says so and skips.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_tables_the_code_uses(store_url: str) -> None:
    """schema.py and the migrations cannot drift apart unnoticed."""
    await upgrade(store_url)
    engine = create_engine(store_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_schema_diff) == []
    finally:
        await engine.dispose()


async def test_open_without_migrating_refuses_an_unmigrated_database(store_url: str) -> None:
    with pytest.raises(MigrationError, match="revision None"):
        await Store.open(store_url, migrate=False)
    await upgrade(store_url)
    async with await Store.open(store_url, migrate=False) as store:
        await store.ping()


async def test_redelivering_the_same_message_changes_no_rows(store: Store) -> None:
    message = troop_item()
    first = await store.upsert_enriched(message)
    counts = await store.counts()
    second = await store.upsert_enriched(message)
    assert first.status == "inserted"
    assert first.new_claim_ids == ("c-1", "c-2")
    assert second.status == "ignored"
    assert second.new_claim_ids == ()
    assert await store.counts() == counts == {"items": 1, "entities": 2, "claims": 2, "feeds": 0}


async def test_newer_version_replaces_entities_and_claims(store: Store) -> None:
    await store.upsert_enriched(troop_item())
    before = await store.get_claim("c-2")
    await asyncio.sleep(0.002)  # so a rewritten created_at would differ
    v2 = troop_item(
        version=2,
        title="Troops withdraw",
        entities=[("Russian", "NORP", "RUS")],
        claims=[claim("c-2", actor=RUS, evidence="Tanks arrived.", start=40), claim("c-3")],
    )
    outcome = await store.upsert_enriched(v2)
    assert outcome.status == "replaced"
    assert outcome.new_claim_ids == ("c-3",)
    assert await store.counts() == {"items": 1, "entities": 1, "claims": 2, "feeds": 0}
    detail = await store.get_item("item-1")
    assert detail is not None
    assert (detail.version, detail.title, detail.claims_count) == (2, "Troops withdraw", 2)
    assert [c.claim_id for c in detail.claims] == ["c-3", "c-2"]  # text order
    assert await store.get_claim("c-1") is None
    kept = await store.get_claim("c-2")
    assert before is not None
    assert kept is not None
    assert kept.created_at == before.created_at


async def test_older_version_arriving_late_is_ignored(store: Store) -> None:
    await store.upsert_enriched(troop_item(version=3, title="Third"))
    outcome = await store.upsert_enriched(troop_item(version=2, title="Second", claims=[]))
    assert outcome.status == "ignored"
    detail = await store.get_item("item-1")
    assert detail is not None
    assert (detail.version, detail.title, len(detail.claims)) == (3, "Third", 2)


async def test_same_version_extracted_again_later_replaces(store: Store) -> None:
    await store.upsert_enriched(troop_item())
    again = troop_item(claims=[claim("c-9")], extracted_at=T0 + timedelta(hours=1))
    outcome = await store.upsert_enriched(again)
    assert (outcome.status, outcome.new_claim_ids) == ("replaced", ("c-9",))
    assert (await store.counts())["claims"] == 1


async def test_duplicate_claim_ids_in_one_message_are_stored_once(store: Store) -> None:
    outcome = await store.upsert_enriched(troop_item(claims=[claim("c-1"), claim("c-1")]))
    assert outcome.new_claim_ids == ("c-1",)
    detail = await store.get_item("item-1")
    assert detail is not None
    assert detail.claims_count == 1


async def test_item_fields_round_trip_with_aware_utc_timestamps(store: Store) -> None:
    size = Size(text="20,000 troops", min=20000, max=20000, unit="troops")
    await store.upsert_enriched(troop_item(claims=[claim("c-1", actor=RUS, size=size)]))
    detail = await store.get_item("item-1")
    assert detail is not None
    assert detail.published_at == T0
    assert detail.published_at.utcoffset() == timedelta(0)
    assert detail.fetched_at == T0 + timedelta(minutes=5)
    assert (
        detail.text
        == "Troops mass near border\n\nUkraine said Russian troops massed near the border."
    )
    assert [(e.text, e.canonical_id) for e in detail.entities] == [
        ("Ukraine", "UKR"),
        ("Russian", "RUS"),
    ]
    assert detail.text[detail.entities[0].start : detail.entities[0].end] == "Ukraine"
    stored = detail.claims[0]
    assert stored.actor is not None
    assert stored.actor.canonical_id == "RUS"
    assert stored.claimant is None
    assert stored.location is None
    assert stored.size is not None
    assert (stored.size.min, stored.size.unit) == (20000, "troops")
    assert (stored.movement, stored.polarity, stored.status) == ("buildup", "asserted", "reported")
    assert stored.confidence == pytest.approx(0.87)


async def test_item_without_a_date_is_stored_at_fetch_time_marked_estimated(store: Store) -> None:
    await store.upsert_enriched(enriched("undated", published_at=None))
    detail = await store.get_item("undated")
    assert detail is not None
    assert detail.published_at == T0 + timedelta(minutes=5)
    assert detail.published_at_estimated is True


async def test_messages_without_ids_are_rejected(store: Store) -> None:
    with pytest.raises(InvalidMessage):
        await store.upsert_enriched(enriched(""))
    with pytest.raises(InvalidMessage):
        await store.upsert_enriched(enriched("x", claims=[claim("")]))
    with pytest.raises(InvalidMessage):
        await store.upsert_feed_status(FeedStatus())
    assert await store.counts() == EMPTY_COUNTS


def feed_status(polled: datetime, state: FeedState.ValueType, errors: int) -> FeedStatus:
    status = FeedStatus(
        feed_url="https://example.org/world.rss",
        feed_name="Example World News",
        state=state,
        consecutive_errors=errors,
        items_seen=12,
        not_modified_ratio=0.5,
        last_http_status=200,
        polls=40,
    )
    status.last_poll_at.FromDatetime(polled)
    return status


async def test_feed_status_upserts_and_ignores_an_older_poll(store: Store) -> None:
    await store.upsert_feed_status(feed_status(T0, FeedState.FEED_STATE_OK, 0))
    await store.upsert_feed_status(
        feed_status(T0 + timedelta(minutes=5), FeedState.FEED_STATE_ERRORING, 2)
    )
    await store.upsert_feed_status(
        feed_status(T0 + timedelta(minutes=1), FeedState.FEED_STATE_OK, 0)
    )
    [feed] = await store.list_feeds()
    assert (feed.state, feed.consecutive_errors) == ("erroring", 2)
    assert feed.last_poll_at == T0 + timedelta(minutes=5)
    assert feed.last_success_at is None
    assert feed.last_error_class is None
    assert (await store.counts())["feeds"] == 1


async def test_concurrent_upserts_all_land(store: Store) -> None:
    """Writers racing on one database wait for each other instead of failing ("locked")."""
    messages = [troop_item(f"item-{n}", claims=[claim(f"c-{n}")]) for n in range(20)]
    outcomes = await asyncio.gather(*(store.upsert_enriched(m) for m in messages))
    assert {o.status for o in outcomes} == {"inserted"}
    assert (await store.counts())["claims"] == 20


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(store_url: str) -> None:
    if not store_url.startswith("sqlite"):
        pytest.skip("SQLite PRAGMAs do not apply to PostgreSQL")
    engine = create_engine(store_url)
    try:
        async with engine.connect() as conn:
            pragmas = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 5000, 1]


async def test_postgres_search_uses_the_gin_index(store: Store, store_url: str) -> None:
    """The query repeats the index expression exactly; otherwise search is a sequential scan."""
    if not store_url.startswith("postgresql"):
        pytest.skip("GIN index plans are PostgreSQL-only; SQLite searches through FTS5")
    from services.api.store import queries

    query = queries.item_filters(
        "postgresql", since=None, until=None, feed=None, entity=None, has_claims=None, q="troops"
    )
    engine = create_engine(store_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SET enable_seqscan = off"))
            compiled = query.compile(conn.sync_engine, compile_kwargs={"literal_binds": True})
            plan = (await conn.exec_driver_sql(f"EXPLAIN {compiled}")).scalars().all()
    finally:
        await engine.dispose()
    assert any("ix_items_search" in line for line in plan), plan


async def test_aclose_is_idempotent_and_a_closed_store_refuses_work(store_url: str) -> None:
    store = await Store.open(store_url)
    await store.aclose()
    await store.aclose()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        await store.counts()


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql+asyncpg://postgres@127.0.0.1:1/test", id="postgres-refused"),
        pytest.param("sqlite+aiosqlite:///{tmp}/missing-dir/store.db", id="sqlite-no-dir"),
    ],
)
async def test_unreachable_database_raises_store_unavailable(url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await Store.open(url.format(tmp=tmp_path))
    assert caught.value.retriable
    assert caught.value.__cause__ is not None


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.list_items(since=datetime(2026, 1, 1))
    assert (await store.list_items(since=datetime(2026, 1, 1, tzinfo=UTC))).items == []


def test_alembic_commands_work_without_a_shared_connection(tmp_path: Path) -> None:
    """The alembic command path (env.py opening its own engine) migrates too."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    command.upgrade(alembic_config(url), "head")
    assert asyncio.run(current_revision(url)) == head_revision()
