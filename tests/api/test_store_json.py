"""The listings' JSON, built straight from rows, is exactly what the response models
would serialise, on SQLite and PostgreSQL (times with and without microseconds, nulls,
nested parties and sizes, the cursor)."""

from __future__ import annotations

from datetime import timedelta

from proto import Size
from services.api.models import ClaimOut, ItemSummary, Page
from services.api.store import Store
from tests.api.conftest import T0, claim, enriched, mention


async def _fill(store: Store) -> None:
    for n in range(7):
        published = T0 + timedelta(hours=n, microseconds=250_000 * (n % 2))
        claims = [
            claim(
                f"c-{n}",
                actor=mention("Russian troops", "RUS", "Russia") if n % 3 else None,
                claimant=mention("officials") if n % 2 else None,
                place=mention("Kursk", "Q4095", "Kursk") if n % 2 == 0 else None,
                size=Size(text="20,000 troops", min=20000, max=20000.5, unit="troops")
                if n == 5
                else None,
            )
        ]
        await store.upsert_enriched(
            enriched(f"item-{n}", published_at=published, claims=claims if n % 4 else [])
        )


async def test_item_pages_are_the_models_json(store: Store) -> None:
    await _fill(store)
    cursor = None
    pages = 0
    while True:
        raw = await store.list_items_json(limit=3, cursor=cursor)
        page = Page[ItemSummary].model_validate_json(raw)
        assert raw == page.model_dump_json().encode()
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3


async def test_claim_pages_are_the_models_json(store: Store) -> None:
    await _fill(store)
    for filters in ({}, {"actor": "rus"}, {"location": "Kursk"}, {"claimant": "officials"}):
        raw = await store.list_claims_json(limit=2, **filters)
        page = Page[ClaimOut].model_validate_json(raw)
        assert page.items, filters
        assert raw == page.model_dump_json().encode()
    sized = await store.list_claims(limit=10)
    assert [c.size.max for c in sized.items if c.size] == [20000.5]


async def test_listed_claims_are_their_rows_also_after_a_new_version(store: Store) -> None:
    """A claim's stored listing doc says what its columns say (``get_claim``), and a new
    version of its item rewrites it with the new evidence and the first ``created_at``."""
    await _fill(store)
    listed = (await store.list_claims(limit=50)).items
    assert listed
    for shown in listed:
        assert shown == await store.get_claim(shown.claim_id)
    first = await store.get_claim("c-5")
    assert first is not None
    newer = claim("c-5", actor=mention("Russian troops", "RUS", "Russia"), evidence="Troops left.")
    await store.upsert_enriched(
        enriched(
            "item-5",
            version=2,
            published_at=T0 + timedelta(hours=5, microseconds=250_000),
            claims=[newer],
        )
    )
    (shown,) = [c for c in (await store.list_claims(limit=50)).items if c.claim_id == "c-5"]
    assert shown == await store.get_claim("c-5")
    assert shown.evidence == "Troops left."
    assert shown.created_at == first.created_at
