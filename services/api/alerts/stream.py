"""Server-Sent Events of the alerts log: ``GET /v1/alerts/stream``.

Consumes alert rows in ``seq`` order and emits ``text/event-stream`` events with
``id:`` = seq, ``event:`` = alert type and ``data:`` = the alert as JSON (``AlertOut``). A client
resumes with the ``Last-Event-ID`` header (browsers send it on reconnect) or
``?last_event_id=``; without either it gets only alerts raised after it connected. New alerts
arrive within the poll interval, sooner when the engine in this process signals a commit;
a comment line every 15 s keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

from services.api.alerts.metrics import AlertMetrics
from services.api.alerts.notify import AlertSignal
from services.api.models import AlertOut
from services.api.store import AlertRow, AlertStore

__all__ = ["HEARTBEAT_S", "POLL_S", "alert_out", "format_event", "sse_events"]

HEARTBEAT_S = 15.0
POLL_S = 0.5
_BATCH = 100
# Clients reconnect after this many milliseconds when the stream drops.
_RETRY_MS = 2000


def alert_out(row: AlertRow) -> AlertOut:
    """The response model of an alerts-table row."""
    return AlertOut(
        seq=row.seq,
        alert_id=row.alert_id,
        type=row.type,
        cluster_id=row.cluster_id,
        claim_id=row.claim_id,
        item_id=row.item_id,
        created_at=row.created_at,
        independent_sources=row.independent_sources,
        total_sources=row.total_sources,
        data=row.payload,
    )


def format_event(row: AlertRow) -> bytes:
    """One SSE event; the JSON is on one line, so ``data:`` needs no splitting."""
    body = alert_out(row).model_dump_json()
    return f"id: {row.seq}\nevent: {row.type}\ndata: {body}\n\n".encode()


async def sse_events(
    alert_store: AlertStore,
    *,
    last_event_id: int | None,
    disconnected: Callable[[], Awaitable[bool]],
    signal: AlertSignal | None = None,
    metrics: AlertMetrics | None = None,
    heartbeat_s: float = HEARTBEAT_S,
    poll_s: float = POLL_S,
) -> AsyncIterator[bytes]:
    """Yield SSE frames for alerts after ``last_event_id`` (after the newest one when None)
    until ``disconnected()`` is true."""
    signal = signal or AlertSignal()
    position = last_event_id if last_event_id is not None else await alert_store.max_seq()
    if metrics is not None:
        metrics.streams.inc()
    try:
        yield f"retry: {_RETRY_MS}\n: connected at seq {position}\n\n".encode()
        beat = time.monotonic()
        while not await disconnected():
            rows = await alert_store.alerts_after(position, _BATCH)
            for row in rows:
                yield format_event(row)
                position = row.seq
            if rows:
                beat = time.monotonic()
                if len(rows) == _BATCH:
                    continue
            if time.monotonic() - beat >= heartbeat_s:
                yield b": keep-alive\n\n"
                beat = time.monotonic()
            await signal.wait(poll_s)
    finally:
        if metrics is not None:
            metrics.streams.dec()
