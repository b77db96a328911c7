"""The HTTP API: FastAPI app factory, lifespan resources, health and metrics endpoints.

The lifespan opens the store (migrating it) and, unless ``api_consume`` is off, runs the
sink that consumes the enriched and status topics into it (deciding alerts as items are
stored) and the publisher of the alerts topic; unless ``webhook_dispatch`` is
off, it also runs the webhook dispatcher. Resources are closed in
reverse order on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from services.api.alerts.engine import AlertEngine
from services.api.alerts.metrics import AlertMetrics
from services.api.alerts.notify import AlertSignal
from services.api.alerts.publisher import run_publisher
from services.api.alerts.routes import router as alerts_router
from services.api.errors import install_error_handlers
from services.api.routes import listings, router
from services.api.settings import ApiSettings
from services.api.sink import run_sink
from services.api.store import AlertStore, Store, StoreError
from services.api.web import router as web_router
from services.api.webhooks.dispatcher import run_dispatcher, sync_static_webhooks
from services.api.webhooks.routes import router as webhooks_router
from services.logs import get_logger

__all__ = ["create_app"]

log = get_logger("api")

DESCRIPTION = """
wirewatch watches live news wire feeds and reports **claims of troop movement**: who claims
it, whose forces, doing what (buildup, deploy, advance, withdraw), where, how many, and
whether it is asserted or denied.

Every list answers `{"items": [...], "next_cursor": "..." | null}`; pass `next_cursor` as
`cursor` to get the next page. Errors share one shape: `{"error": {status, code, message, field}}`.
"""


async def _drain(task: asyncio.Task[Any] | None, timeout_s: float, name: str) -> None:
    """Wait for a background task to finish after the stop event; report, never raise."""
    if task is None:
        return
    try:
        await asyncio.wait_for(task, timeout=timeout_s)
    except TimeoutError:
        log.warning(f"{name} did not stop in time")
    except Exception as exc:
        log.error(f"{name} failed", error=f"{type(exc).__name__}: {exc}")


async def _broker_status(bootstrap: str | None) -> str:
    """Whether any bootstrap server accepts a TCP connection within a second."""
    if not bootstrap:
        return "not configured"
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            async with asyncio.timeout(1):
                _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        except (OSError, TimeoutError, ValueError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return "ok"
    return "unreachable"


def create_app(settings: ApiSettings, *, registry: CollectorRegistry | None = None) -> FastAPI:
    """Build the app; resources open in its lifespan."""
    registry = registry or CollectorRegistry()
    alert_metrics = AlertMetrics(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await Store.open(settings.database)
        app.state.store = store
        try:
            await sync_static_webhooks(settings, store)
        except BaseException:
            await store.aclose()
            raise
        stop = asyncio.Event()
        # The alert engine decides inside the sink's transaction; its signal wakes the SSE
        # streams and the publisher as soon as alerts commit.
        signal = AlertSignal()
        engine = AlertEngine(
            store,
            novelty_window=timedelta(seconds=settings.novelty_window_s),
            dispute_window=timedelta(seconds=settings.dispute_window_s),
            metrics=alert_metrics,
            signal=signal,
        )
        app.state.alerts = AlertStore(store)
        app.state.alert_engine = engine
        app.state.alert_signal = signal
        sink: asyncio.Task[None] | None = None
        if settings.api_consume:
            sink = asyncio.create_task(
                run_sink(settings, store, stop, registry=registry, engine=engine)
            )
        app.state.sink = sink
        publisher: asyncio.Task[None] | None = None
        if settings.api_consume and settings.alerts_publish:
            publisher = asyncio.create_task(
                run_publisher(
                    settings, app.state.alerts, stop, signal=signal, metrics=alert_metrics
                )
            )
        dispatcher: asyncio.Task[None] | None = None
        if settings.webhook_dispatch:
            dispatcher = asyncio.create_task(
                run_dispatcher(settings, store, stop, registry=registry)
            )
        app.state.webhook_dispatcher = dispatcher
        try:
            yield
        finally:
            stop.set()
            await _drain(dispatcher, settings.webhook_timeout_s + 3, "webhook dispatcher")
            await _drain(publisher, 8, "alert publisher")
            await _drain(sink, 8, "sink")
            await store.aclose()

    app = FastAPI(
        title="wirewatch",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.alert_metrics = alert_metrics
    install_error_handlers(app)
    app.include_router(listings)
    app.include_router(router)
    app.include_router(alerts_router)
    app.include_router(webhooks_router)
    app.include_router(web_router)

    @app.get("/healthz", summary="Liveness", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """200 while the process serves requests."""
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: database, broker and consumer", tags=["ops"])
    async def readyz(request: Request) -> JSONResponse:
        """200 when the database answers and, when consuming, the broker is reachable and the
        sink runs; else 503 with Retry-After. `checks` says which part is not ready."""
        checks: dict[str, str] = {}
        try:
            await request.app.state.store.ping()
            checks["database"] = "ok"
        except StoreError as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        checks["broker"] = await _broker_status(settings.kafka_bootstrap)
        sink: asyncio.Task[None] | None = request.app.state.sink
        if sink is None:
            checks["consumer"] = "disabled"
        elif sink.done():
            error = None
            with contextlib.suppress(asyncio.CancelledError):
                error = sink.exception()
            checks["consumer"] = f"stopped: {type(error).__name__ if error else 'done'}"
        else:
            checks["consumer"] = "ok"
        required = ["database"] + (["broker", "consumer"] if sink is not None else [])
        ready = all(checks[name] == "ok" for name in required)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
            headers=None if ready else {"Retry-After": "5"},
        )

    @app.get("/metrics", summary="Prometheus metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
