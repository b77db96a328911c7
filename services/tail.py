"""``wirewatch tail TOPIC``: any wirewatch topic decoded to JSON lines.

Reads every partition without joining a consumer group (it commits nothing and
disturbs no one). A record that does not decode is printed with its error and its
bytes in base64, so tail never stops on a poison message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from typing import TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec_for, to_json_dict
from proto.codec import DeserializationError

__all__ = ["tail"]


async def tail(
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool,
    follow: bool,
    limit: int | None,
    idle_timeout_s: float | None,
    out: TextIO = sys.stdout,
) -> int:
    """Print records of ``topic`` as JSON lines; returns how many were printed."""
    codec = codec_for(topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    printed = 0
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        end = await consumer.end_offsets(tps) if not follow else {}
        last_record = time.monotonic()
        while limit is None or printed < limit:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for rec in records:
                    line: dict[str, object] = {
                        "topic": rec.topic,
                        "partition": rec.partition,
                        "offset": rec.offset,
                        "key": codec.decode_key(rec.key),
                        "timestamp_ms": rec.timestamp,
                        "headers": {k: v.decode("utf-8", "replace") for k, v in rec.headers or ()},
                    }
                    try:
                        line["value"] = to_json_dict(codec.decode(rec.value))
                    except DeserializationError as exc:
                        line["error"] = str(exc)
                        line["value_base64"] = base64.b64encode(rec.value or b"").decode()
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                    out.flush()
                    printed += 1
                    last_record = time.monotonic()
                    if limit is not None and printed >= limit:
                        return printed
            if not follow:
                positions = {tp: await consumer.position(tp) for tp in tps}
                if all(positions[tp] >= end.get(tp, 0) for tp in tps):
                    return printed
            if idle_timeout_s is not None and time.monotonic() - last_record > idle_timeout_s:
                return printed
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return printed
