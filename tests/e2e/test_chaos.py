"""Chaos: real processes killed and rebalanced while items flow (after Kafka's own
transactions system test).

Items go through 3 partitions of the embedded broker. Two extract processes share the raw
topic; one is SIGKILLed and restarted at 20 %, 40 % and 60 % of the way, a third consumer
joins and then leaves cleanly (one clean rebalance), and an api consumer is SIGKILLed and
restarted once. Every process has a member name of its own (a restarted one keeps its name), so
a restarted process leaves the group for its killed predecessor before it joins. At the end
nothing is lost, nothing is stored twice and no alert is raised twice. On PostgreSQL two api
consumers share the enriched topic and a webhook receiver checks that every alert arrives,
signed, once per webhook-id.

The item count is ``WIREWATCH_CHAOS_ITEMS`` (default 2000, which keeps the suite short; the
figures in BENCHMARKS.md come from a 10,000-item run).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import wire_items
from proto import ENRICHED_ITEM_CODEC, ITEMS_ENRICHED, ITEMS_RAW, RAW_ITEM_CODEC, RawItem
from services.api.store.alerts_schema import alerts
from services.api.store.schema import claims, items
from services.broker import EmbeddedBroker, free_port
from services.config import CommonSettings
from tests.api.webhooks_support import Receiver, receiver

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ITEMS = int(os.environ.get("WIREWATCH_CHAOS_ITEMS", "2000"))
PARTITIONS = 3
# The default the processes run with (set explicitly below, whatever the environment says).
SESSION_TIMEOUT_S: float = CommonSettings.model_fields["kafka_session_timeout_s"].default
SECRET = "whsec_" + "Y2hhb3MtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ=="


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "services.cli", *self.args],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=out,
            )

    def kill(self) -> None:
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Report:
    events: list[str] = field(default_factory=list)
    resumed_s: list[float] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.events.append(f"{time.strftime('%H:%M:%S')} {text}")


async def _produce(bootstrap: str) -> None:
    texts = wire_items()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1024 * 1024
    )
    await producer.start()
    try:
        futures = []
        for index in range(ITEMS):
            title, body = texts[index % len(texts)]
            item = RawItem(
                item_id=f"chaos-{index}",
                version=1,
                title=title,
                text=body,
                feed_url=f"https://feed{index % 7}.example/rss",
                url=f"https://news{index % 7}.example/{index}",
            )
            item.published_at.FromSeconds(1_100_000_000 + index * 60)
            futures.append(
                await producer.send(
                    ITEMS_RAW.name, key=item.item_id.encode(), value=RAW_ITEM_CODEC.encode(item)
                )
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


class Progress:
    """End offsets of the enriched topic per partition (keys map to the same partition number
    in both topics, so partition p of items.enriched grows while raw partition p is served)."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        self.tps = [TopicPartition(ITEMS_ENRICHED.name, p) for p in range(PARTITIONS)]

    async def offsets(self) -> dict[int, int]:
        ends = await self.consumer.end_offsets(self.tps)
        return {tp.partition: off for tp, off in ends.items()}

    async def total(self) -> int:
        return sum((await self.offsets()).values())


async def _until(predicate: Callable[[], Any], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.2)


def _assignments_since(procs: list[Proc], since: float) -> dict[str, tuple[float, set[int]]]:
    """Each live process's latest partition assignment logged after ``since`` (epoch s)."""
    latest: dict[str, tuple[float, set[int]]] = {}
    for proc in procs:
        if not proc.alive():
            continue
        for line in proc.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"partitions assigned"' not in line:
                continue
            event = json.loads(line)
            at = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()
            if at > since:
                latest[proc.name] = (at, {int(p.rsplit("/", 1)[1]) for p in event["partitions"]})
    return latest


