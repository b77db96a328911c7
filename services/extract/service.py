"""Extract, wired: ``items.raw`` → Analyzer → ``items.enriched``; poison → ``items.raw.dlq``.

Stateless: scale by running more processes in the same consumer group (``--workers``).
Offsets are committed only after every enriched record of the batch is acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter

from proto import (
    ENRICHED_ITEM_CODEC,
    ITEMS_ENRICHED,
    ITEMS_RAW,
    ITEMS_RAW_DLQ,
    RAW_ITEM_CODEC,
    DeserializationError,
    RawItem,
)
from services.consume import BatchLoop, Failure, LoopMetrics, Record
from services.extract.settings import ExtractSettings
from services.kafka import ensure_topics, make_consumer, make_producer
from services.logs import get_logger
from services.membership import GroupMember

if TYPE_CHECKING:
    from services.extract.analyze import Analyzer

__all__ = ["run_extract"]

log = get_logger("extract")
_RAW = RAW_ITEM_CODEC
_ENRICHED = ENRICHED_ITEM_CODEC


class _Handler:
    def __init__(self, analyzer: Analyzer, producer: object, registry: CollectorRegistry) -> None:
        self._analyzer = analyzer
        self._producer = producer
        self._claims = Counter(
            "wirewatch_extract_claims_total", "Claims extracted.", ["movement"], registry=registry
        )

    async def __call__(self, records: Sequence[Record]) -> list[Failure]:
        failures: list[Failure] = []
        items: list[RawItem] = []
        sources: list[Record] = []
        for record in records:
            try:
                item = _RAW.decode(record.value)
                if not item.item_id:
                    raise DeserializationError(record.topic, "RawItem without item_id")
            except DeserializationError as exc:
                failures.append(Failure(record, exc, "decode"))
                continue
            items.append(item)
            sources.append(record)
        results, item_failures = await asyncio.to_thread(self._analyzer.analyse, items)
        failures.extend(Failure(sources[f.index], f.error, "analyse") for f in item_failures)
        producer = self._producer
        futures = []
        for enriched in results:
            if enriched is None:
                continue
            for claim in enriched.claims:
                self._claims.labels(str(claim.movement)).inc()
            futures.append(
                await producer.send(  # type: ignore[attr-defined]
                    ITEMS_ENRICHED.name,
                    key=_ENRICHED.encode_key(enriched.item.item_id),
                    value=_ENRICHED.encode(enriched),
                )
            )
        # Raise on a failed produce: offsets stay uncommitted and the batch is redelivered.
        await asyncio.gather(*futures)
        return failures


def _load_analyzer(settings: ExtractSettings) -> Analyzer:
    # Imported here, off the event loop: importing spaCy takes a second or more, and a
    # restarted process should leave the group for its predecessor before that.
    from services.extract.analyze import Analyzer

    return Analyzer(batch_size=settings.extract_batch_size, max_chars=settings.extract_max_chars)


async def run_extract(
    settings: ExtractSettings, stop: asyncio.Event, *, registry: CollectorRegistry | None = None
) -> None:
    """Consume, enrich and produce until ``stop`` is set."""
    registry = registry or CollectorRegistry()
    member = GroupMember(
        settings, group_id=settings.extract_group_id, client_id="wirewatch-extract"
    )
    # First thing: a killed predecessor's partitions move while spaCy loads.
    await member.leave_predecessor()
    await ensure_topics(settings.bootstrap, settings.topic_partitions)
    analyzer = await asyncio.to_thread(_load_analyzer, settings)
    async with AsyncExitStack() as stack:
        producer = make_producer(settings, client_id="wirewatch-extract")
        await producer.start()
        stack.push_async_callback(producer.stop)
        consumer = make_consumer(
            settings,
            group_id=settings.extract_group_id,
            client_id="wirewatch-extract",
            max_poll_records=settings.extract_batch_size,
        )
        loop = BatchLoop(
            consumer,
            producer,
            _Handler(analyzer, producer, registry),
            topics=[ITEMS_RAW.name],
            dead_letter_topic=lambda _: ITEMS_RAW_DLQ.name,
            metrics=LoopMetrics(registry, "wirewatch_extract"),
            max_records=settings.extract_batch_size,
            on_assigned=lambda: member.remember(consumer),
        )
        loop.subscribe()
        await consumer.start()
        stack.push_async_callback(member.stop, consumer)
        log.info("extract started", topic=ITEMS_RAW.name)
        await loop.run(stop)
        log.info("extract stopped")
