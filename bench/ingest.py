"""Ingest throughput: the whole ingest path against raw feedparser parsing of the same bytes.

Serves ``--feeds`` generated RSS feeds of ``--items`` items each from one threaded HTTP server
on 127.0.0.1 (a child process, so serving does not share the measured interpreter), then, in
one run:

1. raw: ``feedparser.parse`` of every body, one after another;
2. ingest: one ``FeedPoller.poll()`` per feed, all at once — fetch, parse (feedparser + HTML
   cleaning), identify, seen-state, produce to a real embedded broker (acks=all), mark seen,
   archive, publish FeedStatus;
3. 304: a second poll of every feed, each answered 304 Not Modified.

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
import time
from collections.abc import Sequence
from pathlib import Path

import feedparser
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


def raw_parse(bodies: Sequence[bytes]) -> tuple[float, int]:
    """Seconds to feedparser-parse every body, and the entries found."""
    started = time.perf_counter()
    entries = sum(len(feedparser.parse(io.BytesIO(body)).entries) for body in bodies)
    return time.perf_counter() - started, entries


async def ingest(base_url: str, feeds: int, data_dir: Path) -> tuple[float, int, float, int]:
    """(seconds, items produced) of the first poll of every feed; (seconds, 304s) of the second."""
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
                started = time.perf_counter()
                await asyncio.gather(*(p.poll() for p in pollers))
                first = time.perf_counter() - started
                produced = sum(p.health.items_seen for p in pollers)
                started = time.perf_counter()
                await asyncio.gather(*(p.poll() for p in pollers))
                second = time.perf_counter() - started
                not_modified = sum(p.health.not_modified for p in pollers)
                errors = [p.health.last_error_message for p in pollers if p.health.last_error_class]
                if errors:
                    raise SystemExit(f"{len(errors)} polls failed, e.g. {errors[0]}")
            finally:
                await producer.stop()
    return first, produced, second, not_modified


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
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
        raw_s, raw_items = raw_parse(bodies)
        with tempfile.TemporaryDirectory() as tmp:
            first_s, produced, second_s, not_modified = asyncio.run(
                ingest(base_url, args.feeds, Path(tmp))
            )
    finally:
        server.terminate()
        server.join()
    assert produced == raw_items == args.feeds * args.items, (produced, raw_items)
    rows = [
        ("raw feedparser.parse", f"{raw_s:.2f}", f"{raw_items / raw_s:,.0f} items/s", "1.00x"),
        (
            "ingest path (fetch→…→produce)",
            f"{first_s:.2f}",
            f"{produced / first_s:,.0f} items/s",
            f"{first_s / raw_s:.2f}x",
        ),
        ("304 polls", f"{second_s:.2f}", f"{not_modified / second_s:,.0f} polls/s", ""),
    ]
    header = ("stage", "seconds", "throughput", "cost vs raw")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
