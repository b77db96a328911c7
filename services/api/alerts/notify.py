"""In-process wake-up calls from the alert engine to its readers (SSE streams, the publisher).

The engine calls ``notify()`` after a transaction that raised alerts commits; readers
``await wait(timeout)`` and then read the alerts table. The table is the truth, the signal
only a shortcut: readers still poll on timeout, which also covers alerts raised by another
replica.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["AlertSignal"]


class AlertSignal:
    """A broadcast "new alerts were committed" event for every waiter in this process."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake every current waiter; later waiters wait for the next notify."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, within_s: float) -> bool:
        """Return True when notified within ``within_s`` seconds, False otherwise."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), within_s)
            return True
        return False
