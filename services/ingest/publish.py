"""Publish stage: parsed entries → ``RawItem`` records on ``items.raw``, then mark seen.

Every record is keyed by its stable item id. The batch of a poll is sent concurrently
and awaited as a whole; only the records the broker acknowledged are marked seen, so a
crash repeats an item at worst and never loses one. ``crash_after_produce`` is the
fault-injection point that proves it: the process SIGKILLs itself between the broker's
ack and mark-seen (``WIREWATCH_FAULT_INJECT=crash-after-produce``; tests only).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka.errors import KafkaError
from google.protobuf.timestamp_pb2 import Timestamp

from proto import FEED_STATUS_CODEC, FEEDS_STATUS, ITEMS_RAW, RAW_ITEM_CODEC, FeedStatus, RawItem
from services.ingest.archive import Archive
from services.ingest.identity import content_hash, item_id
from services.ingest.parse import ParsedEntry, ParsedFeed
from services.ingest.state import IngestState

__all__ = ["Candidate", "Producer", "Publisher", "build_raw_item", "candidates_of", "timestamp"]

_RAW = RAW_ITEM_CODEC
_STATUS = FEED_STATUS_CODEC


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def timestamp(when: datetime) -> Timestamp:
    """A protobuf Timestamp of a datetime (a naive one is taken as UTC, like FromDatetime)."""
    # Timedelta arithmetic in C: Timestamp.FromDatetime goes through a UTC time tuple in Python
    # and costs several times more, twice per item.
    delta = when - (_NAIVE_EPOCH if when.tzinfo is None else _EPOCH)
    return Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry of a poll with its identity, before we know whether it is new."""

    item_id: str
    content_hash: str
    entry: ParsedEntry


def candidates_of(feed_url: str, parsed: ParsedFeed) -> list[Candidate]:
    """Identify every entry of a parsed feed; the first of duplicate ids wins."""
    seen: set[str] = set()
    result = []
    for entry in parsed.entries:
        ident = item_id(feed_url, entry)
        if ident in seen:
            continue
        seen.add(ident)
        result.append(Candidate(ident, content_hash(entry.title, entry.text), entry))
    return result


def build_raw_item(
    candidate: Candidate,
    *,
    version: int,
    feed_url: str,
    feed_name: str,
    feed_language: str | None,
    fetched_at: datetime,
) -> RawItem:
    """The ``RawItem`` of one entry; a missing date becomes the fetch time, flagged."""
    entry = candidate.entry
    published = entry.published_at or fetched_at
    return RawItem(
        item_id=candidate.item_id,
        version=version,
        feed_url=feed_url,
        feed_name=feed_name,
        guid=entry.guid or "",
        url=entry.url or "",
        title=entry.title,
        text=entry.text,
        html=entry.html,
        authors=list(entry.authors),
        language=entry.language or feed_language or "",
        published_at=timestamp(published),
        published_at_estimated=entry.published_at is None,
        fetched_at=timestamp(fetched_at),
        categories=list(entry.categories),
        content_hash=candidate.content_hash,
    )


class Producer(Protocol):
    """The part of ``AIOKafkaProducer`` the publisher uses (tests pass a failing one)."""

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]: ...

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> Any: ...


class Publisher:
    """Sends RawItems and FeedStatus records; marks items seen and archives them once acked.

    ``crash_after_produce`` makes the process SIGKILL itself after the broker acked a batch
    and before it is marked seen: a fault-injection point for crash-safety tests.
    """

    def __init__(
        self,
        producer: Producer,
        state: IngestState,
        archive: Archive | None = None,
        *,
        crash_after_produce: bool = False,
    ) -> None:
        self._producer = producer
        self._state = state
        self._archive = archive
        self._crash_after_produce = crash_after_produce

    async def _queue(self, item: RawItem, value: bytes) -> asyncio.Future[Any]:
        """Queue one record; its future resolves when the broker acks (or refuses) it."""
        try:
            return await self._producer.send(
                ITEMS_RAW.name, key=_RAW.encode_key(item.item_id), value=value
            )
        except KafkaError as exc:
            # Refused before queueing (e.g. too large): this item's failure, not the batch's.
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            return failed

    async def publish_items(self, feed_url: str, items: Sequence[RawItem]) -> int:
        """Send a poll's new items; returns how many were acknowledged and marked seen.

        Raises the first send error after marking the acknowledged ones, so the rest are
        retried on the next poll.
        """
        if not items:
            return 0
        # Queued one after another: send() waits only while the batch buffer is full, whereas
        # a task per record makes every waiter retry on each drain (aiokafka's accumulator).
        # Each record is encoded once: the archive stores the very bytes the broker acked.
        values = [_RAW.encode(item) for item in items]
        futures = [
            await self._queue(item, value) for item, value in zip(items, values, strict=True)
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        acked_pairs = [
            (item, value)
            for item, value, result in zip(items, values, results, strict=True)
            if not isinstance(result, BaseException)
        ]
        acked = [(item.item_id, item.content_hash, item.version) for item, _ in acked_pairs]
        if self._crash_after_produce and acked:
            os.kill(os.getpid(), signal.SIGKILL)
        await self._state.mark_seen(feed_url, acked)
        if self._archive is not None and acked_pairs:
            acked_items, payloads = zip(*acked_pairs, strict=True)
            await self._archive.add(acked_items, payloads=payloads)
        for result in results:
            if isinstance(result, KafkaError):
                raise result
            if isinstance(result, BaseException):
                raise KafkaError(f"produce failed: {result!r}") from result
        return len(acked)

    async def publish_status(self, status: FeedStatus) -> None:
        """Send a feed's health record to the compacted status topic and wait for the ack."""
        await self._producer.send_and_wait(
            FEEDS_STATUS.name, key=_STATUS.encode_key(status.feed_url), value=_STATUS.encode(status)
        )
