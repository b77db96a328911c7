"""Ingest throughput: the whole ingest path against raw feedparser parsing of the same bytes.

Serves ``--feeds`` generated RSS feeds of ``--items`` items each from one threaded HTTP server
on 127.0.0.1 (a child process, so serving does not share the measured interpreter), then, in
one run:

1. raw: ``feedparser.parse`` of every body, one after another;
2. ingest: one ``FeedPoller.poll()`` per feed, all at once — fetch, parse (feedparser + HTML
   cleaning), identify, seen-state, produce to a real embedded broker (acks=all), mark seen,
   archive, publish FeedStatus;
3. 304: a second poll of every feed, each answered 304 Not Modified.

Each stage reports wall seconds, this process's CPU seconds (all its threads; the broker and
the feed server are other processes) and, on Linux, how long the measuring thread sat ready to
run while other processes held the CPUs (``/proc`` schedstat): on a busy machine that wait, not
the code, is what separates wall time from CPU time.

Run: ``python -m bench.ingest [--feeds 500 --items 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import io
import multiprocessing
import random
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import feedparser
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from services.broker import EmbeddedBroker
from services.config import CommonSettings
from services.ingest.archive import Archive
from services.ingest.feeds import FeedConfig
from services.ingest.fetch import Fetcher, FetchPolicy
from services.ingest.metrics import IngestMetrics
from services.ingest.poller import FeedPoller
from services.ingest.publish import Publisher
from services.ingest.schedule import PollPolicy
from services.ingest.state import IngestState
from services.kafka import ensure_topics, make_producer

WORDS = [
    "troops",
    "border",
    "brigade",
    "officials",
    "said",
    "tuesday",
    "armoured",
    "columns",
    "moved",
    "overnight",
    "ministry",
    "defence",
    "reported",
    "satellite",
    "images",
    "showed",
    "units",
    "near",
    "the",
    "region",
    "talks",
    "ceasefire",
    "forces",
    "withdrawal",
    "artillery",
    "convoy",
    "sources",
    "confirmed",
    "statement",
    "government",
    "capital",
]


def make_feed(index: int, items: int, rng: random.Random) -> bytes:
    """An RSS 2.0 feed like a news wire's: guid, link, date, HTML description per item."""
    entries = []
    for n in range(items):
        title = " ".join(rng.choices(WORDS, k=9)).capitalize()
        paragraphs = "".join(f"<p>{' '.join(rng.choices(WORDS, k=40))}.</p>" for _ in range(3))
        entries.append(
            f"<item><title>{title}</title><link>https://wire{index}.example/news/{n}</link>"
            f"<guid isPermaLink='false'>wire{index}-{n}</guid>"
            f"<pubDate>Tue, 04 Nov 2025 {n % 24:02d}:{n % 60:02d}:00 GMT</pubDate>"
            f"<category>World</category><description><![CDATA[{paragraphs}]]></description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Wire {index}</title><link>https://wire{index}.example/</link>"
        f"<language>en</language>{''.join(entries)}</channel></rss>"
    ).encode()


def _serve(bodies: Sequence[bytes], port: multiprocessing.SimpleQueue) -> None:  # type: ignore[type-arg]
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            body = bodies[int(self.path.rsplit("/", 1)[1])]
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.put(server.server_address[1])
    server.serve_forever()


def _cpu_wait_s() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (0 where not reported)."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass(slots=True)
class Spent:
    """What a stage cost: wall seconds, process CPU seconds, seconds waiting for a CPU."""

    wall: float = 0.0
    cpu: float = 0.0
    cpu_wait: float = 0.0


class Stopwatch:
    """Measures one stage: ``with Stopwatch() as spent: ...`` fills ``spent`` on exit."""

    def __enter__(self) -> Spent:
        self.spent = Spent()
        self._start = (time.perf_counter(), time.process_time(), _cpu_wait_s())
        return self.spent

    def __exit__(self, *exc: object) -> None:
        wall, cpu, wait = self._start
        self.spent.wall = time.perf_counter() - wall
        self.spent.cpu = time.process_time() - cpu
        self.spent.cpu_wait = _cpu_wait_s() - wait


def raw_parse(bodies: Sequence[bytes]) -> tuple[Spent, int]:
    """What feedparser-parsing every body one after another cost, and the entries found.

    feedparser runs with its defaults: it sanitises the embedded HTML and resolves its relative
    URIs itself. The ingest path turns those two passes off and does both in its own HTML
    clean-up (the one parse that also yields the text).
    """
    with Stopwatch() as spent:
        entries = sum(len(feedparser.parse(io.BytesIO(body)).entries) for body in bodies)
    return spent, entries


