"""Extractor throughput against raw spaCy, worker scaling over the broker, memory over time.

    python -m bench.extract                 # throughput: extractor vs raw nlp.pipe, same texts
    python -m bench.extract --workers       # `wirewatch extract --workers 1` vs `--workers 2`
    python -m bench.extract --memory 100000 # RSS growth of the extractor over many documents

Throughput counts the whole per-record path of the service — decode RawItem, nlp.pipe with
the gazetteer ruler, entity canonicalisation, claim detector and rules, encode EnrichedItem —
against ``spacy.load(model).pipe`` over the same texts with the same batch size, in the same
run; the same path without the learned detector shows what the detector costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

from bench.common import REPO, rss_mb, table, timed, wire_items
from proto import ENRICHED_ITEM_CODEC, ITEMS_ENRICHED, ITEMS_RAW, RAW_ITEM_CODEC, RawItem

BATCH = 64


def _raw_items(count: int) -> list[RawItem]:
    texts = wire_items()
    return [
        RawItem(
            item_id=f"bench-{i}",
            version=1,
            title=texts[i % len(texts)][0],
            text=texts[i % len(texts)][1],
        )
        for i in range(count)
    ]


def throughput(count: int, rounds: int) -> None:
    import spacy

    from services.extract.analyze import Analyzer, analysed_text
    from services.extract.claims import ClaimExtractor
    from services.extract.nlp import MODEL_NAME

    items = _raw_items(count)
    payloads = [RAW_ITEM_CODEC.encode(item) for item in items]
    texts = [analysed_text(item) for item in items]
    raw_nlp = spacy.load(MODEL_NAME)
    analyzer = Analyzer(batch_size=BATCH)
    rules_only = Analyzer(batch_size=BATCH)
    rules_only.claims = ClaimExtractor(rules_only.gazetteer, nlp=rules_only.nlp, detector=None)
    # Warm the pipelines so none pays first-call costs in the measured rounds.
    list(raw_nlp.pipe(texts[:BATCH], batch_size=BATCH))
    analyzer.analyse(items[:BATCH])
    rules_only.analyse(items[:BATCH])

    raw_times, full_times, rule_times, claims = [], [], [], 0
    for _ in range(rounds):
        with timed() as t:
            rules_only.analyse([RAW_ITEM_CODEC.decode(p) for p in payloads])
        rule_times.append(t[0])
        with timed() as t, raw_nlp.memory_zone():
            for _doc in raw_nlp.pipe(texts, batch_size=BATCH):
                pass
        raw_times.append(t[0])
        with timed() as t:
            decoded = [RAW_ITEM_CODEC.decode(p) for p in payloads]
            results, failures = analyzer.analyse(decoded)
            encoded = [ENRICHED_ITEM_CODEC.encode(r) for r in results if r is not None]
        full_times.append(t[0])
        assert not failures
        assert len(encoded) == count
        claims = sum(len(r.claims) for r in results if r is not None)
    raw, full, rules = min(raw_times), min(full_times), min(rule_times)
    words = sum(len(t.split()) for t in texts)
    print(
        f"\n{count} AG News items ({words} words), batch {BATCH}, best of {rounds} rounds, "
        f"{claims} claims found\n"
    )
    print(
        table(
            [
                ("raw `nlp.pipe` (en_core_web_sm)", f"{count / raw:.0f}", "100%"),
                (
                    "extractor without the detector (decode+NLP+rules+encode)",
                    f"{count / rules:.0f}",
                    f"{100 * raw / rules:.0f}%",
                ),
                (
                    "extractor (decode+NLP+detector+rules+encode)",
                    f"{count / full:.0f}",
                    f"{100 * raw / full:.0f}%",
                ),
            ],
            ("path", "docs/s", "of raw"),
        )
    )


async def _run_workers(workers: int, count: int) -> tuple[float, int]:
    """Time from first to last enriched record with N worker processes over a fresh broker."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from services.broker import EmbeddedBroker
    from services.kafka import ensure_topics

    async with EmbeddedBroker() as broker:
        await ensure_topics(broker.bootstrap, partitions=6)
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=20)
        await producer.start()
        futures = [
            await producer.send(
                ITEMS_RAW.name, key=i.item_id.encode(), value=RAW_ITEM_CODEC.encode(i)
            )
            for i in _raw_items(count)
        ]
        await asyncio.gather(*futures)
        await producer.stop()
        env = {
            **os.environ,
            "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
            "WIREWATCH_EXTRACT_METRICS_PORT": "0",
            "WIREWATCH_LOG_LEVEL": "warning",
        }
        proc = subprocess.Popen(  # noqa: ASYNC220 - a child that outlives this loop's turn
            [sys.executable, "-m", "services.cli", "extract", "--workers", str(workers)],
            env=env,
            cwd=REPO,
        )
        consumer = AIOKafkaConsumer(
            ITEMS_ENRICHED.name,
            bootstrap_servers=broker.bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        stamps: list[int] = []
        try:
            while len(stamps) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    stamps.extend(r.timestamp for r in records)
                    assert all(ENRICHED_ITEM_CODEC.decode(r.value) for r in records)
                if proc.poll() is not None:
                    raise RuntimeError("extract exited early")
        finally:
            await consumer.stop()
            proc.terminate()
            proc.wait(30)
        return (max(stamps) - min(stamps)) / 1000, len(stamps)


def workers(count: int) -> None:
    rows = []
    base = None
    for n in (1, 2):
        seconds, seen = asyncio.run(_run_workers(n, count))
        rate = seen / seconds
        base = base or rate
        rows.append((f"`wirewatch extract --workers {n}`", f"{rate:.0f}", f"{rate / base:.2f}x"))
    print(
        f"\n{count} items through the embedded broker (6 partitions), "
        f"first to last enriched record, {os.cpu_count()} cores\n"
    )
    print(table(rows, ("run", "docs/s", "vs 1 worker")))


def memory(count: int) -> None:
    from services.extract.analyze import Analyzer

    analyzer = Analyzer(batch_size=BATCH)
    items = _raw_items(min(count, 7600))
    samples: list[tuple[int, float]] = []
    done = 0
    started = time.perf_counter()
    while done < count:
        for start in range(0, len(items), 512):
            chunk = items[start : start + 512][: count - done]
            if not chunk:
                break
            analyzer.analyse(chunk)
            done += len(chunk)
            if done % 2_000 < 512 or done >= count:
                samples.append((done, rss_mb()))
                if done % 10_000 < 512 or done >= count:
                    print(f"  {done:>7} docs  RSS {samples[-1][1]:7.1f} MiB", flush=True)
            if done >= count:
                break
    # RSS moves up and down by tens of MiB as the allocator keeps and returns arenas, so the
    # end minus one point after warm-up depends on where each falls. A leak raises the peaks:
    # growth is the highest RSS of the last quarter of the run against that of the first
    # quarter after warm-up.
    warm_at = min(10_000, count // 2)
    after = [(n, mb) for n, mb in samples if n >= warm_at]
    span = max(count - warm_at, 1)
    first = [mb for n, mb in after if n <= warm_at + span / 4] or [after[0][1]]
    last = [mb for n, mb in after if n >= count - span / 4] or [after[-1][1]]
    low, high = min(mb for _, mb in after), max(mb for _, mb in after)
    print(
        f"\n{count} documents in {time.perf_counter() - started:.0f} s; after warm-up "
        f"(~{warm_at // 1000}k docs) RSS moved between {low:.1f} and {high:.1f} MiB; peak of "
        f"the first quarter {max(first):.1f} MiB, of the last {max(last):.1f} MiB: growth "
        f"{max(last) - max(first):+.1f} MiB (end minus warm-up point: "
        f"{samples[-1][1] - after[0][1]:+.1f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="documents for throughput")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", action="store_true", help="measure worker scaling")
    parser.add_argument("--worker-count", type=int, default=4000)
    parser.add_argument("--memory", type=int, metavar="N", help="measure RSS over N documents")
    args = parser.parse_args()
    if args.memory:
        memory(args.memory)
    elif args.workers:
        workers(args.worker_count)
    else:
        throughput(args.count, args.rounds)


if __name__ == "__main__":
    main()
