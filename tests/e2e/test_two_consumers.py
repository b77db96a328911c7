"""Two api consumers in one group on PostgreSQL: the same claim arriving on both, at the same
moment, raises one alert (the cluster is decided once, in the database)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from proto import ENRICHED_ITEM_CODEC, ITEMS_ENRICHED, Movement
from services.api.store.alerts_schema import alerts, claim_clusters
from services.broker import EmbeddedBroker, free_port
from tests.api.conftest import claim, enriched, mention

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PAIRS = 12
PLACES = [
    ("Poland", "POL"),
    ("Latvia", "LVA"),
    ("Estonia", "EST"),
    ("Lithuania", "LTU"),
    ("Romania", "ROU"),
    ("Moldova", "MDA"),
    ("Georgia", "GEO"),
    ("Finland", "FIN"),
    ("Norway", "NOR"),
    ("Sweden", "SWE"),
    ("Slovakia", "SVK"),
    ("Hungary", "HUN"),
]


def _owned(log: Path) -> set[int]:
    owned: set[int] = set()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"partitions assigned"' in line:
            event = json.loads(line)
            owned = {
                int(p.rsplit("/", 1)[1])
                for p in event["partitions"]
                if p.startswith(ITEMS_ENRICHED.name + "/")
            }
    return owned


async def test_the_same_claim_on_both_consumers_raises_one_alert(
    broker: EmbeddedBroker, store_url: str, tmp_path: Path
) -> None:
    if not store_url.startswith("postgresql"):
        pytest.skip("two api replicas share one database only on PostgreSQL")
    env = {
        **os.environ,
        "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
        "WIREWATCH_DATABASE_URL": store_url,
        "WIREWATCH_DATA_DIR": str(tmp_path),
        "WIREWATCH_WEBHOOK_DISPATCH": "false",
        "WIREWATCH_LOG_FORMAT": "json",
        "WIREWATCH_LOG_LEVEL": "info",
    }
    logs = [tmp_path / f"api-{i}.log" for i in range(2)]
    procs = []
    for log in logs:
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(  # noqa: ASYNC220 - long-lived children, not awaited
                    [sys.executable, "-m", "services.cli", "api", "--port", str(free_port())],
                    env=env,
                    cwd=REPO,
                    stdout=out,
                    stderr=out,
                )
            )
    try:
        deadline = time.monotonic() + 60
        while not all(_owned(log) for log in logs):
            assert time.monotonic() < deadline, "both consumers never got partitions"
            assert all(p.poll() is None for p in procs)
            await asyncio.sleep(0.2)
        first, second = (min(_owned(log)) for log in logs)
        assert first != second
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        try:
            sends = []
            for index, (place, code) in enumerate(PLACES[:PAIRS]):
                same = claim(
                    f"pair-{index}",
                    actor=mention("Russia", "RUS", "Russia"),
                    place=mention(place, code, place),
                    movement=Movement.MOVEMENT_DEPLOY,
                    evidence=f"Russia has sent troops to {place}.",
                )
                for side, partition in (("a", first), ("b", second)):
                    copy = type(same)()
                    copy.CopyFrom(same)
                    copy.claim_id = f"pair-{index}-{side}"
                    message = enriched(
                        f"pair-{index}-{side}",
                        title=f"Troops to {place}",
                        body=f"Russia has sent troops to {place}.",
                        feed_url=f"https://{side}.example/rss",
                        claims=[copy],
                    )
                    sends.append(
                        await producer.send(
                            ITEMS_ENRICHED.name,
                            key=message.item.item_id.encode(),
                            value=ENRICHED_ITEM_CODEC.encode(message),
                            partition=partition,
                        )
                    )
            await asyncio.gather(*sends)
        finally:
            await producer.stop()

        engine = create_async_engine(store_url)
        try:
            deadline = time.monotonic() + 60
            while True:
                async with engine.connect() as conn:
                    linked = (await conn.execute(select(claim_clusters.c.claim_id))).all()
                    rows = (
                        await conn.execute(
                            select(alerts.c.type, alerts.c.cluster_id, alerts.c.fingerprint)
                        )
                    ).all()
                if len(linked) >= 2 * PAIRS:
                    break
                assert time.monotonic() < deadline, f"{len(linked)} of {2 * PAIRS} clustered"
                await asyncio.sleep(0.2)
        finally:
            await engine.dispose()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(20)

    new = [r for r in rows if r.type == "claim.new"]
    counts = Counter(r.fingerprint for r in new)
    assert len(new) == PAIRS, [tuple(r) for r in new if counts[r.fingerprint] > 1]
    assert len({r.cluster_id for r in new}) == PAIRS
    assert len({r.fingerprint for r in new}) == PAIRS
