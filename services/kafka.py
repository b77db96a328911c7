"""Kafka plumbing shared by the services: topic creation, producer and consumer factories.

At-least-once everywhere: producers wait for acks=all, consumers commit offsets by hand
after their output is acknowledged. Idempotent producers are opt-in, for Apache Kafka
only (the embedded broker does not implement InitProducerId).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

from proto import ALL_TOPICS, TopicSpec
from services.config import CommonSettings
from services.logs import get_logger

__all__ = ["ensure_topics", "make_consumer", "make_producer", "wait_for_broker"]

log = get_logger("kafka")
_TOPIC_ALREADY_EXISTS = 36


async def wait_for_broker(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Wait until the broker answers a metadata request, or raise ``TimeoutError``."""
    deadline = time.monotonic() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"broker {bootstrap} unreachable: {exc}") from exc
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


async def ensure_topics(
    bootstrap: str, partitions: int, topics: Iterable[TopicSpec] = ALL_TOPICS
) -> list[str]:
    """Create the wirewatch topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                spec.name,
                num_partitions=1 if spec.compacted else partitions,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"} if spec.compacted else {},
            )
            for spec in topics
            if spec.name not in existing
        ]
        if not wanted:
            return []
        response = await admin.create_topics(wanted)
        created = []
        for name, code, message in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code != _TOPIC_ALREADY_EXISTS:
                raise KafkaError(f"cannot create topic {name!r}: {message or code}")
        log.info("topics created", topics=created, partitions=partitions)
        return created
    finally:
        await admin.close()


def make_producer(settings: CommonSettings, *, client_id: str) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica (acks=all)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        linger_ms=5,
        # A 16 KiB batch (the default) fills after a handful of items and senders queue up
        # behind it; 1 MiB batches keep a poll of hundreds of items to a few requests.
        max_batch_size=1024 * 1024,
        max_request_size=8 * 1024 * 1024,
        request_timeout_ms=30000,
    )


def make_consumer(
    settings: CommonSettings,
    *topics: str,
    group_id: str,
    client_id: str,
    max_poll_records: int = 256,
) -> AIOKafkaConsumer:
    """A group consumer with manual commits, reading from the earliest uncommitted offset."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        session_timeout_ms=int(settings.kafka_session_timeout_s * 1000),
        # The embedded broker (Tansu 0.6) ignores the rebalance timeout: it holds every
        # JoinGroup for half the session timeout and drops a dead member only when its
        # session expires, so partitions move about 1.5 x the session timeout + 1 s after a
        # consumer dies, unless a restarted successor leaves the group for it (see
        # services/membership.py). Apache Kafka honours both settings.
        rebalance_timeout_ms=int(settings.kafka_rebalance_timeout_s * 1000),
        heartbeat_interval_ms=1000,
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
