"""The alert engine on SQLite and PostgreSQL: clusters, novelty, corroboration, syndication,
updates, disputes, the novelty window, redelivery and concurrent consumers."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import insert

from proto import EnrichedItem, Mention, Movement, Polarity, Size
from services.api.alerts.engine import AlertEngine
from services.api.store import AlertStore, Store, StoreError
from services.api.store.alerts_schema import clusters
from tests.api.conftest import T0, claim, enriched, mention

RUS = mention("Russian", "RUS", "Russia")
UKR = mention("the Ukrainian border", "UKR", "Ukraine")
_NAMES = {Movement.MOVEMENT_BUILDUP: "buildup", Movement.MOVEMENT_ADVANCE: "advance"}
_POLARITY = {Polarity.POLARITY_ASSERTED: "asserted", Polarity.POLARITY_DENIED: "denied"}

BODY_A = (
    "KYIV (Kyiv Post) - Ukraine's defence ministry said on Monday that Russian forces were "
    "massing near the Ukrainian border, with columns of armour seen moving at night."
)
LONG = BODY_A + (
    " The ministry said the build-up included tank units, artillery and air-defence systems,"
    " and that the number of battalion tactical groups had grown over the past fortnight."
    " Western officials said they were watching the movements closely and urged restraint,"
    " while Moscow said the troops were taking part in scheduled exercises on its own soil."
)
BODY_B = (
    "Satellite images published by a private firm on Tuesday show new field camps and "
    "hundreds of vehicles parked in fields a short drive from the frontier, analysts said."
)


def movement_claim(
    claim_id: str,
    *,
    actor: Mention | None = RUS,
    place: Mention | None = UKR,
    movement: Movement.ValueType = Movement.MOVEMENT_BUILDUP,
    polarity: Polarity.ValueType = Polarity.POLARITY_ASSERTED,
    size: Size | None = None,
) -> object:
    """A claim with the extractor's fingerprint form: rus|buildup|ukr|asserted."""
    message = claim(
        claim_id, actor=actor, place=place, movement=movement, polarity=polarity, size=size
    )
    actor_key = actor.canonical_id.lower() if actor else ""
    place_key = place.canonical_id.lower() if place else ""
    message.fingerprint = f"{actor_key}|{_NAMES[movement]}|{place_key}|{_POLARITY[polarity]}"
    return message


def article(
    item_id: str,
    *claims: object,
    body: str = BODY_A,
    url: str | None = None,
    days: float = 0,
) -> EnrichedItem:
    message = enriched(
        item_id,
        title=f"Report {item_id}",
        body=body,
        claims=claims,  # type: ignore[arg-type]
        published_at=T0 + timedelta(days=days),
    )
    message.item.url = url or f"https://{item_id}.example/news/1"
    return message


@pytest.fixture
def engine(store: Store) -> AlertEngine:
    return AlertEngine(store)


async def _types(engine: AlertEngine, message: EnrichedItem) -> list[str]:
    return [a.type for a in (await engine.ingest(message)).alerts]


async def test_first_claim_of_a_fingerprint_raises_claim_new_with_its_payload(
    engine: AlertEngine, store: Store
) -> None:
    """The first claim raises claim.new; the payload carries cluster, claim, item, sources."""
    assert await _types(engine, article("a", movement_claim("c1"))) == ["claim.new"]
    (row,) = await AlertStore(store).alerts_after(0, 10)
    assert row.type == "claim.new"
    assert row.claim_id == "c1"
    assert row.item_id == "a"
    data = row.payload
    assert set(data) == {"alert", "cluster", "claim", "item", "sources", "disputes"}
    assert data["cluster"]["fingerprint"] == "rus|buildup|ukr|asserted"
    assert data["cluster"]["independent_sources"] == data["cluster"]["total_sources"] == 1
    assert data["claim"]["actor"]["canonical_id"] == "RUS"
    assert data["item"]["url"] == "https://a.example/news/1"
    assert [s["item_id"] for s in data["sources"]] == ["a"]
    assert data["disputes"] == []


