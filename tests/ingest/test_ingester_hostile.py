"""Hostile feeds against the whole ingester: each is classified, none slows the others down.

One ``run_ingest`` polls a good feed beside a gzip bomb, an endless body, a 1 byte/s drip, a
redirect loop, an HTML page, a 500, a 429 with Retry-After and a billion-laughs document. Each
hostile feed's FeedStatus on ``feeds.status`` must name its own error class within its time
bound, the process's memory must stay bounded, and the good feed must keep being polled on
its one-second rhythm throughout. The fetcher-level versions live in test_hostile.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.broker import EmbeddedBroker
from services.ingest.feeds import FeedConfig
from services.ingest.service import run_ingest
from services.ingest.settings import IngestSettings
from tests.ingest.servers import Document, Drip, Endless, GzipBomb, Redirect, Route, Status, serve
from tests.ingest.test_ingester_corpus import read_topic

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>good</title>
<item><guid>good-1</guid><title>Troops withdraw</title><description>Quiet.</description></item>
</channel></rss>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<rss version="2.0"><channel><title>&lol2;</title>
<item><title>&lol2;</title></item></channel></rss>"""
HTML = b"<!doctype html><html><head><title>Home</title></head><body><p>Hi</p></body></html>"
RETRY_AFTER_S = 120  # far beyond the test window: a second request would ignore it
TOTAL_TIMEOUT_S = 2.0

# path → (route, error class its FeedStatus must name, seconds within which it must show).
HOSTILE: dict[str, tuple[Route, str, float]] = {
    "/bomb": (GzipBomb(inflated_bytes=1024**3), "BodyTooLarge", 10),
    "/endless": (Endless(), "BodyTooLarge", 10),
    "/drip": (Drip(interval_s=1.0), "FetchTimeout", TOTAL_TIMEOUT_S + 8),
    "/loop": (Redirect("/loop2", 302), "TooManyRedirects", 10),
    "/html": (Document(HTML, content_type="text/html; charset=utf-8"), "NotAFeed", 10),
    "/500": (Status(500), "ServerError", 10),
    "/429": (Status(429, headers={"Retry-After": str(RETRY_AFTER_S)}), "RateLimited", 10),
    "/laughs": (Document(LAUGHS, content_type="application/rss+xml"), "UnsafeDocument", 10),
}


def _settings(broker: EmbeddedBroker, data_dir: Path, **overrides: Any) -> IngestSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap": broker.bootstrap,
        "data_dir": data_dir,
        "allow_private_urls": True,
        "min_poll_interval_s": 0.2,
        "max_poll_interval_s": 60,
        "backoff_cap_s": 10.0,  # bounds Retry-After at 24 times the cap, 240 s
        "connect_timeout_s": 1.0,
        # Longer than the drip's 1 s silences: only the total deadline can end it.
        "read_timeout_s": 1.5,
        "total_timeout_s": TOTAL_TIMEOUT_S,
        "max_body_bytes": MIB,
        "max_per_host": 16,
        "ingest_metrics_port": 0,
        **overrides,
    }
    return IngestSettings(**values)


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


async def _sample_memory(peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], _rss_bytes())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def test_hostile_feeds_are_classified_and_the_good_feed_keeps_its_rhythm(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Every hostile feed reports its own error class in time; the good feed polls every ~1 s."""
    routes: dict[str, Route] = {path: route for path, (route, _, _) in HOSTILE.items()}
    routes["/loop2"] = Redirect("/loop", 302)
    routes["/good"] = Document(RSS, etag='"good"')
    with serve(routes) as server:
        feeds = [FeedConfig(url=server.url(p), name=p.strip("/"), interval_s=60) for p in HOSTILE]
        good = FeedConfig(url=server.url("/good"), name="good", interval_s=1)
        stop, sampling = asyncio.Event(), asyncio.Event()
        baseline, peak = _rss_bytes(), [0]
        sampler = asyncio.create_task(_sample_memory(peak, sampling))
        started = time.monotonic()
        ingest = asyncio.create_task(
            run_ingest(_settings(broker, tmp_path), stop, feeds=[good, *feeds])
        )
        first_seen: dict[str, float] = {}
        statuses: dict[str, dict[str, Any]] = {}
        try:
            while time.monotonic() - started < 30:
                await asyncio.sleep(0.5)
                for record in await read_topic(broker.bootstrap, "feeds.status"):
                    status = statuses[record["key"]] = record["value"]
                    if status.get("last_error_class"):
                        first_seen.setdefault(record["key"], time.monotonic() - started)
                if len(first_seen) == len(HOSTILE) and time.monotonic() - started > 8:
                    break
        finally:
            stop.set()
            await asyncio.wait_for(ingest, 15)
            sampling.set()
            await sampler
        good_polls = [r for r in server.requests if r.path == "/good"]
        rate_limited = [r for r in server.requests if r.path == "/429"]
        window = time.monotonic() - started

    for path, (_, error_class, bound_s) in HOSTILE.items():
        url = server.url(path)
        assert statuses[url]["last_error_class"] == error_class, (path, statuses[url])
        assert statuses[url]["state"] == "FEED_STATE_ERRORING"
        assert first_seen[url] <= bound_s, (path, first_seen[url])
    assert peak[0] - baseline < 150 * MIB, "memory grew with a hostile body"
    # Retry-After honoured: one request, and the next poll is scheduled no sooner.
    assert len(rate_limited) == 1
    status_429 = statuses[server.url("/429")]
    gap = _seconds(status_429["next_poll_at"]) - _seconds(status_429["last_poll_at"])
    assert gap >= RETRY_AFTER_S - 1
    # The good feed kept its rhythm: ~1 poll/s all along, conditional after the first.
    assert len(good_polls) >= window / 3, (len(good_polls), window)
    assert all(r.headers.get("if-none-match") == '"good"' for r in good_polls[1:])
    good_status = statuses[good.url]
    assert good_status.get("consecutive_errors", 0) == 0
    assert good_status["state"] == "FEED_STATE_OK"


def _seconds(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


async def test_private_address_is_refused_without_the_setting(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Without allow_private_urls a feed on 127.0.0.1 is BlockedAddress and is never contacted."""
    with serve({"/feed": Document(RSS)}) as server:
        feed = FeedConfig(url=server.url("/feed"), name="inward")
        settings = _settings(broker, tmp_path, allow_private_urls=False)
        await asyncio.wait_for(run_ingest(settings, asyncio.Event(), feeds=[feed], max_polls=1), 30)
    assert server.requests == []
    statuses = {r["key"]: r["value"] for r in await read_topic(broker.bootstrap, "feeds.status")}
    assert statuses[feed.url]["last_error_class"] == "BlockedAddress"
    assert await read_topic(broker.bootstrap, "items.raw") == []
