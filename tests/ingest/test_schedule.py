"""When a feed is polled next: publisher hints above the floor, capped; errors back off."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from services.ingest.schedule import PollPolicy, backoff_delay, header_max_age_s, next_delay

POLICY = PollPolicy(min_interval_s=30, max_interval_s=3600, backoff_base_s=30, backoff_cap_s=3600)
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        pytest.param({}, 300, id="interval-alone"),
        pytest.param({"ttl_s": 900}, 900, id="rss-ttl-longer"),
        pytest.param({"ttl_s": 60}, 300, id="rss-ttl-shorter-ignored"),
        pytest.param({"update_period_s": 1800}, 1800, id="sy-updatePeriod"),
        pytest.param({"headers": {"Cache-Control": "public, max-age=1200"}}, 1200, id="max-age"),
        pytest.param(
            {"headers": {"cache-control": "s-maxage=5, max-age=600"}}, 600, id="max-age-lc"
        ),
        pytest.param(
            {"headers": {"Expires": format_datetime(NOW + timedelta(seconds=2000), usegmt=True)}},
            2000,
            id="expires",
        ),
        pytest.param({"ttl_s": 86400}, 3600, id="capped-at-max"),
        pytest.param(
            {"ttl_s": 900, "update_period_s": 1200, "headers": {"Cache-Control": "max-age=1000"}},
            1200,
            id="largest-hint-wins",
        ),
    ],
)
def test_next_delay_takes_the_largest_hint_within_bounds(
    hints: dict[str, object], expected: float
) -> None:
    """next poll = max(interval, ttl, sy:updatePeriod, max-age, Expires), capped at the maximum."""
    assert next_delay(POLICY, 300, now=NOW, **hints) == pytest.approx(expected, abs=1)  # type: ignore[arg-type]


def test_next_delay_never_goes_below_the_floor() -> None:
    """An interval under the publisher-protecting floor is raised to it."""
    assert next_delay(POLICY, 5, now=NOW) == 30


def test_expires_in_the_past_adds_nothing() -> None:
    """A stale Expires header is zero freshness, so the interval decides."""
    past = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert header_max_age_s({"Expires": past}, NOW) == 0
    assert next_delay(POLICY, 300, headers={"Expires": past}, now=NOW) == 300


def test_backoff_grows_exponentially_within_jitter_bounds_up_to_the_cap() -> None:
    """Attempt n waits within [c/2, c] for c = min(cap, base·2^(n-1)); the cap is never passed."""
    rng = random.Random(7)
    for attempt in range(1, 40):
        ceiling = min(POLICY.backoff_cap_s, POLICY.backoff_base_s * 2 ** (attempt - 1))
        for _ in range(20):
            delay = backoff_delay(POLICY, attempt, rng=rng)
            assert ceiling / 2 <= delay <= ceiling
    assert backoff_delay(POLICY, 10_000, rng=rng) <= POLICY.backoff_cap_s


def test_backoff_jitter_spreads_retries() -> None:
    """Feeds failing together do not retry in lockstep."""
    rng = random.Random(1)
    assert len({round(backoff_delay(POLICY, 3, rng=rng), 3) for _ in range(20)}) > 10


@pytest.mark.parametrize(
    ("retry_after", "expected_at_least"),
    [
        pytest.param(600.0, 600, id="longer-than-backoff"),
        pytest.param(1.0, 15, id="shorter-keeps-backoff"),
    ],
)
def test_retry_after_is_honoured(retry_after: float, expected_at_least: float) -> None:
    """A 429/503 Retry-After delays the retry at least that long (backoff still applies)."""
    delay = backoff_delay(POLICY, 1, retry_after_s=retry_after, rng=random.Random(0))
    assert delay >= expected_at_least


def test_absurd_retry_after_is_bounded() -> None:
    """A Retry-After of a year does not silence a feed for a year: it is bounded, and retried."""
    delay = backoff_delay(POLICY, 1, retry_after_s=365 * 86400.0, rng=random.Random(0))
    assert 3600 <= delay <= POLICY.backoff_cap_s * 24
