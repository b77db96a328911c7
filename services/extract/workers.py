"""``wirewatch extract --workers N``: N extractor processes in one consumer group.

spaCy holds the GIL, so parallelism comes from processes; the group splits the raw
topic's partitions among them (so N above the partition count leaves some idle).
"""

from __future__ import annotations

import asyncio
import os

from services.children import Child, spawn, stop_children, wait_any
from services.extract.settings import ExtractSettings

__all__ = ["run_workers"]


async def run_workers(settings: ExtractSettings, stop: asyncio.Event) -> int:
    """Run ``extract_workers`` single-worker children until stopped or one dies."""
    children: list[Child] = []
    try:
        for index in range(settings.extract_workers):
            env = dict(os.environ)
            env["WIREWATCH_EXTRACT_WORKERS"] = "1"
            # Workers share the data dir: each needs a member name of its own.
            if settings.kafka_member_name:
                env["WIREWATCH_KAFKA_MEMBER_NAME"] = f"{settings.kafka_member_name}-{index}"
            # Each worker serves its own metrics port: base, base+1, ...
            if settings.extract_metrics_port:
                env["WIREWATCH_EXTRACT_METRICS_PORT"] = str(settings.extract_metrics_port + index)
            children.append(await spawn(f"extract-{index}", ["extract"], env))
        return await wait_any(children, stop)
    finally:
        await stop_children(children)
