"""The api's sink: ``items.enriched`` and ``feeds.status`` → the store, idempotently.

Upserts are keyed by item id / claim id / feed URL, so a redelivered message changes
nothing. A message that cannot be decoded goes to its dead-letter topic; a database
outage is retried (offsets stay uncommitted) rather than dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack

from prometheus_client import CollectorRegistry

from proto import (
    ENRICHED_ITEM_CODEC,
    FEED_STATUS_CODEC,
    FEEDS_STATUS,
    ITEMS_ENRICHED,
    DeserializationError,
    EnrichedItem,
    FeedStatus,
    dead_letter_topic,
)
from services.api.alerts.engine import AlertEngine
from services.api.settings import ApiSettings
from services.api.store import InvalidMessage, Store, StoreUnavailable
from services.consume import BatchLoop, Failure, LoopMetrics, Record
from services.kafka import ensure_topics, make_consumer, make_producer
from services.logs import get_logger
from services.membership import GroupMember

__all__ = ["run_sink"]

log = get_logger("api.sink")
_ENRICHED = ENRICHED_ITEM_CODEC
_STATUS = FEED_STATUS_CODEC
_RETRY_CAP_S = 30.0


class _Handler:
    def __init__(self, store: Store, stop: asyncio.Event, engine: AlertEngine | None) -> None:
        self._store = store
        self._stop = stop
        self._engine = engine

    async def __call__(self, records: Sequence[Record]) -> list[Failure]:
        failures: list[Failure] = []
        for record in records:
            try:
                message: EnrichedItem | FeedStatus = (
                    _ENRICHED.decode(record.value)
                    if record.topic == ITEMS_ENRICHED.name
                    else _STATUS.decode(record.value)
                )
            except DeserializationError as exc:
                failures.append(Failure(record, exc, "decode"))
                continue
            try:
                await self._store_with_retry(message)
            except InvalidMessage as exc:
                failures.append(Failure(record, exc, "store"))
        return failures

    async def _store_with_retry(self, message: EnrichedItem | FeedStatus) -> None:
        delay = 0.5
        while True:
            try:
                if isinstance(message, EnrichedItem) and self._engine is not None:
                    # Stores the item and decides its alerts in one transaction.
                    await self._engine.ingest(message)
                elif isinstance(message, EnrichedItem):
                    await self._store.upsert_enriched(message)
                else:
                    await self._store.upsert_feed_status(message)
                return
            except StoreUnavailable as exc:
                if self._stop.is_set():
                    raise
                log.warning("store unavailable, retrying", error=str(exc)[:200], retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_CAP_S)


async def run_sink(
    settings: ApiSettings,
    store: Store,
    stop: asyncio.Event,
    *,
    registry: CollectorRegistry,
    engine: AlertEngine | None = None,
) -> None:
    """Consume into the store until ``stop`` is set; with ``engine``, each enriched item's
    claims are clustered and its alerts raised as it is stored."""
    member = GroupMember(settings, group_id=settings.api_group_id, client_id="wirewatch-api")
    await member.leave_predecessor()
    await ensure_topics(settings.bootstrap, settings.topic_partitions)
    async with AsyncExitStack() as stack:
        producer = make_producer(settings, client_id="wirewatch-api")
        await producer.start()
        stack.push_async_callback(producer.stop)
        consumer = make_consumer(
            settings, group_id=settings.api_group_id, client_id="wirewatch-api"
        )
        loop = BatchLoop(
            consumer,
            producer,
            _Handler(store, stop, engine),
            topics=[ITEMS_ENRICHED.name, FEEDS_STATUS.name],
            dead_letter_topic=dead_letter_topic,
            metrics=LoopMetrics(registry, "wirewatch_api_sink"),
            on_assigned=lambda: member.remember(consumer),
        )
        loop.subscribe()
        await consumer.start()
        stack.push_async_callback(member.stop, consumer)
        log.info("sink started", topics=[ITEMS_ENRICHED.name, FEEDS_STATUS.name])
        await loop.run(stop)
