"""Child service processes: spawn ``wirewatch <command>`` tied to our life, stop them in order."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time

from services.lifecycle import die_with_parent
from services.logs import get_logger

__all__ = ["Child", "spawn", "stop_children", "wait_any"]

log = get_logger("children")

Child = tuple[str, asyncio.subprocess.Process]


async def spawn(name: str, args: list[str], env: dict[str, str]) -> Child:
    """Start ``wirewatch ARGS`` as a child that receives SIGTERM if we die."""
    # A session of its own: a terminal's Ctrl-C reaches only the parent, which then stops
    # the children in order (a child hit by both would take the second signal as "force").
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        env=env,
        preexec_fn=die_with_parent,
        start_new_session=True,
    )
    log.info("started", process=name, pid=proc.pid)
    return name, proc


async def wait_any(children: list[Child], stop: asyncio.Event) -> int:
    """Wait for ``stop`` (returns 0) or for any child to exit (returns 1)."""
    waits = {asyncio.create_task(proc.wait()): name for name, proc in children}
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({stopper, *waits}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    for task in done:
        # A child that exits because the same Ctrl-C reached it is not a failure.
        if task in waits and not stop.is_set():
            log.error("a child exited; stopping", process=waits[task], code=task.result())
            code = 1
    for task in (stopper, *waits):
        task.cancel()
    return code


async def stop_children(children: list[Child], deadline_s: float = 7.0) -> None:
    """SIGTERM every child (newest first), SIGKILL whatever is left at the deadline."""
    for _, proc in reversed(children):
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + deadline_s
    for name, proc in reversed(children):
        try:
            await asyncio.wait_for(proc.wait(), timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            log.warning("killing", process=name, pid=proc.pid)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
