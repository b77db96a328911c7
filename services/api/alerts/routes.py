"""Alert endpoints: ``GET /v1/alerts``, ``/v1/alerts/{alert_id}``, ``/v1/alerts/stream`` (SSE)
and ``/v1/clusters/{cluster_id}``.

Consumes the alerts log and the cluster tables through ``AlertStore`` (``app.state.alerts``)
and emits the JSON models of ``services.api.models``; lists page newest first with
``{"items", "next_cursor"}`` like every other list of the API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import RowMapping

from services.api.alerts.payload import cluster_json
from services.api.alerts.stream import alert_out, sse_events
from services.api.auth import require_read
from services.api.errors import ErrorResponse
from services.api.models import (
    AlertOut,
    ClusterOut,
    ClusterSourceOut,
    ClusterSummaryOut,
    Page,
)
from services.api.store import AlertStore, rows

__all__ = ["router"]

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse, "description": "An API key is required."},
    403: {"model": ErrorResponse, "description": "The API key is not accepted."},
    422: {"model": ErrorResponse, "description": "A parameter is invalid; `field` names it."},
    503: {"model": ErrorResponse, "description": "The database is unreachable; see Retry-After."},
}
_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "No such id."}
}

router = APIRouter(
    prefix="/v1", tags=["alerts"], dependencies=[Depends(require_read)], responses=_ERRORS
)

AlertType = Literal["claim.new", "claim.updated", "claim.disputed", "claim.corroborated"]
Text = Annotated[str | None, Query(min_length=1, max_length=200)]


def _alerts(request: Request) -> AlertStore:
    found: AlertStore = request.app.state.alerts
    return found


AlertsDep = Annotated[AlertStore, Depends(_alerts)]


def _summary(row: RowMapping) -> ClusterSummaryOut:
    return ClusterSummaryOut(**cluster_json(row))


@router.get("/alerts", summary="List alerts, newest first", response_model=Page[AlertOut])
async def list_alerts(
    alert_store: AlertsDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size (1 to 200).")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
    type: Annotated[
        list[AlertType] | None, Query(description="Alert types; repeat for several.")
    ] = None,
    actor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Whose forces: canonical id or text."),
    ] = None,
    movement: Annotated[Literal["buildup", "deploy", "advance", "withdraw"] | None, Query()] = None,
    polarity: Annotated[Literal["asserted", "denied"] | None, Query()] = None,
    location: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Place: canonical id or text.")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Only alerts raised at or after (ISO 8601; UTC).")
    ] = None,
    min_sources: Annotated[
        int | None,
        Query(ge=1, le=10_000, description="Only alerts with this many independent sources."),
    ] = None,
) -> Page[AlertOut]:
    """Alerts newest first; each carries the webhook `data` object as it was when raised.

    The same alerts stream live as Server-Sent Events from `GET /v1/alerts/stream`: `id:` is
    the alert's `seq`, `event:` its type, `data:` the alert JSON; resume with the
    `Last-Event-ID` header or `?last_event_id=` (0 replays everything); a comment line every
    15 s keeps idle connections open."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    found, next_cursor = await alert_store.list_alerts(
        limit=limit,
        cursor=cursor,
        types=tuple(type or ()),
        actor=actor,
        movement=movement,
        polarity=polarity,
        location=location,
        since=since,
        min_sources=min_sources,
    )
    return Page[AlertOut](items=[alert_out(r) for r in found], next_cursor=next_cursor)


@router.get(
    "/alerts/stream",
    summary="Alerts as Server-Sent Events",
    response_class=StreamingResponse,
    # An endless body has no schema a client generator or a spec checker can use; the
    # stream is documented on GET /v1/alerts instead.
    include_in_schema=False,
)
async def stream_alerts(
    request: Request,
    alert_store: AlertsDep,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Resume after this seq.")
    ] = None,
    last_event_id: Annotated[
        int | None,
        Query(ge=0, le=2**63 - 1, description="Resume after this seq (0: replay everything)."),
    ] = None,
) -> StreamingResponse:
    """`id:` is the alert's seq, `event:` its type, `data:` the alert JSON. Without a resume
    point only alerts raised after connecting are sent. A comment every 15 s keeps it open."""
    resume = last_event_id
    if resume is None and last_event_id_header:
        try:
            resume = max(0, int(last_event_id_header))
            if resume > 2**63 - 1:
                raise ValueError("out of range")
        except ValueError as exc:
            raise HTTPException(422, "Last-Event-ID must be an alert seq (integer)") from exc
    events = sse_events(
        alert_store,
        last_event_id=resume,
        disconnected=request.is_disconnected,
        signal=request.app.state.alert_signal,
        metrics=request.app.state.alert_metrics,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/alerts/{alert_id}", summary="One alert", response_model=AlertOut, responses=_NOT_FOUND
)
async def get_alert(
    alert_store: AlertsDep, alert_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> AlertOut:
    found = await alert_store.get_alert(alert_id)
    if found is None:
        raise HTTPException(404, f"no alert {alert_id!r}")
    return alert_out(found)


@router.get(
    "/clusters/{cluster_id}",
    summary="One claim cluster with its claims, sources and disputes",
    response_model=ClusterOut,
    responses=_NOT_FOUND,
)
async def get_cluster(
    alert_store: AlertsDep, cluster_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> ClusterOut:
    """Sources say whether each is independent or a syndicated copy, and of what."""
    record = await alert_store.get_cluster(cluster_id)
    if record is None:
        raise HTTPException(404, f"no cluster {cluster_id!r}")
    return ClusterOut(
        **cluster_json(record.cluster),
        claims=[rows.claim_out(c) for c in record.claims],
        sources=[
            ClusterSourceOut(**{k: s[k] for k in ClusterSourceOut.model_fields})
            for s in record.sources
        ],
        disputes=[_summary(d) for d in record.disputes],
    )
