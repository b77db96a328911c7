"""Process lifecycle: one stop event set by SIGTERM/SIGINT, a second signal forces exit.

Every long-running command runs ``run_until_stopped(main)``: ``main`` receives the stop
event, stops intake when it is set, drains in-flight work under a deadline, flushes,
commits and closes — in that order — and returns an exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from services.logs import get_logger

__all__ = ["die_with_parent", "run_until_stopped"]

log = get_logger("lifecycle")
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies (``preexec_fn`` for children).

    Keeps ``wirewatch up`` from leaving a broker or service behind even when the parent is
    killed with SIGKILL. A no-op where prctl is unavailable.
    """
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def run_until_stopped(main: Callable[[asyncio.Event], Awaitable[int | None]], *, name: str) -> int:
    """Run ``main(stop)`` on a fresh event loop; SIGINT/SIGTERM set ``stop``, twice forces exit."""

    async def runner() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        received = 0

        def on_signal(signum: int) -> None:
            nonlocal received
            received += 1
            if received == 1:
                log.info("stopping", process=name, signal=signal.Signals(signum).name)
                stop.set()
            else:
                log.warning("forced exit", process=name)
                sys.stderr.flush()
                os._exit(128 + signum)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig)
        code = await main(stop)
        return int(code or 0)

    return asyncio.run(runner())
