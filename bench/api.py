"""HTTP API throughput and tail latency on a large store, against the framework's ceiling.

    python -m bench.api [--items 100000] [--seconds 10] [--concurrency 32]

Seeds a SQLite store (cached under ./data/bench/) with N items and 2N claims through the
real write path, serves the real app on one uvicorn worker, and loads each endpoint from a
separate client process: `wrk` when it is on PATH, else a built-in asyncio client. In the
same run it measures a trivial FastAPI JSON endpoint — the ceiling a framework handler can
reach on this machine — and reports each endpoint's share of it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import REPO, table, wire_items
from proto import Claim, EnrichedItem, Entity, Location, Mention, RawItem, Span

ACTORS = [
    ("Russia", "RUS"),
    ("Ukraine", "UKR"),
    ("United States", "USA"),
    ("Israel", "ISR"),
    ("China", "CHN"),
    ("Iraq", "IRQ"),
    ("Sudan", "SDN"),
    ("Britain", "GBR"),
]
MOVES = [1, 2, 3, 4]


def _message(index: int, texts: list[tuple[str, str]], t0: datetime) -> EnrichedItem:
    title, body = texts[index % len(texts)]
    item = RawItem(
        item_id=f"bench-{index}",
        version=1,
        feed_url=f"https://feed{index % 50}.example/rss",
        feed_name=f"Feed {index % 50}",
        title=title,
        text=body,
        url=f"https://news.example/{index}",
        language="en",
        content_hash=f"h{index}",
    )
    item.published_at.FromDatetime(t0 + timedelta(seconds=30 * index))
    text = f"{title}\n\n{body}"
    message = EnrichedItem(item=item, text=text, extractor_version="bench")
    message.extracted_at.FromDatetime(t0)
    rng = random.Random(index)
    for n in range(2):
        actor, actor_id = rng.choice(ACTORS)
        place, place_id = rng.choice(ACTORS)
        claim = Claim(
            claim_id=f"bench-{index}-{n}",
            item_id=item.item_id,
            movement=rng.choice(MOVES),
            polarity=1,
            status=1,
            evidence=text[:120],
            evidence_span=Span(start=0, end=min(120, len(text))),
            confidence=0.8,
            fingerprint=f"{actor_id}|{n}|{place_id}|1",
        )
        claim.actor.CopyFrom(Mention(text=actor, canonical_id=actor_id, canonical_name=actor))
        claim.location.CopyFrom(
            Location(
                place=Mention(text=place, canonical_id=place_id, canonical_name=place), relation=1
            )
        )
        message.claims.append(claim)
    message.entities.append(Entity(text=title[:10], label="GPE", span=Span(start=0, end=10)))
    return message


async def _seed(url: str, count: int) -> None:
    from services.api.store import Store
    from services.api.store.writes import upsert_enriched

    texts = wire_items()
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    async with await Store.open(url) as store:
        done = 0
        while done < count:
            async with store.transaction(write=True) as conn:
                for index in range(done, min(count, done + 2000)):
                    await upsert_enriched(conn, _message(index, texts, t0), t0)
            done = min(count, done + 2000)
            print(f"  seeded {done}/{count} items", file=sys.stderr, flush=True)


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    code = f"""
import uvicorn
from fastapi import FastAPI
from services.api.app import create_app
from services.api.settings import ApiSettings
app = create_app(ApiSettings(database_url={url!r}, api_consume=False))
@app.get("/bench/ceiling")
async def ceiling() -> dict[str, object]:
    return {{"items": [{{"item_id": "x", "title": "trivial"}}], "next_cursor": None}}
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="error", access_log=False)
"""
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO)


def _wrk(url: str, seconds: int, concurrency: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99, out
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * factor


async def _pyload(url: str, seconds: int, concurrency: int) -> tuple[float, float]:
    import httpx2

    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(url)
                assert response.status_code == 200, response.text
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return len(latencies) / elapsed, latencies[int(len(latencies) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    from services.broker import free_port

    cache = REPO / "data" / "bench" / f"api-{args.items}.db"
    cache.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{cache}"
    if not cache.exists() or cache.with_suffix(".partial").exists():
        cache.with_suffix(".partial").touch()
        asyncio.run(_seed(url, args.items))
        cache.with_suffix(".partial").unlink()
    port = free_port()
    server = _serve(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx2

        for _ in range(200):
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)
        check = httpx2.get(f"{base}/v1/claims?actor=RUS&limit=1").json()
        assert check["items"], "store not seeded"
        tool = "wrk" if shutil.which("wrk") else "asyncio client"
        paths = [
            "/bench/ceiling",
            "/v1/items?limit=50",
            "/v1/claims?actor=RUS",
            "/v1/items?q=troops",
        ]
        results = []
        for path in paths:
            if tool == "wrk":
                rps, p99 = _wrk(base + path, args.seconds, args.concurrency)
            else:
                rps, p99 = asyncio.run(_pyload(base + path, args.seconds, args.concurrency))
            results.append((path, rps, p99))
        ceiling = results[0][1]
        rows = [
            (f"`GET {p}`", f"{r:.0f}", f"{lat:.1f}", f"{100 * r / ceiling:.0f}%")
            for p, r, lat in results
        ]
        print(
            f"\n{args.items} items / {2 * args.items} claims, SQLite, one uvicorn worker, "
            f"{args.concurrency} connections, {args.seconds} s each, load by {tool}, "
            f"{os.cpu_count()} cores\n"
        )
        print(table(rows, ("endpoint", "req/s", "p99 ms", "of ceiling")))
        print(json.dumps({p: {"rps": round(r), "p99_ms": round(lat, 1)} for p, r, lat in results}))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
