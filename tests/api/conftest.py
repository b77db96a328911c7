"""Fixtures for the api store tests: a fresh database per test, on SQLite and on PostgreSQL.

``store_url`` is parametrised so every store test runs on both backends. SQLite gets a new file
under the test's tmp_path. PostgreSQL (``WIREWATCH_TEST_POSTGRES_URL``) gets a new login role
whose only schema, and default ``search_path``, is a schema of its own: the URL differs only in
the user name, so the code under test needs no test-only connection options, and the role and
schema are dropped afterwards. If the server cannot be reached the postgres cases skip, saying so.

``enriched``, ``claim`` and ``mention`` build messages with the real generated protobuf classes;
the store test modules import them from here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from proto import (
    Claim,
    ClaimStatus,
    EnrichedItem,
    Entity,
    Location,
    LocationRelation,
    Mention,
    Movement,
    Polarity,
    RawItem,
    Size,
    Span,
)
from services.api.store import Store

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def postgres_admin_url() -> tuple[str | None, str]:
    """(URL tests administer roles through, or None when unreachable; the reason)."""
    url = os.environ.get("WIREWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    shown = make_url(url).render_as_string()
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        return None, f"PostgreSQL at {shown} unreachable: {exc!r}"
    await conn.close()
    return url, f"PostgreSQL at {shown}"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgres", id="postgres", marks=[pytest.mark.postgres, pytest.mark.integration]
        ),
    ]
)
async def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_admin_url: tuple[str | None, str]
) -> AsyncIterator[str]:
    """URL of an empty database of its own, per test and per backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
        return
    admin_url, reason = postgres_admin_url
    if admin_url is None:
        pytest.skip(reason)
    name = f"wwtest_{uuid.uuid4().hex[:16]}"
    # Bounded waits: a stuck catalogue lock should fail this test, not stall the session.
    admin = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=10, command_timeout=30)
    try:
        await admin.execute(f"CREATE ROLE {name} LOGIN")
        await admin.execute(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
        await admin.execute(f"ALTER ROLE {name} SET search_path = {name}")
        yield make_url(admin_url).set(username=name, password=None).render_as_string(False)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await admin.execute(f"DROP ROLE IF EXISTS {name}")
        await admin.close()


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """A migrated, open store on a fresh database; closed after the test."""
    async with await Store.open(store_url) as opened:
        yield opened


def mention(text: str, canonical_id: str = "", canonical_name: str = "") -> Mention:
    return Mention(text=text, canonical_id=canonical_id, canonical_name=canonical_name)


def claim(
    claim_id: str,
    *,
    actor: Mention | None = None,
    claimant: Mention | None = None,
    place: Mention | None = None,
    movement: Movement.ValueType = Movement.MOVEMENT_BUILDUP,
    polarity: Polarity.ValueType = Polarity.POLARITY_ASSERTED,
    evidence: str = "Troops massed near the border.",
    start: int = 0,
    size: Size | None = None,
) -> Claim:
    """A Claim message; the item_id is filled in by ``enriched``."""
    message = Claim(
        claim_id=claim_id,
        movement=movement,
        polarity=polarity,
        status=ClaimStatus.CLAIM_STATUS_REPORTED,
        evidence=evidence,
        evidence_span=Span(start=start, end=start + len(evidence)),
        confidence=0.87,
        fingerprint=f"{actor.canonical_id if actor else ''}|{movement}|"
        f"{place.canonical_id if place else ''}|{polarity}",
    )
    if actor is not None:
        message.actor.CopyFrom(actor)
    if claimant is not None:
        message.claimant.CopyFrom(claimant)
    if place is not None:
        message.location.CopyFrom(
            Location(place=place, relation=LocationRelation.LOCATION_RELATION_NEAR)
        )
    if size is not None:
        message.size.CopyFrom(size)
    return message


def enriched(
    item_id: str,
    *,
    version: int = 1,
    published_at: datetime | None = T0,
    title: str = "Markets close higher",
    body: str = "Shares rose on Monday.",
    feed_url: str = "https://example.org/world.rss",
    entities: Sequence[tuple[str, str, str]] = (),
    claims: Sequence[Claim] = (),
    extracted_at: datetime | None = None,
) -> EnrichedItem:
    """An EnrichedItem; ``entities`` are (text, label, canonical_id) found in the text."""
    item = RawItem(
        item_id=item_id,
        version=version,
        feed_url=feed_url,
        feed_name="Example World News",
        guid=f"urn:example:{item_id}",
        url=f"https://example.org/news/{item_id}",
        title=title,
        text=body,
        language="en",
        content_hash=f"hash-{item_id}-{version}",
    )
    if published_at is not None:
        item.published_at.FromDatetime(published_at)
    item.fetched_at.FromDatetime(T0 + timedelta(minutes=5))
    text = f"{title}\n\n{body}"
    message = EnrichedItem(item=item, text=text, extractor_version="test+rules.1")
    message.extracted_at.FromDatetime(extracted_at or T0 + timedelta(minutes=6))
    for surface, label, canonical_id in entities:
        start = max(text.find(surface), 0)
        message.entities.append(
            Entity(
                text=surface,
                label=label,
                span=Span(start=start, end=start + len(surface)),
                canonical_id=canonical_id,
                canonical_name=canonical_id and f"name of {canonical_id}",
            )
        )
    for c in claims:
        copy = message.claims.add()
        copy.CopyFrom(c)
        copy.item_id = item_id
    return message
