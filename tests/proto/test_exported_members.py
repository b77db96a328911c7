"""``proto`` exports exactly its public names, and every topic has a working codec."""

from __future__ import annotations

import pytest

import proto
from proto import ALL_TOPICS, CODECS, DeserializationError, RawItem, codec_for


def test_all_names_are_exported_and_exist() -> None:
    public = {name for name in dir(proto) if not name.startswith("_")}
    modules = {"codec", "topics", "wirewatch"}
    assert set(proto.__all__) == public - modules


def test_topic_names_are_defined_once_and_unique() -> None:
    names = [spec.name for spec in ALL_TOPICS]
    assert len(names) == len(set(names))
    assert set(names) == set(CODECS)


@pytest.mark.parametrize("spec", ALL_TOPICS, ids=[s.name for s in ALL_TOPICS])
def test_codec_round_trips_an_empty_message(spec: proto.TopicSpec) -> None:
    codec = codec_for(spec.name)
    message = codec.message_type()
    assert codec.decode(codec.encode(message)) == message
    assert type(message).__name__ == spec.message


def test_codec_round_trips_a_raw_item() -> None:
    codec = codec_for("items.raw")
    item = RawItem(item_id="abc", version=2, title="Troops cross border", authors=["A", "B"])
    assert codec.decode(codec.encode(item)) == item


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xff\xff", b"\x0a\x05ab", None],
    ids=["garbage", "truncated-field", "tombstone"],
)
def test_bad_bytes_raise_a_typed_error_naming_the_topic(payload: bytes | None) -> None:
    with pytest.raises(DeserializationError, match=r"items\.raw"):
        codec_for("items.raw").decode(payload)


def test_unknown_topic_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"items\.raw"):
        codec_for("nope")
