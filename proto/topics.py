"""Topic names, defined once, and what each topic carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ALERTS",
    "ALL_TOPICS",
    "FEEDS_STATUS",
    "FEEDS_STATUS_DLQ",
    "ITEMS_ENRICHED",
    "ITEMS_ENRICHED_DLQ",
    "ITEMS_RAW",
    "ITEMS_RAW_DLQ",
    "TopicSpec",
    "dead_letter_topic",
]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic wirewatch owns: its name, message type, key and retention policy."""

    name: str
    message: str
    key: str
    compacted: bool = False
    description: str = ""


ITEMS_RAW: Final = TopicSpec(
    "items.raw", "RawItem", "item_id", description="feed entries as ingest saw them"
)
ITEMS_ENRICHED: Final = TopicSpec(
    "items.enriched",
    "EnrichedItem",
    "item_id",
    description="items with entities and troop-movement claims",
)
ALERTS: Final = TopicSpec("alerts", "Alert", "cluster_id", description="claim alerts")
FEEDS_STATUS: Final = TopicSpec(
    "feeds.status",
    "FeedStatus",
    "feed_url",
    compacted=True,
    description="each feed's health after its latest poll",
)
ITEMS_RAW_DLQ: Final = TopicSpec(
    "items.raw.dlq",
    "RawItem",
    "item_id",
    description="raw messages extract could not process; error in headers",
)
ITEMS_ENRICHED_DLQ: Final = TopicSpec(
    "items.enriched.dlq",
    "EnrichedItem",
    "item_id",
    description="enriched messages the api could not store; error in headers",
)

FEEDS_STATUS_DLQ: Final = TopicSpec(
    "feeds.status.dlq",
    "FeedStatus",
    "feed_url",
    description="feed-status messages the api could not store; error in headers",
)

ALL_TOPICS: Final[tuple[TopicSpec, ...]] = (
    ITEMS_RAW,
    ITEMS_ENRICHED,
    ALERTS,
    FEEDS_STATUS,
    ITEMS_RAW_DLQ,
    ITEMS_ENRICHED_DLQ,
    FEEDS_STATUS_DLQ,
)


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of a wirewatch topic: its name + ``.dlq``."""
    return f"{topic}.dlq"