async def _wait_resumed(procs: list[Proc], since: float, report: Report) -> None:
    """The group hands every partition to a live consumer again within the session timeout
    + 5 s after a member dies or leaves (read from the consumers' own assignment logs; the
    figures are reported).

    On the embedded broker that takes the restarted process's LeaveGroup for its killed
    predecessor (services/membership.py): the broker drops a dead member only when its session
    expires, holds every JoinGroup for half the session timeout whatever rebalance timeout is
    asked, and a member restarted before the expiry makes that two rebalances (about 1.5 x the
    session timeout + 1 s). With the LeaveGroup the rebalance starts as soon as the restarted
    process is up, before it loads spaCy (3.6-8.2 s measured at a 6 s session timeout, the
    slower ones when the restarted process joins while the survivor's JoinGroup is held)."""
    deadline = since + SESSION_TIMEOUT_S + 5
    while True:
        latest = _assignments_since(procs, since)
        owned = set().union(*(parts for _, parts in latest.values())) if latest else set()
        if owned >= set(range(PARTITIONS)):
            report.resumed_s.append(max(at for at, _ in latest.values()) - since)
            return
        assert time.time() < deadline + 1, (
            f"partitions {set(range(PARTITIONS)) - owned} not reassigned in time: {latest}"
        )
        await asyncio.sleep(0.2)