async def test_a_second_claim_in_the_same_item_joins_silently(engine: AlertEngine) -> None:
    """Two sentences of one article with one fingerprint: one cluster, one alert."""
    result = await engine.ingest(article("a", movement_claim("c1"), movement_claim("c2")))
    assert [a.type for a in result.alerts] == ["claim.new"]
    assert result.clustered == ("c1", "c2")


async def test_an_independent_source_corroborates(engine: AlertEngine, store: Store) -> None:
    """Another outlet with its own text: claim.corroborated, two independent sources."""
    await engine.ingest(article("a", movement_claim("c1")))
    assert await _types(engine, article("b", movement_claim("c2"), body=BODY_B)) == [
        "claim.corroborated"
    ]
    (_, row) = await AlertStore(store).alerts_after(0, 10)
    assert (row.independent_sources, row.total_sources) == (2, 2)
    assert all(s["independent"] for s in row.payload["sources"])


@pytest.mark.parametrize(
    ("first", "url", "body", "reason"),
    [
        pytest.param(
            BODY_A, "https://www.a.example/news/1/?utm_source=x", BODY_B, "same_url", id="url"
        ),
        pytest.param(BODY_A, "https://a.example/news/2", BODY_B, "same_publisher", id="outlet"),
        pytest.param(
            BODY_A.replace("(Kyiv Post)", "(Reuters)"),
            "https://b.example/x",
            "LONDON (Reuters) - " + BODY_B,
            "same_wire:reuters",
            id="wire",
        ),
        pytest.param(
            BODY_A.replace("(Kyiv Post)", "(RIA Novosti)"),
            "https://b.example/x",
            "MOSCOW (Sputnik) - " + BODY_B,
            "same_wire:rossiya-segodnya",
            id="wire-alias",
        ),
        pytest.param(
            LONG,
            "https://b.example/x",
            LONG.replace("on Monday", "on Monday morning"),
            "near_duplicate",
            id="near-duplicate",
        ),
    ],
)
async def test_a_syndicated_copy_is_counted_but_not_independent(
    engine: AlertEngine, store: Store, first: str, url: str, body: str, reason: str
) -> None:
    """A copy (same URL, same outlet, same wire credited, near-identical text) raises nothing
    and adds a source that does not count as independent."""
    await engine.ingest(article("a", movement_claim("c1"), body=first))
    assert await _types(engine, article("b", movement_claim("c2"), body=body, url=url)) == []
    alerts = AlertStore(store)
    (new,) = await alerts.alerts_after(0, 10)
    found = await alerts.get_cluster(new.cluster_id)
    assert found is not None
    assert (found.cluster["independent_sources"], found.cluster["total_sources"]) == (1, 2)
    copy = next(s for s in found.sources if s["item_id"] == "b")
    assert (copy["independent"], copy["copy_of"], copy["reason"]) == (False, "a", reason)


async def test_a_new_size_from_another_source_raises_claim_updated_with_a_diff(
    engine: AlertEngine, store: Store
) -> None:
    """Same actor, movement, place and polarity with a different size: claim.updated."""
    small = Size(text="20,000 troops", min=20000, max=20000, unit="troops")
    large = Size(text="40,000 troops", min=40000, max=40000, unit="troops")
    await engine.ingest(article("a", movement_claim("c1", size=small)))
    assert await _types(engine, article("b", movement_claim("c2", size=large), body=BODY_B)) == [
        "claim.updated"
    ]
    (_, updated) = await AlertStore(store).alerts_after(0, 10)
    assert updated.payload["alert"]["diff"] == {"size": ["20,000 troops", "40,000 troops"]}
    assert updated.payload["cluster"]["size"]["text"] == "40,000 troops"
    # The same size again is corroboration, not another update.
    assert await _types(
        engine, article("c", movement_claim("c3", size=large), body="Officials confirmed it.")
    ) == ["claim.corroborated"]


async def test_a_refined_place_raises_claim_updated(engine: AlertEngine, store: Store) -> None:
    """Same canonical place named more precisely: claim.updated with a location diff."""
    await engine.ingest(article("a", movement_claim("c1", place=mention("Ukraine", "UKR"))))
    refined = mention("the Kharkiv region of Ukraine", "UKR")
    assert await _types(engine, article("b", movement_claim("c2", place=refined), body=BODY_B)) == [
        "claim.updated"
    ]
    (_, updated) = await AlertStore(store).alerts_after(0, 10)
    assert updated.payload["alert"]["diff"] == {
        "location": ["Ukraine", "the Kharkiv region of Ukraine"]
    }


