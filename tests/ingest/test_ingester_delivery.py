"""What ingest promises about delivery, proved against the real broker.

A second poll of an unchanged feed is conditional, answered 304, and produces nothing. A
failed produce marks nothing seen. An ingest process SIGKILLed between the broker's ack and
mark-seen loses nothing: restarted, it produces the items again (a duplicate, never a loss).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaError

from proto import RawItem
from services.broker import EmbeddedBroker
from services.ingest.feeds import FeedConfig
from services.ingest.publish import Publisher
from services.ingest.service import run_ingest
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState
from tests.ingest.servers import Document, serve
from tests.ingest.test_ingester_corpus import read_topic

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>wire</title>
<item><guid>a-1</guid><title>Troops mass at the border</title><description>One.</description></item>
<item><guid>a-2</guid><title>Columns seen moving west</title><description>Two.</description></item>
<item><guid>a-3</guid><title>Brigade withdraws</title><description>Three.</description></item>
</channel></rss>"""
LAST_MODIFIED = "Tue, 04 Nov 2014 10:00:00 GMT"


async def test_unchanged_feed_is_asked_conditionally_and_produces_nothing(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Poll 2 sends If-None-Match and If-Modified-Since, gets 304, and adds no record."""
    document = Document(RSS, etag='"v1"', last_modified=LAST_MODIFIED)
    with serve({"/feed": document}) as server:
        feed = FeedConfig(url=server.url("/feed"), name="wire", interval_s=1)
        settings = IngestSettings(
            kafka_bootstrap=broker.bootstrap,
            data_dir=tmp_path,
            allow_private_urls=True,
            min_poll_interval_s=0.1,
            ingest_metrics_port=0,
        )
        await asyncio.wait_for(run_ingest(settings, asyncio.Event(), feeds=[feed], max_polls=1), 30)
        after_first = await read_topic(broker.bootstrap, "items.raw")
        await asyncio.wait_for(run_ingest(settings, asyncio.Event(), feeds=[feed], max_polls=1), 30)
    first, second = server.requests
    assert "if-none-match" not in first.headers
    assert second.headers.get("if-none-match") == '"v1"'
    assert second.headers.get("if-modified-since") == LAST_MODIFIED
    assert len(after_first) == 3
    again = await read_topic(broker.bootstrap, "items.raw")
    assert sorted(r["offset"] for r in again) == sorted(r["offset"] for r in after_first)
    statuses = [r["value"] for r in await read_topic(broker.bootstrap, "feeds.status")]
    assert statuses[-1]["last_http_status"] == 304


class _RefusingProducer:
    """A producer whose broker refuses every record whose item id is in ``refuse``."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if key.decode() in self.refuse:
            future.set_exception(KafkaError("NOT_ENOUGH_REPLICAS"))
        else:
            future.set_result(None)
        return future

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> Any:
        return None


def _item(item_id: str) -> RawItem:
    return RawItem(
        item_id=item_id, version=1, feed_url="https://wire.example/feed", content_hash="h"
    )


@pytest.mark.parametrize(
    ("refused", "marked"),
    [
        pytest.param({"a", "b"}, set(), id="all-refused"),
        pytest.param({"b"}, {"a"}, id="one-refused"),
    ],
)
async def test_failed_produce_marks_nothing_seen(
    tmp_path: Path, refused: set[str], marked: set[str]
) -> None:
    """Items the broker refused are not marked seen (the error is raised); acked ones are."""
    async with IngestState(tmp_path / "state.sqlite3") as state:
        publisher = Publisher(_RefusingProducer(refused), state)
        with pytest.raises(KafkaError):
            await publisher.publish_items("https://wire.example/feed", [_item("a"), _item("b")])
        fresh = await state.versions_to_emit("https://wire.example/feed", {"a": "h", "b": "h"})
    assert set(fresh) == {"a", "b"} - marked


def _seen_ids(data_dir: Path) -> set[str]:
    with sqlite3.connect(data_dir / "ingest.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT item_id FROM items_seen")}


async def test_sigkill_between_produce_and_mark_seen_loses_nothing(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """`wirewatch ingest` killed after the ack, before mark-seen, re-produces on restart."""
    with serve({"/feed": Document(RSS, etag='"v1"')}) as server:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(f"feeds:\n  - url: {server.url('/feed')}\n    name: wire\n")
        env = {
            **os.environ,
            "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
            "WIREWATCH_DATA_DIR": str(tmp_path / "data"),
            "WIREWATCH_FEEDS_FILE": str(feeds_file),
            "WIREWATCH_ALLOW_PRIVATE_URLS": "true",
            "WIREWATCH_MIN_POLL_INTERVAL_S": "0.2",
            "WIREWATCH_INGEST_METRICS_PORT": "0",
            "WIREWATCH_LOG_LEVEL": "warning",
        }
        command = [sys.executable, "-m", "services.cli", "ingest"]
        crashing = await asyncio.create_subprocess_exec(
            *command, env={**env, "WIREWATCH_FAULT_INJECT": "crash-after-produce"}, cwd=REPO
        )
        assert await asyncio.wait_for(crashing.wait(), 60) == -signal.SIGKILL
        produced_before = await read_topic(broker.bootstrap, "items.raw")
        assert len(produced_before) == 3  # the broker acked them all ...
        assert _seen_ids(tmp_path / "data") == set()  # ... and none was marked seen

        restarted = await asyncio.create_subprocess_exec(*command, env=env, cwd=REPO)
        try:
            deadline = time.monotonic() + 60
            while _seen_ids(tmp_path / "data") != {r["key"] for r in produced_before}:
                assert time.monotonic() < deadline, "restarted ingest never marked the items seen"
                assert restarted.returncode is None, "restarted ingest exited"
                await asyncio.sleep(0.2)
        finally:
            restarted.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(restarted.wait(), 30) == 0
    keys = Counter(r["key"] for r in await read_topic(broker.bootstrap, "items.raw"))
    assert set(keys) == {r["key"] for r in produced_before}
    assert all(count == 2 for count in keys.values())  # repeated once, never lost
