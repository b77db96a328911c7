"""Extract against the real broker: raw → enriched for a batch; poison → dead-letter topic."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from proto import (
    ENRICHED_ITEM_CODEC,
    ITEMS_ENRICHED,
    ITEMS_RAW,
    ITEMS_RAW_DLQ,
    RAW_ITEM_CODEC,
    EnrichedItem,
    Movement,
    RawItem,
)
from services.broker import EmbeddedBroker
from services.extract.service import run_extract
from services.extract.settings import ExtractSettings

pytestmark = pytest.mark.integration

TEXTS = [
    (
        "Troops head for the border",
        "Russia has massed 40,000 troops near the Ukrainian border, NATO officials said on Monday.",
    ),
    (
        "Israel to quit Gaza",
        "Israel will withdraw its forces from the Gaza Strip next year, the prime minister said.",
    ),
    ("Oil prices rise", "Crude oil rose to a record on Tuesday as supplies tightened."),
    ("Peacekeepers sent", "The United Nations will send 3,000 peacekeepers to Darfur."),
]


async def _drain(bootstrap: str, topic: str, want: int, timeout_s: float = 60) -> list[object]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[object] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < want:
                batch = await consumer.getmany(timeout_ms=200)
                for recs in batch.values():
                    records.extend(recs)
    finally:
        await consumer.stop()
    return records


async def test_a_batch_flows_to_enriched_and_a_poison_message_to_the_dead_letter_topic(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        for index, (title, text) in enumerate(TEXTS[:2]):
            item = RawItem(item_id=f"item-{index}", version=1, title=title, text=text)
            await producer.send_and_wait(
                ITEMS_RAW.name, key=item.item_id.encode(), value=RAW_ITEM_CODEC.encode(item)
            )
        # Same key as a good item so it shares a partition: the partition must not stall.
        await producer.send_and_wait(ITEMS_RAW.name, key=b"item-0", value=b"\xff\x00garbage")
        for index, (title, text) in enumerate(TEXTS[2:], start=2):
            item = RawItem(item_id=f"item-{index}", version=1, title=title, text=text)
            await producer.send_and_wait(
                ITEMS_RAW.name, key=b"item-0", value=RAW_ITEM_CODEC.encode(item)
            )
    finally:
        await producer.stop()

    stop = asyncio.Event()
    settings = ExtractSettings(
        kafka_bootstrap=broker.bootstrap, data_dir=tmp_path, extract_metrics_port=0
    )
    task = asyncio.create_task(run_extract(settings, stop))
    try:
        enriched_records = await _drain(broker.bootstrap, ITEMS_ENRICHED.name, len(TEXTS))
        dead = await _drain(broker.bootstrap, ITEMS_RAW_DLQ.name, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)

    enriched: dict[str, EnrichedItem] = {}
    for record in enriched_records:
        message = ENRICHED_ITEM_CODEC.decode(record.value)  # type: ignore[attr-defined]
        assert record.key.decode() == message.item.item_id  # type: ignore[attr-defined]
        enriched[message.item.item_id] = message
    assert set(enriched) == {f"item-{i}" for i in range(len(TEXTS))}
    for message in enriched.values():
        for entity in message.entities:
            assert message.text[entity.span.start : entity.span.end] == entity.text
    movements = {m: {c.movement for c in e.claims} for m, e in enriched.items()}
    assert Movement.MOVEMENT_BUILDUP in movements["item-0"]
    assert Movement.MOVEMENT_WITHDRAW in movements["item-1"]
    assert movements["item-2"] == set()

    (poison,) = dead
    headers = dict(poison.headers)  # type: ignore[attr-defined]
    assert poison.value == b"\xff\x00garbage"  # type: ignore[attr-defined]
    assert headers["wirewatch-error-class"] == b"DeserializationError"
    assert headers["wirewatch-source-topic"] == ITEMS_RAW.name.encode()
    assert int(headers["wirewatch-source-offset"]) >= 0
