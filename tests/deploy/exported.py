"""What each service really exports on /metrics, for checking dashboards and alert rules.

Ingest's metrics are built as ``run_ingest`` builds them (``IngestMetrics``). Extract and the
api are run for real against the embedded broker until their consume loops have registered
their metrics, then ``generate_latest`` is read from the same registry their /metrics serves.
Names are taken from the exposition text, so metrics added later are seen without changes here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.api.app import create_app
from services.api.settings import ApiSettings
from services.extract.service import run_extract
from services.extract.settings import ExtractSettings
from services.ingest.metrics import IngestMetrics

__all__ = ["SUFFIXES", "api_exposition", "extract_exposition", "ingest_exposition", "series"]

# The sample names each metric type exposes, after the family name.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "unknown": ("",),
}


def series(exposition: str) -> set[str]:
    """Every sample name a query may use, from Prometheus text exposition format."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def ingest_exposition() -> str:
    registry = CollectorRegistry()
    IngestMetrics(registry)
    return generate_latest(registry).decode()


async def _until(registry: CollectorRegistry, prefix: str, timeout_s: float = 30) -> str:
    async with asyncio.timeout(timeout_s):
        while True:
            text = generate_latest(registry).decode()
            if f"# TYPE {prefix}" in text:
                return text
            await asyncio.sleep(0.05)


async def _run_until_registered(
    run: Callable[[asyncio.Event], Awaitable[None]], registry: CollectorRegistry, prefix: str
) -> str:
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop))
    try:
        waiter = asyncio.create_task(_until(registry, prefix))
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            waiter.cancel()
            task.result()  # raises what stopped the service
            raise AssertionError(f"the service stopped before exporting {prefix}*")
        return await waiter
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=15)


async def extract_exposition(bootstrap: str, data_dir: Path) -> str:
    settings = ExtractSettings(kafka_bootstrap=bootstrap, data_dir=data_dir)
    registry = CollectorRegistry()
    return await _run_until_registered(
        lambda stop: run_extract(settings, stop, registry=registry),
        registry,
        "wirewatch_extract_consumer_lag",
    )


async def api_exposition(bootstrap: str, data_dir: Path) -> str:
    settings = ApiSettings(kafka_bootstrap=bootstrap, data_dir=data_dir)
    registry = CollectorRegistry()
    app = create_app(settings, registry=registry)

    async def run(stop: asyncio.Event) -> None:
        async with app.router.lifespan_context(app):
            await stop.wait()

    return await _run_until_registered(run, registry, "wirewatch_api_sink_consumer_lag")
