"""The webhook dispatcher: alerts → outbox → signed POSTs, retried on the schedule.

Consumes the ``alerts`` log (through ``WebhookStore.fan_out``) and the outbox's due
deliveries; emits signed POSTs to receivers and records every attempt. Each loop turn fans new
alerts out, then leases due deliveries and sends them concurrently (bounded). A delivery is
leased before it is sent and settled after, so a process killed mid-send loses nothing: the
lease lapses and the delivery is sent again, with the same ``webhook-id``. At-least-once is
the promise; receivers deduplicate by ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from services.api.settings import ApiSettings
from services.api.store import StaticWebhook, Store, StoreError, WebhookStore
from services.api.store.outbox import DueDelivery
from services.api.store.webhooks import AttemptResult
from services.api.webhooks.metrics import WebhookMetrics
from services.api.webhooks.schedule import RetrySchedule
from services.api.webhooks.sender import Sender, SendResult
from services.api.webhooks.signing import encode_body, sign_headers
from services.logs import get_logger

__all__ = ["Dispatcher", "classify", "run_dispatcher", "sync_static_webhooks"]

log = get_logger("api.webhooks")
_DEPTH_EVERY_S = 2.0
_STORE_RETRY_CAP_S = 10.0
_RECORD_TRIES = 5


def _owner() -> str:
    return f"{socket.gethostname()[:32]}-{os.getpid()}-{secrets.token_hex(4)}"


def classify(
    result: SendResult, attempt: int, schedule: RetrySchedule, now: datetime
) -> AttemptResult:
    """Turn one POST's result into the attempt's outcome: any 2xx is success; 410 is gone;
    anything else retries after the schedule's wait for ``attempt``, or is dead when the
    schedule is spent."""
    duration_ms = round(result.duration_s * 1000)
    code, error = result.status_code, result.error
    if code is not None and 200 <= code < 300:
        return AttemptResult("success", now, duration_ms, code)
    if code == 410:
        return AttemptResult("gone", now, duration_ms, code, "410 Gone: subscription disabled")
    error = error or f"HTTP {code}"
    delay = schedule.delay(attempt)
    if delay is None:
        return AttemptResult("dead", now, duration_ms, code, error)
    return AttemptResult("retry", now, duration_ms, code, error, now + timedelta(seconds=delay))


class Dispatcher:
    """Runs fan-out and delivery until stopped. One per api process; any number of api
    processes may share a database."""

    def __init__(
        self,
        store: WebhookStore,
        sender: Sender,
        schedule: RetrySchedule,
        metrics: WebhookMetrics,
        *,
        poll_interval_s: float = 0.5,
        concurrency: int = 8,
        lease_s: float = 60.0,
        drain_s: float = 11.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._sender = sender
        self._schedule = schedule
        self._metrics = metrics
        self._poll_s = poll_interval_s
        self._concurrency = concurrency
        self._lease_s = lease_s
        self._drain_s = drain_s
        self._clock = clock
        self.owner = _owner()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._depth_at = 0.0

    async def step(self) -> int:
        """One turn: fan out new alerts, refresh the depth gauge now and then, and start
        sending due deliveries up to the concurrency bound. Returns how many were started."""
        await self._store.fan_out()
        if time.monotonic() - self._depth_at >= _DEPTH_EVERY_S:
            self._depth_at = time.monotonic()
            self._metrics.outbox_depth.set(await self._store.outbox_depth())
        room = self._concurrency - len(self._in_flight)
        if room <= 0:
            return 0
        claimed = await self._store.claim_due(owner=self.owner, limit=room, lease_s=self._lease_s)
        for due in claimed:
            task = asyncio.create_task(self.deliver(due), name=f"webhook {due.delivery_id}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set, then give in-flight POSTs ``drain_s`` to finish; those
        still running are cancelled, and their leases lapse so they are sent again later."""
        log.info("webhook dispatcher started", owner=self.owner)
        backoff = self._poll_s
        while not stop.is_set():
            try:
                await self.step()
                backoff = self._poll_s
            except StoreError as exc:
                log.warning("webhook dispatcher: store error", error=str(exc)[:200])
                backoff = min(max(backoff * 2, 0.5), _STORE_RETRY_CAP_S)
            except Exception as exc:  # a fault in one turn must not end delivery for good
                log.error("webhook dispatcher turn failed", error=f"{type(exc).__name__}: {exc}")
                backoff = _STORE_RETRY_CAP_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=self._drain_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        log.info("webhook dispatcher stopped", owner=self.owner)

    async def deliver(self, due: DueDelivery) -> None:
        """Make one attempt at ``due`` and record it; never raises (bar cancellation)."""
        bound = log.bind(delivery_id=due.delivery_id, attempt=due.attempt)
        if due.payload is None:
            result = AttemptResult("dead", self._clock(), 0, None, "the alert is no longer stored")
        else:
            body = encode_body(due.event_type, due.alert_created_at, due.payload)
            headers = sign_headers(due.secret, due.delivery_id, self._clock(), body)
            sent = await self._sender.post(due.url, headers, body)
            self._metrics.attempt_seconds.observe(sent.duration_s)
            result = classify(sent, due.attempt, self._schedule, self._clock())
        self._metrics.deliveries.labels(result.outcome).inc()
        if result.outcome == "success":
            latency = (result.at - due.alert_created_at).total_seconds()
            self._metrics.latency.observe(max(latency, 0.0))
        bound.info(
            "webhook attempt",
            outcome=result.outcome,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            error=result.error,
        )
        await self._record(due, result)

    async def _record(self, due: DueDelivery, result: AttemptResult) -> None:
        delay = 0.2
        for _ in range(_RECORD_TRIES):
            try:
                if not await self._store.record(due, self.owner, result):
                    log.warning("webhook lease lost before recording", delivery_id=due.delivery_id)
                return
            except StoreError as exc:
                log.warning("cannot record webhook attempt", error=str(exc)[:200])
                await asyncio.sleep(delay)
                delay *= 2
        # Unrecorded: the lease lapses and the delivery is sent again, with the same id.
        log.error("webhook attempt left unrecorded", delivery_id=due.delivery_id)


def _static(settings: ApiSettings) -> list[StaticWebhook]:
    # The settings checked each URL's form (ApiSettings); the guard checks addresses on send.
    return [
        StaticWebhook(
            url=entry.url,
            secret=entry.secret.get_secret_value(),
            filter=entry.filter,
            description=entry.description,
        )
        for entry in settings.webhooks
    ]


async def sync_static_webhooks(settings: ApiSettings, store: Store) -> None:
    """Make the store's static subscriptions match ``WIREWATCH_WEBHOOKS``."""
    await WebhookStore(store).sync_static(_static(settings))


async def run_dispatcher(
    settings: ApiSettings, store: Store, stop: asyncio.Event, *, registry: CollectorRegistry
) -> None:
    """Fan out and deliver webhooks until ``stop`` is set, with the settings' schedule,
    timeout, lease and concurrency, through the SSRF-guarded sender."""
    schedule = RetrySchedule(settings.webhook_retry_delays, settings.webhook_retry_jitter)
    async with Sender(
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.allow_private_urls,
        max_connections=settings.webhook_concurrency,
    ) as sender:
        dispatcher = Dispatcher(
            WebhookStore(store),
            sender,
            schedule,
            WebhookMetrics(registry),
            poll_interval_s=settings.webhook_poll_interval_s,
            concurrency=settings.webhook_concurrency,
            lease_s=settings.webhook_lease_s,
            drain_s=settings.webhook_timeout_s + 1,
        )
        await dispatcher.run(stop)
