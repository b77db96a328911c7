"""Store reads, on SQLite and PostgreSQL: item and claim filters, full-text search, keyset
pagination under concurrent inserts, lookups and cursor validation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from proto import Movement, Polarity
from services.api.store import InvalidCursor, Store
from tests.api.conftest import T0, claim, enriched, mention

H = timedelta(hours=1)
FEED_A = "https://a.example.org/rss"
FEED_B = "https://b.example.org/rss"
RUS = mention("Russian", "RUS", "Russia")


@pytest.fixture
async def corpus(store: Store) -> Store:
    """Five items over two feeds; three carry claims."""
    messages = [
        enriched(
            "troops-1",
            published_at=T0 + H,
            feed_url=FEED_A,
            title="Troops mass near border",
            body="Ukraine said Russian troops massed near Belgorod.",
            entities=[("Ukraine", "GPE", "UKR"), ("Russian", "NORP", "RUS")],
            claims=[
                claim(
                    "c-1",
                    actor=RUS,
                    claimant=mention("Ukraine", "UKR", "Ukraine"),
                    place=mention("Belgorod", "Q1234", "Belgorod"),
                )
            ],
        ),
        enriched(
            "withdraw-2",
            published_at=T0 + 2 * H,
            feed_url=FEED_B,
            title="Moscow denies pullback",
            body="The Kremlin denied that its troops withdrew from Kursk.",
            entities=[("Kremlin", "ORG", "Q42000"), ("Kursk", "GPE", "Q4095")],
            claims=[
                claim(
                    "c-2",
                    actor=mention("Russian forces", "RUS", "Russia"),
                    claimant=mention("The Kremlin", "RUS", "Russia"),
                    place=mention("Kursk", "Q4095", "Kursk"),
                    movement=Movement.MOVEMENT_WITHDRAW,
                    polarity=Polarity.POLARITY_DENIED,
                )
            ],
        ),
        enriched("markets-3", published_at=T0 + 3 * H, feed_url=FEED_A),
        enriched(
            "weather-4",
            published_at=T0,
            feed_url=FEED_B,
            title="Storm hits coast",
            body="Heavy rain flooded roads in Odesa.",
            entities=[("Odesa", "GPE", "Q1874")],
        ),
        enriched(
            "nato-5",
            published_at=T0 + 4 * H,
            feed_url=FEED_A,
            title="NATO deploys battalion",
            body="NATO said it will deploy a battalion to Estonia.",
            entities=[("NATO", "ORG", "Q7184"), ("Estonia", "GPE", "EST")],
            claims=[
                claim(
                    "c-5",
                    actor=mention("NATO", "Q7184", "NATO"),
                    claimant=mention("NATO", "Q7184", "NATO"),
                    place=mention("Estonia", "EST", "Estonia"),
                    movement=Movement.MOVEMENT_DEPLOY,
                )
            ],
        ),
    ]
    for message in messages:
        await store.upsert_enriched(message)
    return store


ITEM_CASES = [
    pytest.param({}, ["nato-5", "markets-3", "withdraw-2", "troops-1", "weather-4"], id="all"),
    pytest.param({"since": T0 + 2 * H}, ["nato-5", "markets-3", "withdraw-2"], id="since"),
    pytest.param({"until": T0 + 2 * H}, ["troops-1", "weather-4"], id="until-exclusive"),
    pytest.param(
        {"since": T0 + 2 * H, "until": T0 + 4 * H}, ["markets-3", "withdraw-2"], id="window"
    ),
    pytest.param({"feed": FEED_B}, ["withdraw-2", "weather-4"], id="feed"),
    pytest.param({"entity": "RUS"}, ["troops-1"], id="entity-canonical-id"),
    pytest.param({"entity": "rus"}, ["troops-1"], id="entity-id-any-case"),
    pytest.param({"entity": "russian"}, ["troops-1"], id="entity-text-any-case"),
    pytest.param({"entity": "EST"}, ["nato-5"], id="entity-other"),
    pytest.param({"entity": "Atlantis"}, [], id="entity-unknown"),
    pytest.param({"has_claims": True}, ["nato-5", "withdraw-2", "troops-1"], id="has-claims"),
    pytest.param({"has_claims": False}, ["markets-3", "weather-4"], id="no-claims"),
    pytest.param({"q": "troops"}, ["withdraw-2", "troops-1"], id="q-word"),
    pytest.param({"q": "troop"}, ["withdraw-2", "troops-1"], id="q-stemmed"),
    pytest.param({"q": "TROOPS Belgorod"}, ["troops-1"], id="q-all-words"),
    pytest.param({"q": "storm"}, ["weather-4"], id="q-title"),
    pytest.param({"q": "tanks"}, [], id="q-absent"),
    pytest.param({"q": "troops NEAR("}, ["troops-1"], id="q-operator-is-a-plain-word"),
    pytest.param({"q": '"troops" -('}, ["withdraw-2", "troops-1"], id="q-punctuation"),
    pytest.param({"q": "!!!"}, [], id="q-no-words"),
    pytest.param({"q": "troops", "feed": FEED_B}, ["withdraw-2"], id="q-and-feed"),
    pytest.param({"entity": "RUS", "has_claims": False}, [], id="entity-and-no-claims"),
]


@pytest.mark.parametrize(("filters", "expected"), ITEM_CASES)
async def test_list_items_filters(
    corpus: Store, filters: dict[str, Any], expected: list[str]
) -> None:
    page = await corpus.list_items(**filters)
    assert [i.item_id for i in page.items] == expected
    assert page.next_cursor is None


async def test_search_follows_a_replaced_version(store: Store) -> None:
    await store.upsert_enriched(enriched("x", title="Troops move", body="Armour seen."))
    await store.upsert_enriched(enriched("x", version=2, title="Storm", body="Rain falls."))
    assert (await store.list_items(q="troops")).items == []
    assert [i.item_id for i in (await store.list_items(q="rain")).items] == ["x"]


CLAIM_CASES = [
    pytest.param({}, ["c-5", "c-2", "c-1"], id="all"),
    pytest.param({"actor": "RUS"}, ["c-2", "c-1"], id="actor-id"),
    pytest.param({"actor": "rus"}, ["c-2", "c-1"], id="actor-id-any-case"),
    pytest.param({"actor": "russian FORCES"}, ["c-2"], id="actor-text"),
    pytest.param({"claimant": "UKR"}, ["c-1"], id="claimant-id"),
    pytest.param({"claimant": "the kremlin"}, ["c-2"], id="claimant-text"),
    pytest.param({"location": "EST"}, ["c-5"], id="location-id"),
    pytest.param({"location": "belgorod"}, ["c-1"], id="location-text"),
    pytest.param({"movement": "withdraw"}, ["c-2"], id="movement"),
    pytest.param({"polarity": "denied"}, ["c-2"], id="polarity-denied"),
    pytest.param({"polarity": "asserted"}, ["c-5", "c-1"], id="polarity-asserted"),
    pytest.param({"since": T0 + 2 * H}, ["c-5", "c-2"], id="since"),
    pytest.param({"actor": "RUS", "polarity": "asserted"}, ["c-1"], id="actor-and-polarity"),
    pytest.param({"actor": "Atlantis"}, [], id="actor-unknown"),
]


@pytest.mark.parametrize(("filters", "expected"), CLAIM_CASES)
async def test_list_claims_filters(
    corpus: Store, filters: dict[str, Any], expected: list[str]
) -> None:
    page = await corpus.list_claims(**filters)
    assert [c.claim_id for c in page.items] == expected


async def test_list_claims_pages_through_every_claim(corpus: Store) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = await corpus.list_claims(limit=2, cursor=cursor)
        seen += [c.claim_id for c in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == ["c-5", "c-2", "c-1"]


async def test_unknown_ids_read_as_none(corpus: Store) -> None:
    assert await corpus.get_item("no-such-item") is None
    assert await corpus.get_claim("no-such-claim") is None
    assert await corpus.get_item("troops-1") is not None


async def test_last_page_has_no_cursor(corpus: Store) -> None:
    assert (await corpus.list_items(limit=5)).next_cursor is None
    first = await corpus.list_items(limit=4)
    assert first.next_cursor is not None
    rest = await corpus.list_items(limit=4, cursor=first.next_cursor)
    assert [i.item_id for i in rest.items] == ["weather-4"]
    assert rest.next_cursor is None


async def test_limit_below_one_is_refused(corpus: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        await corpus.list_items(limit=0)


async def test_pagination_yields_every_item_once_while_items_keep_arriving(store: Store) -> None:
    """Ties in published_at, newer items and back-filled older items arrive between pages:
    every item present at the start is served exactly once, in one consistent order."""
    original = {f"old-{n:02d}" for n in range(30)}
    for n in range(30):
        await store.upsert_enriched(
            enriched(f"old-{n:02d}", published_at=T0 + timedelta(minutes=n % 7))
        )
    served: list[tuple[datetime, str]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await store.list_items(limit=4, cursor=cursor)
        served += [(i.published_at, i.item_id) for i in page.items]
        pages += 1
        # New arrivals: one newer than everything, one older than everything so far.
        await store.upsert_enriched(enriched(f"new-{pages}", published_at=T0 + H + pages * H))
        await store.upsert_enriched(enriched(f"late-{pages}", published_at=T0 - pages * H))
        if (cursor := page.next_cursor) is None:
            break
    ids = [item_id for _, item_id in served]
    assert len(ids) == len(set(ids)), "an item was served twice"
    assert original <= set(ids), "an item was skipped"
    assert served == sorted(served, reverse=True), "pages are not in one newest-first order"
    assert not any(i.startswith("new-") for i in ids)  # newer than the cursor: next listing
    assert any(i.startswith("late-") for i in ids)  # older than the cursor: still reached


def _flip(cursor: str, index: int) -> str:
    swapped = "A" if cursor[index] != "A" else "B"
    return cursor[:index] + swapped + cursor[index + 1 :]


TAMPERING = [
    pytest.param(lambda c: _flip(c, 5), id="payload-byte-changed"),
    pytest.param(lambda c: _flip(c, len(c) - 2), id="checksum-byte-changed"),
    pytest.param(lambda c: c[:-3], id="truncated"),
    pytest.param(lambda c: c + "x", id="extended"),
    pytest.param(lambda c: c.replace(".", ""), id="separator-removed"),
    pytest.param(lambda c: "not-a-cursor", id="garbage"),
    pytest.param(lambda c: "", id="empty"),
    pytest.param(lambda c: "%%%.%%%", id="not-base64"),
    pytest.param(lambda c: c * 40, id="oversized"),
]


@pytest.mark.parametrize("tamper", TAMPERING)
async def test_tampered_cursor_is_rejected(corpus: Store, tamper: Any) -> None:
    cursor = (await corpus.list_items(limit=1)).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor) as caught:
        await corpus.list_items(limit=1, cursor=tamper(cursor))
    assert isinstance(caught.value, ValueError)


async def test_cursor_of_one_listing_is_rejected_by_the_other(corpus: Store) -> None:
    items_cursor = (await corpus.list_items(limit=1)).next_cursor
    claims_cursor = (await corpus.list_claims(limit=1)).next_cursor
    assert items_cursor is not None
    assert claims_cursor is not None
    with pytest.raises(InvalidCursor, match="items"):
        await corpus.list_claims(cursor=items_cursor)
    with pytest.raises(InvalidCursor, match="claims"):
        await corpus.list_items(cursor=claims_cursor)