async def ingest(
    base_url: str, feeds: int, data_dir: Path, batch_kib: int | None = None
) -> tuple[Spent, int, Spent, int]:
    """(cost, items produced) of the first poll of every feed; (cost, 304s) of the second."""
    async with EmbeddedBroker() as broker:
        await ensure_topics(broker.bootstrap, partitions=3)
        settings = CommonSettings(kafka_bootstrap=broker.bootstrap, data_dir=data_dir)
        policy = FetchPolicy(allow_private=True, max_connections=50, max_per_host=50)
        async with (
            IngestState(data_dir / "ingest.sqlite3") as state,
            Archive(data_dir / "archive.sqlite3") as archive,
            Fetcher(policy) as fetcher,
        ):
            producer = make_producer(settings, client_id="bench-ingest")
            if (
                batch_kib is not None
            ):  # the same producer with larger batches than aiokafka's 16 KiB
                producer = AIOKafkaProducer(
                    bootstrap_servers=broker.bootstrap,
                    acks="all",
                    linger_ms=5,
                    max_request_size=8 * 1024 * 1024,
                    max_batch_size=batch_kib * 1024,
                )
            await producer.start()
            try:
                metrics = IngestMetrics(CollectorRegistry())
                publisher = Publisher(producer, state, archive)
                pollers = [
                    FeedPoller(
                        FeedConfig(url=f"{base_url}/feed/{i}", name=f"wire {i}"),
                        fetcher=fetcher,
                        publisher=publisher,
                        state=state,
                        policy=PollPolicy(30, 3600, 30, 3600),
                        default_interval_s=300,
                        metrics=metrics,
                    )
                    for i in range(feeds)
                ]
                with Stopwatch() as first:
                    await asyncio.gather(*(p.poll() for p in pollers))
                produced = sum(p.health.items_seen for p in pollers)
                with Stopwatch() as second:
                    await asyncio.gather(*(p.poll() for p in pollers))
                not_modified = sum(p.health.not_modified for p in pollers)
                errors = [p.health.last_error_message for p in pollers if p.health.last_error_class]
                if errors:
                    raise SystemExit(f"{len(errors)} polls failed, e.g. {errors[0]}")
            finally:
                await producer.stop()
    return first, produced, second, not_modified


def _row(stage: str, spent: Spent, raw: Spent | None, throughput: str) -> tuple[str, ...]:
    wall_ratio = f"{spent.wall / raw.wall:.2f}x" if raw else ""
    cpu_ratio = f"{spent.cpu / raw.cpu:.2f}x" if raw else ""
    return (
        stage,
        f"{spent.wall:.2f}",
        throughput,
        wall_ratio,
        f"{spent.cpu:.2f}",
        cpu_ratio,
        f"{spent.cpu_wait:.2f}",
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument(
        "--batch-kib",
        type=int,
        default=None,
        help="producer max_batch_size in KiB (default: what services.kafka.make_producer uses)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(20251104)
    bodies = [make_feed(i, args.items, rng) for i in range(args.feeds)]
    size_mib = sum(map(len, bodies)) / 2**20
    print(f"{args.feeds} feeds x {args.items} items, {size_mib:.1f} MiB of RSS")
    context = multiprocessing.get_context("fork")
    port_queue = context.SimpleQueue()
    server = context.Process(target=_serve, args=(bodies, port_queue), daemon=True)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{port_queue.get()}"
        raw, raw_items = raw_parse(bodies)
        with tempfile.TemporaryDirectory() as tmp:
            first, produced, second, not_modified = asyncio.run(
                ingest(base_url, args.feeds, Path(tmp), args.batch_kib)
            )
    finally:
        server.terminate()
        server.join()
    assert produced == raw_items == args.feeds * args.items, (produced, raw_items)
    rows = [
        _row("raw feedparser.parse", raw, raw, f"{raw_items / raw.wall:,.0f} items/s"),
        _row("ingest path (fetch→…→produce)", first, raw, f"{produced / first.wall:,.0f} items/s"),
        _row("304 polls", second, None, f"{not_modified / second.wall:,.0f} polls/s"),
    ]
    header = ("stage", "wall s", "throughput", "wall vs raw", "CPU s", "CPU vs raw", "CPU wait s")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
