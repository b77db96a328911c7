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
from pathlib import Path

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


def _seed(path: Path, count: int) -> None:
    """Bulk-load the store: the real row mapping (rows.py) and schema, with executemany on a
    synchronous connection so that seeding 100k items takes a minute, not an hour. The
    full-text index is filled by its triggers as in production."""
    from sqlalchemy import create_engine

    from services.api.store import sortkey, upgrade_sync
    from services.api.store.rows import claim_doc, claim_row, entity_rows, item_doc, item_row
    from services.api.store.schema import claims, entities, item_docs, items

    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    texts = wire_items()
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for start in range(0, count, 5000):
            batch = [_message(i, texts, t0) for i in range(start, min(count, start + 5000))]
            item_rows = [item_row(m, t0) for m in batch]
            for row in item_rows:  # the writer's listing key: each bench item has its own ms
                row["id"] = sortkey.listing_key(sortkey.floor_ms(row["published_at"]), 0)
            conn.execute(items.insert(), item_rows)
            conn.execute(
                item_docs.insert(),
                [{"id": r["id"], "item_id": r["item_id"], "doc": item_doc(r)} for r in item_rows],
            )
            conn.execute(entities.insert(), [r for m in batch for r in entity_rows(m)])
            conn.execute(
                claims.insert(),
                [
                    {**claimed, "doc": claim_doc(claimed)}
                    for m, row in zip(batch, item_rows, strict=True)
                    for c in m.claims
                    for claimed in [claim_row(c, row["item_id"], row["published_at"], t0)]
                ],
            )
            print(f"  seeded {min(count, start + 5000)}/{count} items", file=sys.stderr)
    engine.dispose()


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    code = f"""
import uvicorn
from fastapi import FastAPI
from services.api.app import create_app
from services.api.settings import ApiSettings
app = create_app(ApiSettings(database_url={url!r}, api_consume=False, webhook_dispatch=False))
@app.get("/bench/ceiling")
async def ceiling() -> dict[str, object]:
    return {{"items": [{{"item_id": "x", "title": "trivial"}}], "next_cursor": None}}
# Not the ceiling: /v1/items' own parameters and dependencies with a constant answer, to
# show what FastAPI's parameter handling alone costs per request.
import inspect
from fastapi import Depends, Response
from services.api.auth import require_read
from services.api.routes import list_items
async def parameters_only(**_: object) -> Response:
    return Response(b'{{"items":[],"next_cursor":null}}', media_type="application/json")
parameters_only.__signature__ = inspect.signature(list_items, eval_str=True)
app.add_api_route("/bench/parameters", parameters_only, dependencies=[Depends(require_read)])
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="error", access_log=False)
"""
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO)


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, every thread) the server has used so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        cache.unlink(missing_ok=True)
        cache.with_suffix(".partial").touch()
        _seed(cache, args.items)
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
            "/bench/parameters?limit=50",
            "/v1/items?limit=50",
            "/v1/claims?actor=RUS",
            "/v1/items?q=troops",
        ]
        results = []
        for path in paths:
            cpu_before = _cpu_seconds(server.pid)
            if tool == "wrk":
                rps, p99 = _wrk(base + path, args.seconds, args.concurrency)
            else:
                rps, p99 = asyncio.run(_pyload(base + path, args.seconds, args.concurrency))
            cpu_after = _cpu_seconds(server.pid)
            # Server CPU per request: unlike req/s, barely moved by other load on the machine.
            cpu_us = (
                1e6 * (cpu_after - cpu_before) / (rps * args.seconds)
                if cpu_before is not None and cpu_after is not None
                else float("nan")
            )
            results.append((path, rps, p99, cpu_us))
        ceiling, ceiling_cpu = results[0][1], results[0][3]
        rows = [
            (
                f"`GET {p}`",
                f"{r:.0f}",
                f"{lat:.1f}",
                f"{100 * r / ceiling:.0f}%",
                f"{cpu:.0f}",
                f"{100 * ceiling_cpu / cpu:.0f}%",
            )
            for p, r, lat, cpu in results
        ]
        print(
            f"\n{args.items} items / {2 * args.items} claims, SQLite, one uvicorn worker, "
            f"{args.concurrency} connections, {args.seconds} s each, load by {tool}, "
            f"{os.cpu_count()} cores\n"
        )
        headers = ("endpoint", "req/s", "p99 ms", "of ceiling", "server CPU µs/req", "CPU ratio")
        print(table(rows, headers))
        print(
            json.dumps(
                {
                    p: {"rps": round(r), "p99_ms": round(lat, 1), "cpu_us": round(cpu)}
                    for p, r, lat, cpu in results
                }
            )
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
