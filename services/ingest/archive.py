"""The archive of produced RawItems, and replay from it.

Every RawItem the broker acknowledged is kept (bounded retention) in a SQLite file under
the data dir. ``wirewatch replay`` republishes a slice of it into ``items.raw`` — to re-run
a new extractor over past items, or to refill the embedded broker, which keeps nothing
across restarts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TextIO

from aiokafka import AIOKafkaProducer

from proto import ITEMS_RAW, RAW_ITEM_CODEC, RawItem
from services.ingest.localdb import LocalDb

__all__ = ["Archive", "replay"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS archive (
    item_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    feed_url     TEXT NOT NULL,
    published_at REAL NOT NULL,
    produced_at  REAL NOT NULL,
    payload      BLOB NOT NULL,
    PRIMARY KEY (item_id, version)
);
CREATE INDEX IF NOT EXISTS archive_published ON archive(published_at);
CREATE INDEX IF NOT EXISTS archive_produced ON archive(produced_at);
"""


class Archive(LocalDb):
    """The archive file, as an async context manager with an idempotent close."""

    SCHEMA = _SCHEMA
    NAME = "archive"

    async def add(
        self, items: Sequence[RawItem], *, payloads: Sequence[bytes] | None = None
    ) -> None:
        """Keep acknowledged items; storing the same item version twice is a no-op.

        ``payloads``, when given, are the items' encoded bytes (as produced), in the same order.
        """
        if payloads is None:
            payloads = [RAW_ITEM_CODEC.encode(item) for item in items]
        now = time.time()
        await self._write(
            "INSERT OR IGNORE INTO archive"
            " (item_id, version, feed_url, published_at, produced_at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    item.item_id,
                    item.version,
                    item.feed_url,
                    item.published_at.ToMicroseconds() / 1e6,
                    now,
                    payload,
                )
                for item, payload in zip(items, payloads, strict=True)
            ],
            many=True,
        )

    async def prune(self, retention_s: float) -> int:
        """Drop items produced longer ago than ``retention_s``; returns how many."""
        return await self._write(
            "DELETE FROM archive WHERE produced_at < ?", (time.time() - retention_s,)
        )

    def _where(self, since: datetime, feed: str | None) -> tuple[str, list[object]]:
        clause = "published_at >= ?"
        params: list[object] = [since.timestamp()]
        if feed:
            clause += " AND feed_url = ?"
            params.append(feed)
        return clause, params

    async def count(self, *, since: datetime, feed: str | None = None) -> int:
        clause, params = self._where(since, feed)
        async with self.db.execute(f"SELECT COUNT(*) FROM archive WHERE {clause}", params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def iterate(self, *, since: datetime, feed: str | None = None) -> AsyncIterator[RawItem]:
        """Archived items published at or after ``since``, oldest first."""
        clause, params = self._where(since, feed)
        async with self.db.execute(
            f"SELECT payload FROM archive WHERE {clause} ORDER BY published_at, item_id, version",
            params,
        ) as cursor:
            async for (payload,) in cursor:
                yield RAW_ITEM_CODEC.decode(payload)


async def replay(
    archive: Archive,
    producer: AIOKafkaProducer,
    *,
    since: datetime,
    feed: str | None = None,
    progress: TextIO = sys.stderr,
    batch: int = 500,
) -> int:
    """Republish archived items into ``items.raw``; prints progress; returns how many."""
    total = await archive.count(since=since, feed=feed)
    done = 0
    pending = []
    interactive = progress.isatty()
    last_report = 0.0

    def report(final: bool = False) -> None:
        percent = 100 * done // total if total else 100
        line = f"replayed {done}/{total} items ({percent}%)"
        progress.write(("\r" + line if interactive else line + "\n") if not final else "")
        if final:
            progress.write(("\r" if interactive else "") + line + "\n")
        progress.flush()

    async for item in archive.iterate(since=since, feed=feed):
        pending.append(
            await producer.send(
                ITEMS_RAW.name,
                key=RAW_ITEM_CODEC.encode_key(item.item_id),
                value=RAW_ITEM_CODEC.encode(item),
            )
        )
        if len(pending) >= batch:
            for future in pending:
                await future
            done += len(pending)
            pending.clear()
            if time.monotonic() - last_report > 0.5:
                report()
                last_report = time.monotonic()
    for future in pending:
        await future
    done += len(pending)
    report(final=True)
    return done
