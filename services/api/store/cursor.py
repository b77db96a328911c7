"""Opaque keyset-pagination cursors: the position after the last row of a page.

A cursor carries the sort key of the last row served and the listing it belongs to, so a
cursor from ``/v1/items`` cannot be replayed against ``/v1/claims``: for items the listing
key (``items.id``, see ``sortkey``), for claims ``(published_at, claim_id)``. It is URL-safe
base64 of a small JSON object plus a checksum: any edited, truncated or foreign cursor fails
with ``InvalidCursor`` (which the HTTP layer answers with 422). The checksum catches
corruption and casual edits; it is not a secret, as a forged cursor can only move a client's
own position in a public listing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, overload

from services.api.store.errors import InvalidCursor

__all__ = [
    "CursorKind",
    "Position",
    "cut_page",
    "decode_cursor",
    "encode_cursor",
    "merge_newest",
]

CursorKind = Literal["items", "claims"]
# Items cursors carry the listing key since version 2; version 1 carried (time, item_id).
_VERSION: dict[CursorKind, int] = {"items": 2, "claims": 1}
_MAX_LENGTH = 512
_DIGEST_BYTES = 8
_CHECKSUM_KEY = b"wirewatch.cursor.v1"
_INT64 = range(-(2**63), 2**63)


@dataclass(frozen=True, slots=True)
class Position:
    """The sort key of the last claim on a page: claims strictly after it come next."""

    published_at: datetime
    row_id: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, key=_CHECKSUM_KEY, digest_size=_DIGEST_BYTES).digest()


@overload
def encode_cursor(kind: Literal["items"], position: int) -> str: ...
@overload
def encode_cursor(kind: Literal["claims"], position: Position) -> str: ...
def encode_cursor(kind: CursorKind, position: Position | int) -> str:
    """Return the cursor for ``position`` (an item's listing key, or a claim's ``Position``)
    in listing ``kind``; ``decode_cursor`` inverts it."""
    content: dict[str, Any] = {"v": _VERSION[kind], "k": kind}
    if kind == "items" and type(position) is int and position in _INT64:
        content["i"] = position
    elif kind == "claims" and isinstance(position, Position):
        if position.published_at.tzinfo is None:
            raise ValueError("cursor timestamps must be timezone-aware")
        content.update(t=position.published_at.isoformat(), i=position.row_id)
    else:
        raise ValueError(f"{position!r} is not a position in the {kind} listing")
    payload = json.dumps(content, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64encode(payload)}.{_b64encode(_checksum(payload))}"


@overload
def decode_cursor(kind: Literal["items"], cursor: str) -> int: ...
@overload
def decode_cursor(kind: Literal["claims"], cursor: str) -> Position: ...
def decode_cursor(kind: CursorKind, cursor: str) -> Position | int:
    """Return the position ``cursor`` encodes: an item's listing key for ``"items"``, a
    ``Position`` for ``"claims"``.

    Raises ``InvalidCursor`` when the cursor is too long, not ours, altered in any byte,
    issued for a different listing than ``kind``, or by an earlier version of the listing.
    """
    if len(cursor) > _MAX_LENGTH:
        raise InvalidCursor("cursor is too long")
    body, dot, mac = cursor.partition(".")
    if not dot:
        raise InvalidCursor("cursor is malformed")
    try:
        payload, digest = _b64decode(body), _b64decode(mac)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("cursor is not valid base64") from exc
    if not hmac.compare_digest(digest, _checksum(payload)):
        raise InvalidCursor("cursor checksum mismatch: it was altered or is not from this API")
    try:
        data = json.loads(payload)
        version, cursor_kind, row_id = data["v"], data["k"], data["i"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidCursor("cursor content is malformed") from exc
    if cursor_kind != kind:
        raise InvalidCursor(f"cursor belongs to the {cursor_kind!r} listing, not {kind!r}")
    if isinstance(version, int) and version < _VERSION[kind]:
        raise InvalidCursor(
            "cursor was issued by an earlier version of this listing: start again from the "
            "first page"
        )
    if version != _VERSION[kind]:
        raise InvalidCursor("cursor content is malformed")
    if kind == "items":
        if type(row_id) is not int or row_id not in _INT64:
            raise InvalidCursor("cursor content is malformed")
        return row_id
    try:
        published_at = datetime.fromisoformat(data["t"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidCursor("cursor content is malformed") from exc
    if not isinstance(row_id, str) or published_at.tzinfo is None:
        raise InvalidCursor("cursor content is malformed")
    return Position(published_at=published_at, row_id=row_id)


def cut_page(
    kind: CursorKind, keys: Sequence[str], rows: Sequence[Sequence[Any]], size: int
) -> tuple[Sequence[Sequence[Any]], str | None]:
    """Return the first ``size`` of ``rows`` (fetched as ``size + 1``, cells named by
    ``keys``) and the cursor after the last of them, or None when no row follows. A claim's
    published_at cell may be an aware datetime, its RFC 3339 text or SQLite's stored UTC
    text."""
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    if kind == "items":
        return rows[:size], encode_cursor("items", last[keys.index("id")])
    published_at = last[keys.index("published_at")]
    if isinstance(published_at, str):  # RFC 3339, or SQLite's stored UTC text (no offset)
        published_at = datetime.fromisoformat(published_at)
        if published_at.tzinfo is None:
            published_at = published_at.replace(tzinfo=UTC)
    position = Position(published_at=published_at, row_id=last[keys.index("claim_id")])
    return rows[:size], encode_cursor("claims", position)


def _time_key(value: datetime | str) -> datetime | str:
    # SQLite's stored text ("... 08:00:30.250000") sorts by time as it is; RFC 3339 text
    # ("...:30Z", "...:30.250000Z") once every value has its six fraction digits.
    if isinstance(value, str) and value[19] != ".":
        return f"{value[:19]}.000000Z"
    return value


def merge_newest(
    results: Sequence[tuple[Sequence[str], Sequence[Sequence[Any]]]], size: int
) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    """Return the newest ``size`` distinct claims of ``results`` (each ``(keys, rows)`` with
    the same keys and its rows newest first), newest first: the claims listing's order,
    ``(published_at, claim_id)`` descending. A claim in several results is kept once."""
    keys = results[0][0]
    t, i = keys.index("published_at"), keys.index("claim_id")
    seen: set[Any] = set()
    merged: list[Sequence[Any]] = []
    everything = [row for _, rows in results for row in rows]
    for row in sorted(everything, key=lambda r: (_time_key(r[t]), r[i]), reverse=True):
        if row[i] not in seen:
            seen.add(row[i])
            merged.append(row)
            if len(merged) == size:
                break
    return keys, merged
