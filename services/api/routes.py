"""Read endpoints over the store: items, claims, feeds. Every list pages with cursors.

The two listings are the API's hot path (analysts poll them), so they take the lean road:
``QueryRoute`` validates only the query parameters given, with FastAPI's own validators, and
the store renders the page's JSON straight from its rows (``list_items_json``). Their
``response_model`` documents the schema; the store's tests hold the JSON to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from services.api.auth import require_read
from services.api.errors import ErrorResponse
from services.api.fastroute import QueryRoute
from services.api.models import ClaimOut, FeedOut, ItemDetail, ItemSummary, Page
from services.api.store import Store

__all__ = ["listings", "router"]

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse, "description": "An API key is required."},
    403: {"model": ErrorResponse, "description": "The API key is not accepted."},
    422: {"model": ErrorResponse, "description": "A parameter is invalid; `field` names it."},
    503: {"model": ErrorResponse, "description": "The database is unreachable; see Retry-After."},
}
_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "No such id."}
}

router = APIRouter(prefix="/v1", dependencies=[Depends(require_read)], responses=_ERRORS)
# The hot listings: QueryRoute checks read access itself (see services.api.fastroute).
listings = APIRouter(prefix="/v1", route_class=QueryRoute, responses=_ERRORS)

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (1 to 200).")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
Since = Annotated[
    datetime | None, Query(description="Only published at or after (ISO 8601; UTC if no zone).")
]
Until = Annotated[datetime | None, Query(description="Only published before (ISO 8601).")]
Text = Annotated[str | None, Query(min_length=1, max_length=200)]


def _utc(value: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def _store(request: Request) -> Store:
    # async: FastAPI runs a plain-def dependency in a worker thread, on every request.
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(_store)]


def _json(page: bytes) -> Response:
    return Response(page, media_type="application/json")


@listings.get("/items", summary="List items, newest first", response_model=Page[ItemSummary])
async def list_items(
    request: Request,
    limit: Limit = 50,
    cursor: Cursor = None,
    since: Since = None,
    until: Until = None,
    feed: Annotated[str | None, Query(max_length=2048, description="Feed URL.")] = None,
    entity: Annotated[
        str | None,
        Query(
            min_length=1, max_length=200, description="Canonical id (e.g. `RUS`) or entity text."
        ),
    ] = None,
    has_claims: Annotated[
        bool | None, Query(description="Only items with / without claims.")
    ] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Full-text search.")
    ] = None,
) -> Response:
    """Items newest first by publication time (to the millisecond; of items published in the
    same millisecond, the later arrival first). Follow `next_cursor` to page through
    everything exactly once; a search (`q`) lists its hits in the same order."""
    store: Store = request.app.state.store
    page = await store.list_items_json(
        limit=limit,
        cursor=cursor,
        since=_utc(since),
        until=_utc(until),
        feed=feed,
        entity=entity,
        has_claims=has_claims,
        q=q,
    )
    return _json(page)


@router.get(
    "/items/{item_id}",
    summary="One item with its entities and claims",
    response_model=ItemDetail,
    responses=_NOT_FOUND,
)
async def get_item(
    store: StoreDep, item_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> ItemDetail:
    item = await store.get_item(item_id)
    if item is None:
        raise HTTPException(404, f"no item {item_id!r}")
    return item


@listings.get("/claims", summary="List claims, newest first", response_model=Page[ClaimOut])
async def list_claims(
    request: Request,
    limit: Limit = 50,
    cursor: Cursor = None,
    actor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Whose forces: canonical id or text."),
    ] = None,
    claimant: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Who says it: canonical id or text."),
    ] = None,
    movement: Annotated[Literal["buildup", "deploy", "advance", "withdraw"] | None, Query()] = None,
    polarity: Annotated[Literal["asserted", "denied"] | None, Query()] = None,
    location: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Place: canonical id or text.")
    ] = None,
    since: Since = None,
) -> Response:
    """Claims newest first, filtered by who, whose forces, what and where."""
    store: Store = request.app.state.store
    page = await store.list_claims_json(
        limit=limit,
        cursor=cursor,
        actor=actor,
        claimant=claimant,
        movement=movement,
        polarity=polarity,
        location=location,
        since=_utc(since),
    )
    return _json(page)


@router.get(
    "/claims/{claim_id}", summary="One claim", response_model=ClaimOut, responses=_NOT_FOUND
)
async def get_claim(
    store: StoreDep, claim_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> ClaimOut:
    claim = await store.get_claim(claim_id)
    if claim is None:
        raise HTTPException(404, f"no claim {claim_id!r}")
    return claim


@router.get("/feeds", summary="Every feed's health", response_model=Page[FeedOut])
async def list_feeds(store: StoreDep) -> Page[FeedOut]:
    """Each feed's latest status as ingest reported it (ok / erroring / stale / gone)."""
    return Page[FeedOut](items=await store.list_feeds(), next_cursor=None)