async def test_a_denial_raises_claim_disputed_linking_both_clusters(
    engine: AlertEngine, store: Store
) -> None:
    """Opposite polarity on the same actor, movement and place: claim.new for the denial and
    claim.disputed, with a dispute link in each cluster."""
    await engine.ingest(article("a", movement_claim("c1")))
    denial = movement_claim("c2", polarity=Polarity.POLARITY_DENIED)
    assert await _types(engine, article("b", denial, body=BODY_B, days=20)) == [
        "claim.new",
        "claim.disputed",
    ]
    alerts = AlertStore(store)
    asserted, _, disputed = await alerts.alerts_after(0, 10)
    assert disputed.payload["disputes"][0]["cluster_id"] == asserted.cluster_id
    assert disputed.payload["disputes"][0]["rule"] == "exact"
    back = await alerts.get_cluster(asserted.cluster_id)
    assert back is not None
    assert [d["cluster_id"] for d in back.disputes] == [disputed.cluster_id]


@pytest.mark.parametrize(
    ("denied_actor", "denied_place", "rule"),
    [
        pytest.param(RUS, None, "partial", id="place-missing"),
        pytest.param(RUS, mention("the border"), "partial", id="place-unresolved"),
        pytest.param(None, UKR, "partial", id="actor-missing"),
        pytest.param(None, None, None, id="both-missing-no-link"),
        pytest.param(mention("Belarusian", "BLR"), UKR, None, id="other-actor-no-link"),
        pytest.param(RUS, mention("Poland", "POL"), None, id="other-place-no-link"),
    ],
)
async def test_disputes_link_when_one_side_leaves_actor_or_place_open(
    engine: AlertEngine,
    store: Store,
    denied_actor: Mention | None,
    denied_place: Mention | None,
    rule: str | None,
) -> None:
    """A denial that leaves the place (or the actor) open disputes the claim it answers; two
    different concrete actors or places never dispute each other."""
    await engine.ingest(article("a", movement_claim("c1")))
    denial = movement_claim(
        "c2", actor=denied_actor, place=denied_place, polarity=Polarity.POLARITY_DENIED
    )
    await engine.ingest(article("b", denial, body=BODY_B, days=2))
    found = [a for a in await AlertStore(store).alerts_after(0, 10) if a.claim_id == "c2"]
    disputes = [a for a in found if a.type == "claim.disputed"]
    if rule is None:
        assert disputes == []
    else:
        assert [d["rule"] for d in disputes[0].payload["disputes"]] == [rule]


async def test_the_novelty_window_slides_and_then_expires(store: Store) -> None:
    """Within the window a claim joins (the window slides with each claim); after a silence
    longer than the window the same fingerprint starts a new cluster and raises claim.new."""
    engine = AlertEngine(store, novelty_window=timedelta(days=7))
    await engine.ingest(article("a", movement_claim("c1")))
    assert await _types(engine, article("b", movement_claim("c2"), body=BODY_B, days=6)) == [
        "claim.corroborated"
    ]
    # 11 days after the first claim, but only 5 after the last: still the same cluster.
    body_c = "Officials in Warsaw said more units had arrived in recent days."
    assert await _types(engine, article("c", movement_claim("c3"), body=body_c, days=11)) == [
        "claim.corroborated"
    ]
    body_d = "A week of quiet ended when monitors reported fresh columns on the move."
    assert await _types(engine, article("d", movement_claim("c4"), body=body_d, days=19)) == [
        "claim.new"
    ]
    rows = await AlertStore(store).alerts_after(0, 10)
    generations = [r.payload["cluster"]["generation"] for r in rows]
    assert generations == [1, 1, 1, 2]


async def test_claims_naming_neither_actor_nor_place_are_clustered_without_alerts(
    engine: AlertEngine,
) -> None:
    """A claim like "the redeployment had begun" is clustered and counted, with no alert."""
    result = await engine.ingest(article("a", movement_claim("c1", actor=None, place=None)))
    assert result.clustered == ("c1",)
    assert result.alerts == ()


