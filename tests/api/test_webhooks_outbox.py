"""The outbox in the store, on SQLite and PostgreSQL: fan-out, claims and leases, recording."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.api.models import WebhookFilter
from services.api.store import Store, WebhookStore
from services.api.store.webhooks import AttemptResult
from services.api.webhooks.signing import delivery_id, new_secret
from tests.api.webhooks_support import insert_alert


async def _subscribe(webhooks: WebhookStore, **flt: object) -> str:
    created = await webhooks.create(
        url="http://127.0.0.1:9/hook",
        description="",
        flt=WebhookFilter.model_validate(flt),
        secret=new_secret(),
    )
    return created.id


async def test_fan_out_is_once_per_alert_and_subscription(store: Store) -> None:
    webhooks = WebhookStore(store)
    first, second = await _subscribe(webhooks), await _subscribe(webhooks, types=["claim.new"])
    await insert_alert(store, "a1", "claim.new")
    await insert_alert(store, "a2", "claim.updated")
    assert await webhooks.fan_out() == (2, 3)
    assert await webhooks.fan_out() == (0, 0)  # the cursor moved past both
    assert await webhooks.outbox_depth() == 3
    ids = {d.id for d in (await webhooks.list_deliveries(first)).items}
    assert ids == {delivery_id("a1", first), delivery_id("a2", first)}
    (only,) = (await webhooks.list_deliveries(second)).items
    assert only.id == delivery_id("a1", second)


async def test_inactive_subscriptions_get_no_deliveries(store: Store) -> None:
    webhooks = WebhookStore(store)
    webhook_id = await _subscribe(webhooks)
    await webhooks.update(webhook_id, {"active": False})
    await insert_alert(store, "a1")
    assert await webhooks.fan_out() == (1, 0)


async def test_a_claimed_delivery_is_leased_to_one_owner(store: Store) -> None:
    webhooks = WebhookStore(store)
    await _subscribe(webhooks)
    await insert_alert(store, "a1")
    await webhooks.fan_out()
    (due,) = await webhooks.claim_due(owner="one", limit=10, lease_s=60)
    assert due.attempt == 1
    assert due.payload is not None
    assert due.payload["alert"]["alert_id"] == "a1"
    assert await webhooks.claim_due(owner="two", limit=10, lease_s=60) == []
    now = datetime.now(UTC)
    retry = AttemptResult("retry", now, 5, 503, "HTTP 503", now - timedelta(seconds=1))
    assert await webhooks.record(due, "two", retry) is False  # not the lease holder
    assert await webhooks.record(due, "one", retry) is True
    (again,) = await webhooks.claim_due(owner="two", limit=10, lease_s=60)
    assert again.attempt == 2
    assert again.delivery_id == due.delivery_id


async def test_an_expired_lease_is_claimed_again_with_the_same_id(store: Store) -> None:
    """What a crash looks like: claimed, never recorded. After the lease the delivery is due
    again for anyone, under the same webhook-id and the same attempt number."""
    webhooks = WebhookStore(store)
    await _subscribe(webhooks)
    await insert_alert(store, "a1")
    await webhooks.fan_out()
    (lost,) = await webhooks.claim_due(owner="crashed", limit=10, lease_s=0.01)
    await asyncio.sleep(0.05)
    (found,) = await webhooks.claim_due(owner="survivor", limit=10, lease_s=60)
    assert (found.delivery_id, found.attempt) == (lost.delivery_id, lost.attempt)


async def test_recording_after_the_subscription_was_deleted_is_a_no_op(store: Store) -> None:
    webhooks = WebhookStore(store)
    webhook_id = await _subscribe(webhooks)
    await insert_alert(store, "a1")
    await webhooks.fan_out()
    (due,) = await webhooks.claim_due(owner="one", limit=10, lease_s=60)
    assert await webhooks.delete(webhook_id) is True
    now = datetime.now(UTC)
    assert await webhooks.record(due, "one", AttemptResult("success", now, 3, 200)) is False
    assert await webhooks.outbox_depth() == 0


@pytest.mark.postgres
@pytest.mark.integration
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_postgres_fan_out_catches_an_alert_committed_late(store: Store) -> None:
    """On PostgreSQL a lower seq can commit after a higher one was read; fan-out re-reads
    recent alerts so it is not skipped, and does not deliver anything twice."""
    webhooks = WebhookStore(store)
    webhook_id = await _subscribe(webhooks)
    await insert_alert(store, "later", seq=1000)
    assert await webhooks.fan_out() == (1, 1)
    await insert_alert(store, "earlier", seq=999)
    assert await webhooks.fan_out() == (0, 1)
    assert await webhooks.fan_out() == (0, 0)
    ids = {d.id for d in (await webhooks.list_deliveries(webhook_id)).items}
    assert ids == {delivery_id("later", webhook_id), delivery_id("earlier", webhook_id)}
