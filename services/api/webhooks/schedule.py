"""The webhook retry schedule: when a failed delivery is tried again, and when it is dead.

Consumes ``WIREWATCH_WEBHOOK_RETRY_SCHEDULE`` (comma-separated seconds, e.g. ``"0.2,0.4,0.8"``)
or nothing, and emits a :class:`RetrySchedule` whose ``delay(n)`` is the wait after the n-th
failed attempt, jittered, or None once the schedule is spent and the delivery must be marked
dead. The default waits about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, then every 6 h until
three days have passed since the first attempt: 19 attempts in all.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["DEFAULT_DELAYS", "RetrySchedule", "check_delays", "default_delays", "parse_schedule"]

_RAMP = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 10800.0)
_STEADY_S = 6 * 3600.0
_HORIZON_S = 3 * 86400.0
_MAX_STEPS = 1000


def default_delays() -> tuple[float, ...]:
    """The default waits: the ramp, then 6 h steps while the total stays within 3 days."""
    delays = list(_RAMP)
    while sum(delays) + _STEADY_S <= _HORIZON_S:
        delays.append(_STEADY_S)
    return tuple(delays)


DEFAULT_DELAYS = default_delays()


def parse_schedule(text: str | None) -> tuple[float, ...]:
    """Parse comma-separated seconds into waits; empty or None gives ``DEFAULT_DELAYS``.

    Raises ``ValueError`` for a non-number, a negative, NaN or infinite wait, or more than
    1000 steps.
    """
    if text is None or not text.strip():
        return DEFAULT_DELAYS
    delays: list[float] = []
    for part in text.split(","):
        part = part.strip()
        try:
            delays.append(float(part))
        except ValueError:
            raise ValueError(f"retry schedule step {part!r} is not a number of seconds") from None
    return check_delays(delays)


def check_delays(delays: Sequence[float]) -> tuple[float, ...]:
    """The waits as given; an empty sequence gives ``DEFAULT_DELAYS``.

    Raises ``ValueError`` for a negative, NaN or infinite wait, or more than 1000 steps.
    """
    if not delays:
        return DEFAULT_DELAYS
    for value in delays:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"retry schedule step {value!r} must be a finite, non-negative number")
    if len(delays) > _MAX_STEPS:
        raise ValueError(f"retry schedule has more than {_MAX_STEPS} steps")
    return tuple(delays)


@dataclass(frozen=True)
class RetrySchedule:
    """Waits between attempts, each scaled by a random factor in [1 - jitter, 1 + jitter].

    Proportional jitter (rather than "full" jitter) spreads the retries of many deliveries
    that failed together while keeping each wait recognisably the documented one.
    """

    delays: Sequence[float] = DEFAULT_DELAYS
    jitter: float = 0.1
    rand: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    @property
    def max_attempts(self) -> int:
        """Attempts made in all before a delivery is dead: the first plus one per wait."""
        return len(self.delays) + 1

    def delay(self, failed_attempts: int) -> float | None:
        """Seconds to wait after the ``failed_attempts``-th failure (1-based), or None when
        that was the last attempt the schedule allows."""
        if failed_attempts < 1:
            raise ValueError("failed_attempts starts at 1")
        if failed_attempts > len(self.delays):
            return None
        base = self.delays[failed_attempts - 1]
        return base * (1 + self.jitter * (2 * self.rand() - 1))
