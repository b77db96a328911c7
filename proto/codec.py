"""Serialisation at the edge: one codec per topic, typed errors on bad bytes.

Producers call ``encode``; consumers call ``decode`` and get either the typed
message or a ``DeserializationError`` that names the topic, so a poison message
can be routed to a dead-letter topic instead of stalling its partition.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError, Message

from proto.topics import (
    ALERTS,
    FEEDS_STATUS,
    FEEDS_STATUS_DLQ,
    ITEMS_ENRICHED,
    ITEMS_ENRICHED_DLQ,
    ITEMS_RAW,
    ITEMS_RAW_DLQ,
    TopicSpec,
)
from proto.wirewatch.v1.wirewatch_pb2 import Alert, EnrichedItem, FeedStatus, RawItem

__all__ = [
    "ALERT_CODEC",
    "CODECS",
    "ENRICHED_ITEM_CODEC",
    "FEED_STATUS_CODEC",
    "RAW_ITEM_CODEC",
    "Codec",
    "DeserializationError",
    "codec_for",
    "to_json_dict",
]

M = TypeVar("M", bound=Message)


class DeserializationError(ValueError):
    """Raised when a record's bytes are not a valid message of its topic's type."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"cannot decode a record of topic {topic!r}: {reason}")
        self.topic = topic
        self.reason = reason


class Codec(Generic[M]):
    """Encodes and decodes one topic's messages; keys are UTF-8 stable ids."""

    def __init__(self, spec: TopicSpec, message_type: type[M]) -> None:
        self.spec = spec
        self.message_type = message_type

    @property
    def topic(self) -> str:
        return self.spec.name

    def encode(self, message: M) -> bytes:
        return message.SerializeToString(deterministic=True)

    def decode(self, data: bytes | None) -> M:
        if data is None:
            raise DeserializationError(self.topic, "empty value (tombstone)")
        message = self.message_type()
        try:
            message.ParseFromString(data)
        except (DecodeError, RuntimeError) as exc:
            raise DeserializationError(self.topic, str(exc) or type(exc).__name__) from exc
        return message

    @staticmethod
    def encode_key(key: str) -> bytes:
        return key.encode("utf-8")

    @staticmethod
    def decode_key(key: bytes | None) -> str:
        return "" if key is None else key.decode("utf-8", errors="replace")


RAW_ITEM_CODEC: Codec[RawItem] = Codec(ITEMS_RAW, RawItem)
ENRICHED_ITEM_CODEC: Codec[EnrichedItem] = Codec(ITEMS_ENRICHED, EnrichedItem)
ALERT_CODEC: Codec[Alert] = Codec(ALERTS, Alert)
FEED_STATUS_CODEC: Codec[FeedStatus] = Codec(FEEDS_STATUS, FeedStatus)

CODECS: dict[str, Codec[Any]] = {
    ITEMS_RAW.name: RAW_ITEM_CODEC,
    ITEMS_ENRICHED.name: ENRICHED_ITEM_CODEC,
    ALERTS.name: ALERT_CODEC,
    FEEDS_STATUS.name: FEED_STATUS_CODEC,
    ITEMS_RAW_DLQ.name: Codec(ITEMS_RAW_DLQ, RawItem),
    ITEMS_ENRICHED_DLQ.name: Codec(ITEMS_ENRICHED_DLQ, EnrichedItem),
    FEEDS_STATUS_DLQ.name: Codec(FEEDS_STATUS_DLQ, FeedStatus),
}


def codec_for(topic: str) -> Codec[Any]:
    """Return the codec of a wirewatch topic; ``KeyError`` names the known topics."""
    try:
        return CODECS[topic]
    except KeyError:
        known = ", ".join(sorted(CODECS))
        raise KeyError(f"unknown topic {topic!r}; wirewatch topics are: {known}") from None


def to_json_dict(message: Message) -> dict[str, object]:
    """A message as a JSON-ready dict with proto field names and enum names."""
    return MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=False,
    )
