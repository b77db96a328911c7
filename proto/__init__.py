"""wirewatch's wire contract: generated protobuf classes, topic names and codecs.

Everything a consumer needs to read a wirewatch topic is exported here::

    from proto import ALERTS, Alert, codec_for
    alert = codec_for(ALERTS.name).decode(record.value)
"""

from proto.codec import (
    ALERT_CODEC,
    CODECS,
    ENRICHED_ITEM_CODEC,
    FEED_STATUS_CODEC,
    RAW_ITEM_CODEC,
    Codec,
    DeserializationError,
    codec_for,
    to_json_dict,
)
from proto.topics import (
    ALERTS,
    ALL_TOPICS,
    FEEDS_STATUS,
    FEEDS_STATUS_DLQ,
    ITEMS_ENRICHED,
    ITEMS_ENRICHED_DLQ,
    ITEMS_RAW,
    ITEMS_RAW_DLQ,
    TopicSpec,
    dead_letter_topic,
)
from proto.wirewatch.v1.wirewatch_pb2 import (
    Alert,
    AlertType,
    Claim,
    ClaimStatus,
    EnrichedItem,
    Entity,
    FeedState,
    FeedStatus,
    Location,
    LocationRelation,
    Mention,
    Movement,
    Polarity,
    RawItem,
    Size,
    Span,
)

__all__ = [
    "ALERTS",
    "ALERT_CODEC",
    "ALL_TOPICS",
    "CODECS",
    "ENRICHED_ITEM_CODEC",
    "FEEDS_STATUS",
    "FEEDS_STATUS_DLQ",
    "FEED_STATUS_CODEC",
    "ITEMS_ENRICHED",
    "ITEMS_ENRICHED_DLQ",
    "ITEMS_RAW",
    "ITEMS_RAW_DLQ",
    "RAW_ITEM_CODEC",
    "Alert",
    "AlertType",
    "Claim",
    "ClaimStatus",
    "Codec",
    "DeserializationError",
    "EnrichedItem",
    "Entity",
    "FeedState",
    "FeedStatus",
    "Location",
    "LocationRelation",
    "Mention",
    "Movement",
    "Polarity",
    "RawItem",
    "Size",
    "Span",
    "TopicSpec",
    "codec_for",
    "dead_letter_topic",
    "to_json_dict",
]
