"""The NLP stage: RawItem → EnrichedItem (entities + claims), in batches through ``nlp.pipe``.

CPU-bound and synchronous; the service runs it in a worker thread. Documents are made
inside a spaCy memory zone, so strings interned for a batch are freed after it and
memory stays flat over long runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from proto import EnrichedItem, RawItem
from services.extract.claims import ClaimExtractor
from services.extract.entities import entities_from_doc
from services.extract.gazetteer import Gazetteer
from services.extract.nlp import build_nlp

__all__ = ["EXTRACTOR_VERSION", "Analyzer", "ItemFailure", "analysed_text"]

EXTRACTOR_VERSION = "wirewatch-extract/0.1"


def analysed_text(item: RawItem, max_chars: int = 100_000) -> str:
    """Title, blank line, body: the text every span of the EnrichedItem points into."""
    title, body = item.title.strip(), item.text.strip()
    if body.startswith(title):
        title = ""
    text = f"{title}\n\n{body}" if title and body else (title or body)
    return text[:max_chars]


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """An item the NLP stage could not analyse."""

    index: int
    error: Exception


class Analyzer:
    """Holds the loaded pipeline; ``analyse`` is safe to call from one thread at a time."""

    def __init__(self, *, batch_size: int = 64, max_chars: int = 100_000) -> None:
        self.gazetteer = Gazetteer.default()
        self.nlp = build_nlp(gazetteer=self.gazetteer)
        self.claims = ClaimExtractor(self.gazetteer, nlp=self.nlp)
        self._batch_size = batch_size
        self._max_chars = max_chars

    def analyse(
        self, items: Sequence[RawItem]
    ) -> tuple[list[EnrichedItem | None], list[ItemFailure]]:
        """Enrich a batch; an item that fails is isolated and reported, the rest go on."""
        try:
            return list(self._analyse(items)), []
        except Exception:
            results: list[EnrichedItem | None] = []
            failures: list[ItemFailure] = []
            for index, item in enumerate(items):
                try:
                    results.extend(self._analyse([item]))
                except Exception as exc:
                    results.append(None)
                    failures.append(ItemFailure(index, exc))
            return results, failures

    def _analyse(self, items: Sequence[RawItem]) -> list[EnrichedItem | None]:
        texts = [analysed_text(item, self._max_chars) for item in items]
        now = datetime.now(UTC)
        out: list[EnrichedItem | None] = []
        with self.nlp.memory_zone():
            for item, text, doc in zip(
                items,
                texts,
                self.nlp.pipe(texts, batch_size=self._batch_size),
                strict=True,
            ):
                published = (
                    item.published_at.ToDatetime(tzinfo=UTC)
                    if item.HasField("published_at")
                    else None
                )
                enriched = EnrichedItem(
                    text=text,
                    entities=entities_from_doc(doc, self.gazetteer),
                    claims=self.claims.extract(doc, item_id=item.item_id, published_at=published),
                    extractor_version=EXTRACTOR_VERSION,
                )
                enriched.item.CopyFrom(item)
                enriched.extracted_at.FromDatetime(now)
                out.append(enriched)
        return out
