"""The 2014 seed story end to end: local feeds → ingest → broker → extract → broker → api →
alerts, every part real (Tansu, a threaded feed server, spaCy, SQLite, uvicorn).

Three phases, each a feed change: (1) the 4 November article raises claim.new for the Russian
build-up near the Ukrainian border claimed by Stoltenberg and for the ordered withdrawal of
17,600 troops from the Rostov region; (2) the 21 November article raises claim.disputed
linking Grushko's denial to the NATO claim, and claim.new for NATO's report of forces crossing
into Ukraine; (3) a second feed republishing the first article under another URL raises
nothing and adds no independent source. ``Story`` keeps the running pipeline, so webhook
receiver assertions can be added beside the alert ones phase by phase.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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
from tests.api.webhooks_support import Receiver, receiver
from tests.ingest.servers import Document, LocalServer, serve

SECRET = "whsec_" + "c3RvcnktdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OWFi"

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEEDS = Path(__file__).resolve().parents[2] / "services" / "demo" / "data" / "seeds"
NOV_4 = datetime(2014, 11, 4, 10, 0, tzinfo=UTC)
NOV_5 = datetime(2014, 11, 5, 9, 0, tzinfo=UTC)
NOV_21 = datetime(2014, 11, 21, 10, 0, tzinfo=UTC)


def _entry(guid: str, link: str, seed: str, published: datetime) -> str:
    text = (SEEDS / seed).read_text(encoding="utf-8").strip()
    title = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return (
        f"<item><guid>{guid}</guid><title>{escape(title)}</title><link>{link}</link>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{escape(text)}</description></item>"
    )


def _rss(name: str, *entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://{name}.example/</link>{''.join(entries)}"
        "</channel></rss>"
    ).encode()


FIRST = _entry("ria-1", "https://ria.example/world/1", "000_1d4f31c28afa7fe4.txt", NOV_4)
SECOND = _entry("ria-2", "https://ria.example/world/2", "002_8111368c5c04ae35.txt", NOV_21)
REPRINT = _entry("daily-7", "https://daily.example/a/7", "000_1d4f31c28afa7fe4.txt", NOV_5)


@dataclass
class Story:
    """The running pipeline: the API's base URL, an HTTP client, and the feed server."""

    base: str
    client: httpx2.AsyncClient
    feeds: LocalServer
    hooks: Receiver

    def publish(self, path: str, body: bytes, etag: str) -> None:
        self.feeds.routes[path] = Document(body, etag=etag)

    async def alerts(self) -> list[dict[str, Any]]:
        page = (await self.client.get(f"{self.base}/v1/alerts", params={"limit": 200})).json()
        return list(reversed(page["items"]))

    async def wait(
        self, ready: Callable[[list[dict[str, Any]]], bool], timeout_s: float, what: str
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = await self.alerts()
            if ready(found):
                return found
            await asyncio.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}\n{await self.explain(found)}")

    async def explain(self, found: list[dict[str, Any]]) -> str:
        """The extractor's claims of every stored item and the alerts so far, for failures."""
        lines = ["alerts:"] + [f"  {a['type']} {_describe(a['data']['claim'])}" for a in found]
        items = (await self.client.get(f"{self.base}/v1/items", params={"limit": 50})).json()
        for item in items["items"]:
            detail = (await self.client.get(f"{self.base}/v1/items/{item['item_id']}")).json()
            lines.append(f"claims of {item['url']}:")
            lines.extend(f"  {_describe(c)}" for c in detail["claims"])
        return "\n".join(lines)


def _describe(claim: dict[str, Any]) -> str:
    size = (claim.get("size") or {}).get("text")
    who = (claim.get("claimant") or {}).get("text")
    return f"{claim['fingerprint']} size={size!r} claimant={who!r}: {claim['evidence'][:90]!r}"


@pytest.fixture
async def story(broker: EmbeddedBroker, tmp_path: Path) -> AsyncIterator[Story]:
    common: dict[str, Any] = {"kafka_bootstrap": broker.bootstrap, "data_dir": tmp_path}
    api_port = free_port()
    routes = {"/ria.xml": Document(_rss("ria"), etag='"0"'), "/daily.xml": Document(_rss("daily"))}
    with serve(routes) as feed_server, receiver(Receiver(secret=SECRET)) as hooks:
        feeds = [
            FeedConfig(url=feed_server.url(path), name=path, interval_s=1)
            for path in ("/ria.xml", "/daily.xml")
        ]
        ingest = IngestSettings(
            **common, allow_private_urls=True, min_poll_interval_s=0.5, ingest_metrics_port=0
        )
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(run_ingest(ingest, stop, feeds=feeds)),
            asyncio.create_task(
                run_extract(ExtractSettings(**common, extract_metrics_port=0), stop)
            ),
            asyncio.create_task(
                run_api(
                    ApiSettings(
                        **common,
                        api_port=api_port,
                        allow_private_urls=True,
                        webhook_poll_interval_s=0.2,
                        webhooks=[{"url": hooks.url, "secret": SECRET, "description": "story"}],
                    ),
                    stop,
                )
            ),
        ]
        try:
            async with httpx2.AsyncClient(timeout=5) as client:
                base = f"http://127.0.0.1:{api_port}"
                for _ in range(300):  # the api is up once its lifespan has run
                    try:
                        if (await client.get(f"{base}/readyz")).status_code == 200:
                            break
                    except httpx2.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                yield Story(base, client, feed_server, hooks)
        finally:
            stop.set()
            results = await asyncio.wait_for(
                asyncio.gather(*tasks, return_exceptions=True), timeout=30
            )
    for result in results:
        assert not isinstance(result, BaseException), result


