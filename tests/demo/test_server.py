"""The demo feed server over real HTTP on 127.0.0.1: release pacing, RSS content, conditional
GETs, article pages and a clean, quick shutdown."""

from __future__ import annotations

import asyncio
import calendar
import io
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx2
import pytest

from services.demo import DemoFeedServer, demo_feeds_yaml
from services.demo.catalogue import SEEDS_DIR
from services.ingest.feeds import load_feeds

pytestmark = pytest.mark.integration
REPO_ROOT = Path(__file__).resolve().parents[2]


async def _feed(client: httpx2.AsyncClient, url: str) -> feedparser.FeedParserDict:
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    return feedparser.parse(io.BytesIO(response.content))


async def test_items_are_released_over_time_at_about_the_rate() -> None:
    """One item is visible at start, then about rate_per_s more each second."""
    async with httpx2.AsyncClient() as client, DemoFeedServer(rate_per_s=20) as server:
        started = time.monotonic()
        first = await _feed(client, server.url)
        assert len(first.entries) == 1
        await asyncio.sleep(0.5)
        later = await _feed(client, server.url)
        elapsed = time.monotonic() - started
        expected = 1 + elapsed * 20
        assert expected - 3 <= len(later.entries) <= expected + 1
        assert len(later.entries) <= server.released


async def test_feed_parses_with_guid_link_title_description_and_date() -> None:
    """Every entry has a guid, a link to its article page, a title, a description and a date."""
    async with DemoFeedServer(rate_per_s=40) as server, httpx2.AsyncClient() as client:
        await asyncio.sleep(0.3)
        parsed = await _feed(client, server.url)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert len(parsed.entries) >= 5
    for entry in parsed.entries:
        assert entry.id
        assert entry.link == f"{server.base_url}/items/{entry.id}"
        assert entry.title.strip()
        assert entry.summary.strip()
        assert entry.published_parsed is not None
    ag_entries = [e for e in parsed.entries if e.id.startswith("ag-")]
    assert ag_entries
    now = datetime.now(UTC)
    for entry in ag_entries:
        published = datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)
        assert abs((now - published).total_seconds()) < 60, "AG News items carry release time"


async def test_seed_articles_come_first_with_their_2014_dates_and_full_text() -> None:
    """With seed_first the two seed articles are released before anything else."""
    async with DemoFeedServer(rate_per_s=10) as server, httpx2.AsyncClient() as client:
        await asyncio.sleep(0.35)
        parsed = await _feed(client, server.url)
    oldest_first = list(reversed(parsed.entries))
    seeds = oldest_first[:2]
    assert [e.id for e in seeds] == [f"seed-{p.stem}" for p in sorted(SEEDS_DIR.glob("*.txt"))]
    assert [tuple(e.published_parsed[:3]) for e in seeds] == [(2014, 11, 4), (2014, 11, 21)]
    for entry, path in zip(seeds, sorted(SEEDS_DIR.glob("*.txt")), strict=True):
        full_text = " ".join(path.read_text(encoding="utf-8").split())
        assert " ".join(entry.summary.split()) == full_text
    assert all(e.id.startswith("ag-") for e in oldest_first[2:])


async def test_seeds_are_not_first_when_seed_first_is_false() -> None:
    """seed_first=False starts the wire with AG News items."""
    server = DemoFeedServer(rate_per_s=10, seed_first=False)
    async with server, httpx2.AsyncClient() as client:
        await asyncio.sleep(0.25)
        parsed = await _feed(client, server.url)
    assert parsed.entries
    assert all(e.id.startswith("ag-") for e in parsed.entries)


async def test_feed_lists_the_newest_window_items_newest_first() -> None:
    """The feed holds at most `window` items, most recently released first."""
    server = DemoFeedServer(rate_per_s=50, window=5)
    async with server, httpx2.AsyncClient() as client:
        await asyncio.sleep(0.4)
        parsed = await _feed(client, server.url)
        released = server.released
    assert released > 5
    assert len(parsed.entries) == 5
    ag_rows = [int(e.id.removeprefix("ag-")) for e in parsed.entries]
    assert ag_rows == sorted(ag_rows, reverse=True), "AG News items are released in row order"


