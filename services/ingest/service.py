"""Ingest, wired: feeds file → one poller task per feed → ``items.raw`` and ``feeds.status``.

Resources (state file, HTTP client, producer) are opened in an ``AsyncExitStack`` and
closed in reverse on stop: pollers finish their poll in flight, the producer flushes,
the state file closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from importlib import resources
from pathlib import Path

from prometheus_client import CollectorRegistry

from services.ingest.archive import Archive
from services.ingest.feeds import FeedConfig, FeedsFileError, load_feeds
from services.ingest.fetch import Fetcher, FetchPolicy
from services.ingest.fulltext import FullText
from services.ingest.metrics import IngestMetrics
from services.ingest.poller import FeedPoller
from services.ingest.publish import Publisher
from services.ingest.schedule import PollPolicy
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState
from services.kafka import ensure_topics, make_producer
from services.logs import get_logger

__all__ = ["default_feeds_path", "fetch_policy", "poll_policy", "run_ingest"]

log = get_logger("ingest")
_PRUNE_EVERY_S = 3600.0


def default_feeds_path() -> Path:
    """The bundled list of world news feeds."""
    return Path(str(resources.files("services.ingest").joinpath("default_feeds.yaml")))


def fetch_policy(settings: IngestSettings) -> FetchPolicy:
    contact = f"; {settings.contact}" if settings.contact else ""
    return FetchPolicy(
        connect_timeout_s=settings.connect_timeout_s,
        read_timeout_s=settings.read_timeout_s,
        total_timeout_s=settings.total_timeout_s,
        max_body_bytes=settings.max_body_bytes,
        user_agent=f"wirewatch/0.1 (+https://github.com/wirewatch/wirewatch{contact})",
        allow_private=settings.allow_private_urls,
        max_connections=settings.max_connections,
        max_per_host=settings.max_per_host,
    )


def poll_policy(settings: IngestSettings) -> PollPolicy:
    return PollPolicy(
        min_interval_s=settings.min_poll_interval_s,
        max_interval_s=settings.max_poll_interval_s,
        backoff_base_s=max(settings.min_poll_interval_s, 1.0),
        backoff_cap_s=settings.backoff_cap_s,
    )


async def _prune(
    state: IngestState, archive: Archive, settings: IngestSettings, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        removed = await state.prune(settings.seen_retention_days * 86400.0)
        archived = await archive.prune(settings.archive_retention_days * 86400.0)
        if removed or archived:
            log.info("state pruned", seen_ids=removed, archived_items=archived)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=_PRUNE_EVERY_S)


class _Supervisor:
    """One poller task per feed; ``apply`` starts, stops or restarts them to match a list."""

    def __init__(
        self,
        group: asyncio.TaskGroup,
        stop: asyncio.Event,
        make: _MakePoller,
        max_polls: int | None = None,
    ) -> None:
        self._group = group
        self._stop = stop
        self._make = make
        self._max_polls = max_polls
        self._running: dict[str, tuple[FeedConfig, asyncio.Event]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def apply(self, feeds: list[FeedConfig]) -> None:
        wanted = {feed.url: feed for feed in feeds}
        for url, (config, own_stop) in list(self._running.items()):
            if wanted.get(url) != config:
                own_stop.set()
                del self._running[url]
        for url, feed in wanted.items():
            if url not in self._running:
                own_stop = asyncio.Event()
                self._running[url] = (feed, own_stop)
                task = self._group.create_task(self._run(self._make(feed), own_stop))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drained(self) -> None:
        """Return once no poller runs (with ``max_polls``, once every feed has had them)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def _run(self, poller: FeedPoller, own_stop: asyncio.Event) -> None:
        either = asyncio.Event()

        async def relay(event: asyncio.Event) -> None:
            await event.wait()
            either.set()

        relays = [asyncio.create_task(relay(e)) for e in (self._stop, own_stop)]
        try:
            await poller.run(either, max_polls=self._max_polls)
        finally:
            for task in relays:
                task.cancel()

    @property
    def feeds(self) -> int:
        return len(self._running)


