"""``wirewatch up``: the whole stack on one machine.

Starts the embedded broker (unless ``WIREWATCH_KAFKA_BOOTSTRAP`` points at one), creates
the topics, optionally the offline demo feed, then ingest, extract and api as child
processes. The first signal stops children in reverse order under a deadline; the broker
goes last. Children die with this process even if it is killed outright.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import AsyncExitStack
from pathlib import Path

from pydantic import Field

from services.broker import EmbeddedBroker
from services.children import Child, spawn, stop_children, wait_any
from services.config import CommonSettings
from services.kafka import ensure_topics, wait_for_broker
from services.logs import get_logger

__all__ = ["UpSettings", "run_up"]

log = get_logger("up")
_EMBEDDED_S = 30.0


class UpSettings(CommonSettings):
    """``WIREWATCH_*`` settings read by ``wirewatch up`` itself (children read their own)."""

    broker_port: int = Field(
        default=9092, ge=0, le=65535, description="Embedded broker port (0 = any free port)."
    )
    demo_rate_per_s: float = Field(default=3.0, gt=0, description="Demo items released per second.")


def _named(env: dict[str, str], settings: UpSettings, child: str) -> dict[str, str]:
    """The child's environment with its consumer-group member name: one per child on this
    data dir, so a child restarted after a crash leaves the group for its predecessor."""
    prefix = f"{settings.kafka_member_name}-" if settings.kafka_member_name else ""
    return {**env, "WIREWATCH_KAFKA_MEMBER_NAME": prefix + child}


async def run_up(
    settings: UpSettings, stop: asyncio.Event, *, feeds_file: Path | None, demo: bool
) -> int:
    """Run the stack until ``stop`` is set or a child dies; returns the exit code."""
    env = dict(os.environ)
    children: list[Child] = []
    async with AsyncExitStack() as stack:
        bootstrap = settings.kafka_bootstrap
        if not bootstrap:
            broker = EmbeddedBroker(port=settings.broker_port)
            await stack.enter_async_context(broker)
            bootstrap = broker.bootstrap
            log.info("embedded broker started", bootstrap=bootstrap, pid=broker.pid)
        # A configured broker gets the connect timeout; the embedded one is already listening.
        wait_s = settings.kafka_connect_timeout_s if settings.kafka_bootstrap else _EMBEDDED_S
        if not await wait_for_broker(bootstrap, wait_s, stop=stop):
            return 0
        await ensure_topics(bootstrap, settings.topic_partitions)
        env["WIREWATCH_KAFKA_BOOTSTRAP"] = bootstrap
        if feeds_file is not None:
            env["WIREWATCH_FEEDS_FILE"] = str(feeds_file)
        ingest_env = dict(env)
        if demo:
            from services.demo import DemoFeedServer, demo_feeds_yaml

            server = await stack.enter_async_context(
                DemoFeedServer(rate_per_s=settings.demo_rate_per_s)
            )
            demo_file = settings.data_dir / "demo-feeds.yaml"
            demo_file.parent.mkdir(parents=True, exist_ok=True)
            demo_file.write_text(demo_feeds_yaml(server.url), encoding="utf-8")
            # The demo feed lives on loopback: only this ingest may fetch private addresses.
            ingest_env |= {
                "WIREWATCH_FEEDS_FILE": str(demo_file),
                "WIREWATCH_ALLOW_PRIVATE_URLS": "true",
                "WIREWATCH_MIN_POLL_INTERVAL_S": "1",
            }
            log.info("demo feed serving", feed_url=server.url)
        try:
            children.append(await spawn("api", ["api"], _named(env, settings, "api")))
            children.append(await spawn("extract", ["extract"], _named(env, settings, "extract")))
            children.append(await spawn("ingest", ["ingest"], ingest_env))
            code = await wait_any(children, stop)
        finally:
            await stop_children(children)
        log.info("stack stopped")
        return code
