"""Runs the api under uvicorn, stopped by the process's stop event (not uvicorn's signals)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn

from services.api.app import create_app
from services.api.settings import ApiSettings
from services.logs import get_logger

__all__ = ["run_api"]

log = get_logger("api")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Signals belong to the process lifecycle, which sets the stop event instead.
        yield


async def run_api(settings: ApiSettings, stop: asyncio.Event) -> int:
    """Serve HTTP until ``stop`` is set; returns the exit code."""
    settings.prepare_data_dir()
    config = uvicorn.Config(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)

    async def watch() -> None:
        await stop.wait()
        server.should_exit = True

    watcher = asyncio.create_task(watch())
    try:
        log.info("api listening", url=f"http://{settings.api_host}:{settings.api_port}")
        await server.serve()
    finally:
        watcher.cancel()
    if not server.started:
        return 1
    return 0