_MakePoller = Callable[[FeedConfig], FeedPoller]


async def _reload_on_sighup(
    supervisor: _Supervisor, source: Path, stop: asyncio.Event, metrics: IngestMetrics
) -> None:
    """Re-read the feeds file on SIGHUP; a broken file keeps the running list."""
    loop = asyncio.get_running_loop()
    hangup = asyncio.Event()
    try:
        loop.add_signal_handler(signal.SIGHUP, hangup.set)
    except (RuntimeError, ValueError):  # not the main thread: no reload
        return
    try:
        while not stop.is_set():
            waiter = asyncio.create_task(hangup.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            if stop.is_set():
                return
            hangup.clear()
            try:
                feeds = await asyncio.to_thread(load_feeds, source)
            except (FeedsFileError, OSError) as exc:
                log.error("feeds file not reloaded; keeping the running list", error=str(exc))
                continue
            supervisor.apply(list(feeds))
            metrics.feeds.labels("configured").set(supervisor.feeds)
            log.info("feeds reloaded", feeds=supervisor.feeds)
    finally:
        loop.remove_signal_handler(signal.SIGHUP)


async def run_ingest(
    settings: IngestSettings,
    stop: asyncio.Event,
    *,
    feeds: list[FeedConfig] | None = None,
    registry: CollectorRegistry | None = None,
    max_polls: int | None = None,
) -> None:
    """Poll every feed until ``stop`` is set; SIGHUP reloads the feeds file.

    ``feeds`` replaces the feeds file. ``max_polls`` makes a bounded run: each feed is polled
    that many times (errors included) and the call returns once every feed is done — for
    tests and benchmarks; unset, the feeds are polled until ``stop``.
    """
    source = settings.feeds_file or default_feeds_path()
    if feeds is None:
        feeds = list(load_feeds(source))
    metrics = IngestMetrics(registry or CollectorRegistry())
    await ensure_topics(settings.bootstrap, settings.topic_partitions)
    async with AsyncExitStack() as stack:
        state = await stack.enter_async_context(IngestState(settings.state_path))
        archive = await stack.enter_async_context(Archive(settings.archive_path))
        fetcher = await stack.enter_async_context(Fetcher(fetch_policy(settings)))
        producer = make_producer(settings, client_id="wirewatch-ingest")
        await producer.start()
        stack.push_async_callback(producer.stop)
        crash = settings.fault_inject == "crash-after-produce"
        if crash:
            log.warning("fault injection on: ingest will SIGKILL itself after its first produce")
        publisher = Publisher(producer, state, archive, crash_after_produce=crash)
        full_text = FullText(fetcher, metrics, concurrency=settings.full_text_concurrency)

        def make(feed: FeedConfig) -> FeedPoller:
            return FeedPoller(
                feed,
                fetcher=fetcher,
                publisher=publisher,
                state=state,
                policy=poll_policy(settings),
                default_interval_s=settings.default_poll_interval_s,
                metrics=metrics,
                full_text=full_text,
            )

        # Stops the helper tasks: set on ``stop``, or when a bounded run's pollers are done.
        helpers_stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            supervisor = _Supervisor(group, stop, make, max_polls)
            supervisor.apply(feeds)
            metrics.feeds.labels("configured").set(supervisor.feeds)
            log.info("ingest started", feeds=supervisor.feeds, topic="items.raw")
            group.create_task(_prune(state, archive, settings, helpers_stop))
            group.create_task(_reload_on_sighup(supervisor, source, helpers_stop, metrics))
            stopped: asyncio.Future[object] = asyncio.ensure_future(stop.wait())
            waits: set[asyncio.Future[object]] = {stopped}
            if max_polls is not None:
                waits.add(asyncio.ensure_future(supervisor.drained()))
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()
            helpers_stop.set()
        log.info("ingest stopped")
