"""When to poll a feed next: the publisher's hints above our floor, backoff on errors.

next poll = max(feed interval, RSS <ttl>, sy:updatePeriod, Cache-Control max-age,
Expires), clamped to [min, max]. Errors back off exponentially with full jitter up to
a cap and are retried forever; 429/503 wait at least the server's Retry-After.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["PollPolicy", "backoff_delay", "header_max_age_s", "next_delay"]

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """The bounds every feed's schedule is clamped to."""

    min_interval_s: float
    max_interval_s: float
    backoff_base_s: float
    backoff_cap_s: float


def header_max_age_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Freshness lifetime the response declares, from Cache-Control max-age or Expires."""
    lowered = {k.lower(): v for k, v in headers.items()}
    cache_control = lowered.get("cache-control", "")
    if match := _MAX_AGE.search(cache_control):
        return float(match.group(1))
    if expires := lowered.get("expires"):
        try:
            when = parsedate_to_datetime(expires)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        remaining: float = (when - (now or datetime.now(UTC))).total_seconds()
        return max(0.0, remaining)
    return None


def next_delay(
    policy: PollPolicy,
    interval_s: float,
    *,
    ttl_s: float | None = None,
    update_period_s: float | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> float:
    """Seconds until the next poll after a successful one."""
    hints = [interval_s, ttl_s or 0.0, update_period_s or 0.0]
    if headers:
        hints.append(header_max_age_s(headers, now) or 0.0)
    return float(min(policy.max_interval_s, max(policy.min_interval_s, *hints)))


def backoff_delay(
    policy: PollPolicy,
    consecutive_errors: int,
    *,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the retry after ``consecutive_errors`` failures in a row (≥ 1)."""
    exponent = min(max(consecutive_errors - 1, 0), 30)
    ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * (2**exponent))
    # Full jitter, but never below half the ceiling: spreads retries without hammering.
    draw = rng.random() if rng is not None else random.random()
    delay: float = ceiling / 2 + draw * ceiling / 2
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, policy.backoff_cap_s * 24))
    return max(delay, min(policy.min_interval_s, policy.backoff_cap_s))
