"""The consume → process → produce → commit loop shared by extract and the api's sink.

Records are fetched in batches with ``getmany``; the handler processes a batch and only
returns once everything it produced is acknowledged. Records it cannot process (poison
messages) go to a dead-letter topic with the error in headers, so a partition never
stalls. Offsets are committed by hand after that, and again when partitions are revoked:
at-least-once, with idempotent consumers downstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, RebalanceInProgressError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.logs import get_logger

__all__ = ["BatchLoop", "Failure", "LoopMetrics", "Record", "dead_letter_headers"]

log = get_logger("consume")


class Record(Protocol):
    """What we read of an aiokafka ``ConsumerRecord``."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True, slots=True)
class Failure:
    """A record the handler could not process, and why."""

    record: Record
    error: BaseException
    stage: str


Handler = Callable[[Sequence[Record]], Awaitable[list[Failure]]]


def dead_letter_headers(failure: Failure) -> list[tuple[str, bytes]]:
    """The original headers plus where the record came from and what went wrong."""
    rec = failure.record
    extra = {
        "wirewatch-error-class": type(failure.error).__name__,
        "wirewatch-error-message": str(failure.error)[:2000],
        "wirewatch-error-stage": failure.stage,
        "wirewatch-source-topic": rec.topic,
        "wirewatch-source-partition": str(rec.partition),
        "wirewatch-source-offset": str(rec.offset),
    }
    headers = [(k, v) for k, v in (rec.headers or ()) if not k.startswith("wirewatch-error")]
    return headers + [(k, v.encode("utf-8")) for k, v in extra.items()]


class LoopMetrics:
    """Prometheus metrics of one consume loop, registered in the process registry."""

    def __init__(self, registry: CollectorRegistry, prefix: str) -> None:
        self.records = Counter(
            f"{prefix}_records_total", "Records consumed.", ["topic"], registry=registry
        )
        self.dead_letters = Counter(
            f"{prefix}_dead_letters_total",
            "Records sent to the dead-letter topic.",
            ["topic", "error_class"],
            registry=registry,
        )
        self.batch_seconds = Histogram(
            f"{prefix}_batch_duration_seconds",
            "Time to process one fetched batch, produce and commit.",
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.lag = Gauge(
            f"{prefix}_consumer_lag_records",
            "Records between the committed position and the end of each partition.",
            ["topic", "partition"],
            registry=registry,
        )


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: BatchLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._loop.commit_processed()
        self._loop.forget(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info(
            "partitions assigned", partitions=[f"{tp.topic}/{tp.partition}" for tp in assigned]
        )
        if self._loop.on_assigned is not None:
            await self._loop.on_assigned()


class BatchLoop:
    """Runs ``handler`` over batches from ``consumer`` until ``stop`` is set."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        handler: Handler,
        *,
        topics: Sequence[str],
        dead_letter_topic: Callable[[str], str],
        metrics: LoopMetrics,
        max_records: int = 256,
        poll_timeout_ms: int = 200,
        on_assigned: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._handler = handler
        self._topics = list(topics)
        self._dead_letter_topic = dead_letter_topic
        self._metrics = metrics
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        # Called after each assignment (the group membership records its member id).
        self.on_assigned = on_assigned
        self._processed: dict[TopicPartition, int] = {}
        self._done: dict[TopicPartition, int] = {}
        self.batches = 0

    def subscribe(self) -> None:
        self._consumer.subscribe(self._topics, listener=_CommitOnRevoke(self))

    async def commit_processed(self) -> None:
        """Commit the offsets of every fully processed record."""
        if not self._processed:
            return
        offsets, self._processed = self._processed, {}
        owned = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in offsets.items() if tp in owned}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, RebalanceInProgressError) as exc:
            # The group moved on while this batch was in flight: its new owner reads the
            # records again from the last commit (at-least-once; downstream is idempotent).
            log.warning("commit skipped after a rebalance", error=type(exc).__name__)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the batch in flight is finished and committed."""
        while not stop.is_set():
            fetched = await self._consumer.getmany(
                timeout_ms=self._poll_timeout_ms, max_records=self._max_records
            )
            records = [rec for recs in fetched.values() for rec in recs]
            if records:
                await self._process(records)
            self._update_lag()
        await self.commit_processed()

    async def _process(self, records: list[Record]) -> None:
        started = time.perf_counter()
        for rec in records:
            self._metrics.records.labels(rec.topic).inc()
        failures = await self._handler(records)
        for failure in failures:
            await self._dead_letter(failure)
        for rec in records:
            tp = TopicPartition(rec.topic, rec.partition)
            self._processed[tp] = max(self._processed.get(tp, 0), rec.offset + 1)
            self._done[tp] = self._processed[tp]
        await self.commit_processed()
        self.batches += 1
        self._metrics.batch_seconds.observe(time.perf_counter() - started)

    async def _dead_letter(self, failure: Failure) -> None:
        rec = failure.record
        topic = self._dead_letter_topic(rec.topic)
        log.warning(
            "dead-lettered",
            topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            error=f"{type(failure.error).__name__}: {failure.error}",
        )
        await self._producer.send_and_wait(
            topic, key=rec.key, value=rec.value, headers=dead_letter_headers(failure)
        )
        self._metrics.dead_letters.labels(rec.topic, type(failure.error).__name__).inc()

    def forget(self, partitions: list[TopicPartition]) -> None:
        """Drop lag series of partitions this consumer no longer owns (another reports them)."""
        for tp in partitions:
            self._done.pop(tp, None)
            with contextlib.suppress(KeyError):
                self._metrics.lag.remove(tp.topic, str(tp.partition))

    def _update_lag(self) -> None:
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            done = self._done.get(tp)
            if highwater is None or done is None:
                continue
            self._metrics.lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - done))
