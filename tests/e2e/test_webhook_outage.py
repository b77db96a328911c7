"""Issue 6, acceptance 2: a webhook receiver outage loses nothing and duplicates nothing.

The api runs for real (uvicorn on a free port, SQLite file, its webhook dispatcher) with a
seconds-scale retry schedule. A subscription is made through ``POST /v1/webhooks``; alerts
are appended to the alerts log directly, as the alert engine would. The receiver, a threaded
server on 127.0.0.1 verifying every signature, answers 503 for its first two seconds and 200
after. Every alert must reach the application exactly once (deduplicated by webhook-id), every
retry must carry the same webhook-id, and the gaps between attempts must follow the schedule.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from services.api.service import run_api
from services.api.settings import ApiSettings
from services.api.store import Store
from services.api.webhooks.signing import delivery_id
from services.broker import free_port
from tests.api.webhooks_support import Receiver, insert_alert, receiver

pytestmark = pytest.mark.integration

KEY = "outage-test-key-0123456789"
SCHEDULE = (0.3, 0.6, 1.2, 2.4)
JITTER = 0.1
OUTAGE_S = 2.0
ALERTS = 5


async def _wait(check: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_receiver_outage_every_alert_once_retries_on_schedule(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'wirewatch.db'}"
    port = free_port()
    settings = ApiSettings(
        database_url=database,
        data_dir=tmp_path,
        api_port=port,
        api_consume=False,
        api_keys=[KEY],
        allow_private_urls=True,
        webhook_retry_schedule=",".join(str(s) for s in SCHEDULE),
        webhook_retry_jitter=JITTER,
        webhook_poll_interval_s=0.05,
    )
    down_until: list[float] = []
    target = Receiver(answer=lambda n, wid: 503 if time.monotonic() < down_until[0] else 200)
    stop = asyncio.Event()
    api = asyncio.create_task(run_api(settings, stop))
    base = f"http://127.0.0.1:{port}"
    try:
        with receiver(target):
            async with httpx2.AsyncClient(timeout=5) as client:
                for _ in range(200):
                    try:
                        if (await client.get(f"{base}/healthz")).status_code == 200:
                            break
                    except httpx2.TransportError:
                        await asyncio.sleep(0.05)
                created = await client.post(
                    f"{base}/v1/webhooks",
                    json={"url": target.url, "description": "outage"},
                    headers={"Authorization": f"Bearer {KEY}"},
                )
                assert created.status_code == 201, created.text
                hook = created.json()
                target.secret = hook["secret"]
                down_until.append(time.monotonic() + OUTAGE_S)
                async with await Store.open(database) as store:
                    for n in range(ALERTS):
                        await insert_alert(store, f"alert-{n}")
                await _wait(lambda: len(target.accepted) == ALERTS, timeout_s=20)
                await asyncio.sleep(0.5)  # a stray duplicate would arrive now
                deliveries = await client.get(
                    f"{base}/v1/webhooks/{hook['id']}/deliveries",
                    headers={"Authorization": f"Bearer {KEY}"},
                )
                metrics = (await client.get(f"{base}/metrics")).text
    finally:
        stop.set()
        await asyncio.wait_for(api, timeout=20)

    expected = {delivery_id(f"alert-{n}", hook["id"]) for n in range(ALERTS)}
    assert set(target.accepted) == expected
    assert all(r.verified for r in target.requests)
    assert {r.webhook_id for r in target.requests} == expected  # retries reuse the id
    for wid in expected:
        tries = target.attempts_of(wid)
        assert len(tries) >= 2, "each alert met the outage at least once"
        assert [r.status for r in tries[:-1]] == [503] * (len(tries) - 1)
        assert tries[-1].status == 200
        for n, (before, after) in enumerate(itertools.pairwise(tries)):
            gap = after.at - before.at
            low, high = SCHEDULE[n] * (1 - JITTER), SCHEDULE[n] * (1 + JITTER)
            assert low - 0.02 <= gap <= high + 0.4, (wid, n, gap)

    page = deliveries.json()["items"]
    assert {d["status"] for d in page} == {"delivered"}
    for d in page:
        outcomes = [a["outcome"] for a in d["attempts"]]
        assert outcomes[-1] == "success"
        assert set(outcomes[:-1]) <= {"retry"}
        assert [a["attempt"] for a in d["attempts"]] == list(range(1, len(outcomes) + 1))
    assert f'wirewatch_webhook_deliveries_total{{outcome="success"}} {float(ALERTS)}' in metrics
    assert "wirewatch_webhook_delivery_latency_seconds_count 5.0" in metrics
