"""Full-text stage of ingest, opt-in per feed (``full_text: true``): article page → main text.

It consumes the new RawItems of a poll and emits them with ``text`` replaced by the main text
of the linked article, extracted by trafilatura, when that is longer than what the feed gave.
Pages are fetched with the feed's own :class:`~services.ingest.fetch.Fetcher`, so the SSRF
guard, the body cap and the timeouts hold for them too; a bounded number are fetched at once.
Any failure keeps the feed's text and is counted; it never fails the poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import trafilatura

from proto import RawItem
from services.ingest.errors import IngestError
from services.ingest.fetch import Fetcher
from services.ingest.metrics import IngestMetrics
from services.logs import get_logger

__all__ = ["FullText", "extract_main_text"]

log = get_logger("ingest")

# Outcomes counted in wirewatch_ingest_full_text_total.
USED, SHORTER, NO_LINK, FETCH_ERROR, NOT_HTML, NO_TEXT = (
    "used",
    "shorter",
    "no_link",
    "fetch_error",
    "not_html",
    "no_text",
)


def extract_main_text(page: bytes, url: str | None = None) -> str | None:
    """The main text of an HTML page (navigation, boilerplate and comments dropped), or None.

    Synchronous and CPU-bound; never raises for bad input.
    """
    try:
        text = trafilatura.extract(page, url=url, include_comments=False, include_tables=False)
    except Exception:  # trafilatura on hostile markup: a bad page is a fallback, not a crash
        return None
    return text.strip() if text and text.strip() else None


class FullText:
    """Replaces feed text by article text for the items of ``full_text`` feeds."""

    def __init__(self, fetcher: Fetcher, metrics: IngestMetrics, *, concurrency: int = 4) -> None:
        self._fetcher = fetcher
        self._metrics = metrics
        self._slots = asyncio.Semaphore(concurrency)

    async def apply(self, items: Sequence[RawItem]) -> list[RawItem]:
        """The same items, each with the article's text when it is longer than the feed's.

        At most ``concurrency`` pages are fetched and extracted at once across every feed.
        """
        return list(await asyncio.gather(*(self._one(item) for item in items)))

    async def _one(self, item: RawItem) -> RawItem:
        outcome, text = await self._article_text(item)
        self._metrics.full_text.labels(outcome).inc()
        if outcome != USED or text is None:
            return item
        enriched = RawItem()
        enriched.CopyFrom(item)
        enriched.text = text
        return enriched

    async def _article_text(self, item: RawItem) -> tuple[str, str | None]:
        if not item.url:
            return NO_LINK, None
        async with self._slots:
            try:
                result = await self._fetcher.fetch(item.url)
            except IngestError as exc:
                log.info(
                    "article not fetched; keeping the feed text",
                    feed_url=item.feed_url,
                    item_id=item.item_id,
                    error=type(exc).__name__,
                )
                return FETCH_ERROR, None
            mime = (result.content_type or "").split(";", 1)[0].strip().lower()
            if mime not in ("text/html", "application/xhtml+xml", ""):
                return NOT_HTML, None
            text = await asyncio.to_thread(extract_main_text, result.body, result.url)
        if text is None:
            return NO_TEXT, None
        if len(text) <= len(item.text):
            return SHORTER, None
        return USED, text