async def _expected_claims(bootstrap: str) -> tuple[set[str], set[str]]:
    """Item ids and claim ids in the enriched topic (duplicates from redelivery folded)."""
    consumer = AIOKafkaConsumer(
        ITEMS_ENRICHED.name,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    item_ids: set[str] = set()
    claim_ids: set[str] = set()
    try:
        ends = await consumer.end_offsets(
            [TopicPartition(ITEMS_ENRICHED.name, p) for p in range(PARTITIONS)]
        )
        total = sum(ends.values())
        seen = 0
        while seen < total:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    seen += 1
                    message = ENRICHED_ITEM_CODEC.decode(record.value)
                    item_ids.add(message.item.item_id)
                    claim_ids.update(c.claim_id for c in message.claims)
    finally:
        await consumer.stop()
    return item_ids, claim_ids


async def test_chaos_loses_nothing_and_repeats_nothing(
    broker: EmbeddedBroker, store_url: str, tmp_path: Path
) -> None:
    postgres = store_url.startswith("postgresql")
    report = Report()
    base_env = {
        **os.environ,
        "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
        "WIREWATCH_DATA_DIR": str(tmp_path),
        "WIREWATCH_DATABASE_URL": store_url,
        "WIREWATCH_INGEST_METRICS_PORT": "0",
        "WIREWATCH_EXTRACT_METRICS_PORT": "0",
        "WIREWATCH_LOG_LEVEL": "info",
        "WIREWATCH_LOG_FORMAT": "json",
        "WIREWATCH_ALLOW_PRIVATE_URLS": "true",
        "WIREWATCH_WEBHOOK_RETRY_SCHEDULE": "0.5,1,2,4",
        "WIREWATCH_WEBHOOK_DISPATCH": "true" if postgres else "false",
        "WIREWATCH_KAFKA_SESSION_TIMEOUT_S": str(SESSION_TIMEOUT_S),
    }
    target = Receiver(secret=SECRET)
    with receiver(target):
        if postgres:
            base_env["WIREWATCH_WEBHOOKS"] = json.dumps(
                [{"url": target.url, "secret": SECRET, "description": "chaos"}]
            )
        await _produce(broker.bootstrap)
        report.note(f"{ITEMS} raw items produced over {PARTITIONS} partitions")

        def proc(name: str, *args: str) -> Proc:
            # All share one data dir: each needs a member name of its own.
            env = {**base_env, "WIREWATCH_KAFKA_MEMBER_NAME": name}
            if args[0] == "api":
                env["WIREWATCH_API_PORT"] = str(free_port())
            return Proc(name, list(args), env, tmp_path / f"{name}.log")

        apis = [proc(f"api-{i}", "api") for i in range(2 if postgres else 1)]
        extracts = [proc(f"extract-{i}", "extract") for i in range(2)]
        for p in [*apis, *extracts]:
            p.start()
        progress = Progress(broker.bootstrap)
        await progress.consumer.start()
        try:
            # 3 extract kills at 20/40/60 %, the api consumer at 50 %, a clean join/leave at 80 %.
            plan = [
                (0.2, "kill-extract"),
                (0.4, "kill-extract"),
                (0.5, "kill-api"),
                (0.6, "kill-extract"),
                (0.8, "join-leave"),
            ]
            for step, (share, action) in enumerate(plan):

                async def reached(share: float = share) -> bool:
                    return await progress.total() >= share * ITEMS

                await _until(reached, 300, f"{share:.0%} progress")
                if action == "kill-extract":
                    victim = extracts[step % 2]
                    killed_at = time.time()
                    victim.kill()
                    report.note(f"SIGKILL {victim.name} at {share:.0%}")
                    victim.start()
                    await _wait_resumed(extracts, killed_at, report)
                elif action == "kill-api":
                    apis[0].kill()
                    report.note(f"SIGKILL {apis[0].name} at {share:.0%}")
                    apis[0].start()
                else:
                    third = proc("extract-joiner", "extract")
                    third.start()
                    report.note(f"{third.name} joins at {share:.0%}")
                    joined_at = time.time()

                    async def joined(third: Proc = third, joined_at: float = joined_at) -> bool:
                        return third.name in _assignments_since([third], joined_at)

                    await _until(joined, 90, "the third consumer's assignment")
                    report.note(
                        f"{third.name} got partitions "
                        f"{sorted(_assignments_since([third], joined_at)[third.name][1])}"
                    )
                    left_at = time.time()
                    third.stop()
                    report.note(f"{third.name} leaves cleanly")
                    await _wait_resumed(extracts, left_at, report)

            engine = create_async_engine(store_url)
            try:

                async def stored() -> bool:
                    async with engine.connect() as conn:
                        count = await conn.execute(select(func.count()).select_from(items))
                        return count.scalar_one() >= ITEMS

                await _until(stored, 300, "every item stored")
                expected_items, expected_claims = await _expected_claims(broker.bootstrap)
                # Let the api finish the claims and alerts of the last batch.
                await asyncio.sleep(2)
                async with engine.connect() as conn:
                    stored_items = (await conn.execute(select(items.c.item_id))).scalars().all()
                    stored_claims = (await conn.execute(select(claims.c.claim_id))).scalars().all()
                    alert_rows = (
                        await conn.execute(
                            select(
                                alerts.c.alert_id,
                                alerts.c.type,
                                alerts.c.cluster_id,
                                alerts.c.claim_id,
                            )
                        )
                    ).all()
            finally:
                await engine.dispose()
            if postgres:
                wanted = {a.alert_id for a in alert_rows}

                async def delivered() -> bool:
                    bodies = [r.body for r in list(target.requests) if r.verified and r.body]
                    return {b["data"]["alert"]["alert_id"] for b in bodies} >= wanted

                await _until(delivered, 120, "every alert delivered by webhook")
        finally:
            await progress.consumer.stop()
            for p in [*apis, *extracts]:
                p.stop()

    # Nothing lost, nothing stored twice.
    assert len(expected_items) == ITEMS
    assert len(stored_items) == len(set(stored_items)) == ITEMS
    assert set(stored_items) == expected_items
    assert len(stored_claims) == len(set(stored_claims))
    assert set(stored_claims) == expected_claims
    # No alert raised twice: one claim.new per cluster, one alert per (claim, type).
    new_per_cluster: dict[str, int] = {}
    for row in alert_rows:
        if row.type == "claim.new":
            new_per_cluster[row.cluster_id] = new_per_cluster.get(row.cluster_id, 0) + 1
    assert all(n == 1 for n in new_per_cluster.values()), new_per_cluster
    assert len({(r.claim_id, r.type) for r in alert_rows}) == len(alert_rows)
    assert len({r.alert_id for r in alert_rows}) == len(alert_rows)
    duplicates = 0
    if postgres:
        sends: dict[str, int] = {}
        for request in target.requests:
            if 200 <= request.status < 300:
                sends[request.webhook_id] = sends.get(request.webhook_id, 0) + 1
        duplicates = sum(n - 1 for n in sends.values())
        # Repeats are allowed only for deliveries in flight when the api was killed.
        assert duplicates <= 8, sends
        assert all(r.verified for r in target.requests)
    report.note(
        f"items {len(stored_items)}/{ITEMS}, claims {len(stored_claims)}/{len(expected_claims)}, "
        f"alerts {len(alert_rows)} over {len(new_per_cluster)} clusters, "
        f"webhook repeats {duplicates}, partitions reassigned after "
        + ", ".join(f"{s:.1f}s" for s in report.resumed_s)
    )
    print("\n".join(report.events))
