"""One feed's poll loop: fetch → parse → identify → publish → report health → wait.

Every poll ends with a ``FeedStatus`` on the compacted status topic. A feed is never
dropped: errors back off up to a cap and keep being retried, 410 Gone is reported and
polled at the longest interval in case the publisher brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka.errors import KafkaError

from proto import FeedState, FeedStatus
from services.ingest.errors import Gone, IngestError, RateLimited
from services.ingest.feeds import FeedConfig
from services.ingest.fetch import Fetcher, FetchResult
from services.ingest.fulltext import FullText
from services.ingest.metrics import IngestMetrics
from services.ingest.parse import parse_feed_async
from services.ingest.publish import (
    Candidate,
    Publisher,
    build_raw_item,
    candidates_of,
    timestamp,
)
from services.ingest.schedule import PollPolicy, backoff_delay, next_delay
from services.ingest.state import FeedValidators, IngestState
from services.logs import get_logger

__all__ = ["FeedHealth", "FeedPoller"]

log = get_logger("ingest")


@dataclass(slots=True)
class FeedHealth:
    """What we know of a feed's behaviour since this process started."""

    polls: int = 0
    not_modified: int = 0
    items_seen: int = 0
    consecutive_errors: int = 0
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_item_at: datetime | None = None
    last_error_class: str = ""
    last_error_message: str = ""
    last_http_status: int = 0
    gone: bool = False
    # Smoothed seconds between polls that brought new items: the feed's usual rhythm.
    rhythm_s: float | None = None


