"""The alerts-topic publisher against the real embedded broker: every alert reaches topic
``alerts`` as an ``Alert`` protobuf keyed by cluster id, and a restarted publisher continues
from its stored cursor."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from proto import ALERT_CODEC, ALERTS, Alert, AlertType, Polarity
from services.api.alerts.engine import AlertEngine
from services.api.alerts.publisher import CURSOR_NAME, publish_alerts
from services.api.store import AlertStore, Store
from services.broker import EmbeddedBroker
from services.config import CommonSettings
from services.kafka import make_producer
from tests.api.test_alerts_engine import BODY_B, article, movement_claim

pytestmark = pytest.mark.integration


async def _publish_until(alert_store: AlertStore, broker: EmbeddedBroker, seq: int) -> None:
    """Run a publisher (its own producer, like a fresh process) until the cursor reaches seq."""
    producer = make_producer(CommonSettings(kafka_bootstrap=broker.bootstrap), client_id="t")
    await producer.start()
    stop = asyncio.Event()
    task = asyncio.create_task(publish_alerts(alert_store, producer, stop))
    try:
        deadline = time.monotonic() + 20
        while await alert_store.get_cursor(CURSOR_NAME) < seq:
            assert time.monotonic() < deadline, "publisher did not catch up"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await producer.stop()


async def _read_topic(broker: EmbeddedBroker, count: int) -> list[tuple[str, Alert]]:
    consumer = AIOKafkaConsumer(
        ALERTS.name, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[str, Alert]] = []
    try:
        deadline = time.monotonic() + 20
        while len(found) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                found.extend(
                    (ALERT_CODEC.decode_key(r.key), ALERT_CODEC.decode(r.value)) for r in records
                )
        # Anything beyond ``count`` would be a republished alert: give it a moment to show.
        found.extend(
            (ALERT_CODEC.decode_key(r.key), ALERT_CODEC.decode(r.value))
            for records in (await consumer.getmany(timeout_ms=500)).values()
            for r in records
        )
    finally:
        await consumer.stop()
    return found


async def test_alerts_reach_the_topic_and_a_restart_continues_from_the_cursor(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Each alert is produced once per publishing pass, keyed by its cluster, with the claim,
    counts and dispute links; a second publisher (a restart) sends only newer alerts."""
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}") as store:
        engine, alert_store = AlertEngine(store), AlertStore(store)
        await engine.ingest(article("a", movement_claim("c1")))
        denial = movement_claim("c2", polarity=Polarity.POLARITY_DENIED)
        await engine.ingest(article("b", denial, body=BODY_B))
        first = await alert_store.alerts_after(0, 100)
        await _publish_until(alert_store, broker, first[-1].seq)

        await engine.ingest(article("c", movement_claim("c3"), body="Officials confirmed it."))
        everything = await alert_store.alerts_after(0, 100)
        await _publish_until(alert_store, broker, everything[-1].seq)

        published = await _read_topic(broker, len(everything))
    assert sorted(m.alert_id for _, m in published) == sorted(r.alert_id for r in everything)
    by_id = {m.alert_id: (key, m) for key, m in published}
    for row in everything:
        key, message = by_id[row.alert_id]
        assert key == message.cluster_id == row.cluster_id
        assert message.claim.claim_id == row.claim_id
        assert message.fingerprint == row.fingerprint
    types = [by_id[r.alert_id][1].type for r in everything]
    assert types == [
        AlertType.ALERT_TYPE_CLAIM_NEW,
        AlertType.ALERT_TYPE_CLAIM_NEW,
        AlertType.ALERT_TYPE_CLAIM_DISPUTED,
        AlertType.ALERT_TYPE_CLAIM_CORROBORATED,
    ]
    disputed = by_id[everything[2].alert_id][1]
    assert list(disputed.disputed_cluster_ids) == [everything[0].cluster_id]
    corroborated = by_id[everything[3].alert_id][1]
    assert (corroborated.independent_sources, corroborated.total_sources) == (2, 2)
    assert corroborated.claim.actor.canonical_id == "RUS"
