"""Ingest's local state: seen item ids and each feed's conditional-GET validators.

A SQLite file under the data dir. An item is marked seen only after the broker acked
it, so a crash between produce and mark repeats the item but never loses it. The same
id with a changed content hash is emitted again as the next version — by the feed that
first produced it: ids from links are shared by every feed carrying the link, and two
feeds summarising one article differently must not take turns minting versions. Ids a
poll is publishing are claimed in memory until released, so two feeds polled at once
cannot both produce the same new item.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from services.ingest.localdb import LocalDb

__all__ = ["FeedValidators", "IngestState"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items_seen (
    item_id      TEXT PRIMARY KEY,
    feed_url     TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    version      INTEGER NOT NULL,
    first_seen   REAL NOT NULL,
    last_seen    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS items_seen_last ON items_seen(last_seen);
CREATE TABLE IF NOT EXISTS feed_validators (
    feed_url      TEXT PRIMARY KEY,
    current_url   TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    gone          INTEGER NOT NULL DEFAULT 0,
    updated_at    REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class FeedValidators:
    """What the next conditional GET of a feed sends, and where the feed lives now."""

    current_url: str
    etag: str | None = None
    last_modified: str | None = None
    gone: bool = False


class IngestState(LocalDb):
    """The SQLite state file, as an async context manager with an idempotent close."""

    SCHEMA = _SCHEMA
    NAME = "ingest state"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._claimed: set[str] = set()

    async def versions_to_emit(self, feed_url: str, candidates: dict[str, str]) -> dict[str, int]:
        """For ``{item_id: content_hash}`` of a poll of ``feed_url``, the items to produce.

        Maps each new item to version 1 and each changed item of this feed to its next
        version, and claims them: the caller must :meth:`release` them once published or
        failed. Items another poll has claimed are left out; that poll publishes them.
        """
        if not candidates:
            return {}
        known: dict[str, tuple[str, int, str]] = {}
        ids = [i for i in candidates if i not in self._claimed]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # execute_fetchall runs, fetches and drops its cursor in one hand-off to the
            # connection's thread; an async cursor costs three (execute, fetch, close).
            rows = await self.db.execute_fetchall(
                "SELECT item_id, content_hash, version, feed_url FROM items_seen"
                f" WHERE item_id IN ({marks})",
                chunk,
            )
            for item_id, content_hash, version, owner in rows:
                known[item_id] = (content_hash, version, owner)
        result: dict[str, int] = {}
        for item_id in ids:
            if item_id in self._claimed:  # claimed by another poll while we were reading
                continue
            seen = known.get(item_id)
            if seen is None:
                result[item_id] = 1
            elif seen[0] != candidates[item_id] and seen[2] == feed_url:
                result[item_id] = seen[1] + 1
        self._claimed.update(result)
        return result

    def release(self, item_ids: Iterable[str]) -> None:
        """Give up the claim on items returned by :meth:`versions_to_emit`."""
        self._claimed.difference_update(item_ids)

    async def mark_seen(self, feed_url: str, items: list[tuple[str, str, int]]) -> None:
        """Record ``(item_id, content_hash, version)`` as produced; call after the broker acked.

        The feed that first produced an item stays its owner.
        """
        now = time.time()
        await self._write(
            "INSERT INTO items_seen"
            " (item_id, feed_url, content_hash, version, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET"
            " content_hash=excluded.content_hash, version=excluded.version,"
            " last_seen=excluded.last_seen",
            [(i, feed_url, h, v, now, now) for i, h, v in items],
            many=True,
        )

    async def touch(self, item_ids: list[str]) -> None:
        """Keep still-published items from ageing out of retention."""
        if item_ids:
            now = time.time()
            await self._write(
                "UPDATE items_seen SET last_seen=? WHERE item_id=?",
                [(now, i) for i in item_ids],
                many=True,
            )

    async def prune(self, retention_s: float) -> int:
        """Forget items not seen in any feed for ``retention_s``; returns how many."""
        return await self._write(
            "DELETE FROM items_seen WHERE last_seen < ?", (time.time() - retention_s,)
        )

    async def validators(self, feed_url: str) -> FeedValidators:
        rows = await self.db.execute_fetchall(
            "SELECT current_url, etag, last_modified, gone FROM feed_validators WHERE feed_url=?",
            (feed_url,),
        )
        for current_url, etag, last_modified, gone in rows:
            return FeedValidators(current_url, etag, last_modified, bool(gone))
        return FeedValidators(current_url=feed_url)

    async def save_validators(self, feed_url: str, validators: FeedValidators) -> None:
        # Once per poll: the cursor is dropped on the connection's thread (see _write), and
        # this takes two hand-offs to it instead of three.
        await self.db.execute_fetchall(
            "INSERT INTO feed_validators (feed_url, current_url, etag, last_modified, gone,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(feed_url) DO UPDATE SET"
            " current_url=excluded.current_url, etag=excluded.etag,"
            " last_modified=excluded.last_modified, gone=excluded.gone,"
            " updated_at=excluded.updated_at",
            (
                feed_url,
                validators.current_url,
                validators.etag,
                validators.last_modified,
                int(validators.gone),
                time.time(),
            ),
        )
        await self.db.commit()
