"""Replay from the archive into items.raw, and feeds-file reload on SIGHUP (real broker)."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from proto import ITEMS_RAW, RAW_ITEM_CODEC, RawItem
from services.broker import EmbeddedBroker
from services.ingest.archive import Archive, replay
from services.ingest.service import run_ingest
from services.ingest.settings import IngestSettings
from tests.ingest.servers import Document, serve

pytestmark = pytest.mark.integration

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
    "<item><guid>{name}-1</guid><title>Item of {name}</title><link>http://x/{name}</link>"
    "<description>Text.</description></item></channel></rss>"
)


async def _raw_keys(bootstrap: str, want: int, timeout_s: float = 20) -> list[str]:
    consumer = AIOKafkaConsumer(
        ITEMS_RAW.name, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    keys: list[str] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(keys) < want:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    keys.extend(r.key.decode() for r in records)
    finally:
        await consumer.stop()
    return keys


async def test_replay_republishes_archived_items_since_a_date_with_progress(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    items = []
    for index, day in enumerate((1, 5, 9, 12)):
        item = RawItem(
            item_id=f"a-{index}", version=1, feed_url="https://f.example/rss", title=f"t{index}"
        )
        item.published_at.FromDatetime(datetime(2026, 11, day, tzinfo=UTC))
        items.append(item)
    other = RawItem(item_id="b-0", version=1, feed_url="https://other.example/rss")
    other.published_at.FromDatetime(datetime(2026, 11, 10, tzinfo=UTC))
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    progress = io.StringIO()
    try:
        async with Archive(tmp_path / "archive.sqlite3") as archive:
            await archive.add([*items, other])
            await archive.add(items)  # archiving the same version twice keeps one copy
            sent = await replay(
                archive,
                producer,
                since=datetime(2026, 11, 5, tzinfo=UTC),
                feed="https://f.example/rss",
                progress=progress,
            )
    finally:
        await producer.stop()
    assert sent == 3
    assert sorted(await _raw_keys(broker.bootstrap, 3)) == ["a-1", "a-2", "a-3"]
    assert "3/3" in progress.getvalue()
    decoded = RAW_ITEM_CODEC.decode(RAW_ITEM_CODEC.encode(items[1]))
    assert decoded.title == "t1"


async def test_sighup_reloads_the_feeds_file(broker: EmbeddedBroker, tmp_path: Path) -> None:
    routes = {
        "/one.xml": Document(RSS.format(name="one").encode(), etag='"1"'),
        "/two.xml": Document(RSS.format(name="two").encode(), etag='"1"'),
    }
    with serve(routes) as server:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - url: {server.url('/one.xml')}\n    name: one\n")
        settings = IngestSettings(
            kafka_bootstrap=broker.bootstrap,
            data_dir=tmp_path,
            feeds_file=feeds,
            allow_private_urls=True,
            min_poll_interval_s=0.5,
            default_poll_interval_s=0.5,
            ingest_metrics_port=0,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run_ingest(settings, stop))
        try:
            await _raw_keys(broker.bootstrap, 1)
            assert not any(r.path == "/two.xml" for r in server.requests)
            feeds.write_text(f"feeds:\n  - url: {server.url('/two.xml')}\n    name: two\n")
            os.kill(os.getpid(), signal.SIGHUP)
            deadline = time.monotonic() + 15
            while not any(r.path == "/two.xml" for r in server.requests):
                assert time.monotonic() < deadline, "the new feed was never polled"
                await asyncio.sleep(0.1)
            await _raw_keys(broker.bootstrap, 2)
            # The removed feed stops being polled.
            await asyncio.sleep(1.5)
            polled = sum(r.path == "/one.xml" for r in server.requests)
            await asyncio.sleep(1.5)
            assert sum(r.path == "/one.xml" for r in server.requests) == polled
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)