def _claim(alert: dict[str, Any]) -> dict[str, Any]:
    claim: dict[str, Any] = alert["data"]["claim"]
    return claim


def _is(alert: dict[str, Any], kind: str, movement: str, polarity: str, url: str) -> bool:
    claim = _claim(alert)
    return (
        alert["type"] == kind
        and claim["movement"] == movement
        and claim["polarity"] == polarity
        and alert["data"]["item"]["url"] == url
    )


def _russian_buildup(alert: dict[str, Any]) -> bool:
    claim = _claim(alert)
    return (
        _is(alert, "claim.new", "buildup", "asserted", "https://ria.example/world/1")
        and (claim["actor"] or {}).get("canonical_id") == "RUS"
        and (claim["location"] or {}).get("canonical_id") == "UKR"
        and "Stoltenberg" in (claim["claimant"] or {}).get("text", "")
    )


def _rostov_withdrawal(alert: dict[str, Any]) -> bool:
    claim = _claim(alert)
    return (
        _is(alert, "claim.new", "withdraw", "asserted", "https://ria.example/world/1")
        and (claim["size"] or {}).get("min") == 17600
        and "Rostov" in (claim["location"] or {}).get("text", "")
    )


def _nato_crossing(alert: dict[str, Any]) -> bool:
    claim = _claim(alert)
    return (
        _is(alert, "claim.new", "advance", "asserted", "https://ria.example/world/2")
        and (claim["location"] or {}).get("canonical_id") == "UKR"
        and "NATO" in (claim["claimant"] or {}).get("text", "")
    )


def _grushko_disputes(nato_cluster: str) -> Callable[[dict[str, Any]], bool]:
    def match(alert: dict[str, Any]) -> bool:
        claim = _claim(alert)
        return (
            alert["type"] == "claim.disputed"
            and "Grushko" in (claim["claimant"] or {}).get("text", "")
            and nato_cluster in {d["cluster_id"] for d in alert["data"]["disputes"]}
        )

    return match


async def test_the_seed_story_raises_the_right_alerts(story: Story) -> None:
    """claim.new for the build-up and the withdrawal; claim.disputed linking Grushko's denial
    to the NATO claim and claim.new for NATO's crossing report; nothing for a reprint."""
    # Phase 1: the 4 November article.
    story.publish("/ria.xml", _rss("ria", FIRST), '"1"')
    first = await story.wait(
        lambda found: any(map(_russian_buildup, found)) and any(map(_rostov_withdrawal, found)),
        90,
        "claim.new for the build-up and the withdrawal",
    )
    buildup = next(filter(_russian_buildup, first))

    # Phase 2: the 21 November article.
    story.publish("/ria.xml", _rss("ria", SECOND, FIRST), '"2"')
    second = await story.wait(
        lambda found: (
            any(map(_grushko_disputes(buildup["cluster_id"]), found))
            and any(map(_nato_crossing, found))
        ),
        90,
        "claim.disputed by Grushko and claim.new for NATO's crossing report",
    )
    nato = await story.client.get(f"{story.base}/v1/clusters/{buildup['cluster_id']}")
    assert nato.json()["disputes"], "the NATO cluster links back to the denial"

    # Phase 3: a second feed reprints the first article under another URL.
    story.publish("/daily.xml", _rss("daily", REPRINT), '"1"')
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        items = (await story.client.get(f"{story.base}/v1/items", params={"limit": 50})).json()
        if any(i["url"] == "https://daily.example/a/7" for i in items["items"]):
            break  # stored and clustered in one transaction: its alerts, if any, exist now
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("the reprint never reached the store")
    after = await story.alerts()
    reprint_alerts = [a for a in after if a["data"]["item"]["url"] == "https://daily.example/a/7"]
    assert reprint_alerts == [], await story.explain(reprint_alerts)
    assert len(after) == len(second)
    cluster = (await story.client.get(f"{story.base}/v1/clusters/{buildup['cluster_id']}")).json()
    assert (cluster["independent_sources"], cluster["total_sources"]) == (1, 2)
    copy = next(s for s in cluster["sources"] if s["url"] == "https://daily.example/a/7")
    assert copy["independent"] is False

    # Every alert also reached the webhook receiver, signed, once per webhook-id.
    wanted = {a["alert_id"] for a in after}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = {
            r.body["data"]["alert"]["alert_id"]
            for r in list(story.hooks.requests)
            if r.verified and r.body
        }
        if got >= wanted:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"webhooks missing for alerts {wanted - got}")
    assert all(r.verified for r in story.hooks.requests), "every delivery is correctly signed"
    types = {r.body["type"] for r in story.hooks.requests if r.body}
    assert {"claim.new", "claim.disputed"} <= types
    assert all(n == 1 for n in story.hooks.accepted.values())
    by_id: dict[str, int] = {}
    for request in story.hooks.requests:
        by_id[request.webhook_id] = by_id.get(request.webhook_id, 0) + 1
    assert all(n == 1 for n in by_id.values()), "no redelivery while the receiver answers 2xx"
