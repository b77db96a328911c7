"""The README says what the code does: its settings table and its consumer example."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from proto import ALERTS, Alert, AlertType, codec_for
from services.api.settings import ApiSettings
from services.broker import EmbeddedBroker
from services.config import ENV_PREFIX
from services.extract.settings import ExtractSettings
from services.ingest.settings import IngestSettings
from services.up import UpSettings

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SETTINGS = (ApiSettings, ExtractSettings, IngestSettings, UpSettings)


def _variables() -> list[str]:
    names = {f"{ENV_PREFIX}{field.upper()}" for cls in SETTINGS for field in cls.model_fields}
    return sorted(names)


@pytest.mark.parametrize("variable", _variables())
def test_every_setting_is_documented(variable: str) -> None:
    short = variable.removeprefix(ENV_PREFIX)
    assert variable in README or re.search(rf"`[^`]*\b{short}\b[^`]*`", README), variable


@pytest.mark.integration
async def test_the_readme_consumer_prints_alerts(broker: EmbeddedBroker, tmp_path: Path) -> None:
    block = re.search(r"```python\n(# consume_alerts.py.*?)```", README, re.DOTALL)
    assert block, "the README lost its consumer example"
    script = tmp_path / "consume_alerts.py"
    script.write_text(block.group(1), encoding="utf-8")
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        alert = Alert(alert_id="a1", cluster_id="c-42", type=AlertType.ALERT_TYPE_CLAIM_NEW)
        codec = codec_for(ALERTS.name)
        await producer.send_and_wait(ALERTS.name, key=b"c-42", value=codec.encode(alert))
    finally:
        await producer.stop()
    env = {
        **os.environ,
        "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
        "PYTHONPATH": str(REPO),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
    finally:
        proc.terminate()
        await proc.wait()
    assert line.decode().startswith("c-42 ")
    assert "ALERT_TYPE_CLAIM_NEW" in line.decode()
