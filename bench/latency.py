"""End-to-end latency: an item's first appearance in a feed → its signed webhook's receipt.

    python -m bench.latency [--items 200] [--rate 2]

Runs the real stack as separate processes (embedded broker, `wirewatch ingest` polling every
1 s, `wirewatch extract`, `wirewatch api` with a webhook subscription) against a local feed
that publishes one new wire item at a time, each a troop-movement claim with a new
fingerprint, so each raises `claim.new`. A local receiver verifies every signature. Reports
p50/p95/p99 of the whole path and each hop's share, from timestamps taken where each hop
happens: the feed server (appearance), the broker (items.raw and items.enriched record
times), the store (alert created_at) and the receiver (arrival).
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from bench.common import REPO, table

COUNTRIES = [
    "Russia",
    "Ukraine",
    "Belarus",
    "Poland",
    "Turkey",
    "Syria",
    "Iraq",
    "Iran",
    "Israel",
    "Lebanon",
    "Armenia",
    "Azerbaijan",
    "Georgia",
    "Moldova",
    "Serbia",
    "Kosovo",
    "Sudan",
    "Chad",
    "Mali",
    "Niger",
    "China",
    "India",
    "Pakistan",
]
SECRET = "whsec_" + "bGF0ZW5jeS1iZW5jaC1zZWNyZXQtMDEyMzQ1Njc4OQ=="


class Feed:
    """An RSS feed that gains one item every 1/rate seconds; remembers when each appeared."""

    def __init__(self, count: int, rate: float) -> None:
        pairs = [(a, b) for a in COUNTRIES for b in COUNTRIES if a != b][:count]
        self.items = [
            (
                f"lat-{i}",
                f"{a} sends troops to {b}",
                f"{a} has deployed troops to {b}, officials in {b} said on Monday.",
            )
            for i, (a, b) in enumerate(pairs)
        ]
        self.rate = rate
        self.appeared: dict[str, float] = {}
        self.started = 0.0
        self.lock = threading.Lock()

    def visible(self) -> list[tuple[str, str, str]]:
        """The items published so far; item i appears at ``started + i / rate``, whether or
        not anyone is polling at that moment (that wait is part of the latency)."""
        shown = min(len(self.items), int((time.time() - self.started) * self.rate) + 1)
        with self.lock:
            for index, (guid, _, _) in enumerate(self.items[:shown]):
                self.appeared.setdefault(guid, self.started + index / self.rate)
        return self.items[:shown]

    def rss(self) -> bytes:
        entries = "".join(
            f"<item><guid>{g}</guid><title>{t}</title><link>https://wire.example/{g}</link>"
            f"<pubDate>{format_datetime(datetime.now().astimezone())}</pubDate>"
            f"<description>{d}</description></item>"
            for g, t, d in reversed(self.visible()[-50:])
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Latency wire</title>'
            f"{entries}</channel></rss>"
        ).encode()


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> tuple[str, Any]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2.0, help="new items per second")
    args = parser.parse_args()
    from standardwebhooks.webhooks import Webhook

    from services.broker import EmbeddedBroker, free_port
    from services.kafka import ensure_topics

    feed = Feed(args.items, args.rate)
    received: dict[str, float] = {}
    alert_created: dict[str, float] = {}
    verifier = Webhook(SECRET)

    class FeedHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = feed.rss()
            self.send_response(200)
            self.send_header("content-type", "application/rss+xml")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: object) -> None:
            return

    class HookHandler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            now = time.time()
            body = verifier.verify(raw, {k.lower(): v for k, v in self.headers.items()})
            guid = body["data"]["item"]["url"].rsplit("/", 1)[1]
            received.setdefault(guid, now)
            alert_created.setdefault(
                guid,
                datetime.fromisoformat(
                    body["data"]["alert"]["created_at"].replace("Z", "+00:00")
                ).timestamp(),
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a: object) -> None:
            return

    feed_url, feed_server = _serve(FeedHandler)
    hook_url, hook_server = _serve(HookHandler)

    async def run() -> dict[str, dict[str, float]]:
        async with EmbeddedBroker() as broker:
            await ensure_topics(broker.bootstrap, 3)
            workdir = Path(tempfile.mkdtemp(prefix="wirewatch-latency-"))
            (workdir / "feeds.yaml").write_text(
                f"feeds:\n  - url: {feed_url}/rss\n    name: Latency wire\n    interval_s: 1\n"
            )
            env = {
                **os.environ,
                "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
                "WIREWATCH_DATA_DIR": str(workdir),
                "WIREWATCH_LOG_LEVEL": "warning",
                "WIREWATCH_ALLOW_PRIVATE_URLS": "true",
                "WIREWATCH_MIN_POLL_INTERVAL_S": "1",
                "WIREWATCH_FEEDS_FILE": str(workdir / "feeds.yaml"),
                "WIREWATCH_INGEST_METRICS_PORT": "0",
                "WIREWATCH_EXTRACT_METRICS_PORT": "0",
                "WIREWATCH_API_PORT": str(free_port()),
                "WIREWATCH_WEBHOOKS": json.dumps([{"url": f"{hook_url}/hook", "secret": SECRET}]),
            }
            command = [sys.executable, "-m", "services.cli"]
            procs = [
                subprocess.Popen([*command, name], env=env, cwd=REPO)  # noqa: ASYNC220
                for name in ("api", "extract")
            ]
            await asyncio.sleep(12)  # spaCy and the api are up before the first item appears
            procs.append(
                subprocess.Popen([*command, "ingest"], env=env, cwd=REPO)  # noqa: ASYNC220
            )
            feed.started = time.time()
            deadline = feed.started + args.items / args.rate + 60
            while len(received) < args.items and time.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.5)
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(20)
            return await _record_times(broker.bootstrap)

    times = asyncio.run(run())
    feed_server.shutdown()
    hook_server.shutdown()
    _report(feed, received, alert_created, times, args)


async def _record_times(bootstrap: str) -> dict[str, dict[str, float]]:
    """Broker timestamps of each item's first RawItem and EnrichedItem, by guid."""
    from aiokafka import AIOKafkaConsumer

    from proto import ENRICHED_ITEM_CODEC, ITEMS_ENRICHED, ITEMS_RAW, RAW_ITEM_CODEC

    out: dict[str, dict[str, float]] = {"raw": {}, "enriched": {}}
    for topic, key, decode in (
        (ITEMS_RAW.name, "raw", RAW_ITEM_CODEC.decode),
        (ITEMS_ENRICHED.name, "enriched", lambda v: ENRICHED_ITEM_CODEC.decode(v).item),
    ):
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                if not batch:
                    break
                for records in batch.values():
                    for record in records:
                        guid = decode(record.value).guid
                        out[key].setdefault(guid, record.timestamp / 1000)
        finally:
            await consumer.stop()
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(
    feed: Feed,
    received: dict[str, float],
    alert_created: dict[str, float],
    times: dict[str, dict[str, float]],
    args: argparse.Namespace,
) -> None:
    done = [
        g
        for g in received
        if g in feed.appeared
        and g in times["raw"]
        and g in times["enriched"]
        and g in alert_created
    ]
    hops = {
        "feed → items.raw (poll wait, fetch, parse, produce)": [
            times["raw"][g] - feed.appeared[g] for g in done
        ],
        "items.raw → items.enriched (extract)": [
            times["enriched"][g] - times["raw"][g] for g in done
        ],
        "items.enriched → alert (store, cluster, decide)": [
            alert_created[g] - times["enriched"][g] for g in done
        ],
        "alert → webhook received (outbox, sign, POST)": [
            received[g] - alert_created[g] for g in done
        ],
    }
    total = [received[g] - feed.appeared[g] for g in done]
    mean_total = statistics.mean(total)
    rows = [
        (
            name,
            f"{_pct(v, 0.5):.2f}",
            f"{_pct(v, 0.95):.2f}",
            f"{_pct(v, 0.99):.2f}",
            f"{100 * statistics.mean(v) / mean_total:.0f}%",
        )
        for name, v in hops.items()
    ]
    rows.append(
        (
            "**feed → webhook (total)**",
            f"{_pct(total, 0.5):.2f}",
            f"{_pct(total, 0.95):.2f}",
            f"{_pct(total, 0.99):.2f}",
            "100%",
        )
    )
    print(
        f"\n{len(done)}/{args.items} items delivered; {args.rate} new items/s; feed polled "
        f"every 1 s; {os.cpu_count()} cores; seconds\n"
    )
    print(table(rows, ("hop", "p50", "p95", "p99", "share of mean")))


if __name__ == "__main__":
    main()
