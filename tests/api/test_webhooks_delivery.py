"""Webhook delivery for real: store outbox → dispatcher → signed POST → local receiver.

Runs on SQLite and PostgreSQL (``store_url``). The receiver is a threaded HTTP server on
127.0.0.1 that verifies every signature with ``standardwebhooks``; the dispatcher runs with
private URLs allowed (else its SSRF guard would refuse the loopback receiver, as one test
shows) and a seconds-scale retry schedule.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from services.api.models import WebhookFilter
from services.api.store import Store, WebhookStore
from services.api.webhooks.dispatcher import Dispatcher
from services.api.webhooks.metrics import WebhookMetrics
from services.api.webhooks.schedule import RetrySchedule
from services.api.webhooks.sender import Sender
from services.api.webhooks.signing import delivery_id, new_secret
from tests.api.webhooks_support import Receiver, insert_alert, receiver

pytestmark = pytest.mark.integration


async def _until(check: Callable[[], Awaitable[bool] | bool], timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        outcome = check()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


@asynccontextmanager
async def _running(
    store: Store,
    delays: tuple[float, ...] = (0.2, 0.4, 0.8),
    *,
    allow_private: bool = True,
    registry: CollectorRegistry | None = None,
    lease_s: float = 5.0,
) -> AsyncIterator[Dispatcher]:
    stop = asyncio.Event()
    async with Sender(timeout_s=2, allow_private=allow_private) as sender:
        dispatcher = Dispatcher(
            WebhookStore(store),
            sender,
            RetrySchedule(delays, jitter=0.1),
            WebhookMetrics(registry or CollectorRegistry()),
            poll_interval_s=0.02,
            lease_s=lease_s,
            drain_s=3,
        )
        task = asyncio.create_task(dispatcher.run(stop))
        try:
            yield dispatcher
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


async def _subscribe(store: Store, target: Receiver, **flt: object) -> str:
    target.secret = new_secret()
    created = await WebhookStore(store).create(
        url=target.url, description="", flt=WebhookFilter.model_validate(flt), secret=target.secret
    )
    return created.id


async def test_alert_is_posted_signed_with_the_documented_body(store: Store) -> None:
    with receiver(Receiver()) as target:
        webhook_id = await _subscribe(store, target)
        created = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        await insert_alert(store, "a1", "claim.disputed", created_at=created)
        async with _running(store):
            await _until(lambda: len(target.accepted) == 1)
    (request,) = target.requests
    assert request.verified
    assert request.webhook_id == delivery_id("a1", webhook_id)
    assert request.body is not None
    assert request.body["type"] == "claim.disputed"
    assert request.body["timestamp"] == "2026-03-02T08:00:00Z"
    assert set(request.body["data"]) == {"alert", "cluster", "claim", "item", "sources", "disputes"}
    page = await WebhookStore(store).list_deliveries(webhook_id)
    (delivery,) = page.items
    assert delivery.status == "delivered"
    assert [a.outcome for a in delivery.attempts] == ["success"]
    assert delivery.attempts[0].status_code == 204


async def test_receiver_outage_every_alert_arrives_once_on_schedule(store: Store) -> None:
    """AC2 in small: 503 for the first six requests, then 2xx. Every alert is accepted once,
    retries carry the same webhook-id, and the gaps follow 0.2 s, 0.4 s, 0.8 s (±10%)."""
    target = Receiver(answer=lambda n, wid: 503 if n < 6 else 200)
    with receiver(target):
        webhook_id = await _subscribe(store, target)
        for n in range(3):
            await insert_alert(store, f"a{n}")
        async with _running(store, (0.2, 0.4, 0.8, 1.6)):
            await _until(lambda: len(target.accepted) == 3)
            await asyncio.sleep(0.5)  # nothing more should arrive
    ids = {delivery_id(f"a{n}", webhook_id) for n in range(3)}
    assert set(target.accepted) == ids
    assert all(r.verified for r in target.requests)
    for wid in ids:
        tries = target.attempts_of(wid)
        assert [r.status for r in tries][-1] == 200
        assert sum(1 for r in tries if r.status == 200) == 1
        for n, (before, after) in enumerate(itertools.pairwise(tries)):
            gap = after.at - before.at
            step = (0.2, 0.4, 0.8, 1.6)[n]
            assert step * 0.9 - 0.01 <= gap <= step * 1.1 + 0.3, (n, gap)
    page = await WebhookStore(store).list_deliveries(webhook_id)
    assert {d.status for d in page.items} == {"delivered"}
    attempts = sum(len(d.attempts) for d in page.items)
    assert attempts == len(target.requests) == 9


async def test_delivery_is_dead_after_the_last_attempt(store: Store) -> None:
    target = Receiver(answer=lambda n, wid: 500)
    registry = CollectorRegistry()
    with receiver(target):
        webhook_id = await _subscribe(store, target)
        await insert_alert(store, "a1")
        async with _running(store, (0.05, 0.05), registry=registry):
            await _until(lambda: len(target.requests) == 3)
            await _until(_status_is(store, webhook_id, "dead"))
            await asyncio.sleep(0.3)
    assert len(target.requests) == 3
    (delivery,) = (await WebhookStore(store).list_deliveries(webhook_id)).items
    assert [a.outcome for a in delivery.attempts] == ["retry", "retry", "dead"]
    assert all(a.status_code == 500 for a in delivery.attempts)
    assert delivery.next_attempt_at is None
    sample = registry.get_sample_value
    assert sample("wirewatch_webhook_deliveries_total", {"outcome": "retry"}) == 2
    assert sample("wirewatch_webhook_deliveries_total", {"outcome": "dead"}) == 1


def _status_is(store: Store, webhook_id: str, status: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        page = await WebhookStore(store).list_deliveries(webhook_id)
        return bool(page.items) and all(d.status == status for d in page.items)

    return check


async def test_410_disables_the_subscription(store: Store) -> None:
    """A 410 answer marks the delivery gone and disables the subscription: later alerts are
    not sent to it."""
    target = Receiver(answer=lambda n, wid: 410)
    with receiver(target):
        webhook_id = await _subscribe(store, target)
        await insert_alert(store, "a1")
        async with _running(store):
            await _until(_disabled(store, webhook_id))
            await insert_alert(store, "a2")
            await asyncio.sleep(0.3)
    assert len(target.requests) == 1
    hook = await WebhookStore(store).get(webhook_id)
    assert hook is not None
    assert hook.disabled_reason is not None
    assert "410" in hook.disabled_reason
    page = await WebhookStore(store).list_deliveries(webhook_id)
    assert [(d.alert_id, d.status) for d in page.items] == [("a1", "gone")]
    assert [a.outcome for a in page.items[0].attempts] == ["gone"]


def _disabled(store: Store, webhook_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        hook = await WebhookStore(store).get(webhook_id)
        return hook is not None and not hook.active

    return check


async def test_filters_decide_which_alerts_are_delivered(store: Store) -> None:
    with receiver(Receiver()) as target:
        await _subscribe(store, target, types=["claim.disputed"], actors=["RUS"])
        await insert_alert(store, "new", "claim.new")
        await insert_alert(store, "disputed-ukr", "claim.disputed", actor="UKR")
        await insert_alert(store, "disputed-rus", "claim.disputed", actor="RUS")
        async with _running(store):
            await _until(lambda: len(target.accepted) == 1)
            await asyncio.sleep(0.3)
    (request,) = target.requests
    assert request.body is not None
    assert request.body["data"]["alert"]["alert_id"] == "disputed-rus"


async def test_replay_resends_with_new_ids_since_the_given_time(store: Store) -> None:
    with receiver(Receiver()) as target:
        webhook_id = await _subscribe(store, target)
        t0 = datetime.now(UTC)
        await insert_alert(store, "old", created_at=t0 - timedelta(hours=2))
        await insert_alert(store, "recent", created_at=t0 - timedelta(minutes=5))
        async with _running(store):
            await _until(lambda: len(target.accepted) == 2)
            queued = await WebhookStore(store).replay(webhook_id, t0 - timedelta(hours=1))
            assert queued == 1
            await _until(lambda: len(target.accepted) == 3)
    original = delivery_id("recent", webhook_id)
    (replayed,) = set(target.accepted) - {delivery_id("old", webhook_id), original}
    assert replayed.startswith(original + "_r")
    bodies = [r.body for r in target.requests if r.webhook_id == replayed]
    assert bodies[0] is not None
    assert bodies[0]["data"]["alert"]["alert_id"] == "recent"
    page = await WebhookStore(store).list_deliveries(webhook_id)
    assert [d.replay for d in page.items] == [True, False, False]


async def test_ssrf_guard_refuses_loopback_at_connect_time(store: Store) -> None:
    """A subscription that points inward (created while private URLs were allowed, or by a
    name that later resolves inward) is refused when connecting; nothing reaches it."""
    target = Receiver()
    with receiver(target):
        webhook_id = await _subscribe(store, target)
        await insert_alert(store, "a1")
        async with _running(store, (10.0,), allow_private=False):
            await _until(_attempted(store, webhook_id))
    assert target.requests == []
    (delivery,) = (await WebhookStore(store).list_deliveries(webhook_id)).items
    (attempt,) = delivery.attempts
    assert attempt.status_code is None
    assert attempt.error is not None
    assert "BlockedAddress" in attempt.error
    assert delivery.status == "pending"  # it retries on the schedule


def _attempted(store: Store, webhook_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        page = await WebhookStore(store).list_deliveries(webhook_id)
        return bool(page.items) and all(d.attempts for d in page.items)

    return check


async def test_deliveries_page_with_a_cursor(store: Store) -> None:
    with receiver(Receiver()) as target:
        webhook_id = await _subscribe(store, target)
        for n in range(5):
            await insert_alert(store, f"a{n}")
        async with _running(store):
            await _until(lambda: len(target.accepted) == 5)
    webhooks = WebhookStore(store)
    first = await webhooks.list_deliveries(webhook_id, limit=2)
    assert first.next_cursor is not None
    second = await webhooks.list_deliveries(webhook_id, limit=2, cursor=first.next_cursor)
    assert second.next_cursor is not None
    third = await webhooks.list_deliveries(webhook_id, limit=2, cursor=second.next_cursor)
    assert third.next_cursor is None
    seen = [d.alert_id for page in (first, second, third) for d in page.items]
    assert seen == [f"a{n}" for n in (4, 3, 2, 1, 0)]


async def test_two_dispatchers_deliver_each_webhook_id_once(store: Store) -> None:
    """Two dispatchers (as in two api replicas) on one database: with a receiver that always
    accepts, every webhook-id reaches it exactly once: claims never overlap."""
    target = Receiver(delay_s=0.02)
    with receiver(target):
        await _subscribe(store, target)
        async with _running(store), _running(store):
            for n in range(60):
                await insert_alert(store, f"a{n}")
            await _until(lambda: len(target.accepted) == 60, timeout_s=30)
            await asyncio.sleep(0.3)
    assert len(target.requests) == 60
    assert len({r.webhook_id for r in target.requests}) == 60
