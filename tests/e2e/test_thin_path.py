"""The thin path, for real: local feed → ingest → broker → extract → broker → api → HTTP.

Every part is real: the embedded Tansu broker, a threaded HTTP feed server on 127.0.0.1,
the spaCy pipeline, a SQLite file and uvicorn serving the API on a free port.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from services.api.service import run_api
from services.api.settings import ApiSettings
from services.broker import EmbeddedBroker, free_port
from services.extract.service import run_extract
from services.extract.settings import ExtractSettings
from services.ingest.feeds import FeedConfig
from services.ingest.service import run_ingest
from services.ingest.settings import IngestSettings
from tests.ingest.servers import Document, serve

pytestmark = pytest.mark.integration

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Local wire</title><link>http://127.0.0.1/</link>
<item><guid>wire-1</guid><title>NATO says Russian troops massing near Ukraine border</title>
<link>http://127.0.0.1/wire-1</link><pubDate>Tue, 04 Nov 2014 10:00:00 GMT</pubDate>
<description>NATO Secretary General Jens Stoltenberg said on Tuesday that Russia has amassed
about 20,000 troops near the border with Ukraine.</description></item>
<item><guid>wire-2</guid><title>Markets steady in London</title>
<link>http://127.0.0.1/wire-2</link><pubDate>Tue, 04 Nov 2014 11:00:00 GMT</pubDate>
<description>Shares in London were little changed on Tuesday.</description></item>
</channel></rss>"""


async def _wait_for(client: httpx2.AsyncClient, url: str, ready: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            response = await client.get(url)
            last = response.json() if response.status_code == 200 else response.status_code
            if response.status_code == 200 and ready(last):
                return last
        except httpx2.TransportError:
            pass
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting on {url}; last answer: {last!r}")


async def test_a_feed_item_reaches_the_api_with_entities(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """An item served by a local feed is listed by GET /v1/items with its spaCy entities."""
    common: dict[str, Any] = {"kafka_bootstrap": broker.bootstrap, "data_dir": tmp_path}
    api_port = free_port()
    with serve({"/feed.xml": Document(RSS, etag='"v1"')}) as feed_server:
        feed = FeedConfig(url=feed_server.url("/feed.xml"), name="local wire", interval_s=1)
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(
                run_ingest(
                    IngestSettings(
                        **common,
                        allow_private_urls=True,
                        min_poll_interval_s=0.5,
                        ingest_metrics_port=0,
                    ),
                    stop,
                    feeds=[feed],
                )
            ),
            asyncio.create_task(
                run_extract(ExtractSettings(**common, extract_metrics_port=0), stop)
            ),
            asyncio.create_task(run_api(ApiSettings(**common, api_port=api_port), stop)),
        ]
        base = f"http://127.0.0.1:{api_port}"
        try:
            async with httpx2.AsyncClient(timeout=5) as client:
                health = await _wait_for(client, f"{base}/healthz", lambda b: True, 30)
                assert health == {"status": "ok"}
                page = await _wait_for(
                    client, f"{base}/v1/items", lambda b: len(b["items"]) == 2, 60
                )
                by_title = {item["title"]: item for item in page["items"]}
                wire = by_title["NATO says Russian troops massing near Ukraine border"]
                detail = (await client.get(f"{base}/v1/items/{wire['item_id']}")).json()
                texts = {entity["text"] for entity in detail["entities"]}
                assert {"NATO", "Ukraine"} <= texts
                for entity in detail["entities"]:
                    start, end = entity["start"], entity["end"]
                    assert detail["text"][start:end] == entity["text"]
                assert detail["feed_url"] == feed.url
                assert (await client.get(f"{base}/v1/items/nope")).status_code == 404
                metrics = (await client.get(f"{base}/metrics")).text
                assert "wirewatch_api_sink_records_total" in metrics
        finally:
            stop.set()
            results = await asyncio.wait_for(
                asyncio.gather(*tasks, return_exceptions=True), timeout=20
            )
        for result in results:
            assert not isinstance(result, BaseException), result
        # Conditional GET: the feed was polled again and answered 304 at least once.
        assert any(r.headers.get("if-none-match") == '"v1"' for r in feed_server.requests)
