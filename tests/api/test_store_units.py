"""Store parts that need no database: cursors, URL checks, enum names, response models."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from proto import ClaimStatus, FeedState, LocationRelation, Movement, Polarity
from services.api import models
from services.api.store import InvalidCursor, decode_cursor, encode_cursor
from services.api.store import cursor as cursor_module
from services.api.store.cursor import Position, merge_newest
from services.api.store.engine import parse_url
from services.api.store.queries import search_terms
from services.api.store.rows import enum_name


@pytest.mark.parametrize(
    "published_at",
    [
        pytest.param(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), id="utc"),
        pytest.param(datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC), id="microseconds"),
        pytest.param(datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=1))), id="offset"),
    ],
)
def test_claims_cursor_round_trips_the_position(published_at: datetime) -> None:
    position = Position(published_at=published_at, row_id="claim/ü 1")
    assert decode_cursor("claims", encode_cursor("claims", position)) == position


@pytest.mark.parametrize("key", [0, 1, -(2**63), 2**63 - 1, 1_790_000_000_000 << 20])
def test_items_cursor_round_trips_the_listing_key(key: int) -> None:
    assert decode_cursor("items", encode_cursor("items", key)) == key


@pytest.mark.parametrize("key", [2**63, -(2**63) - 1, True, "12"])
def test_items_cursor_refuses_what_is_not_a_listing_key(key: object) -> None:
    with pytest.raises(ValueError, match="not a position"):
        encode_cursor("items", key)  # type: ignore[call-overload]


def _forged(content: dict[str, object]) -> str:
    """A cursor with a valid checksum around ``content``: what an earlier release issued."""
    payload = json.dumps(content, separators=(",", ":"), sort_keys=True).encode()
    checksum = cursor_module._checksum(payload)
    return f"{cursor_module._b64encode(payload)}.{cursor_module._b64encode(checksum)}"


def test_an_items_cursor_from_before_listing_keys_asks_to_start_again() -> None:
    old = _forged({"v": 1, "k": "items", "t": "2026-01-01T00:00:00+00:00", "i": "item-1"})
    with pytest.raises(InvalidCursor, match="earlier version"):
        decode_cursor("items", old)


@pytest.mark.parametrize("row_id", ["12", 1.5, True, None, 2**63])
def test_an_items_cursor_whose_key_is_not_an_integer_is_malformed(row_id: object) -> None:
    with pytest.raises(InvalidCursor, match="malformed"):
        decode_cursor("items", _forged({"v": 2, "k": "items", "i": row_id}))


def test_cursor_is_url_safe_text() -> None:
    cursor = encode_cursor("claims", Position(datetime(2026, 1, 1, tzinfo=UTC), "c?&=/+"))
    assert all(ch.isalnum() or ch in "-_." for ch in cursor)


def test_cursor_refuses_naive_timestamps() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_cursor("claims", Position(datetime(2026, 1, 1), "x"))


def test_cursor_kind_mismatch_is_an_invalid_cursor() -> None:
    cursor = encode_cursor("items", 42)
    with pytest.raises(InvalidCursor, match="'items' listing"):
        decode_cursor("claims", cursor)
    claims_cursor = encode_cursor("claims", Position(datetime(2026, 1, 1, tzinfo=UTC), "x"))
    with pytest.raises(InvalidCursor, match="'claims' listing"):
        decode_cursor("items", claims_cursor)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("sqlite+aiosqlite:///store.db", id="sqlite-relative"),
        pytest.param("sqlite+aiosqlite:////var/lib/wirewatch/store.db", id="sqlite-absolute"),
        pytest.param("postgresql+asyncpg://u:p@db:5432/wirewatch", id="postgres"),
    ],
)
def test_supported_urls_parse(url: str) -> None:
    assert parse_url(url).drivername in {"sqlite+aiosqlite", "postgresql+asyncpg"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("sqlite:///store.db", "unsupported", id="sync-sqlite"),
        pytest.param("postgresql://db/wirewatch", "unsupported", id="sync-postgres"),
        pytest.param("mysql+aiomysql://db/x", "unsupported", id="mysql"),
        pytest.param("sqlite+aiosqlite://", "file-backed", id="sqlite-memory-implicit"),
        pytest.param("sqlite+aiosqlite:///:memory:", "file-backed", id="sqlite-memory"),
        pytest.param("not a url", "not a database URL", id="garbage"),
    ],
)
def test_unsupported_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_url(url)


@pytest.mark.parametrize(
    ("enum", "prefix", "literal"),
    [
        pytest.param(Movement, "MOVEMENT_", models.MovementName, id="movement"),
        pytest.param(Polarity, "POLARITY_", models.PolarityName, id="polarity"),
        pytest.param(ClaimStatus, "CLAIM_STATUS_", models.ClaimStatusName, id="status"),
        pytest.param(
            LocationRelation, "LOCATION_RELATION_", models.LocationRelationName, id="relation"
        ),
        pytest.param(FeedState, "FEED_STATE_", models.FeedStateName, id="feed-state"),
    ],
)
def test_api_enum_names_cover_the_proto_enum(
    enum: typing.Any, prefix: str, literal: object
) -> None:
    """A value added to the .proto must be added to the API's names too."""
    names = {enum_name(enum, number, prefix) for number in enum.values()}
    assert names == set(typing.get_args(literal))


def test_enum_numbers_unknown_to_the_code_read_as_unspecified() -> None:
    assert enum_name(Movement, 99, "MOVEMENT_") == "unspecified"


@pytest.mark.parametrize(
    ("q", "terms"),
    [
        pytest.param("troops border", ["troops", "border"], id="words"),
        pytest.param('"troops" OR -(x*', ["troops", "OR", "x"], id="operators-dropped"),
        pytest.param("Київ війська", ["Київ", "війська"], id="non-ascii"),
        pytest.param("!!!", [], id="punctuation-only"),
    ],
)
def test_search_terms_keep_only_words(q: str, terms: list[str]) -> None:
    assert search_terms(q) == terms


RESPONSE_MODELS: list[type[BaseModel]] = [
    models.ItemSummary,
    models.ItemDetail,
    models.ClaimOut,
    models.EntityOut,
    models.FeedOut,
    models.MentionOut,
    models.LocationOut,
    models.SizeOut,
    models.Page[models.ItemSummary],
]


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=lambda m: m.__name__)
def test_response_models_document_every_field_and_validate_their_example(
    model: type[BaseModel],
) -> None:
    schema = model.model_json_schema()
    undocumented = [
        name for name, prop in schema["properties"].items() if not prop.get("description")
    ]
    assert undocumented == []
    [example] = schema["examples"]
    model.model_validate(example)  # the example OpenAPI shows is a valid response


def test_merge_newest_orders_by_time_then_id_and_drops_repeats() -> None:
    keys = ("claim_id", "published_at")
    half_a = [("c-9", "2026-01-01T00:00:30Z"), ("c-1", "2026-01-01T00:00:10Z")]
    half_b = [
        ("c-5", "2026-01-01T00:00:30.250000Z"),  # after :30 although "." sorts before "Z"
        ("c-9", "2026-01-01T00:00:30Z"),
        ("c-2", "2026-01-01T00:00:10Z"),
    ]
    merged_keys, rows = merge_newest([(keys, half_a), (keys, half_b)], 3)
    assert merged_keys == keys
    assert [r[0] for r in rows] == ["c-5", "c-9", "c-2"]
    _, everything = merge_newest([(keys, half_a), (keys, half_b)], 10)
    assert [r[0] for r in everything] == ["c-5", "c-9", "c-2", "c-1"]
