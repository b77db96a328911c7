"""The broker's front door: ApiVersions answers lose their default-valued tagged fields, so
librdkafka before 2.2 reads them; anything else, or anything unexpected, passes unchanged."""

from __future__ import annotations

import asyncio
import struct

import pytest

from services.broker import EmbeddedBroker
from services.broker_front import trim_api_versions

# What Tansu 0.6.0 sends after throttle_time_ms: 4 tagged fields, all at their default.
TANSU_TAGS = bytes.fromhex(
    "04"  # four fields:
    "000101"  # SupportedFeatures, 1 byte: []
    "0108ffffffffffffffff"  # FinalizedFeaturesEpoch, 8 bytes: -1
    "020101"  # FinalizedFeatures, 1 byte: []
    "030100"  # ZkMigrationReady, 1 byte: false
)


def _response(tags: bytes, *, error: int = 0, correlation_id: int = 7) -> bytes:
    """An ApiVersions v3 response body: Produce 0-11 and Fetch 0-12, then ``tags``."""
    entries = [(0, 0, 11), (1, 0, 12)]
    body = struct.pack(">ih", correlation_id, error) + bytes([len(entries) + 1])
    for key, low, high in entries:
        body += struct.pack(">hhh", key, low, high) + b"\x00"
    return body + struct.pack(">i", 0) + tags


def _read_uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _librdkafka_2_0_tags_end(body: bytes, pos: int) -> int:
    """Where librdkafka 2.0's tag skipping ends (it skips one byte fewer than each field's
    size; fixed in 2.2); raises IndexError where it would report a read underflow."""
    count, pos = _read_uvarint(body, pos)
    for _ in range(count):
        _, pos = _read_uvarint(body, pos)
        size, pos = _read_uvarint(body, pos)
        if size > 1:
            pos += size - 1
        if pos > len(body):
            raise IndexError(f"wants {size} bytes at {pos}")
    return pos


TAGS_AT = len(_response(b""))


def test_tansus_defaults_are_dropped_and_old_librdkafka_reads_the_answer() -> None:
    original = _response(TANSU_TAGS)
    with pytest.raises(IndexError):
        _librdkafka_2_0_tags_end(original, TAGS_AT)
    trimmed = trim_api_versions(original)
    assert trimmed == _response(b"\x00")
    assert _librdkafka_2_0_tags_end(trimmed, TAGS_AT) == len(trimmed)


def test_a_tagged_field_off_its_default_is_kept() -> None:
    epoch_7 = b"\x01\x08" + struct.pack(">q", 7)
    tags = b"\x03" + b"\x00\x01\x01" + epoch_7 + b"\x03\x01\x01"  # ZkMigrationReady=true
    assert trim_api_versions(_response(tags)) == _response(b"\x02" + epoch_7 + b"\x03\x01\x01")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_response(TANSU_TAGS, error=35), id="error-answer"),
        pytest.param(_response(TANSU_TAGS)[:-3], id="truncated"),
        pytest.param(_response(TANSU_TAGS) + b"\x00", id="trailing-bytes"),
        pytest.param(_response(b"\x00"), id="no-tags"),
        pytest.param(b"\x00\x00\x00\x07\x00", id="too-short"),
    ],
)
def test_anything_else_passes_unchanged(body: bytes) -> None:
    assert trim_api_versions(body) == body


@pytest.mark.integration
async def test_the_embedded_broker_answers_apiversions_v3_without_default_tags(
    broker: EmbeddedBroker,
) -> None:
    """A raw ApiVersions v3 request to the advertised port: Tansu's list of APIs, no tags."""
    client_id = b"front-test"
    software = b"\x06wwtst\x041.0"  # compact strings (length + 1): name, version
    header = struct.pack(">hhih", 18, 3, 42, len(client_id)) + client_id + b"\x00"
    request = header + software + b"\x00"
    reader, writer = await asyncio.open_connection(broker.host, broker.port)
    try:
        writer.write(struct.pack(">i", len(request)) + request)
        await writer.drain()
        (size,) = struct.unpack(">i", await asyncio.wait_for(reader.readexactly(4), 5))
        body = await asyncio.wait_for(reader.readexactly(size), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    assert body[:6] == struct.pack(">ih", 42, 0)
    entries, pos = _read_uvarint(body, 6)
    keys = {struct.unpack_from(">h", body, pos + 7 * i)[0] for i in range(entries - 1)}
    assert {0, 1, 3, 18} <= keys  # Produce, Fetch, Metadata, ApiVersions
    assert body[pos + 7 * (entries - 1) + 4 :] == b"\x00"