async def test_etag_answers_304_until_a_new_item_is_released() -> None:
    """If-None-Match with the current ETag gets 304; after a release it gets 200 and a new ETag."""
    async with httpx2.AsyncClient() as client, DemoFeedServer(rate_per_s=0.5) as server:
        first = await client.get(server.url)
        etag = first.headers["etag"]
        for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = await client.get(server.url, headers={"If-None-Match": sent})
            assert again.status_code == 304, sent
            assert again.headers["etag"] == etag
            assert again.content == b""
        stale = await client.get(server.url, headers={"If-None-Match": '"not-the-etag"'})
        assert stale.status_code == 200
        await asyncio.sleep(2.05)  # the next release is due two seconds after the first
        assert server.released >= 2
        changed = await client.get(server.url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(feedparser.parse(io.BytesIO(changed.content)).entries) == 2


async def test_article_page_is_served_once_released() -> None:
    """/items/<id> serves released articles as HTML; unreleased and unknown ids are 404."""
    async with DemoFeedServer(rate_per_s=0.5) as server, httpx2.AsyncClient() as client:
        parsed = await _feed(client, server.url)
        (entry,) = parsed.entries
        page = await client.get(entry.link)
        second_seed = sorted(SEEDS_DIR.glob("*.txt"))[1].stem
        unreleased = await client.get(f"{server.base_url}/items/seed-{second_seed}")
        unknown = await client.get(f"{server.base_url}/items/nope")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Stoltenberg" in page.text
    assert "<h1>" in page.text
    assert unreleased.status_code == 404
    assert unknown.status_code == 404


async def test_healthz_head_and_unsupported_methods() -> None:
    """/healthz reports progress; HEAD has headers only; POST is refused with 405."""
    async with DemoFeedServer() as server, httpx2.AsyncClient() as client:
        health = await client.get(f"{server.base_url}/healthz")
        head = await client.head(server.url)
        post = await client.post(server.url, content=b"x")
        missing = await client.get(f"{server.base_url}/elsewhere")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["released"] >= 1
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) > 0
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"
    assert missing.status_code == 404


async def test_shutdown_is_quick_idempotent_and_leaves_no_tasks() -> None:
    """aclose with a keep-alive client connection open takes < 1 s and leaves nothing running."""
    before = asyncio.all_tasks()
    server = DemoFeedServer()
    async with httpx2.AsyncClient() as client:
        await server.__aenter__()
        url = server.url
        assert (await client.get(url)).status_code == 200  # keeps a pooled connection open
        started = time.monotonic()
        await server.aclose()
        assert time.monotonic() - started < 1.0
        await server.aclose()
        with pytest.raises(httpx2.TransportError):
            await client.get(url)
    assert asyncio.all_tasks() - before == set()
    assert server.released == 0
    with pytest.raises(RuntimeError, match="closed"):
        await server.__aenter__()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"rate_per_s": 0}, "rate_per_s", id="zero-rate"),
        pytest.param({"rate_per_s": -1.0}, "rate_per_s", id="negative-rate"),
        pytest.param({"window": 0}, "window", id="empty-window"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float], message: str) -> None:
    """A rate or window that could never show an item is a ValueError."""
    with pytest.raises(ValueError, match=message):
        DemoFeedServer(**kwargs)  # type: ignore[arg-type]


def test_demo_feeds_yaml_is_a_loadable_feeds_file(tmp_path: Path) -> None:
    """demo_feeds_yaml writes a feeds file that lists the demo feed with a short interval."""
    url = "http://127.0.0.1:8765/feed.xml"
    path = tmp_path / "feeds.yaml"
    path.write_text(demo_feeds_yaml(url), encoding="utf-8")
    (feed,) = load_feeds(path)
    assert feed.url == url
    assert feed.interval_s is not None
    assert feed.interval_s <= 5


@pytest.mark.slow
async def test_command_line_serves_until_sigint() -> None:
    """`python -m services.demo.server` prints the feed URL, serves it and exits 0 on SIGINT."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.demo.server", "--port", "0", "--rate", "5",
        cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"http://127\.0\.0\.1:\d+/feed\.xml", line)
        assert match, line
        async with httpx2.AsyncClient() as client:
            parsed = await _feed(client, match.group(0))
        assert parsed.entries
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 5) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
