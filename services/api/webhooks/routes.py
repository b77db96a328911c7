"""Webhook subscription endpoints: create, list, read, change, delete, deliveries, replay.

Every endpoint needs an API key (subscriptions hold receiver URLs, which may embed tokens).
A target URL must be http(s) and, unless ``WIREWATCH_ALLOW_PRIVATE_URLS`` is set, resolve
only to public addresses; the sender checks again at every connect. The signing secret is
returned once, by ``POST /v1/webhooks``. Subscriptions from ``WIREWATCH_WEBHOOKS`` are
read-only here (409), since the settings would restore them at the next start.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from services.api.auth import require_write
from services.api.errors import ErrorResponse
from services.api.models import (
    DeliveryOut,
    Page,
    ReplayOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)
from services.api.store import Store, WebhookStore
from services.api.webhooks.sender import target_problem
from services.api.webhooks.signing import new_secret

__all__ = ["router"]

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse, "description": "An API key is required."},
    403: {"model": ErrorResponse, "description": "The API key is not accepted."},
    422: {"model": ErrorResponse, "description": "A field is invalid; `field` names it."},
    503: {"model": ErrorResponse, "description": "The database is unreachable; see Retry-After."},
}
_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "No such subscription."}
}
_STATIC: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorResponse, "description": "Configured by settings; change it there."},
    **_NOT_FOUND,
}

router = APIRouter(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(require_write)],
    responses=_ERRORS,
)

WebhookId = Annotated[str, Path(min_length=1, max_length=40)]


def _webhooks(request: Request) -> WebhookStore:
    store: Store = request.app.state.store
    return WebhookStore(store)


Webhooks = Annotated[WebhookStore, Depends(_webhooks)]


async def _check_url(request: Request, url: str) -> None:
    allow_private = bool(request.app.state.settings.allow_private_urls)
    problem = await target_problem(url, allow_private=allow_private)
    if problem is not None:
        raise RequestValidationError(
            [{"loc": ("body", "url"), "msg": f"url {problem}", "type": "value_error"}]
        )


async def _found(webhooks: WebhookStore, webhook_id: str, *, writable: bool = False) -> WebhookOut:
    found = await webhooks.get(webhook_id)
    if found is None:
        raise HTTPException(404, f"no webhook {webhook_id!r}")
    if writable and found.static:
        raise HTTPException(409, "this webhook is configured by WIREWATCH_WEBHOOKS")
    return found


@router.post("", status_code=201, summary="Subscribe a URL to alerts")
async def create_webhook(
    request: Request, body: WebhookCreate, webhooks: Webhooks
) -> WebhookCreated:
    """Create a subscription. The answer holds its `whsec_` signing secret: store it, it is
    never shown again. Deliveries are signed per Standard Webhooks."""
    await _check_url(request, body.url)
    secret = new_secret()
    created = await webhooks.create(
        url=body.url, description=body.description, flt=body.filter, secret=secret
    )
    return WebhookCreated(**created.model_dump(), secret=secret)


@router.get("", summary="List subscriptions (no secrets)")
async def list_webhooks(webhooks: Webhooks) -> Page[WebhookOut]:
    """Every subscription, oldest first, on one page."""
    return Page[WebhookOut](items=await webhooks.list_all(), next_cursor=None)


@router.get("/{webhook_id}", summary="One subscription", responses=_NOT_FOUND)
async def get_webhook(webhook_id: WebhookId, webhooks: Webhooks) -> WebhookOut:
    return await _found(webhooks, webhook_id)


@router.patch("/{webhook_id}", summary="Change a subscription", responses=_STATIC)
async def update_webhook(
    request: Request, webhook_id: WebhookId, body: WebhookUpdate, webhooks: Webhooks
) -> WebhookOut:
    """Change the URL, description, filter or `active`; fields left out stay as they are."""
    await _found(webhooks, webhook_id, writable=True)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "filter" in changes:
        changes["filter"] = body.filter
    if "url" in changes:
        await _check_url(request, changes["url"])
    updated = await webhooks.update(webhook_id, changes)
    if updated is None:
        raise HTTPException(404, f"no webhook {webhook_id!r}")
    return updated


@router.delete("/{webhook_id}", status_code=204, summary="Unsubscribe", responses=_STATIC)
async def delete_webhook(webhook_id: WebhookId, webhooks: Webhooks) -> Response:
    """Delete the subscription with its pending deliveries and their history."""
    await _found(webhooks, webhook_id, writable=True)
    await webhooks.delete(webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", summary="Deliveries and attempts", responses=_NOT_FOUND)
async def list_deliveries(
    webhook_id: WebhookId,
    webhooks: Webhooks,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size (1 to 200).")] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Page[DeliveryOut]:
    """Deliveries newest first, each with every attempt (status code, error, duration)."""
    await _found(webhooks, webhook_id)
    return await webhooks.list_deliveries(webhook_id, limit=limit, cursor=cursor)


@router.post(
    "/{webhook_id}/replay", status_code=202, summary="Send past alerts again", responses=_NOT_FOUND
)
async def replay(
    webhook_id: WebhookId,
    webhooks: Webhooks,
    since: Annotated[datetime, Query(description="Alerts raised at or after (ISO 8601).")],
) -> ReplayOut:
    """Queue every alert raised since `since` that the current filter matches (at most
    10,000). Replays carry new webhook-ids (the original id plus `_r<token>`), so receivers
    that already deduplicated the original still process them; `data.alert` identifies the
    alert itself."""
    since = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    queued = await webhooks.replay(webhook_id, since)
    if queued is None:
        raise HTTPException(404, f"no webhook {webhook_id!r}")
    return ReplayOut(replayed=queued, since=since)
