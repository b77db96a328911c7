"""A feed's health as one poller sees it: gone, erroring forever, rate limited, stale.

The poller runs with the real fetcher over ``httpx2.MockTransport``, the real SQLite state and
a publisher whose producer accepts everything; the published FeedStatus records are kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from prometheus_client import CollectorRegistry

from proto import FEED_STATUS_CODEC, FeedState, FeedStatus
from services.ingest.feeds import FeedConfig
from services.ingest.fetch import Fetcher, FetchPolicy
from services.ingest.metrics import IngestMetrics
from services.ingest.poller import FeedPoller
from services.ingest.publish import Publisher
from services.ingest.schedule import PollPolicy
from services.ingest.state import IngestState

URL = "https://wire.example/feed.xml"
Handler = Callable[[httpx2.Request], httpx2.Response]


class _AcceptingProducer:
    """A producer whose broker acknowledges every record; FeedStatus records are kept."""

    def __init__(self) -> None:
        self.statuses: list[FeedStatus] = []

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> Any:
        self.statuses.append(FEED_STATUS_CODEC.decode(value))


def _rss(*guids: str) -> bytes:
    items = "".join(f"<item><guid>{g}</guid><title>{g}</title></item>" for g in guids)
    return f"<rss version='2.0'><channel><title>w</title>{items}</channel></rss>".encode()


@pytest.fixture
async def make_poller(
    tmp_path: Path,
) -> AsyncIterator[Callable[[Handler, PollPolicy], Awaitable[FeedPoller]]]:
    async with IngestState(tmp_path / "state.sqlite3") as state:
        fetchers: list[Fetcher] = []

        async def make(handler: Handler, policy: PollPolicy) -> FeedPoller:
            fetcher = Fetcher(FetchPolicy(), transport=httpx2.MockTransport(handler))
            fetchers.append(await fetcher.__aenter__())
            producer = _AcceptingProducer()
            poller = FeedPoller(
                FeedConfig(url=URL, name="wire"),
                fetcher=fetcher,
                publisher=Publisher(producer, state),
                state=state,
                policy=policy,
                default_interval_s=300,
                metrics=IngestMetrics(CollectorRegistry()),
            )
            poller.producer = producer  # type: ignore[attr-defined]  # for the assertions
            return poller

        yield make
        for fetcher in fetchers:
            await fetcher.aclose()


POLICY = PollPolicy(min_interval_s=30, max_interval_s=3600, backoff_base_s=30, backoff_cap_s=600)


async def test_gone_feed_is_marked_gone_and_still_polled(make_poller: Any) -> None:
    """410 Gone: state GONE, next poll at the longest interval; a later 200 brings it back."""
    answers = [httpx2.Response(410), httpx2.Response(200, content=_rss("a"))]
    poller = await make_poller(lambda request: answers.pop(0), POLICY)
    assert await poller.poll() == POLICY.max_interval_s
    assert poller.producer.statuses[-1].state == FeedState.FEED_STATE_GONE
    assert poller.producer.statuses[-1].last_error_class == "Gone"
    await poller.poll()
    assert poller.producer.statuses[-1].state == FeedState.FEED_STATE_OK


async def test_errors_are_retried_forever(make_poller: Any) -> None:
    """A feed failing 60 times in a row is still polled, each wait bounded by the cap."""
    poller = await make_poller(lambda request: httpx2.Response(500), POLICY)
    delays = [await poller.poll() for _ in range(60)]
    assert all(0 < delay <= POLICY.backoff_cap_s for delay in delays)
    assert delays[-1] >= POLICY.backoff_cap_s / 2  # grown to the cap, not given up
    last = poller.producer.statuses[-1]
    assert last.consecutive_errors == 60
    assert last.last_error_class == "ServerError"
    assert last.state == FeedState.FEED_STATE_ERRORING


async def test_run_keeps_polling_a_failing_feed(make_poller: Any) -> None:
    """FeedPoller.run never stops on its own: with tiny backoffs it keeps retrying."""
    calls = 0

    def failing(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return httpx2.Response(503)

    tiny = PollPolicy(min_interval_s=0, max_interval_s=1, backoff_base_s=0.001, backoff_cap_s=0.002)
    poller = await make_poller(failing, tiny)
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    for _ in range(500):
        if calls >= 30:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert calls >= 30


async def test_rate_limited_poll_waits_for_retry_after(make_poller: Any) -> None:
    """429 with Retry-After: 900 schedules the next poll at least 900 s later."""
    response = httpx2.Response(429, headers={"Retry-After": "900"})
    poller = await make_poller(lambda request: response, POLICY)
    assert await poller.poll() >= 900
    assert poller.producer.statuses[-1].last_error_class == "RateLimited"


async def test_quiet_feed_becomes_stale_far_beyond_its_rhythm(make_poller: Any) -> None:
    """200s with no new items for far longer than the feed's rhythm flag it stale."""
    bodies = [_rss("a"), _rss("a", "b"), _rss("a", "b", "c"), _rss("a", "b", "c")]
    poller = await make_poller(lambda request: httpx2.Response(200, content=bodies.pop(0)), POLICY)
    for _ in range(4):
        await poller.poll()
    health = poller.health
    assert health.items_seen == 3
    assert health.last_new_item_at is not None
    assert poller.state(health.last_new_item_at + timedelta(minutes=5)) == FeedState.FEED_STATE_OK
    assert poller.state(health.last_new_item_at + timedelta(days=2)) == FeedState.FEED_STATE_STALE
