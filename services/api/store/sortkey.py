"""Items' listing keys: one integer per item that sorts exactly like the items listing.

An item's key is ``items.id``: its publication millisecond times 2**20, plus its rank of
arrival among the items published in that same millisecond. Newest first is then simply
``id`` descending, for the listing, its keyset cursor, its ``since``/``until`` bounds, and for
full-text search too: the id is also the FTS5 rowid on SQLite, so a search reads its page off
the matching rowids, newest first, and stops after one page instead of ranking every hit.

Publication times are stored to the millisecond (``truncate``), so the key order and the
``published_at`` order agree. Keys cover publication times between 1900 and 2248
(``MIN_MS``..``MAX_MS``); an item published outside that span keys as its edge, which orders
it among the other outliers by arrival and leaves the rest exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = [
    "MAX_MS",
    "MIN_MS",
    "TIE_BITS",
    "bucket",
    "ceil_ms",
    "floor_ms",
    "key_before",
    "key_from",
    "listing_key",
    "truncate",
]

TIE_BITS = 20
_TIES = 1 << TIE_BITS
# Every key fits a signed 64-bit integer; keys stay above -2**61 so that a migration can park
# old ids below that while it renumbers (see migration 0005).
MAX_MS = (1 << (63 - TIE_BITS)) - 2
MIN_MS = -(1 << (61 - TIE_BITS))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def floor_ms(ts: datetime) -> int:
    """Milliseconds since the epoch of the aware ``ts``, rounded down."""
    return (ts - _EPOCH) // _MS


def ceil_ms(ts: datetime) -> int:
    """Milliseconds since the epoch of the aware ``ts``, rounded up."""
    return -((_EPOCH - ts) // _MS)


def truncate(ts: datetime) -> datetime:
    """``ts`` to the millisecond (rounded down): how the store keeps publication times."""
    return ts - timedelta(microseconds=ts.microsecond % 1000)


def _clamped(ms: int) -> int:
    return min(max(ms, MIN_MS), MAX_MS)


def listing_key(ms: int, tie: int) -> int:
    """The key of the ``tie``-th item (from 0) to arrive that was published at ``ms``."""
    if not 0 <= tie < _TIES:
        raise ValueError(f"tie {tie} outside 0..{_TIES - 1}")
    return _clamped(ms) * _TIES + tie


def bucket(ts: datetime) -> tuple[int, int]:
    """The keys items published at ``ts``'s millisecond can take: ``[low, high)``."""
    low = listing_key(floor_ms(ts), 0)
    return low, low + _TIES


def key_from(since: datetime) -> int | None:
    """The lowest key an item published at or after ``since`` can have, or None when that
    bound would not be exact (``since`` outside the keyed span: filter by time instead)."""
    ms = ceil_ms(since)
    return ms * _TIES if MIN_MS < ms <= MAX_MS else None


def key_before(until: datetime) -> int | None:
    """One past the highest key an item published before ``until`` can have, or None when
    that bound would not be exact (``until`` outside the keyed span)."""
    return key_from(until)
