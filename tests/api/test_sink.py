"""The api's sink on the real broker: idempotent upserts, poison to the dead-letter topic."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import CollectorRegistry

from proto import (
    ENRICHED_ITEM_CODEC,
    FEED_STATUS_CODEC,
    FEEDS_STATUS,
    ITEMS_ENRICHED,
    ITEMS_ENRICHED_DLQ,
    FeedState,
    FeedStatus,
)
from services.api.settings import ApiSettings
from services.api.sink import run_sink
from services.api.store import Store
from services.broker import EmbeddedBroker
from tests.api.conftest import T0, claim, enriched, mention

pytestmark = pytest.mark.integration


def _messages(count: int) -> list[bytes]:
    return [
        ENRICHED_ITEM_CODEC.encode(
            enriched(
                f"item-{i}",
                title=f"Troops move ({i})",
                body="Russia has moved troops to the border.",
                entities=[("Russia", "GPE", "RUS")],
                claims=[claim(f"claim-{i}", actor=mention("Russia", "RUS", "Russia"))],
            )
        )
        for i in range(count)
    ]


async def _produce(bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in values:
            await producer.send_and_wait(topic, key=key, value=value)
    finally:
        await producer.stop()


async def _sink_until(
    settings: ApiSettings, store: Store, done: object, timeout_s: float = 30
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_sink(settings, store, stop, registry=CollectorRegistry()))
    deadline = time.monotonic() + timeout_s
    try:
        while not await done():  # type: ignore[operator]
            assert time.monotonic() < deadline, "sink did not catch up"
            assert not task.done(), task
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_redelivered_messages_leave_row_counts_unchanged(
    broker: EmbeddedBroker, store_url: str, tmp_path: Path
) -> None:
    messages = _messages(12)
    status = FeedStatus(
        feed_url="https://wire.example/rss",
        feed_name="Wire",
        state=FeedState.FEED_STATE_OK,
        polls=3,
    )
    status.last_poll_at.FromDatetime(T0)
    await _produce(
        broker.bootstrap,
        ITEMS_ENRICHED.name,
        [(f"item-{i}".encode(), m) for i, m in enumerate(messages)],
    )
    await _produce(
        broker.bootstrap,
        FEEDS_STATUS.name,
        [(status.feed_url.encode(), FEED_STATUS_CODEC.encode(status))],
    )
    settings = ApiSettings(
        kafka_bootstrap=broker.bootstrap,
        data_dir=tmp_path,
        database_url=store_url,
        api_group_id="sink-a",
    )
    async with await Store.open(store_url) as store:

        async def all_in() -> bool:
            counts = await store.counts()
            return counts["items"] == 12 and counts["claims"] == 12 and counts["feeds"] == 1

        await _sink_until(settings, store, all_in)
        first = await store.counts()

        # The same messages again (a producer retry), and a new consumer group re-reading
        # the whole topic (a lost offset commit): nothing may change.
        await _produce(
            broker.bootstrap,
            ITEMS_ENRICHED.name,
            [(f"item-{i}".encode(), m) for i, m in enumerate(messages)],
        )
        replay = ApiSettings(
            kafka_bootstrap=broker.bootstrap,
            data_dir=tmp_path,
            database_url=store_url,
            api_group_id="sink-b",
        )
        consumed = {"n": 0}

        async def reread() -> bool:
            consumed["n"] += 1
            return consumed["n"] > 30  # ~3 s of polling after both copies were produced

        await _sink_until(replay, store, reread)
        assert await store.counts() == first


async def test_poison_goes_to_the_dead_letter_topic_and_the_rest_is_stored(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sink.db'}"
    good = _messages(3)
    await _produce(
        broker.bootstrap,
        ITEMS_ENRICHED.name,
        [
            (b"item-0", good[0]),
            (b"item-0", b"\x0a\xff\xff"),
            (b"item-0", good[1]),
            (b"item-0", good[2]),
        ],
    )
    settings = ApiSettings(kafka_bootstrap=broker.bootstrap, data_dir=tmp_path, database_url=url)
    async with await Store.open(url) as store:

        async def stored() -> bool:
            return (await store.counts())["items"] == 3

        await _sink_until(settings, store, stored)
    consumer = AIOKafkaConsumer(
        ITEMS_ENRICHED_DLQ.name,
        bootstrap_servers=broker.bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(15):
            batch: dict[object, list[object]] = {}
            while not batch:
                batch = await consumer.getmany(timeout_ms=200)
    finally:
        await consumer.stop()
    (records,) = batch.values()
    (dead,) = records
    assert dead.value == b"\x0a\xff\xff"  # type: ignore[attr-defined]
    assert dict(dead.headers)["wirewatch-error-stage"] == b"decode"  # type: ignore[attr-defined]
