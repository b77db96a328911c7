"""GET /v1/alerts, /v1/alerts/{id}, /v1/clusters/{id} and the SSE stream, served by real
uvicorn on a free port over a store the alert engine filled."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from proto import Polarity
from services.api.alerts.engine import AlertEngine
from services.api.alerts.stream import sse_events
from services.api.service import run_api
from services.api.settings import ApiSettings
from services.api.store import AlertStore, Store
from services.broker import free_port
from tests.api.test_alerts_engine import BODY_B, article, movement_claim

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[str, Store]]:
    """(base URL of a running api, a store on its database) with four alerts raised:
    claim.new, claim.new + claim.disputed for a denial, claim.corroborated."""
    settings = ApiSettings(
        data_dir=tmp_path, api_port=free_port(), api_consume=False, webhook_dispatch=False
    )
    async with await Store.open(settings.database) as store:
        engine = AlertEngine(store)
        await engine.ingest(article("a", movement_claim("c1")))
        denial = movement_claim("c2", polarity=Polarity.POLARITY_DENIED)
        await engine.ingest(article("b", denial, body=BODY_B))
        await engine.ingest(article("c", movement_claim("c3"), body="Officials confirmed it."))
        stop = asyncio.Event()
        task = asyncio.create_task(run_api(settings, stop))
        base = f"http://127.0.0.1:{settings.api_port}"
        async with httpx2.AsyncClient() as client:
            for _ in range(100):
                try:
                    if (await client.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx2.TransportError:
                    await asyncio.sleep(0.1)
        try:
            yield base, store
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


async def test_alerts_list_newest_first_and_pages_through_everything_once(
    api: tuple[str, Store],
) -> None:
    """Every alert once, newest first, following next_cursor with limit=1."""
    base, _ = api
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1}
    async with httpx2.AsyncClient() as client:
        while True:
            page = (await client.get(f"{base}/v1/alerts", params=params)).json()
            seen.extend(page["items"])
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
    seqs = [a["seq"] for a in seen]
    assert seqs == sorted(seqs, reverse=True)
    assert [a["type"] for a in reversed(seen)] == [
        "claim.new",
        "claim.new",
        "claim.disputed",
        "claim.corroborated",
    ]


@pytest.mark.parametrize(
    ("params", "types"),
    [
        pytest.param({"type": "claim.disputed"}, ["claim.disputed"], id="type"),
        pytest.param(
            {"type": ["claim.new", "claim.corroborated"]},
            ["claim.corroborated", "claim.new", "claim.new"],
            id="types",
        ),
        pytest.param({"polarity": "denied"}, ["claim.disputed", "claim.new"], id="polarity"),
        pytest.param({"actor": "rus", "min_sources": 2}, ["claim.corroborated"], id="sources"),
        pytest.param({"location": "UKR", "movement": "advance"}, [], id="movement"),
        pytest.param({"since": "2999-01-01T00:00:00Z"}, [], id="since"),
    ],
)
async def test_alert_filters(
    api: tuple[str, Store], params: dict[str, Any], types: list[str]
) -> None:
    """Filters combine: type (repeatable), polarity, actor, location, movement, min_sources,
    since."""
    base, _ = api
    async with httpx2.AsyncClient() as client:
        page = (await client.get(f"{base}/v1/alerts", params=params)).json()
    assert [a["type"] for a in page["items"]] == types


async def test_alert_and_cluster_detail(api: tuple[str, Store]) -> None:
    """An alert by id carries the webhook data object; its cluster lists claims, sources with
    independence, and the disputing cluster; unknown ids and bad cursors use the error shape."""
    base, _ = api
    async with httpx2.AsyncClient() as client:
        listed = await client.get(f"{base}/v1/alerts", params={"type": "claim.corroborated"})
        alert = listed.json()["items"][0]
        one = (await client.get(f"{base}/v1/alerts/{alert['alert_id']}")).json()
        assert one == alert
        assert set(one["data"]) == {"alert", "cluster", "claim", "item", "sources", "disputes"}
        cluster = (await client.get(f"{base}/v1/clusters/{alert['cluster_id']}")).json()
        assert [c["claim_id"] for c in cluster["claims"]] == ["c1", "c3"]
        assert [(s["item_id"], s["independent"]) for s in cluster["sources"]] == [
            ("a", True),
            ("c", True),
        ]
        assert [d["polarity"] for d in cluster["disputes"]] == ["denied"]
        missing = await client.get(f"{base}/v1/clusters/nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        bad = await client.get(f"{base}/v1/alerts", params={"cursor": "x.y"})
        assert bad.status_code == 422
        assert bad.json()["error"]["field"] == "cursor"
        # Beyond what the database's 64-bit integers hold: a 422, not a 500.
        huge = await client.get(f"{base}/v1/alerts", params={"min_sources": 10**30})
        assert huge.status_code == 422
        assert huge.json()["error"]["field"] == "min_sources"
        assert (await client.get(f"{base}/v1/alerts/nope")).status_code == 404


async def _events(lines: AsyncIterator[str], count: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    async for line in lines:
        if line == "":
            if "data" in current:
                events.append(current)
                if len(events) == count:
                    return events
            current = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(": ")
            current[field] = value
    return events


async def test_sse_replays_from_last_event_id_and_pushes_new_alerts(
    api: tuple[str, Store],
) -> None:
    """?last_event_id=0 replays everything in seq order (id = seq, event = type); an alert
    raised by another engine (another replica) arrives within ~1 s; reconnecting with the
    Last-Event-ID header resumes after it."""
    base, store = api
    url = f"{base}/v1/alerts/stream"
    async with httpx2.AsyncClient(timeout=10) as client:
        async with client.stream("GET", url, params={"last_event_id": 0}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            replayed = await asyncio.wait_for(_events(lines, 4), 10)
            assert [e["event"] for e in replayed] == [
                "claim.new",
                "claim.new",
                "claim.disputed",
                "claim.corroborated",
            ]
            assert [int(e["id"]) for e in replayed] == [
                json.loads(e["data"])["seq"] for e in replayed
            ]
            raised = time.monotonic()
            other = article("d", movement_claim("c4", actor=None), body="A quiet report.")
            await AlertEngine(store).ingest(other)
            (pushed,) = await asyncio.wait_for(_events(lines, 1), 5)
            assert time.monotonic() - raised < 2.0
            assert json.loads(pushed["data"])["claim_id"] == "c4"
        headers = {"Last-Event-ID": replayed[-1]["id"]}
        async with client.stream("GET", url, headers=headers) as response:
            (resumed,) = await asyncio.wait_for(_events(response.aiter_lines(), 1), 5)
            assert resumed["id"] == pushed["id"]


async def test_sse_sends_heartbeats_while_idle(tmp_path: Path) -> None:
    """With nothing to send, a comment line goes out every heartbeat interval."""
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}") as store:
        ticks = 0

        async def disconnected() -> bool:
            nonlocal ticks
            ticks += 1
            return ticks > 12

        frames = [
            frame
            async for frame in sse_events(
                AlertStore(store),
                last_event_id=None,
                disconnected=disconnected,
                heartbeat_s=0.05,
                poll_s=0.02,
            )
        ]
    assert frames[0].startswith(b"retry: ")
    assert frames.count(b": keep-alive\n\n") >= 2
