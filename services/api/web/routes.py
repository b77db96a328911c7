"""The analysts' page: ``GET /`` (server-rendered latest alerts) and ``GET /static/{name}``.

Consumes the URL's filters, the alerts log (``AlertStore``) and the feeds' health (``Store``)
and emits HTML that needs no script, plus the page's own script and style sheet. Every
response carries a Content-Security-Policy that lets the page load and connect to this origin
only, so neither a hostile feed title nor a stray library can reach another host.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from services.api.alerts.stream import alert_out
from services.api.auth import require_read
from services.api.store import AlertStore, Store, StoreError
from services.api.web.filters import ViewFilters
from services.api.web.page import PageView, render_page
from services.logs import get_logger

__all__ = ["CSP", "LIST_LIMIT", "router", "security_headers"]

log = get_logger("api.web")

CSP = (
    "default-src 'self'; connect-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Alerts fetched for the server-rendered list; rows of the same cluster collapse into one.
LIST_LIMIT = 100
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(js|css|txt)$")

router = APIRouter(include_in_schema=False)


def security_headers() -> dict[str, str]:
    """Headers every response of the page carries."""
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


@lru_cache(maxsize=32)
def _static(name: str) -> tuple[bytes, str] | None:
    """The bytes and ETag of a file of ``static/``; only plain names, never a path."""
    if not _NAME.fullmatch(name):
        return None
    entry = resources.files("services.api.web").joinpath("static").joinpath(name)
    if not entry.is_file():
        return None
    body = entry.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


async def _may_read(request: Request) -> bool:
    try:
        await require_read(request)
    except HTTPException:
        return False
    return True


def _latest_per_cluster(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest alert of each cluster, newest first (the list shows a cluster once)."""
    seen: set[str] = set()
    kept = []
    for alert in found:
        if alert["cluster_id"] not in seen:
            seen.add(alert["cluster_id"])
            kept.append(alert)
    return kept


@router.get("/", response_class=HTMLResponse)
async def page(request: Request) -> HTMLResponse:
    """The latest alerts matching the URL's actor / movement / polarity / place filters, the
    filter form and the feeds' health, as one HTML document that works without scripts."""
    filters = ViewFilters.from_query(request.query_params)
    now = datetime.now(UTC)
    if not await _may_read(request):
        view = PageView(now=now, filters=filters, key_required=True)
        return HTMLResponse(render_page(view), headers=_page_headers())
    alert_store: AlertStore = request.app.state.alerts
    store: Store = request.app.state.store
    notes: list[str] = []
    alerts: list[dict[str, Any]] = []
    feeds = []
    max_seq = 0
    try:
        rows, _ = await alert_store.list_alerts(limit=LIST_LIMIT, **filters.store_kwargs())
        alerts = _latest_per_cluster([alert_out(r).model_dump(mode="json") for r in rows])
        max_seq = await alert_store.max_seq()
        feeds = await store.list_feeds()
    except StoreError as exc:
        log.warning("page could not read the store", error=type(exc).__name__)
        notes.append("The database is unavailable; this list may be incomplete. Reload shortly.")
    view = PageView(
        now=now, filters=filters, alerts=alerts, feeds=feeds, max_seq=max_seq, notes=notes
    )
    return HTMLResponse(render_page(view), headers=_page_headers())


def _page_headers() -> dict[str, str]:
    return {**security_headers(), "Cache-Control": "no-store"}


@router.get("/static/{name}")
async def static_file(name: str, request: Request) -> Response:
    """A file of the page (script, style sheet, licence text); 304 when the ETag matches."""
    found = _static(name)
    if found is None:
        raise HTTPException(404, "no such file")
    body, etag = found
    headers = {**security_headers(), "ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    suffix = name[name.rindex(".") :]
    return Response(body, media_type=_TYPES[suffix], headers=headers)