async def test_redelivery_raises_nothing_twice(engine: AlertEngine) -> None:
    """The same message delivered again: no new claims, no alerts."""
    message = article("a", movement_claim("c1"))
    assert await _types(engine, message) == ["claim.new"]
    again = await engine.ingest(message)
    assert again.outcome is not None
    assert again.outcome.status == "ignored"
    assert again.alerts == ()
    assert again.clustered == ()


async def test_redelivery_heals_claims_a_crash_left_pending(
    engine: AlertEngine, store: Store
) -> None:
    """An item stored without its alert decision (a crash in between): when the message is
    redelivered the upsert finds nothing new, yet the pending claims raise their alerts."""
    message = article("a", movement_claim("c1"))
    stored = await store.upsert_enriched(message)  # the item is in; no cluster was decided
    assert stored.new_claim_ids == ("c1",)
    healed = await engine.ingest(message)
    assert healed.outcome is not None
    assert healed.outcome.status == "ignored"
    assert [a.type for a in healed.alerts] == ["claim.new"]


async def test_storing_and_deciding_is_one_transaction(store: Store) -> None:
    """When the decision cannot be made (here a row squats on the id the new cluster needs, so
    every attempt fails), the item is not stored either: nothing is left half done."""
    fingerprint = "rus|buildup|ukr|asserted"
    squatted = hashlib.sha256(f"{fingerprint}\x1f1".encode()).hexdigest()[:32]
    async with store.transaction(write=True) as conn:
        await conn.execute(
            insert(clusters).values(
                cluster_id=squatted,
                fingerprint="other",
                generation=1,
                movement="deploy",
                polarity="asserted",
                actor_key="",
                location_key="",
                first_claim_id="x",
                first_seen_at=T0,
                last_seen_at=T0,
                independent_sources=1,
                total_sources=1,
                claims_count=1,
                created_at=T0,
                updated_at=T0,
            )
        )
    with pytest.raises(StoreError):
        await AlertEngine(store).ingest(article("a", movement_claim("c1")))
    assert await store.get_item("a") is None


async def test_alerts_after_follows_seq_order(engine: AlertEngine, store: Store) -> None:
    """alerts_after(seq) returns later alerts in increasing seq, resuming where it stopped."""
    await engine.ingest(article("a", movement_claim("c1")))
    await engine.ingest(article("b", movement_claim("c2", polarity=Polarity.POLARITY_DENIED)))
    alerts = AlertStore(store)
    first = await alerts.alerts_after(0, 1)
    rest = await alerts.alerts_after(first[-1].seq, 10)
    seqs = [r.seq for r in first + rest]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert await alerts.max_seq() == seqs[-1]


@pytest.mark.parametrize("rounds", [pytest.param(6, id="6-rounds")])
async def test_two_engines_on_the_same_claim_raise_one_alert(store_url: str, rounds: int) -> None:
    """Two consumers (each its own store and connection pool) processing the same claim at the
    same moment raise exactly one claim.new; equivalent claims of two different items at the
    same moment make one cluster with two sources."""
    async with await Store.open(store_url) as one, await Store.open(store_url) as two:
        engines = (AlertEngine(one), AlertEngine(two))
        for n in range(rounds):
            same = article(f"s{n}", movement_claim(f"same{n}", place=mention(f"P{n}", f"P{n}")))
            results = await asyncio.gather(*(e.ingest(same) for e in engines))
            assert sorted(a.type for r in results for a in r.alerts) == ["claim.new"]
            place = mention(f"Q{n}", f"Q{n}")
            left = article(f"l{n}", movement_claim(f"l{n}", place=place))
            right = article(f"r{n}", movement_claim(f"r{n}", place=place), body=BODY_B)
            results = await asyncio.gather(engines[0].ingest(left), engines[1].ingest(right))
            types = sorted(a.type for r in results for a in r.alerts)
            assert types == ["claim.corroborated", "claim.new"]
        page, _ = await AlertStore(one).list_alerts(limit=100)
        assert len({a.alert_id for a in page}) == len(page) == 3 * rounds
