"""Kafka plumbing shared by the services: the start-up wait for the broker, topic creation,
producer and consumer factories.

At-least-once everywhere: producers wait for acks=all, consumers commit offsets by hand
after their output is acknowledged. Idempotent producers are opt-in, for Apache Kafka
only (the embedded broker does not implement InitProducerId).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError
from aiokafka.protocol.metadata import MetadataRequest

from proto import ALL_TOPICS, TopicSpec
from services.config import ENV_PREFIX, CommonSettings
from services.logs import get_logger

__all__ = [
    "BrokerUnreachable",
    "ensure_topics",
    "make_consumer",
    "make_producer",
    "wait_for_broker",
]

log = get_logger("kafka")
_TOPIC_ALREADY_EXISTS = 36
# Start-up retries: 0.5 s, 1 s, 2 s, 4 s, then every 5 s until the connect timeout.
_RETRY_FIRST_S = 0.5
_RETRY_CAP_S = 5.0
_ATTEMPT_TIMEOUT_S = 5.0


class BrokerUnreachable(Exception):
    """Raised when no bootstrap server answered a metadata request within the connect timeout.

    Not retriable: ``wait_for_broker`` has done the retrying. The message is one line naming
    the servers and the setting to fix.
    """

    retriable = False

    def __init__(self, bootstrap: str, waited_s: float, reason: str) -> None:
        super().__init__(
            f"no Kafka broker answered at {bootstrap} within {waited_s:g} s ({reason}); "
            f"check {ENV_PREFIX}KAFKA_BOOTSTRAP (or wait longer: "
            f"{ENV_PREFIX}KAFKA_CONNECT_TIMEOUT_S)"
        )
        self.bootstrap = bootstrap
        self.reason = reason


async def _probe(bootstrap: str, timeout_s: float) -> str | None:
    """None when a bootstrap server answers a metadata request, else why none did.

    One connection per server, as ``AIOKafkaClient.bootstrap`` makes, without its error line
    per server: the caller reports the reasons.
    """
    servers = [part.strip() for part in bootstrap.split(",")]
    reasons = []
    for server in servers:
        host, _, port = server.rpartition(":")
        conn = None
        try:
            async with asyncio.timeout(timeout_s):
                conn = await create_conn(
                    host.strip("[]"), int(port), request_timeout_ms=int(timeout_s * 1000)
                )
                await conn.send(MetadataRequest([]))
            return None
        except (KafkaError, OSError, TimeoutError) as exc:
            reason = str(exc) or f"no answer within {timeout_s:g} s"
            reasons.append(f"{server}: {reason}" if len(servers) > 1 else reason)
        finally:
            if conn is not None:
                conn.close()
    return "; ".join(reasons)


async def wait_for_broker(
    bootstrap: str, timeout_s: float = 30.0, *, stop: asyncio.Event | None = None
) -> bool:
    """Wait until the broker answers a metadata request, retrying with backoff.

    True once it answers; False when ``stop`` is set first (the wait ends within a moment of
    it). Raises ``BrokerUnreachable`` after ``timeout_s`` (0: a single attempt). Each failed
    attempt that is retried logs a warning.
    """
    stop = stop or asyncio.Event()
    started = time.monotonic()
    deadline = started + timeout_s
    delay = _RETRY_FIRST_S
    attempt = 0
    while True:
        attempt += 1
        left = deadline - time.monotonic()
        probe = asyncio.ensure_future(_probe(bootstrap, min(_ATTEMPT_TIMEOUT_S, max(left, 1.0))))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({probe, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if stop.is_set():
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe
            return False
        reason = probe.result()
        if reason is None:
            if attempt > 1:
                log.info(
                    "kafka broker reachable",
                    bootstrap=bootstrap,
                    attempt=attempt,
                    duration_ms=round((time.monotonic() - started) * 1000),
                )
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            raise BrokerUnreachable(bootstrap, timeout_s, reason)
        wait_s = min(delay, left)
        log.warning(
            "kafka broker unreachable; retrying",
            bootstrap=bootstrap,
            attempt=attempt,
            retry_in_s=round(wait_s, 1),
            error=reason,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait_s)
        delay = min(delay * 2, _RETRY_CAP_S)


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