class FeedPoller:
    """Polls one feed until stopped.

    ``full_text`` fetches the linked articles of the feed's new items (used only when the
    feed's config opts in with ``full_text: true``).
    """

    def __init__(
        self,
        feed: FeedConfig,
        *,
        fetcher: Fetcher,
        publisher: Publisher,
        state: IngestState,
        policy: PollPolicy,
        default_interval_s: float,
        metrics: IngestMetrics,
        stale_factor: float = 8.0,
        full_text: FullText | None = None,
    ) -> None:
        self.feed = feed
        self._fetcher = fetcher
        self._publisher = publisher
        self._state = state
        self._policy = policy
        self._interval_s = feed.interval_s or default_interval_s
        self._metrics = metrics
        self._stale_factor = stale_factor
        self._full_text = full_text if feed.full_text else None
        self.health = FeedHealth()

    async def run(self, stop: asyncio.Event, *, max_polls: int | None = None) -> None:
        """Poll now, then on schedule, until ``stop`` is set or ``max_polls`` polls are done.

        ``max_polls`` bounds a run (tests, benchmarks); None polls for as long as it runs.
        """
        due = time.monotonic()
        while not stop.is_set():
            self._metrics.scheduler_lag.observe(max(0.0, time.monotonic() - due))
            delay = await self.poll()
            if max_polls is not None and self.health.polls >= max_polls:
                return
            due = time.monotonic() + delay
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def poll(self) -> float:
        """Poll once; returns the seconds to wait before the next poll. Never raises IngestError."""
        health = self.health
        now = datetime.now(UTC)
        health.polls += 1
        health.last_poll_at = now
        validators = await self._state.validators(self.feed.url)
        bound = log.bind(feed_url=self.feed.url)
        started = time.perf_counter()
        try:
            result = await self._fetcher.fetch(
                validators.current_url, etag=validators.etag, last_modified=validators.last_modified
            )
            self._metrics.fetch_seconds.observe(time.perf_counter() - started)
            self._metrics.bytes.inc(result.bytes_read)
            delay = await self._handle(result, validators, now)
        except IngestError as exc:
            delay = await self._failed(exc, validators)
            bound.warning(
                "poll failed",
                error=type(exc).__name__,
                detail=str(exc)[:300],
                attempt=health.consecutive_errors,
                next_poll_s=round(delay, 1),
            )
        except KafkaError as exc:
            # The broker refused our items: nothing was marked seen, retry the whole poll.
            delay = await self._failed(exc, validators)
            bound.warning("publish failed", error=type(exc).__name__, detail=str(exc)[:300])
        self._metrics.consecutive_errors.labels(self.feed.url).set(health.consecutive_errors)
        try:
            await self._publisher.publish_status(self.status(next_poll_in_s=delay))
        except KafkaError as exc:
            bound.warning("status not published", error=type(exc).__name__)
        return delay

    async def _handle(
        self, result: FetchResult, validators: FeedValidators, now: datetime
    ) -> float:
        health = self.health
        health.last_http_status = result.status
        current_url = result.permanent_url or validators.current_url
        if result.permanent_url:
            log.info("feed moved permanently", feed_url=self.feed.url, new_url=result.permanent_url)
        if result.not_modified:
            health.not_modified += 1
            self._succeeded(now)
            self._metrics.polls.labels("not_modified").inc()
            await self._state.save_validators(
                self.feed.url,
                FeedValidators(current_url, validators.etag, validators.last_modified),
            )
            return next_delay(self._policy, self._interval_s, headers=result.headers, now=now)

        parsed = await parse_feed_async(
            result.body,
            feed_url=result.url,
            content_type=result.content_type,
            headers=result.headers,
        )
        candidates = candidates_of(self.feed.url, parsed)
        versions = await self._state.versions_to_emit(
            self.feed.url, {c.item_id: c.content_hash for c in candidates}
        )
        try:
            produced = await self._publish(candidates, versions, parsed.language, now)
        finally:
            self._state.release(versions)
        await self._state.touch([c.item_id for c in candidates if c.item_id not in versions])
        # Validators are saved only now: had publishing failed, the next poll re-reads the body.
        await self._state.save_validators(
            self.feed.url, FeedValidators(current_url, result.etag, result.last_modified)
        )
        self._metrics.items.inc(produced)
        self._metrics.polls.labels("new" if produced else "unchanged").inc()
        if produced:
            self._note_new_items(now, produced)
        self._succeeded(now)
        if produced:
            log.info("items produced", feed_url=self.feed.url, count=produced)
        return next_delay(
            self._policy,
            self._interval_s,
            ttl_s=parsed.ttl_s,
            update_period_s=parsed.update_period_s,
            headers=result.headers,
            now=now,
        )

    async def _publish(
        self,
        candidates: list[Candidate],
        versions: dict[str, int],
        language: str | None,
        now: datetime,
    ) -> int:
        items = [
            build_raw_item(
                c,
                version=versions[c.item_id],
                feed_url=self.feed.url,
                feed_name=self.feed.name,
                feed_language=language,
                fetched_at=now,
            )
            for c in candidates
            if c.item_id in versions
        ]
        if self._full_text is not None and items:
            items = await self._full_text.apply(items)
        return await self._publisher.publish_items(self.feed.url, items)

    def _succeeded(self, now: datetime) -> None:
        health = self.health
        health.consecutive_errors = 0
        health.last_success_at = now
        health.gone = False

    def _note_new_items(self, now: datetime, count: int) -> None:
        health = self.health
        if health.last_new_item_at is not None:
            gap = (now - health.last_new_item_at).total_seconds()
            health.rhythm_s = gap if health.rhythm_s is None else 0.7 * health.rhythm_s + 0.3 * gap
        health.last_new_item_at = now
        health.items_seen += count

    async def _failed(self, exc: Exception, validators: FeedValidators) -> float:
        health = self.health
        health.consecutive_errors += 1
        health.last_error_class = type(exc).__name__
        health.last_error_message = str(exc)[:500]
        self._metrics.polls.labels(type(exc).__name__).inc()
        if isinstance(exc, Gone):
            health.gone = True
            await self._state.save_validators(
                self.feed.url,
                FeedValidators(
                    validators.current_url, validators.etag, validators.last_modified, True
                ),
            )
            return self._policy.max_interval_s
        retry_after = exc.retry_after_s if isinstance(exc, RateLimited) else None
        if getattr(exc, "status", None):
            health.last_http_status = int(getattr(exc, "status", 0))
        return backoff_delay(self._policy, health.consecutive_errors, retry_after_s=retry_after)

    def state(self, now: datetime | None = None) -> FeedState:
        """The feed's state: gone, erroring, stale (quiet far beyond its rhythm) or ok."""
        health = self.health
        if health.gone:
            return FeedState.FEED_STATE_GONE
        if health.consecutive_errors:
            return FeedState.FEED_STATE_ERRORING
        now = now or datetime.now(UTC)
        if health.last_new_item_at is not None and health.rhythm_s:
            quiet = (now - health.last_new_item_at).total_seconds()
            if quiet > max(self._stale_factor * health.rhythm_s, 4 * self._interval_s):
                return FeedState.FEED_STATE_STALE
        return FeedState.FEED_STATE_OK

    def status(self, *, next_poll_in_s: float) -> FeedStatus:
        """The feed's health as the FeedStatus message published after every poll."""
        health = self.health
        now = datetime.now(UTC)
        status = FeedStatus(
            feed_url=self.feed.url,
            feed_name=self.feed.name,
            state=self.state(now),
            last_error_class=health.last_error_class if health.consecutive_errors else "",
            last_error_message=health.last_error_message if health.consecutive_errors else "",
            consecutive_errors=health.consecutive_errors,
            items_seen=health.items_seen,
            not_modified_ratio=health.not_modified / health.polls if health.polls else 0.0,
            last_http_status=health.last_http_status,
            polls=health.polls,
        )
        status.next_poll_at.CopyFrom(
            timestamp(datetime.fromtimestamp(now.timestamp() + next_poll_in_s, UTC))
        )
        for name in ("last_poll_at", "last_success_at", "last_new_item_at"):
            value = getattr(health, name)
            if value is not None:
                getattr(status, name).CopyFrom(timestamp(value))
        return status
